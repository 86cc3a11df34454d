"""Every value the engine sees lies in what its parameter allows, or the user is told.

An intervention's ``set`` / ``scale`` / ``add``, a swept or break-even value and a
tornado's extreme can all take a parameter outside its domain (a probability
above 1, a negative count). The rules, stated once:

* at base values — and at any value a user pins (``--values``, ``--range``,
  ``--low`` / ``--high``) — such a change is refused before anything runs
  (:func:`base_value_problems`, :func:`check_pinned`);
* in single draws of uncertain inputs, a changed value outside the domain is
  clipped to the nearest allowed value, and :func:`adjustments` counts the
  draws for the summary and the manifest;
* ``good + bad`` above 1 in a draw: ``bad`` keeps its value and ``good`` is cut
  to ``1 - bad`` (a contact cannot be both; the engine applies this), counted
  the same way.
"""

from __future__ import annotations


import numpy as np

from sim.errors import Problem, ScenarioError, did_you_mean
from sim.model.distributions import LOWEST_QUANTILE, Domain, check_size, parse, plain_number
from sim.model.growth import population_problems
from sim.model.inputs import all_inputs, baseline_inputs, change_steps
from sim.model.labels import label_of, lower_first
from sim.model.sampling import base_values
from sim.model.scenario import Scenario
from sim.support.operations import MAX_QUEUE_STATES, queue_states

_OPERAND = ("set", "scale", "add")


def effective_domain(scenario: Scenario, path: str) -> Domain:
    """What an input may be: its own domain, or for a ``set`` operand the domain of the parameter it sets."""
    inputs = all_inputs(scenario)
    change = _change_of(scenario, path)
    if change is not None and change.operation == "set" and path.endswith(".set"):
        target = baseline_inputs(scenario).get(change.path)
        if target is not None:
            return target.domain
    return inputs[path].domain


def _outside(x: np.ndarray, domain: Domain) -> np.ndarray:
    return ~domain.contains_all(x)


def base_value_problems(scenario: Scenario) -> list[Problem]:
    """Changes that leave their parameter's domain at base values, and ``set`` operands that could (refused)."""
    problems: list[Problem] = []
    baseline = baseline_inputs(scenario)
    for name, intervention in scenario.interventions.items():
        for index, change in enumerate(intervention.changes):
            if change.operation == "set" and change.path in baseline:
                try:
                    operand = change.operand
                    parse(operand.base if operand.is_fixed else operand.spec(), baseline[change.path].domain)
                except ValueError as error:
                    problems.append(Problem(f"interventions.{name}.changes[{index}].set", str(error)))
    if problems or any(change.path not in baseline for i in scenario.interventions.values() for change in i.changes):
        return problems
    values = base_values(all_inputs(scenario))
    highest = {path: np.array([item.dist.ppf(np.array([1.0 - 1e-12]))[0]]) for path, item in all_inputs(scenario).items()
               if path.endswith(".agents")}
    problems += _queue_problems(scenario, {**values, **highest}, None)
    for name in scenario.interventions:
        problems += _arm_problems(scenario, values, name)
    return problems or _open_bound_problems(scenario)


def _open_bound_problems(scenario: Scenario) -> list[Problem]:
    """Changes that could take a parameter whose lowest bound is not allowed (a mixing parameter, more than
    0) to or below it in some draw. Such a value has no nearest allowed value to clip to, so the change must
    keep the parameter inside at every value the inputs can take: checked with every input at its lowest
    (each change is increasing in its operand and in the value it changes; a scale's operand is 0 or more)."""
    inputs = all_inputs(scenario)
    lowest = {path: item.dist.ppf(np.array([LOWEST_QUANTILE])) for path, item in inputs.items()}
    problems = []
    for name, intervention in scenario.interventions.items():
        for index, path, new, domain in change_steps(scenario, lowest, name):
            if domain.above and _outside(new, domain)[0]:
                change = intervention.changes[index]
                where = f"interventions.{name}.changes[{index}].{change.operation}"
                problems.append(Problem(where, (
                    f"{change.operation} {change.operand.describe()} can take {path} to {plain_number(float(new[0]), domain)} "
                    f"(with the inputs at the lowest values they can take); {domain.what} must be {domain.allowed()} "
                    "at every value it can take")))
    return problems


