"""Non-contractual purchasing: the BG/NBD model.

Implements Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "'Counting your
customers' the easy way: an alternative to the Pareto/NBD model", *Marketing
Science* 24(2), 275-284.

While alive, a customer makes repeat purchases as a Poisson process with rate
``lambda`` (purchases per time unit); ``lambda ~ Gamma(shape r, rate alpha)``
across customers. After each repeat purchase the customer drops out for good
with probability ``p``; ``p ~ Beta(a, b)``. A customer's data are ``x`` repeat
purchases, the time ``t_x`` of the last one and the age ``T``, both measured
from the first purchase in the model's time unit (``alpha`` is in that unit:
fit with times in months and ``r / alpha`` is repeat purchases per month).

The likelihood of one customer (FHL 2005, eq. 6) is::

    L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x))

computed in log space with ``betaln``/``gammaln`` and ``logaddexp``. Terms that
depend only on ``x`` are computed once per distinct ``x`` (a few hundred
values even for a million orders), so one evaluation costs a few vector
operations over customers; the gradient is analytic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betaln, gammaln, hyp2f1, psi

from sim.errors import Problem, ScenarioError
from sim.fit.checks import thin_data_advice
from sim.fit.mle import Estimates, FromEstimates, NotConverged, maximise, parameter

NAMES = ("r", "alpha", "a", "b")
MIN_CUSTOMERS = 20
"""Fewest customers for a BG/NBD fit."""
MIN_REPEATERS = 5
"""Fewest customers with a repeat purchase for a BG/NBD fit."""


@dataclass(frozen=True, eq=False)
class RFM:
    """Frequency/recency/age per customer, grouped by distinct frequency for the likelihood."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    unique_x: np.ndarray
    index: np.ndarray

    @classmethod
    def of(cls, x, t_x, T) -> "RFM":
        x = np.asarray(x, dtype=float)
        unique_x, index = np.unique(x, return_inverse=True)
        return cls(x, np.asarray(t_x, dtype=float), np.asarray(T, dtype=float), unique_x, index)


def loglik(params: np.ndarray, data: RFM) -> tuple[float, np.ndarray]:
    """BG/NBD log-likelihood of all customers and its analytic gradient in (r, alpha, a, b)."""
    r, alpha, a, b = params
    ux, idx, x = data.unique_x, data.index, data.x
    repeat = ux > 0
    base = betaln(a, b)
    # terms that depend on x only
    g = gammaln(r + ux) - gammaln(r)
    b2 = betaln(a, b + ux) - base
    b3 = np.where(repeat, betaln(a + 1.0, np.where(repeat, b + ux - 1.0, 1.0)) - base, -np.inf)
    log_a_T = np.log(alpha + data.T)
    log_a_tx = np.log(alpha + data.t_x)
    a2 = b2[idx] - (r + x) * log_a_T
    a3 = b3[idx] - (r + x) * log_a_tx
    mix = np.logaddexp(a2, a3)
    value = np.sum(g[idx]) + x.size * r * np.log(alpha) + np.sum(mix)
    w3 = np.exp(a3 - mix)  # posterior weight of "dropped out after the last purchase"
    w2 = 1.0 - w3
    # gradient
    d_r = np.sum((psi(r + ux) - psi(r))[idx]) + x.size * np.log(alpha) - np.sum(w2 * log_a_T + w3 * log_a_tx)
    d_alpha = x.size * r / alpha - np.sum((r + x) * (w2 / (alpha + data.T) + w3 / (alpha + data.t_x)))
    sum_w2 = np.bincount(idx, weights=w2, minlength=ux.size)
    sum_w3 = np.bincount(idx, weights=w3, minlength=ux.size)
    d_base_a = psi(a) - psi(a + b)
    d_base_b = psi(b) - psi(a + b)
    d2a = psi(a) - psi(a + b + ux) - d_base_a
    d2b = psi(b + ux) - psi(a + b + ux) - d_base_b
    d3a = np.where(repeat, psi(a + 1.0) - psi(a + b + ux) - d_base_a, 0.0)
    d3b = np.where(repeat, psi(np.where(repeat, b + ux - 1.0, 1.0)) - psi(a + b + ux) - d_base_b, 0.0)
    d_a = np.sum(sum_w2 * d2a + sum_w3 * d3a)
    d_b = np.sum(sum_w2 * d2b + sum_w3 * d3b)
    return float(value), np.array([d_r, d_alpha, d_a, d_b])


