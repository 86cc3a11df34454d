"""Which customers of a state move: the split of a flow over the buying classes, compiled with numba.

A flow of ``m`` customers out of a group of ``N`` whose buying classes hold
``x_k`` (the realised classes of :mod:`sim.model.classes`) splits over the
classes at random. When the flow does not depend on the class (churn,
experiences, walk-aways, decay), the split given ``m`` is multivariate
hypergeometric; when it does (BG/NBD dropout: class k leaves with its own
probability ``q_k``), it is the split of independent Binomial(x_k, q_k) given
their sum. Both are drawn as their conditional mean plus a noise with their
exact covariance, ``v diag(d) - (d d') / sum(d)`` for d_k = x_k q_k (1 - q_k)
(and v = N / (N - 1), the finite-population factor, in the hypergeometric
case, where q_k = m / N): the noise ``sqrt(d_k) e_k - d_k / sum(d) sum_j
sqrt(d_j) e_j`` of independent unit scores ``e_k`` has that covariance and sums
to 0. The result is held within [0, x_k] and the clipped part spread over the
room left, so the classes add up to ``m``.

The scores are not stored: each is a hash (splitmix64, Steele, Lea & Flood
2014) of the draw's key, the period, the flow and the class, turned into a
triangular variate of mean 0 and variance 1 (the sum of two uniforms). Keyed by
the draw's index, not the chunk or worker, so results do not depend on
chunking; every arm of a draw reads the same scores (common random numbers);
and the cost per class is a few integer operations, without memory for a
period's scores of every class.

Every function here is plain Python over flat arrays; :func:`compiled` gives
them compiled with numba, loaded from its cache or compiled once
(:mod:`sim.kernels.loader`). :mod:`sim.model.splits` holds the numpy
references, which perform the same IEEE operations in the same order: the
tests compare them bit for bit.
"""

from __future__ import annotations

import sys
from functools import cache

import numpy as np

from sim.kernels import loader, refused

_GOLDEN, _MIX1, _MIX2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S32, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(32), np.uint64(11)
_LOW = np.uint64(0xFFFFFFFF)
_CLASS = np.uint64(0xD6E8FEB86659FD93)
_TWO_M32, _TWO_M53 = 2.0**-32, 2.0**-53
_SQRT6 = np.sqrt(6.0)


def _mix(z):
    """The splitmix64 finaliser of a uint64 (wrapping arithmetic)."""
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


def _score(key, tag, k):
    """The scores of class ``k`` for a (draw, segment) ``key`` and a (period, flow) ``tag``: a triangular
    variate of mean 0 and variance 1 (from the hash's two 32-bit halves) and a uniform in [0, 1) (its top 53 bits)."""
    h = _mix(key ^ (tag + np.uint64(k) * _CLASS))
    return ((h >> _S32) * _TWO_M32 + (h & _LOW) * _TWO_M32 - 1.0 + _TWO_M32) * _SQRT6, (h >> _S11) * _TWO_M53


def _alone(x, q, e, u):
    """One class's leavers as if alone, with Binomial(x, q)'s mean mu and variance d, within [0, x], and
    whether it was drawn by the score ``e`` (the class can then take a share of the gap to the total).

    Where mu +- sqrt(6 d) (the triangular score's reach) stays within [0, x]: mu + sqrt(d) e. Elsewhere
    (few leavers, or nearly all) two points at uniform ``u``, never clipped so never biased: 0 or
    mu + d / mu (or mu - d / (x - mu) or x, where more than half leave; 0 or x below one customer).
    """
    mu = x * q
    d = mu * (1.0 - q)
    if d <= 0.0:
        return mu, False
    sd = np.sqrt(d)
    reach = _SQRT6 * sd
    if reach <= mu and mu + reach <= x:
        return mu + sd * e, True
    if x < 1.0:
        return (x if u < q else 0.0), False
    if mu <= x - mu:
        high = mu + (1.0 - q)  # mu + d / mu
        return (high if u * high < mu else 0.0), False
    room = x - mu
    low = mu - d / room
    return (low if u * (x - low) < room else x), False


