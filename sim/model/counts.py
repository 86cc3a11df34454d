"""Binomial and Poisson counts drawn by inversion from shared normal scores.

The engine draws every count as a quantile of its distribution at a
standard-normal score ``z``. The count is then a monotone function of ``z``,
so two arms that see the same ``z`` in similar situations get nearly the same
count: common random numbers that survive any difference in parameters, which
a generator's own rejection samplers (which consume a varying number of
uniforms) would not give.

Small counts (variance below :data:`EXACT_BELOW`) are exact inversions of the
CDF. Larger ones use the Cornish-Fisher expansion to fourth order (skewness and
kurtosis) rounded to the nearest integer, whose total-variation distance to
the exact distribution stays below 0.5 % (``tests/model/test_counts.py`` computes it
exactly by integrating over the normal score).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

EXACT_BELOW = 4.0
"""Variance under which a count is drawn by exact CDF inversion."""

_U_MAX = 1.0 - 1e-13  # keep inversion loops finite where ndtr(z) rounds to 1


def poisson(mean: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Poisson(mean) counts at normal scores ``z`` (same shape); float64."""
    mean = np.broadcast_to(np.asarray(mean, dtype=float), np.shape(z))
    small = mean < EXACT_BELOW
    out = _cornish_fisher(mean, mean, 1.0, 1.0, z, np.inf)
    if small.any():
        m = mean[small]
        out[small] = _invert(ndtr(z[small]), np.exp(-m), m, np.zeros_like(m))
    return out


def binomial(n: np.ndarray, p: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Binomial(n, p) counts at normal scores ``z``; ``n`` holds whole numbers; float64."""
    shape = np.shape(z)
    n = np.broadcast_to(np.asarray(n, dtype=float), shape)
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    # Count the rarer outcome: for p > 1/2 draw the failures at -z, which keeps the
    # result increasing in z and the inversion loop short.
    flip = p > 0.5
    flipped = bool(flip.any())
    q = np.where(flip, 1.0 - p, p) if flipped else p
    zz = np.where(flip, -z, z) if flipped else z
    pq = q * (1.0 - q)
    var = n * pq
    small = var < EXACT_BELOW
    out = _cornish_fisher(n * q, var, 1.0 - 2.0 * q, 1.0 - 6.0 * pq, zz, n)
    if small.any():
        ns = n[small]
        qs = np.broadcast_to(q, shape)[small]
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = np.where(qs < 1.0, qs / (1.0 - qs), 0.0)
        out[small] = _invert(ndtr(np.broadcast_to(zz, shape)[small]), np.exp(ns * np.log1p(-qs)), (ns + 1.0) * odds, odds)
    return np.where(flip, n - out, out) if flipped else out


def _cornish_fisher(mean, var, skew_times_sd, kurtosis_times_var, z, upper):
    """Nearest integer to the Cornish-Fisher quantile, clipped to [0, upper], for every element.

    Skewness and excess kurtosis come multiplied by the sd and the variance, the
    forms that are simple in both distributions' parameters. The caller overwrites
    the small counts afterwards: computing all elements is faster than gathering
    the large ones first (measured on the reference workload). Rounding to an
    integer adds 1/12 to the variance (Sheppard's correction), so the continuous
    quantile is taken with variance ``var - 1/12``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):  # small counts give inf/nan here
        skew = skew_times_sd / np.sqrt(var)
        kurt = kurtosis_times_var / var
        sd = np.sqrt(np.maximum(var - 1.0 / 12.0, 0.0))
        z2 = z * z
        w = (
            z
            + skew * (z2 - 1.0) / 6.0
            + kurt * z * (z2 - 3.0) / 24.0
            - skew * skew * z * (2.0 * z2 - 5.0) / 36.0
        )
        return np.clip(np.floor(mean + sd * w + 0.5), 0.0, upper)


def _invert(u: np.ndarray, p0: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest k with CDF(k) >= u, walking the pmf by ``pmf(k) = pmf(k-1) * (a - k b) / k``.

    Poisson(m) is a = m, b = 0; Binomial(n, q) is a = (n + 1) q / (1 - q), b = q / (1 - q).
    Only the elements still below their ``u`` are carried from one step to the next.
    """
    u = np.minimum(u, _U_MAX)
    k = np.zeros_like(u)
    index = np.flatnonzero(p0 < u)
    u, pmf, cdf, a, b = u[index], p0[index], p0[index], a[index], b[index]
    step = 0
    while index.size:
        step += 1
        pmf = pmf * np.maximum(a - step * b, 0.0) / step
        cdf = cdf + pmf
        k[index] = step
        # pmf reaching 0 (past n, or underflow) means the CDF cannot grow further.
        keep = (cdf < u) & (pmf > 0)
        if not keep.all():
            index, u, pmf, cdf, a, b = index[keep], u[keep], pmf[keep], cdf[keep], a[keep], b[keep]
    return k


def systematic_split(total: np.ndarray, weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Whole counts per class (first axis) that add up to ``total``, by systematic sampling at uniform ``u``.

    Class k gets floor or ceil of ``total * weights[k]``, and exactly that on
    average over ``u``; one customer lands in class k with probability
    ``weights[k]`` (a categorical draw). The counts of several customers vary
    less than a multinomial's: each is within one of its expectation.
    """
    cumulative = np.cumsum(total * weights, axis=0)
    cumulative[-1] = total  # no rounding drift: the last class closes the total
    edges = np.floor(cumulative + u)
    return np.diff(edges, axis=0, prepend=np.zeros((1,) + edges.shape[1:]))


def multinomial(total: np.ndarray, weights: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Multinomial(total, weights) counts per class (first axis) by conditional binomials at scores ``z``.

    ``z`` holds one score per class but the last on its first axis: class k gets
    Binomial(remaining, w_k / (w_k + ... + w_K)).
    """
    out = np.empty(weights.shape)
    remaining = np.asarray(total, dtype=float)
    tail = weights[::-1].cumsum(axis=0)[::-1]
    for k in range(len(weights) - 1):
        share = np.divide(weights[k], tail[k], out=np.zeros_like(remaining), where=tail[k] > 0)
        out[k] = binomial(remaining, np.minimum(share, 1.0), z[k])
        remaining = remaining - out[k]
    out[-1] = remaining
    return out
