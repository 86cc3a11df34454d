"""Netigate's worked example: 500,000 EUR retained on a 100,000 EUR programme, ROI 4 (400 %)."""

import numpy as np
import pytest

import sim

SCENARIO = "scenarios/seed001_churn_example.toml"


def test_base_case_reproduces_the_article(root):
    result = sim.run(sim.load(root / SCENARIO), base_case=True)
    entry = result.summary_dict()["interventions"]["faster_response"]
    assert entry["roi"]["mean"] == pytest.approx(4.0, rel=1e-12)
    assert entry["pv_benefit"]["mean"] == pytest.approx(500_000, rel=1e-12)
    assert entry["pv_cost"]["mean"] == pytest.approx(100_000, rel=1e-12)
    assert entry["npv"]["mean"] == pytest.approx(400_000, rel=1e-12)
    assert result.summary_dict()["roi_basis"] == "revenue"


def test_monte_carlo_benefit_is_the_churn_cut_times_the_portfolio(root):
    """Retained revenue per draw should average 10 M EUR times the churn points actually cut."""
    result = sim.run(sim.load(root / SCENARIO), draws=4000, seed=12, workers=1)
    churn = result.values["segments.portfolio.annual_churn"]
    cut = churn - np.clip(churn + result.values["interventions.faster_response.changes[0].add"], 0, 1)
    expected = 1000 * 10_000 * cut
    benefit = result.appraisals["faster_response"].pv_benefit
    difference = benefit - expected
    assert abs(difference.mean()) < 3 * difference.std(ddof=1) / np.sqrt(len(difference))
    # The sampled cut itself follows the PERT(-0.08, -0.05, 0) of the file: mean -(0.08 + 4 x 0.05) / 6.
    added = result.values["interventions.faster_response.changes[0].add"]
    assert abs(added.mean() + 0.28 / 6) < 3 * added.std(ddof=1) / np.sqrt(len(added))
