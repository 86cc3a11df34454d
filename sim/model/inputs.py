"""The scenario's numeric inputs by dotted path, and how an arm's parameters follow from them.

Sampling sees a flat ``{path: Uncertain}``; the engine sees ``(draws, segments)``
arrays per parameter. This module is the one place that knows how one maps to
the other: unit conversion of churn, the channel-weighted contact cost, and the
set / scale / add changes an intervention makes.
"""

from __future__ import annotations

import functools
import typing
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from sim.errors import Problem, did_you_mean
from sim.model.distributions import Domain, Uncertain
from sim.model.classes import MIX_PARAMETERS
from sim.model.engine import PARAMETERS
from sim.model.mixing import churn_classes_needed
from sim.model.scenario import Scenario

FIXED_BY_INTERVENTIONS = ("customers",)
"""Parameters an intervention may not change: the starting population is history."""


@dataclass(frozen=True)
class Input:
    """One numeric input: where it is, its distribution and its allowed values."""

    path: str
    dist: Uncertain
    domain: Domain


def baseline_inputs(scenario: Scenario) -> dict[str, Input]:
    """Every numeric input of the segments and the support section, by dotted path."""
    return dict(_inputs_of(scenario)[1])


def intervention_inputs(scenario: Scenario) -> dict[str, Input]:
    """Every numeric input of the interventions: costs and change operands."""
    return dict(_inputs_of(scenario)[2])


def all_inputs(scenario: Scenario) -> dict[str, Input]:
    """Baseline and intervention inputs together, in file order."""
    return {**_inputs_of(scenario)[1], **_inputs_of(scenario)[2]}


_INPUTS: OrderedDict[int, tuple[Scenario, dict[str, Input], dict[str, Input]]] = OrderedDict()
"""The inputs of the last few scenarios asked about, by identity (each entry holds its scenario, so
the identity is not reused meanwhile). A scenario is frozen, so its inputs never change; walking its
tree of models for them took about a millisecond, and checks and runs ask hundreds of times
(checking a tornado's extremes alone asked 362 times, half its time)."""


def _inputs_of(scenario: Scenario) -> tuple[Scenario, dict[str, Input], dict[str, Input]]:
    """(scenario, baseline inputs, intervention inputs), walked once per scenario while it is remembered."""
    entry = _INPUTS.get(id(scenario))
    if entry is None or entry[0] is not scenario:
        baseline: dict[str, Input] = {}
        for name, segment in scenario.segments.items():
            _collect(segment, f"segments.{name}", baseline)
        for name, channel in scenario.support.channels.items():
            _collect(channel, f"support.channels.{name}", baseline)
        if scenario.operations is not None:
            _collect(scenario.operations, "operations", baseline)
        interventions: dict[str, Input] = {}
        for name, intervention in scenario.interventions.items():
            _collect(intervention, f"interventions.{name}", interventions)
        entry = _INPUTS[id(scenario)] = (scenario, baseline, interventions)
        while len(_INPUTS) > 8:
            _INPUTS.popitem(last=False)
    return entry


def _collect(model: BaseModel, prefix: str, found: dict[str, Input]) -> None:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = field.alias or name
        path = f"{prefix}.{key}"
        if isinstance(value, Uncertain):
            found[path] = Input(path, value, _domain_of(field.annotation, field.metadata))
        elif isinstance(value, BaseModel):
            _collect(value, path, found)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _collect(item, f"{path}[{index}]", found)
        elif isinstance(value, dict):
            for key_name, item in value.items():
                if isinstance(item, BaseModel):
                    _collect(item, f"{path}.{key_name}", found)


def _domain_of(annotation, metadata) -> Domain | None:
    """The Domain an uncertain field was declared with (kept in its Annotated metadata)."""
    for item in metadata:
        if isinstance(item, Domain):
            return item
    for arg in typing.get_args(annotation):
        domain = _domain_of(arg, getattr(arg, "__metadata__", ()))
        if domain is not None:
            return domain
    return None


