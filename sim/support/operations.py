"""Support operations: how contact volume, staffing and resolution become experiences and cost.

Each period the engine asks :class:`Operations` what a contact is like, given the
contacts its customers make. The answer follows the contacts: some are prevented
by proactive outreach, some start in self-service (and come back to a human when
it fails), the rest reach human channels, where unresolved contacts come back
(``1 / first_contact_resolution`` contacts per problem). Within each channel the
day's contacts follow its arrival pattern hour by hour; each hour is an
Erlang A queue (:mod:`sim.support.queueing`) with that hour's agents. Answered contacts
are good with the satisfied share of the response curve at their mean wait
(:mod:`sim.support.response`); abandoned and unresolved ones lead to bad experiences.

Running a queue model per draw and period would cost seconds, so every
(agents, handling time, patience) combination gets a table of its queue
measures over the offered load, computed once and interpolated
(``tests/support/test_operations.py`` holds the table against the formulas and the
simpy simulation).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from sim.support.queueing import erlang_a, erlang_c
from sim.support.response import ResponseCurve

MINUTES = 60.0
MAX_WAIT_MINUTES = 10_000.0
"""Mean waits are capped here: an overloaded queue without abandonment has no finite wait."""
MAX_AGENTS = 10_000.0
"""Most agents on duty in one channel: queue tables take time in proportion to the agents."""
MAX_QUEUE_STATES = 50_000.0
"""Largest queue (agents plus callers waiting through their patience) a queue table solves in about a second."""


def queue_states(agents: float, handling_minutes: float, patience_minutes: float | None) -> float:
    """About how many callers the largest chain of :func:`queue_table` holds (its cost grows with this).

    Loads reach 6 x agents, where waiting callers pile up until abandonment
    (rate 1 / patience each) matches the excess: about 5 x agents x patience /
    handling of them; without patience (Erlang C) the cost grows with agents only.
    """
    ratio = patience_minutes / handling_minutes if patience_minutes else 0.0
    return agents * (1.0 + 6.0 * ratio)


@dataclass(frozen=True)
class QueueTable:
    """Queue measures of one staffing level at a grid of offered loads (erlangs)."""

    loads: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    wait_minutes: np.ndarray

    def at(self, load: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(answered share, abandoned share, mean wait of answered contacts in minutes) at ``load``.

        Linear interpolation (the last value beyond the grid), locating each load once for all three.
        """
        left = np.searchsorted(self.loads, load, side="right")
        left -= 1
        np.clip(left, 0, len(self.loads) - 2, out=left)
        steps = self._steps
        weight = np.subtract(load, self.loads.take(left))
        weight /= steps[0].take(left)
        np.clip(weight, 0.0, 1.0, out=weight)
        measures = []
        for column, step in zip((self.answered, self.abandoned, self.wait_minutes), steps[1:]):
            value = step.take(left)
            value *= weight  # column[left] + weight * step[left], in place: the same operations
            value += column.take(left)
            measures.append(value)
        return tuple(measures)

    @cached_property
    def _steps(self) -> tuple[np.ndarray, ...]:
        """Differences between neighbouring grid points of loads and of each measure, computed once per table
        (the same subtractions :meth:`at` would make per row, so the same numbers)."""
        return tuple(np.diff(column) for column in (self.loads, self.answered, self.abandoned, self.wait_minutes))


CV_EXPONENT = 0.75
"""Calibrated exponent of the handling-variability factor for queues with abandonment (see :func:`queue_table`)."""


def variability_factor(handling_cv: float, abandonment: bool) -> float:
    """How much less (or more) callers wait when handling times vary less (more) than exponential ones.

    Without abandonment: the Allen-Cunneen factor (1 + cv^2) / 2 on waiting. With
    abandonment the queue partly regulates itself, so the factor is damped to
    ((1 + cv^2) / 2)^0.75 for cv <= 1 — an exponent calibrated against the simpy
    contact centre, where it keeps abandonment within 0.004 and the mean wait
    within a few seconds (tests/support/test_operations.py); for cv > 1 the simulation
    stays within 0.004 of plain Erlang A, so no factor is applied there.
    """
    if handling_cv == 1.0:
        return 1.0
    factor = (1.0 + handling_cv * handling_cv) / 2.0
    if not abandonment:
        return factor
    return factor**CV_EXPONENT if handling_cv < 1.0 else 1.0


