"""The model review of ``cxroi fit support``'s contacts, good and bad shares, state durations and response curve
(issue 19): each gets a holdout check and a predictive check of the data's own summaries; companies drawn from the
model pass them, and a company where the model is wrong in one way fails the check that looks there. About 75 s on
the shared two-core machine: 20 companies of about 2,200 customers (55 s) and five of about 5,500 (3-6 s each, each
fitted twice: the main fit and the holdout's calibration)."""

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sim.errors import UsageError
from sim.fit import joint_churn as jc
from sim.fit import support_checks as sc
from sim.fit import synthetic_support as ss
from sim.fit.review import review_support
from sim.fit.support_report import support_report
from tests.fit.test_review_support import _histories

N, P, B = jc.NEUTRAL, jc.GOOD, jc.BAD
TRUTH = ss.SupportTruth(churn_mix=(2.0, 60.0), arrivals=150.0)
CUTOFF = pd.Timestamp("2024-12-31")
OPERATIONS = {"operations": {}}
"""A target scenario with [operations]: the response curve is written (and reviewed) instead of the shares."""



def test_churn_by_months_since_the_contact_regroups_churn_by_tenure():
    """The same forward recursion summed another way: in total it is churn_by_tenure's, and its first group after a
    bad (good) contact -- one month since -- is churn_by_tenure's months that follow a bad (good) one."""
    lives = [([B, N, N, P, N, N, B, N, N, N, N], jc.CENSORED), ([P, N, B, N, N], jc.CHURNED), ([N, N, N, N], jc.WALKED),
             ([N, B, B, N, N, N, N, N, N, N, N, N, N, N, N, N], jc.CHURNED)]
    written = jc.Estimates(("alpha", "beta"), np.array([0.9, 25.0]), np.eye(2) * 0.01, 0.0, 3)
    churn = jc.JointChurn(written, written, (0.6, 2.5), (0.2, 0.1, 0.3), 1, 3, (3.0, 5.0), False, 4)
    h = _histories(lives)
    by_tenure = jc.churn_by_tenure(churn, h)
    by_since = sc.churn_by_since(churn, h)
    np.testing.assert_allclose(by_since.sum(axis=(0, 1)), by_tenure["after"].sum(axis=0), rtol=1e-12)
    for kind in (B, P):
        np.testing.assert_allclose(by_since[kind, 0], by_tenure["after"][kind], rtol=1e-12)
    # months since the last bad contact: 1, 2, 3, 4-6, 7-12, 13+ (counted by hand; the fourth life 13 after its second)
    assert list(by_since[B, :, 0]) == [5, 4, 3, 4, 6, 1]


def churn_by_tenure_history_by_history(churn, h):
    """The slow, independent reference of jc.churn_by_tenure (which replays once per prefix): the forward recursion
    run for each history on its own, month by month, the histories alive longest first, each month's sums added in
    turn -- what the replay once per prefix must give to the last bit."""
    p, w = jc.written_nodes(churn, h)
    m = np.array([1.0, *churn.held])
    stay_p, stay_b = 1.0 - 1.0 / churn.durations[0], 1.0 - 1.0 / churn.durations[1]
    order = np.argsort(-h.length, kind="stable")
    kinds, length, status, count = h.kinds[order], h.length[order], h.status[order], h.count[order]
    start = np.zeros(length.size, dtype=np.int64) if h.counted_from is None else h.counted_from[order]
    after = np.zeros((3, 4))
    hazard = np.minimum(p[:, None] * m[None, :], 1.0)  # (nodes, 3)
    longest = int(length.max()) if length.size else 0
    at_risk, churned, expected, variance = (np.zeros(longest) for _ in range(4))
    a = np.zeros((length.size, p.size, 3))
    a[:, :, N] = w[None, :]
    alive = length.size
    for t in range(longest):
        while alive and length[alive - 1] <= t:
            alive -= 1
        a = a[:alive]
        total = a.sum(axis=(1, 2))
        hz = np.einsum("ukn,kn->u", a, hazard) / total
        c = count[:alive] * (start[:alive] <= t)
        went = (length[:alive] == t + 1) & (status[:alive] == jc.CHURNED)
        at_risk[t], expected[t], variance[t], churned[t] = c.sum(), c @ hz, c @ (hz * (1.0 - hz)), c @ went
        before = np.maximum(kinds[:alive, t - 1], N) if t > 0 else np.full(alive, N)
        for column, x in enumerate((c, c * went, c * hz, c * hz * (1.0 - hz))):
            after[:, column] += np.bincount(before, weights=x, minlength=3)
        a = a * (1.0 - hazard)[None] / total[:, None, None]  # survived month t (scaled: only ratios matter)
        if t + 1 >= longest:
            break
        a = jc.next_month_states(a, kinds[:alive, t], stay_p, stay_b)
    return {"period": np.arange(1, longest + 1), "at_risk": at_risk, "churned": churned, "expected": expected,
            "variance": variance, "after": after}


