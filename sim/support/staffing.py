"""The workforce planner's table: service level, speed of answer, abandonment and occupancy by agent count.

Analytic Erlang C (no abandonment) or Erlang A (exponential patience) for every
agent count, and optionally the simpy contact centre beside them with 95 %
confidence intervals. Inputs in the units planners use: contacts per hour,
handling and patience in minutes, the service-level target in seconds.
"""

from __future__ import annotations

import pandas as pd

from sim.errors import UsageError
from sim.support.contact_centre import simulate
from sim.support.queueing import erlang_a, erlang_c

MINUTE, SECOND = 1.0 / 60.0, 1.0 / 3600.0
MAX_COUNTS = 500
"""Most agent counts one table compares."""
MAX_AGENTS = 10_000
MAX_ERLANG_A_STATES = 2_000
"""Largest birth-death chain (agents plus callers who wait) Erlang A solves exactly in a few seconds."""
MAX_SIMULATED_CALLERS = 20_000_000
"""Most callers the simulation follows (rate x hours x replications), so a typo cannot hang it."""


def parse_agents(text: str) -> list[int]:
    """'10:20' (inclusive) or '8,10,12' as agent counts."""
    try:
        if ":" in text:
            low, high = (int(part) for part in text.split(":"))
            if low > high:
                raise UsageError(f"--agents '{text}': LOW must not be above HIGH, e.g. 8:14")
            counts = list(range(low, high + 1))
        else:
            counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"--agents '{text}' is not LOW:HIGH or a list like 8,10,12") from None
    if not counts:
        raise UsageError(f"--agents '{text}' gives no agent counts; give LOW:HIGH or a list like 8,10,12")
    if min(counts) < 1:
        raise UsageError(f"--agents '{text}': agent counts must be 1 or more")
    if len(counts) > MAX_COUNTS or max(counts) > MAX_AGENTS:
        raise UsageError(f"--agents '{text}': compare at most {MAX_COUNTS} agent counts of at most {MAX_AGENTS:,} agents")
    return counts


def check_size(rate: float, patience_minutes: float | None, agents: list[int],
               simulation: tuple[float, int] | None = None) -> None:
    """Refuse a table that would take far more than seconds: an Erlang A chain (agents + callers waiting
    through their patience) too long to solve, or a simulation of too many callers (``simulation`` =
    (hours, replications))."""
    if simulation is not None:
        hours, replications = simulation
        callers = rate * hours * replications
        if callers > MAX_SIMULATED_CALLERS:
            raise UsageError(
                f"--simulate would follow about {callers:,.0f} callers ({rate:g} an hour x {hours:g} hours "
                f"x {replications} replications), more than {MAX_SIMULATED_CALLERS:,}; lower --hours or --replications")
    if patience_minutes:
        states = max(agents) + rate * patience_minutes * MINUTE
        if states > MAX_ERLANG_A_STATES:
            raise UsageError(
                f"--rate {rate:g} with --patience {patience_minutes:g}: about {states:,.0f} callers in the system, more "
                f"than the {MAX_ERLANG_A_STATES:,} Erlang A solves exactly; split the centre into smaller queues")


def staffing_table(
    rate: float,
    handling_minutes: float,
    agents: list[int],
    patience_minutes: float | None = None,
    target_seconds: float = 20.0,
    simulate_hours: float | None = None,
    replications: int = 8,
    seed: int = 1,
    progress=None,
    handling_cv: float = 1.0,
) -> pd.DataFrame:
    """One row per agent count; ``simulate_hours`` adds simpy columns (``sim_*`` and ``sim_*_ci``).

    The formulas assume exponential handling times; ``handling_cv`` gives the
    simulation lognormal ones with that coefficient of variation instead, to show
    how far the formulas are from your centre.
    """
    handling, target = handling_minutes * MINUTE, target_seconds * SECOND
    patience = patience_minutes * MINUTE if patience_minutes else None
    rows = []
    for index, count in enumerate(agents):
        formula = erlang_a(rate, handling, count, patience, target) if patience else erlang_c(rate, handling, count, target)
        row = {
            "agents": count,
            "offered_load": formula.offered_load,
            "service_level": formula.service_level,
            "asa_seconds": formula.asa / SECOND,
            "abandonment": formula.abandonment,
            "occupancy": formula.occupancy,
            "prob_wait": formula.prob_wait,
        }
        if simulate_hours:
            if not patience and formula.offered_load >= count:
                row.update({f"sim_{key}": None for key in ("service_level", "asa_seconds", "abandonment", "occupancy", "prob_wait")})
            else:
                sim = simulate(rate, handling, count, patience, target, simulate_hours, seed + index, replications,
                               handling_cv=handling_cv)
                for key, estimate, scale in (("service_level", sim.service_level, 1.0), ("asa_seconds", sim.asa, 1.0 / SECOND),
                                             ("abandonment", sim.abandonment, 1.0), ("occupancy", sim.occupancy, 1.0),
                                             ("prob_wait", sim.prob_wait, 1.0)):
                    row[f"sim_{key}"] = estimate.mean * scale
                    row[f"sim_{key}_ci"] = estimate.half_width * scale
        rows.append(row)
        if progress:
            progress(index + 1, len(agents))
    return pd.DataFrame(rows)


def overloaded(table: pd.DataFrame, patience_minutes: float | None) -> list[int]:
    """Agent counts at or below the offered load without abandonment: the queue grows without limit (Erlang C)."""
    if patience_minutes:
        return []
    return [int(n) for n, load in zip(table["agents"], table["offered_load"]) if load >= n]