@lru_cache(maxsize=512)
def queue_table(agents: int, handling_minutes: float, patience_minutes: float | None, handling_cv: float = 1.0) -> QueueTable:
    """Erlang A (or C without patience) measures for ``agents`` over loads 0 .. 6 x agents.

    The grid is dense around full occupancy, where the measures bend; beyond its
    end the last value holds (the queue is hopelessly overloaded there anyway).
    Handling times that are not exponential (``handling_cv`` != 1) scale waiting
    by :func:`variability_factor`: a queue whose waits are f times as long is one
    whose callers are 1/f times as patient.
    """
    factor = variability_factor(handling_cv, bool(patience_minutes))
    agents = max(int(agents), 0)
    top = 6.0 * max(agents, 1)
    loads = np.unique(np.concatenate([
        np.linspace(0.0, 0.7 * max(agents, 1), 15),
        np.linspace(0.7 * max(agents, 1), 1.4 * max(agents, 1), 40),
        np.geomspace(1.4 * max(agents, 1), top, 25),
    ]))
    answered, abandoned, wait = [], [], []
    handling = handling_minutes / MINUTES
    for load in loads:
        if agents == 0 or load == 0:
            answered.append(0.0 if agents == 0 and load > 0 else 1.0)
            abandoned.append(1.0 if agents == 0 and load > 0 else 0.0)
            wait.append(0.0 if load == 0 else MAX_WAIT_MINUTES)
            continue
        rate = load / handling
        if patience_minutes:
            m = erlang_a(rate, handling, agents, patience_minutes / MINUTES / factor, None)
        else:
            m = erlang_c(rate, handling, agents, None)
        answered.append(1.0 - m.abandonment)
        abandoned.append(m.abandonment)
        wait.append(min(m.asa * factor * MINUTES, MAX_WAIT_MINUTES))
    return QueueTable(loads, np.array(answered), np.array(abandoned), np.array(wait))


@dataclass(frozen=True)
class Channel:
    """A human channel, with per-row (draw or stacked arm) values where they may vary."""

    share: np.ndarray
    agents: np.ndarray
    staffing_pattern: tuple[float, ...]
    arrival_pattern: tuple[float, ...]
    weekday_pattern: tuple[float, ...]
    """Relative contacts on each open day of a week (one value: every day alike)."""
    days_per_period: np.ndarray
    """Open days per period, per row (interventions may open on more days)."""
    handling_minutes: np.ndarray
    patience_minutes: np.ndarray
    """Mean patience per row; 0 means callers never hang up (Erlang C)."""
    handling_cv: float
    first_contact_resolution: np.ndarray
    cost_per_agent_hour: np.ndarray


@dataclass(frozen=True)
class Outcome:
    """Per row: experience shares of one first contact, and the period's support cost."""

    good: np.ndarray
    bad: np.ndarray
    cost: np.ndarray
    answered: np.ndarray
    """Share of contacts answered by an agent or solved by self-service (the rest were abandoned)."""
    wait_minutes: np.ndarray
    """Mean wait of contacts answered by an agent, in minutes."""
    happening: np.ndarray | float = 1.0
    """Share of wanted contacts that take place (the rest are prevented by proactive outreach)."""
    capacity: np.ndarray | float = 0.0
    """The part of ``cost`` that does not move with volume: agents, licences, proactive outreach."""


