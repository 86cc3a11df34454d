"""The model review's checks of ``cxroi fit support``'s contacts, shares, effects, durations and response curve.

Each fitted support input gets a predictive check of the data's own summaries (:func:`predictive_checks`):

* **contacts** -- customer-months by number of contacts (0 to 6, 7+) against the fitted negative binomial (or the
  Poisson, when the fit found no overdispersion): the mean *and* the overdispersion shape these counts;
* **good / bad** -- good (bad) contacts per calendar month against the one share fitted, months pooled to
  :data:`MIN_TICKETS` tickets: a share that drifts over the history fails it;
* **durations** -- churn and (with orders) purchases by months since the last bad (good) contact (1, 2, 3, 4-6,
  7-12, 13+), the effect's size fitted to them, against the decay the written duration expects there: the churn by
  the written mix with the effects replayed on each customer's history (:func:`churn_by_since`), the purchases each
  customer against themselves (:func:`purchase_groups`). A state is latent, so its duration is never seen; the
  decay of its effect with the months since the contact is what the duration predicts and the data show;
* **experience effects** -- the same groups against the written effect itself (the first group is the effect's),
  the written multiplier's uncertainty (its design's interval) in the variance; the durations' check fits the
  effect's size to the groups instead, so that it tests the decay alone (:func:`decay_checks`);
* **response curve** -- satisfied contacts by tenths of the wait against the fitted curve.

and the holdout outcomes that :mod:`sim.fit.support_holdout` adds for them: the calibration's contacts per
customer-month and its share of months without a contact (the overdispersion's), its good and bad shares, its
churn and purchases two or more months after a bad (good) contact given the month right after one (where the
duration decides), and its response
curve's satisfied contacts, all and among the longer waits, each against what happened after the cut-off. The
noise of a count summed over customers is their own spread (a customer's months or tickets are not independent:
cluster-robust, :func:`cluster_variance`); the calibration's error is added to first order.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy.special import gammaln

from sim.fit import causal, joint_churn
from sim.fit.mle import Z95
from sim.fit.review import MIN_EXPECTED, NA, Check, combined, predictive_check
from sim.fit.support import BAD, FLOOR_MINUTES, GOOD, NEUTRAL, month_index

CONTACT_CELLS = 8
"""Customer-months by contacts 0, 1, ..., 6 and 7+."""
MIN_TICKETS = 250
"""Calendar months are pooled (in order) until each has this many tickets for the shares' predictive check."""
SINCE = (1, 2, 3, 4, 7, 13)
"""Lower edges of the months-since-the-last-bad-(good)-contact groups: 1, 2, 3, 4-6, 7-12, 13+."""
SINCE_WORDS = "1, 2, 3, 4-6, 7-12, 13+"
WAIT_BINS = 10
"""The response curve's predictive check cuts the waits into tenths."""
MIN_WAITS = 200


# --- summaries ------------------------------------------------------------------------------------------------------


def since_bin(since: np.ndarray) -> np.ndarray:
    """Index of :data:`SINCE`'s group of months since the last experience (months 0 and 1 both in the first); whole
    months are looked up in a table of the groups of 0 to the last group's edge."""
    since = np.asarray(since)
    if since.dtype.kind in "iu":
        return _SINCE_GROUPS[np.clip(since, 0, SINCE[-1])]
    return np.searchsorted(np.asarray(SINCE), np.maximum(since, 1), side="right") - 1


_SINCE_GROUPS = np.searchsorted(np.asarray(SINCE), np.maximum(np.arange(SINCE[-1] + 1), 1), side="right") - 1


def cluster_variance(customer: np.ndarray, y: np.ndarray, n: np.ndarray, rate: float) -> float:
    """Variance of a total ``sum y`` whose mean is ``rate * sum n``, customer by customer (``sum_i (Y_i - rate N_i)^2``):
    what the total's spread is when a customer's months (or tickets) are not independent."""
    if customer.size == 0:
        return 0.0
    _, index = np.unique(customer, return_inverse=True)
    return float(np.sum((np.bincount(index, weights=y) - rate * np.bincount(index, weights=n)) ** 2))


