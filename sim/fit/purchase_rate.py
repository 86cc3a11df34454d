"""Purchase rates of active customers in a contractual business: the NBD with unequal exposure.

Ehrenberg's negative binomial distribution (NBD) model of repeat buying, as
in Morrison, D. G. & Schmittlein, D. C. (1988), "Generalizing the NBD model
for customer purchases: what are the implications and is it worth the
effort?", *Journal of Business & Economic Statistics* 6(2), 145-159, and
Fader, P. S. & Hardie, B. G. S. notes on the NBD with varying exposure.

Customer i, observed for ``t_i`` time units (their exposure: from start, or
the window's start, to the end of their contract or the as-of date), makes
``x_i ~ Poisson(lambda_i t_i)`` purchases; across customers ``lambda ~
Gamma(shape r, rate alpha)``. Then::

    P(x | t) = Gamma(r+x) / (Gamma(r) x!) * (alpha/(alpha+t))^r * (t/(alpha+t))^x

The mean rate is ``r / alpha`` purchases per time unit (``alpha`` is in the
unit of ``t``), its variance across customers ``r / alpha^2``. Contractual
customers do not silently drop out (the customers file says who is active),
so no dropout process is needed, unlike :mod:`sim.fit.bgnbd`.

When purchase rates do not vary between customers (Poisson counts), the MLE
runs to ``r, alpha -> infinity`` with ``r/alpha`` fixed; the fit then says so
and gives the Poisson rate instead of returning meaningless numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, psi

from sim.errors import Problem, ScenarioError
from sim.fit.checks import Homogeneous, thin_data_advice
from sim.fit.mle import Z95, Estimates, FromEstimates, NotConverged, maximise, parameter

NAMES = ("r", "alpha")
MIN_CUSTOMERS = 10
"""Fewest customers (with positive exposure) for a purchase-rate fit."""

HOMOGENEOUS_LR = 0.01
"""An NBD that beats the Poisson by less than this likelihood-ratio statistic (r, alpha > 1) is the Poisson limit."""


def loglik(params: np.ndarray, x: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
    """NBD log-likelihood of counts ``x`` over exposures ``t`` and its gradient in (r, alpha)."""
    r, alpha = params
    log_total = np.log(alpha + t)
    with np.errstate(divide="ignore"):
        x_log_t = np.where(x > 0, x * np.log(t), 0.0)
    value = np.sum(gammaln(r + x) - gammaln(x + 1.0) + x_log_t - (r + x) * log_total) + x.size * (r * np.log(alpha) - gammaln(r))
    d_r = np.sum(psi(r + x) - log_total) + x.size * (np.log(alpha) - psi(r))
    d_alpha = x.size * r / alpha - np.sum((r + x) / (alpha + t))
    return float(value), np.array([d_r, d_alpha])


@dataclass(frozen=True, eq=False)
class PurchaseRateFit(FromEstimates):
    """NBD estimates: shape ``r`` (dimensionless) and rate ``alpha`` (time units), and the mean rate r/alpha per time unit."""

    estimates: Estimates
    time_unit: str | float | None = None

    r = parameter("r")
    alpha = parameter("alpha")

    @property
    def mean_rate(self) -> float:
        """Mean purchases per time unit across customers, r / alpha."""
        return self.r / self.alpha

    @property
    def se_mean_rate(self) -> float:
        """Delta-method standard error of r / alpha."""
        gradient = np.array([1.0 / self.alpha, -self.r / self.alpha**2])
        return float(np.sqrt(gradient @ self.estimates.covariance @ gradient))

    @property
    def rate_cv(self) -> float:
        """Coefficient of variation of the purchase rate across customers, 1 / sqrt(r)."""
        return 1.0 / np.sqrt(self.r)

    def mean_rate_interval(self, z: float = Z95) -> tuple[float, float]:
        """95 % interval for r / alpha, Wald on the log scale."""
        spread = z * self.se_mean_rate / self.mean_rate
        return self.mean_rate * float(np.exp(-spread)), self.mean_rate * float(np.exp(spread))

    def as_rows(self) -> list[dict]:
        low, high = self.mean_rate_interval()
        return self.estimates.as_rows("NBD") + [
            {"model": "NBD", "parameter": "mean_rate", "estimate": self.mean_rate, "se": self.se_mean_rate, "ci_low": low, "ci_high": high}
        ]


def fit(x, t, *, label: str = "", time_unit: str | float | None = None) -> PurchaseRateFit:
    """NBD fit from purchase counts ``x`` over exposures ``t`` (customers with ``t == 0`` are ignored).

    Raises ScenarioError for too few customers, no purchases at all, Poisson
    (homogeneous) data, or a fit that does not converge.
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(t, dtype=float)
    if np.any(x < 0) or np.any(t < 0):
        raise ValueError("purchase counts and exposures must be >= 0")
    exposed = t > 0
    x, t = x[exposed], t[exposed]
    advice = thin_data_advice(label)
    if x.size < MIN_CUSTOMERS:
        customers = f"{x.size} customer{'s' if x.size != 1 else ''}"
        message = f"only {customers} with time on the books; a purchase-rate fit needs at least {MIN_CUSTOMERS}; {advice}"
        raise ScenarioError([Problem(label, message)])
    if x.sum() == 0:
        raise ScenarioError([Problem(label, f"no purchases among {x.size} customers; a purchase-rate fit needs some; {advice}")])
    rate = x.sum() / t.sum()
    estimates, failure = None, None
    try:
        estimates = maximise(lambda params: loglik(params, x, t), (1.0, 1.0 / rate), NAMES, x.size)
        params, value = estimates.values, estimates.loglik
    except NotConverged as stopped:
        failure, params = stopped, stopped.params
        value = loglik(params, x, t)[0]
    poisson = float(np.sum(x * np.log(rate) + np.where(x > 0, x * np.log(np.where(t > 0, t, 1.0)), 0.0) - rate * t - gammaln(x + 1.0)))
    both_to_edge = failure is not None and len(failure.at_edge) == 2
    if params.min() > 1.0 and (both_to_edge or 2.0 * (value - poisson) < HOMOGENEOUS_LR):
        message = (
            "the NBD purchase-rate fit does not converge: r and alpha grow without bound, so every customer buys at the "
            f"same rate; use the Poisson rate instead ({rate:.4g} purchases per {time_unit or 'time unit'})"
        )
        se = float(np.sqrt(x.sum()) / t.sum())
        spread = np.exp(Z95 * se / rate)
        raise Homogeneous([Problem(label, message)], kind="rate", estimate=float(rate), se=se, low=float(rate / spread),
                          high=float(rate * spread), customers=int(x.size))
    if failure is not None:
        raise ScenarioError([Problem(label, f"the NBD purchase-rate fit does not converge: {failure.reason}; {advice}")])
    return PurchaseRateFit(estimates, time_unit)