def human_channels(channels: list[Channel], contacts: np.ndarray, curve: ResponseCurve,
                   abandoned_bad: np.ndarray, unresolved_bad: np.ndarray, dissatisfied_bad: np.ndarray) -> Outcome:
    """Experience of a first contact that reaches a human, and the cost of the staff, per row."""
    shares = np.stack([channel.share for channel in channels])
    shares = shares / np.where(shares.sum(axis=0) > 0, shares.sum(axis=0), 1.0)
    good = np.zeros_like(contacts)
    bad = np.zeros_like(contacts)
    answered_all = np.zeros_like(contacts)
    wait_all = np.zeros_like(contacts)
    cost = np.zeros_like(contacts)
    for channel, share in zip(channels, shares):
        resolution = np.maximum(channel.first_contact_resolution, 1e-3)
        handled = contacts * share / resolution  # unresolved contacts come back until solved
        answered, abandoned, wait = _through_the_day(channel, handled)
        satisfied = curve.satisfied(wait)
        channel_bad = abandoned * abandoned_bad + answered * (
            (1.0 - resolution) * unresolved_bad + resolution * (1.0 - satisfied) * dissatisfied_bad)
        channel_good = answered * resolution * satisfied
        good += share * channel_good
        bad += share * channel_bad
        answered_all += share * answered
        wait_all += share * wait
        staffed_hours = channel.days_per_period * sum(channel.staffing_pattern)
        cost += np.round(channel.agents) * staffed_hours * channel.cost_per_agent_hour
    return Outcome(good, np.minimum(bad, 1.0 - good), cost, answered_all, wait_all)


def _through_the_day(channel: Channel, handled: np.ndarray):
    """Contact-weighted answered share, abandoned share and mean wait over the open hours, per row."""
    answered = np.ones_like(handled)
    abandoned = np.zeros_like(handled)
    wait = np.zeros_like(handled)
    for table, rows in _day_tables(channel, handled.shape):
        answered[rows], abandoned[rows], wait[rows] = table.at(handled[rows])
    return answered, abandoned, wait


def _day_tables(channel: Channel, shape: tuple[int, ...]) -> list[tuple[QueueTable, slice | np.ndarray]]:
    """The day tables of a channel's rows and the rows each serves, found once per channel and kept on it.

    Rows share a table when they share agents, handling time and patience: few combinations, as these
    are fixed per arm and move only while an intervention ramps up (the engine then builds new channels).
    """
    cache = channel.__dict__.setdefault("_day_tables", {})  # a frozen dataclass: its values never change
    if shape in cache:
        return cache[shape]
    handling = np.broadcast_to(channel.handling_minutes, shape)
    patience = np.broadcast_to(channel.patience_minutes, shape)
    days = np.broadcast_to(channel.days_per_period, shape)
    # Agents are a headcount: whole agents (an uncertain or ramping count rounds to few distinct values).
    agents_on_duty = np.round(channel.agents) * np.ones(shape)
    keys, groups = _groups(np.column_stack([agents_on_duty, handling, patience, days]))
    tables = []
    for (agents, minutes, wait_limit, open_days), rows in zip(keys, groups):
        on_duty = tuple(int(v) for v in np.round(agents * np.asarray(channel.staffing_pattern)))
        table = day_table(on_duty, float(minutes), float(wait_limit) or None,
                          tuple(channel.arrival_pattern), float(open_days), tuple(channel.weekday_pattern),
                          float(channel.handling_cv))
        tables.append((table, rows))
    cache[shape] = tables
    return tables


@lru_cache(maxsize=512)
def day_table(on_duty: tuple[int, ...], handling_minutes: float, patience_minutes: float | None,
              arrival_pattern: tuple[float, ...], days: float, weekday_pattern: tuple[float, ...] = (1.0,),
              handling_cv: float = 1.0) -> QueueTable:
    """Queue measures of a whole period against its contact volume, hours and weekdays weighted by their contacts.

    The grid is in contacts handled per period (``loads`` holds those); each point
    reads the hourly tables at every (weekday, hour) load, so a period costs one
    interpolation per row instead of one per open hour.
    """
    hours = np.asarray(arrival_pattern, dtype=float) / sum(arrival_pattern)
    weekdays = np.asarray(weekday_pattern, dtype=float) / np.mean(weekday_pattern)  # busy days above 1
    per_hour = hours / days * handling_minutes / MINUTES  # erlangs in each hour of an average day, per contact
    busiest = max(float(np.max(per_hour * weekdays.max() / np.maximum(on_duty, 1))), 1e-12)
    top = 8.0 / busiest  # contacts per period at which the busiest hour runs at 8 x its agents
    grid = np.unique(np.concatenate([np.linspace(0.0, top / 4, 160), np.linspace(top / 4, top, 120)]))
    answered = np.zeros_like(grid)
    abandoned = np.zeros_like(grid)
    waited = np.zeros_like(grid)
    for day in weekdays:
        share = day / weekdays.sum()  # this weekday's share of the week's contacts
        for hour, agents in enumerate(on_duty):
            a, b, w = queue_table(agents, handling_minutes, patience_minutes, handling_cv).at(grid * per_hour[hour] * day)
            answered += share * hours[hour] * a
            abandoned += share * hours[hour] * b
            waited += share * hours[hour] * a * w
    wait = np.divide(waited, answered, out=np.zeros_like(grid), where=answered > 0)
    return QueueTable(grid, answered, abandoned, wait)


