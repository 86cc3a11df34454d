"""Present values, ROI and payback against hand-computed cash flows."""

import numpy as np
import pytest

from sim.model.finance import appraise, discount_factors, period_rate, program_costs


def test_monthly_rate_compounds_to_the_annual_rate():
    assert (1 + period_rate(0.10, 12)) ** 12 == pytest.approx(1.10, rel=1e-14)
    assert period_rate(0.10, 1) == pytest.approx(0.10)


def test_end_of_period_discount_factors():
    factors = discount_factors(3, 0.21, 1)
    assert factors == pytest.approx([1 / 1.21, 1 / 1.21**2, 1 / 1.21**3])


def test_undiscounted_roi_npv_and_payback():
    benefit = np.array([[100.0, 100.0, 100.0]])
    once, recurring = program_costs(np.array([150.0]), np.array([0.0]), start=1, periods=3)
    a = appraise(benefit, once, recurring, discount_factors(3, 0.0, 12), start=1)
    assert a.pv_benefit[0] == 300.0 and a.pv_cost[0] == 150.0 and a.npv[0] == 150.0
    assert a.roi[0] == 1.0
    assert a.cumulative_net[0].tolist() == [-50.0, 50.0, 150.0]
    assert a.payback[0] == 2.0


def test_one_off_cost_is_paid_at_the_start_of_its_period_and_recurring_at_the_end():
    r = 0.10
    factors = discount_factors(2, r, 1)
    once, recurring = program_costs(np.array([100.0]), np.array([10.0]), start=2, periods=2)
    a = appraise(np.zeros((1, 2)), once, recurring, factors, start=2)
    assert a.pv_cost[0] == pytest.approx(100 / 1.1 + 10 / 1.1**2, rel=1e-14)


def test_no_payback_within_the_horizon_is_nan():
    once, recurring = program_costs(np.array([1000.0]), np.array([0.0]), start=1, periods=4)
    a = appraise(np.full((1, 4), 10.0), once, recurring, discount_factors(4, 0.0, 12), start=1)
    assert np.isnan(a.payback[0])
    assert a.roi[0] == pytest.approx((40 - 1000) / 1000)


def test_payback_is_not_counted_before_the_intervention_starts():
    once, recurring = program_costs(np.array([50.0]), np.array([0.0]), start=3, periods=5)
    benefit = np.array([[0.0, 0.0, 30.0, 30.0, 30.0]])
    a = appraise(benefit, once, recurring, discount_factors(5, 0.0, 12), start=3)
    assert a.payback[0] == 4.0


def test_roi_is_undefined_without_cost():
    once, recurring = program_costs(np.array([0.0]), np.array([0.0]), start=1, periods=2)
    a = appraise(np.ones((1, 2)), once, recurring, discount_factors(2, 0.0, 12), start=1)
    assert np.isnan(a.roi[0]) and a.npv[0] == 2.0


def _cumulative_payback(net: list[float], start: int = 1) -> float:
    benefit = np.array([net])
    once, recurring = program_costs(np.array([0.0]), np.array([0.0]), start=start, periods=len(net))
    return appraise(benefit, once, recurring, discount_factors(len(net), 0.0, 12), start=start).payback[0]


@pytest.mark.parametrize(
    "net, payback",
    [
        ([10.0, -5.0, -20.0], np.nan),      # ahead in month 1, behind at the end: not paid back
        ([-10.0, 20.0, -15.0, 10.0], 4.0),  # above zero in month 2, below again in 3: paid back from month 4
        ([-10.0, 20.0, -5.0, 0.0], 2.0),    # a dip that stays above zero does not undo payback
        ([0.0, 0.0, 0.0], 1.0),             # never below zero: paid back at once (NPV = 0)
        ([-5.0, 5.0], 2.0),                 # ends exactly at zero
    ],
)
def test_payback_is_the_period_after_which_cumulative_net_stays_non_negative(net, payback):
    """Non-conventional cash flows (signs change more than once); runtime: milliseconds."""
    assert _cumulative_payback(net) == pytest.approx(payback, nan_ok=True)


def test_paid_back_exactly_when_npv_is_non_negative():
    """P(payback) can no longer exceed P(NPV >= 0): one rule for both, on random sign-changing flows."""
    rng = np.random.default_rng(5)
    benefit = rng.normal(0.0, 10.0, size=(2000, 12))
    once, recurring = program_costs(np.full(2000, 5.0), np.zeros(2000), start=1, periods=12)
    a = appraise(benefit, once, recurring, discount_factors(12, 0.05, 12), start=1)
    assert np.array_equal(~np.isnan(a.payback), a.npv >= 0)
