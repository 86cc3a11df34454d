"""Latent classes for customers who differ: Gauss quadrature of the mixing distributions.

Customers of a segment differ in churn probability (Beta across customers: the
shifted-beta-geometric model of Fader & Hardie, "How to project customer
retention", J. Interactive Marketing 2007), in purchase rate (Gamma across
customers: the NBD of Ehrenberg 1959) and, in non-contractual businesses, in
the probability of dropping out after a purchase (Beta: the BG/NBD model of
Fader, Hardie & Lee, "Counting your customers the easy way", Marketing Science
2005). The engine follows a few latent classes instead of a continuum: the
nodes and weights of the Gauss quadrature of each mixing distribution
(Gauss-Jacobi for a Beta, generalised Gauss-Laguerre for a Gamma). A K-node rule
reproduces the first 2K - 1 moments of the mixing distribution exactly, so the
mean churn and purchase rate are exact for any K and a cohort's retention
curve E[(1 - p)^t] is exact up to t = 2K - 1 periods.

Nodes are computed for every (draw, segment) at once by the Golub-Welsch
algorithm (eigenvalues of the Jacobi matrix of the orthogonal polynomials'
recurrence; Golub & Welsch, Math. Comp. 1969), batched in numpy, because the
mixing parameters are uncertain inputs that differ per draw.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln

CHURN_TOLERANCE = 0.001
"""Largest error of a cohort's retention S(t) (a share of the cohort) the churn classes may make over the horizon."""

MAX_CHURN_CLASSES = 12


def churn_classes_needed(alpha: np.ndarray, beta: np.ndarray, horizon: int) -> int:
    """Fewest churn classes (2 to 12) whose sBG survivor function is within :data:`CHURN_TOLERANCE`
    of B(alpha, beta + t) / B(alpha, beta) for every t up to ``horizon`` at every (alpha, beta) given.

    Typical monthly churn needs few: mean 1 % (alpha 0.7, beta 70) over 36 months needs 3 classes
    (error 0.0001; 0.002 with 2), mean 37 % (alpha 0.704, beta 1.182, Fader & Hardie's example) over
    60 periods needs 9 (0.41, 0.17, 0.069, 0.024, 0.0021 with 2, 3, 4, 6, 8 classes).
    """
    alpha, beta = np.asarray(alpha, dtype=float).ravel(), np.asarray(beta, dtype=float).ravel()
    t = np.arange(1, horizon + 1)
    exact = np.exp(betaln(alpha[:, None], beta[:, None] + t) - betaln(alpha, beta)[:, None])
    for k in range(2, MAX_CHURN_CLASSES + 1):
        p, w = beta_classes(alpha, beta, k)
        approx = np.einsum("mk,mtk->mt", w, (1.0 - p[:, None, :]) ** t[None, :, None])
        if np.max(np.abs(approx - exact)) <= CHURN_TOLERANCE:
            return k
    return MAX_CHURN_CLASSES


PURCHASE_CLASSES = 4
"""Classes for a purchase mix without dropout: rate moments up to the 7th exact (mean and variance of
purchases, which is all totals over many customers depend on); one period's NBD pmf within 0.002 total
variation for shape >= 0.25 and rate >= 0.8 (0.03 with 2 classes, 0.008 with 3)."""

PURCHASE_CLASSES_WITH_DROPOUT = 12
DROPOUT_CLASSES = 6
"""With a dropout mix (BG/NBD) the buying classes are rate x dropout classes (12 x 6 = 72): survival
E[exp(-rate p t)] converges slowly in a product rule. Largest error of a cohort's survival over 60
periods: 0.0005 for Fader, Hardie & Lee's CDNOW fit (r 0.243, alpha 4.4, a 0.793, b 2.426; 0.023 with
4 x 4 classes), 0.034 for r 0.6, alpha 0.4, a 1, b 8, 0.063 for r 0.5, alpha 0.1, a 1, b 20."""


