"""Break-even: the value of one input at which an intervention stops paying.

For each intervention, two answers: where mean NPV crosses zero, and where
P(ROI > 0) crosses 50 % (the median NPV crosses zero). Each evaluation is a
Monte Carlo run with the same seed — common random numbers make both curves
smooth in the input — so a coarse grid brackets every crossing and Brent's
method (``scipy.optimize.brentq``) refines it. The grid is searched on the first
draws only (:data:`COARSE_DRAWS`), the same customers as the full run's first
ones; the bracket is then confirmed and refined with every draw, so the answer
is the full run's. Only the arms a point changes are simulated
(:mod:`sim.compute.arms`): a cost needs one simulation in all.

Without a range given, the search starts on the input's 1st to 99th percentile
and widens, up to what the input allows (a probability to 0 and 1, an amount of
money from 0 to a hundred times the first range's width), until every
intervention's curve crosses or the domain is exhausted. Each answer is one of
four outcomes (:data:`OUTCOMES`): a break-even value; always pays, or never
pays, within the range searched; or this input does not affect the intervention.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from sim.analyses.common import Analysis, context, records, unpack
from sim.errors import ScenarioError, UsageError
from sim.compute import parallel
from sim.model.distributions import plain_number
from sim.model.domains import adjustments, check_all_pinned, check_known, check_pinned, effective_domain
from sim.model.inputs import all_inputs
from sim.model.scenario import Scenario
from sim.compute.arms import ArmStore
from sim.compute.simulation import pinned, sample
from sim.model.validation import Loaded

GRID_POINTS = 9
COARSE_DRAWS = 1000
COARSE_SHARE = 8
"""The grid is searched on the first max(COARSE_DRAWS, draws / COARSE_SHARE) draws (all of them in smaller runs)."""
RELATIVE_TOLERANCE = 1e-4
PRECISION_SHARE = 0.25
"""Brent's search stops within this share of the crossing's Monte Carlo standard error (or
RELATIVE_TOLERANCE of the range, if wider): finer than the draws can tell is not worth simulating."""
WIDENING = (2.0, 10.0, 100.0)
"""Each widening step reaches this many widths of the first range beyond it on an unbounded side."""
CRITERIA = {
    "mean_npv_zero": lambda npv: float(np.mean(npv)),
    "prob_roi_positive_50": lambda npv: float(np.mean(npv > 0)) - 0.5,
}
FOUND, ALWAYS, NEVER, NO_EFFECT = "break-even", "always pays", "never pays", "no effect"
OUTCOMES = {
    FOUND: "the value where the curve crosses",
    ALWAYS: "pays at every value of the range searched",
    NEVER: "does not pay at any value of the range searched",
    NO_EFFECT: "this input does not change this intervention's outcome",
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
    return float(max(low, domain.least)), float(min(high, domain.high))


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


def widened_ranges(scenario: Scenario, path: str) -> list[tuple[float, float]]:
    """The default range, then wider ones up to the input's domain (first entry is :func:`default_range`)."""
    low, high = default_range(scenario, path)
    domain = effective_domain(scenario, path)
    width = max(high - low, abs(high), 1e-9)
    ranges = [(low, high)]
    for reach in WIDENING:
        wider = (max(domain.least, low - reach * width), min(domain.high, high + reach * width))
        if wider != ranges[-1]:
            ranges.append(wider)
    return ranges


