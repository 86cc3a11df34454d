"""The model review before the memo: per fitted input, how far its fit can be trusted.

As Meridian runs its review checks before a report, every ``cxroi fit`` report is
reviewed before its inputs reach a scenario. Per input it writes (a churn mix, a
purchase rate, an experience effect) four checks, each ``ok``, ``warn``, ``fail``
or ``n/a`` with one sentence saying why:

* **holdout** -- fitted on the history up to the cut-off, does the model predict
  what happened after it (customers still renewing, purchases, spend; support's
  inputs: :mod:`sim.fit.support_holdout`, :mod:`sim.fit.support_checks`)? A miss is judged
  against its noise *and* its size (:func:`holdout_check`): ``ok`` within two
  standard errors or within :data:`CLOSE`, ``fail`` beyond three standard errors
  and :data:`FAR`, ``warn`` between.
* **predictive** -- a parametric predictive check of the data's own summaries:
  the fitted model's expected counts against the observed ones (churned per
  period of tenure; customers by number of purchases; customers' mean spend
  and each one's first repeat purchase's share of their repeat spend,
  :mod:`sim.fit.spend_checks`; support's contacts, shares, effects' decay and
  response curve, :mod:`sim.fit.support_checks`), Pearson's chi-square
  with the fitted parameters' degrees of freedom taken off, judged by its
  p-value *and* the largest gap in percentage points (:func:`predictive_check`):
  a huge company rejects any model by a hair, which is not worth a warning.
* **estimate** -- whether an estimate sits at the edge of what it allows (the
  fit ran to its boundary), its 95 % interval is degenerate (one point, or not
  finite: the run would treat it as known), or it is so wide the data barely
  pin it down (:func:`estimate_check`).
* **designs** -- for support's experience effects, whether the causal designs
  (:mod:`sim.fit.causal`) disagree beyond their intervals, so their assumptions
  cannot all hold (:func:`designs_check`).

The verdict of an input is its worst status (``n/a`` counts as nothing). A
pilot's review is :mod:`sim.fit.pilot_review`. The review is data: the shell
prints it, puts it under ``"review"`` in ``--json``, writes it as ``review.json`` in a fit's ``--out``
folder and, with ``--into``, as the scenario's ``[review."<input>"]`` tables
(:meth:`Review.updates`; validated by :class:`sim.model.scenario.InputReview`),
from which ``cxroi run --memo`` writes "How much to trust the inputs".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import betaln, gammaln

from sim.fit.checks import Homogeneous
from sim.fit.scenario_edit import InputUpdate
from sim.model.scenario import REVIEW_CHECKS

OK, WARN, FAIL, NA = "ok", "warn", "fail", "n/a"
RANK = {NA: -1, OK: 0, WARN: 1, FAIL: 2}

CLOSE, FAR = 0.05, 0.15
"""Holdout: a prediction within CLOSE (5 %) of what happened is ok whatever the noise; one beyond FAR (15 %) and
three standard errors fails."""
P_WARN, P_FAIL = 0.01, 0.001
"""Predictive check: p-values below which the fitted model's counts differ from the data's (warn, fail) ..."""
GAP_OK_PP, GAP_FAIL_PP = 1.0, 5.0
"""... provided the largest gap is above GAP_OK_PP percentage points (fail: above GAP_FAIL_PP too)."""
MIN_EXPECTED = 5.0
"""Cells of a chi-square with fewer expected counts are pooled with their neighbour."""
WIDE = 100.0
"""An interval spanning more than this factor (high / low) is one the data barely pin down."""


@dataclass(frozen=True)
class Check:
    """One check of one input: its status (ok, warn, fail, n/a) and a sentence saying why."""

    status: str
    reason: str

    @property
    def text(self) -> str:
        """'warn: ...': the form the scenario's [review] tables keep."""
        return f"{self.status}: {self.reason}"


@dataclass(frozen=True)
class InputReview:
    """The checks of one fitted input (``path``: a scenario path such as ``segments.retail.churn_mix``)."""

    path: str
    checks: dict

    @property
    def verdict(self) -> str:
        return worst(c.status for c in self.checks.values())