def _per_unique(rule):
    """Compute a rule once per distinct parameter pair: fitted mixes are usually the same in every draw."""

    def wrapper(first, second, k: int):
        first, second = np.broadcast_arrays(np.asarray(first, dtype=float), np.asarray(second, dtype=float))
        if first.ndim and len(first) > 1 and np.all(first == first[:1]) and np.all(second == second[:1]):
            # The same in every draw (a fitted mix): one rule per segment, repeated down the draws.
            nodes, weights = wrapper(first[:1], second[:1], k)
            shape = first.shape + (k,)
            return np.broadcast_to(nodes, shape).copy(), np.broadcast_to(weights, shape).copy()
        pairs, inverse = np.unique(np.stack([first.ravel(), second.ravel()], axis=1), axis=0, return_inverse=True)
        nodes, weights = rule(pairs[:, 0], pairs[:, 1], k)
        shape = first.shape + (k,)
        return nodes[inverse.ravel()].reshape(shape), weights[inverse.ravel()].reshape(shape)

    wrapper.__doc__ = rule.__doc__
    wrapper.__name__ = rule.__name__
    return wrapper


@_per_unique
def beta_classes(alpha: np.ndarray, beta: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes in (0, 1) and weights (summing to 1) of the k-point Gauss rule for Beta(alpha, beta).

    ``alpha`` and ``beta`` are arrays of one shape; the results have that shape plus (k,).
    Jacobi polynomials on [-1, 1] with weight (1 - x)^a (1 + x)^b, a = beta - 1,
    b = alpha - 1, mapped to p = (1 + x) / 2.
    """
    a = np.asarray(beta, dtype=float) - 1.0
    b = np.asarray(alpha, dtype=float) - 1.0
    n = np.arange(k, dtype=float)
    s = (a + b)[..., None]
    two_n = 2.0 * n + s
    with np.errstate(divide="ignore", invalid="ignore"):
        diag = (b * b - a * a)[..., None] / (two_n * (two_n + 2.0))
    diag[..., 0] = (b - a) / (a + b + 2.0)
    m = n[1:]
    two_m = 2.0 * m + s
    with np.errstate(divide="ignore", invalid="ignore"):
        off = 4.0 * m * (m + a[..., None]) * (m + b[..., None]) * (m + s) / (two_m**2 * (two_m + 1.0) * (two_m - 1.0))
    if k > 1:
        # n = 1 written without the factor (a + b + 1) that cancels (0 / 0 when alpha + beta = 1).
        off[..., 0] = 4.0 * (1.0 + a) * (1.0 + b) / ((2.0 + a + b) ** 2 * (3.0 + a + b))
    x, w = _golub_welsch(diag, np.sqrt(off))
    return np.clip((1.0 + x) / 2.0, 0.0, 1.0), w


@_per_unique
def gamma_classes(shape: np.ndarray, rate: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (rates) and weights of the k-point Gauss rule for Gamma(shape, rate): mean shape / rate.

    Generalised Laguerre polynomials with weight x^(shape - 1) e^(-x), nodes divided by ``rate``.
    """
    r = np.asarray(shape, dtype=float)[..., None]
    n = np.arange(k, dtype=float)
    diag = 2.0 * n + r
    m = n[1:]
    off = m * (m + r - 1.0)
    x, w = _golub_welsch(diag, np.sqrt(off))
    return np.maximum(x, 0.0) / np.asarray(rate, dtype=float)[..., None], w


def _golub_welsch(diag: np.ndarray, off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (ascending) and normalised weights from the Jacobi matrix, batched over leading axes."""
    k = diag.shape[-1]
    if k == 1:
        return diag.copy(), np.ones_like(diag)
    matrix = np.zeros(diag.shape + (k,))
    index = np.arange(k)
    matrix[..., index, index] = diag
    matrix[..., index[1:], index[:-1]] = off
    matrix[..., index[:-1], index[1:]] = off
    nodes, vectors = np.linalg.eigh(matrix)
    weights = vectors[..., 0, :] ** 2
    return nodes, weights / weights.sum(axis=-1, keepdims=True)
