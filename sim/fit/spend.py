"""Spend per purchase: the Gamma-Gamma model of monetary value.

Implements Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "RFM and CLV:
using iso-value curves for customer base analysis", *Journal of Marketing
Research* 42(4), 415-430, in the form of Fader, P. S. & Hardie, B. G. S.
(2013), "The Gamma-Gamma model of monetary value" (note).

A customer's purchases have amounts ``z ~ Gamma(shape p, rate nu)``, mean
``p / nu``; across customers ``nu ~ Gamma(shape q, rate gamma)``. The data
are, per customer with ``x > 0`` repeat purchases, the mean amount ``m_x`` of
those repeat purchases (the first purchase is left out, as in the papers).
The density of ``m_x`` given ``x`` is::

    Gamma(px+q) / (Gamma(px) Gamma(q)) * gamma^q m_x^(px-1) x^(px) / (gamma + x m_x)^(px+q)

The mean spend per purchase across customers is ``E[Z] = p gamma / (q - 1)``
(currency units), finite only for ``q > 1``; a fit with ``q <= 1`` is refused.
Customers with a mean spend of zero (free orders only) have no density under
the model and are left out of the fit (counted in ``n_zero_spend``).

When every customer spends alike, ``q`` and ``gamma`` run off together to
infinity with ``gamma / q`` fixed (the spread of customers' mean rates ``nu``
vanishes): the homogeneous limit. :func:`fit` then returns a
:class:`HomogeneousSpend` -- one spend per purchase for everyone, the mean of
the repeat amounts with its standard error -- as the churn and purchase fits
fall back to the geometric and Poisson, instead of refusing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, psi

from sim.errors import Problem, ScenarioError
from sim.fit.checks import thin_data_advice
from sim.fit.mle import Z95, Estimates, FromEstimates, NotConverged, maximise, parameter

NAMES = ("p", "q", "gamma")
MIN_CUSTOMERS = 10
"""Fewest customers with a repeat purchase (and positive spend) for a spend fit."""


def loglik(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> tuple[float, np.ndarray]:
    """Gamma-Gamma log-likelihood of mean repeat spends ``m`` over ``x`` purchases, and its gradient in (p, q, gamma).

    The gamma and digamma terms depend on ``x`` only and are computed once per
    distinct ``x`` (a few hundred values at most).
    """
    p, q, g = params
    unique_x, index, counts = np.unique(x, return_inverse=True, return_counts=True)
    pu = p * unique_x
    log_m, log_x = np.log(m), np.log(x)
    log_total = np.log(g + x * m)
    px = p * x
    value = (
        np.sum(counts * (gammaln(pu + q) - gammaln(pu)))
        + np.sum((px - 1.0) * log_m + px * log_x - (px + q) * log_total)
        + x.size * (q * np.log(g) - gammaln(q))
    )
    both = psi(pu + q)
    d_p = np.sum(counts * unique_x * (both - psi(pu))) + np.sum(x * (log_m + log_x - log_total))
    d_q = np.sum(counts * both) - np.sum(log_total) + x.size * (np.log(g) - psi(q))
    d_g = x.size * q / g - np.sum((px + q) / (g + x * m))
    return float(value), np.array([d_p, d_q, d_g])


@dataclass(frozen=True, eq=False)
class SpendFit(FromEstimates):
    """Gamma-Gamma estimates with standard errors, and the mean spend with its delta-method error (currency units)."""

    estimates: Estimates
    mean_spend: float
    se_mean_spend: float
    n_zero_spend: int = 0

    p = parameter("p")
    q = parameter("q")
    gamma = parameter("gamma")

    def mean_spend_interval(self, z: float = Z95) -> tuple[float, float]:
        """95 % Wald interval for the mean spend."""
        return self.mean_spend - z * self.se_mean_spend, self.mean_spend + z * self.se_mean_spend

    def conditional_spend(self, x, m_x) -> np.ndarray:
        """E[Z | x, m_x]: expected spend per purchase of a customer with x repeat purchases averaging m_x.

        A weighted average of the population mean and the customer's own mean,
        the weight on the own mean growing with x: ``(q-1)/(px+q-1) * E[Z] + px/(px+q-1) * m_x``.
        """
        px = self.p * np.asarray(x, dtype=float)
        return ((self.q - 1.0) * self.mean_spend + px * np.asarray(m_x, dtype=float)) / (px + self.q - 1.0)

    def as_rows(self) -> list[dict]:
        low, high = self.mean_spend_interval()
        return self.estimates.as_rows("gamma-gamma") + [
            {
                "model": "gamma-gamma",
                "parameter": "mean_spend",
                "estimate": self.mean_spend,
                "se": self.se_mean_spend,
                "ci_low": low,
                "ci_high": high,
            }
        ]


@dataclass(frozen=True)
class HomogeneousSpend:
    """The Gamma-Gamma's homogeneous limit (q, gamma -> infinity): one mean spend per purchase for every customer.

    ``mean_spend`` is the mean of the repeat amounts, ``sum(x m_x) / sum(x)``;
    amounts are Gamma(p, nu) with one ``nu``, so its standard error is
    ``mean / sqrt(p * sum(x))`` with ``p`` from the moments of the customers' means
    (``Var(m_x) = mean^2 / (p x)``).
    """

    mean_spend: float
    se_mean_spend: float
    p: float
    n_customers: int
    n_zero_spend: int = 0
    homogeneous = True
    method = ("homogeneous limit of the Gamma-Gamma (q, gamma -> infinity: customers do not differ in spend), "
              "a fixed spend per purchase")

    def mean_spend_interval(self, z: float = Z95) -> tuple[float, float]:
        return self.mean_spend - z * self.se_mean_spend, self.mean_spend + z * self.se_mean_spend

    def conditional_spend(self, x, m_x) -> np.ndarray:
        """Everyone's expected spend per purchase is the same: the population mean."""
        return np.full(np.broadcast(np.asarray(x), np.asarray(m_x)).shape, self.mean_spend)

    def as_rows(self) -> list[dict]:
        low, high = self.mean_spend_interval()
        return [{"model": "homogeneous spend", "parameter": "mean_spend", "estimate": self.mean_spend,
                 "se": self.se_mean_spend, "ci_low": low, "ci_high": high}]


