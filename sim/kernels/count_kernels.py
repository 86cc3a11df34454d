"""The engine's kernels compiled with numba: the counts of :mod:`sim.model.counts` and fused period steps.

The numpy kernels make about thirty passes over every array of counts (the
Cornish-Fisher expansion for every element, then exact inversion of the small
ones); these make one, and skip the expansion where inversion replaces it. The
period steps of :mod:`sim.model.engine` and :mod:`sim.model.classes` (tallies,
state update, sums over segments, the latent classes' moves) each run as one
pass instead of many numpy calls. They perform the same IEEE operations in the
same order and precision (terms in z^2 in the score's float32, no fused
multiply-add, no fast-math), so the numbers are bit for bit those of the numpy
code: ``tests/kernels/test_counts.py``, ``test_period_steps.py`` and
``tests/model/test_classes.py`` compare them. The one exception, :func:`cf_quick`, evaluates the expansion
with fewer divisions and hands every count it cannot prove equal to the exact
evaluation. The normal CDF, ``exp``, ``expm1`` and ``log1p`` stay with scipy
and numpy, so no libm difference can enter.

Without numba (or with ``CXROI_NUMBA=0``) :func:`compiled` is None and the
numpy code runs. With it, each kernel is loaded from numba's on-disk cache, or
compiled once per machine, on its first call (:mod:`sim.kernels.loader`).
"""

from __future__ import annotations

import sys
from functools import cache

import numpy as np

from sim.kernels import loader, refused

EXACT_BELOW = 4.0
_HELPERS = ("_cf_one", "cf_quick", "_rarer", "_fraction", "_walk")
"""Functions the kernels call: compiled first, under the same names."""
_KERNELS = ("binomial_pass", "poisson_pass", "invert", "invert_binomial", "move_classes", "churn_leaving",
            "leave_churn", "tally_experiences", "next_states", "sum_segments",
            "contact_products", "contact_excess")


def compiled() -> loader.Kernels | None:
    """The compiled kernels (``compiled().binomial_pass``), or None without numba, with CXROI_NUMBA=0 or inside
    :func:`sim.kernels.numpy_only`: the model then runs its numpy code.

    Asked for on the first count drawn, not when the model is imported: ``cxroi
    validate`` and ``--help`` never import numba.
    """
    return None if refused() else _compiled()


@cache
def _compiled() -> loader.Kernels | None:
    if not loader.available():
        return None
    return loader.Kernels(sys.modules[__name__], _KERNELS, _HELPERS, {"error_model": "numpy"})


def _cf_one(mean, var, skew_times_sd, kurtosis_times_var, z, upper):
    """The Cornish-Fisher count of one element, as :func:`sim.model.counts._cornish_fisher` computes it."""
    # float32 constants keep float32 scores' z^2 terms in float32 (numpy's rule for a
    # Python float with a float32 array); with float64 scores they widen exactly.
    one, two, three, five = np.float32(1.0), np.float32(2.0), np.float32(3.0), np.float32(5.0)
    skew = skew_times_sd / np.sqrt(var)
    kurt = kurtosis_times_var / var
    spread = var - 1.0 / 12.0
    if spread < 0.0:
        spread = 0.0
    sd = np.sqrt(spread)
    z2 = z * z
    w = z + skew * (z2 - one) / 6.0
    w = w + kurt * z * (z2 - three) / 24.0
    w = w - skew * skew * z * (two * z2 - five) / 36.0
    x = np.floor(mean + sd * w + 0.5)
    if x < 0.0:
        x = 0.0
    if x > upper:
        x = upper
    return x


_QUICK_MARGIN = 1e-11
"""Relative margin within which :func:`cf_quick` leaves a count to :func:`_cf_one`: thousands of times
the two evaluations' largest difference (about 20 roundings of 2^-53 of the terms' magnitude)."""


