"""The holdout check of ``cxroi fit support``: fitted on the months up to a cut-off, does it predict the churn after it?

The support model is fitted again, the same way (:func:`sim.fit.support.fit_segments`: the designs, the rule's
effects, the joint churn fit), on the calendar months up to the cut-off's last complete month. Then each customer's
months after it -- those active at the cut-off and those who joined later -- are replayed with the experiences they
had: the calibration's written churn mix, churn multipliers and durations give each month's churn probability
given the customer's experiences and survival so far (:func:`sim.fit.joint_churn.churn_by_tenure`), summed into the
churn the model predicts

* in months after a bad contact (the churn increase while negative),
* in months after a good contact (the churn reduction while positive),
* in all months (the neutral customers' churn mix with the effects),

against the churn that happened (walk-aways apart), and the calibration's walk-away times the months with a bad
contact against the walk-aways that happened. With orders, the buying effects are checked each customer against
themselves (:func:`buying`): given a customer's purchases in their held-out months, the share the written effects
put in the months after a bad (good) contact against the purchases made there. The calibration's contacts, good and
bad shares, durations and response curve predict the months after the cut-off too (:mod:`sim.fit.support_checks`:
contacts per customer-month and the months without one, the good and bad contacts, the churn and purchases two or
more months after a contact given the month right after one, the satisfied contacts by their waits; the last under
the key ``None``, as the curve is all segments'). The cut-off is ``cxroi fit customers``' (``--cutoff``, by default
a third of the history before the as-of day, :func:`sim.fit.reports.cutoff_or_default`), checked before the main
fit (:func:`sim.fit.support_report.support_report`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.fit import causal, joint_churn
from sim.fit import support_checks as checks
from sim.fit.support import BAD, GOOD, build_panel, fit_segments, last_complete_month, month_index


@dataclass(frozen=True)
class Outcome:
    """One predicted quantity of the held-out months: prediction, what happened, the prediction's standard error."""

    what: str
    predicted: float
    actual: float
    se: float


@dataclass(frozen=True)
class SupportHoldout:
    """A segment's held-out outcomes by the input they check (``churn``, ``negative_churn_increase``,
    ``positive_churn_reduction``, ``walk_away``), the cut-off month's last day and the months held out."""

    outcomes: dict
    cutoff: pd.Timestamp
    months: int


def support_holdout(people: pd.DataFrame, table: pd.DataFrame, order_codes, order_times, *, cutoff: pd.Timestamp,
                    as_of: pd.Timestamp) -> tuple[dict[str, SupportHoldout], str]:
    """(per segment its held-out outcomes, and under ``None`` the response curve's; why there is none): the checked
    data of :func:`sim.fit.support.checked_data`, the calibration fitted on the complete months up to ``cutoff``,
    predicting those up to ``as_of``. An outcome is an :class:`Outcome`, a tuple of them (an input checked by
    several: the review's check is the worst), or a string saying why there is none."""
    cut, last = last_complete_month(cutoff), last_complete_month(as_of)
    if cut >= last:
        return {}, f"no complete month after the cut-off {pd.Timestamp(cutoff):%Y-%m-%d} to predict"
    try:
        calibration = fit_segments(people, table, order_codes, order_times, cut, cut=True)
    except ScenarioError as error:
        return {}, "; ".join(p.message for p in error.problems)
    panel = build_panel(people, table, order_codes, order_times, last)
    first = month_index(people["start"].to_numpy())
    calendar = first[panel.customer] + panel.tenure
    segment = people["segment"].to_numpy()[panel.customer]
    ticket_segment = people["segment"].to_numpy()[table["code"].to_numpy()]
    ticket_month = month_index(table["opened"].to_numpy())
    day = (pd.Timestamp("1970-01-01") + pd.DateOffset(months=cut + 1)) - pd.Timedelta(days=1)
    found, problems = {}, []
    for name, fit in calibration.items():
        if fit.churn is None:
            problems.append(f"segment {name}: {fit.churn_problem}" if len(calibration) > 1 else fit.churn_problem)
            continue
        rows = segment == name
        counted = calendar[rows] > cut
        h = joint_churn.histories(panel.customer[rows], panel.tenure[rows], panel.bad[rows], panel.good[rows],
                                  panel.ended[rows], counted)
        held = outcomes(fit.churn, h, panel.bad[rows][counted], panel.ended[rows][counted])
        buying_after = None
        if panel.purchases is not None:
            keep = np.flatnonzero(rows)[counted]
            held.update(buying(fit, panel.customer[keep], panel.purchases[keep], panel.since[keep], panel.last[keep],
                               panel.ended[keep] & (panel.bad[keep] == 0)))
            kept = keep[~(panel.ended[keep] & (panel.bad[keep] == 0))]
            buying_after = (panel.customer[kept], panel.purchases[kept], panel.since[kept], panel.last[kept])
        held.update(support_outcomes(fit, panel, rows & (calendar <= cut), rows & (calendar > cut), table,
                                     ticket_segment == name, ticket_month, cut, last))
        for key, kind in (("negative_duration", BAD), ("positive_duration", GOOD)):
            held[key] = checks.duration_outcomes(fit, kind, h, buying_after)
        found[name] = SupportHoldout(held, day, int(last - cut))
    response, why = checks.response_outcomes(table, cut, last)
    found[None] = SupportHoldout({"response": response or why}, day, int(last - cut))
    return found, "; ".join(problems)


