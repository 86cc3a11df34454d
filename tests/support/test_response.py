"""The response curve against the ten companies of "Hur viktig är kundsupport…"."""

import numpy as np
import pytest

from sim.support.response import DEFAULT, SEED_004, ResponseCurve, fit


def test_default_curve_fits_seed_004_within_four_points():
    minutes = np.array([p[1] for p in SEED_004], dtype=float)
    share = np.array([p[2] for p in SEED_004])
    assert np.max(np.abs(DEFAULT.satisfied(minutes) - share)) < 0.04


def test_fitted_coefficients_solve_the_least_squares_problem():
    minutes = np.log([p[1] for p in SEED_004])
    target = np.log([p[2] / (1 - p[2]) for p in SEED_004])
    residual = target - (DEFAULT.intercept + DEFAULT.slope * minutes)
    # Normal equations: residuals orthogonal to both columns of the design.
    assert residual.sum() == pytest.approx(0, abs=1e-9)
    assert (residual * minutes).sum() == pytest.approx(0, abs=1e-9)


def test_satisfaction_falls_with_waiting_and_stays_below_one():
    waits = np.array([0.0, 0.5, 1, 5, 10, 30, 60])
    curve = DEFAULT.satisfied(waits)
    assert np.all(np.diff(curve[1:]) < 0) and curve[0] == curve[1] < 1


def test_a_stated_curve_is_used_as_given():
    assert ResponseCurve(0.0, -1.0).satisfied(np.array([1.0]))[0] == pytest.approx(0.5)
    assert fit([("a", 1, 0.5), ("b", np.e, 1 / (1 + np.e))]).slope == pytest.approx(-1.0)
