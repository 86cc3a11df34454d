"""One- and two-way sweeps: a full Monte Carlo run at each value of one or two inputs.

Every point uses the same seed. Because each input draws from its own stream
and customer-level randomness is keyed by draw (:mod:`sim.model.streams`), the
points differ only by the swept values: common random numbers make the curves
smooth, and a point at the scenario's own (fixed) value reproduces ``cxroi run``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.analyses.common import Analysis, context, outcome_row, records, unpack
from sim.errors import UsageError, finite_numbers
from sim.compute import parallel
from sim.model.inputs import all_inputs
from sim.model.scenario import Scenario
from sim.model.domains import adjustments, check_all_pinned
from sim.compute.arms import ArmStore
from sim.compute.simulation import pinned, sample
from sim.model.validation import Loaded

Progress = Callable[[int, int], None]

MAX_POINTS = 1000
"""Most values a ``--range`` or ``LOW:HIGH:STEPS`` spreads, and most points a sweep runs (a full Monte Carlo
run each): a STEPS of a million used to run for hours, or fill the memory with a million tables, before any
line was printed."""


def parse_range(text: str) -> tuple[float, float, int | None]:
    """'LOW:HIGH' or 'LOW:HIGH:STEPS' -> (low, high, steps or None): what ``--range`` means in every command."""
    parts = text.split(":")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        low, high = float(parts[0]), float(parts[1])
        steps = int(parts[2]) if len(parts) == 3 else None
    except ValueError:
        raise UsageError(f"--range '{text}' is not LOW:HIGH or LOW:HIGH:STEPS, e.g. 0.05:0.5 or 0.05:0.5:10") from None
    _finite(text, [low, high], "--range")
    if steps is not None and not 2 <= steps <= MAX_POINTS:
        raise UsageError(f"--range '{text}': STEPS must be 2 to {MAX_POINTS:,}")
    if not low < high:
        raise UsageError(f"--range '{text}': LOW must be below HIGH")
    return low, high, steps


def value_range(text: str, default_steps: int) -> list[float]:
    """The evenly spaced values of a ``--range`` (both ends included), without float noise."""
    low, high, steps = parse_range(text)
    return [float(f"{v:.12g}") for v in np.linspace(low, high, steps or default_steps)]


def parse_values(text: str, option: str = "--values") -> list[float]:
    """'0.01,0.02,0.03' or 'LOW:HIGH:STEPS' (evenly spaced, both ends included) as a list of numbers."""
    try:
        if ":" in text:
            low, high, steps = text.split(":")
            count = int(steps)
            if not 2 <= count <= MAX_POINTS:
                raise UsageError(f"{option} '{text}': STEPS must be 2 to {MAX_POINTS:,}")
            ends = [float(low), float(high)]
            _finite(text, ends, option)
            return [float(f"{v:.12g}") for v in np.linspace(*ends, count)]
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"'{text}' is not a list of numbers (0.01,0.02,0.03) or a range (LOW:HIGH:STEPS)") from None
    if not values:
        raise UsageError(f"'{text}' gives no values")
    _finite(text, values, option)
    return values


def _finite(text: str, values: list[float], option: str) -> None:
    finite_numbers(option, text, values)


def sweep(
    scenario: Scenario | Loaded,
    grid: dict[str, list[float]],
    draws: int | None = None,
    seed: int | None = None,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """Run the scenario at every combination of the values in ``grid`` ({input path: values}, one or two inputs)."""
    scenario, loaded = unpack(scenario)
    if not 1 <= len(grid) <= 2:
        raise UsageError("a sweep takes one or two --param options")
    seed = scenario.settings.seed if seed is None else seed
    draws = scenario.settings.draws if draws is None else draws
    sizes = [len(values) for values in grid.values()]
    if math.prod(sizes) > MAX_POINTS:
        raise UsageError(f"a sweep runs at most {MAX_POINTS:,} points, not {' x '.join(map(str, sizes))}; "
                         "give fewer values")
    points = [dict(zip(grid, point)) for point in itertools.product(*grid.values())]
    check_all_pinned(scenario, points, "--values")
    drawn = sample(scenario, draws, seed, points[0])  # the other inputs' draws, the same at every point
    value_sets = [pinned(drawn, point) for point in points]
    memo: dict = {}
    adjusted = [{**entry, "point": fixed} for fixed, values in zip(points, value_sets)
                for entry in _adjustments(scenario, fixed, values, memo)]
    with parallel.pool(workers) as shared:
        # Only the arms a point changes are simulated again (a cost moves none; an intervention's input its own).
        appraisals = ArmStore(scenario, seed, shared).appraisals(value_sets, progress)
    rows = []
    for fixed, by_intervention in zip(points, appraisals):
        for name, appraisal in by_intervention.items():
            rows.append({**fixed, "intervention": name, **outcome_row(appraisal)})
    table = pd.DataFrame(rows)
    summary = {
        "scenario": scenario.settings.name,
        "seed": seed,
        "draws": draws,
        "currency": scenario.settings.currency,
        "params": {path: values for path, values in grid.items()},
        "base_values": {path: all_inputs(scenario)[path].dist.base for path in grid},
        **context(scenario, loaded, list(grid)),
        "points": records(table),
        "adjustments": adjusted,
    }
    return Analysis("sweep", scenario, loaded, seed, draws, summary, {"sweep": table})


def _adjustments(scenario: Scenario, point: dict[str, float], values: dict[str, np.ndarray], memo: dict) -> list[dict]:
    """:func:`sim.model.domains.adjustments` of a point's values, once per distinct value of the inputs it reads.

    Adjustments read the changed inputs, the changes' operands and the shares of good and
    bad contacts (:func:`~sim.model.domains.adjustments`); every point's table shares the
    other inputs' draws (:func:`sim.compute.simulation.pinned`), so points that differ only
    in inputs it does not read (a cost, a walk-away) have the same adjustments. ``memo``
    holds them for one sweep.
    """
    read = {change.path for intervention in scenario.interventions.values() for change in intervention.changes}
    read |= {f"interventions.{name}.changes[{index}].{change.operation}"
             for name, intervention in scenario.interventions.items() for index, change in enumerate(intervention.changes)}
    read |= {f"segments.{segment}.experience.{share}" for segment in scenario.segments for share in ("good", "bad")}
    key = tuple(sorted((path, value) for path, value in point.items() if path in read))
    if key not in memo:
        memo[key] = adjustments(scenario, values)
    return memo[key]