def test_the_churn_replays_of_several_models_on_shared_prefixes_are_the_replay_history_by_history():
    """churn_by_tenure and churn_by_since_each replay several models at once on the histories' shared prefixes, and a
    holdout's only in the months it counts: for each model (a Beta mix with other multipliers and durations, one
    probability, and one that no customer can survive a bad month under: hz not a number) churn_by_tenure is the
    replay history by history (churn_by_tenure_history_by_history) to the last bit, and churn_by_since's totals and
    first groups are its; a second replay is the same. 300 random lives, 0.2 s."""
    rng = np.random.default_rng(7)
    length = rng.integers(1, 25, 300)
    customer = np.repeat(np.arange(300), length)
    tenure = np.arange(customer.size) - np.repeat(np.cumsum(length) - length, length)
    draw = rng.random(customer.size)
    bad, good = (draw < 0.08).astype(int), ((draw >= 0.08) & (draw < 0.25)).astype(int)
    ended = np.zeros(customer.size, dtype=bool)
    ended[np.cumsum(length) - 1] = rng.random(300) < 0.6
    counted = tenure >= np.repeat(rng.integers(0, 12, 300), length)
    mixed = jc.Estimates(("alpha", "beta"), np.array([0.9, 25.0]), np.eye(2) * 0.01, 0.0, 300)
    one = jc.Estimates(("p",), np.array([0.6]), np.eye(1) * 0.01, 0.0, 300)
    for h in (jc.histories(customer, tenure, bad, good, ended), jc.histories(customer, tenure, bad, good, ended, counted)):
        churn = jc.JointChurn(mixed, mixed, (0.6, 2.5), (0.2, 0.1, 0.3), 1, 3, (3.0, 5.0), False, 300, histories=h)
        models = [churn, replace(churn, held=(1.0, 2.5)), replace(churn, durations=(3.0, 9.0)),
                  jc.JointChurn(one, one, (0.7, 2.0), (0.2, 0.1, 0.3), 1, 3, (3.0, 5.0), True, 300, histories=h)]
        with np.errstate(invalid="ignore"):  # the last model's hz: 0 / 0
            tables = zip(models, sc.churn_by_since_each(models, h), sc.churn_by_since_each(models, h))
            replayed = [(by_since, again, jc.churn_by_tenure(model, h), churn_by_tenure_history_by_history(model, h))
                        for model, by_since, again in tables]
        for by_since, again, fast, by_tenure in replayed:
            assert fast.keys() == by_tenure.keys()
            for key, value in by_tenure.items():
                np.testing.assert_array_equal(fast[key], value)  # bit for bit (not a number where it is)
            np.testing.assert_allclose(by_since.sum(axis=(0, 1)), by_tenure["after"].sum(axis=0), rtol=1e-12)
            for kind in (B, P):
                np.testing.assert_allclose(by_since[kind, 0], by_tenure["after"][kind], rtol=1e-12)
            np.testing.assert_array_equal(by_since, again)
        assert np.isnan(by_since[:, :, 2]).any()  # the last model: hz not a number where a bad month was survived
    # A life never counted adds 0 * hz to its months' cells: nothing, unless hz is not a number.
    h = jc.Histories(np.array([[B, N, -1], [N, -1, -1]], dtype=np.int8), np.array([3, 2]), np.array([0, 0], np.int8),
                     np.ones(2), 0, 1, 2, counted_from=np.array([3, 0]))
    with np.errstate(invalid="ignore"):
        table = sc.churn_by_since(models[-1], h)
    assert np.isnan(table[:, :, 2:]).sum() == 2 and np.isnan(table[B, 1, 2:]).all()  # two months after the bad one