def contact_model(contacts, overdispersion) -> tuple[float, float]:
    """(mean, alpha) of the contacts' fitted model: alpha 0 when the fit chose the Poisson."""
    alpha = overdispersion.value if overdispersion is not None else 0.0
    if contacts.method.startswith("Poisson") or not (math.isfinite(alpha) and alpha > 0):
        alpha = 0.0
    return float(contacts.value), float(alpha)


def contact_pmf(mean: float, alpha: float, cells: int = CONTACT_CELLS) -> np.ndarray:
    """P(0), ..., P(cells - 2) and P(cells - 1 or more) of a negative binomial (alpha > 0) or Poisson."""
    x = np.arange(cells - 1)
    if alpha > 0:
        r = 1.0 / alpha
        log = gammaln(r + x) - gammaln(r) - gammaln(x + 1.0) + r * np.log(r / (r + mean)) + x * np.log(mean / (r + mean))
    else:
        log = x * math.log(max(mean, 1e-300)) - mean - gammaln(x + 1.0)
    pmf = np.exp(log)
    return np.append(pmf, max(1.0 - pmf.sum(), 0.0))


def churn_by_since(churn, h=None) -> np.ndarray:
    """Customer-months by the kind of the last bad or good contact before them (NEUTRAL: none yet, GOOD, BAD) and
    :data:`SINCE`'s group of months since it: (3, groups, 4) of at risk, churned (walk-aways apart), the churn the
    written mix and multipliers expect and its binomial variance -- :func:`sim.fit.joint_churn.churn_by_tenure`'s
    forward recursion, summed by months since the experience instead of by tenure. With ``h.counted_from`` (a
    holdout's histories) only the months from it count. One model of :func:`churn_by_since_each`."""
    return churn_by_since_each([churn], h)[0]


def churn_by_since_each(churns: list, h=None) -> list[np.ndarray]:
    """:func:`churn_by_since` of each of several written models (the same fit with other multipliers or durations)
    on the same histories ``h`` (by default the first model's).

    Each history's expected churn in each month is its prefix's hazard (:func:`sim.fit.joint_churn.expected_hazards`,
    the recursion once per distinct prefix, kept with the histories: a model already replayed on them is not replayed
    again), and the sums over histories run in the same order as history by history
    (:func:`sim.fit.joint_churn.month_sums`), so the tables are the recursion's history by history, bit for bit."""
    h = churns[0].histories if h is None else h
    tree = h.levels
    cells = 3 * len(SINCE)
    cell_of = tree.last * len(SINCE) + since_bin(tree.since)  # each prefix's: the last contact's kind, months since
    counted = tree.counted
    cell = cell_of[counted.prefix]
    observed = joint_churn.month_sums(counted, cell, (counted.at_risk, counted.at_risk * counted.churned), cells)
    found = []
    for churn in churns:
        hz = joint_churn.expected_hazards(churn, h)
        # The months a holdout does not count add 0 * hz, nothing -- unless hz is not a number (a history the model
        # cannot survive): then every month, as the recursion history by history has it.
        months, in_cell = (counted, cell) if np.isfinite(hz).all() else (tree.every, cell_of[tree.every.prefix])
        hz = hz[months.prefix]
        expected = months.at_risk * hz
        table = np.column_stack([observed, joint_churn.month_sums(months, in_cell, (expected, expected * (1.0 - hz)),
                                                                  cells)])
        found.append(table.reshape(3, len(SINCE), 4))
    return found


def purchase_groups(customer, purchases, since, last, labels, count: int, multipliers: dict, durations: dict):
    """(observed, expected, variance) of purchases in each of ``count`` groups of customer-months (``labels``, -1: in
    no group), each customer against themselves: a month's purchases are Poisson with the customer's rate times the
    multiplier the effects expect in it (``1 + (m - 1) s^(k - 1)`` in the k-th month after a bad or good contact,
    ``s = 1 - 1 / duration``; ``multipliers`` and ``durations`` by BAD and GOOD), so given a customer's purchases,
    those in a group are binomial with the group's share of the customer's expected multipliers. One model of
    :func:`purchase_groups_each`."""
    return purchase_groups_each(customer, purchases, since, last, labels, count, [(multipliers, durations)])[0]