def _queue_problems(scenario: Scenario, values: dict[str, np.ndarray], arm: str | None) -> list[Problem]:
    """Channels whose queue would take far more than seconds to solve (too many agents for their patience)."""
    if scenario.operations is None:
        return []
    problems = []
    for name, channel in scenario.operations.channels.items():
        prefix = f"operations.channels.{name}"
        patterns = [channel.staffing()]
        opening = scenario.interventions[arm].opening.get(name) if arm else None
        if opening is not None:
            patterns.append(tuple(opening.staffing_pattern or [1.0]))
        agents = float(values[f"{prefix}.agents"][0]) * max(max(p) for p in patterns)
        handling = float(values[f"{prefix}.handling_minutes"][0])
        patience = float(values[f"{prefix}.patience_minutes"][0]) if channel.patience_minutes is not None else None
        states = queue_states(agents, handling, patience)
        if states > MAX_QUEUE_STATES:
            under = f"under {arm}, " if arm else ""
            problems.append(Problem(prefix, (
                f"{under}{agents:,.0f} agents in the busiest hour with {plain_number(handling)}-minute contacts and "
                f"{plain_number(patience) if patience else 'no'} minutes of patience make a queue of about {_count(states)} "
                f"callers, more than the {MAX_QUEUE_STATES:,.0f} it can solve; split the channel or shorten the patience")))
    return problems


def _arm_problems(scenario: Scenario, values: dict[str, np.ndarray], name: str, option: str = "",
                  pinned: dict[str, float] | None = None) -> list[Problem]:
    """Problems of one intervention's changes at one row of values (base values, possibly with pinned inputs)."""
    pinned = pinned or {}

    def prefix(where: str) -> str:
        others = ", ".join(f"{path} = {plain_number(v)}" for path, v in pinned.items() if path != where)
        return (f"{option}: " if option else "") + (f"with {others}, " if others else "")

    problems = []
    changed = dict(values)
    for index, path, new, domain in change_steps(scenario, values, name):
        if _outside(new, domain)[0]:
            change = scenario.interventions[name].changes[index]
            where = f"interventions.{name}.changes[{index}].{change.operation}"
            problems.append(Problem(where, (
                f"{prefix(where)}{change.operation} {plain_number(float(values[where][0]))} takes {path} to "
                f"{plain_number(float(new[0]), domain)} at base values; {domain.what} must be {domain.allowed()}")))
        changed[path] = domain.clip(new)
    if not problems:
        problems += _queue_problems(scenario, changed, name)
    if not problems and scenario.operations is None:
        for segment in scenario.segments:
            total = _good_and_bad(changed, segment)
            if total[0] > 1.0 + 1e-12:
                problems.append(Problem(f"interventions.{name}.changes", (
                    f"{prefix('')}under this intervention segments.{segment}.experience good + bad = "
                    f"{plain_number(float(total[0]))} at base values; the two probabilities must add up to at most 1")))
    return problems


def _count(x: float) -> str:
    return f"{x:,.0f}" if x < 1e12 else f"{x:.3g}"


def _good_and_bad(values: dict[str, np.ndarray], segment: str) -> np.ndarray:
    prefix = f"segments.{segment}.experience"
    return values[f"{prefix}.good"] + values[f"{prefix}.bad"]


def check_known(scenario: Scenario, paths: list[str]) -> None:
    """Refuse ``--param`` paths that are not inputs of the scenario (ScenarioError, with a suggestion)."""
    inputs = all_inputs(scenario)
    problems = [Problem(path, f"--param: not an input of this scenario{did_you_mean(path, inputs)}")
                for path in paths if path not in inputs]
    if problems:
        raise ScenarioError(problems)


def check_pinned(scenario: Scenario, pinned: dict[str, float], option: str) -> None:
    """Refuse values a user pins inputs to (``--values``, ``--range``, ...) that leave a domain; ScenarioError.

    Unknown paths, NaN and infinity, values outside the input's own (effective)
    domain, and values that make an intervention take a parameter outside its
    domain at base values are each one problem naming the option and the path.
    """
    inputs = all_inputs(scenario)
    check_known(scenario, list(pinned))
    problems = []
    for path, value in pinned.items():
        domain = effective_domain(scenario, path)
        if not domain.allows(value):
            problems.append(Problem(path, f"{option}: {plain_number(value, domain)} is not allowed: {domain.what} must be {domain.allowed()}"))
            continue
        try:
            check_size(value)
        except ValueError as error:
            problems.append(Problem(path, f"{option}: {error}"))
    if problems:
        raise ScenarioError(problems)
    values = {**base_values(inputs), **{path: np.array([float(v)]) for path, v in pinned.items()}}
    shown = ", ".join(f"{path} = {plain_number(v)}" for path, v in pinned.items())
    for segment in scenario.segments if scenario.operations is None else ():
        total = float(_good_and_bad(values, segment)[0])
        if total > 1.0 + 1e-12:
            problems.append(Problem(f"segments.{segment}.experience", (
                f"{option}: with {shown}, good + bad = {plain_number(total)} at base values; "
                "the two probabilities must add up to at most 1")))
    if problems:
        raise ScenarioError(problems)
    for name in scenario.interventions:
        problems += _arm_problems(scenario, values, name, option, pinned)
    problems = problems or population_problems(scenario, pinned, option)
    if problems:
        raise ScenarioError(problems)