@dataclass(frozen=True, eq=False)
class BGNBDFit(FromEstimates):
    """BG/NBD estimates with standard errors and correlations (observed information).

    ``r`` and ``a``, ``b`` are dimensionless; ``alpha`` is in ``time_unit``
    (the unit the recency and age were measured in), so the mean purchase rate
    while alive, ``r / alpha``, is per ``time_unit``.
    """

    estimates: Estimates
    time_unit: str | float | None = None

    r = parameter("r")
    alpha = parameter("alpha")
    a = parameter("a")
    b = parameter("b")

    @property
    def params(self) -> tuple[float, float, float, float]:
        return self.r, self.alpha, self.a, self.b



    @property
    def mean_rate(self) -> float:
        """Mean repeat-purchase rate while alive, r / alpha, per time unit."""
        return self.r / self.alpha

    @property
    def mean_dropout(self) -> float:
        """Mean dropout probability after a repeat purchase, a / (a + b)."""
        return self.a / (self.a + self.b)

    def correlation_table(self) -> pd.DataFrame:
        return pd.DataFrame(self.estimates.correlation, index=NAMES, columns=NAMES)

    def as_rows(self) -> list[dict]:
        return self.estimates.as_rows("BG/NBD")

    def expected_purchases(self, t) -> np.ndarray:
        """E[X(t)]: expected repeat purchases of a new customer in their first t time units."""
        return expected_purchases(self.params, t)

    def conditional_purchases(self, t, x, t_x, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next t time units of customers with this history."""
        return conditional_purchases(self.params, t, x, t_x, T)

    def p_alive(self, x, t_x, T) -> np.ndarray:
        """P(still alive at T | x, t_x, T)."""
        return p_alive(self.params, x, t_x, T)


def fit(x, t_x, T, *, label: str = "", time_unit: str | float | None = None) -> BGNBDFit:
    """Maximum-likelihood BG/NBD fit from per-customer frequency, recency and age (arrays of equal length).

    Raises ScenarioError (located by ``label``, e.g. "segment 'web'") for data
    too thin to fit or a fit that does not converge.
    """
    data = RFM.of(x, t_x, T)
    _require_enough(data, label)
    start = (1.0, max(float(np.sum(data.T)) / max(float(np.sum(data.x)), 1.0), 1e-6), 1.0, 3.0)  # r / alpha = mean rate
    try:
        estimates = maximise(lambda params: loglik(params, data), start, NAMES, data.x.size)
    except NotConverged as failure:
        raise ScenarioError(
            [Problem(label, f"the BG/NBD purchase fit does not converge: {failure.reason}; {thin_data_advice(label)}")]
        ) from None
    return BGNBDFit(estimates, time_unit)


def _require_enough(data: RFM, label: str) -> None:
    n, repeaters = data.x.size, int(np.sum(data.x > 0))
    advice = thin_data_advice(label)
    if n < MIN_CUSTOMERS:
        message = f"only {n} customer{'s' if n != 1 else ''} with orders; a purchase fit needs at least {MIN_CUSTOMERS}; {advice}"
    elif repeaters < MIN_REPEATERS:
        message = f"only {repeaters} of {n} customers bought more than once; a purchase fit needs at least {MIN_REPEATERS}; {advice}"
    elif np.any(data.t_x > data.T) or np.any(data.x < 0):
        raise ValueError("recency t_x must lie between 0 and the age T, and frequency x must be >= 0")
    else:
        return
    raise ScenarioError([Problem(label, message)])


def expected_purchases(params, t) -> np.ndarray:
    """E[X(t)] = (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]  (FHL 2005 eq. 9)."""
    r, alpha, a, b = params
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    return (a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1.0, z))


def _dropout_odds(params, x, t_x, T) -> np.ndarray:
    """[x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x): odds of having dropped out after the last purchase."""
    r, alpha, a, b = params
    x = np.asarray(x, dtype=float)
    repeat = x > 0
    ratio = np.log(alpha + np.asarray(T, dtype=float)) - np.log(alpha + np.asarray(t_x, dtype=float))
    log_odds = np.log(a) - np.log(np.where(repeat, b + x - 1.0, 1.0)) + (r + x) * ratio
    return np.where(repeat, np.exp(np.minimum(log_odds, 700.0)), 0.0)


def p_alive(params, x, t_x, T) -> np.ndarray:
    """P(alive | x, t_x, T) = 1 / (1 + dropout odds)  (FHL 2005 eq. 11); 1 for customers with no repeat purchase."""
    return 1.0 / (1.0 + _dropout_odds(params, x, t_x, T))


def conditional_purchases(params, t, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in (T, T+t]  (FHL 2005 eq. 10)."""
    r, alpha, a, b = params
    x = np.asarray(x, dtype=float)
    T = np.asarray(T, dtype=float)
    t = np.asarray(t, dtype=float)
    horizon = alpha + T + t
    hyper = hyp2f1(r + x, b + x, a + b + x - 1.0, t / horizon)
    growth = np.exp((r + x) * (np.log(alpha + T) - np.log(horizon)))
    numerator = (a + b + x - 1.0) / (a - 1.0) * (1.0 - growth * hyper)
    return numerator / (1.0 + _dropout_odds(params, x, t_x, T))
