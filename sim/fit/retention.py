"""Contractual retention: the shifted-beta-geometric (sBG) model and its geometric special case.

Implements Fader, P. S. & Hardie, B. G. S. (2007), "How to project customer
retention", *Journal of Interactive Marketing* 21(1), 76-90.

Each customer has a churn probability ``theta`` per period (a month or a year
of contract), constant over their life; across customers ``theta ~
Beta(alpha, beta)``. The period in which a customer churns, ``T = 1, 2, ...``,
then has

* ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)``
* ``S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)``, the share still
  a customer after t renewals, and the retention rate
  ``r(t) = S(t) / S(t-1) = (beta + t - 1) / (alpha + beta + t - 1)``
  increases with tenure (the high-churn customers leave first).

The likelihood of individual data is a product of ``P(T = t)`` for customers
who churned in period t and ``S(k)`` for customers still active after k
renewals (right-censored). The geometric model (every customer has the same
``theta = p``) is the limit ``alpha, beta -> infinity`` with
``alpha / (alpha + beta) = p``; the likelihood-ratio test between the two says
whether heterogeneity matters.

From dates (:func:`durations`): a customer's period boundaries are
``start + 1, 2, ... periods`` (see :mod:`sim.fit.periods`). A customer with an
end date churned in the period that contains the end date, where a period
runs from just after one boundary up to and including the next: the
customer survived every boundary strictly before the end date, so
``T = (boundaries before end) + 1``. Started 2024-01-15 and ended 2024-03-20:
boundaries 02-15 and 03-15 survived, churned in period 3. Ended on 2024-03-15
itself: the 03-15 renewal did not happen, churned in period 2. Ended on the
start date: churned in period 1. A customer still active at ``as_of`` has
survived every boundary on or before ``as_of`` (censored there); so has a
customer who ended after the last boundary before ``as_of``: the churn
period is not over at ``as_of``, and is left out (see :func:`durations`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import betaln, polygamma, psi

from sim.errors import Problem, ScenarioError
from sim.fit.checks import Homogeneous, thin_data_advice
from sim.fit.mle import Estimates, NotConverged, maximise
from sim.fit.periods import whole_periods

MIN_CUSTOMERS = 10
"""Fewest customers in a segment for a retention fit."""

MIN_CHURN_EVENTS = 2
"""Fewest churn events in a segment for a retention fit."""

HOMOGENEOUS_LR = 0.01
"""An sBG that beats the geometric by less than this likelihood-ratio statistic, with alpha and beta
above 1, is taken as the homogeneous limit alpha, beta -> infinity (the optimiser only wanders along
a flat ridge towards it, stopping wherever its tolerances say)."""


# --- data: (duration, churned) per customer, tabulated into cells ---------------------------------------------


def durations(start, end, as_of, period: str) -> tuple[np.ndarray, np.ndarray]:
    """Per customer (periods observed, churned?) from start and end dates (NaT while active).

    ``duration`` is the churn period T for churned customers and the number of
    renewals survived by ``as_of`` for the others (see the module docstring
    for the rule). int64 and bool arrays, vectorised.

    Only periods complete by ``as_of`` count: a customer who churned in the
    period still running at ``as_of`` is censored after the renewals they
    made, like the active customers of that period. Counting that churn would
    bias churn upwards (the period's churners would be counted, its survivors
    so far not), by about 2.5 standard errors on 60,000 simulated customers.
    """
    start = np.asarray(start, dtype="datetime64[ns]").astype("datetime64[D]")
    end = np.asarray(end, dtype="datetime64[ns]").astype("datetime64[D]")
    ended = ~np.isnat(end)
    as_of = np.datetime64(pd.Timestamp(as_of).normalize().to_datetime64(), "D")
    complete = whole_periods(start, np.full(start.shape, as_of), period)  # periods finished by as_of
    churn_period = whole_periods(start, np.where(ended, end - np.timedelta64(1, "D"), as_of), period) + 1
    churned = ended & (churn_period <= complete)
    return np.where(churned, churn_period, complete), churned


@dataclass(frozen=True, eq=False)
class Cells:
    """Customers tabulated by outcome: ``churn_n[i]`` churned in period ``churn_t[i]``; ``cens_n[j]`` active after ``cens_k[j]`` renewals."""

    churn_t: np.ndarray
    churn_n: np.ndarray
    cens_k: np.ndarray
    cens_n: np.ndarray

    @property
    def n_customers(self) -> int:
        return int(self.churn_n.sum() + self.cens_n.sum())

    @property
    def n_churned(self) -> int:
        return int(self.churn_n.sum())

    @property
    def renewals(self) -> int:
        """Renewals observed: every period boundary some customer survived."""
        return int(np.sum(self.churn_n * (self.churn_t - 1)) + np.sum(self.cens_n * self.cens_k))


def tabulate(duration, churned) -> Cells:
    """Cells from per-customer (duration, churned); the likelihood then costs O(periods), not O(customers)."""
    duration = np.asarray(duration, dtype=np.int64)
    churned = np.asarray(churned, dtype=bool)
    churn_counts = np.bincount(duration[churned], minlength=1)
    cens_counts = np.bincount(duration[~churned], minlength=1)
    churn_t = np.flatnonzero(churn_counts)
    cens_k = np.flatnonzero(cens_counts)
    if churn_t.size and churn_t[0] < 1:
        raise ValueError("a churned customer must have a duration of at least 1 period")
    return Cells(churn_t, churn_counts[churn_t].astype(float), cens_k, cens_counts[cens_k].astype(float))


def cells_from_survivors(survivors) -> Cells:
    """Cells from a cohort's survivor table: ``survivors[t]`` customers still active after t periods (t = 0, 1, ...).

    The published form: ``survivors[0]`` customers start, ``survivors[t-1] -
    survivors[t]`` churn in period t, and the ``survivors[-1]`` still active
    are censored after ``len(survivors) - 1`` periods.
    """
    counts = np.asarray(survivors, dtype=float)
    if counts.ndim != 1 or counts.size < 2:
        raise ValueError("a survivor table needs the starting count and at least one later count")
    if np.any(np.diff(counts) > 0) or counts[-1] < 0 or np.any(counts != np.round(counts)):
        raise ValueError("survivor counts must be whole numbers that never increase")
    churn_n = -np.diff(counts)
    t = np.arange(1, counts.size)
    keep = churn_n > 0
    return Cells(t[keep], churn_n[keep], np.array([counts.size - 1]), counts[-1:])


# --- the sBG likelihood -----------------------------------------------------------------------------------------


def survival(alpha: float, beta: float, t) -> np.ndarray:
    """S(t) = B(alpha, beta + t) / B(alpha, beta): share still a customer after t renewals."""
    t = np.asarray(t, dtype=float)
    return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))


def churn_pmf(alpha: float, beta: float, t) -> np.ndarray:
    """P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta) for t >= 1: share churning in period t."""
    t = np.asarray(t, dtype=float)
    return np.exp(betaln(alpha + 1.0, beta + t - 1.0) - betaln(alpha, beta))


def sbg_loglik(params: np.ndarray, cells: Cells) -> tuple[float, np.ndarray]:
    """sBG log-likelihood and its analytic gradient in (alpha, beta)."""
    alpha, beta = params
    t, k = cells.churn_t, cells.cens_k
    base = betaln(alpha, beta)
    value = np.sum(cells.churn_n * (betaln(alpha + 1.0, beta + t - 1.0) - base)) + np.sum(cells.cens_n * (betaln(alpha, beta + k) - base))
    d_base_a = psi(alpha) - psi(alpha + beta)
    d_base_b = psi(beta) - psi(alpha + beta)
    grad_a = np.sum(cells.churn_n * (psi(alpha + 1.0) - psi(alpha + beta + t) - d_base_a)) + np.sum(
        cells.cens_n * (psi(alpha) - psi(alpha + beta + k) - d_base_a)
    )
    grad_b = np.sum(cells.churn_n * (psi(beta + t - 1.0) - psi(alpha + beta + t) - d_base_b)) + np.sum(
        cells.cens_n * (psi(beta + k) - psi(alpha + beta + k) - d_base_b)
    )
    return float(value), np.array([grad_a, grad_b])


def sbg_hessian(params: np.ndarray, cells: Cells) -> np.ndarray:
    """Analytic Hessian of the sBG log-likelihood in (alpha, beta), from trigamma functions.

    Uses d2 ln B(a, b)/da2 = psi1(a) - psi1(a+b), d2/db2 = psi1(b) - psi1(a+b),
    d2/da db = -psi1(a+b); kept as an independent check of the numerical
    Hessian in :mod:`sim.fit.mle`.
    """
    alpha, beta = params
    t, k = cells.churn_t, cells.cens_k
    n_all = cells.churn_n.sum() + cells.cens_n.sum()

    def tri(x):
        return polygamma(1, x)

    base_aa = tri(alpha) - tri(alpha + beta)
    base_bb = tri(beta) - tri(alpha + beta)
    base_ab = -tri(alpha + beta)
    haa = np.sum(cells.churn_n * (tri(alpha + 1.0) - tri(alpha + beta + t))) + np.sum(cells.cens_n * (tri(alpha) - tri(alpha + beta + k)))
    hbb = np.sum(cells.churn_n * (tri(beta + t - 1.0) - tri(alpha + beta + t))) + np.sum(
        cells.cens_n * (tri(beta + k) - tri(alpha + beta + k))
    )
    hab = -np.sum(cells.churn_n * tri(alpha + beta + t)) - np.sum(cells.cens_n * tri(alpha + beta + k))
    return np.array([[haa - n_all * base_aa, hab - n_all * base_ab], [hab - n_all * base_ab, hbb - n_all * base_bb]])


# --- results ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeometricFit:
    """Homogeneous churn: every customer churns with the same probability ``p`` per period."""

    p: float
    se_p: float
    loglik: float

    def survival(self, t) -> np.ndarray:
        """S(t) = (1 - p)^t."""
        return (1.0 - self.p) ** np.asarray(t, dtype=float)

    def as_rows(self) -> list[dict]:
        low, high = _logit_interval(self.p, self.se_p)
        return [{"model": "geometric", "parameter": "p", "estimate": self.p, "se": self.se_p, "ci_low": low, "ci_high": high}]


@dataclass(frozen=True)
class LikelihoodRatioTest:
    """sBG against geometric: does churn differ between customers?

    The geometric is the sBG's limit ``alpha, beta -> infinity``, a point on
    the boundary of the parameter space, so the statistic's null distribution
    is the 50:50 mixture of chi-square(0) and chi-square(1) (Self & Liang
    1987): ``p_value`` uses it. ``p_value_chi2`` is the plain chi-square(1)
    value, twice as large: conservative.
    """

    statistic: float
    df: int
    p_value: float
    p_value_chi2: float

    @property
    def heterogeneous(self) -> bool:
        """True when heterogeneity is significant at 5 % (mixture p-value)."""
        return self.p_value < 0.05


@dataclass(frozen=True, eq=False)
class RetentionFit:
    """An sBG fit with standard errors, the geometric fit beside it and the test between them.

    ``alpha`` and ``beta`` are dimensionless; they describe churn per
    ``period`` (a month or a year). ``corr`` is the correlation of the two
    estimates (typically strongly positive: the data pin down
    ``alpha / (alpha + beta)`` better than either).
    """

    alpha: float
    beta: float
    se_alpha: float
    se_beta: float
    corr: float
    loglik: float
    n_customers: int
    n_churned: int
    geometric: GeometricFit
    heterogeneity: LikelihoodRatioTest
    estimates: Estimates
    period: str | None = None
    cells: Cells | None = None

    def survival_table(self) -> pd.DataFrame:
        """Observed (Kaplan-Meier) vs fitted survival per period on the data fitted (see :func:`survival_table`)."""
        if self.cells is None:
            raise ValueError("this fit does not carry its data")
        return survival_table(self, self.cells)

    @property
    def mean_churn(self) -> float:
        """Mean churn probability per period across customers at acquisition, alpha / (alpha + beta)."""
        return self.alpha / (self.alpha + self.beta)

    def survival(self, t) -> np.ndarray:
        """Fitted S(t), the share still a customer after t renewals."""
        return survival(self.alpha, self.beta, t)

    def retention_rate(self, t) -> np.ndarray:
        """Fitted r(t) = S(t)/S(t-1) = (beta + t - 1)/(alpha + beta + t - 1) for t >= 1."""
        t = np.asarray(t, dtype=float)
        return (self.beta + t - 1.0) / (self.alpha + self.beta + t - 1.0)

    def as_rows(self) -> list[dict]:
        """Parameter table rows: sBG alpha, beta then geometric p (model, parameter, estimate, se, ci_low, ci_high)."""
        return self.estimates.as_rows("sBG") + self.geometric.as_rows()

    def summary_row(self) -> dict:
        """One row for a report: estimates, errors, fit statistics and the heterogeneity test."""
        return {
            "period": self.period,
            "customers": self.n_customers,
            "churn_events": self.n_churned,
            "alpha": self.alpha,
            "se_alpha": self.se_alpha,
            "beta": self.beta,
            "se_beta": self.se_beta,
            "corr_alpha_beta": self.corr,
            "mean_churn": self.mean_churn,
            "loglik": self.loglik,
            "geometric_p": self.geometric.p,
            "geometric_loglik": self.geometric.loglik,
            "lr_statistic": self.heterogeneity.statistic,
            "lr_p_value": self.heterogeneity.p_value,
        }


def _logit_interval(p: float, se: float) -> tuple[float, float]:
    """95 % interval for a probability, Wald on the logit scale."""
    if p <= 0.0 or p >= 1.0:
        return p, p
    spread = 1.959963984540054 * se / (p * (1.0 - p))
    logit = np.log(p / (1.0 - p))
    return float(1.0 / (1.0 + np.exp(-(logit - spread)))), float(1.0 / (1.0 + np.exp(-(logit + spread))))


# --- fitting ----------------------------------------------------------------------------------------------------


def fit_geometric(cells: Cells) -> GeometricFit:
    """Closed-form MLE of a common churn probability: churn events / periods at risk.

    Each churned customer contributes T periods at risk (T - 1 renewals and the
    churn), each active one k renewals. Standard error sqrt(p(1-p)/periods).
    """
    events = cells.n_churned
    renewals = cells.renewals
    trials = events + renewals
    p = events / trials
    loglik = events * np.log(p) if events else 0.0
    loglik += renewals * np.log1p(-p) if renewals else 0.0
    return GeometricFit(p=float(p), se_p=float(np.sqrt(p * (1.0 - p) / trials)), loglik=float(loglik))


def fit_cells(cells: Cells, *, label: str = "", period: str | None = None, min_customers: int = MIN_CUSTOMERS) -> RetentionFit:
    """sBG and geometric fits to tabulated data; raises ScenarioError for data too thin to fit or a fit that fails."""
    _require_enough(cells, label, min_customers)
    geometric = fit_geometric(cells)
    estimates, failure = None, None
    try:
        estimates = maximise(lambda params: sbg_loglik(params, cells), _start(geometric.p), ("alpha", "beta"), cells.n_customers)
        params, loglik = estimates.values, estimates.loglik
    except NotConverged as stopped:
        failure, params = stopped, stopped.params
        loglik = sbg_loglik(params, cells)[0]
    both_to_edge = failure is not None and len(failure.at_edge) == 2
    if params.min() > 1.0 and (both_to_edge or 2.0 * (loglik - geometric.loglik) < HOMOGENEOUS_LR):
        low, high = _logit_interval(geometric.p, geometric.se_p)
        table = observed_survival(cells)
        table["geometric"] = geometric.survival(table["period"].to_numpy())
        raise Homogeneous(
            [Problem(label, _homogeneous_message(geometric, period))],
            kind="churn", estimate=geometric.p, se=geometric.se_p, low=low, high=high, customers=cells.n_customers, table=table,
        )
    if failure is not None:
        raise ScenarioError(
            [Problem(label, f"the sBG retention fit does not converge: {failure.reason}; check the dates, or {thin_data_advice(label)}")]
        )
    statistic = max(2.0 * (estimates.loglik - geometric.loglik), 0.0)
    chi2 = float(stats.chi2.sf(statistic, 1))
    test = LikelihoodRatioTest(statistic=float(statistic), df=1, p_value=0.5 * chi2, p_value_chi2=chi2)
    se = estimates.se
    return RetentionFit(
        alpha=estimates.value("alpha"),
        beta=estimates.value("beta"),
        se_alpha=float(se[0]),
        se_beta=float(se[1]),
        corr=float(estimates.correlation[0, 1]),
        loglik=estimates.loglik,
        n_customers=cells.n_customers,
        n_churned=cells.n_churned,
        geometric=geometric,
        heterogeneity=test,
        estimates=estimates,
        period=period,
        cells=cells,
    )


def fit_sbg(duration, churned, *, label: str = "", period: str | None = None, min_customers: int = MIN_CUSTOMERS) -> RetentionFit:
    """sBG fit from per-customer (duration, churned) arrays (see :func:`durations`)."""
    return fit_cells(tabulate(duration, churned), label=label, period=period, min_customers=min_customers)


def fit_survivor_table(survivors, *, label: str = "", period: str | None = None) -> RetentionFit:
    """sBG fit from a cohort's survivor table (the published form, e.g. 1000, 631, 468, ...)."""
    return fit_cells(cells_from_survivors(survivors), label=label, period=period, min_customers=1)