def purchase_groups_each(customer, purchases, since, last, labels, count: int, models: list) -> list[tuple]:
    """:func:`purchase_groups` of each of several ``(multipliers, durations)`` on the same customer-months: the
    customers' totals and the groups' months are found once. The variance is the first model's only (None for the
    others: the checks compare the first with what the others expect)."""
    index = causal.group_codes(customer)  # panel rows come in customer order: no sort
    customers = int(index[-1]) + 1 if index.size else 0
    total = np.bincount(index, weights=purchases)
    grouped = np.flatnonzero(labels >= 0)
    key = labels[grouped] * customers + index[grouped]
    observed = np.bincount(labels[grouped], weights=purchases[grouped], minlength=count)  # counts: exact in any order
    cells = count * customers
    longest = int(since.max()) + 1 if since.size else 1
    month = last * longest + since  # the multipliers' cell: (kind of the last contact, months since it)
    found = []
    for multipliers, durations in models:
        g = _multipliers(longest, multipliers, durations)[month]
        denominator = np.maximum(np.bincount(index, weights=g), 1e-300)
        share = np.bincount(key, weights=g[grouped], minlength=cells)[:cells].reshape(count, customers) / denominator
        expected = np.array([float(total @ row) for row in share]).reshape(count)
        variance = None if found else np.array([float(total @ (row * (1.0 - row))) for row in share]).reshape(count)
        found.append((observed.copy(), expected, variance))
    return found


def _multipliers(longest: int, multipliers: dict, durations: dict) -> np.ndarray:
    """The expected buying multiplier by the kind of the last contact and the months since it (``3 * longest``, kind
    major): ``1 + (m - 1) s^(k - 1)`` in the k-th month after a bad or good contact, 1 otherwise."""
    table = np.ones((3, longest))
    k = np.arange(1, longest)
    for kind, m in multipliers.items():
        table[kind, 1:] = 1.0 + (m - 1.0) * (1.0 - 1.0 / durations[kind]) ** (k - 1.0)
    return table.ravel()


def buying_inputs(fit) -> tuple[dict, dict]:
    """(multipliers, durations) by BAD and GOOD of the buying effects as written (the rule's designs)."""
    from sim.fit.support_holdout import written_ratio

    multipliers = {BAD: written_ratio(fit, "negative_drop")[0], GOOD: written_ratio(fit, "positive_uplift")[0]}
    durations = {BAD: fit.estimates["negative_duration"].value, GOOD: fit.estimates["positive_duration"].value}
    return multipliers, durations


def log_wait(wait: np.ndarray) -> np.ndarray:
    """ln(wait) as the response curve reads it (tenths of a minute, half a minute at least)."""
    return np.log(np.maximum(np.round(wait, 1), FLOOR_MINUTES))