def cf_quick(mean, var, skew_times_sd, kurtosis_times_var, z, upper):
    """:func:`_cf_one`'s count with one division instead of its five (multiplications by reciprocals), and whether
    it is sure to be :func:`_cf_one`'s.

    The two evaluations differ only in the rounding of the float64 operations
    (the terms in z^2 are the same float32 operations), so their ``mean + sd w + 0.5``
    differ by far less than ``_QUICK_MARGIN`` times the sum of the magnitudes of its
    terms. Where no integer lies within that margin of it, both floors are the
    same integer, and so are the clipped counts; elsewhere (and for any NaN or
    infinity) it is not sure and the caller takes :func:`_cf_one`. Without a
    data-dependent branch, so LLVM vectorises the loops that call it; divisions
    are what bounds those loops.
    """
    one, two, three, five = np.float32(1.0), np.float32(2.0), np.float32(3.0), np.float32(5.0)
    reciprocal = 1.0 / np.sqrt(var)
    skew = skew_times_sd * reciprocal
    kurt = kurtosis_times_var * (reciprocal * reciprocal)
    spread = var - 1.0 / 12.0
    if spread < 0.0:
        spread = 0.0
    sd = np.sqrt(spread)
    z2 = z * z
    first = skew * (z2 - one) * (1.0 / 6.0)
    second = kurt * z * (z2 - three) * (1.0 / 24.0)
    third = skew * skew * z * (two * z2 - five) * (1.0 / 36.0)
    x = mean + sd * (z + first + second - third) + 0.5
    margin = _QUICK_MARGIN * (abs(mean) + sd * (abs(z) + abs(first) + abs(second) + abs(third)) + 1.0)
    low = np.floor(x - margin)
    sure = low == np.floor(x + margin)
    if low < 0.0:
        low = 0.0
    if low > upper:
        low = upper
    return low, sure


def binomial_pass(n, p, z, out):
    """Large counts into ``out`` (flat arrays of one length), with the small ones left to inversion.

    Returns the small elements' positions and their n, rarer-outcome probability
    q and score (``1 - p`` and ``-z`` where p > 1/2), which the inversion needs.
    The first loop computes the Cornish-Fisher count of every element without
    a data-dependent branch (:func:`cf_quick`), so LLVM vectorises it (1.6x
    faster than one loop that also gathers the small elements; the small ones'
    values are overwritten by the inversion); the second gathers the small ones
    and takes :func:`_cf_one` where the quick count was not sure (none in the
    4.4 million large counts of a 1,250-draw reference run).
    """
    todo = np.empty(out.size, dtype=np.int8)  # 0: done, 1: small, 2: Cornish-Fisher count not sure
    for i in range(out.size):
        qi, zi, flip = _rarer(p[i], z[i])
        pq = qi * (1.0 - qi)
        var = n[i] * pq
        k, sure = cf_quick(n[i] * qi, var, 1.0 - 2.0 * qi, 1.0 - 6.0 * pq, zi, n[i])
        todo[i] = 1 if var < EXACT_BELOW else (0 if sure else 2)
        out[i] = n[i] - k if flip else k
    index = np.empty(out.size, dtype=np.int64)
    ns, qs, zs = np.empty(out.size), np.empty(out.size), np.empty(out.size, dtype=z.dtype)
    count = 0
    for i in range(out.size):
        if todo[i] == 0:
            continue
        qi, zi, flip = _rarer(p[i], z[i])
        if todo[i] == 2:
            pq = qi * (1.0 - qi)
            k = _cf_one(n[i] * qi, n[i] * pq, 1.0 - 2.0 * qi, 1.0 - 6.0 * pq, zi, n[i])
            out[i] = n[i] - k if flip else k
        elif n[i] == 0.0 or qi == 0.0:
            # The inversion's answer without it: pmf(0) = (1 - q)^n = 1, so the rarer count is 0.
            out[i] = n[i] - 0.0 if flip else 0.0
        else:
            index[count], ns[count], qs[count], zs[count] = i, n[i], qi, zi
            count += 1
    return index[:count], ns[:count], qs[:count], zs[:count]


def _rarer(p, z):
    """The rarer outcome's probability and score of Binomial(., p) at score z, and whether they are flipped."""
    if p < 0.0:
        p = 0.0
    elif p > 1.0:
        p = 1.0
    flip = p > 0.5
    if flip:
        return 1.0 - p, -z, flip
    return p, z, flip