def _start(p: float) -> tuple[float, float]:
    """A starting point with the geometric's mean churn and moderate heterogeneity."""
    p = min(max(p, 1e-3), 0.999)
    return (p * 2.0, (1.0 - p) * 2.0)


def _require_enough(cells: Cells, label: str, min_customers: int) -> None:
    """Refuse data that cannot identify two parameters, with what to do about it."""
    n, events = cells.n_customers, cells.n_churned
    advice = thin_data_advice(label)
    if n < min_customers:
        message = f"only {n} customer{'s' if n != 1 else ''}; a retention fit needs at least {min_customers}; {advice}"
    elif events < MIN_CHURN_EVENTS:
        count = "no churn events" if events == 0 else "only 1 churn event"
        message = f"{count} among {n} customers; needs at least {MIN_CHURN_EVENTS} churn events; {advice}"
    elif cells.renewals == 0:
        message = f"no customer was observed past a first renewal ({n} customers); needs renewals to fit retention; give a longer history"
    else:
        return
    raise ScenarioError([Problem(label, message)])


def _homogeneous_message(geometric: GeometricFit, period: str | None) -> str:
    per = f" per {period}" if period else " per period"
    return (
        "the sBG retention fit does not converge: alpha and beta grow without bound, so churn looks the same for "
        f"every customer; use the geometric model instead (one churn probability for all: {geometric.p:.4g}{per})"
    )


