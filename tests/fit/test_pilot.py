"""A pilot's result as a conjugate posterior: closed forms, the normal approximation, bad numbers (about 1 s)."""

import math

import numpy as np
import pytest
from scipy import stats

from sim.errors import ScenarioError
from sim.fit.pilot import Arm, effect, pilot_effect, posterior


def test_beta_binomial_posterior_is_the_conjugate_update():
    post = posterior("proportion", Arm(40, 500), prior=(1.0, 1.0))
    assert (post.a, post.b) == (41.0, 461.0)
    # Against the posterior computed on a grid: prior x likelihood, normalised.
    grid = np.linspace(1e-6, 1 - 1e-6, 200_001)
    density = stats.binom.pmf(40, 500, grid)
    density /= np.trapezoid(density, grid)
    assert np.trapezoid(grid * density, grid) == pytest.approx(post.frozen.mean(), rel=1e-6)


def test_gamma_poisson_posterior_and_rate_ratio_match_their_closed_forms():
    treated, control = Arm(900, 1000), Arm(800, 1000)
    post = posterior("rate", treated, prior=(2.0, 3.0))
    assert (post.a, post.b) == (902.0, 1003.0)
    result = effect("purchases", treated, control)
    # (lt / lc) (bt / bc) (ac / at) ~ F(2 at, 2 ac): with equal exposure and Jeffreys' prior, scale = 900.5 / 800.5.
    f = stats.f(1801, 1601, scale=900.5 / 800.5)
    assert (result.low, result.median, result.high) == pytest.approx((f.ppf(0.025), f.median(), f.ppf(0.975)), rel=1e-9)
    draws = np.random.default_rng(1)
    ratio = stats.gamma(900.5).rvs(200_000, random_state=draws) / stats.gamma(800.5).rvs(200_000, random_state=draws)
    assert result.log_mean == pytest.approx(np.log(ratio).mean(), abs=3 * np.log(ratio).std() / math.sqrt(200_000))
    assert result.log_sd == pytest.approx(np.log(ratio).std(), rel=0.01)


def test_risk_ratio_interval_agrees_with_the_log_normal_approximation_within_one_percent():
    result = effect("churn", Arm(40, 500), Arm(60, 500))
    ratio = (40 / 500) / (60 / 500)
    se = math.sqrt(1 / 40 - 1 / 500 + 1 / 60 - 1 / 500)
    low, high = ratio * math.exp(-1.96 * se), ratio * math.exp(1.96 * se)
    assert result.low == pytest.approx(low, rel=0.01) and result.high == pytest.approx(high, rel=0.01)
    assert result.median == pytest.approx(ratio, rel=0.01)
    assert result.mean == pytest.approx(40.5 / 501 * 500 / 59.5, rel=1e-12)
    assert 0.97 < result.prob_below_one < 0.99


def test_the_scale_written_into_a_scenario_has_the_posterior_median_and_log_spread():
    result = effect("bad", Arm(120, 2000), Arm(200, 2000))
    spec = result.scale_spec("pilot 2026")
    sigma = math.sqrt(math.log1p((spec["sd"] / spec["mean"]) ** 2))
    assert sigma == pytest.approx(result.log_sd, rel=1e-3)
    assert spec["mean"] * math.exp(-sigma**2 / 2) == pytest.approx(math.exp(result.log_mean), rel=1e-3)
    assert spec["base"] == pytest.approx(result.median, rel=1e-3) and spec["source"] == "pilot 2026"


def test_impossible_arms_are_reported_one_line_each():
    with pytest.raises(ScenarioError) as error:
        pilot_effect("churn", Arm(600, 500), Arm(-1, 500), where=("row 2", "row 3"))
    assert error.value.lines() == [
        "row 2, column 'churned': 600 churned of 500 customers: churned must be at most customers",
        "row 3, column 'churned': -1 churned is not allowed: must be 0 or more",
    ]
    with pytest.raises(ScenarioError, match="customer_periods: 0 is not allowed: an arm needs some customer-periods"):
        pilot_effect("purchases", Arm(10, 0), Arm(10, 100), where=("", ""))