def poisson_pass(mean, z, out):
    """Large Poisson counts into ``out``; returns the small ones' positions (vectorised as :func:`binomial_pass`)."""
    todo = np.empty(out.size, dtype=np.bool_)
    for i in range(out.size):
        k, sure = cf_quick(mean[i], mean[i], 1.0, 1.0, z[i], np.inf)
        out[i] = k
        todo[i] = not sure
    index = np.empty(out.size, dtype=np.int64)
    count = 0
    for i in range(out.size):  # the count makes this loop scalar: no vectorised _cf_one of every element
        if mean[i] < EXACT_BELOW:
            index[count] = i
            count += 1
        elif todo[i]:
            out[i] = _cf_one(mean[i], mean[i], 1.0, 1.0, z[i], np.inf)
    return index[:count]


def invert(u, p0, a, b):
    """:func:`sim.model.counts._invert`, one element at a time; ``u`` is the float64 target below 1
    that :func:`sim.model.counts._target` computes for both kernels."""
    k = np.zeros(u.size)
    for i in range(u.size):
        k[i] = _walk(u[i], p0[i], a[i], b[i])
    return k


def invert_binomial(u, p0, ns, qs, index, n, p, out):
    """The small binomial counts by exact inversion, placed into ``out`` (``n - k`` where p > 1/2): what
    :func:`invert` does after numpy's odds ``q / (1 - q)`` (0 at q = 1), in one pass and without those arrays.

    ``ns``, ``qs`` are the small elements' n and rarer-outcome probability (:func:`binomial_pass`),
    ``u`` and ``p0 = (1 - q)^n`` their target and pmf(0), computed in numpy.
    """
    for j in range(u.size):
        q = qs[j]
        odds = q / (1.0 - q) if q < 1.0 else 0.0
        k = _walk(u[j], p0[j], (ns[j] + 1.0) * odds, odds)
        i = index[j]
        out[i] = n[i] - k if p[i] > 0.5 else k


def _walk(u, pmf, a, b):
    """Smallest k with CDF(k) >= u from pmf(0), by ``pmf(k) = pmf(k-1) * (a - k b) / k`` (0 if pmf(0) >= u)."""
    cdf = pmf
    k = 0.0
    if not pmf < u:
        return k
    step = 0
    while True:
        step += 1
        factor = a - step * b
        if factor < 0.0:
            factor = 0.0
        pmf = pmf * factor / step
        cdf = cdf + pmf
        k = step
        if not (cdf < u and pmf > 0):
            break
    return k


def _fraction(part, whole):
    """part / whole, 0 where whole is not above 0 (:func:`sim.model.classes._fraction` for one element)."""
    return part / whole if whole > 0.0 else 0.0


def move_classes(counts, n, had_bad, had_good, walked, decayed):
    """:meth:`sim.model.classes.Population.move` in place on ``counts`` (class, state, row, segment).

    The same IEEE operations in the same order as the numpy method (whose
    einsum adds the three old states' terms left to right), so the same bits;
    but two passes instead of about forty: the nine (new state, old state)
    shares of every (row, segment), then every class moved with them, class
    by class over contiguous runs (C-contiguous arrays, rows x segments flat).
    """
    classes, size = counts.shape[0], counts.shape[2] * counts.shape[3]
    counts = counts.reshape(classes, 3, size)
    n, had_bad, had_good = n.reshape(3, size), had_bad.reshape(3, size), had_good.reshape(3, size)
    walked, decayed = walked.reshape(size), decayed.reshape(2, size)
    shares = np.empty((9, size))
    for i in range(size):
        n0, n1, n2 = n[0, i], n[1, i], n[2, i]
        b0, b1, b2 = had_bad[0, i], had_bad[1, i], had_bad[2, i]
        g0, g1, g2 = had_good[0, i], had_good[1, i], had_good[2, i]
        bad0, bad1, bad2 = _fraction(b0, n0), _fraction(b1, n1), _fraction(b2, n2)
        good0 = (1.0 - bad0) * _fraction(g0, n0 - b0)
        good1 = (1.0 - bad1) * _fraction(g1, n1 - b1)
        good2 = (1.0 - bad2) * _fraction(g2, n2 - b2)
        none0, none1, none2 = 1.0 - bad0 - good0, 1.0 - bad1 - good1, 1.0 - bad2 - good2
        back_p = _fraction(decayed[0, i], n1 - b1 - g1)
        back_b = _fraction(decayed[1, i], n2 - b2 - g2)
        stay_bad = 1.0 - _fraction(walked[i], b0 + b1 + b2)
        shares[0, i], shares[1, i], shares[2, i] = none0, back_p * none1, back_b * none2
        shares[3, i], shares[4, i], shares[5, i] = good0, good1 + (1.0 - back_p) * none1, good2
        shares[6, i], shares[7, i], shares[8, i] = stay_bad * bad0, stay_bad * bad1, stay_bad * bad2 + (1.0 - back_b) * none2
    for k in range(classes):
        for i in range(size):
            c0, c1, c2 = counts[k, 0, i], counts[k, 1, i], counts[k, 2, i]
            counts[k, 0, i] = shares[0, i] * c0 + shares[1, i] * c1 + shares[2, i] * c2
            counts[k, 1, i] = shares[3, i] * c0 + shares[4, i] * c1 + shares[5, i] * c2
            counts[k, 2, i] = shares[6, i] * c0 + shares[7, i] * c1 + shares[8, i] * c2