# --- observed survival, the fitted-vs-observed table and holdout checks -----------------------------------------


def observed_survival(cells: Cells) -> pd.DataFrame:
    """Kaplan-Meier survival per period: period t, at_risk, churned, observed S(t).

    At risk in period t: customers who churned in period t or later, or were
    still active after at least t renewals (a customer active after t - 1
    renewals has not finished period t and is left out of it).
    """
    horizon = int(max(cells.churn_t.max(initial=0), cells.cens_k.max(initial=0)))
    t = np.arange(1, horizon + 1)
    churn = np.zeros(horizon + 2)
    cens = np.zeros(horizon + 2)
    churn[cells.churn_t] = cells.churn_n
    cens[cells.cens_k] = cells.cens_n
    churn_from = np.cumsum(churn[::-1])[::-1]  # churned in period >= t
    cens_from = np.cumsum(cens[::-1])[::-1]  # censored after >= t renewals
    at_risk = churn_from[t] + cens_from[t]
    events = churn[t]
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, events / at_risk, 0.0)
    frame = pd.DataFrame(
        {"period": t, "at_risk": at_risk.astype(np.int64), "churned": events.astype(np.int64), "observed": np.cumprod(1.0 - hazard)}
    )
    return frame[frame["at_risk"] > 0].reset_index(drop=True)


