"""Break-even answers that always answer: a value, always pays, never pays, or no effect.

On the linear scenario of test_analysis (PV benefit about 500,000 against a cost of
about 100,000) with a second option the cost does not touch. About 2 s.
"""

import matplotlib.pyplot as plt
import pytest

import sim
from sim.analyses.breakeven import breakeven, default_range
from sim.reporting.figures import analysis_figures
from tests.analyses.test_analysis import linear_scenario
from tests.conftest import build

COST = "interventions.program.one_off_cost"


def two_options():
    raw = linear_scenario().model_dump(mode="json", by_alias=True)
    raw["interventions"]["other"] = {"label": "Other programme", "one_off_cost": 50_000,
                                     "changes": [{"path": "segments.book.annual_churn", "add": -0.01}]}
    raw["interventions"]["program"]["label"] = "Retention programme"
    return build(raw)


def outcomes(found, name="program"):
    return found.summary["outcomes"][name]


def test_default_range_widens_until_the_break_even_is_found():
    scenario = two_options()
    _, high = default_range(scenario, COST)
    assert high < 200_000  # the cost's own 1st-99th percentile holds no break-even ...
    found = breakeven(scenario, COST, draws=400, workers=1)
    root = found.summary["breakeven"]["program"]["mean_npv_zero"]
    benefit = sim.run(scenario, draws=400, workers=1).appraisals["program"].pv_benefit.mean()
    assert outcomes(found) == {"mean_npv_zero": "break-even", "prob_roi_positive_50": "break-even"}
    assert root == pytest.approx(benefit, rel=1e-3)  # ... the widened one does, and says which range it searched
    assert found.summary["range"][0] == 0.0 and found.summary["range"][1] > benefit
    assert found.summary["range_given"] is False


def test_always_pays_never_pays_and_no_effect_are_told_apart():
    scenario = two_options()
    cheap = breakeven(scenario, COST, (0.0, 10_000.0), draws=300, workers=1)
    dear = breakeven(scenario, COST, (2_000_000.0, 3_000_000.0), draws=300, workers=1)
    assert outcomes(cheap) == {"mean_npv_zero": "always pays", "prob_roi_positive_50": "always pays"}
    assert outcomes(dear) == {"mean_npv_zero": "never pays", "prob_roi_positive_50": "never pays"}
    assert outcomes(cheap, "other") == {"mean_npv_zero": "no effect", "prob_roi_positive_50": "no effect"}
    assert cheap.summary["breakeven"]["program"] == {"mean_npv_zero": None, "prob_roi_positive_50": None}


def test_the_figure_leaves_out_options_the_input_does_not_affect():
    found = breakeven(two_options(), COST, (0.0, 1_000_000.0), draws=300, workers=1)
    figure = analysis_figures(found)["breakeven"]
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    plt.close(figure)
    assert titles == ["Retention programme"]