def test_purchases_by_group_are_each_customers_purchases_shared_by_the_expected_multipliers():
    """One customer, four months (neutral; 1 and 2 months after a bad contact; neutral again), 10 purchases: the
    months after the contact expect the share m and 1 + (m - 1) s of the multipliers."""
    m, duration = 0.5, 4.0
    s = 1 - 1 / duration
    g = np.array([1.0, m, 1 + (m - 1) * s, 1.0])
    observed, expected, variance = sc.purchase_groups(
        np.zeros(4, int), np.array([3, 1, 2, 4]), np.array([0, 1, 2, 0]), np.array([N, B, B, N]), np.array([-1, 0, 1, -1]),
        2, {B: m, P: 1.0}, {B: duration, P: 3.0})
    share = g[1:3] / g.sum()
    np.testing.assert_allclose(expected, 10 * share, rtol=1e-12)
    np.testing.assert_allclose(variance, 10 * share * (1 - share), rtol=1e-12)
    assert list(observed) == [1, 2]


def test_a_cutoff_outside_the_data_is_refused_before_the_fit(monkeypatch):
    customers, tickets, orders = ss.company(np.random.default_rng(0), ss.SupportTruth(arrivals=20.0), months=12)

    def no_fit(*args, **kwargs):
        raise AssertionError("the fit ran before --cutoff was checked")

    monkeypatch.setattr("sim.fit.support_report.fit_checked", no_fit)
    with pytest.raises(UsageError, match=r"^--cutoff 2030-01-01: must be before the end of the data \(2023-12-31"):
        support_report(tickets, customers, orders, as_of=ss.as_of(12), cutoff=pd.Timestamp("2030-01-01"))


NEW = ("contacts", "good", "bad", "negative_duration", "positive_duration", "intercept", "slope",
       "negative_churn_increase", "positive_churn_reduction", "negative_drop", "positive_uplift")
EFFECTS = {"negative_churn_increase": 1.0, "positive_churn_reduction": 0.3, "negative_drop": 0.4, "positive_uplift": 0.2}
"""The synthetic defaults' experience effects (SupportTruth)."""


def test_companies_drawn_from_the_model_fail_no_new_check_unless_the_written_effect_misses_the_truth():
    """20 companies of about 2,200 customers (seeds 0-19; orders in every other, [operations] in every third).
    An effect's own predictive check may fail where the causal design wrote it with an interval that misses the
    truth (the self-controlled design's churn increase, as the holdout already shows): then the check is right.
    Measured: of the 248 new checks that apply, 240 ok, 7 warn and 1 fails -- seed 15's churn by months since a bad
    contact against a written churn increase of 0.25 (95 % 0 to 0.91), whose interval misses the truth, 1.0."""
    failed, warned, checks = [], 0, 0
    for seed in range(20):
        customers, tickets, orders = ss.company(np.random.default_rng(seed),
                                                {"retail": ss.SupportTruth(churn_mix=(2.0, 60.0), arrivals=60.0)})
        report = support_report(tickets, customers, orders if seed % 2 == 0 else None, as_of=ss.as_of(),
                                scenario=OPERATIONS if seed % 3 == 0 else None)
        written = {u.path.rsplit(".", 1)[-1]: u.spec for u in report.updates}
        for entry in review_support(report, "f").inputs:
            key = entry.path.rsplit(".", 1)[-1]
            if key not in NEW:
                continue
            for name in ("holdout", "predictive"):
                check = entry.checks[name]
                checks += check.status != "n/a"
                warned += check.status == "warn"
                truth = EFFECTS.get(key)
                missed = truth is not None and not written[key]["low"] <= truth <= written[key]["high"]
                if check.status == "fail" and not missed:
                    failed.append((seed, key, name, check.reason))
    assert not failed, failed
    assert warned <= 0.1 * checks, (warned, checks)


@pytest.fixture(scope="module")
def company():
    return ss.company(np.random.default_rng(0), {"retail": TRUTH})


def _checks(customers, tickets, orders, scenario=None):
    report = support_report(tickets, customers, orders, as_of=ss.as_of(), cutoff=CUTOFF, scenario=scenario)
    return {i.path.rsplit(".", 1)[-1]: i.checks for i in review_support(report, "f").inputs}


def _sorted(tickets):
    return tickets.sort_values("opened", kind="stable").reset_index(drop=True)


def _twins(tickets):
    """Each ticket again an hour later (in the same month): twice the contacts, each one's CSAT kept."""
    twins = tickets.assign(opened=tickets["opened"] + pd.Timedelta(hours=1))
    return twins[twins["opened"].dt.month == tickets["opened"].dt.month]


