"""Neutral customers' churn mix, fitted jointly with the experience effects and walk-away: churn counted once.

A customer list's churn already contains the churn support causes (bad
experiences raise it, walk-aways end lives). A scenario that takes the list's
churn mix (``cxroi fit customers``) *and* support's experience effects counts
that churn twice. This module fits the churn of **neutral** customers in the
engine's own form, so that the churn mix and the effects written together
reproduce the company's retention:

* each customer has a churn probability ``p ~ Beta(alpha, beta)`` for life
  (the scenario's ``churn_mix``);
* in a month that starts in state ``s`` (neutral, positive, negative) they
  churn with ``min(p m_s, 1)``, ``m_N = 1``, ``m_P = 1 - positive_churn_reduction``,
  ``m_B = 1 + negative_churn_increase``; a customer who churns contacts no one that month;
* a month with a bad contact ends with a walk-away with probability ``walk_away``;
* at the month's end a bad contact makes them negative, a good one positive, and
  otherwise a positive (negative) customer turns neutral with probability
  ``1 / positive_duration`` (``1 / negative_duration``): the states are latent
  once the last experience is more than a month old.

The data are each customer's months with the experience of each month (bad
beats good, as in the engine) and how the life ended: censored (still active at
the last complete month), churned (an end in a month without a bad contact: at
its start, before any contact), walked away (an end in a month with a bad
contact). The likelihood is per customer: the Beta integrates over a whole
life, and given ``p`` the latent state is a three-state hidden Markov chain
whose transitions the observed experiences drive; the forward recursion sums
over its paths. The forward variables before a month depend only on the
experiences before it, so the recursion runs once per distinct prefix of the
histories (a tree: customers share most of their beginnings), each history's
probability read from its last prefix. The integral over the Beta is Gauss--Jacobi quadrature with
``T // 2 + 1`` nodes for the longest life of ``T`` months: given ``p`` a life's
probability is a polynomial in ``p`` of degree at most ``T`` (a product of
``T`` factors ``p m_s`` or ``1 - p m_s``, summed over state paths), which this
rule integrates exactly -- the likelihood is exact, not approximated (short of
the cap at 1, which only nodes with ``p m_B > 1`` reach). Walk-away does not
depend on ``p`` or the state, so the likelihood factorises and its part is
binomial with the maximum in closed form: walk-aways / months with a bad contact.

The durations are held at the support fit's (which churn *and* buying inform);
the churn and walk-away intervals are conditional on them.

**Two fits.** The *joint* fit frees ``alpha, beta, m_B, m_P`` (scipy.optimize,
BFGS on the log-parameters; 95 % intervals from the observed information, the
Hessian of the log-likelihood by central differences, Wald on the log scale):
its multipliers are the Beta-mixed model's own estimates of the effects
(reported beside the causal designs). The mix **written** with ``--into`` is the
maximum of the same likelihood over ``alpha, beta`` with ``m_B, m_P`` held at
the effects written (the design :data:`sim.fit.causal.RULE` picks; an effect not
written is held at no effect, and the mix absorbs it), so that the mix and the
effects in the scenario belong together. Its 95 % intervals come from the
observed information of ``alpha, beta`` given the multipliers, plus the written
effects' own uncertainty (their designs' log-scale errors, and their correlation
when one design estimated both: the case-crossover's are correlated 0.2-0.6)
carried through the maximum by the delta method, ``d theta / d log m = -H_tt^-1
H_tm``; Wald on the log scale. Churn that shows no difference between customers (the rule of
``cxroi fit customers``: alpha and beta above 1 and no better than one
probability, or running to infinity) is fitted as one churn probability instead
and written as ``monthly_churn``.
"""

from __future__ import annotations

import math
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, cached_property

import numpy as np
from scipy import optimize
from scipy.linalg import eigh_tridiagonal

from sim.fit import causal
from sim.fit.mle import EDGE, Z95, Estimates, NotConverged
from sim.fit.retention import HOMOGENEOUS_LR
from sim.kernels import loader

GOOD, NEUTRAL, BAD = 1, 0, 2
CENSORED, CHURNED, WALKED = 0, 1, 2
METHOD = ("Beta-mixed discrete-time hazard of neutral customers with the experience states' multipliers and "
          "walk-away (the engine's form), exact per-customer likelihood (Gauss-Jacobi quadrature over the Beta, "
          "forward recursion over the latent states), maximum likelihood with the multipliers held at the effects "
          "written; 95 % intervals from the observed information, the effects' own uncertainty carried through")
WALK_METHOD = ("share of months with a bad contact that end in a walk-away ({walks:,} of {months:,}; an end in a month "
               "with a bad contact is a walk-away, as the engine has churners contact no one), Wilson interval; the "
               "walk-away part of the joint churn likelihood, which factorises")


@dataclass(frozen=True, eq=False)
class Histories:
    """Distinct customer histories: each month's experience (NEUTRAL, GOOD, BAD; -1 past the end), how the life
    ended, how many customers share it; sorted longest first. ``walks`` / ``bad_months`` feed walk-away."""

    kinds: np.ndarray
    length: np.ndarray
    status: np.ndarray
    count: np.ndarray
    walks: int
    bad_months: int
    customers: int
    counted_from: np.ndarray | None = None
    """The first month of each history that a holdout check counts (the first after its cut-off); None: all."""

    @cached_property
    def prefixes(self) -> Prefixes:
        """The histories' distinct prefixes as a tree (:class:`Prefixes`), built on first use and kept."""
        return prefixes(self)

    @cached_property
    def levels(self) -> Levels:
        """The prefixes month by month and the histories' months (:class:`Levels`), built on first use and kept (with
        the models replayed on them)."""
        return levels(self)


