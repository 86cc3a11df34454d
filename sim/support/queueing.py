"""Analytic queue measures for a contact centre: Erlang C (M/M/c) and Erlang A (M/M/c+M).

Rates are per hour, times in hours. Erlang C uses the closed forms (through the
stable Erlang B recursion). Erlang A — callers who hang up after an exponential
patience — has no closed form for the service level, so it is computed exactly
from the birth-death chain of the number in system, truncated where its tail
mass is negligible: what an arriving caller finds (PASTA), then the caller's own
progress through the queue as a small absorbing Markov chain (served or
abandoned), evaluated with a matrix exponential (Garnett, Mandelbaum & Reiman
2002; Mandelbaum & Zeltyn 2007).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TAIL = 1e-13
"""Stationary mass left out where the Erlang A chain is truncated."""


@dataclass(frozen=True)
class QueueMeasures:
    """Steady-state performance of one staffing level."""

    agents: int
    offered_load: float
    """Erlangs: arrival rate x mean handling time."""
    prob_wait: float
    """Share of callers who wait at all."""
    service_level: float
    """Share of all callers answered within the target time."""
    asa: float
    """Average speed of answer of answered callers, in hours."""
    abandonment: float
    """Share of callers who hang up before being answered."""
    occupancy: float
    """Share of agent time spent handling contacts."""


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/c/c, by the recursion B(k) = a B(k-1) / (k + a B(k-1))."""
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(rate: float, handling: float, agents: int, target: float | None) -> QueueMeasures:
    """M/M/c without abandonment; requires the load below the number of agents (else everything is infinite)."""
    load = rate * handling
    if load >= agents:
        return QueueMeasures(agents, load, 1.0, 0.0, float("inf"), 0.0, 1.0)
    b = erlang_b(agents, load)
    wait = agents * b / (agents - load * (1.0 - b))
    drain = agents / handling - rate  # rate at which the queue empties
    return QueueMeasures(
        agents=agents,
        offered_load=load,
        prob_wait=wait,
        service_level=1.0 - wait * np.exp(-drain * target) if target is not None else float("nan"),
        asa=wait / drain,
        abandonment=0.0,
        occupancy=load / agents,
    )


def erlang_a(rate: float, handling: float, agents: int, patience: float, target: float | None) -> QueueMeasures:
    """M/M/c+M: exponential patience with mean ``patience`` hours; stable at any load.

    ``target=None`` skips the service level (the only measure that needs a matrix
    exponential), for callers that need the means only.
    """
    if not np.isfinite(patience):
        return erlang_c(rate, handling, agents, target)
    mu, theta = 1.0 / handling, 1.0 / patience
    pi = _stationary(rate, mu, theta, agents)
    n = np.arange(len(pi))
    queued = np.maximum(n - agents, 0)
    busy = np.minimum(n, agents)
    abandonment = theta * float(pi @ queued) / rate
    # An arrival finding n >= c in system has j = n - c callers ahead of it.
    ahead = pi[agents:]
    served_within, served, waited_if_served = _tagged_caller(ahead, agents * mu, theta, target)
    answered_at_once = float(pi[:agents].sum())
    answered = answered_at_once + served
    return QueueMeasures(
        agents=agents,
        offered_load=rate * handling,
        prob_wait=float(ahead.sum()),
        service_level=answered_at_once + served_within if target is not None else float("nan"),
        asa=waited_if_served / answered if answered > 0 else float("inf"),
        abandonment=abandonment,
        occupancy=float(pi @ busy) / agents,
    )


def _stationary(rate: float, mu: float, theta: float, agents: int) -> np.ndarray:
    """Stationary distribution of the number in system, truncated where the tail is below :data:`TAIL`."""
    weights = [1.0]
    n = 0
    while True:
        n += 1
        death = min(n, agents) * mu + max(n - agents, 0) * theta
        weights.append(weights[-1] * rate / death)
        if n > agents and weights[-1] < TAIL * sum(weights) and rate < death:
            break
        if weights[-1] > 1e250:  # rescale to stay in floating-point range
            weights = [w / weights[-1] for w in weights]
    pi = np.array(weights)
    return pi / pi.sum()


def _tagged_caller(ahead: np.ndarray, service_rate: float, theta: float, target: float | None) -> tuple[float, float, float]:
    """For callers who must queue: P(answered within target), P(answered), E[wait x 1{answered}].

    State i = callers ahead. From i the queue moves at rate ``service_rate + i theta``
    (a server frees up, or someone ahead hangs up), to i - 1, or from 0 into service;
    the tagged caller hangs up at rate theta.
    """
    from scipy.linalg import expm, solve_banded  # here: scipy.linalg costs a run without operations 25 ms to import

    size = len(ahead)
    if size == 0 or ahead.sum() == 0:
        return 0.0, 0.0, 0.0
    progress = service_rate + theta * np.arange(size)
    exit_rate = progress + theta
    # Transient generator over states 0..size-1, plus absorption into "served" from state 0.
    q = np.diag(-exit_rate)
    q[np.arange(1, size), np.arange(size - 1)] = progress[1:]
    to_served = np.zeros(size)
    to_served[0] = progress[0]
    # P(served by time t) = integral of the flow into "served": augment the chain with the absorbing state.
    augmented = np.zeros((size + 1, size + 1))
    augmented[:size, :size] = q
    augmented[:size, size] = to_served
    start = np.append(ahead, 0.0)
    served_within = float((start @ expm(augmented * target))[size]) if target is not None else float("nan")
    # From state i the caller is eventually served with probability prod_{k <= i} progress_k / exit_k.
    reach = np.cumprod(progress / exit_rate)
    served = float(ahead @ reach)
    # Expected time in each state (fundamental matrix), weighted by the chance of being served from there;
    # -Q^T is upper bidiagonal, so the solve is banded.
    banded = np.zeros((2, size))
    banded[0, 1:] = -progress[1:]
    banded[1, :] = exit_rate
    time_in = solve_banded((0, 1), banded, ahead)
    waited = float(time_in @ reach)
    return served_within, served, waited