def survival_table(fit: RetentionFit, cells: Cells) -> pd.DataFrame:
    """Observed vs fitted survival per period: period, at_risk, churned, observed, sbg, geometric, sbg_error_pp."""
    frame = observed_survival(cells)
    frame["sbg"] = fit.survival(frame["period"].to_numpy())
    frame["geometric"] = fit.geometric.survival(frame["period"].to_numpy())
    frame["sbg_error_pp"] = 100.0 * (frame["sbg"] - frame["observed"])
    return frame


@dataclass(frozen=True, eq=False)
class RetentionHoldout:
    """A fit on the calibration history checked against what happened after it.

    ``table`` is :func:`survival_table` on the whole history with a
    ``calibration`` column (True for tenures already seen at the cut-off).
    ``mae_pp`` is the mean absolute error of the fitted survival in percentage
    points over the holdout tenures (NaN when the later history reaches no
    longer tenure). ``predicted_renewing`` / ``actual_renewing``: of the
    ``renewed_at_cutoff`` customers who had made every renewal due by the
    cut-off, how many the fit expects to make every renewal due by ``as_of``
    (``sum S(k_end) / S(k_cut)``), and how many did.
    """

    fit: RetentionFit
    table: pd.DataFrame
    mae_pp: float
    predicted_renewing: float
    actual_renewing: int
    renewed_at_cutoff: int