@dataclass(frozen=True)
class SelfService:
    """An automated first line (AI assistant, help centre), per row."""

    deflection: np.ndarray
    resolution: np.ndarray
    cost_per_contact: np.ndarray
    licence_per_period: np.ndarray
    good_when_resolved: np.ndarray
    bad_when_unresolved: np.ndarray


@dataclass(frozen=True)
class Operations:
    """Everything the engine needs to turn a period's contacts into experiences and cost."""

    channels: list[Channel]
    self_service: SelfService
    curve: ResponseCurve
    abandoned_bad: np.ndarray
    unresolved_bad: np.ndarray
    dissatisfied_bad: np.ndarray
    prevention: np.ndarray
    proactive_cost_per_period: np.ndarray

    def outcome(self, contacts: np.ndarray) -> Outcome:
        """Experience of one contact that happens, and the period's cost, for ``contacts`` wanted per row.

        ``contacts`` counts the contacts customers would make; proactive outreach
        prevents a share (``Outcome.answered`` etc. describe the rest).
        """
        ss = self.self_service
        happening = contacts * (1.0 - self.prevention)
        bot = happening * ss.deflection
        bot_solved = bot * ss.resolution
        bot_failed = bot - bot_solved
        direct = happening - bot
        human = human_channels(self.channels, direct + bot_failed, self.curve,
                               self.abandoned_bad, self.unresolved_bad, self.dissatisfied_bad)
        wanted_human = ss.bad_when_unresolved
        good = (bot_solved * ss.good_when_resolved + bot_failed * human.good * (1.0 - wanted_human) + direct * human.good)
        bad = bot_failed * (1.0 - (1.0 - human.bad) * (1.0 - wanted_human)) + direct * human.bad
        per = np.where(happening > 0, happening, 1.0)
        good, bad = np.where(happening > 0, good / per, human.good), np.where(happening > 0, bad / per, human.bad)
        capacity = human.cost + ss.licence_per_period + self.proactive_cost_per_period
        cost = capacity + bot * ss.cost_per_contact
        # Answered by an agent, or solved by self-service, per contact that happens.
        answered = np.where(happening > 0, (bot_solved + (direct + bot_failed) * human.answered) / per, human.answered)
        return Outcome(good, np.minimum(bad, 1.0 - good), cost, answered, human.wait_minutes,
                       1.0 - self.prevention, capacity)


def _groups(columns: np.ndarray) -> tuple[list[tuple], list[np.ndarray]]:
    """Distinct rows of ``columns`` and the row indices of each.

    Rows come as arms stacked along the draws axis, so values mostly run in long
    constant stretches: those are found in one pass; only many short stretches
    (values that vary draw by draw) fall back to sorting.
    """
    changes = np.flatnonzero(np.any(columns[1:] != columns[:-1], axis=1)) + 1
    if len(changes) > 64:
        keys, inverse = np.unique(columns, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        return [tuple(k) for k in keys], [np.flatnonzero(inverse == i) for i in range(len(keys))]
    starts = np.concatenate([[0], changes])
    ends = np.concatenate([changes, [len(columns)]])
    found: dict[tuple, list[np.ndarray]] = {}
    for start, end in zip(starts, ends):
        found.setdefault(tuple(columns[start]), []).append(np.arange(start, end))
    # One stretch is a slice (a view, no copies); several are the indices of all their rows.
    return list(found), [slice(parts[0][0], parts[0][-1] + 1) if len(parts) == 1 else np.concatenate(parts)
                         for parts in found.values()]