def check_references(scenario: Scenario) -> list[Problem]:
    """Problems with paths that point elsewhere in the scenario: changes and correlations."""
    problems: list[Problem] = []
    baseline = baseline_inputs(scenario)
    everything = all_inputs(scenario)
    for name, intervention in scenario.interventions.items():
        for index, change in enumerate(intervention.changes):
            where = f"interventions.{name}.changes[{index}].path"
            leaf = change.path.rsplit(".", 1)[-1]
            if change.path not in baseline:
                problems.append(Problem(where, _not_a_parameter(scenario, change.path, baseline)))
            elif leaf in FIXED_BY_INTERVENTIONS:
                problems.append(Problem(where, f"'{change.path}' cannot be changed by an intervention: it is the starting population"))
            if intervention.start > scenario.settings.horizon:
                problems.append(Problem(f"interventions.{name}.start", f"{intervention.start} is not allowed: must be within the horizon (1 to {scenario.settings.horizon})"))
    problems += _fixed_queue_parameters(scenario)
    problems += _portfolio_names(scenario)
    stated: dict[frozenset, int] = {}
    for index, correlation in enumerate(scenario.correlations):
        where = f"correlations[{index}].between"
        a, b = correlation.between
        pair = frozenset((a, b))
        if pair in stated and a != b:
            problems.append(Problem(where, f"'{a}' and '{b}' are already correlated in correlations[{stated[pair]}]; "
                                           "state each pair once"))
        stated.setdefault(pair, index)
        if a == b:
            problems.append(Problem(where, f"'{a}' is named twice; a correlation needs two different inputs"))
        for path in (a, b):
            if path not in everything:
                problems.append(Problem(where, f"'{path}' is not an input of this scenario{did_you_mean(path, everything)}"))
            elif everything[path].dist.is_fixed:
                problems.append(Problem(where, f"'{path}' is fixed; only uncertain inputs can be correlated"))
    return list(dict.fromkeys(problems))


def _portfolio_names(scenario: Scenario) -> list[Problem]:
    """Names in ``[portfolio]`` that are no intervention, and exclusive groups of fewer than two."""
    spec = scenario.portfolio
    if spec is None:
        return []
    names = scenario.interventions
    problems = []

    def known(where: str, name: str) -> None:
        if name not in names:
            problems.append(Problem(where, f"'{name}' is not an intervention of this scenario{did_you_mean(name, names)}"
                                           f" (interventions: {', '.join(names)})"))

    for index, name in enumerate(spec.combinable or []):
        known(f"portfolio.combinable[{index}]", name)
    for index, group in enumerate(spec.exclusive):
        for position, name in enumerate(group):
            known(f"portfolio.exclusive[{index}][{position}]", name)
        if len(set(group)) < 2:
            problems.append(Problem(f"portfolio.exclusive[{index}]",
                                    "a group that excludes each other needs at least two different interventions"))
    return problems


def _not_a_parameter(scenario: Scenario, path: str, baseline: dict[str, Input]) -> str:
    """Why ``path`` names no input of the baseline."""
    instead = mix_alternative(scenario, path)
    if instead:
        return f"'{path}' is not a parameter: {instead}"
    return f"'{path}' is not a parameter of the baseline{did_you_mean(path, baseline)}"


def mix_alternative(scenario: Scenario, path: str) -> str | None:
    """For a churn or purchase key of a segment that uses a mix instead: what to change. Else None."""
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "segments" and parts[1] in scenario.segments:
        segment, key = scenario.segments[parts[1]], parts[2]
        prefix = f"segments.{parts[1]}"
        if key in ("churn", "monthly_churn", "annual_churn") and segment.churn_mix is not None:
            return (f"this segment's churn differs between customers (churn_mix); "
                    f"scale {prefix}.churn_mix.beta by 1/x to scale every customer's churn by about x "
                    f"(mean churn alpha / (alpha + beta); what fit pilot --measure churn writes)")
        if key == "purchases" and segment.purchase_mix is not None:
            return (f"this segment's purchase rate differs between customers (purchase_mix); "
                    f"scale {prefix}.purchase_mix.rate by 1/x to scale every customer's rate by x")
    return None


# --- from sampled values to engine parameters ----------------------------------------


def arm_values(scenario: Scenario, values: dict[str, np.ndarray], intervention: str | None) -> dict[str, np.ndarray]:
    """Baseline input values with one intervention's changes applied (clipped to each domain, and
    counted by :func:`sim.model.domains.adjustments` so the clipping is reported)."""
    if intervention is None:
        return values
    changed = dict(values)
    for _, path, new, domain in change_steps(scenario, values, intervention):
        changed[path] = domain.clip(new)
    return changed


