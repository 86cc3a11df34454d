"""Loading scenarios: the shipped files, unit conversion, overrides and derived parameters."""


import numpy as np
import pytest

import sim
from sim.model.inputs import all_inputs, churn_per_period, engine_parameters
from sim.model.sampling import base_values
from tests.conftest import ROOT, build, scenario_dict

SHIPPED = sorted((ROOT / "scenarios").glob("*.toml")) + [ROOT / "benchmarks" / "reference.toml"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_validate(path):
    loaded = sim.load(path)
    assert loaded.scenario.interventions and len(loaded.sha256) == 64


def test_default_scenario_cites_the_zendesk_study_for_experience_effects():
    inputs = all_inputs(sim.load(ROOT / "scenarios" / "nordic_midsize.toml").scenario)
    for segment in ("b2b", "b2c"):
        for key in ("positive_uplift", "walk_away", "positive_duration", "negative_duration"):
            source = inputs[f"segments.{segment}.experience.{key}"].dist.source
            assert source.startswith("Zendesk and Dimensional Research, Customer Service and Business Results (2013)")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_cite_studies_and_articles_not_internal_names(path):
    text = path.read_text(encoding="utf-8").lower()
    assert "seed 00" not in text and "shared/" not in text and "seeds/" not in text


def test_monthly_and_annual_churn_convert_to_the_period():
    assert churn_per_period(np.array([0.02]), "monthly_churn", 1)[0] == pytest.approx(1 - 0.98**12)
    assert churn_per_period(np.array([0.2]), "annual_churn", 12)[0] == pytest.approx(1 - 0.8 ** (1 / 12))
    assert churn_per_period(np.array([0.2]), "annual_churn", 1)[0] == pytest.approx(0.2)


def test_contact_cost_is_the_share_weighted_mean_of_channels():
    raw = scenario_dict()
    raw["support"] = {"channels": {"phone": {"share": 3, "cost_per_contact": 10}, "chat": {"share": 1, "cost_per_contact": 2}}}
    scenario = build(raw)
    params = engine_parameters(scenario, base_values(all_inputs(scenario)))
    assert params["contact_cost"][0, 0] == pytest.approx((3 * 10 + 1 * 2) / 4)


def test_override_can_replace_a_fixed_value_by_a_distribution(tmp_path):
    loaded = sim.load(ROOT / "scenarios" / "seed001_churn_example.toml", ['segments.portfolio.fee="9000 to 11000"'])
    fee = all_inputs(loaded.scenario)["segments.portfolio.fee"].dist
    assert not fee.is_fixed
    assert fee.ppf(np.array([0.05, 0.95])) == pytest.approx([9000, 11000])
    assert loaded.overrides == ('segments.portfolio.fee="9000 to 11000"',)


def test_unquoted_override_text_is_read_as_a_range():
    loaded = sim.load(ROOT / "scenarios" / "seed001_churn_example.toml", ["segments.portfolio.fee=9000 to 11000"])
    assert all_inputs(loaded.scenario)["segments.portfolio.fee"].dist.interval() == pytest.approx((9000, 11000))


def test_python_api_returns_dataframes():
    result = sim.run(sim.load(ROOT / "scenarios" / "seed001_churn_example.toml"), draws=300, seed=1, workers=1)
    summary, draws = result.summary(), result.draws
    assert list(summary.index) == ["faster_response"]
    assert {"roi_mean", "npv_p05", "prob_roi_positive"} <= set(summary.columns)
    assert len(draws) == 300 and "faster_response.npv" in draws.columns