@dataclass(frozen=True, eq=False)
class Prefixes:
    """The distinct prefixes of a :class:`Histories`' experiences, as a tree in depth-first order.

    The forward variables before month ``t`` depend only on a history's first ``t`` experiences; histories
    share most of them (the larger segment of the evidence benchmark: 1,050,123 month-steps, 329,380 distinct
    prefixes), so the recursion runs once per node of this tree. Node 0 is the empty prefix; node ``i`` extends
    its ``parent`` (an earlier node) by one month whose experience moves the states as ``move`` (NEUTRAL, GOOD,
    BAD) and has ``depth`` experiences; every node follows its parent with its whole subtree after it. History
    ``ending[x]`` for ``x`` in ``start[i]:start[i+1]`` ends at node ``i`` (its first ``length - 1`` experiences)
    with the last month's factor ``end`` (0 survived, 1 churned, 2 none: a life of no months)."""

    parent: np.ndarray
    move: np.ndarray
    depth: np.ndarray
    start: np.ndarray
    ending: np.ndarray
    end: np.ndarray


def histories(customer: np.ndarray, tenure: np.ndarray, bad: np.ndarray, good: np.ndarray, ended: np.ndarray,
              counted: np.ndarray | None = None) -> Histories:
    """Customers' histories from a panel's columns (one row per customer-month, customer then month order).

    ``counted`` (per row; a suffix of each customer's months) marks the months a holdout check counts: the
    histories then also differ by the first of them (``counted_from``)."""
    first = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]]) if customer.size else np.zeros(0, dtype=int)
    length = np.diff(np.r_[first, customer.size])
    longest = int(length.max()) if length.size else 0
    kind = np.where(bad > 0, BAD, np.where(good > 0, GOOD, NEUTRAL)).astype(np.int8)
    grid = np.full((first.size, longest), -1, dtype=np.int8)
    grid[np.repeat(np.arange(first.size), length), tenure - tenure[np.repeat(first, length)]] = kind
    last = first + length - 1
    status = np.where(ended[last], np.where(bad[last] > 0, WALKED, CHURNED), CENSORED).astype(np.int8)
    # The last month's experience moves no state that is observed again: blank it so that more histories coincide.
    grid[np.arange(first.size), length - 1] = -1
    keys = np.column_stack([grid, status])
    if counted is not None:
        start = length - np.add.reduceat(counted.astype(np.int64), first) if first.size else np.zeros(0, dtype=int)
        keys = np.column_stack([keys, start])
    unique, count = np.unique(keys, axis=0, return_counts=True)
    if counted is not None:
        unique, start_u = unique[:, :-1], unique[:, -1]
    kinds, status_u = unique[:, :-1], unique[:, -1]
    length_u = np.maximum((kinds >= 0).sum(axis=1) + 1, 1)
    order = np.argsort(-length_u, kind="stable")
    return Histories(kinds[order], length_u[order], status_u[order], count[order].astype(float),
                     int((status == WALKED).sum()), int((bad > 0).sum()), int(first.size),
                     None if counted is None else start_u[order])


_TREE_TYPES = (np.int32, np.int8, np.int16, np.int32, np.int32, np.int8)
"""The dtypes of :class:`Prefixes`' arrays: small, as the recursion reads them all at every evaluation."""