def split(x, q, m, out, keys, tag, noisy, even):
    """Split ``m[i]`` leavers over the classes ``x[:, i]`` (flat: class, rows x segments) into ``out``.

    ``even``: the flow does not depend on the class (every class at q = m / N: multivariate
    hypergeometric); else class k leaves with ``q[k, i]``. Each class is drawn as if alone
    (:func:`_alone`), then moved to the total by the Gaussian conditioning on the sum,
    ``y_k + d_k / sum(d) (m - sum y)`` with d_k = x_k q_k (1 - q_k), which keeps every mean and gives
    the covariance of the classes given their sum; the sums run over the classes drawn by their score
    when there are any, so that the two-point draws are not pushed below 0 by a share of the gap and
    clipped (a bias against small classes). Held within [0, x_k] (:func:`_hold`). ``noisy`` False
    gives the conditional mean.
    """
    classes, size = x.shape
    # Class by class over all columns (the inner loop runs over the columns: the hashes, square roots and sums
    # of a class for many columns at once), each column's sums in class order as before.
    total = np.zeros(size)
    for k in range(classes):
        for i in range(size):
            total[i] = total[i] + x[k, i]
    share = np.empty(size)
    for i in range(size):
        share[i] = m[i] / total[i]  # not used where nobody or everybody moves (set at the end)
    drawn, spread, large = np.zeros(size), np.zeros(size), np.zeros(size)
    spreads = np.empty((classes, size))
    takes = np.empty((classes, size), dtype=np.bool_)
    for k in range(classes):
        for i in range(size):
            qk = share[i] if even else q[k, i]
            d = x[k, i] * qk * (1.0 - qk)
            scored = False
            if noisy and x[k, i] <= 0.0:
                y = 0.0
            elif noisy:
                e, u = _score(keys[i], tag, k)
                y, scored = _alone(x[k, i], qk, e, u)
                if scored:
                    large[i] = large[i] + d
            else:
                y = x[k, i] * qk
            out[k, i] = y
            spreads[k, i], takes[k, i] = d, scored
            drawn[i] = drawn[i] + y
            spread[i] = spread[i] + d
    # The gap to the total goes to the classes drawn by their score (the two-point draws stay unbiased),
    # or to every class where none is.
    gap = np.zeros(size)
    every = np.zeros(size, dtype=np.bool_)  # (a class drawn by its score has d > 0: its column's pool is > 0)
    for i in range(size):
        pool = large[i] if (noisy and large[i] > 0.0) else spread[i]
        if pool > 0.0:
            gap[i] = (m[i] - drawn[i]) / pool
            every[i] = pool == spread[i]
    outside = np.zeros(size, dtype=np.bool_)
    for k in range(classes):
        for i in range(size):
            if every[i] or takes[k, i]:
                y = out[k, i] + spreads[k, i] * gap[i]
                out[k, i] = y
                outside[i] = outside[i] or y < 0.0 or y > x[k, i]
    for i in range(size):
        moved = m[i]
        if moved <= 0.0 or total[i] <= 0.0:
            for k in range(classes):
                out[k, i] = 0.0
        elif moved >= total[i]:
            for k in range(classes):
                out[k, i] = x[k, i]
        elif outside[i]:  # else the classes add up to the total but for rounding
            _hold(x, i, classes, moved, out)


def leave(x, q, m, out, keys, tag, noisy, even, rate, rated):
    """:func:`split`, then the leavers taken from ``x`` in place and, into ``rated`` (rows x segments), the
    stayers' rates ``rate`` (class, rows x segments) summed over the classes in class order."""
    split(x, q, m, out, keys, tag, noisy, even)
    classes, size = x.shape
    for i in range(size):
        rated[i] = 0.0
    for k in range(classes):
        for i in range(size):
            stay = x[k, i] - out[k, i]
            x[k, i] = stay
            rated[i] = rated[i] + stay * rate[k, i]


