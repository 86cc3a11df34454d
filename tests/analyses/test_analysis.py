"""Analyses against closed forms on a linear scenario, and their reproducibility."""

import numpy as np
import pytest

import sim
from sim.analyses.breakeven import breakeven
from sim.analyses.sensitivity import sensitivity
from sim.analyses.sweep import parse_values, sweep
from sim.analyses.tornado import tornado
from sim.analyses.voi import voi
from tests.conftest import build

CUSTOMERS, FEE = 100_000, 100.0


def linear_scenario(**overrides):
    """One year, revenue basis: NPV = customers x fee x (churn points cut) - cost, linear in its inputs."""
    raw = {
        "settings": {"name": "linear", "currency": "EUR", "period": "year", "horizon": 1, "roi_basis": "revenue",
                     "draws": 3000, "seed": 5},
        "segments": {"book": {"customers": CUSTOMERS, "fee": FEE, "purchases": 0, "value_per_purchase": 0,
                              "margin": 0.5, "annual_churn": 0.15}},
        "interventions": {"program": {
            "one_off_cost": {"dist": "normal", "mean": 100_000, "sd": 20_000},
            "changes": [{"path": "segments.book.annual_churn", "add": {"dist": "normal", "mean": -0.05, "sd": 0.01}}],
        }},
    }
    raw["settings"].update(overrides)
    return build(raw)


def test_tornado_swings_are_the_linear_coefficients_times_the_input_ranges():
    table = tornado(linear_scenario(), draws=500, workers=1).tables["tornado"].set_index("input")
    add = table.loc["interventions.program.changes[0].add"]
    cost = table.loc["interventions.program.one_off_cost"]
    assert add["npv_swing"] == pytest.approx(-CUSTOMERS * FEE * (add["high_value"] - add["low_value"]), rel=1e-9)
    assert cost["npv_swing"] == pytest.approx(-(cost["high_value"] - cost["low_value"]), rel=1e-9)
    z = 1.2815515655446004  # the 90th percentile of a standard normal
    # (the cost is truncated at 0, which moves its quantiles by about 3e-7 of a standard deviation)
    assert cost["high_value"] - cost["low_value"] == pytest.approx(2 * z * 20_000, rel=1e-6)
    assert list(table.index)[0] == "interventions.program.changes[0].add"


def test_tornado_keeps_inputs_without_effect_with_zero_swing():
    scenario = linear_scenario()
    raw = scenario.model_dump(mode="json", by_alias=True)
    raw["segments"]["book"]["margin"] = "40% to 60%"  # no effect on a revenue basis
    table = tornado(build(raw), draws=500, workers=1).tables["tornado"].set_index("input")
    assert table.loc["segments.book.margin", "npv_swing"] == 0.0


def test_tornado_from_draws_reads_the_cost_effect():
    table = tornado(linear_scenario(), draws=3000, workers=1).tables["tornado_from_draws"].set_index("input")
    cost = table.loc["interventions.program.one_off_cost"]
    # Benefit does not depend on cost, so the NPV gap between the cost fifths is minus the cost gap,
    # up to the benefit's sampling noise in two groups of 600 draws (sd of benefit is 100,000).
    assert cost["npv_swing"] == pytest.approx(-(cost["high_value"] - cost["low_value"]), abs=4 * 100_000 * np.sqrt(2 / 600))


def test_rank_correlations_and_sobol_indices_of_the_linear_scenario():
    analysis = sensitivity(linear_scenario(), draws=3000, sobol_samples=1024, workers=1)
    ranks = analysis.tables["rank_measures"].set_index("input")
    sd_benefit, sd_cost = CUSTOMERS * FEE * 0.01, 20_000.0
    sd_npv = np.hypot(sd_benefit, sd_cost)
    for path, rho in (("interventions.program.changes[0].add", -sd_benefit / sd_npv),
                      ("interventions.program.one_off_cost", -sd_cost / sd_npv)):
        spearman = 6 / np.pi * np.arcsin(rho / 2)
        assert abs(ranks.loc[path, "spearman"] - spearman) < 4 * 1.03 / np.sqrt(3000 - 3)
    sobol = analysis.tables["sobol"].set_index("input")
    share = sd_benefit**2 / sd_npv**2
    for path, expected in (("interventions.program.changes[0].add", share), ("interventions.program.one_off_cost", 1 - share)):
        for column in ("first_order", "total"):
            assert abs(sobol.loc[path, column] - expected) < max(2 * sobol.loc[path, f"{column}_conf"], 0.01)


def test_sweep_point_at_the_scenarios_own_value_reproduces_run(root):
    loaded = sim.load(root / "scenarios" / "seed001_churn_example.toml")
    table = sweep(loaded, {"segments.portfolio.fee": [9000.0, 10000.0]}, draws=1000, seed=3, workers=1).tables["sweep"]
    point = table[table["segments.portfolio.fee"] == 10000.0].iloc[0]
    summary = sim.run(loaded, draws=1000, seed=3, workers=1).summary_dict()["interventions"]["faster_response"]
    assert point["npv_mean"] == summary["npv"]["mean"]
    assert point["npv_p05"] == summary["npv"]["p05"] and point["npv_p95"] == summary["npv"]["p95"]
    assert point["roi_p50"] == summary["roi"]["p50"]
    assert point["prob_roi_positive"] == summary["prob_roi_positive"]


def test_sweep_is_identical_with_one_or_two_workers():
    scenario = linear_scenario()
    grid = {"interventions.program.one_off_cost": [50_000.0, 150_000.0],
            "segments.book.annual_churn": [0.1, 0.2]}
    one = sweep(scenario, grid, draws=600, workers=1).tables["sweep"]
    two = sweep(scenario, grid, draws=600, workers=2).tables["sweep"]
    assert one.equals(two)
    assert len(one) == 4


def test_parse_values():
    assert parse_values("0.01,0.02,0.03") == [0.01, 0.02, 0.03]
    assert parse_values("1:2:3") == [1.0, 1.5, 2.0]
    with pytest.raises(sim.UsageError) as error:
        parse_values("a,b")
    assert str(error.value) == "'a,b' is not a list of numbers (0.01,0.02,0.03) or a range (LOW:HIGH:STEPS)"


def test_breakeven_cost_is_the_mean_benefit():
    scenario = linear_scenario()
    found = breakeven(scenario, "interventions.program.one_off_cost", (0.0, 1_000_000.0), draws=2000, workers=1)
    root = found.summary["breakeven"]["program"]["mean_npv_zero"]
    benefit = sim.run(scenario, draws=2000, workers=1).appraisals["program"].pv_benefit
    assert root == pytest.approx(benefit.mean(), abs=1e-4 * 1_000_000 + 1e-6)
    median = found.summary["breakeven"]["program"]["prob_roi_positive_50"]
    assert median == pytest.approx(np.median(benefit), rel=0.01)




def test_evppi_of_the_only_uncertain_input_is_the_evpi():
    scenario = linear_scenario()
    raw = scenario.model_dump(mode="json", by_alias=True)
    raw["interventions"]["program"]["one_off_cost"] = 480_000  # close call: the decision is uncertain
    result = voi(build(raw), draws=4000, workers=1).summary
    evppi = {row["input"]: row["evppi"] for row in result["evppi"]}
    assert result["evpi"] > 0
    assert evppi["interventions.program.changes[0].add"] == pytest.approx(result["evpi"], rel=0.02)