@dataclass(frozen=True)
class Review:
    """A fit's review: what was fitted (``fit``: command, file, day) and each input's checks."""

    fit: str
    inputs: tuple

    @property
    def verdict(self) -> str:
        return worst(i.verdict for i in self.inputs)

    def as_dict(self) -> dict:
        """review.json: the fit, the verdict and per input its verdict and checks."""
        return {"fit": self.fit, "verdict": self.verdict, "checks": list(REVIEW_CHECKS),
                "inputs": {i.path: {"verdict": i.verdict, **{name: {"status": c.status, "reason": c.reason}
                                                              for name, c in i.checks.items()}} for i in self.inputs}}

    def updates(self) -> list[InputUpdate]:
        """The scenario's ``[review."<input>"]`` tables (``fit`` and one 'status: reason' text per check)."""
        return [InputUpdate(f"review.{i.path}", {"fit": self.fit, **{name: c.text for name, c in i.checks.items()}})
                for i in self.inputs]


def worst(statuses) -> str:
    """The worst status (fail > warn > ok); ok when every check is n/a."""
    found = max((RANK[s] for s in statuses), default=0)
    return {v: k for k, v in RANK.items()}[max(found, 0)]


def fit_words(command: str, files: list[str], today: date | None = None) -> str:
    """'cxroi fit customers on customers.csv, fitted 2026-12-06': what a review entry says was fitted."""
    from pathlib import PurePath

    return f"cxroi fit {command} on {', '.join(PurePath(f).name for f in files)}, fitted {today or date.today():%Y-%m-%d}"


# --- the checks ---------------------------------------------------------------------------------------------------


def holdout_check(what: str, predicted: float, actual: float, se: float) -> Check:
    """A holdout's prediction against what happened: ok within two standard errors ``se`` or :data:`CLOSE`, fail
    beyond three and :data:`FAR`, warn between; ``what`` names the quantity ('customers renewing ...').

    ``se`` is the prediction's: the outcome's own noise and, to first order, the calibration fit's -- its mean
    (churn, purchase rate) known only to a relative standard error, which moves the whole prediction with it
    (:func:`relative_error`)."""
    if not (math.isfinite(predicted) and math.isfinite(actual)):
        return Check(WARN, f"the holdout gave no finite prediction of {what}")
    off = (predicted - actual) / actual if actual > 0 else (math.inf if predicted > 0 else 0.0)
    z = (predicted - actual) / se if se > 0 else (0.0 if predicted == actual else math.inf)
    said = f"{what}: {predicted:,.0f} predicted, {actual:,.0f} happened ({_signed_percent(off)})"
    if abs(z) <= 2 or abs(off) <= CLOSE:
        return Check(OK, f"{said}, within {'the noise' if abs(z) <= 2 else f'{CLOSE:.0%}'}")
    if abs(z) > 3 and abs(off) > FAR:
        return Check(FAIL, f"{said}: the model misses the unseen history by more than {FAR:.0%} and {abs(z):.1f} "
                           f"standard errors, so it does not describe these customers")
    return Check(WARN, f"{said}: more than its noise ({abs(z):.1f} standard errors)")


def predictive_check(what: str, observed, expected, parameters: int, gap_pp: float, variance=None,
                     unit: str = "percentage points") -> Check:
    """Observed against the fitted model's expected counts, Pearson's chi-square judged by its p-value and the
    largest gap ``gap_pp`` in percentage points of the quantity the cells make (survival, share of customers).

    Cells are pooled with their neighbours until each expects :data:`MIN_EXPECTED`. Without ``variance`` the cells
    are one multinomial (customers by number of purchases: cells - 1 - ``parameters`` degrees of freedom); with it,
    independent binomial counts (churned per period of tenure, variance ``E (1 - h)``: cells - ``parameters``).
    ``unit`` names the gap's unit where it is not percentage points (a pilot's rates: per cent of the arm's rate;
    support's effects by months since a contact: per cent of a group's expected count)."""
    multinomial = variance is None
    observed, expected, variance = _pooled(np.asarray(observed, float), np.asarray(expected, float),
                                           np.asarray(expected if multinomial else variance, float))
    df = observed.size - parameters - (1 if multinomial else 0)
    if df < 1 or not np.all(variance > 0):
        return Check(NA, f"too few {what} to test the fit's shape ({observed.size} cells for {parameters} parameters)")
    statistic = float(np.sum((observed - expected) ** 2 / variance))
    p = float(stats.chi2.sf(statistic, df))
    said = f"{what}: chi-square {statistic:.1f} on {df} df (p {_p(p)}), largest gap {gap_pp:.1f} {unit}"
    if p >= P_WARN or gap_pp <= GAP_OK_PP:
        return Check(OK, f"{said}; the fitted model reproduces the data")
    if p < P_FAIL and gap_pp > GAP_FAIL_PP:
        return Check(FAIL, f"{said}: the fitted model does not reproduce the data's own summary")
    return Check(WARN, f"{said}: the data depart from the fitted model's shape")