def support_outcomes(fit, panel, before, after, table, tickets, ticket_month, cut: int, last: int) -> dict:
    """The calibration ``fit``'s contacts (per customer-month and months without one) and good and bad shares
    against the customer-months (``before``, ``after``: rows of ``panel``) and tickets (``tickets``: the segment's)
    after the cut-off (:mod:`sim.fit.support_checks`)."""
    stayed = ~(panel.ended & (panel.bad == 0))  # as the contact fit: a customer who leaves at a month's start contacts no one
    b, a = before & stayed, after & stayed
    found = {"contacts": checks.contact_outcomes(fit, panel.customer[b], panel.contacts[b], panel.customer[a],
                                                 panel.contacts[a])}
    code, experience = table["code"].to_numpy(), table["experience"].to_numpy()
    tb, ta = tickets & (ticket_month <= cut), tickets & (ticket_month > cut) & (ticket_month <= last)
    for key, kind in (("good", GOOD), ("bad", BAD)):
        found[key] = checks.share_outcome(key, fit.estimates[key].value, code[tb], experience[tb] == kind, code[ta],
                                          experience[ta] == kind)
    return found


def outcomes(churn, h, bad, ended) -> dict[str, Outcome]:
    """The held-out churn by the month before's experience and in all, and the walk-aways, as predicted by the
    calibration ``churn`` (a :class:`sim.fit.joint_churn.JointChurn`) on the histories ``h`` (their counted months).

    Each prediction's standard error is the outcome's binomial noise and, to first order, the calibration's: its mean
    churn known to a relative error from the written mix's covariance (which carries the effects' own), and in the
    months after a bad (good) contact the multiplier's log-scale error too (it moves the whole prediction with it)."""
    table = joint_churn.churn_by_tenure(churn, h)
    relative = relative_churn_error(churn)
    found = {}
    for key, row, extra, words in (("negative_churn_increase", joint_churn.BAD, churn.held_se[1], " that follow a bad contact"),
                                   ("positive_churn_reduction", joint_churn.GOOD, churn.held_se[0], " that follow a good contact"),
                                   ("churn", None, 0.0, "")):
        at_risk, churned, expected, variance = table["after"].sum(axis=0) if row is None else table["after"][row]
        error = np.hypot(relative, extra) * expected
        found[key] = Outcome(f"customers churning (walk-aways apart) in the {at_risk:,.0f} customer-months after the "
                             f"cut-off{words}", float(expected), float(churned), float(np.sqrt(variance + error ** 2)))
    w, low, high = churn.walk_away
    n = int((bad > 0).sum())
    se_w = (high - low) / (2 * joint_churn.Z95)
    walked = int((ended & (bad > 0)).sum())
    found["walk_away"] = Outcome(f"walk-aways in the {n:,} customer-months after the cut-off with a bad contact",
                                 n * w, float(walked), float(np.sqrt(n * w * (1 - w) + (n * se_w) ** 2)))
    return found


