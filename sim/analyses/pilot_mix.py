"""What a customer pilot counts in a segment whose customers differ (churn, purchase or dropout mixes).

``cxroi fit customers / orders --into`` replaces a segment's churn key by a ``churn_mix`` (churn per period
q ~ Beta(alpha, beta) across customers) and its ``purchases`` by a ``purchase_mix`` (rate per period
lambda ~ Gamma(shape, rate)), with a ``dropout_mix`` (after each purchase p ~ Beta(a, b)) for a
non-contractual business; ``cxroi fit pilot --into`` then writes a purchase effect x as the scale 1 / x of
``purchase_mix.rate`` (docs/scenario-reference.md). An intervention's change of any of those parameters
acts on something a pilot counts:

* ``purchase_mix.shape`` / ``.rate``, ``dropout_mix.a`` / ``.b``: the arm's purchases;
* ``churn_mix.alpha`` / ``.beta``: the arm's churned customers.

Customers are independent draws from the mix, as in the engine (:mod:`sim.model.classes`), so an arm's
totals over ``n`` customers follow from one customer's law:

* churn: each customer churns within m periods with 1 - (1 - q)^m, so the arm's churned count is
  Binomial(n, 1 - B(alpha, beta + m) / B(alpha, beta)) exactly (not beta-binomial: that would be n
  customers sharing one q);
* purchases without dropout: one customer's count over m periods is negative binomial (size shape, mean
  m shape / rate), so the arm's total is NB(size n shape, mean n m shape / rate) exactly;
* purchases with dropout (the engine's law: a customer buys Poisson(lambda) in each period it starts
  active and stays active with exp(-lambda p)): one customer's mean and variance in closed form
  (:func:`purchase_moments`), and the arm's total is the negative binomial of that mean and variance
  (n times one customer's; exact without dropout).

As for homogeneous customers, the pilot follows its customers over the periods: state multipliers
(experiences during the pilot) and churn during it are left out of the purchase counts.
"""

from __future__ import annotations

import numpy as np
from scipy import special

MIX_MEASURES = {
    "purchase_mix.shape": "purchases",
    "purchase_mix.rate": "purchases",
    "dropout_mix.a": "purchases",
    "dropout_mix.b": "purchases",
    "churn_mix.alpha": "churn",
    "churn_mix.beta": "churn",
}
"""Mix parameters (the path's last two steps) and what a pilot counts of them (a key of the pilot's MEASURES)."""


def mixed_churn(alpha: np.ndarray, beta: np.ndarray, periods: int) -> np.ndarray:
    """P(a customer churns within ``periods``) when churn per period ~ Beta(alpha, beta): 1 - B(alpha, beta + m) / B(alpha, beta)."""
    with np.errstate(invalid="ignore"):
        return -np.expm1(special.betaln(alpha, beta + periods) - special.betaln(alpha, beta))


def purchase_moments(shape: np.ndarray, rate: np.ndarray, periods: int, a: np.ndarray | None = None,
                     b: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of one customer's purchases over ``periods`` (rate per period ~ Gamma(shape, rate)).

    Without dropout: mean m shape / rate, variance mean (1 + m / rate) (negative binomial). With dropout
    (p ~ Beta(a, b)), T the periods a customer starts active (P(T > t) = s^t, s = exp(-lambda p), t < m) and
    N | lambda, T ~ Poisson(lambda T): E N = E[lambda T], E N^2 = E[lambda T] + E[lambda^2 T^2], with
    E T = sum_t s^t and E T^2 = sum_t (2t + 1) s^t. Over lambda, E[lambda^j exp(-lambda c)] =
    (shape)_j / rate^j (rate / (rate + c))^(shape + j); over p that is 2F1(shape + j, a; a + b; -t / rate).
    """
    shape, rate = np.asarray(shape, dtype=float), np.asarray(rate, dtype=float)
    if a is None:
        mean = periods * shape / rate
        return mean, mean * (1 + periods / rate)
    t = np.arange(periods, dtype=float)[:, None]
    once = special.hyp2f1(shape + 1, a, a + b, -t / rate)
    twice = special.hyp2f1(shape + 2, a, a + b, -t / rate)
    mean = shape / rate * once.sum(axis=0)
    second = mean + shape * (shape + 1) / rate**2 * ((2 * t + 1) * twice).sum(axis=0)
    return mean, second - mean**2


STEPS = 4
POISSON_SIZE = 1e12
"""Above this size the negative binomial is the Poisson of its mean (to about mean / size)."""


def negative_binomial_quantile(q: np.ndarray, mean: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The least k with P(X <= k) >= q for X negative binomial of ``mean`` and ``size`` (variance mean + mean^2 /
    size; P(X <= k) = I_(size / (size + mean))(size, k + 1)); the Poisson's where size is infinite, -1 at q = 0.

    A Cornish-Fisher guess (scipy.special's nbdtrik where that is more than :data:`STEPS` off: it took 1.2 s
    per 200,000), then steps of one with the cdf (scipy.special.betainc) until the least such k, as
    :func:`sim.analyses.pilot.binomial_quantile` does.
    """
    from sim.analyses.pilot import poisson_quantile

    q, mean, size = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (q, mean, size)))
    out = np.full(q.shape, np.nan)
    mixed = (size > 0) & (size < POISSON_SIZE) & (mean > 0) & (q > 0) & (q < 1)
    out[~mixed] = poisson_quantile(q[~mixed], mean[~mixed])  # no overdispersion (or q at 0 or 1, or mean 0)
    q, mean, size = q[mixed], mean[mixed], size[mixed]
    p = size / (size + mean)
    z = special.ndtri(q)
    sd = np.sqrt(mean + mean * mean / size)
    skew = (1 + 2 * mean / size) / sd
    k = np.maximum(np.floor(np.nan_to_num(mean + sd * (z + (z * z - 1) * skew / 6) - 0.5)), 0.0)  # Cornish-Fisher
    far = _far(k, q, size, p)
    if far.any():  # a guess far off (a very skewed law): scipy.special's continuous inverse for those
        k[far] = np.maximum(np.floor(np.nan_to_num(special.nbdtrik(q[far], size[far], p[far]))), 0.0)
    up = special.betainc(size, k + 1, p) < q
    while up.any():  # steps of one until P(X <= k) >= q
        k[up] += 1
        up[up] = special.betainc(size[up], k[up] + 1, p[up]) < q[up]
    down = k > 0
    down[down] = special.betainc(size[down], k[down], p[down]) >= q[down]
    while down.any():  # then down while k - 1 would do
        k[down] -= 1
        down[down] = k[down] > 0
        down[down] = special.betainc(size[down], k[down], p[down]) >= q[down]
    out[mixed] = k
    return out


def _far(k: np.ndarray, q: np.ndarray, size: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Where the least k' with P(X <= k') >= q is more than :data:`STEPS` from ``k``."""
    with np.errstate(invalid="ignore"):
        return (special.betainc(size, k + STEPS + 1, p) < q) | (
            (k > STEPS) & (special.betainc(size, np.maximum(k - STEPS, 0.0), p) >= q))
