"""Break-even: the value of one input at which an intervention stops paying.

For each intervention, two answers: where mean NPV crosses zero, and where
P(ROI > 0) crosses 50 % (the median NPV crosses zero). Each evaluation is a
full Monte Carlo run with the same seed — common random numbers make both
curves smooth in the input — so a coarse grid brackets every crossing and
Brent's method (``scipy.optimize.brentq``) refines it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from sim.analyses.common import Analysis, records, unpack
from sim.errors import ScenarioError, UsageError
from sim.model import parallel
from sim.model.distributions import plain_number
from sim.model.domains import adjustments, check_all_pinned, check_known, check_pinned, effective_domain
from sim.model.inputs import all_inputs
from sim.model.scenario import Scenario
from sim.model.simulation import evaluate_many, sample
from sim.model.validation import Loaded

GRID_POINTS = 9
RELATIVE_TOLERANCE = 1e-4
CRITERIA = {
    "mean_npv_zero": lambda npv: float(np.mean(npv)),
    "prob_roi_positive_50": lambda npv: float(np.mean(npv > 0)) - 0.5,
}


def default_range(scenario: Scenario, path: str) -> tuple[float, float]:
    """The input's 1st to 99th percentile, or half to twice a fixed value (within what it allows)."""
    item = all_inputs(scenario)[path]
    domain = effective_domain(scenario, path)
    if item.dist.is_fixed:
        base = item.dist.base
        low, high = sorted((0.5 * base, 2.0 * base)) if base != 0 else (-1.0, 1.0)
    else:
        low, high = item.dist.ppf(np.array([0.01, 0.99]))
    return float(max(low, domain.low)), float(min(high, domain.high))


def feasible_range(scenario: Scenario, path: str, low: float, high: float) -> tuple[float, float]:
    """``low`` .. ``high`` narrowed towards the base value until no intervention leaves a domain at either end.

    The default range is ours to choose, so it never asks for what :func:`check_pinned`
    refuses; each end moves by bisection (feasibility is an interval around the base value).
    """
    base = all_inputs(scenario)[path].dist.base

    def allowed(value: float) -> bool:
        try:
            check_pinned(scenario, {path: value}, "")
        except ScenarioError:
            return False
        return True

    ends = []
    for end in (low, high):
        if not allowed(end):
            inside, outside = base, end
            for _ in range(40):
                middle = (inside + outside) / 2
                inside, outside = (middle, outside) if allowed(middle) else (inside, middle)
            end = inside
        ends.append(end)
    return ends[0], ends[1]


def breakeven(
    scenario: Scenario | Loaded,
    path: str,
    value_range: tuple[float, float] | None = None,
    draws: int | None = None,
    seed: int | None = None,
    *,
    workers: int | None = None,
    progress=None,
) -> Analysis:
    """Where mean NPV is zero and where P(ROI > 0) is 50 %, per intervention, as ``path`` varies."""
    plain, loaded = unpack(scenario)
    seed = plain.settings.seed if seed is None else seed
    draws = plain.settings.draws if draws is None else draws
    inputs = all_inputs(plain)
    check_known(plain, [path])
    if value_range:
        low, high = value_range
        option = f"--range {plain_number(low)}:{plain_number(high)}"
        if not low < high:
            raise UsageError(f"{option}: the first number must be below the second")
        check_all_pinned(plain, [{path: low}, {path: high}], option)
    else:
        low, high = feasible_range(plain, path, *default_range(plain, path))
    cache: dict[float, dict[str, np.ndarray]] = {}
    adjusted: list[dict] = []

    def npv_at(values: list[float]) -> None:
        fresh = [v for v in values if v not in cache]
        if fresh:
            sets = [sample(plain, draws, seed, {path: v}) for v in fresh]
            adjusted.extend({**entry, "point": {path: v}} for v, s in zip(fresh, sets) for entry in adjustments(plain, s))
            results = evaluate_many(plain, sets, seed, shared, appraised=True)
            for v, appraisals in zip(fresh, results):
                cache[v] = {name: a.npv for name, a in appraisals.items()}
        if progress:
            progress(len(cache), len(cache))

    grid = list(np.linspace(low, high, GRID_POINTS))
    rows = []
    with parallel.pool(workers) as shared:
        npv_at(grid)
        for name in plain.interventions:
            for criterion, measure in CRITERIA.items():
                curve = [measure(cache[v][name]) for v in grid]
                root = _root(lambda v: (npv_at([v]), measure(cache[v][name]))[1], grid, curve, high - low)
                rows.append({"intervention": name, "criterion": criterion, "value": root,
                             "found": root is not None, "at_low": curve[0], "at_high": curve[-1]})
    curve_rows = [
        {path: v, "intervention": name, "npv_mean": float(np.mean(npv)), "prob_roi_positive": float(np.mean(npv > 0))}
        for v in sorted(cache) for name, npv in cache[v].items()
    ]
    table = pd.DataFrame(rows)
    summary = {
        "scenario": plain.settings.name, "seed": seed, "draws": draws, "currency": plain.settings.currency,
        "param": path, "range": [low, high], "base_value": inputs[path].dist.base,
        "breakeven": {
            name: {r["criterion"]: r["value"] for r in rows if r["intervention"] == name} for name in plain.interventions
        },
        "rows": records(table),
        "adjustments": sorted(adjusted, key=lambda entry: entry["point"][path]),
    }
    return Analysis("breakeven", plain, loaded, seed, draws, summary,
                    {"breakeven": table, "breakeven_curve": pd.DataFrame(curve_rows)})


def _root(f, grid: list[float], curve: list[float], width: float) -> float | None:
    """The first sign change on the grid refined by Brent's method; None ("never within the range") if none."""
    for (a, fa), (b, fb) in zip(zip(grid, curve), zip(grid[1:], curve[1:])):
        if fa == 0:
            return float(a)
        if fa * fb < 0:
            return float(brentq(f, a, b, xtol=RELATIVE_TOLERANCE * width, maxiter=30))
    return float(grid[-1]) if curve[-1] == 0 else None