def relative_churn_error(churn) -> float:
    """The written mix's mean churn's relative standard error (delta method on its covariance, which carries the
    effects' own)."""
    written = churn.written
    if churn.homogeneous:
        return float(np.sqrt(max(written.covariance[0, 0], 0.0))) / written.value("p")
    a, b = written.value("alpha"), written.value("beta")
    gradient = np.array([b, -a]) / (a + b) ** 2
    return float(np.sqrt(max(gradient @ written.covariance[:2, :2] @ gradient, 0.0))) / (a / (a + b))


def written_ratio(fit, key: str) -> tuple[float, float]:
    """(rate ratio, its log-scale standard error) of the experience effect ``key`` as written: the design the rule
    picks; (1, 0) when none is written (the effect is then none)."""
    design = causal.choose(fit.designs, key) if fit.designs else None
    ratio = design.ratios.get(key) if design is not None else None
    if ratio is None or not (0 < ratio.low <= ratio.value <= ratio.high < math.inf):
        return 1.0, 0.0
    return float(ratio.value), (math.log(ratio.high) - math.log(ratio.low)) / (2 * joint_churn.Z95)


def buying(fit, customer, purchases, since, last, churned) -> dict[str, Outcome]:
    """The buying effects' holdout, each customer against themselves (as the self-controlled design, so that their
    own purchase rate cancels): a held-out month's purchases are Poisson with the customer's rate times the written
    multiplier expected in it -- ``1 + (m - 1) s^(k - 1)`` in the k-th month after a bad (good) contact, ``s`` the
    chance of staying in the state a month (1 - 1 / duration) -- so, given the customer's purchases over their
    held-out months, those in the months after a bad (good) contact are binomial with the share of the expected
    multipliers in them. Months a customer churned at the start of (and so bought nothing) are left out.

    The standard error is that binomial's and the written multiplier's own (its log-scale error moves the
    prediction: the change at ``m exp(+-se)``, halved)."""
    keep = ~churned
    customer, purchases, since, last = customer[keep], purchases[keep].astype(float), since[keep], last[keep]
    durations = {BAD: fit.estimates["negative_duration"].value, GOOD: fit.estimates["positive_duration"].value}
    written = {BAD: written_ratio(fit, "negative_drop"), GOOD: written_ratio(fit, "positive_uplift")}
    codes, customer = np.unique(customer, return_inverse=True)
    total = np.bincount(customer, weights=purchases, minlength=codes.size)

    def predicted(kind, factor):
        g = np.ones(since.size)
        for k, (m, _) in written.items():
            m = m * factor if k == kind else m
            stay = 1.0 - 1.0 / durations[k]
            after = (last == k) & (since >= 1)
            g[after] = 1.0 + (m - 1.0) * stay ** (since[after] - 1.0)
        inside = (last == kind) & (since >= 1)
        share = np.bincount(customer, weights=g * inside, minlength=codes.size) / \
            np.maximum(np.bincount(customer, weights=g, minlength=codes.size), 1e-300)
        return float(total @ share), float(total @ (share * (1.0 - share))), float(purchases @ inside), int(inside.sum())

    found = {}
    for key, kind, words in (("negative_drop", BAD, "bad"), ("positive_uplift", GOOD, "good")):
        value, noise, actual, months = predicted(kind, 1.0)
        se = written[kind][1]
        moved = abs(predicted(kind, math.exp(se))[0] - predicted(kind, math.exp(-se))[0]) / 2.0
        found[key] = Outcome(f"purchases in the {months:,} customer-months after the cut-off that follow a {words} "
                             f"contact, given each customer's purchases after it", value, actual,
                             float(np.sqrt(noise + moved ** 2)))
    return found