def _pooled(observed: np.ndarray, expected: np.ndarray, variance: np.ndarray):
    """Adjacent cells merged until each expects at least :data:`MIN_EXPECTED` (a short last one into the one before)."""
    found = pool_adjacent(np.column_stack([observed, expected, variance]), lambda cell: cell[1] >= MIN_EXPECTED)
    return found[:, 0], found[:, 1], found[:, 2]


def pool_adjacent(rows: np.ndarray, enough) -> np.ndarray:
    """Adjacent rows of ``rows`` (cells by columns; column 1 the expected count or exposure) summed, in order, until
    ``enough(sums)`` holds; a short last one with any of column 1 joins the one before. (cells, columns)."""
    cells, running = [], np.zeros(rows.shape[1])
    for row in rows:
        running = running + row
        if enough(running):
            cells.append(running)
            running = np.zeros(rows.shape[1])
    if running[1] > 0 and cells:
        cells[-1] = cells[-1] + running
    elif running[1] > 0:
        cells = [running]
    return np.asarray(cells, float).reshape(-1, rows.shape[1])


def estimate_check(name: str, value: float, low: float, high: float, *, lower: float = 0.0, upper: float = math.inf,
                   positive: bool = False) -> Check:
    """An estimate and its 95 % interval against the edges of what it allows (``lower``, ``upper``; ``positive``:
    strictly above ``lower``): fail for a degenerate interval, warn at an edge or for an interval spanning more
    than a factor of :data:`WIDE`."""
    if not all(math.isfinite(x) for x in (value, low, high)):
        return Check(FAIL, f"{name}: its 95 % interval is not finite ({_n(low)} to {_n(high)}), so the data do not "
                           f"bound it; it must not be used as an estimate")
    if high - low <= 1e-12 * max(abs(value), 1.0):
        return Check(FAIL, f"{name}: its 95 % interval is the single point {_n(low)}, which says nothing about its "
                           f"uncertainty (a run would treat it as known); it must not be used as an estimate")
    for edge, words in ((lower, "lowest"), (upper, "highest")):
        if math.isfinite(edge) and abs(value - edge) <= 1e-9 * max(abs(edge), 1.0):
            return Check(WARN, f"{name}: the estimate {_n(value)} sits at {_n(edge)}, the {words} value allowed: the fit "
                               f"ran to its boundary, so its interval understates the doubt")
    if (positive or lower > 0) and low > 0 and high / low > WIDE:
        return Check(WARN, f"{name}: its 95 % interval {_n(low)} to {_n(high)} spans a factor of {high / low:,.0f}: the "
                           f"data barely pin it down")
    return Check(OK, f"{name} {_n(value)} (95 % {_n(low)} to {_n(high)}) is inside what it allows")


def combined(checks: list[Check]) -> Check:
    """Several parameters' checks of one input as one: the worst, or all ok in one sentence."""
    bad = [c for c in checks if RANK[c.status] > RANK[OK]]
    if bad:
        top = max(bad, key=lambda c: RANK[c.status])
        return Check(top.status, "; ".join(c.reason for c in bad))
    return Check(OK, "; ".join(c.reason for c in checks))


