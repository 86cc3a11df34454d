"""Customer bases that word of mouth makes explode, refused before anything runs, naming the keys.

Each customer positive at the end of a period brings ``referrals`` new customers in the next, so the
customer base grows geometrically once referrals outweigh churn: ``referrals = 3`` over 600 months
reaches about 1e107 customers, and ``referrals = 1e6`` overflows within a few periods. No business
case has more than :data:`MAX_CUSTOMERS` customers, and beyond it the money sums lose meaning long
before they overflow, so a scenario whose expected customer base (the base case's expected counts,
every arm) passes that size, and what the starting customers and arrivals alone could reach, is refused:

* at base values (what must happen), and
* with every referrals input and every change to one at the highest value it can take (what some
  draws would reach), so the draws stay bounded too.
"""

from __future__ import annotations

import numpy as np

from sim.errors import Problem
from sim.model import engine
from sim.model.distributions import LARGEST, LOWEST_QUANTILE
from sim.model.inputs import all_inputs, arm_values, churn_classes, engine_parameters, operations_plan, ramp
from sim.model.sampling import base_values
from sim.model.scenario import Scenario

MAX_CUSTOMERS = LARGEST
"""The most customers a segment's expected customer base may reach (a trillion)."""


def population_problems(scenario: Scenario, pinned: dict[str, float] | None = None, option: str = "") -> list[Problem]:
    """One problem per segment whose referrals grow the customer base past :data:`MAX_CUSTOMERS`."""
    inputs = all_inputs(scenario)
    pinned = pinned or {}
    wom = [path for path in inputs if path.endswith(".referrals") or _changes_referrals(scenario, path)]
    if not any(np.any(inputs[path].dist.ppf(np.array([1.0 - LOWEST_QUANTILE])) != 0) or path in pinned for path in wom):
        return []
    base = {**base_values(inputs), **{path: np.array([float(v)]) for path, v in pinned.items()}}
    highest = {**base, **{path: inputs[path].dist.ppf(np.array([1.0 - LOWEST_QUANTILE])) for path in wom
                          if path not in pinned}}
    prefix = f"{option}: " if option else ""
    for values, words in ((base, "at base values"), (highest, "with referrals at the highest values they can take")):
        without, referrals = _reach(scenario, values)
        with np.errstate(over="ignore"):
            at_most = float(without * np.power(1.0 + max(referrals, 0.0), float(scenario.settings.horizon)))
        if at_most <= MAX_CUSTOMERS:
            continue  # cannot grow that far even if every customer were positive every period
        peak, period, arm = _peak(scenario, values)
        if not peak <= max(MAX_CUSTOMERS, without):  # beyond the bound, and beyond what arrivals alone bring
            grown = "more than 1e308" if not np.isfinite(peak) else f"{peak:.2g}"
            under = "" if arm is None else f" under {arm}"
            keys = [f"segments.{name}.referrals" for name, segment in scenario.segments.items()
                    if f"segments.{name}.referrals" in wom and np.any(values[f"segments.{name}.referrals"] != 0)]
            keys = keys or [path for path in wom if path.endswith(".referrals")]
            return [Problem(key, (
                f"{prefix}{words}, word of mouth grows the customers{under} to {grown} by period {period} of "
                f"{scenario.settings.horizon}: each positive customer brings this many new ones a period, and the "
                f"customer base may reach at most {MAX_CUSTOMERS:,.0f}; lower referrals, raise deterrals or churn, "
                "or shorten settings.horizon")) for key in keys]
    return []


def _reach(scenario: Scenario, values: dict[str, np.ndarray]) -> tuple[float, float]:
    """(starting customers + all arrivals of the horizon, the highest referrals), over every arm: without
    word of mouth no arm has more customers than the first; with it, none more than the first times
    (1 + the second)^horizon (every customer positive every period, nobody leaving). Cheap: the engine
    runs only when this bound is passed."""
    horizon = scenario.settings.horizon
    arms = [values, *(arm_values(scenario, values, name) for name in scenario.interventions)]
    referrals = max(float(np.max(arm[f"segments.{name}.referrals"])) for arm in arms for name in scenario.segments)
    start = sum(max(float(np.max(arm[f"segments.{name}.customers"])) + horizon * float(np.max(arm[f"segments.{name}.arrivals"]))
                    for arm in arms) for name in scenario.segments)
    return start, referrals


def _changes_referrals(scenario: Scenario, path: str) -> bool:
    """Whether ``path`` is the operand of a change to a segment's referrals."""
    for name, intervention in scenario.interventions.items():
        for index, change in enumerate(intervention.changes):
            if change.path.endswith(".referrals") and path == f"interventions.{name}.changes[{index}].{change.operation}":
                return True
    return False


def _peak(scenario: Scenario, values: dict[str, np.ndarray]) -> tuple[float, int, str | None]:
    """(largest expected active customers of any arm and period, that period (1-based), that arm or None)."""
    arms = [None, *scenario.interventions]
    arm_inputs = [values if arm is None else arm_values(scenario, values, arm) for arm in arms]
    base = engine_parameters(scenario, values)
    targets = [engine_parameters(scenario, inputs) for inputs in arm_inputs]
    stacked_base = {k: np.concatenate([base[k]] * len(arms)) for k in base}
    stacked_target = {k: np.concatenate([target[k] for target in targets]) for k in base}
    ramps = np.stack([ramp(scenario, arm) for arm in arms]).T
    with np.errstate(all="ignore"):
        active = engine.simulate(stacked_base, stacked_target, ramps, engine.ExpectedCounts(),
                                 operations_plan(scenario, values, arm_inputs), churn_classes(scenario))["active"]
    active = np.where(np.isnan(active), np.inf, active)  # (arms, periods)
    row, column = np.unravel_index(int(np.argmax(active)), active.shape)
    return float(active[row, column]), int(column) + 1, arms[row]