def prefixes(h: Histories) -> Prefixes:
    """The tree of ``h``'s distinct prefixes (:class:`Prefixes`): built a month at a time (a prefix of ``d``
    experiences is its parent's node and one experience), then numbered depth first from the subtrees' sizes."""
    prefix = h.length.astype(np.int64) - 1  # the experiences that move states later observed
    move = np.where(h.kinds == BAD, BAD, np.where(h.kinds == GOOD, GOOD, NEUTRAL)).astype(np.int64)
    node = np.zeros(prefix.size, dtype=np.int64)
    parents, moves, levels = [np.full(1, -1)], [np.zeros(1, dtype=np.int64)], [(0, 1)]
    for d in range(1, int(prefix.max()) + 1 if prefix.size else 1):
        rows = np.flatnonzero(prefix >= d)
        low, high = levels[-1]
        key = (node[rows] - low) * 3 + move[rows, d - 1]  # the parent's place in its level, then the move
        used = np.zeros(3 * (high - low), dtype=bool)
        used[key] = True
        key_u = np.flatnonzero(used)  # the new level's nodes: by parent, then move
        node[rows] = high + (np.cumsum(used) - 1)[key]
        parents.append(low + key_u // 3)
        moves.append(key_u % 3)
        levels.append((high, high + key_u.size))
    parent, moved = np.concatenate(parents), np.concatenate(moves)
    size = np.ones(parent.size, dtype=np.int64)
    for low, high in reversed(levels[1:]):
        size += np.bincount(parent[low:high], weights=size[low:high], minlength=size.size).astype(np.int64)
    order = np.zeros(parent.size, dtype=np.int64)  # each node's place depth first: after its parent and elder siblings
    for low, high in levels[1:]:
        up, within = parent[low:high], size[low:high]
        before = np.cumsum(within) - within
        eldest = np.r_[True, up[1:] != up[:-1]]
        order[low:high] = order[up] + 1 + before - before[np.flatnonzero(eldest)][np.cumsum(eldest) - 1]
    tree_parent, tree_move, depth = np.empty_like(parent), np.empty_like(moved), np.empty_like(parent)
    tree_parent[order], tree_move[order] = np.r_[-1, order[parent[1:]]], moved
    depth[order] = np.concatenate([np.full(high - low, d) for d, (low, high) in enumerate(levels)])
    ends = order[node]
    start = np.r_[0, np.cumsum(np.bincount(ends, minlength=parent.size))]
    end = np.where(h.length == 0, 2, np.where(h.status == CHURNED, 1, 0))
    return Prefixes(*(x.astype(dtype) for x, dtype in zip(
        (tree_parent, tree_move, depth, start, np.argsort(ends, kind="stable"), end), _TREE_TYPES)))


@dataclass(frozen=True, eq=False)
class Months:
    """Histories' months, month by month and in each the histories still alive longest first (the order of a
    recursion history by history): month ``t``'s are ``rows[t]:rows[t + 1]``; each one's prefix (numbered as
    :class:`Levels`'), customers at risk (with ``counted_from`` none before it) and whether the history ends in it
    with a churn."""

    rows: np.ndarray
    prefix: np.ndarray
    at_risk: np.ndarray
    churned: np.ndarray

    @cached_property
    def month(self) -> np.ndarray:
        """Each one's month."""
        return np.repeat(np.arange(self.rows.size - 1), np.diff(self.rows))


@dataclass(frozen=True, eq=False)
class Levels:
    """The histories' distinct prefixes (:attr:`Histories.prefixes`) month by month, and the histories' months.

    Month ``t``'s prefixes (those of ``t`` experiences) are numbered ``first[t]`` to ``first[t + 1]``, by the kind of
    their last experience (NEUTRAL, GOOD, BAD); ``parent[t]`` and ``kind[t]`` (t >= 1) give each its prefix in month
    ``t - 1`` (numbered within that month) and that experience. ``last`` and ``since`` (by prefix): the kind of its
    last bad or good contact (NEUTRAL: none) and the months since it (0: none). ``every`` month of the histories, and
    those ``counted`` (with customers at risk: a holdout counts none before its cut-off). ``replayed``: the hazards of
    the models replayed on them so far (:func:`expected_hazards`), by their nodes, multipliers and durations (the
    review replays the written model by tenure and by months since a contact, a holdout's for bad and for good
    contacts too)."""

    months: int
    first: np.ndarray
    parent: list
    kind: list
    last: np.ndarray
    since: np.ndarray
    every: Months
    counted: Months
    replayed: dict = field(default_factory=dict)


def levels(h: Histories) -> Levels:
    """The tree of ``h``'s prefixes (:attr:`Histories.prefixes`) a level (month) at a time, each prefix's last bad or
    good contact, and each history's prefix in each of its months: its last month's node, then that node's ancestors.
    (:attr:`Histories.levels` keeps them.)"""
    tree = h.prefixes
    order = np.argsort(-h.length, kind="stable")
    length, status, count = h.length[order], h.status[order], h.count[order]
    start = np.zeros(length.size, dtype=np.int64) if h.counted_from is None else h.counted_from[order]
    months = int(length.max()) if length.size else 0
    depth = tree.depth.astype(np.int64)
    by_level = np.argsort(depth * 3 + tree.move, kind="stable")  # month by month, in each by the last kind
    first = np.r_[0, np.cumsum(np.bincount(depth, minlength=max(months, 1)))]
    number = np.empty(depth.size, dtype=np.int64)  # each node's number within its month
    number[by_level] = np.arange(depth.size) - first[depth[by_level]]
    parent, kind = [None], [None]
    last, since = [np.full(1, NEUTRAL, dtype=np.int64)], [np.zeros(1, dtype=np.int64)]  # of each prefix
    for t in range(1, months):
        nodes = by_level[first[t]:first[t + 1]]
        parent.append(number[tree.parent[nodes]])
        kind.append(tree.move[nodes].astype(np.int64))
        was, ago = last[-1][parent[-1]], since[-1][parent[-1]]
        new = (kind[-1] == BAD) | (kind[-1] == GOOD)
        since.append(np.where(new, 1, np.where(was != NEUTRAL, ago + 1, 0)))
        last.append(np.where(new, kind[-1], was))
    ends = np.empty(length.size, dtype=np.int64)  # each history's last month's node
    ends[tree.ending] = np.repeat(np.arange(depth.size), np.diff(tree.start))
    ends = ends[order]
    live = np.searchsorted(-length, -np.arange(months + 1), side="left")  # alive in month t: the first live[t]
    node, prefix = np.zeros(0, dtype=np.int64), [np.zeros(0, dtype=np.int64)]
    for t in reversed(range(months)):  # the histories alive in month t: those alive in t + 1, then those ending in t
        node = np.r_[tree.parent[node], ends[live[t + 1]:live[t]]]
        prefix.insert(1, first[t] + number[node])
    at_risk = [np.zeros(0)] + [count[:live[t]] * (start[:live[t]] <= t) for t in range(months)]
    churned = [np.zeros(0, dtype=bool)] + [(length[:live[t]] == t + 1) & (status[:live[t]] == CHURNED)
                                           for t in range(months)]
    rows = np.r_[0, np.cumsum(live[:months])]
    every = Months(rows, *map(np.concatenate, (prefix, at_risk, churned)))
    counted = every
    if h.counted_from is not None:
        kept = np.flatnonzero(every.at_risk != 0)
        counted = Months(np.searchsorted(kept, rows), every.prefix[kept], every.at_risk[kept], every.churned[kept])
    return Levels(months, first[:months + 1], parent, kind, np.concatenate(last), np.concatenate(since), every,
                  counted)


def beta_nodes(alpha: float, beta: float, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Jacobi nodes on (0, 1) and weights (summing to 1) of Beta(alpha, beta), by Golub-Welsch.

    The eigenvalues of the Jacobi polynomials' recurrence matrix are the nodes, the squared first components of its
    eigenvectors the weights. (scipy's ``roots_jacobi`` overflows in its normalising constant once alpha + beta
    passes about 1,000, which a nearly homogeneous churn reaches.)
    """
    a, b = beta - 1.0, alpha - 1.0  # Jacobi exponents on [-1, 1]: (1 - x)^a (1 + x)^b, p = (1 + x) / 2
    n = np.arange(nodes, dtype=float)
    s = 2.0 * n + a + b
    with np.errstate(all="ignore"):
        diag = np.where(n == 0, (b - a) / (a + b + 2.0), (b * b - a * a) / (s * (s + 2.0)))
    k = np.arange(1, nodes, dtype=float)
    t = 2.0 * k + a + b
    with np.errstate(all="ignore"):
        off_sq = np.where(k == 1, 4.0 * (1.0 + a) * (1.0 + b) / ((2.0 + a + b) ** 2 * (3.0 + a + b)),
                          4.0 * k * (k + a) * (k + b) * (k + a + b) / (t * t * (t + 1.0) * (t - 1.0)))
    x, vectors = eigh_tridiagonal(diag, np.sqrt(off_sq))
    w = vectors[0] ** 2
    return np.clip((1.0 + x) / 2.0, 0.0, 1.0), w / w.sum()


def node_count(h: Histories) -> int:
    """Nodes that integrate a life of the longest length exactly (degree T polynomial: 2K - 1 >= T)."""
    return int(h.length.max()) // 2 + 1 if h.length.size else 1


def life_likelihoods(h: Histories, p: np.ndarray, weights: np.ndarray, multipliers: tuple[float, float, float],
                     durations: tuple[float, float]) -> np.ndarray:
    """P(each distinct history's churn outcome), the Beta integrated: sum over nodes ``p`` with ``weights``.

    ``multipliers`` are (m_N, m_P, m_B), ``durations`` (positive, negative). Walk-away is not in it (it factorises).
    Compiled with numba when it is there: once per distinct prefix (:func:`_forward`), ranges of the prefix tree in
    :data:`THREADS` threads (each history's number is made by one thread, so the threads change no bit); else the
    same recursion in numpy, once per history.
    """
    m = np.asarray(multipliers, dtype=float)
    stay = (1.0 - 1.0 / durations[0], 1.0 - 1.0 / durations[1])
    kernel = _compiled()
    if kernel is not None:
        tree = h.prefixes
        out = np.empty(h.length.size)
        p, weights = np.ascontiguousarray(p, dtype=float), np.ascontiguousarray(weights, dtype=float)

        def forward(nodes):
            kernel(tree.parent, tree.move, tree.depth, tree.start, tree.ending, tree.end, p, weights, m, stay[0],
                   stay[1], nodes[0], nodes[1], out)

        if THREADS == 1 or tree.parent.size < 10_000:
            forward((0, tree.parent.size))
        else:  # a few ranges per thread, so that a thread slowed by another process leaves its share to the others
            cuts = np.linspace(0, tree.parent.size, 4 * THREADS + 1).astype(int)
            list(_pool(os.getpid()).map(forward, zip(cuts[:-1], cuts[1:])))
        return out
    return _forward_numpy(h, p, m, stay) @ weights


def _forward(parent, move, depth, start, ending, end, p, weights, m, stay_p, stay_b, first, last, out):
    """The forward recursion over the prefix tree's nodes ``first:last`` (:class:`Prefixes`), the nodes ``p`` side by
    side; ``out`` gets the histories that end there (numba compiles this; :func:`_forward_numpy` is the same).

    Each node's forward variables are its parent's times the month's survival, moved by its experience; a history's
    probability is its end node's times its last month's factor (churn or survival), summed over the nodes ``p``
    with ``weights``: per history, the same operations in the same order as a recursion over its own months, so
    the same numbers to the last bit. A depth-first order needs only the path to the current node (``state``, one
    row per depth); a range that starts inside a subtree first computes the path down to it (the same numbers)."""
    nodes = p.size
    width = nodes if nodes < 4 else (nodes + 3) // 4 * 4  # whole vectors of four; the nodes past p.size are p = 0
    factor = np.ones((3, 3, width))  # per end (survived, churned, none) and state: the last month's factor
    factor[1, :, nodes:] = 0.0
    for k in range(nodes):
        for s in range(3):
            factor[1, s, k] = min(p[k] * m[s], 1.0)
            factor[0, s, k] = 1.0 - factor[1, s, k]
    survive = factor[0]
    state = np.zeros((depth.max() + 1, 3, width))
    state[0, 0, :] = 1.0
    above = 0  # the path above node ``first``, root excluded: computed first, root side first
    i = parent[first] if first > 0 else -1
    while i > 0:
        above, i = above + 1, parent[i]
    path = np.empty(above + last - first, dtype=np.int64)
    i = parent[first] if first > 0 else -1
    for j in range(above):
        path[above - 1 - j], i = i, parent[i]
    for j in range(last - first):
        path[above + j] = first + j
    for j in range(path.size):
        i = path[j]
        d = depth[i]
        if d > 0:
            if move[i] == 2:
                for k in range(width):
                    state[d, 0, k] = 0.0
                    state[d, 1, k] = 0.0
                    state[d, 2, k] = (state[d - 1, 0, k] * survive[0, k] + state[d - 1, 1, k] * survive[1, k]
                                      + state[d - 1, 2, k] * survive[2, k])
            elif move[i] == 1:
                for k in range(width):
                    state[d, 0, k] = 0.0
                    state[d, 1, k] = (state[d - 1, 0, k] * survive[0, k] + state[d - 1, 1, k] * survive[1, k]
                                      + state[d - 1, 2, k] * survive[2, k])
                    state[d, 2, k] = 0.0
            else:
                for k in range(width):
                    a_p, a_b = state[d - 1, 1, k] * survive[1, k], state[d - 1, 2, k] * survive[2, k]
                    state[d, 0, k] = state[d - 1, 0, k] * survive[0, k] + a_p * (1.0 - stay_p) + a_b * (1.0 - stay_b)
                    state[d, 1, k] = a_p * stay_p
                    state[d, 2, k] = a_b * stay_b
        if j < above:
            continue
        for x in range(start[i], start[i + 1]):
            u, e = ending[x], end[ending[x]]
            total = 0.0
            for k in range(nodes):
                total += weights[k] * (state[d, 0, k] * factor[e, 0, k] + state[d, 1, k] * factor[e, 1, k]
                                       + state[d, 2, k] * factor[e, 2, k])
            out[u] = total


THREADS = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8)
"""Threads that run the recursion (the machine's cores, at most 8): ranges of the prefix tree are independent."""


@cache
def _pool(pid: int) -> ThreadPoolExecutor:
    """The threads of process ``pid`` (a forked child makes its own: its parent's threads are not in it)."""
    return ThreadPoolExecutor(THREADS, thread_name_prefix="joint-churn")


@cache
def _compiled():
    """The compiled forward recursion, loaded from numba's cache or compiled once (:func:`sim.kernels.loader.load`,
    before any thread calls it), or None without numba (or with CXROI_NUMBA=0, as for the engine's kernels)."""
    if not loader.available():
        return None
    import numba

    floats = np.zeros(1)
    tree = tuple(np.zeros(1, dtype=dtype) for dtype in _TREE_TYPES)
    types = tuple(numba.typeof(x) for x in (*tree, floats, floats, floats, 0.5, 0.5, 0, 0, floats))
    return loader.load(sys.modules[__name__], "_forward", types)


def _forward_numpy(h: Histories, p: np.ndarray, m: np.ndarray, stay: tuple[float, float]) -> np.ndarray:
    """(histories, nodes): each history's probability given each node's churn probability."""
    order = np.argsort(-h.length, kind="stable")  # longest first: the histories still alive are a prefix
    if np.any(order != np.arange(order.size)):
        ordered = Histories(h.kinds[order], h.length[order], h.status[order], h.count[order], h.walks, h.bad_months,
                            h.customers)
        out = np.empty((order.size, p.size))
        out[order] = _forward_numpy(ordered, p, m, stay)
        return out
    hazard = np.minimum(p[:, None] * m[None, :], 1.0)  # (nodes, 3)
    survive = 1.0 - hazard
    stay_p, stay_b = stay
    alpha = np.zeros((h.length.size, p.size, 3))
    alpha[:, :, NEUTRAL] = 1.0
    longest = int(h.length.max()) if h.length.size else 0
    alive = h.length.size
    for t in range(longest):
        while alive and h.length[alive - 1] <= t:
            alive -= 1
        a = alpha[:alive]
        ends = h.length[:alive] == t + 1
        churns = ends & (h.status[:alive] == CHURNED)
        a *= np.where(churns[:, None, None], hazard[None], survive[None])
        moving = ~ends
        if not moving.any():
            continue
        kind = h.kinds[:alive, t]
        total = a.sum(axis=2)
        to_bad, to_good, drift = moving & (kind == BAD), moving & (kind == GOOD), moving & (kind == NEUTRAL)
        if to_bad.any():
            a[to_bad] = 0.0
            a[to_bad, :, BAD] = total[to_bad]
        if to_good.any():
            a[to_good] = 0.0
            a[to_good, :, GOOD] = total[to_good]
        if drift.any():
            d = a[drift]
            d[:, :, NEUTRAL] += d[:, :, GOOD] * (1.0 - stay_p) + d[:, :, BAD] * (1.0 - stay_b)
            d[:, :, GOOD] *= stay_p
            d[:, :, BAD] *= stay_b
            a[drift] = d
    return alpha.sum(axis=2)


def churn_loglik(h: Histories, alpha: float, beta: float, m_pos: float, m_neg: float,
                 durations: tuple[float, float], nodes: int | None = None) -> float:
    """The churn part of the log-likelihood (the Beta integrated per customer), summed over customers."""
    p, w = beta_nodes(alpha, beta, nodes or node_count(h))
    per = life_likelihoods(h, p, w, (1.0, m_pos, m_neg), durations)
    if np.any(per <= 0) or not np.all(np.isfinite(per)):
        return -np.inf
    return float(np.sum(h.count * np.log(per)))  # not a BLAS dot: its threads would make the bits depend on the cores


def homogeneous_loglik(h: Histories, p: float, m_pos: float, m_neg: float, durations: tuple[float, float]) -> float:
    """The same with one churn probability for every customer (the Beta's limit)."""
    per = life_likelihoods(h, np.array([p]), np.ones(1), (1.0, m_pos, m_neg), durations)
    if np.any(per <= 0) or not np.all(np.isfinite(per)):
        return -np.inf
    return float(np.sum(h.count * np.log(per)))  # not a BLAS dot: its threads would make the bits depend on the cores


@dataclass(frozen=True, eq=False)
class JointChurn:
    """The joint fit (``joint``: alpha, beta, m_positive, m_negative, or p, m_positive, m_negative when homogeneous),
    the mix to write (``written``: alpha, beta or p, with the multipliers held at ``held``), walk-away."""

    joint: Estimates
    written: Estimates
    held: tuple[float, float]
    """(m_positive, m_negative) the written mix goes with: the effects written."""
    walk_away: tuple[float, float, float]
    """Walk-away (value, 95 % low, high): walk-aways / months with a bad contact, Wilson interval."""
    walks: int
    bad_months: int
    durations: tuple[float, float]
    homogeneous: bool
    customers: int
    held_se: tuple[float, float] = (0.0, 0.0)
    """The held multipliers' standard errors on the log scale (their designs')."""
    histories: Histories | None = None
    """The distinct histories fitted (the model review's predictive check replays them, :func:`churn_by_tenure`)."""
    held_correlation: float = 0.0
    """The held multipliers' correlation (on the log scale), carried into the written mix's intervals with their errors."""

    @property
    def mean_churn(self) -> float:
        """Mean churn of a neutral newcomer per month, as written."""
        if self.homogeneous:
            return self.written.value("p")
        a, b = self.written.value("alpha"), self.written.value("beta")
        return a / (a + b)

    def effect(self, key: str) -> tuple[float, float, float]:
        """The joint fit's own estimate of a churn effect as a scenario input (value, low, high)."""
        name = {"negative_churn_increase": "m_negative", "positive_churn_reduction": "m_positive"}[key]
        value, (low, high) = self.joint.value(name), self.joint.interval(name)
        sign = causal.EFFECTS[key][2]
        ends = sorted(sign * (x - 1.0) for x in (low, high))
        return sign * (value - 1.0), ends[0], ends[1]


def wilson(successes: int, n: int) -> tuple[float, float, float]:
    """A proportion with its 95 % Wilson interval."""
    if n == 0:
        return math.nan, math.nan, math.nan
    q = successes / n
    z2 = Z95**2
    centre = (q + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(q * (1 - q) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return q, max(centre - half, 0.0), min(centre + half, 1.0)


class HeldErrors(tuple):
    """The held multipliers' standard errors on the log scale (m_positive, m_negative), and ``correlation``: theirs
    when one design estimated both (the case-crossover), else 0. A tuple, so that callers that pass the errors on
    (:func:`sim.fit.support._joint_churn`) carry the correlation to :func:`fit_joint` unchanged."""

    correlation: float = 0.0

    def __new__(cls, errors, correlation: float = 0.0):
        held = super().__new__(cls, tuple(errors))
        held.correlation = correlation
        return held


def held_multipliers(designs: list, estimates: dict) -> tuple[tuple[float, float], HeldErrors]:
    """((m_positive, m_negative), their standard errors on the log scale and correlation) of the churn effects
    ``--into`` writes: the design the rule picks, if its estimate is inside the input's domain (else not written: no
    effect, no error). Without designs, the naive estimates (correlation 0)."""
    values, errors, chosen = [], [], []
    for key, sign in (("positive_churn_reduction", -1.0), ("negative_churn_increase", 1.0)):
        ratio = None
        design = None
        if designs:
            design = causal.choose(designs, key)
            ratio = design.ratios[key] if design is not None else None
        elif key in estimates:
            e = estimates[key]
            ends = sorted(1.0 + sign * x for x in (e.low, e.high))
            ratio = causal.RateRatio(1.0 + sign * e.value, ends[0], ends[1], 0)
        value = causal.as_input(key, ratio)[0] if ratio is not None else math.nan
        if math.isfinite(value) and value >= 0 and (sign > 0 or value <= 1) and 0 < ratio.low <= ratio.high:
            values.append(ratio.value)
            errors.append((math.log(ratio.high) - math.log(ratio.low)) / (2 * Z95))
            chosen.append(design)
        else:
            values.append(1.0)
            errors.append(0.0)
            chosen.append(None)
    same = chosen[0] is not None and chosen[0] is chosen[1]
    return (values[0], values[1]), HeldErrors(errors, chosen[0].churn_correlation if same else 0.0)


def _maximise(f, theta0: np.ndarray) -> np.ndarray:
    """The minimum of ``f`` (the negative mean log-likelihood): BFGS with finite-difference gradients, then
    :data:`NEWTON_STEPS` Newton step with central differences (kept only when ``f`` falls).

    Along a flat ridge (the Beta's concentration, when the data barely tell it) BFGS stops wherever its
    forward-difference gradient first falls below its tolerance: a change in the last bit of the inputs (another
    BLAS, another design's rounding) moved the estimates by up to 2e-3 of themselves on the evidence benchmark's
    company. The Newton step lands on the maximum itself, there to a few millionths, so the estimates written do
    not depend on such noise."""
    with np.errstate(all="ignore"):
        result = optimize.minimize(f, theta0, method="BFGS", options={"gtol": 1e-7, "maxiter": 500})
    theta = np.asarray(result.x, dtype=float)
    value = f(theta)
    for _ in range(NEWTON_STEPS):
        with np.errstate(all="ignore"):
            gradient = np.array([(f(theta + step) - f(theta - step)) / (2 * GRADIENT_STEP)
                                 for step in np.eye(theta.size) * GRADIENT_STEP])
            hessian = _hessian(f, theta)
        if not (np.all(np.isfinite(gradient)) and np.all(np.isfinite(hessian))):
            break  # at an edge of the parameter space (the likelihood is not finite around it): as BFGS left it
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        moved = f(theta - step)
        if not moved < value:
            break
        theta, value = theta - step, moved
    return theta


NEWTON_STEPS = 1
"""Newton steps after BFGS (:func:`_maximise`): one brings the evidence benchmark's flat Beta to a few millionths of
its maximum (a second, to a few ten-millionths, cost its fits a third more evaluations)."""
GRADIENT_STEP = 1e-4
"""The central differences' step for the Newton steps' gradient (on the log scale of the parameters)."""


def _log_ab(phi: np.ndarray) -> np.ndarray:
    """(logit mean, log(alpha + beta), rest...) -> (log alpha, log beta, rest...)."""
    log_kappa = phi[1]
    log_mean = -np.logaddexp(0.0, -phi[0])
    log_rest = -np.logaddexp(0.0, phi[0])
    return np.r_[log_mean + log_kappa, log_rest + log_kappa, phi[2:]]


def _phi(log_ab: np.ndarray) -> np.ndarray:
    """The inverse of :func:`_log_ab` on its first two coordinates."""
    return np.r_[log_ab[0] - log_ab[1], np.logaddexp(log_ab[0], log_ab[1]), log_ab[2:]]


def _carried(loglik, theta: np.ndarray, k: int, held_se: tuple[float, float], names: tuple[str, ...],
             n: int, correlation: float = 0.0) -> Estimates:
    """The written mix's estimates: the observed information of its ``k`` parameters given the multipliers, plus the
    multipliers' own uncertainty (log-scale errors ``held_se`` with their ``correlation``, from their designs) carried
    through the maximum (delta method: d theta / d log m = -H_tt^-1 H_tm, the implicit function of the score)."""
    hess = _hessian(loglik, theta)
    if not np.all(np.isfinite(hess)):
        raise NotConverged("the log-likelihood is not finite around the maximum", np.exp(theta[:k]))
    h_tt, h_tm = hess[:k, :k], hess[:k, k:]
    try:
        conditional = np.linalg.inv(-h_tt)
    except np.linalg.LinAlgError:
        raise NotConverged("the information matrix is singular (the data cannot pin down every parameter)",
                           np.exp(theta[:k])) from None
    slope = -np.linalg.solve(h_tt, h_tm)
    se = np.asarray(held_se, dtype=float)
    held_cov = np.outer(se, se) * np.array([[1.0, correlation], [correlation, 1.0]])
    cov_log = conditional + slope @ held_cov @ slope.T
    if np.any(np.diag(cov_log) <= 0):
        raise NotConverged("the information matrix is not positive definite", np.exp(theta[:k]))
    values = np.exp(theta[:k])
    return Estimates(names, values, cov_log * np.outer(values, values), float(loglik(theta)), n)


def _inside(theta: np.ndarray, loglik) -> None:
    """Refuse a maximum at the edge of the parameter space or with a log-likelihood that is not finite."""
    if np.any(np.abs(theta) > EDGE) or not np.isfinite(loglik(theta)):
        raise NotConverged("the churn mix with the effects written ran to the edge of the parameter space",
                           np.exp(theta))


def _hessian(f, theta: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Hessian of ``f`` by central differences (four evaluations per pair, three per diagonal element)."""
    k = theta.size
    hess = np.empty((k, k))
    f0 = f(theta)
    for i in range(k):
        e_i = np.eye(k)[i] * step
        hess[i, i] = (f(theta + e_i) - 2 * f0 + f(theta - e_i)) / step**2
        for j in range(i):
            e_j = np.eye(k)[j] * step
            hess[i, j] = hess[j, i] = (f(theta + e_i + e_j) - f(theta + e_i - e_j) - f(theta - e_i + e_j)
                                       + f(theta - e_i - e_j)) / (4 * step**2)
    return hess


def _estimates(loglik, theta: np.ndarray, names: tuple[str, ...], n: int) -> Estimates:
    info = -_hessian(loglik, theta)
    if not np.all(np.isfinite(info)):
        raise NotConverged("the log-likelihood is not finite around the maximum", np.exp(theta))
    eigenvalues = np.linalg.eigvalsh(info / max(n, 1))
    if not np.all(np.isfinite(eigenvalues)) or eigenvalues.min() <= 1e-10 * max(eigenvalues.max(), 1.0):
        raise NotConverged("the information matrix is singular (the data cannot pin down every parameter)", np.exp(theta))
    params = np.exp(theta)
    cov = np.linalg.inv(info) * np.outer(params, params)
    return Estimates(names, params, cov, float(loglik(theta)), n)


def fit_joint(h: Histories, durations: tuple[float, float], held: tuple[float, float] = (1.0, 1.0),
              held_se: tuple[float, float] = (0.0, 0.0)) -> JointChurn:
    """The joint fit and the mix to write with the multipliers ``held`` (see the module docstring).

    ``held_se`` may carry the held multipliers' ``correlation`` (:class:`HeldErrors`). Raises NotConverged when the
    fit does not reach an interior maximum (with a reason).
    """
    correlation = float(getattr(held_se, "correlation", 0.0))
    n = h.customers
    nodes = node_count(h)
    months = float(h.count @ h.length)
    churned = float(h.count @ (h.status == CHURNED))
    if churned < 1:
        raise NotConverged("no customer churned (only walk-aways or none left): there is no churn to fit", np.zeros(0))
    mean = churned / months

    def mixed(theta):  # (log alpha, log beta, log m_pos, log m_neg)
        a, b, mp, mb = np.exp(theta)
        if max(a, b) > math.exp(EDGE) or min(a, b) < math.exp(-EDGE):
            return -np.inf
        return churn_loglik(h, a, b, mp, mb, durations, nodes)

    def objective(loglik):
        return lambda theta: (lambda v: -v / n if np.isfinite(v) else np.inf)(loglik(theta))

    def by_mean(phi):  # (logit mean, log(alpha + beta), log m_pos, log m_neg): far better conditioned for BFGS
        return mixed(_log_ab(phi))

    def single(theta):  # (log p, log m_pos, log m_neg)
        p, mp, mb = np.exp(theta)
        return homogeneous_loglik(h, p, mp, mb, durations) if p < 1 else -np.inf

    theta_one = _maximise(objective(single), np.r_[math.log(mean), np.log(held)])
    start = np.r_[math.log(mean / (1.0 - mean)), math.log(1.0 / mean), theta_one[1:]]
    theta = _log_ab(_maximise(objective(by_mean), start))
    value = mixed(theta)
    # As fit customers' sBG: no better than one churn probability, with alpha and beta above 1, is the Beta's limit.
    homogeneous = not np.isfinite(value) or max(abs(theta[0]), abs(theta[1])) > EDGE or \
        (min(theta[0], theta[1]) > 0 and 2.0 * (value - single(theta_one)) < HOMOGENEOUS_LR)
    if not homogeneous:
        try:
            joint = _estimates(mixed, theta, ("alpha", "beta", "m_positive", "m_negative"), n)

            def written_ll(t):
                return mixed(np.r_[t, np.log(held)])

            phi = _maximise(objective(lambda phi: written_ll(_log_ab(phi)[:2])), _phi(theta[:2]))
            t_w = _log_ab(phi)[:2]
            _inside(t_w, written_ll)
            written = _carried(mixed, np.r_[t_w, np.log(held)], 2, held_se, ("alpha", "beta"), n, correlation)
        except NotConverged:
            if min(theta[0], theta[1]) <= 0:
                raise
            homogeneous = True  # a flat ridge towards the Beta's limit: one churn probability
    if homogeneous:
        joint = _estimates(single, theta_one, ("p", "m_positive", "m_negative"), n)

        def written_ll(t):
            return single(np.r_[t, np.log(held)])

        t_w = _maximise(objective(written_ll), theta_one[:1])
        _inside(t_w, written_ll)
        written = _carried(single, np.r_[t_w, np.log(held)], 1, held_se, ("p",), n, correlation)
    return JointChurn(joint, written, tuple(held), wilson(h.walks, h.bad_months), h.walks, h.bad_months,
                      tuple(durations), homogeneous, n, tuple(held_se), h, correlation)


def written_nodes(churn: JointChurn, h: Histories) -> tuple[np.ndarray, np.ndarray]:
    """The churn probabilities (nodes) and weights of the mix as written: Gauss-Jacobi, or the one probability."""
    if churn.homogeneous:
        return np.array([churn.written.value("p")]), np.ones(1)
    return beta_nodes(churn.written.value("alpha"), churn.written.value("beta"), node_count(h))


def churn_by_tenure(churn: JointChurn, h: Histories | None = None) -> dict[str, np.ndarray]:
    """Per month of tenure: customers at risk, those who churned (walk-aways apart: they survived the month's churn
    and leave after it), and the churn the written mix and multipliers expect with its binomial variance; and the
    same four totals by the experience of the month before (``after``: rows NEUTRAL, GOOD, BAD, columns at risk,
    churned, expected, variance). With ``h.counted_from`` (a holdout's histories) only the months from it count.

    A customer's expected churn in month ``t`` is the model's hazard given the experiences they had and their
    surviving the months before: the forward recursion of :func:`life_likelihoods` stopped at ``t``, the hazard
    averaged over the Beta and the latent states it leaves (``sum a h / sum a``), once per prefix
    (:func:`expected_hazards`). Summed over those at risk this is the count the fitted model predicts for the data's
    own history, so that the two survival curves (Kaplan-Meier of the data, the product of ``1 - expected / at risk``)
    can be compared month by month. The sums run over each month's histories in the order of a recursion history by
    history (:class:`Months`), so the table is that recursion's, bit for bit."""
    h = churn.histories if h is None else h
    tree = h.levels
    months = tree.every  # with the months a holdout does not count (at risk 0): the same sums as history by history
    c, hz = months.at_risk, expected_hazards(churn, h)[months.prefix]
    spread, went = hz * (1.0 - hz), months.churned.astype(float)  # as the dot products below cast it
    at_risk, churned, expected, variance = (np.zeros(tree.months) for _ in range(4))
    for t, rows in enumerate(zip(months.rows[:-1], months.rows[1:])):
        x = slice(*rows)
        at_risk[t], expected[t], variance[t], churned[t] = c[x].sum(), c[x] @ hz[x], c[x] @ spread[x], c[x] @ went[x]
    before = np.concatenate([np.full(1, NEUTRAL), *tree.kind[1:]])[months.prefix]  # the month before's experience
    after = month_sums(months, before, (c, c * months.churned, c * hz, c * hz * (1.0 - hz)), 3)
    return {"period": np.arange(1, tree.months + 1), "at_risk": at_risk, "churned": churned, "expected": expected,
            "variance": variance, "after": after}


def expected_hazards(churn: JointChurn, h: Histories | None = None) -> np.ndarray:
    """The written model's churn hazard in each prefix of ``h`` (by default the fitted histories), numbered as
    :class:`Levels`': a customer's hazard in month ``t`` given the experiences of the months before and their
    surviving them. Read-only, kept with ``h``'s levels: a model already replayed on them (the same nodes,
    multipliers and durations) is not replayed again.

    The forward recursion's state in month ``t`` (the weights over the Beta's nodes and the latent states) depends only
    on the experiences before ``t``, so histories that agree on them (a prefix: the months near the start are most
    customers') share it: each month's states are computed once per prefix (about a third of the histories' months on
    a company's data) with the same arithmetic as per history, the whole Beta's nodes side by side."""
    h = churn.histories if h is None else h
    tree = h.levels
    p, w = written_nodes(churn, h)
    key = (p.tobytes(), w.tobytes(), tuple(churn.held), tuple(churn.durations))
    if key in tree.replayed:
        return tree.replayed[key]
    hazard = np.minimum(p[:, None] * np.array([1.0, *churn.held])[None, :], 1.0)  # (nodes, 3)
    stay_p, stay_b = 1.0 - 1.0 / churn.durations[0], 1.0 - 1.0 / churn.durations[1]
    a = np.zeros((1, p.size, 3))
    a[:, :, NEUTRAL] = w[None, :]
    hz = np.zeros(tree.first[-1])
    for t in range(tree.months):
        total = a.sum(axis=(1, 2))
        hz[tree.first[t]:tree.first[t + 1]] = np.einsum("ukn,kn->u", a, hazard) / total
        if t + 1 < tree.months:
            a = a * (1.0 - hazard)[None] / total[:, None, None]  # survived month t (scaled: only ratios matter)
            a = next_month_states(a, tree.kind[t + 1], stay_p, stay_b, tree.parent[t + 1])
    hz.flags.writeable = False
    tree.replayed[key] = hz
    return hz


def month_sums(months: Months, cell: np.ndarray, columns, cells: int) -> np.ndarray:
    """(cells, columns): the sums of each of ``columns`` (one number per month of ``months``) by ``cell`` (each
    month's, 0 to ``cells - 1``), month by month, then the months in order -- the order of a recursion history by
    history that adds each month's sums in turn."""
    count = months.rows.size - 1
    index = months.month * cells + cell
    out = np.zeros((len(columns), cells))
    for column, x in zip(out, columns):
        for row in np.bincount(index, weights=x, minlength=count * cells).reshape(count, cells):
            column += row
    return out.T


def next_month_states(a: np.ndarray, kind: np.ndarray, stay_p, stay_b, parent: np.ndarray | None = None) -> np.ndarray:
    """Hidden-state weights (rows, nodes, states) a month on, given each row's contact that month (``kind``).

    A good or bad contact puts all of a row's weight in that state; without one a good or bad state lasts with its
    staying probability and otherwise falls back to neutral (the engine's geometric states). ``parent`` gives each
    row of the result the row of ``a`` it continues (a prefix tree's month from the month before,
    :class:`Levels`); by default row for row.
    """
    x = a if parent is None else a[parent]
    out = np.zeros_like(x)
    drift = (kind != GOOD) & (kind != BAD)
    d = x[drift]
    out[drift, :, NEUTRAL] = d[:, :, NEUTRAL] + (d[:, :, GOOD] * (1.0 - stay_p) + d[:, :, BAD] * (1.0 - stay_b))
    out[drift, :, GOOD] = d[:, :, GOOD] * stay_p
    out[drift, :, BAD] = d[:, :, BAD] * stay_b
    for state in (GOOD, BAD):
        moved = kind == state
        d = x[moved]
        out[moved, :, state] = d[:, :, NEUTRAL] + d[:, :, GOOD] + d[:, :, BAD]
    return out