def designs_check(fit, key: str) -> Check:
    """Support's experience effect ``key`` across the causal designs of ``fit`` (a :class:`sim.fit.support.SupportFit`):
    fail when two causal designs' intervals do not overlap, warn when only the naive regression gives an estimate
    or when the congestion instrument's contrast (:func:`sim.fit.causal.congestion_instrument`) is outside the range
    the written effects imply. The naive regression differing from the designs is what confounding does, which
    the designs remove: said, not flagged."""
    from sim.fit import causal

    clashes = [(a, b) for k, a, b in causal.disagreements(fit.designs) if k == key and causal.NAIVE not in (a, b)]
    if clashes:
        a, b = clashes[0]
        ra, rb = (next(d for d in fit.designs if d.name == n).ratios[key] for n in (a, b))
        return Check(FAIL, f"the {a} and {b} designs disagree beyond their intervals (rate ratio {ra.value:.3g}, 95 % "
                           f"{ra.low:.3g} to {ra.high:.3g}, against {rb.value:.3g}, {rb.low:.3g} to {rb.high:.3g}): their "
                           f"assumptions cannot all hold, so the effect is not settled; a pilot settles it")
    chosen = causal.choose(fit.designs, key) if fit.designs else None
    if chosen is None:
        return Check(WARN, "no causal design gives an informative estimate, so nothing rules out confounding")
    if chosen.name == causal.NAIVE:
        return Check(WARN, "only the naive regression gives an informative estimate: it assumes no confounding at all")
    others = [d.name for d in fit.designs if d is not chosen and d.name != causal.NAIVE and key in d.ratios
              and math.isfinite(d.ratios[key].low)]
    ratio = chosen.ratios[key]
    agree = f"; the {' and '.join(others)} design{'s' if len(others) > 1 else ''} agree{'' if len(others) > 1 else 's'} " \
            f"within the intervals" if others else ""
    naive = any(causal.NAIVE in (a, b) for k, a, b in causal.disagreements(fit.designs) if k == key)
    differs = "; the naive regression differs beyond its interval, which is confounding the design removes" if naive else ""
    status, instrument = instrument_words(fit, causal.EFFECTS[key][0])
    instrument = f"; {instrument}" if instrument else ""
    return Check(status, f"the {chosen.name} design is written (E-value {ratio.e_value:.2f}){agree}{differs}{instrument}")


def instrument_words(fit, outcome: str) -> tuple[str, str]:
    """(status, clause) of the congestion instrument for ``outcome``: whether its contrast falls in the range the
    written effects imply (ok), not (warn), or why there is nothing to compare (ok)."""
    from sim.fit import causal

    found = getattr(fit, "instrument", None)
    if found is None:
        return OK, ""
    if isinstance(found, str):
        return OK, f"the {causal.INSTRUMENT} {found}"
    contrast = found.get(outcome)
    implied = causal.implied_contrast(fit, outcome, contrast) if contrast is not None else None
    if implied is None:
        return OK, f"the {causal.INSTRUMENT} has no written pair of effects on {outcome} to check"
    value, low, high = implied
    unit = "a month" if outcome == "churn" else "purchases a month"
    said = (f"a satisfying rather than an unsatisfying contact changes next month's {outcome} by {_n(contrast.value)} "
            f"{unit} (95 % {_n(contrast.low)} to {_n(contrast.high)}) by the {causal.INSTRUMENT}, against "
            f"{_n(value)} ({_n(low)} to {_n(high)}) implied by the written effects")
    if contrast.high < low or contrast.low > high:
        return WARN, f"{said}: they disagree, so the designs' or the instrument's assumptions fail"
    return OK, f"{said}: they agree"


# --- per fit command ----------------------------------------------------------------------------------------------


NOT_CAUSAL = Check(NA, "describes the company's customers; it makes no causal claim")


def review_customers(report, fit: str) -> Review:
    """The review of ``cxroi fit customers`` (a :class:`sim.fit.customers_report.CustomersReport`): per segment
    its churn input (churn_mix, or the geometric churn of alike customers)."""
    from sim.fit.scenario_inputs import PER_PERIOD_CHURN

    inputs = []
    for segment in report.segments:
        key = PER_PERIOD_CHURN[report.period] if segment.homogeneous else "churn_mix"
        checks = {"holdout": _churn_holdout(segment, report.facts),
                  "predictive": _churn_predictive(segment, report.period),
                  "estimate": _churn_estimate(segment.fit, report.period),
                  "designs": NOT_CAUSAL}
        inputs.append(InputReview(f"segments.{segment.target}.{key}", checks))
    return Review(fit, tuple(inputs))


def _churn_holdout(segment, facts: dict) -> Check:
    holdout = segment.holdout
    if holdout is None:
        if facts.get("holdout_problem"):
            return Check(WARN, f"the holdout could not be fitted: {facts['holdout_problem']}")
        why = "customers do not differ, and the holdout refits the sBG" if segment.homogeneous else \
            "no holdout was run (--no-holdout, or too short a history)"
        return Check(NA, why)
    n, predicted = holdout.renewed_at_cutoff, holdout.predicted_renewing
    share = min(max(predicted / n, 0.0), 1.0) if n else 0.0
    fit = holdout.fit
    mean = fit.alpha / (fit.alpha + fit.beta)
    gradient = np.array([fit.beta, -fit.alpha]) / (fit.alpha + fit.beta) ** 2
    parameters = (n - predicted) * relative_error(fit.estimates, gradient, mean)  # those leaving scale with mean churn
    se = math.sqrt(n * share * (1.0 - share) + parameters ** 2)
    return holdout_check(f"of {n:,} customers renewing at the cut-off, those renewing to the end", predicted,
                         holdout.actual_renewing, se)


