"""Which customers of a state move: a flow split over the buying classes at random (see :mod:`sim.kernels.split_kernels`).

:func:`split_even` and :func:`split_by_chance` run the compiled kernels with
numba and the numpy references here without it (the same numbers: the tests
compare them bit for bit). :class:`Noise` holds what keys the scores: one
uint64 per (draw, segment), from the seed and the draw's index, the same in
every arm and whatever the chunk.
"""

from __future__ import annotations

import numpy as np

from sim.kernels import split_kernels as sk

FLOWS = {"churn": 0, "dropout": 1, "walk": 2, "arrive": 3}
"""The flows split over the buying classes, numbered: part of the scores' key."""


def _mix(z):
    """:func:`sim.kernels.split_kernels._mix` in numpy (that one may be compiled: it then returns Python ints)."""
    with np.errstate(over="ignore"):
        z = z + sk._GOLDEN
        z = (z ^ (z >> sk._S30)) * sk._MIX1
        z = (z ^ (z >> sk._S27)) * sk._MIX2
        return z ^ (z >> sk._S31)


_MASK = 2**64 - 1


def _mix_int(z: int) -> int:
    """:func:`_mix` of one number in Python integers (modulo 2^64: the same bits, without numpy's overhead)."""
    z = (z + int(sk._GOLDEN)) & _MASK
    z = ((z ^ (z >> 30)) * int(sk._MIX1)) & _MASK
    z = ((z ^ (z >> 27)) * int(sk._MIX2)) & _MASK
    return z ^ (z >> 31)


class Noise:
    """The keys of the split scores for rows (arms x draws, stacked) and segments, and the current period."""

    def __init__(self, seed: int, first: int, draws: int, segments: int, repeat: int = 1):
        with np.errstate(over="ignore"):
            draw = np.arange(first, first + draws, dtype=np.uint64)[:, None]
            segment = np.arange(segments, dtype=np.uint64)[None, :]
            keys = _mix(_mix(np.full((draws, segments), np.uint64(seed % 2**64) + np.uint64(0x5EED)))
                           ^ (draw * np.uint64(1 << 16) + segment))
        self.keys = np.ascontiguousarray(np.tile(keys, (repeat, 1))).reshape(-1)
        self.period = 0

    def tag(self, flow: int) -> np.uint64:
        """The (period, flow) part of a score's key."""
        return np.uint64(_mix_int(self.period * 64 + flow))


def split_even(x: np.ndarray, moved: np.ndarray, noise: Noise | None, flow: int) -> np.ndarray:
    """Movers per class (first axis of ``x``: class, rows, segments) given ``moved`` (rows, segments) in total,
    for a flow that does not depend on the class; the conditional mean without ``noise`` (expected counts)."""
    return _run(x, None, moved, noise, flow)


def split_by_chance(x: np.ndarray, q: np.ndarray, moved: np.ndarray, noise: Noise | None, flow: int) -> np.ndarray:
    """Leavers per class given ``moved`` in total when class k leaves with probability ``q[k]``."""
    return _run(x, q, moved, noise, flow)


def leave_even(x: np.ndarray, moved: np.ndarray, noise: Noise | None, flow: int, rate: np.ndarray) -> np.ndarray:
    """:func:`split_even`'s movers taken from ``x`` (in place; C-contiguous), and the stayers' ``rate`` (class, rows,
    segments) summed over the classes: (rows, segments)."""
    classes = x.shape[0]
    flat = x.reshape(classes, -1)
    m = _flat_float(moved, x.shape[1:])
    keys = noise.keys if noise is not None else np.zeros(m.size, dtype=np.uint64)
    tag = noise.tag(flow) if noise is not None else np.uint64(0)
    rated = np.empty(m.size)
    args = (flat, flat, m, np.empty(flat.shape), keys, tag, noise is not None, True,
            np.ascontiguousarray(rate).reshape(classes, -1), rated)
    kernels = sk.compiled()
    (kernels.leave if kernels is not None else leave_numpy)(*args)
    return rated.reshape(x.shape[1:])


def leave_numpy(x, q, m, out, keys, tag, noisy, even, rate, rated):
    """:func:`sim.kernels.split_kernels.leave` in numpy (its reference)."""
    split_numpy(x, q, m, out, keys, tag, noisy, even)
    x -= out
    rated[:] = _sum(x * rate)


def _run(x, q, moved, noise, flow):
    classes = x.shape[0]
    flat = x.reshape(classes, -1)  # a view where the rows and segments are contiguous (each class's block)
    m = _flat_float(moved, x.shape[1:])
    out = np.empty(flat.shape)
    keys = noise.keys if noise is not None else np.zeros(m.size, dtype=np.uint64)
    tag = noise.tag(flow) if noise is not None else np.uint64(0)
    q = flat if q is None else np.broadcast_to(q, x.shape).reshape(classes, -1)
    kernels = sk.compiled()
    (kernels.split if kernels is not None else split_numpy)(flat, q, m, out, keys, tag, noise is not None, q is flat)
    return out.reshape(x.shape)