def dropout_step(posterior, prior, joined, stay, used, buy, n, mean, narrow, chance):
    """BG/NBD, one period's dropout in one pass over the rate classes (flat arrays: posterior (K, J, m),
    prior (K, J, b), joined (K, m), stay (K, J, 3, b), used (K,), buy (K, m), n (3, m), mean and narrow
    (3, m), chance (K, m)), with ``b`` dividing ``m``: column c of the counts reads column c mod b of
    ``prior`` and ``stay`` (the arms stacked on the rows share them: one copy instead of one per arm, read
    from cache). Class k's nodes from ``used[k]`` on have prior 0 in every column (a class that needs fewer
    nodes: :func:`sim.model.mixing.dropout_nodes`): they hold no one and are skipped, which changes no number.

    First the period's newcomers: posterior += joined x (prior - posterior) per class, ``joined`` the
    newcomers' share of the class (they bring the prior shares; 0 where none came). A customer of rate
    class k then drops out in state s with q_ks = 1 - sum_j posterior_kj stay_kjs (the shares over its
    dropout nodes j, stay = exp(-rate x multiplier x p)). Per state: ``mean`` the mean of q over its
    customers (each state holds the share buy_k / N of every class) and ``narrow`` = sqrt(min(1, sum_k
    w_k q (1 - q) / (mean (1 - mean)))), the factor on the score of the state's total that gives it the
    variance of a sum of binomials. Per class: ``chance`` = sum_s q_ks n_s / n, its chance over all states.
    ``posterior`` becomes the survivors' shares, posterior_kj x sum_s stay_kjs n_s / n normalised over j
    (Bayes; what is known does not depend on how many dropped out). Sums in index order.

    The joined shares, kept and staying sums of a node are made in one pass over the columns, so each
    array is read from memory once a period (the kernel is bound by memory, not arithmetic).
    """
    classes, nodes, size = posterior.shape
    states = stay.shape[2]
    block = stay.shape[3]
    total, people = np.empty(size), np.empty(size)
    weight = np.empty((states, size))
    for i in range(size):
        total[i] = buy[0, i]
        people[i] = n[0, i]
    for k in range(1, classes):
        for i in range(size):
            total[i] = total[i] + buy[k, i]
    for s in range(1, states):
        for i in range(size):
            people[i] = people[i] + n[s, i]
    for s in range(states):
        for i in range(size):
            weight[s, i] = n[s, i] / people[i] if people[i] > 0.0 else 0.0
    spread = np.empty((states, size))
    kept = np.empty((states, size))
    held = np.empty(size)
    for k in range(classes):
        for j in range(used[k]):
            # One pass over the node's columns (three states): the newcomers joined, the node's share kept per
            # state (summed over nodes), its chance of staying over the states, the survivors' share (before
            # normalising) and its sum over the nodes; ``prior`` and ``stay`` read per block of columns.
            first = j == 0
            for start in range(0, size, block):
                node, near = posterior[k, j, start:start + block], joined[k, start:start + block]
                share_of, chances, node_prior = weight[:, start:start + block], stay[k, j], prior[k, j]
                kept_here, held_here = kept[:, start:start + block], held[start:start + block]
                for i in range(block):
                    x = node[i]
                    x = x + near[i] * (node_prior[i] - x)
                    v0, v1, v2 = chances[0, i], chances[1, i], chances[2, i]
                    if first:
                        kept_here[0, i], kept_here[1, i], kept_here[2, i] = x * v0, x * v1, x * v2
                    else:
                        kept_here[0, i] = kept_here[0, i] + x * v0
                        kept_here[1, i] = kept_here[1, i] + x * v1
                        kept_here[2, i] = kept_here[2, i] + x * v2
                    value = x * ((v0 * share_of[0, i] + v1 * share_of[1, i]) + v2 * share_of[2, i])
                    node[i] = value
                    held_here[i] = value if first else held_here[i] + value
        for s in range(states):
            for i in range(size):
                q = 1.0 - kept[s, i]
                share = buy[k, i] / total[i] if total[i] > 0.0 else 0.0
                if k == 0:
                    mean[s, i] = share * q
                    spread[s, i] = share * q * (1.0 - q)
                else:
                    mean[s, i] = mean[s, i] + share * q
                    spread[s, i] = spread[s, i] + share * q * (1.0 - q)
                chance[k, i] = q * weight[s, i] if s == 0 else chance[k, i] + q * weight[s, i]
        for j in range(used[k]):
            for i in range(size):
                if held[i] > 0.0:
                    posterior[k, j, i] = posterior[k, j, i] / held[i]
    for s in range(states):
        for i in range(size):
            binomial = mean[s, i] * (1.0 - mean[s, i])
            ratio = spread[s, i] / binomial if binomial > 0.0 else 0.0
            narrow[s, i] = np.sqrt(ratio if ratio < 1.0 else 1.0)


FEW = 16
"""Arrivals up to this many are placed one by one (each in class k with probability w_k: exact multinomial)."""