def check_all_pinned(scenario: Scenario, points: list[dict[str, float]], option: str) -> None:
    """:func:`check_pinned` for several points (a sweep's grid); every problem once, in one ScenarioError."""
    problems: list[Problem] = []
    for point in points:
        try:
            check_pinned(scenario, point, option)
        except ScenarioError as error:
            problems += error.problems
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))


def adjustments(scenario: Scenario, values: dict[str, np.ndarray]) -> list[dict]:
    """Draws in which a changed value was clipped to its domain, or good + bad was cut to 1 (per cause).

    Each entry: ``what`` (the change or the segment, by path), ``label`` (the same in words),
    ``arm``, ``draws`` touched, ``share`` of all draws and the ``rule`` applied, ready for summary.json.
    """
    draws = len(next(iter(values.values())))
    found = []

    def note(what: str, label: str, arm: str, hits: np.ndarray, rule: str) -> None:
        count = int(np.count_nonzero(hits))
        if count:
            found.append({"what": what, "label": label, "arm": arm, "draws": count, "share": count / draws,
                          "rule": rule})

    arms: dict[str, dict[str, np.ndarray]] = {"baseline": values}
    for name in scenario.interventions:
        changed = dict(values)
        for index, path, new, domain in change_steps(scenario, values, name):
            operation = scenario.interventions[name].changes[index].operation
            note(f"interventions.{name}.changes[{index}].{operation} on {path}",
                 label_of(scenario, f"interventions.{name}.changes[{index}].{operation}"), name, _outside(new, domain),
                 f"clipped to {domain.allowed()} ({domain.what})")
            changed[path] = domain.clip(new)
        arms[name] = changed
    if scenario.operations is None:
        for arm, arm_values in arms.items():
            for segment in scenario.segments:
                note(f"segments.{segment}.experience good + bad above 1",
                     f"shares of good and bad contacts above 1 in total, {lower_first(scenario.segments[segment].label or segment)}",
                     arm, _good_and_bad(arm_values, segment) > 1.0,
                     "bad kept, good cut to 1 - bad")
    return found


def describe_adjustment(entry: dict, total: int, input_name=str, option_name=str, paths: bool = False) -> str:
    """One sentence for a person: how many draws, what happened (in words, or by path) and by which rule."""
    arm = "" if entry["arm"] == "baseline" else f" under {option_name(entry['arm'])}"
    if "point" in entry:
        arm += " at " + ", ".join(f"{input_name(path)} = {plain_number(v)}" for path, v in entry["point"].items())
    what = entry["what"] if paths else entry.get("label", entry["what"])
    return f"{entry['draws']:,} of {total:,} draws ({100 * entry['share']:.1f} %): {what}{arm}: {entry['rule']}"


def _change_of(scenario: Scenario, path: str):
    """The Change a ``interventions.<name>.changes[i].<operation>`` path belongs to, else None."""
    parts = path.split(".")
    if len(parts) >= 3 and parts[0] == "interventions" and parts[1] in scenario.interventions:
        rest = ".".join(parts[2:])
        if rest.startswith("changes[") and rest.split("]")[-1].lstrip(".") in _OPERAND:
            index = int(rest[len("changes["):rest.index("]")])
            changes = scenario.interventions[parts[1]].changes
            return changes[index] if index < len(changes) else None
    return None


def require_uncertain(scenario: Scenario, analysis: str) -> None:
    """Refuse an analysis that ranks uncertain inputs when every input is fixed (ScenarioError)."""
    if all(item.dist.is_fixed for item in all_inputs(scenario).values()):
        raise ScenarioError([Problem("", (
            f"{analysis}: nothing uncertain to rank: every input is a fixed number; give some inputs a range "
            "(e.g. margin = \"30% to 40%\") to see which of them matter"))])