def test_contacts_that_double_and_long_waits_that_satisfy_less_after_the_cut_off_fail_their_holdout(company):
    """After the cut-off every ticket has a twin, and a third of the satisfied contacts that waited over 6 minutes
    become neutral."""
    customers, tickets, orders = company
    after = tickets[tickets["opened"] > CUTOFF]
    tickets = _sorted(pd.concat([tickets, _twins(after)], ignore_index=True))
    rng = np.random.default_rng(2)
    slower = (tickets["opened"] > CUTOFF) & (tickets["wait_minutes"] > 6) & (tickets["csat"] >= 4)
    tickets.loc[slower & (rng.random(len(tickets)) < 0.3), "csat"] = 3
    checks = _checks(customers, tickets, orders, OPERATIONS)
    contacts = checks["contacts"]["holdout"]
    assert contacts.status == "fail", contacts
    assert contacts.reason.startswith("contacts in the ") and "customer-months after the cut-off: " in contacts.reason
    response = checks["slope"]["holdout"]
    assert response.status == "fail" and "that waited longer than the calibration's median wait" in response.reason


def test_contacts_in_pairs_and_a_u_shaped_response_fail_their_predictive_checks(company):
    """Every ticket has a twin (no customer-month has one contact), and satisfaction is 50 % under 2 minutes' wait,
    90 % to 8 minutes and 50 % beyond: no logistic curve in the log of the wait is U-shaped."""
    customers, tickets, orders = company
    tickets = _sorted(pd.concat([tickets, _twins(tickets)], ignore_index=True))
    rng = np.random.default_rng(3)
    wait = tickets["wait_minutes"].to_numpy()
    good = rng.random(wait.size) < np.where(wait < 2, 0.5, np.where(wait < 8, 0.9, 0.5))
    tickets["csat"] = np.where(good, 5, np.where(rng.random(wait.size) < 0.5, 1, 3))
    checks = _checks(customers, tickets, orders, OPERATIONS)
    contacts = checks["contacts"]["predictive"]
    assert contacts.status == "fail", contacts
    assert contacts.reason.startswith("customer-months by number of contacts (0 to 6, 7+) against the fitted ")
    response = checks["intercept"]["predictive"]
    assert response.status == "fail" and response.reason.startswith("satisfied contacts by tenths of the wait")


def test_a_good_share_that_drifts_fails_the_shares_checks(company):
    """Satisfied contacts turn bad with a probability growing from 0 at the first ticket to 40 % at the last."""
    customers, tickets, orders = company
    tickets = tickets.copy()
    rng = np.random.default_rng(4)
    age = ((tickets["opened"] - tickets["opened"].min()) / (tickets["opened"].max() - tickets["opened"].min())).to_numpy()
    tickets.loc[(tickets["csat"] >= 4).to_numpy() & (rng.random(len(tickets)) < 0.4 * age), "csat"] = 1
    checks = _checks(customers, tickets, orders)
    for key in ("good", "bad"):
        for name in ("holdout", "predictive"):
            assert checks[key][name].status == "fail", (key, checks[key][name])
    assert checks["good"]["predictive"].reason.startswith("good contacts per calendar month (36 months in ")


def _purchases_dropped(customers, tickets, orders, months, share, after=None, seed=5):
    """Drop ``share`` of the purchases in the given months after each bad contact (those after ``after`` only)."""
    rng = np.random.default_rng(seed)
    bad = tickets[tickets["csat"] <= 2]
    month = bad["opened"].dt.to_period("M")
    hit = {(c, m + k) for c, m in zip(bad["customer_id"], month) for k in months
           if after is None or (m + k).to_timestamp() > after}
    key = zip(orders["customer_id"], orders["date"].dt.to_period("M"))
    inside = np.fromiter((k in hit for k in key), bool, len(orders))
    return customers, tickets, orders[~(inside & (rng.random(len(orders)) < share))]


def test_an_effect_that_does_not_decay_geometrically_fails_the_durations_predictive_check(company):
    """On top of the model's state, a month right after a bad contact loses 60 % of its purchases: a one-month
    spell the geometric duration cannot follow, whatever the effect's size."""
    check = _checks(*_purchases_dropped(*company, months=(1,), share=0.6))["negative_duration"]["predictive"]
    assert check.status == "fail", check
    assert "the effect's size fitted to them, against the decay the written duration" in check.reason


def test_a_state_that_lasts_longer_after_the_cut_off_fails_the_durations_holdout(company):
    """After the cut-off, months 2 to 6 after a bad contact lose half their purchases."""
    check = _checks(*_purchases_dropped(*company, months=(2, 3, 4, 5, 6), share=0.5, after=CUTOFF))
    check = check["negative_duration"]["holdout"]
    assert check.status == "fail", check
    assert "two or more months after a bad contact, given each customer's purchases after it and those in the month " \
           "right after one" in check.reason
    assert math.isfinite(float(check.reason.split(" standard errors")[0].rsplit(" ", 1)[-1]))