def homogeneous(x: np.ndarray, m: np.ndarray, n_zero_spend: int = 0) -> HomogeneousSpend:
    """The homogeneous limit from repeat counts ``x`` and mean repeat spends ``m`` (see :class:`HomogeneousSpend`)."""
    total = float(np.sum(x))
    mean = float(np.sum(x * m) / total)
    spread = float(np.mean(x * (m - mean) ** 2))  # E[x (m_x - mean)^2] = mean^2 / p
    p = mean**2 / spread if spread > 0 else np.inf
    se = mean / np.sqrt(p * total) if np.isfinite(p) else 0.0
    return HomogeneousSpend(mean, float(se), float(p), int(x.size), n_zero_spend)


def mean_spend(estimates: Estimates, label: str = "") -> tuple[float, float]:
    """p gamma / (q - 1) and its delta-method standard error; ScenarioError when q <= 1 (no finite mean)."""
    p, q, g = estimates.values
    if q <= 1.0:
        raise ScenarioError(
            [
                Problem(
                    label,
                    f"the spend fit gives q = {q:.3g} <= 1, so the mean spend p*gamma/(q-1) is not finite: a few very large "
                    "orders dominate; check the amounts for outliers or another currency, or model spend another way",
                )
            ]
        )
    value = p * g / (q - 1.0)
    gradient = np.array([g / (q - 1.0), -p * g / (q - 1.0) ** 2, p / (q - 1.0)])
    return float(value), float(np.sqrt(gradient @ estimates.covariance @ gradient))


def fit(x, m_x, *, label: str = "") -> SpendFit | HomogeneousSpend:
    """Gamma-Gamma fit from customers' repeat-purchase counts and mean repeat spends.

    Customers with ``x == 0`` are ignored (no repeat spend to model); so are
    those with ``m_x == 0``. When q and gamma run to the edge together (customers
    do not differ in spend) returns the homogeneous limit. Raises ScenarioError
    for too few customers, a fit that does not converge otherwise, or ``q <= 1``.
    """
    x = np.asarray(x, dtype=float)
    m = np.asarray(m_x, dtype=float)
    repeat = x > 0
    positive = repeat & (m > 0)
    x, m = x[positive], m[positive]
    if x.size < MIN_CUSTOMERS:
        raise ScenarioError(
            [
                Problem(
                    label,
                    f"only {x.size} customer{'s' if x.size != 1 else ''} with repeat purchases and positive spend; a spend "
                    f"fit needs at least {MIN_CUSTOMERS}; {thin_data_advice(label)}",
                )
            ]
        )
    start = _start(x, m)
    try:
        estimates = maximise(lambda params: loglik(params, x, m), start, NAMES, x.size)
    except NotConverged as failure:
        if "q" in failure.at_edge or "gamma" in failure.at_edge:
            return homogeneous(x, m, int(np.sum(repeat)) - int(x.size))
        raise ScenarioError(
            [
                Problem(
                    label, f"the gamma-gamma spend fit does not converge: {failure.reason}; check the amounts, or {thin_data_advice(label)}"
                )
            ]
        ) from None
    value, se = mean_spend(estimates, label)
    return SpendFit(estimates, value, se, int(np.sum(repeat)) - int(x.size))


def _start(x: np.ndarray, m: np.ndarray) -> tuple[float, float, float]:
    """Moment-based start: p from the spread of single purchases, q = 3, gamma matching the mean."""
    mean = float(np.average(m, weights=x))
    cv2 = float(np.var(m) * np.mean(x) / mean**2) if mean > 0 else 1.0
    p = min(max(1.0 / max(cv2, 1e-3), 0.1), 100.0)
    q = 3.0
    return p, q, mean * (q - 1.0) / p
