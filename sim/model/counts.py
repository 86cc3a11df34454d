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

from sim.kernels import count_kernels

EXACT_BELOW = 4.0
"""Variance under which a count is drawn by exact CDF inversion."""

_U_MAX = 1.0 - 1e-13
"""Highest target probability of the inversion: the CDF walk's rounding stays far below 1e-13,
so it reaches this for every pmf (and ends inside the support) without underflowing."""


def _target(z: np.ndarray) -> np.ndarray:
    """For flat scores ``z``: the inversion's target probability ``min(CDF(z), _U_MAX)`` in float64 (the same for both kernels).

    The CDF is taken in the score's precision, where it is below 1, so the
    counts are those of every earlier version; only where a float32 score's
    CDF rounds to 1 (scores above about 5.3, 6 in 10^8 of them) is it taken
    again in float64. A target of 1 would run the walk until the pmf
    underflows: Poisson counts far above the exact quantile, binomial ones at
    n + 1 (and -1 after the flip for p > 1/2).
    """
    u = ndtr(z)
    if u.dtype == np.float64:
        return np.minimum(u, _U_MAX, out=u)
    top = u == 1.0  # float32: only 1 itself is above _U_MAX
    u = u.astype(np.float64)  # exact widening: comparisons with it are those with the float32 value
    if top.any():
        u[top] = np.minimum(ndtr(z[top].astype(np.float64)), _U_MAX)
    return u


