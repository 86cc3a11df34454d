"""The break-even search spends its full draws near the crossing, and says how precise the crossing is.

A grid on the first draws brackets the crossing; the full draws confirm and refine it, so
the answer is the one a search with every draw at every grid point finds, to within the
search's tolerance; the standard error it reports is the closed form on a cost, where NPV
is linear (about 6 s).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import sim
from sim.analyses import breakeven as module

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "nordic_midsize.toml"
COST = "interventions.faster_response.recurring_cost"
SCALE = "interventions.faster_response.changes[0].scale"


def test_the_coarse_grid_finds_the_full_grids_break_even(monkeypatch):
    loaded = sim.load(SCENARIO)
    coarse = module.breakeven(loaded, SCALE, (0.4, 1.2), draws=1600, workers=1)
    monkeypatch.setattr(module, "COARSE_DRAWS", 10**9)  # every grid point with every draw
    full = module.breakeven(loaded, SCALE, (0.4, 1.2), draws=1600, workers=1)
    assert (coarse.summary["grid_draws"], full.summary["grid_draws"]) == (1000, 1600)
    for criterion, value in full.summary["breakeven"]["faster_response"].items():
        error = full.summary["standard_error"]["faster_response"][criterion]
        tolerance = max(module.RELATIVE_TOLERANCE * 0.8, module.PRECISION_SHARE * error)
        assert abs(coarse.summary["breakeven"]["faster_response"][criterion] - value) <= 2 * tolerance


def test_the_standard_error_of_a_cost_break_even_is_the_closed_form():
    """NPV = A - c K draw by draw, so the mean-NPV root has standard error sd(A) / sqrt(n) / K."""
    loaded = sim.load(SCENARIO)
    found = sim.breakeven(loaded, COST, draws=800, workers=1).summary
    root = found["breakeven"]["faster_response"]["mean_npv_zero"]
    low, high = (sim.run(loaded, 800, fixed={COST: c}, workers=1).appraisals["faster_response"].npv for c in (1e4, 3e4))
    slope = float(np.mean(low - high)) / 2e4
    np.testing.assert_allclose(low - high, slope * 2e4, rtol=1e-9)  # linear in the cost, the same K in every draw
    expected = float(np.std(low, ddof=1)) / np.sqrt(800) / slope
    assert abs(float(np.mean(low - slope * (root - 1e4)))) < 1e-6 * abs(float(np.mean(low)))
    np.testing.assert_allclose(found["standard_error"]["faster_response"]["mean_npv_zero"], expected, rtol=1e-9)