def breakeven(
    scenario: Scenario | Loaded,
    path: str,
    value_range: tuple[float, float] | None = None,
    draws: int | None = None,
    seed: int | None = None,
    *,
    points: int = GRID_POINTS,
    workers: int | None = None,
    progress=None,
) -> Analysis:
    """Where mean NPV is zero and where P(ROI > 0) is 50 %, per intervention, as ``path`` varies.

    ``value_range`` limits the search to (low, high); without it the range widens as
    described in the module docstring. ``points`` is the grid per range.
    """
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
        ranges = [(low, high)]
    else:  # widen as far as the domain allows, never to values a change would take out of its domain
        ranges = list(dict.fromkeys(feasible_range(plain, path, *r) for r in widened_ranges(plain, path)))
    low, high = ranges[0]
    # The grid that brackets each crossing is searched on the first draws only (a sub-sample of the
    # same draws: common random numbers); the full draws are spent at the bracket and in its refinement.
    coarse_draws = min(draws, max(COARSE_DRAWS, draws // COARSE_SHARE))
    caches: dict[int, dict[float, dict[str, np.ndarray]]] = {coarse_draws: {}, draws: {}}
    adjusted: list[dict] = []

    def npv_at(values: list[float], count: int = draws) -> dict[float, dict[str, np.ndarray]]:
        cache = caches[count]
        fresh = [v for v in dict.fromkeys(values) if v not in cache]
        if fresh:
            table = drawn if count == draws else {key: array[:count] for key, array in drawn.items()}
            sets = [pinned(table, {path: v}) for v in fresh]
            if count == draws:
                adjusted.extend({**entry, "point": {path: v}} for v, s in zip(fresh, sets) for entry in adjustments(plain, s))
            for v, appraisals in zip(fresh, store.appraisals(sets)):
                cache[v] = {name: a.npv for name, a in appraisals.items()}
        if progress:
            progress(len(caches[draws]), len(caches[draws]))
        return cache

    base = inputs[path].dist.base
    with parallel.pool(workers) as shared:
        store = ArmStore(plain, seed, shared)  # each distinct arm simulated once: a cost moves no flow
        drawn = sample(plain, draws, seed, {path: base})  # the other inputs' draws, the same at every point
        for low, high in ranges:
            coarse = npv_at([_tidy(v) for v in np.linspace(low, high, points)], coarse_draws)
            grid = sorted(coarse)
            if all(_flat(coarse, grid, name) or _crossing(grid, coarse, name, measure) is not None
                   for name in plain.interventions for measure in CRITERIA.values()):
                break
        grid = sorted(caches[coarse_draws])
        rows = []
        for name in plain.interventions:
            flat = _flat(caches[coarse_draws], grid, name)
            for criterion, measure in CRITERIA.items():
                root, curve, error = None, [measure(caches[coarse_draws][v][name]) for v in grid], None
                if not flat:
                    root, curve, error = _refined_root(npv_at, grid, curve, name, measure, high - low, base)
                outcome = NO_EFFECT if flat else FOUND if root is not None else ALWAYS if min(curve) > 0 else NEVER
                rows.append({"intervention": name, "criterion": criterion, "outcome": outcome, "value": root,
                             "standard_error": error if root is not None else None, "found": root is not None,
                             "at_low": curve[0], "at_high": curve[-1]})
    evaluated = {**{v: (coarse_draws, npv) for v, npv in caches[coarse_draws].items()},
              **{v: (draws, npv) for v, npv in caches[draws].items()}}  # each point at the most draws it had
    curve_rows = [
        {path: v, "intervention": name, "npv_mean": float(np.mean(npv)), "prob_roi_positive": float(np.mean(npv > 0)),
         "draws": count}
        for v, (count, by_name) in sorted(evaluated.items()) for name, npv in by_name.items()
    ]
    table = pd.DataFrame(rows)
    summary = {
        "scenario": plain.settings.name, "seed": seed, "draws": draws, "currency": plain.settings.currency,
        "param": path, "range": [low, high], "range_given": value_range is not None, "grid_draws": coarse_draws,
        "first_range": list(ranges[0]), "widened": (low, high) != tuple(ranges[0]),
        "base_value": base,
        **context(plain, loaded, [path]),
        "breakeven": {
            name: {r["criterion"]: r["value"] for r in rows if r["intervention"] == name} for name in plain.interventions
        },
        "standard_error": {
            name: {r["criterion"]: r["standard_error"] for r in rows if r["intervention"] == name}
            for name in plain.interventions
        },
        "outcomes": {
            name: {r["criterion"]: r["outcome"] for r in rows if r["intervention"] == name} for name in plain.interventions
        },
        "rows": records(table),
        "adjustments": sorted(adjusted, key=lambda entry: entry["point"][path]),
        "points_searched": len(caches[draws]),  # values run at the full draws, where adjustments are counted
    }
    return Analysis("breakeven", plain, loaded, seed, draws, summary,
                    {"breakeven": table, "breakeven_curve": pd.DataFrame(curve_rows)})


def _tidy(value: float) -> float:
    """A grid value without float noise (0.15, not 0.15000000000000002)."""
    return float(f"{value:.12g}")


def _flat(cache, grid: list[float], name: str) -> bool:
    """True when the input leaves this intervention's NPV unchanged in every draw."""
    return all(np.allclose(cache[v][name], cache[grid[0]][name], rtol=1e-12, atol=1e-9) for v in grid)


def _crossing(grid: list[float], cache, name: str, measure) -> int | None:
    curve = [measure(cache[v][name]) for v in grid]
    for i, (a, b) in enumerate(itertools.pairwise(curve)):
        if a == 0 or a * b < 0:
            return i
    return len(curve) - 1 if curve[-1] == 0 else None


def _refined_root(evaluate, grid: list[float], coarse: list[float], name: str, measure, width: float, base: float):
    """(root at the full draws or None, the curve the outcome is read from) for one intervention and criterion.

    The coarse curve's bracket nearest ``base`` is checked at the full draws and refined there by
    Brent's method; where the full draws do not confirm it (the sub-sample put the sign change in
    a neighbouring interval), the whole grid is evaluated at the full draws, as without a coarse pass.
    """
    bracket = _bracket(grid, coarse, base)
    f = lambda v: measure(evaluate([v])[v][name])  # noqa: E731
    if bracket is None:  # no crossing on the sub-sample: confirmed where the full draws' ends agree with it
        ends = evaluate([grid[0], grid[-1]])
        low, high = measure(ends[grid[0]][name]), measure(ends[grid[-1]][name])
        if low * coarse[0] > 0 and high * coarse[-1] > 0 and low * high > 0:
            return None, [low, *coarse[1:-1], high], None
    else:
        ends = evaluate(list(bracket))
        fa, fb = (measure(ends[v][name]) for v in bracket)
        if fa == 0 or fa * fb < 0:
            error = _standard_error([ends[v][name] for v in bracket], measure, bracket, (fa, fb))
            return _root(f, list(bracket), [fa, fb], width, base, PRECISION_SHARE * (error or 0.0)), coarse, error
    full = evaluate(grid)
    curve = [measure(full[v][name]) for v in grid]
    bracket = _bracket(grid, curve, base)
    error = None
    if bracket is not None and bracket[0] != bracket[1]:
        error = _standard_error([full[v][name] for v in bracket], measure, bracket,
                                tuple(curve[grid.index(v)] for v in bracket))
    return _root(f, grid, curve, width, base, PRECISION_SHARE * (error or 0.0)), curve, error


def _standard_error(npvs: list[np.ndarray], measure, bracket: tuple[float, float], values: tuple[float, float]) -> float | None:
    """The Monte Carlo standard error of a crossing: the criterion's standard error over the curve's slope.

    For mean NPV, sd / sqrt(draws); for P(ROI > 0), sqrt(p (1 - p) / draws) with p at the bracket; the
    slope is the bracket's secant. None where the bracket is a point (the curve is 0 on the grid), or with one
    draw (no spread to measure).
    """
    (a, b), (fa, fb) = bracket, values
    draws = len(npvs[0])
    if a == b or fa == fb or draws < 2:
        return None
    if measure is CRITERIA["mean_npv_zero"]:
        spread = float(np.mean([np.std(npv, ddof=1) for npv in npvs])) / np.sqrt(draws)
    else:
        share = float(np.mean([np.mean(npv > 0) for npv in npvs]))
        spread = np.sqrt(max(share * (1 - share), 1.0 / draws) / draws)
    return float(spread / abs((fb - fa) / (b - a)))


def _bracket(grid: list[float], curve: list[float], base: float) -> tuple[float, float] | None:
    """The grid interval where ``curve`` changes sign nearest ``base`` (a point twice where it is 0), or None."""
    brackets = []
    for (a, fa), (b, fb) in itertools.pairwise(zip(grid, curve)):
        if fa == 0:
            brackets.append((a, a))
        elif fa * fb < 0:
            brackets.append((a, b))
    if curve[-1] == 0:
        brackets.append((grid[-1], grid[-1]))
    if not brackets:
        return None
    return min(brackets, key=lambda ab: 0.0 if ab[0] <= base <= ab[1] else min(abs(ab[0] - base), abs(ab[1] - base)))


def _root(f, grid: list[float], curve: list[float], width: float, base: float, tolerance: float = 0.0) -> float | None:
    """The sign change on the grid nearest ``base``, refined by Brent's method to within
    ``tolerance`` (at least :data:`RELATIVE_TOLERANCE` of the range's ``width``); None if there is none."""
    bracket = _bracket(grid, curve, base)
    if bracket is None:
        return None
    a, b = bracket
    if a == b:
        return float(a)
    return float(brentq(f, a, b, xtol=max(RELATIVE_TOLERANCE * width, tolerance), maxiter=30))