def holdout_survivor_table(survivors, n_fit: int, *, label: str = "", period: str | None = None) -> RetentionHoldout:
    """Fit on periods 1..n_fit of a survivor table and check periods n_fit+1.. of it."""
    survivors = np.asarray(survivors, dtype=float)
    fit = fit_survivor_table(survivors[: n_fit + 1], label=label, period=period)
    table = survival_table(fit, cells_from_survivors(survivors))
    table["calibration"] = table["period"] <= n_fit
    later = ~table["calibration"]
    mae = float(np.mean(np.abs(table.loc[later, "sbg_error_pp"]))) if later.any() else float("nan")
    renewing = float(survivors[n_fit] * fit.survival(survivors.size - 1) / fit.survival(n_fit))
    return RetentionHoldout(fit, table, mae, renewing, int(survivors[-1]), int(survivors[n_fit]))


def holdout_dates(start, end, *, cutoff, as_of, period: str, label: str = "", min_customers: int = MIN_CUSTOMERS) -> RetentionHoldout:
    """Fit on the history up to ``cutoff`` (customers started by then, end dates after it unknown) and check up to ``as_of``."""
    start = np.asarray(start, dtype="datetime64[ns]")
    end = np.asarray(end, dtype="datetime64[ns]")
    cut = np.datetime64(pd.Timestamp(cutoff).to_datetime64(), "ns")
    known = start <= cut
    end_at_cut = np.where(end <= cut, end, np.datetime64("NaT"))
    cal_duration, cal_churned = durations(start[known], end_at_cut[known], cutoff, period)
    fit = fit_sbg(cal_duration, cal_churned, label=label, period=period, min_customers=min_customers)
    full_duration, full_churned = durations(start, end, as_of, period)
    table = survival_table(fit, tabulate(full_duration, full_churned))
    table["calibration"] = table["period"] <= cal_duration.max(initial=0)
    later = ~table["calibration"]
    mae = float(np.mean(np.abs(table.loc[later, "sbg_error_pp"]))) if later.any() else float("nan")
    # Customers who had survived every renewal up to the cut-off; their renewals up to as_of.
    renewals_at_cut = whole_periods(start[known], np.full(known.sum(), cut), period)
    renewals_by_end = whole_periods(start[known], np.full(known.sum(), pd.Timestamp(as_of).to_datetime64()), period)
    survived = (full_duration - full_churned)[known]
    cohort = survived >= renewals_at_cut
    predicted = float(np.sum(fit.survival(renewals_by_end[cohort]) / fit.survival(renewals_at_cut[cohort])))
    actual = int(np.sum(survived[cohort] >= renewals_by_end[cohort]))
    return RetentionHoldout(fit, table, mae, predicted, actual, int(cohort.sum()))