def change_steps(scenario: Scenario, values: dict[str, np.ndarray], intervention: str) -> Iterator[tuple[int, str, np.ndarray, Domain]]:
    """(index, changed path, new value before clipping, domain) for each change of ``intervention``, in order.

    Changes apply one after another to the clipped result of the previous ones,
    exactly as :func:`sim.model.inputs.arm_values` applies them.
    """
    inputs = baseline_inputs(scenario)
    current = dict(values)
    for index, change in enumerate(scenario.interventions[intervention].changes):
        operand = values[f"interventions.{intervention}.changes[{index}].{change.operation}"]
        before = current[change.path]
        new = operand if change.operation == "set" else before * operand if change.operation == "scale" else before + operand
        domain = inputs[change.path].domain
        yield index, change.path, new, domain
        current[change.path] = domain.clip(new)


# --- combinations of interventions (an arm of several) -------------------------------

# An arm is None (the baseline), an intervention's name, or a tuple of names (a combination).


def arm_members(scenario: Scenario, arm) -> tuple[str, ...]:
    """The interventions of an arm in the order their effects build up: by start, then file order."""
    if arm is None:
        return ()
    names = (arm,) if isinstance(arm, str) else tuple(arm)
    order = list(scenario.interventions)
    return tuple(sorted(dict.fromkeys(names), key=lambda name: (scenario.interventions[name].start, order.index(name))))


def canonical_arm(scenario: Scenario, arm):
    """One spelling per arm: None, a name, or a tuple of two or more names in file order."""
    if arm is None or isinstance(arm, str):
        return arm
    order = list(scenario.interventions)
    names = tuple(sorted(dict.fromkeys(arm), key=order.index))
    if not names:
        return None
    return names[0] if len(names) == 1 else names


def arm_label(arm) -> str:
    """``baseline``, the intervention's name, or the names joined by ``+``."""
    if arm is None:
        return "baseline"
    return arm if isinstance(arm, str) else "+".join(arm)


def arm_steps(scenario: Scenario, values: dict[str, np.ndarray], arm) -> list[tuple[str, dict[str, np.ndarray]]]:
    """(intervention, input values with it and every member before it applied), one per member of ``arm``.

    Members build up in order of start (file order among equal starts), so the
    engine phases each one in by its own ramp on top of those before it
    (:func:`sim.model.engine.simulate` with steps). How two members' changes to
    the same input combine is :func:`combine`'s rule. A single intervention is
    one step with exactly :func:`arm_values`' numbers.
    """
    names = arm_members(scenario, arm)
    if len(names) == 1:
        return [(names[0], arm_values(scenario, values, names[0]))]
    steps, current, set_by = [], values, {}
    for name in names:
        current = combine(scenario, values, current, name, set_by)
        steps.append((name, current))
    return steps


def combine(scenario: Scenario, values: dict[str, np.ndarray], current: dict[str, np.ndarray], name: str,
            set_by: dict[str, str]) -> dict[str, np.ndarray]:
    """``current`` (input values with earlier members applied) with intervention ``name``'s changes on top.

    The rule, for two interventions changing the same input: scales multiply and
    adds add (each applied to the value the earlier members left, clipped to the
    input's domain after every change, as within one intervention); a ``set``
    wins: once a member sets an input, later members' scales and adds of it are
    ignored, and a member that sets it replaces what earlier members did (two
    sets: the later-starting member's value). :func:`set_conflicts` says where
    that happened. ``set_by`` (input path -> member that set it) is updated.
    """
    inputs = baseline_inputs(scenario)
    changes = scenario.interventions[name].changes
    sets = {change.path for change in changes if change.operation == "set"}
    changed = dict(current)
    for index, change in enumerate(changes):
        if change.path in set_by and change.path not in sets:
            continue  # an earlier member set it: the set wins
        operand = values[f"interventions.{name}.changes[{index}].{change.operation}"]
        before = changed[change.path]
        new = operand if change.operation == "set" else before * operand if change.operation == "scale" else before + operand
        domain = inputs[change.path].domain
        changed[change.path] = domain.clip(new)
    for path in sets:
        set_by[path] = name
    return changed