def arrive(total, weights, into, keys, tag, noisy, joined):
    """Add ``total[i]`` newcomers to the classes ``into[:, i]`` (flat: class, rows x segments), class k with
    probability ``weights[k, i]``, multinomially: up to :data:`FEW` one by one (each newcomer's class by
    inversion of its own uniform); more as a chain of conditional binomials, class k taking
    Binomial(remaining, w_k / (w_k + ... + w_K)) in mean and variance (:func:`_alone`: within [0, remaining],
    unbiased), the last class the rest, which gives the multinomial's mean and covariance.
    ``noisy`` False adds the mean A w_k. Unless ``joined`` is empty (K, 0), it receives the newcomers' share
    of each class, (after - before) / after (0 where the class is empty).

    Class by class over all columns where it can (the inner loops run over the columns), each column's
    operations in the same order as one column at a time."""
    classes, size = weights.shape
    track = joined.shape[1] == size
    if track:  # ``joined`` holds the classes before the newcomers until the end
        for k in range(classes):
            for i in range(size):
                joined[k, i] = into[k, i]
    if not noisy:
        for k in range(classes):
            for i in range(size):
                if total[i] > 0.0:
                    into[k, i] = into[k, i] + total[i] * weights[k, i]
    else:
        for i in range(size):
            if total[i] > 0.0 and total[i] <= FEW:
                _arrive_few(total[i], weights, into, i, keys[i], tag)
        # Many newcomers: the chain class by class over all columns (the inner loop runs over the columns).
        tail, remaining = np.zeros(size), np.empty(size)
        for k in range(classes):
            for i in range(size):
                tail[i] = tail[i] + weights[k, i]
        for i in range(size):
            remaining[i] = total[i]
        for k in range(classes - 1):
            for i in range(size):
                if total[i] > FEW:
                    share = weights[k, i] / tail[i] if tail[i] > 0.0 else 0.0
                    if share > 1.0:
                        share = 1.0
                    e, u = _score(keys[i], tag, k)
                    y, _ = _alone(remaining[i], share, e, u)
                    into[k, i] = into[k, i] + y
                    remaining[i] = remaining[i] - y
                    tail[i] = tail[i] - weights[k, i]
        for i in range(size):
            if total[i] > FEW:
                into[classes - 1, i] = into[classes - 1, i] + remaining[i]
    if track:
        for k in range(classes):
            for i in range(size):
                after = into[k, i]
                joined[k, i] = (after - joined[k, i]) / after if after > 0.0 else 0.0


def _arrive_few(arrivals, weights, into, i, key, tag):
    """:func:`arrive`'s newcomers of column ``i``, up to :data:`FEW`, one by one."""
    classes = weights.shape[0]
    whole = np.floor(arrivals)
    for one in range(int(whole)):
        _, u = _score(key, tag, classes + one)
        k = 0
        edge = weights[0, i]
        while u >= edge and k < classes - 1:
            k = k + 1
            edge = edge + weights[k, i]
        into[k, i] = into[k, i] + 1.0
    left = arrivals - whole  # a fraction of a newcomer (expected counts upstream): its mean
    if left > 0.0:
        for k in range(classes):
            into[k, i] = into[k, i] + left * weights[k, i]


def _hold(x, i, classes, moved, out):
    """Clip ``out[:, i]`` to [0, x] and spread what is missing over the room left (or the excess over what was taken)."""
    taken = 0.0
    for k in range(classes):
        y = out[k, i]
        if y < 0.0:
            y = 0.0
        if y > x[k, i]:
            y = x[k, i]
        out[k, i] = y
        taken = taken + y
    left = moved - taken
    if left == 0.0:
        return
    room = 0.0
    for k in range(classes):
        room = room + (x[k, i] - out[k, i] if left > 0.0 else out[k, i])
    if room <= 0.0:
        return
    part = left / room
    for k in range(classes):
        out[k, i] = out[k, i] + (x[k, i] - out[k, i] if left > 0.0 else out[k, i]) * part


_KERNELS = ("split", "leave", "dropout_step", "arrive")
_HELPERS = ("_mix", "_score", "_alone", "_hold", "split", "_arrive_few")
"""Functions the kernels call: compiled first, under the same names, and inlined into the kernels."""


def compiled() -> loader.Kernels | None:
    """The compiled kernels (``compiled().split``), or None without numba, with CXROI_NUMBA=0 or inside
    :func:`sim.kernels.numpy_only`: the model then runs the numpy references of :mod:`sim.model.splits`."""
    return None if refused() else _compiled()


@cache
def _compiled() -> loader.Kernels | None:
    if not loader.available():
        return None
    return loader.Kernels(sys.modules[__name__], _KERNELS, _HELPERS,
                          {"nogil": True, "error_model": "numpy", "inline": "always"})