def churn_leaving(q, churn):
    """:meth:`sim.model.classes.Population.churn_probability`'s expected leavers per state: the products
    ``q x churn`` (class, state, row, segment) summed over classes in class order, as numpy's sum over
    the first axis adds them. The products are not kept: :func:`leave_churn` makes them again."""
    states, rows, segments = churn.shape[1], churn.shape[2], churn.shape[3]
    expected = np.empty((states, rows, segments))
    for s in range(states):
        for r in range(rows):
            for g in range(segments):
                total = q[0, s, r, g] * churn[0, s, r, g]
                for k in range(1, churn.shape[0]):
                    total = total + q[k, s, r, g] * churn[k, s, r, g]
                expected[s, r, g] = total
    return expected


def leave_churn(churn, buy, q, expected, n, churned, rate, rated):
    """:meth:`sim.model.classes.Population.leave_churn` in place, the numpy method's operations in its order
    (the leavers ``q x churn`` made again rather than read back). In the same pass, into ``rated`` (state,
    row, segment), the survivors' purchase rates summed over the buying classes (``rate``: class, row,
    segment) in class order, as :meth:`~sim.model.classes.Population.purchase_mean` sums them next.
    State by state, class by class over contiguous runs (C-contiguous arrays, rows x segments flat)."""
    states, size = n.shape[0], n.shape[1] * n.shape[2]
    churn_k, buy_k = churn.shape[0], buy.shape[0]
    churn, buy, q = churn.reshape(churn_k, states, size), buy.reshape(buy_k, states, size), q.reshape(churn_k, states, size)
    expected, n, churned = expected.reshape(states, size), n.reshape(states, size), churned.reshape(states, size)
    rate, rated = rate.reshape(buy_k, size), rated.reshape(states, size)
    survive, thin = np.empty(size), np.empty(size)
    for s in range(states):
        for i in range(size):
            survive[i] = _fraction(n[s, i] - churned[s, i], n[s, i] - expected[s, i])
            thin[i] = 1.0 - _fraction(churned[s, i], n[s, i])
        for k in range(churn_k):
            for i in range(size):
                c = churn[k, s, i]
                churn[k, s, i] = (c - q[k, s, i] * c) * survive[i]
        for k in range(buy_k):
            for i in range(size):
                b = buy[k, s, i] * thin[i]
                buy[k, s, i] = b
                rated[s, i] = b * rate[k, i] if k == 0 else rated[s, i] + b * rate[k, i]


