"""Simulate once, appraise many: each distinct arm is simulated once, with the numbers of simulating all.

The store's answers are compared bit for bit with :func:`sim.compute.simulation.evaluate_many`
(every arm of every point simulated in the workers), and its count of simulated arms shows
that what a point leaves unchanged was not simulated again (~3 s).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.compute import parallel
from sim.compute.arms import ArmStore
from sim.compute.simulation import appraise_all, evaluate, pinned, sample

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml")) + sorted((ROOT / "benchmarks").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_an_arm_simulated_alone_has_its_flows_when_stacked_with_all(path):
    scenario = sim.load(path).scenario
    values = sample(scenario, 60, 5)
    every = evaluate(scenario, values, 5)
    for arm in [None, *scenario.interventions]:
        alone = evaluate(scenario, values, 5, arms=[arm])
        name = arm or "baseline"
        assert list(alone) == [name]
        for output, series in every[name].items():
            np.testing.assert_array_equal(alone[name][output], series, err_msg=f"{name} {output}")


def _same(a, b):
    for name in a:
        for key in ("pv_benefit", "pv_cost", "npv", "roi", "payback"):
            np.testing.assert_array_equal(getattr(a[name], key), getattr(b[name], key), err_msg=f"{name} {key}")


@pytest.mark.parametrize(("path", "simulated"), [
    ("interventions.faster_response.recurring_cost", 4),  # read by the appraisal only: one simulation of each arm
    ("interventions.faster_response.changes[0].scale", 3 + 3),  # its own arm at each of 3 points, the others once
    ("segments.b2b.experience.walk_away", 4 * 3),  # every arm starts from the baseline: all again at each point
])
def test_a_point_simulates_only_the_arms_it_changes(path, simulated):
    scenario = sim.load(ROOT / "scenarios" / "nordic_midsize.toml").scenario
    drawn = sample(scenario, 40, 3)
    base = drawn[path][0]
    sets = [pinned(drawn, {path: value}) for value in (base * 0.5, base * 0.9, base * 1.3)]
    with parallel.pool(1) as shared:
        store = ArmStore(scenario, 3, shared)
        got = store.appraisals(sets)
    everything = [appraise_all(scenario, values, evaluate(scenario, values, 3)) for values in sets]  # every arm
    assert store.simulated == simulated
    for mine, theirs in zip(got, everything):
        _same(mine, theirs)


def test_pinned_is_what_sample_gives_with_the_input_fixed():
    scenario = sim.load(ROOT / "scenarios" / "nordic_midsize.toml").scenario
    path = "segments.b2b.experience.walk_away"
    drawn = sample(scenario, 50, 8, {path: 0.2})
    direct = sample(scenario, 50, 8, {path: 0.35})
    table = pinned(drawn, {path: 0.35})
    assert table.keys() == direct.keys()
    for key in direct:
        np.testing.assert_array_equal(table[key], direct[key], err_msg=key)


def test_a_design_at_expected_counts_gives_every_rows_numbers_from_its_distinct_rows():
    """Rows that move only costs or one intervention's input share the other arms' flows; numbers as evaluating all."""
    from sim.compute.arms import appraise_expected

    scenario = sim.load(ROOT / "scenarios" / "nordic_midsize.toml").scenario
    base = sample(scenario, 1, 1)
    rows = []
    for path, values in (("interventions.faster_response.recurring_cost", (1e4, 3e4)),
                         ("interventions.faster_response.changes[0].scale", (0.5, 0.8)),
                         ("segments.b2b.experience.walk_away", (0.1, 0.3))):
        rows += [pinned(base, {path: value}) for value in values]
    design = {path: np.concatenate([row[path] for row in rows]) for path in base}
    with parallel.pool(1) as shared:
        got = appraise_expected(scenario, design, shared)
    everything = appraise_all(scenario, design, evaluate(scenario, design, 0, expected=True))  # every row of every arm
    _same(got, everything)


def test_an_arm_alone_has_its_flows_with_churn_purchase_and_dropout_mixes():
    """The latent classes' random splits are keyed so that an arm reads the same numbers alone or stacked."""
    from tests.conftest import build, scenario_dict
    from tests.model.equivalence_check import segment
    from tests.model.test_equivalence_heterogeneous import CASES

    raw = scenario_dict(horizon=12, draws=50, seed=3)
    mixed = {k: v for k, v in CASES["BG/NBD"].items() if k != "churn"} | {"churn_mix": (0.7, 6.0)}
    raw["segments"] = {"small": segment(mixed) | {"margin": 1.0}}
    raw["interventions"] = {
        "pricing": {"recurring_cost": 1.0, "changes": [{"path": "segments.small.value_per_purchase", "scale": 1.1}]},
        "keep": {"recurring_cost": 1.0, "changes": [{"path": "segments.small.churn_mix.beta", "scale": 1.5}]},
    }
    scenario = build(raw)
    values = sample(scenario, 50, 3)
    every = evaluate(scenario, values, 3)
    for arm in [None, "pricing", "keep"]:
        name = arm or "baseline"
        alone = evaluate(scenario, values, 3, arms=[arm])[name]
        for output, series in every[name].items():
            np.testing.assert_array_equal(alone[output], series, err_msg=f"{name} {output}")
