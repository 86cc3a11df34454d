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
contact against the walk-aways that happened. The buying effects, contacts, shares and durations are not
predicted (``n/a`` in the review). The cut-off is ``cxroi fit customers``' (``--cutoff``, by default a third of
the history before the as-of day, :func:`sim.fit.reports.cutoff_or_default`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.fit import joint_churn
from sim.fit.support import build_panel, fit_segments, last_complete_month, month_index


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
    """(per segment its held-out outcomes, why there is none): the checked data of :func:`sim.fit.support.checked_data`,
    the calibration fitted on the complete months up to ``cutoff``, predicting those up to ``as_of``."""
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
        found[name] = SupportHoldout(outcomes(fit.churn, h, panel.bad[rows][counted], panel.ended[rows][counted]),
                                     day, int(last - cut))
    return found, "; ".join(problems)


def outcomes(churn, h, bad, ended) -> dict[str, Outcome]:
    """The held-out churn by the month before's experience and in all, and the walk-aways, as predicted by the
    calibration ``churn`` (a :class:`sim.fit.joint_churn.JointChurn`) on the histories ``h`` (their counted months).

    Each prediction's standard error is the outcome's binomial noise and, to first order, the calibration's: its mean
    churn known to a relative error from the written mix's covariance (which carries the effects' own), and in the
    months after a bad (good) contact the multiplier's log-scale error too (it moves the whole prediction with it)."""
    table = joint_churn.churn_by_tenure(churn, h)
    written = churn.written
    if churn.homogeneous:
        relative = float(np.sqrt(max(written.covariance[0, 0], 0.0))) / written.value("p")
    else:
        a, b = written.value("alpha"), written.value("beta")
        gradient = np.array([b, -a]) / (a + b) ** 2
        relative = float(np.sqrt(max(gradient @ written.covariance[:2, :2] @ gradient, 0.0))) / (a / (a + b))
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