def tally_experiences(n, had_bad, had_good, c, bad_excess, good_excess, good, neither, had_none, totals):
    """:func:`sim.model.engine.tally_experiences_numpy` in one pass: ``had_none`` (state, row, segment) and
    ``totals`` (bad, good, mean of the further contacts; row, segment) filled in place.

    The same operations in the same order: ``(n - had_bad) - had_good``; per state
    ``((bad_excess had_bad + good_excess had_good) + (had_bad c) good) + (n c) neither``;
    sums over states left to right, starting from the first state's value. C-contiguous
    arrays, each state's (row, segment) block one run (twice as fast as three nested loops).
    """
    states, size = n.shape[0], n.shape[1] * n.shape[2]
    n, had_bad, had_good, c = n.reshape(states, size), had_bad.reshape(states, size), had_good.reshape(states, size), c.reshape(states, size)
    bad_excess, good_excess = bad_excess.reshape(states, size), good_excess.reshape(states, size)
    good, neither = good.reshape(size), neither.reshape(size)
    had_none, totals = had_none.reshape(states, size), totals.reshape(3, size)
    for s in range(states):
        for i in range(size):
            hb, hg, ns, cs = had_bad[s, i], had_good[s, i], n[s, i], c[s, i]
            had_none[s, i] = ns - hb - hg
            excess = bad_excess[s, i] * hb + good_excess[s, i] * hg
            excess = excess + hb * cs * good[i]
            excess = excess + ns * cs * neither[i]
            if s == 0:
                totals[0, i], totals[1, i], totals[2, i] = hb, hg, excess
            else:
                totals[0, i], totals[1, i], totals[2, i] = totals[0, i] + hb, totals[1, i] + hg, totals[2, i] + excess


def next_states(had_none, decayed, good_total, bad_total, walked, new):
    """:func:`sim.model.engine.next_states_numpy` in one pass into ``new`` (state, row, segment); C-contiguous arrays."""
    size = good_total.shape[0] * good_total.shape[1]
    had_none, decayed, new = had_none.reshape(3, size), decayed.reshape(2, size), new.reshape(3, size)
    good_total, bad_total, walked = good_total.reshape(size), bad_total.reshape(size), walked.reshape(size)
    for i in range(size):
        back_p, back_b = decayed[0, i], decayed[1, i]
        new[0, i] = had_none[0, i] + back_p + back_b
        new[1, i] = good_total[i] + had_none[1, i] - back_p
        new[2, i] = bad_total[i] - walked[i] + had_none[2, i] - back_b


def sum_segments(values, totals):
    """``values`` (output, row, segment) summed over segments into ``totals`` (output, row), left to right
    from the first segment: :func:`sim.model.engine.sum_segments_numpy`'s order, numpy's over a short axis."""
    outputs, rows, segments = values.shape
    for o in range(outputs):
        for r in range(rows):
            total = values[o, r, 0]
            for g in range(1, segments):
                total = total + values[o, r, g]
            totals[o, r] = total


def contact_products(c, bad, good, mean, minus, neither):
    """:meth:`sim.model.engine.ContactRates.of_numpy`'s first steps in one pass: into ``mean`` (bad, good;
    state, row, segment) the mean bad and good contacts ``c x bad`` and ``c x good``, into ``minus`` their
    negatives (for numpy's expm1), into ``neither`` ``1 - good - bad``. C-contiguous, rows x segments flat."""
    states, size = c.shape[0], c.shape[1] * c.shape[2]
    c, bad, good, neither = c.reshape(states, size), bad.reshape(size), good.reshape(size), neither.reshape(size)
    mean, minus = mean.reshape(2, states, size), minus.reshape(2, states, size)
    for i in range(size):
        neither[i] = 1.0 - good[i] - bad[i]
    for s in range(states):
        for i in range(size):
            mean_bad, mean_good = c[s, i] * bad[i], c[s, i] * good[i]
            mean[0, s, i], mean[1, s, i] = mean_bad, mean_good
            minus[0, s, i], minus[1, s, i] = -mean_bad, -mean_good


def contact_excess(mu, at_least_one, excess):
    """With ``at_least_one`` holding expm1(-mu): it becomes 1 - exp(-mu) = -expm1(-mu) in place
    (:func:`sim.model.engine._at_least_one`), and ``excess`` the zero-truncated mean's excess over one,
    mu / (1 - exp(-mu)) - 1, or mu / 2 where mu is not above 1e-12 (:func:`sim.model.engine._excess_over_one`).
    C-contiguous arrays of one shape, taken flat."""
    mu, at_least_one, excess = mu.reshape(mu.size), at_least_one.reshape(mu.size), excess.reshape(mu.size)
    for i in range(mu.size):
        m, chance = mu[i], -at_least_one[i]
        at_least_one[i] = chance
        excess[i] = m / chance - 1.0 if m > 1e-12 else m / 2.0