def logistic_fit(wait: np.ndarray, good: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(intercept and slope, their covariance) of satisfied contacts on ln(wait), as
    :func:`sim.fit.support.response_curve` fits it; None with fewer than :data:`MIN_WAITS` waits."""
    import statsmodels.api as sm

    if wait.size < MIN_WAITS:
        return None
    values, index = np.unique(log_wait(wait), return_inverse=True)
    successes = np.bincount(index, weights=good.astype(float))
    totals = np.bincount(index).astype(float)
    result = sm.GLM(np.column_stack([successes, totals - successes]), sm.add_constant(values, has_constant="add"),
                    family=sm.families.Binomial()).fit()
    return np.asarray(result.params, float), np.asarray(result.cov_params(), float)


def satisfied(intercept: float, slope: float, wait: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(intercept + slope * log_wait(wait))))


# --- predictive checks ------------------------------------------------------------------------------------------------


def predictive_checks(checked: tuple, fits: dict, response) -> dict:
    """Per data segment the predictive checks of its contacts, good and bad shares, experience effects and durations
    (by scenario key), and under ``None`` the response curve's: ``checked`` is
    :func:`sim.fit.support.checked_data`'s result."""
    from sim.fit.support import build_panel, last_complete_month

    people, table, order_codes, order_times, as_of = checked
    panel = build_panel(people, table, order_codes, order_times, last_complete_month(as_of))
    segment = people["segment"].to_numpy()
    code = table["code"].to_numpy()
    ticket_month = month_index(table["opened"].to_numpy())
    experience = table["experience"].to_numpy()
    stays = ~(panel.ended & (panel.bad == 0))
    found = {}
    for name, fit in fits.items():
        inside = segment == name
        stayed = inside[panel.customer] & stays
        tickets = inside[code]
        checks = {"contacts": contacts_predictive(panel.contacts[stayed], fit.estimates["contacts"],
                                                  fit.estimates.get("contacts_overdispersion"))}
        for key, kind in (("good", GOOD), ("bad", BAD)):
            checks[key] = share_predictive(key, ticket_month[tickets], experience[tickets] == kind,
                                           fit.estimates[key].value)
        keep = np.flatnonzero(stayed)
        buying = None
        if panel.purchases is not None:
            buying = (panel.customer[keep], panel.purchases[keep], panel.since[keep], panel.last[keep])
        decays = decay_checks(fit, buying)
        for key, kind, churn_key, buy_key in (("negative_duration", BAD, "negative_churn_increase", "negative_drop"),
                                              ("positive_duration", GOOD, "positive_churn_reduction", "positive_uplift")):
            checks[churn_key], checks[buy_key], checks[key] = decays[kind]
        found[name] = checks
    found[None] = {"response": response_predictive(table["wait"].to_numpy(float), experience == GOOD, response)}
    return found


def contacts_predictive(counts: np.ndarray, contacts, overdispersion) -> Check:
    """Customer-months by number of contacts against the fitted negative binomial (or Poisson)."""
    if counts.size == 0:
        return Check(NA, "no customer-months to test")
    mean, alpha = contact_model(contacts, overdispersion)
    expected = contact_pmf(mean, alpha) * counts.size
    observed = np.bincount(np.minimum(counts, CONTACT_CELLS - 1).astype(int), minlength=CONTACT_CELLS).astype(float)
    gap = float(np.max(np.abs(observed - expected))) / counts.size * 100.0
    model = "the fitted negative binomial" if alpha > 0 else "the fitted Poisson"
    return predictive_check(f"customer-months by number of contacts (0 to {CONTACT_CELLS - 2}, {CONTACT_CELLS - 1}+) "
                            f"against {model}", observed, expected, 2 if alpha > 0 else 1, gap)


def share_predictive(key: str, month: np.ndarray, hit: np.ndarray, share: float) -> Check:
    """Good (bad) contacts per calendar month, months pooled to :data:`MIN_TICKETS` tickets, against one share."""
    if month.size == 0:
        return Check(NA, "no contacts to test")
    months, index = np.unique(month, return_inverse=True)
    n, k = np.bincount(index).astype(float), np.bincount(index, weights=hit.astype(float))
    cells, a, b = [], 0.0, 0.0
    for tickets, hits in zip(n, k):
        a, b = a + tickets, b + hits
        if a >= MIN_TICKETS:
            cells.append((a, b))
            a = b = 0.0
    if a > 0 and cells:
        cells[-1] = (cells[-1][0] + a, cells[-1][1] + b)
    elif a > 0:
        cells = [(a, b)]
    n, k = np.array(cells).T
    gap = float(np.max(np.abs(k / n - share))) * 100.0
    return predictive_check(f"{key} contacts per calendar month ({months.size} months in {n.size} groups of at least "
                            f"{MIN_TICKETS} tickets) against the one share fitted", k, n * share, 1, gap,
                            n * share * (1.0 - share))


def churn_parts(churn, kinds=(BAD, GOOD), h=None, variants=()) -> tuple[dict, list]:
    """({kind: (table, effect)} by :data:`SINCE`'s groups after a bad (good) contact, and the tables of ``variants``):
    :func:`churn_by_since`'s rows of the written model, and the part of its expected churn that the written multiplier
    adds (the expected churn less that with the multiplier at 1). To first order the expected churn at a multiplier
    ``m'`` is ``E0 + (m' - 1) / (m - 1) x effect``, which lets a check fit the effect's size or carry its uncertainty
    without replaying the model again. ``variants`` (other models of ``churn``, e.g. other durations) are replayed on
    the same histories in the same pass (:func:`churn_by_since_each`)."""
    tables = churn_by_since_each([churn, *(_without(churn, kind) for kind in kinds), *variants], h)
    table = tables[0]
    parts = {kind: (table[kind], table[kind][:, 2] - neutral[kind][:, 2]) for kind, neutral in zip(kinds, tables[1:])}
    return parts, tables[1 + len(kinds):]


def _without(churn, kind: int):
    """The written model with the bad (good) state's churn multiplier at 1."""
    held = list(churn.held)
    held[1 if kind == BAD else 0] = 1.0
    return replace(churn, held=tuple(held))


def scaled(observed: np.ndarray, base: np.ndarray, effect: np.ndarray, variance: np.ndarray) -> float:
    """The effect's size ``c`` that fits ``observed`` best as ``base + c effect`` (weighted least squares)."""
    keep = variance > 0
    weight = float(np.sum(effect[keep] ** 2 / variance[keep]))
    return float(np.sum((observed - base)[keep] * effect[keep] / variance[keep]) / weight) if weight > 0 else 1.0


def effect_variance(effect: np.ndarray, m: float, se: float) -> np.ndarray:
    """Each group's variance from the written multiplier ``m``'s log-scale standard error ``se`` (first order)."""
    if abs(m - 1.0) < 1e-9 or se <= 0:
        return np.zeros_like(effect)
    return (effect * m / (m - 1.0) * se) ** 2


def decay_checks(fit, buying=None) -> dict[int, tuple[Check, Check, Check]]:
    """By BAD and GOOD, :func:`decay_check` (the churn of both replayed in one pass, :func:`churn_parts`)."""
    parts = {}
    if fit.churn is not None and fit.churn.histories is not None:
        parts = churn_parts(fit.churn)[0]
    return {kind: decay_check(fit, kind, parts.get(kind), buying) for kind in (BAD, GOOD)}


def decay_check(fit, kind: int, parts=None, buying=None) -> tuple[Check, Check, Check]:
    """(churn, purchases, decay) by months since the last bad (good) contact (:data:`SINCE`'s groups). The first two
    check the written effect: the churn by the written mix with the effects replayed on each customer's history,
    the purchases (with orders, ``buying``: customer, purchases, since, last of the months the customers stayed
    through) each customer against themselves, against what the written effect and its duration expect there, the
    variance the outcome's and the written multiplier's (its design's interval). The third checks the duration
    alone: the effect's size fitted to the same groups (so that an effect written too small or too large does not
    count against its duration), does the decay the written duration expects fit them? ``parts``: the churn's table
    and effect (:func:`churn_parts`), None when the joint churn fit did not converge. Each is n/a with why when it
    cannot apply."""
    words = "bad" if kind == BAD else "good"
    churn, position = fit.churn, (1 if kind == BAD else 0)
    effect_checks, decay = [], []
    if parts is not None:
        table, effect = parts
        _, churned, expected, variance = table.T
        spread = variance + effect_variance(effect, churn.held[position], churn.held_se[position])
        what = f"customers churning by months since their last {words} contact ({SINCE_WORDS})"
        effect_checks.append(predictive_check(f"{what} against the written mix with the effects written", churned,
                                              expected, 2, _relative_gap(churned, expected), spread,
                                              unit="% of the expected count"))
        base = expected - effect
        fitted = base + scaled(churned, base, effect, variance) * effect
        decay.append(predictive_check(f"{what}, the effect's size fitted to them, against the decay the written "
                                      f"duration ({churn.durations[position]:.3g} months) expects", churned, fitted, 2,
                                      _relative_gap(churned, fitted), variance, unit="% of the expected count"))
    else:
        effect_checks.append(Check(NA, f"the joint churn fit did not converge: {fit.churn_problem}"))
    if buying is None:
        effect_checks.append(Check(NA, "purchases are checked only with orders (--orders)"))
    else:
        customer, purchases, since, last = buying
        multipliers, durations = buying_inputs(fit)
        labels = np.where((last == kind) & (since >= 1), since_bin(since), -1)
        (observed, expected, variance), (_, base, _) = purchase_groups_each(
            customer, purchases, since, last, labels, len(SINCE), [(multipliers, durations),
                                                                   ({**multipliers, kind: 1.0}, durations)])
        effect = expected - base
        key = "negative_drop" if kind == BAD else "positive_uplift"
        from sim.fit.support_holdout import written_ratio

        spread = variance + effect_variance(effect, *written_ratio(fit, key))
        what = f"purchases by months since the last {words} contact ({SINCE_WORDS}), each customer against themselves"
        effect_checks.append(predictive_check(f"{what}, against the written effects", observed, expected, 2,
                                              _relative_gap(observed, expected), spread, unit="% of the expected count"))
        fitted = base + scaled(observed, base, effect, variance) * effect
        decay.append(predictive_check(f"{what}, the effect's size fitted to them, against the decay the written "
                                      f"duration ({durations[kind]:.3g} months) expects", observed, fitted, 2,
                                      _relative_gap(observed, fitted), variance, unit="% of the expected count"))
    if not decay:
        decay.append(Check(NA, "the joint churn fit did not converge and there are no orders, so nothing shows how "
                               "the effect decays"))
    return effect_checks[0], effect_checks[1], both(*decay)


def both(*checks: Check) -> Check:
    """Several checks of one input as one (:func:`sim.fit.review.combined`), those that cannot apply left out; n/a
    with their reasons when none applies."""
    applied = [c for c in checks if c.status != NA]
    return combined(applied) if applied else Check(NA, "; ".join(c.reason for c in checks))


def _relative_gap(observed: np.ndarray, expected: np.ndarray) -> float:
    """The largest gap in percent of the expected count, over the groups expecting at least :data:`MIN_EXPECTED`
    (all groups when none does)."""
    keep = expected >= MIN_EXPECTED
    keep = keep if keep.any() else expected > 0
    if not keep.any():
        return 0.0
    return float(np.max(np.abs(observed[keep] - expected[keep]) / expected[keep])) * 100.0


def response_predictive(wait: np.ndarray, good: np.ndarray, response) -> Check:
    """Satisfied contacts by tenths of the wait against the fitted response curve."""
    if response is None:
        return Check(NA, f"fewer than {MIN_WAITS} tickets with a wait: no response curve was fitted")
    given = np.isfinite(wait)
    wait, good = wait[given], good[given]
    x = log_wait(wait)
    edges = np.unique(np.quantile(x, np.linspace(0, 1, WAIT_BINS + 1)[1:-1]))
    index = np.searchsorted(edges, x, side="right")
    p = satisfied(response.intercept.value, response.slope.value, wait)
    cells = edges.size + 1
    observed = np.bincount(index, weights=good.astype(float), minlength=cells)
    expected = np.bincount(index, weights=p, minlength=cells)
    variance = np.bincount(index, weights=p * (1.0 - p), minlength=cells)
    n = np.maximum(np.bincount(index, minlength=cells), 1)
    gap = float(np.max(np.abs(observed - expected) / n)) * 100.0
    return predictive_check(f"satisfied contacts by tenths of the wait ({cells} groups) against the fitted curve",
                            observed, expected, 2, gap, variance)


# --- holdout outcomes -------------------------------------------------------------------------------------------------


def contact_outcomes(fit, customer_before, counts_before, customer_after, counts_after) -> tuple:
    """Contacts in the customer-months after the cut-off (those the customers stayed through), and the months
    without one (what the overdispersion predicts), by the calibration ``fit``'s model."""
    from sim.fit.support_holdout import Outcome

    mean, alpha = contact_model(fit.estimates["contacts"], fit.estimates.get("contacts_overdispersion"))
    n_after, n_before = counts_after.size, counts_before.size
    ones_after, ones_before = np.ones(n_after), np.ones(n_before)
    total = float(counts_after.sum())
    noise = cluster_variance(customer_after, counts_after, ones_after, total / max(n_after, 1))
    calibration = cluster_variance(customer_before, counts_before, ones_before, mean) / max(n_before, 1) ** 2
    rate = Outcome(f"contacts in the {n_after:,} customer-months after the cut-off", n_after * mean, total,
                   math.sqrt(noise + calibration * n_after ** 2))
    p0 = contact_pmf(mean, alpha)[0]
    zero_after, zero_before = (counts_after == 0).astype(float), (counts_before == 0).astype(float)
    share_after = float(zero_after.mean()) if n_after else 0.0
    noise = cluster_variance(customer_after, zero_after, ones_after, share_after)
    calibration = cluster_variance(customer_before, zero_before, ones_before, float(zero_before.mean())) / \
        max(n_before, 1) ** 2
    model = "negative binomial" if alpha > 0 else "Poisson"
    zero = Outcome(f"customer-months without a contact after the cut-off (the {model}'s share)", n_after * p0,
                   float(zero_after.sum()), math.sqrt(noise + calibration * n_after ** 2))
    return rate, zero


def share_outcome(key: str, share: float, customer_before, hit_before, customer_after, hit_after):
    """The calibration's good (bad) share times the contacts after the cut-off against those that were good (bad)."""
    from sim.fit.support_holdout import Outcome

    n_after, n_before = hit_after.size, hit_before.size
    hit_after, hit_before = hit_after.astype(float), hit_before.astype(float)
    noise = cluster_variance(customer_after, hit_after, np.ones(n_after), float(hit_after.mean()) if n_after else 0.0)
    calibration = cluster_variance(customer_before, hit_before, np.ones(n_before), share) / max(n_before, 1) ** 2
    return Outcome(f"{key} contacts of the {n_after:,} after the cut-off", n_after * share, float(hit_after.sum()),
                   math.sqrt(noise + calibration * n_after ** 2))


def duration_outcomes(fit, kind: int, h, buying=None) -> tuple:
    """Churn (and, with ``buying``, purchases) in the held-out months two or more months after a bad (good) contact
    by the calibration ``fit``, given the held-out month right after one: that month fixes the effect's size (so
    that an effect too small or too large does not count against the duration), the calibration's duration then
    predicts how much of it is left in the months after. The standard error is the outcome's noise, the
    parameters' (the effect's size, from the first month's noise, and the calibration's duration, over their 95 %
    intervals: :func:`_given_first`) and, for churn, the calibration's mean churn's."""
    from sim.fit.support_holdout import Outcome, relative_churn_error

    words = "bad" if kind == BAD else "good"
    found = []
    churn, position = fit.churn, (1 if kind == BAD else 0)
    duration = fit.estimates["negative_duration" if kind == BAD else "positive_duration"]
    if churn is not None:
        variants = []
        for low, high in _ends(duration):
            for value in (low, high):
                d = list(churn.durations)
                d[position] = value
                variants.append(replace(churn, durations=tuple(d)))
        parts, others = churn_parts(churn, (kind,), h, variants)
        table, effect = parts[kind]
        base = table[:, 2] - effect
        ends = [other[kind][:, 2] - base for other in others]
        first, later = table[0], table[1:].sum(axis=0)
        predicted, spread = _given_first(first[1], first[3], base, effect, ends, later[3], float(later[1]))
        error = relative_churn_error(churn) * float(base[1:].sum())
        found.append(Outcome(f"customers churning (walk-aways apart) in the {later[0]:,.0f} customer-months after the "
                             f"cut-off two or more months after a {words} contact, given those in the month right after "
                             f"one", predicted, float(later[1]), math.sqrt(spread + error ** 2)))
    if buying is not None:
        customer, purchases, since, last = buying
        multipliers, durations = buying_inputs(fit)
        labels = np.where((last == kind) & (since >= 1), np.minimum(since, 2) - 1, -1)

        models = [(multipliers[kind], durations[kind]), (1.0, durations[kind]),
                  *((multipliers[kind], d) for pair in _ends(duration) for d in pair)]
        (observed, full, variance), (_, base, _), *others = purchase_groups_each(
            customer, purchases, since, last, labels, 2,
            [({**multipliers, kind: m}, {**durations, kind: d}) for m, d in models])
        ends = [other[1] - base for other in others]
        predicted, spread = _given_first(observed[0], variance[0], base, full - base, ends, variance[1],
                                         float(observed[1]))
        months = int((labels == 1).sum())
        found.append(Outcome(f"purchases in the {months:,} customer-months after the cut-off two or more months after "
                             f"a {words} contact, given each customer's purchases after it and those in the month right "
                             f"after one", predicted, float(observed[1]), math.sqrt(spread)))
    return tuple(found)


def _given_first(first: float, first_variance: float, base: np.ndarray, effect: np.ndarray, ends: list,
                 later_variance: float, actual: float) -> tuple[float, float]:
    """(prediction, its variance) of the groups after the first: ``base`` + the effect, its size fitted to the first
    group's count ``first``. The parameters' share of the variance is the prediction's farthest move toward what
    happened (``actual``) over the corners of the two 95 % intervals -- the effect's size (from the first group's
    noise, ``first_variance``) and the duration's (``ends``: the effect at each end) -- over 1.96: the prediction is
    bilinear in them and the duration's interval lopsided, which a first-order error would understate."""

    def predict(part, size):
        return float(base[1:].sum() + size * part[1:].sum())

    def size_of(part):
        if abs(part[0]) <= 1e-9:
            return 1.0, 0.0
        return (first - base[0]) / part[0], math.sqrt(max(first_variance, 0.0)) / abs(part[0])

    size, _ = size_of(effect)
    predicted = predict(effect, size)
    moves = []
    for part in [effect, *ends]:
        value, se = size_of(part)
        moves += [predict(part, value + sign * Z95 * se) - predicted for sign in (-1.0, 1.0)]
    toward = [m for m in moves if m * (actual - predicted) > 0]
    spread = max(abs(m) for m in (toward or moves)) / Z95
    return predicted, later_variance + spread ** 2


def _ends(estimate) -> list[tuple[float, float]]:
    """The duration's 95 % interval as [(low, high)] when it has a finite one (low at least a month), else []."""
    low, high = estimate.low, estimate.high
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return []
    return [(max(low, 1.0 + 1e-6), high)]


def response_outcomes(table, cut: int, last: int) -> tuple[tuple, str]:
    """((satisfied contacts after the cut-off, those among the waits longer than the calibration's median), why not):
    the response curve fitted on the tickets of the months up to ``cut`` predicts the satisfied share of each ticket
    after it (up to ``last``) from its wait; the standard error is the tickets' binomial noise and the calibration's
    curve's (its covariance, delta method)."""
    from sim.fit.support_holdout import Outcome

    wait = table["wait"].to_numpy(float)
    month = month_index(table["opened"].to_numpy())
    good = table["experience"].to_numpy() == GOOD
    given = np.isfinite(wait)
    before, after = given & (month <= cut), given & (month > cut) & (month <= last)
    fitted = logistic_fit(wait[before], good[before])
    if fitted is None:
        return (), f"fewer than {MIN_WAITS} tickets with a wait up to the cut-off to fit the curve on"
    if after.sum() == 0:
        return (), "no ticket with a wait after the cut-off"
    (a, b), covariance = fitted
    median = float(np.median(wait[before]))
    found = []
    for words, inside in (("", np.ones(after.sum(), dtype=bool)),
                          (f" that waited longer than the calibration's median wait ({median:.3g} minutes)",
                           wait[after] > median)):
        w, y = wait[after][inside], good[after][inside]
        p = satisfied(a, b, w)
        gradient = np.array([np.sum(p * (1 - p)), np.sum(p * (1 - p) * log_wait(w))])
        se = math.sqrt(float(np.sum(p * (1 - p))) + max(float(gradient @ covariance @ gradient), 0.0))
        found.append(Outcome(f"satisfied contacts of the {w.size:,} after the cut-off{words}", float(p.sum()),
                             float(y.sum()), se))
    return tuple(found), ""