def _flat_float(values, shape: tuple[int, ...]) -> np.ndarray:
    """``values`` broadcast to ``shape`` as a contiguous float vector (no copy when it is one already)."""
    if isinstance(values, np.ndarray) and values.shape == shape and values.dtype == float and values.flags.c_contiguous:
        return values.reshape(-1)
    return np.ascontiguousarray(np.broadcast_to(values, shape), dtype=float).reshape(-1)


def _scores(keys: np.ndarray, tag: np.uint64, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`sim.kernels.split_kernels._score` for every key: (triangular, uniform)."""
    with np.errstate(over="ignore"):
        h = _mix(keys ^ (tag + np.uint64(k) * sk._CLASS))
    return (((h >> sk._S32) * sk._TWO_M32 + (h & sk._LOW) * sk._TWO_M32 - 1.0 + sk._TWO_M32) * sk._SQRT6,
            (h >> sk._S11) * sk._TWO_M53)


def _alone(x, q, e, u):
    """:func:`sim.kernels.split_kernels._alone` elementwise: (leavers, drawn by the score)."""
    mu = x * q
    d = mu * (1.0 - q)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(d)
        reach = sk._SQRT6 * sd
        scored = (d > 0.0) & (reach <= mu) & (mu + reach <= x)
        high = mu + (1.0 - q)
        room = x - mu
        low = mu - d / room
        y = np.where(mu <= x - mu, np.where(u * high < mu, high, 0.0), np.where(u * (x - low) < room, low, x))
        y = np.where(x < 1.0, np.where(u < q, x, 0.0), y)
        y = np.where(scored, mu + sd * e, y)
        return np.where(d <= 0.0, mu, y), scored


def split_numpy(x, q, m, out, keys, tag, noisy, even):
    """:func:`sim.kernels.split_kernels.split` in numpy (its reference): the same operations, column-wise."""
    classes = x.shape[0]
    total = _sum(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = m / total
        drawn = spread = large = None
        scored = []
        for k in range(classes):
            qk = share if even else q[k]
            d = x[k] * qk * (1.0 - qk)
            if noisy:
                e, u = _scores(keys, tag, k)
                y, by_score = _alone(x[k], qk, e, u)
                by_score = by_score & ~(x[k] <= 0.0)
                y = np.where(x[k] <= 0.0, 0.0, y)
                big = np.where(by_score, d, 0.0)
                large = (0.0 + big) if large is None else large + big
            else:
                y = x[k] * qk
                by_score = np.zeros(x[k].shape, dtype=bool)
            scored.append(by_score)
            out[k] = y
            drawn = y if drawn is None else drawn + y
            spread = d if spread is None else spread + d
        pool = np.where(large > 0.0, large, spread) if noisy else spread
        gap = (m - drawn) / pool
        outside = np.zeros(m.shape, dtype=bool)
        for k in range(classes):
            qk = share if even else q[k]
            d = x[k] * qk * (1.0 - qk)
            take = (pool > 0.0) & ((pool == spread) | scored[k])
            out[k] = np.where(take, out[k] + d * gap, out[k])
            outside |= take & ((out[k] < 0.0) | (out[k] > x[k]))
    held = out[:, outside]
    _hold_numpy(x[:, outside], m[outside], held)
    out[:, outside] = held
    _ends(x, m, total, out)


def _sum(rows):
    """Sum over the first axis left to right (the kernels' order)."""
    total = rows[0].copy()
    for row in rows[1:]:
        total = total + row
    return total


def _ends(x, m, total, out):
    """Nobody moves (or nobody there): 0; everybody moves: all."""
    none = (m <= 0.0) | (total <= 0.0)
    out[:, none] = 0.0
    every = ~none & (m >= total)
    out[:, every] = x[:, every]


def _hold_numpy(x, moved, out):
    """:func:`sim.kernels.split_kernels._hold` for every column."""
    np.maximum(out, 0.0, out=out)
    np.minimum(out, x, out=out)
    left = moved - _sum(out)
    up = left > 0.0
    room = _sum(np.where(up, x - out, out))
    fix = (left != 0.0) & (room > 0.0)
    if fix.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            part = left / room
        out[:, fix] = (out + np.where(up, x - out, out) * part)[:, fix]


def dropout_step_numpy(posterior, prior, joined, stay, used, buy, n, mean, narrow, chance):
    """:func:`sim.kernels.split_kernels.dropout_step` in numpy (its reference): every node, also those from
    ``used`` on, whose prior 0 adds exact zeros."""
    arms = posterior.shape[-1] // stay.shape[-1]
    prior, stay = np.tile(prior, arms), np.tile(stay, arms)
    posterior += joined[:, None] * (prior - posterior)
    total = _sum(buy)
    people = _sum(n)
    weight = np.divide(n, people, out=np.zeros_like(n), where=people > 0.0)
    share = np.divide(buy, total, out=np.zeros_like(buy), where=total > 0.0)
    spread = np.empty_like(mean)
    for k in range(posterior.shape[0]):
        for s in range(stay.shape[2]):
            q = 1.0 - _sum(posterior[k] * stay[k, :, s])
            if k == 0:
                mean[s] = share[k] * q
                spread[s] = share[k] * q * (1.0 - q)
            else:
                mean[s] = mean[s] + share[k] * q
                spread[s] = spread[s] + share[k] * q * (1.0 - q)
            chance[k] = q * weight[s] if s == 0 else chance[k] + q * weight[s]
        staying = posterior[k] * _sum(np.moveaxis(stay[k] * weight[None], 1, 0))
        held = _sum(staying)
        posterior[k] = np.where(held > 0.0, staying / np.where(held > 0.0, held, 1.0), staying)
    binomial = mean * (1.0 - mean)
    ratio = np.divide(spread, binomial, out=np.zeros_like(spread), where=binomial > 0.0)
    narrow[:] = np.sqrt(np.where(ratio < 1.0, ratio, 1.0))


def dropout_kernel(name: str):
    """The compiled dropout kernel ``name`` with numba, else its numpy reference."""
    kernels = sk.compiled()
    return getattr(kernels, name) if kernels is not None else globals()[name + "_numpy"]


def arrive(total: np.ndarray, weights: np.ndarray, into: np.ndarray, noise: Noise | None,
           joined: np.ndarray | None = None) -> None:
    """Add ``total`` (rows, segments) newcomers to ``into`` (class, rows, segments; C-contiguous) multinomially
    over the classes' ``weights`` (:func:`sim.kernels.split_kernels.arrive`); their mean without ``noise``.
    ``joined`` (the shape of ``into``; C-contiguous), if given, receives the newcomers' share of each class."""
    classes = into.shape[0]
    flat = into.reshape(classes, -1)
    m = _flat_float(total, into.shape[1:])
    keys = noise.keys if noise is not None else np.zeros(m.size, dtype=np.uint64)
    tag = noise.tag(FLOWS["arrive"]) if noise is not None else np.uint64(0)
    w = _flat_float(weights, into.shape).reshape(classes, -1)
    shares = np.empty((classes, 0)) if joined is None else joined.reshape(classes, -1)
    kernels = sk.compiled()
    (kernels.arrive if kernels is not None else arrive_numpy)(m, w, flat, keys, tag, noise is not None, shares)


def arrive_numpy(total, weights, into, keys, tag, noisy, joined):
    """:func:`sim.kernels.split_kernels.arrive` in numpy (its reference): few newcomers column by column,
    the chain of conditional binomials column-wise."""
    if joined.shape[1] == into.shape[1]:
        before = into.copy()
        arrive_numpy(total, weights, into, keys, tag, noisy, np.empty((len(into), 0)))
        np.divide(into - before, into, out=joined, where=into > 0.0)
        joined[into <= 0.0] = 0.0
        return
    classes, size = weights.shape
    if not noisy:
        into += np.where(total > 0.0, total, 0.0) * weights
        return
    few = (total > 0.0) & (total <= sk.FEW)
    for i in np.flatnonzero(few):
        whole = np.floor(total[i])
        for one in range(int(whole)):
            u = _scores(keys[i:i + 1], tag, classes + one)[1][0]
            k, edge = 0, weights[0, i]
            while u >= edge and k < classes - 1:
                k += 1
                edge = edge + weights[k, i]
            into[k, i] = into[k, i] + 1.0
        left = total[i] - whole
        if left > 0.0:
            into[:, i] = into[:, i] + left * weights[:, i]
    many = total > sk.FEW
    if not many.any():
        return
    w, keys_many = weights[:, many], keys[many]
    tail = _sum(w)
    remaining = total[many]
    for k in range(classes - 1):
        share = np.minimum(np.divide(w[k], tail, out=np.zeros_like(tail), where=tail > 0.0), 1.0)
        e, u = _scores(keys_many, tag, k)
        y, _ = _alone(remaining, share, e, u)
        into[k, many] = into[k, many] + y
        remaining = remaining - y
        tail = tail - w[k]
    into[classes - 1, many] = into[classes - 1, many] + remaining