def relative_error(estimates, gradient: np.ndarray, value: float) -> float:
    """Relative standard error of a function of two estimates with this ``gradient`` (the delta method)."""
    covariance = estimates.covariance[:2, :2]
    variance = float(gradient @ covariance @ gradient)
    return math.sqrt(max(variance, 0.0)) / value if value > 0 and math.isfinite(variance) else 0.0


def churn_counts(table: pd.DataFrame, hazard) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(observed churned, expected churned, their binomial variance, largest survival gap in pp) per period of a
    survival table (period, at_risk, churned, observed) under the fitted per-period ``hazard(t)``."""
    t = table["period"].to_numpy()
    h = hazard(t)
    expected = table["at_risk"].to_numpy(float) * h
    fitted = np.cumprod(1.0 - h)
    gap = float(np.max(np.abs(fitted - table["observed"].to_numpy()))) * 100.0 if len(table) else 0.0
    return table["churned"].to_numpy(float), expected, expected * (1.0 - h), gap


def _churn_predictive(segment, period: str) -> Check:
    fit = segment.fit
    if segment.homogeneous:
        hazard, parameters = (lambda t: np.full(np.shape(t), fit.estimate)), 1
    else:
        hazard, parameters = (lambda t: 1.0 - fit.retention_rate(t)), 2
    table = segment.table
    if "at_risk" not in table:
        return Check(NA, "a survivor table's cohort has no per-customer tenure to test")
    observed, expected, variance, gap = churn_counts(table, hazard)
    return predictive_check(f"customers churning per {period} of tenure", observed, expected, parameters, gap, variance)


def _churn_estimate(fit, period: str) -> Check:
    if isinstance(fit, Homogeneous):
        check = estimate_check(f"churn per {period}", fit.estimate, fit.low, fit.high, upper=1.0)
        if check.status == OK:
            return Check(OK, check.reason + "; customers look alike, so the sBG's limit, one churn rate, is written")
        return check
    return combined([estimate_check(name, *_interval(fit.estimates, name), positive=True) for name in ("alpha", "beta")])


def _interval(estimates, name: str) -> tuple[float, float, float]:
    value = estimates.value(name)
    try:
        low, high = estimates.interval(name)
    except (ValueError, FloatingPointError, ZeroDivisionError):
        low = high = math.nan
    return value, low, high


def review_orders(report, fit: str) -> Review:
    """The review of ``cxroi fit orders`` (a :class:`sim.fit.orders_report.OrdersReport`): per segment its
    purchases (purchase_mix with dropout_mix, or the Poisson rate) and value per purchase."""
    result = report.result
    inputs = []
    for name, purchases in result.segments.items():
        segment = report.targets[name]
        homogeneous = isinstance(purchases, Homogeneous)
        holdout = _orders_holdout(result, name)
        predictive = _orders_predictive(result, name, purchases, report.period)
        if homogeneous:
            checks = {"holdout": holdout, "predictive": predictive,
                      "estimate": estimate_check(f"purchases per {report.period}", purchases.estimate, purchases.low,
                                                 purchases.high, positive=True),
                      "designs": NOT_CAUSAL}
            inputs.append(InputReview(f"segments.{segment}.purchases", checks))
        else:
            names = ("r", "alpha") + (() if result.contractual else ("a", "b"))
            estimate = combined([estimate_check(n, *_interval(purchases.estimates, n), positive=True) for n in names])
            checks = {"holdout": holdout, "predictive": predictive, "estimate": estimate, "designs": NOT_CAUSAL}
            inputs.append(InputReview(f"segments.{segment}.purchase_mix", checks))
            if not result.contractual:
                inputs.append(InputReview(f"segments.{segment}.dropout_mix", checks))
        spend = result.spend.get(name)
        if spend is not None:
            low, high = spend.mean_spend_interval()
            found = getattr(report, "spend_review", {}).get(name, {})
            checks = {"holdout": found.get("holdout", Check(NA, "no holdout was run (--no-holdout)")),
                      "predictive": found.get("predictive", Check(NA, "the fit kept no orders to test")),
                      "estimate": estimate_check("mean spend per purchase", spend.mean_spend, low, high, positive=True),
                      "designs": NOT_CAUSAL}
            inputs.append(InputReview(f"segments.{segment}.value_per_purchase", checks))
    return Review(fit, tuple(inputs))


def _orders_holdout(result, name: str) -> Check:
    if name not in result.holdout:
        if result.holdout_problem:
            return Check(WARN, f"the holdout could not be fitted: {result.holdout_problem}")
        return Check(NA, "no holdout was run (--no-holdout)")
    table = result.holdout[name]
    groups = table[table["group"] != "all"]
    total = table[table["group"] == "all"].iloc[0]
    predicted, actual = float(total["predicted_total"]), float(total["actual_total"])
    fit = result.segments[name]
    r = getattr(fit, "r", math.inf)
    # a customer's holdout purchases are negative binomial given their history: variance m + m^2 / (r + x)
    x = np.array([float(g.rstrip("+")) for g in groups["group"]])
    mean = groups["predicted_mean"].to_numpy(float)
    variance = float(np.sum(groups["customers"].to_numpy(float) * (mean + mean ** 2 / (r + x))))
    held = getattr(result, "held", {}).get(name)
    if isinstance(held, Homogeneous):
        relative = held.se / held.estimate if held.estimate > 0 else 0.0
    elif held is not None:  # the mean rate r / alpha of the calibration fit (r, alpha come first in every fit)
        r0, a0 = held.estimates.values[:2]
        relative = relative_error(held.estimates, np.array([1.0 / a0, -r0 / a0 ** 2]), r0 / a0)
    else:
        relative = 0.0
    return holdout_check(f"purchases of {int(total['customers']):,} customers after the cut-off", predicted, actual,
                         math.sqrt(max(variance, 1.0) + (relative * predicted) ** 2))


GROUPS = 8
"""Customers by purchases 0, 1, ..., 6 and 7+ (the holdout report's groups)."""


def _orders_predictive(result, name: str, purchases, period: str) -> Check:
    counts = getattr(result, "counts", {}).get(name)
    if counts is None:
        return Check(NA, "the fit kept no per-customer counts to test")
    x, t = counts["x"].to_numpy(float), counts["t"].to_numpy(float)
    keep = t > 0
    x, t = x[keep], t[keep]
    if isinstance(purchases, Homogeneous):
        pmf, parameters = poisson_pmf(purchases.estimate, t), 1
    elif result.contractual:
        pmf, parameters = nbd_pmf(purchases.r, purchases.alpha, t), 2
    else:
        pmf, parameters = bgnbd_pmf(*purchases.params, t), 4
    expected = pmf.sum(axis=0)
    observed = np.bincount(np.minimum(x, GROUPS - 1).astype(int), minlength=GROUPS).astype(float)
    gap = float(np.max(np.abs(observed - expected))) / max(x.size, 1) * 100.0
    what = "customers by number of purchases" if result.contractual else "customers by number of repeat purchases"
    return predictive_check(f"{what} (0 to {GROUPS - 2}, {GROUPS - 1}+)", observed, expected, parameters, gap)


def _with_tail(pmf: np.ndarray) -> np.ndarray:
    """Per customer P(0), ..., P(GROUPS - 2) and the rest as P(GROUPS - 1 or more)."""
    return np.column_stack([pmf, np.clip(1.0 - pmf.sum(axis=1), 0.0, 1.0)])


def poisson_pmf(rate: float, t: np.ndarray) -> np.ndarray:
    """Per customer (rows) P(X = 0..6) and P(X >= 7) of Poisson purchases at ``rate`` over exposure ``t``."""
    x = np.arange(GROUPS - 1)
    mean = rate * np.asarray(t, float)[:, None]
    return _with_tail(np.exp(x * np.log(np.maximum(mean, 1e-300)) - mean - gammaln(x + 1.0)))


def nbd_pmf(r: float, alpha: float, t: np.ndarray) -> np.ndarray:
    """The NBD's P(X(t) = x): ``Gamma(r + x) / (Gamma(r) x!) (alpha / (alpha + t))^r (t / (alpha + t))^x``."""
    x = np.arange(GROUPS - 1)
    t = np.asarray(t, float)[:, None]
    log = gammaln(r + x) - gammaln(r) - gammaln(x + 1.0) + r * np.log(alpha / (alpha + t)) + x * np.log(t / (alpha + t))
    return _with_tail(np.exp(log))


def bgnbd_pmf(r: float, alpha: float, a: float, b: float, t: np.ndarray) -> np.ndarray:
    """The BG/NBD's P(X(t) = x) of repeat purchases in (0, t] (Fader, Hardie & Lee 2005, eq. 8):
    ``B(a, b + x) / B(a, b) NBD(x; t) + [x > 0] B(a + 1, b + x - 1) / B(a, b) (1 - sum_{j < x} NBD(j; t))``."""
    x = np.arange(GROUPS - 1)
    t = np.asarray(t, float)[:, None]
    nbd = np.exp(gammaln(r + x) - gammaln(r) - gammaln(x + 1.0) + r * np.log(alpha / (alpha + t))
                 + x * np.log(t / (alpha + t)))
    below = np.cumsum(nbd, axis=1) - nbd  # sum over j < x
    alive = np.exp(betaln(a, b + x) - betaln(a, b))
    gone = np.where(x > 0, np.exp(betaln(a + 1.0, np.maximum(b + x - 1.0, 1e-300)) - betaln(a, b)), 0.0)
    return _with_tail(alive * nbd + gone * (1.0 - below))


def review_support(report, fit: str, segment_map: dict | None = None) -> Review:
    """The review of ``cxroi fit support`` (a :class:`sim.fit.support_report.SupportReport`): per input written, its
    interval against its domain and, for the experience effects, the causal designs side by side; per segment the
    neutral customers' churn of the joint fit (:mod:`sim.fit.joint_churn`) with its predictive check, the survival
    the written mix and effects imply against the data's month by month."""
    from sim.fit import causal

    segment_map = segment_map or {}
    by_segment = {segment_map.get(name, name): f for name, f in report.fits.items()}
    data_name = {segment_map.get(name, name): name for name in report.fits}
    inputs = []
    for update in report.updates:
        if not isinstance(update.spec, dict) or "low" not in update.spec:
            continue
        parts = update.path.split(".")
        key, fitted = parts[-1], by_segment.get(parts[1]) if parts[0] == "segments" else None
        spec = update.spec
        lower = spec.get("min", 0.0) if "min" in spec else (-math.inf if parts[0] == "operations" else 0.0)
        upper = spec.get("max", math.inf)
        estimate = estimate_check(key.replace("_", " "), spec["base"], spec["low"], spec["high"], lower=lower, upper=upper,
                                  positive=key.endswith("duration"))
        designs = designs_check(fitted, key) if fitted is not None and key in causal.EFFECTS else \
            Check(NA, "not an effect of an experience" if key in ("contacts", "good", "bad") or parts[0] == "operations"
                  else "naive estimate: no causal design for it yet")
        segment = data_name.get(parts[1]) if parts[0] == "segments" else None
        holdout = support_holdout_check(report, segment, key if parts[0] == "segments" else "response")
        checks = {"holdout": holdout, "predictive": support_predictive_check(report, segment, key),
                  "estimate": estimate, "designs": designs}
        inputs.append(InputReview(update.path, checks))
    for segment, fitted in by_segment.items():
        churn = getattr(fitted, "churn", None)
        if churn is not None:
            inputs.append(joint_churn_review(churn, segment, support_holdout_check(report, data_name[segment], "churn")))
    return Review(fit, tuple(inputs))


HELD_OUT = ("churn", "negative_churn_increase", "positive_churn_reduction", "walk_away", "negative_drop",
            "positive_uplift", "contacts", "good", "bad", "negative_duration", "positive_duration", "response")
"""What fit support's holdout predicts (:mod:`sim.fit.support_holdout`): churn after bad, after good and in all
months, walk-aways, (with orders) purchases after bad and after good contacts, contacts per customer-month and the
months without one, the good and bad contacts, churn and purchases two or more months after a bad (good) contact
(the durations), and the satisfied contacts by their waits (the response curve; :mod:`sim.fit.support_checks`)."""


def support_holdout_check(report, segment: str | None, key: str) -> Check:
    """The holdout check of support's input ``key`` in the data's ``segment`` (None and ``response``: the response
    curve, fitted on all segments' tickets): the calibration's prediction of the held-out months against what
    happened -- the worst of several, for an input checked by several -- or n/a with why."""
    if key not in HELD_OUT:
        return Check(NA, "the holdout does not predict this input")
    if key == "response":
        found = getattr(report, "holdout_response", None)
    else:
        held = (getattr(report, "holdout", None) or {}).get(segment)
        found = None if held is None else held.outcomes.get(key, ())
    if found is None:
        problem = getattr(report, "holdout_problem", "")
        if problem:
            return Check(WARN, f"the holdout could not be fitted: {problem}")
        return Check(NA, "no holdout was run (--no-holdout)")
    if isinstance(found, str):
        return Check(NA, f"the holdout cannot check it: {found}")
    if isinstance(found, tuple) and not found:
        if key.endswith("duration"):
            return Check(NA, "the joint churn fit of the history before the cut-off did not converge and there are no "
                             "orders, so nothing after it shows how the effect decays")
        return Check(NA, "the holdout predicts purchases only with orders (--orders)")
    parts = found if isinstance(found, tuple) else (found,)
    checks = [holdout_check(o.what, o.predicted, o.actual, o.se) for o in parts]
    return checks[0] if len(checks) == 1 else combined(checks)


WALK_AWAY_PREDICTIVE = ("walk-away is the share of months with a bad contact that end in a walk-away, which the fit "
                        "matches exactly, so that summary has nothing left to test; the churn mix's predictive check "
                        "replays it with the rest")


def support_predictive_check(report, segment: str | None, key: str) -> Check:
    """The predictive check of support's input ``key`` (:mod:`sim.fit.support_checks`), or n/a with why."""
    if key == "walk_away":
        return Check(NA, WALK_AWAY_PREDICTIVE)
    found = (getattr(report, "predictive", None) or {}).get(segment, {})
    return found.get("response" if segment is None else key, Check(NA, "no predictive check of this input"))


def joint_churn_review(churn, segment: str, holdout: Check = Check(NA, "no holdout was run (--no-holdout)")) -> InputReview:
    """The neutral customers' churn written by ``fit support`` (a :class:`sim.fit.joint_churn.JointChurn`): its
    interval against what it allows, and whether the written mix with the effects written reproduces the data's
    churn per month of tenure (:func:`joint_churn_predictive`); it makes no causal claim of its own."""
    written = churn.written
    if churn.homogeneous:
        estimate = estimate_check("churn per month", written.value("p"), *written.interval("p"), upper=1.0)
    else:
        estimate = combined([estimate_check(name, written.value(name), *written.interval(name), positive=True)
                             for name in ("alpha", "beta")])
    checks = {"holdout": holdout, "predictive": joint_churn_predictive(churn),
              "estimate": estimate,
              "designs": Check(NA, "the churn of neutral customers that goes with the effects written; it makes no "
                                   "causal claim of its own")}
    key = "monthly_churn" if churn.homogeneous else "churn_mix"
    return InputReview(f"segments.{segment}.{key}", checks)


def joint_churn_predictive(churn) -> Check:
    """The joint model's churn, as written (the mix, the churn multipliers held at the effects written, the
    durations), replayed on the data's own histories (:func:`sim.fit.joint_churn.churn_by_tenure`) against the
    customers who churned in each month of tenure (walk-aways apart): Pearson's chi-square of independent binomial
    counts and the largest gap between the data's Kaplan-Meier survival and the model's, as the other churn fits'."""
    from sim.fit.joint_churn import churn_by_tenure

    if churn.histories is None:
        return Check(NA, "the joint churn fit kept no histories to test")
    table = churn_by_tenure(churn)
    at_risk = np.maximum(table["at_risk"], 1.0)
    kaplan_meier = np.cumprod(1.0 - table["churned"] / at_risk)
    implied = np.cumprod(1.0 - table["expected"] / at_risk)
    gap = float(np.max(np.abs(kaplan_meier - implied))) * 100.0 if implied.size else 0.0
    return predictive_check("customers churning per month of tenure (walk-aways apart) against the written mix with "
                            "the effects written", table["churned"], table["expected"], 1 if churn.homogeneous else 2,
                            gap, table["variance"])


def _n(x: float) -> str:
    if not math.isfinite(x):
        return "infinite" if x > 0 else "-infinite" if x < 0 else "undefined"
    return f"{x:.3g}".replace("-", "\u2212")


def _p(p: float) -> str:
    return "< 0.0001" if p < 1e-4 else f"= {p:.2g}"


def _signed_percent(x: float) -> str:
    if not math.isfinite(x):
        return "none happened"
    return f"{x * 100:+.1f} %".replace("-", "\u2212")