def poisson(mean: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Poisson(mean) counts at normal scores ``z`` (same shape); float64."""
    kernels = count_kernels.compiled()
    if kernels is not None:
        return _poisson_compiled(kernels, mean, z)
    return poisson_numpy(mean, z)


def binomial(n: np.ndarray, p: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Binomial(n, p) counts at normal scores ``z``; ``n`` holds whole numbers; float64."""
    kernels = count_kernels.compiled()
    if kernels is not None:
        return _binomial_compiled(kernels, n, p, z)
    return binomial_numpy(n, p, z)


def _flat(x, shape, dtype=float) -> np.ndarray:
    """``x`` broadcast to ``shape`` as a flat C-contiguous vector (itself, not a copy, when it already is one)."""
    x = np.asarray(x, dtype=dtype)
    if x.shape != shape or not x.flags.c_contiguous:
        x = np.ascontiguousarray(np.broadcast_to(x, shape))
    return x.reshape(-1)


def _poisson_compiled(kernels, mean, z):
    """:func:`poisson_numpy` by the compiled kernels (same numbers)."""
    shape = np.shape(z)
    mean, zf = _flat(mean, shape), _flat(z, shape, z.dtype)
    out = np.empty(mean.size)
    index = kernels.poisson_pass(mean, zf, out)
    if index.size:
        m = mean[index]
        out[index] = kernels.invert(_target(zf[index]), np.exp(-m), m, np.zeros_like(m))
    return out.reshape(shape)


def _binomial_compiled(kernels, n, p, z):
    """:func:`binomial_numpy` by the compiled kernels (same numbers).

    The small counts' pmf(0) ``(1 - q)^n = exp(n log1p(-q))`` is taken in numpy
    (its exp and log1p, not libm's), in one buffer; the inversion kernel derives
    the odds and places the counts.
    """
    shape = np.shape(z)
    n, p, zf = _flat(n, shape), _flat(p, shape), _flat(z, shape, z.dtype)
    out = np.empty(n.size)
    index, ns, qs, zs = kernels.binomial_pass(n, p, zf, out)
    if index.size:
        p0 = np.negative(qs)
        np.log1p(p0, out=p0)
        p0 *= ns
        np.exp(p0, out=p0)
        kernels.invert_binomial(_target(zs), p0, ns, qs, index, n, p, out)
    return out.reshape(shape)


def poisson_numpy(mean: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Poisson(mean) counts at normal scores ``z`` in numpy: the reference of the compiled kernels."""
    mean = np.broadcast_to(np.asarray(mean, dtype=float), np.shape(z))
    small = mean < EXACT_BELOW
    out = _cornish_fisher(mean, mean, 1.0, 1.0, z, np.inf)
    if small.any():
        m = mean[small]
        out[small] = _invert(_target(z[small]), np.exp(-m), m, np.zeros_like(m))
    return out


def binomial_numpy(n: np.ndarray, p: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Binomial(n, p) counts at normal scores ``z`` in numpy: the reference of the compiled kernels."""
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
        out[small] = _invert(_target(np.broadcast_to(zz, shape)[small]), np.exp(ns * np.log1p(-qs)), (ns + 1.0) * odds, odds)
    return np.where(flip, n - out, out) if flipped else out


def _cornish_fisher(mean, var, skew_times_sd, kurtosis_times_var, z, upper):
    """Nearest integer to the Cornish-Fisher quantile, clipped to [0, upper], for every element.

    Skewness and excess kurtosis come multiplied by the sd and the variance, the
    forms that are simple in both distributions' parameters. The caller overwrites
    the small counts afterwards: computing all elements is faster than gathering
    the large ones first (measured on the reference workload). Rounding to an
    integer adds 1/12 to the variance (Sheppard's correction), so the continuous
    quantile is taken with variance ``var - 1/12``.

    The expansion ``z + s (z^2 - 1)/6 + k z (z^2 - 3)/24 - s^2 z (2 z^2 - 5)/36``
    is evaluated in three reused buffers, operation by operation in the order
    (and at the precision: terms in z^2 stay in z's float32) of the plain
    expression, so the counts are bit for bit those of the plain expression
    (``tests/model/test_counts.py`` holds them to it) with a fifth of the
    temporaries.
    """
    with np.errstate(divide="ignore", invalid="ignore"):  # small counts give inf/nan here
        skew = np.sqrt(var)
        np.divide(skew_times_sd, skew, out=skew)
        kurt = np.divide(kurtosis_times_var, var)
        sd = np.subtract(var, 1.0 / 12.0)
        np.maximum(sd, 0.0, out=sd)
        np.sqrt(sd, out=sd)
        z2 = np.multiply(z, z)
        poly = np.subtract(z2, 1.0)  # in z's precision, as z * z - 1.0 is
        w = np.multiply(skew, poly)
        w /= 6.0
        w += z
        np.subtract(z2, 3.0, out=poly)
        kurt *= z
        kurt *= poly
        kurt /= 24.0
        w += kurt
        term = np.multiply(skew, skew, out=kurt)
        term *= z
        np.multiply(z2, 2.0, out=poly)
        poly -= 5.0
        term *= poly
        term /= 36.0
        w -= term
        w *= sd
        w += mean
        w += 0.5
        np.floor(w, out=w)
        np.maximum(w, 0.0, out=w)
        return np.minimum(w, upper, out=w)


def _invert(u: np.ndarray, p0: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest k with CDF(k) >= u, walking the pmf by ``pmf(k) = pmf(k-1) * (a - k b) / k``.

    Poisson(m) is a = m, b = 0; Binomial(n, q) is a = (n + 1) q / (1 - q), b = q / (1 - q).
    Each element counts the steps it is still below its ``u``; finished elements are
    dropped from the arrays only once they are half of them (dropping costs a gather
    of six arrays, carrying them a few multiplications).
    """
    k = np.zeros_like(u)
    index = np.flatnonzero(p0 < u)
    u, pmf, cdf, a, b = u[index], p0[index], p0[index], a[index], b[index]
    steps = np.zeros_like(u)
    alive = np.ones(index.size, dtype=bool)
    live = index.size
    step = 0
    while live:
        step += 1
        pmf = pmf * np.maximum(a - step * b, 0.0) / step
        cdf = cdf + pmf
        steps += alive
        # pmf reaching 0 (past n, or underflow) means the CDF cannot grow further.
        alive &= (cdf < u) & (pmf > 0)
        live = np.count_nonzero(alive)
        if live < alive.size // 2:
            k[index] = steps
            index, u, pmf, cdf, a, b, steps = (x[alive] for x in (index, u, pmf, cdf, a, b, steps))
            alive = np.ones(live, dtype=bool)
    k[index] = steps
    return k


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