def set_conflicts(scenario: Scenario, arm) -> list[str]:
    """Where a member's ``set`` overrides another member's change to the same input, in words (empty if nowhere)."""
    names = arm_members(scenario, arm)
    notes = []
    for name in names:
        for path in {c.path for c in scenario.interventions[name].changes if c.operation == "set"}:
            others = [other for other in names if other != name
                      and any(c.path == path for c in scenario.interventions[other].changes)]
            for other in others:
                other_sets = any(c.path == path and c.operation == "set" for c in scenario.interventions[other].changes)
                if other_sets and names.index(other) > names.index(name):
                    continue  # the later set wins: said from the other side
                notes.append(f"{path}: {name}'s set wins over {other}'s "
                             f"{'set' if other_sets else 'change'}")
    return sorted(notes)


def engine_parameters(scenario: Scenario, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The engine's ``(draws, segments)`` parameter arrays from input values of one arm."""
    mixed = any(segment.has_mix for segment in scenario.segments.values())
    names = PARAMETERS + MIX_PARAMETERS if mixed else PARAMETERS
    columns: dict[str, list[np.ndarray]] = {name: [] for name in names}
    contact_cost = _contact_cost(scenario, values)
    per_year = scenario.settings.periods_per_year
    for name, segment in scenario.segments.items():
        prefix = f"segments.{name}"
        mix = _mix_columns(segment, prefix, values) if mixed else {}
        for parameter in names:
            if parameter in mix:
                column = mix[parameter]
            elif parameter == "contact_cost":
                column = contact_cost
            elif parameter == "churn":
                column = churn_per_period(values[f"{prefix}.{segment.churn_key}"], segment.churn_key, per_year)
            elif f"{prefix}.{parameter}" in values:
                column = values[f"{prefix}.{parameter}"]
            else:
                column = values[f"{prefix}.experience.{parameter}"]
            columns[parameter].append(column)
    return {parameter: np.stack(cols, axis=-1) for parameter, cols in columns.items()}


def _mix_columns(segment, prefix: str, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Mixing parameters of one segment (0 where it has no such mix), and the mean churn and purchase rate they imply."""
    draws = len(next(iter(values.values())))
    zero = np.zeros(draws)
    columns = {parameter: zero for parameter in MIX_PARAMETERS}
    for table, keys, (first, second) in (
        ("churn_mix", ("alpha", "beta"), ("churn_alpha", "churn_beta")),
        ("purchase_mix", ("shape", "rate"), ("purchase_shape", "purchase_rate")),
        ("dropout_mix", ("a", "b"), ("dropout_a", "dropout_b")),
    ):
        if getattr(segment, table) is not None:
            columns[first] = np.maximum(values[f"{prefix}.{table}.{keys[0]}"], MIX_FLOOR)
            columns[second] = np.maximum(values[f"{prefix}.{table}.{keys[1]}"], MIX_FLOOR)
    if segment.churn_mix is not None:
        columns["churn"] = columns["churn_alpha"] / (columns["churn_alpha"] + columns["churn_beta"])
    elif segment.churn_key is None:
        columns["churn"] = zero  # dropout only: customers leave by dropping out
    if segment.purchase_mix is not None:
        columns["purchases"] = columns["purchase_shape"] / columns["purchase_rate"]
    return columns


def churn_classes(scenario: Scenario) -> int:
    """Latent churn classes for this scenario's churn mixes: enough for the sBG curve over the horizon.

    Checked at the 1st, 50th and 99th percentile of every segment's uncertain
    alpha and beta (all nine pairs): a property of the scenario, so every chunk
    of draws uses the same classes. 1 without a churn mix. When an intervention
    changes a churn mix, every class keeps its customers and its value moves
    to its rank in the new mix (:func:`sim.model.classes.moved`): the base
    rule carried through the rank map, which needs finer classes where alpha
    changes (the map is then a power of p near 0): at least
    :data:`CHURN_CLASSES_WHEN_CHANGED`. Measured against the exact
    rank-preserving curve over 60 periods (tests/model/test_mix_exactness.py):
    below 1e-5 for any change of beta and any ramp; alpha x2 of (0.704, 1.182)
    0.0018 (0.0049 with 12 classes); (0.2, 0.2) alpha x3 0.042.
    """
    pairs = []
    for segment in scenario.segments.values():
        if segment.churn_mix is not None:
            quantiles = np.array([0.01, 0.5, 0.99])
            alpha = np.maximum(segment.churn_mix.alpha.ppf(quantiles), MIX_FLOOR)
            beta = np.maximum(segment.churn_mix.beta.ppf(quantiles), MIX_FLOOR)
            pairs += [(a, b) for a in np.unique(alpha) for b in np.unique(beta)]
    if not pairs:
        return 1
    needed = _churn_classes_cached(tuple(pairs), scenario.settings.horizon)
    changed = any(".churn_mix." in change.path for intervention in scenario.interventions.values()
                  for change in intervention.changes)
    return max(needed, CHURN_CLASSES_WHEN_CHANGED) if changed else needed


CHURN_CLASSES_WHEN_CHANGED = 24


@functools.lru_cache(maxsize=64)
def _churn_classes_cached(pairs: tuple[tuple[float, float], ...], horizon: int) -> int:
    alpha, beta = np.array(pairs).T
    return churn_classes_needed(alpha, beta, horizon)


MIX_FLOOR = 1e-9
"""Mixing parameters are above 0 (the schema checks it); an intervention's change is held above this."""

DROPOUT_POINTS = (2, 3, 4)
"""Gauss points per piece of the rate rule tried for BG/NBD mixes, fewest first (rate classes: about 5 pieces each)."""


def _dropout_sets(scenario: Scenario) -> dict[str, list[tuple[float, float, float, float]]]:
    """Per segment with a dropout and a purchase mix, the parameter sets its classes are checked at:
    every input at its 1st, 50th and 99th percentile together (one set where all are fixed)."""
    sets = {}
    for name, segment in scenario.segments.items():
        if segment.dropout_mix is None or segment.purchase_mix is None:
            continue
        dists = (segment.purchase_mix.shape, segment.purchase_mix.rate, segment.dropout_mix.a, segment.dropout_mix.b)
        quantiles = np.array([0.01, 0.5, 0.99])
        values = np.array([np.maximum(dist.ppf(quantiles), MIX_FLOOR) for dist in dists]).T
        sets[name] = sorted({tuple(float(v) for v in row) for row in values})
    return sets


@functools.lru_cache(maxsize=256)
def _dropout_error(shape: float, rate: float, a: float, b: float, horizon: int, points: int) -> float:
    from sim.model.mixing import dropout_error

    return dropout_error(shape, rate, a, b, horizon, points)


def dropout_plan(scenario: Scenario) -> tuple[int, int] | None:
    """(horizon, Gauss points per piece of the rate rule) for this scenario's BG/NBD mixes: the fewest points
    whose retention is within :data:`sim.model.mixing.DROPOUT_TOLERANCE` of the exact curve over the horizon at
    every set :func:`_dropout_sets` checks (a property of the scenario: every chunk uses the same classes).
    None without a dropout mix. :func:`dropout_problems` refuses mixes no choice follows."""
    from sim.model.mixing import DROPOUT_TOLERANCE

    if not any(segment.dropout_mix is not None for segment in scenario.segments.values()):
        return None
    horizon = scenario.settings.horizon
    sets = [row for rows in _dropout_sets(scenario).values() for row in rows]
    for points in DROPOUT_POINTS:
        if all(_dropout_error(*row, horizon, points) <= DROPOUT_TOLERANCE for row in sets):
            return horizon, points
    return horizon, DROPOUT_POINTS[-1]


def dropout_problems(scenario: Scenario) -> list[Problem]:
    """BG/NBD mixes whose expected retention the engine's classes cannot follow within the tolerance: refused,
    with the error, rather than run with a retention curve that is off."""
    from sim.model.mixing import DROPOUT_TOLERANCE

    problems = []
    horizon = scenario.settings.horizon
    for name, rows in _dropout_sets(scenario).items():
        for row in rows:
            error = min(_dropout_error(*row, horizon, points) for points in DROPOUT_POINTS)
            if error > DROPOUT_TOLERANCE:
                shape, rate, a, b = row
                problems.append(Problem(f"segments.{name}.dropout_mix", (
                    f"the engine's classes follow this BG/NBD mix's expected retention only within {error:.4f} over "
                    f"{horizon} periods (purchase_mix shape {shape:.4g}, rate {rate:.4g}, dropout_mix a {a:.4g}, "
                    f"b {b:.4g}); the limit is {DROPOUT_TOLERANCE}: check the fit's period (rates per period of "
                    "this scenario) or shorten the horizon")))
                break
    return problems


def churn_per_period(churn: np.ndarray, key: str, periods_per_year: int) -> np.ndarray:
    """Convert a monthly or annual churn probability to the scenario's period.

    A customer who survives 12 months at monthly churn m survives the year with
    probability (1 - m)^12, so annual churn is 1 - (1 - m)^12 and back.
    """
    months_per_period = 12 // periods_per_year
    with np.errstate(divide="ignore"):  # churn of 1: log(0) = -inf, and the conversion gives 1 exactly
        if key == "monthly_churn":
            return -np.expm1(months_per_period * np.log1p(-np.minimum(churn, 1.0)))
        if key == "annual_churn":
            return -np.expm1(np.log1p(-np.minimum(churn, 1.0)) / periods_per_year)
    return churn


def _contact_cost(scenario: Scenario, values: dict[str, np.ndarray]) -> np.ndarray:
    """Cost of one contact: channel costs weighted by their shares (normalised to sum to 1)."""
    draws = len(next(iter(values.values())))
    shares = np.zeros(draws)
    cost = np.zeros(draws)
    for name in scenario.support.channels:
        share = values[f"support.channels.{name}.share"]
        shares = shares + share
        cost = cost + share * values[f"support.channels.{name}.cost_per_contact"]
    return np.divide(cost, shares, out=np.zeros(draws), where=shares > 0)


def ramp(scenario: Scenario, intervention: str | None) -> np.ndarray:
    """Share of an intervention's effect in each period: 0 before start, linear to 1 over ``ramp`` periods."""
    periods = np.arange(1, scenario.settings.horizon + 1)
    if intervention is None:
        return np.zeros(len(periods))
    spec = scenario.interventions[intervention]
    return np.clip((periods - spec.start + 1) / spec.ramp, 0.0, 1.0)


QUEUE_SHAPE = ("handling_minutes", "patience_minutes", "days_per_period")
"""Channel parameters that shape the queue tables: fixed numbers (interventions may set fixed new ones)."""


def _fixed_queue_parameters(scenario: Scenario) -> list[Problem]:
    """Handling times and patience must be fixed: each value needs its own queue table."""
    if scenario.operations is None:
        return []
    problems = []
    for path, item in baseline_inputs(scenario).items():
        if path.startswith("operations.channels.") and path.rsplit(".", 1)[-1] in QUEUE_SHAPE and not item.dist.is_fixed:
            problems.append(Problem(path, "must be a fixed number (each value needs its own queue table); "
                                          "put the uncertainty in first_contact_resolution or the response curve"))
    for name, intervention in scenario.interventions.items():
        for index, change in enumerate(intervention.changes):
            if change.path.rsplit(".", 1)[-1] in QUEUE_SHAPE and not change.operand.is_fixed:
                problems.append(Problem(f"interventions.{name}.changes[{index}].{change.operation}",
                                        "a change to a handling time, patience or open days must be a fixed number"))
    return problems


def operations_plan(scenario: Scenario, values: dict[str, np.ndarray], arm_inputs: list[dict[str, np.ndarray]],
                    arms: list | None = None, step_inputs: list[list[dict[str, np.ndarray]]] | None = None,
                    members: list[list[str]] | None = None):
    """A function (ramp share per row, contacts per row) -> Outcome, or None without operations.

    Rows are the arms stacked along the draws axis, as the engine runs them:
    ``values`` are the baseline's input values and ``arm_inputs`` each arm's.
    Operations parameters move from baseline to arm with the intervention's
    ramp, like every other parameter. ``arms`` names the stacked arms (None for
    the baseline; default the baseline and every intervention, in order).
    With combinations the engine runs in steps (:func:`sim.model.engine.simulate`):
    ``step_inputs[j]`` are each arm's input values after its j-th member,
    ``members`` each arm's members in that order, and the function takes one
    ramp share per row and step; an arm's new opening hours are those of its
    members that have started (a later-starting member's hours for a channel win).
    """
    from sim.support.operations import Channel, Operations, SelfService
    from sim.support.response import ResponseCurve

    spec = scenario.operations
    if spec is None:
        return None
    arms = [None, *scenario.interventions] if arms is None else arms
    stepped = step_inputs is not None
    if not stepped:
        step_inputs = [arm_inputs]
        members = [[] if arm is None else [arm] for arm in arms]
    paths = [path for path in values if path.startswith("operations.")]
    base = {path: np.concatenate([values[path]] * len(arm_inputs)) for path in paths}
    days_default = 21.0 if scenario.settings.period == "month" else 250.0
    movings, before = [], base
    for inputs in step_inputs:
        target = {path: np.concatenate([arm[path] for arm in inputs]) for path in paths}
        movings.append({path: target[path] - before[path] for path in base
                        if path.startswith("operations.") and np.any(target[path] != before[path])})
        before = target

    reopening = any(scenario.interventions[name].opening for own in members for name in own)

    def build(rows: slice, started: tuple[str, ...]) -> Operations:
        def at(path: str) -> np.ndarray:
            value = base[path][rows]
            for share, moving in zip(share_now, movings):
                if path in moving:
                    value = value + share[rows] * moving[path][rows]
            return value

        opening = {}
        for name in started:
            opening.update(scenario.interventions[name].opening)
        channels = []
        for name, channel in spec.channels.items():
            prefix = f"operations.channels.{name}"
            if name in opening:
                channel = channel.model_copy(update={
                    key: value for key, value in opening[name].model_dump().items() if value is not None
                } | ({"staffing_pattern": opening[name].staffing_pattern} if opening[name].arrival_pattern else {}))
            size = len(base[f"{prefix}.agents"][rows])
            patience = at(f"{prefix}.patience_minutes") if channel.patience_minutes is not None else np.zeros(size)
            channels.append(Channel(
                share=at(f"{prefix}.share"), agents=at(f"{prefix}.agents"),
                staffing_pattern=channel.staffing(), arrival_pattern=tuple(channel.arrival_pattern),
                weekday_pattern=tuple(channel.weekday_pattern),
                days_per_period=at(f"{prefix}.days_per_period") if channel.days_per_period is not None
                else np.full(size, days_default),
                handling_minutes=at(f"{prefix}.handling_minutes"), patience_minutes=patience,
                handling_cv=channel.handling_cv,
                first_contact_resolution=at(f"{prefix}.first_contact_resolution"),
                cost_per_agent_hour=at(f"{prefix}.cost_per_agent_hour"),
            ))
        ss = "operations.self_service"
        return Operations(
            channels=channels,
            self_service=SelfService(*(at(f"{ss}.{key}") for key in (
                "deflection", "resolution", "cost_per_contact", "licence_per_period", "good_when_resolved", "bad_when_unresolved"))),
            curve=ResponseCurve(at("operations.response.intercept"), at("operations.response.slope")),
            abandoned_bad=at("operations.response.abandoned_bad"),
            unresolved_bad=at("operations.response.unresolved_bad"),
            dissatisfied_bad=at("operations.response.dissatisfied_bad"),
            prevention=at("operations.proactive_prevention"),
            proactive_cost_per_period=at("operations.proactive_cost_per_period"),
        )

    share_now: list[np.ndarray] = []
    built: dict[tuple, tuple[list[np.ndarray], Operations]] = {}

    def operations(rows: slice, started: tuple[str, ...]) -> Operations:
        """build(rows, started), reused while the ramp shares of those rows stay as they were (its queue tables too)."""
        key = (rows.start, rows.stop, started)
        shares = [share[rows] for share in share_now]
        if key not in built or not all(np.array_equal(a, b) for a, b in zip(built[key][0], shares)):
            built[key] = ([share.copy() for share in shares], build(rows, started))
        return built[key][1]

    def plan(share, contacts):
        nonlocal share_now
        share_now = [np.broadcast_to(np.asarray(one, dtype=float), contacts.shape) for one in (share if stepped else [share])]
        if not reopening:
            return operations(slice(None), ()).outcome(contacts)
        # An arm's new opening hours apply once its intervention has started (its ramp share is above 0).
        draws = len(contacts) // len(arms)
        pieces = []
        for index, own in enumerate(members):
            rows = slice(index * draws, (index + 1) * draws)
            started = tuple(name for name, step_share in zip(own, share_now) if step_share[rows.start] > 0)
            pieces.append(operations(rows, started).outcome(contacts[rows]))
        return type(pieces[0])(*(np.concatenate([np.broadcast_to(getattr(p, f), (draws,)) for p in pieces])
                                 for f in pieces[0].__dataclass_fields__))

    return plan
