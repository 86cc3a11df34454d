"""Value of information against closed forms."""

import numpy as np
import pytest
from scipy import stats

from sim.analyses.voi import evpi, evppi


@pytest.mark.parametrize("mu, sigma", [(100.0, 300.0), (-50.0, 200.0), (0.0, 1.0)])
def test_evpi_of_a_normal_net_benefit_matches_the_closed_form(mu, sigma):
    rng = np.random.default_rng(4)
    x = rng.normal(mu, sigma, 200_000)
    nb = np.column_stack([np.zeros_like(x), x])
    exact = sigma * stats.norm.pdf(mu / sigma) - abs(mu) * stats.norm.cdf(-abs(mu) / sigma)
    # The estimate is the mean of max(0, x) - (x if the best option on average is to invest, else 0);
    # at mu = 0 the best option itself is uncertain, so both terms' errors are added.
    regret = np.maximum(x, 0) - (x if mu > 0 else 0)
    standard_error = (regret.std() + (x.std() if mu == 0 else 0)) / np.sqrt(len(x))
    assert abs(evpi(nb) - exact) < 3 * standard_error


def test_evppi_of_the_only_uncertain_input_equals_the_evpi():
    rng = np.random.default_rng(5)
    theta = rng.uniform(0, 1, 20_000)
    nb = np.column_stack([np.zeros_like(theta), 1000 * (theta - 0.4), 600 * np.sin(3 * theta) - 300])
    assert evppi(theta, nb) == pytest.approx(evpi(nb), rel=0.01)


def test_evppi_of_an_input_without_effect_is_about_zero():
    rng = np.random.default_rng(6)
    theta, other = rng.uniform(0, 1, (2, 20_000))
    nb = np.column_stack([np.zeros_like(other), 1000 * (other - 0.5)])
    assert evppi(theta, nb) < 0.02 * evpi(nb)
    assert evppi(other, nb) == pytest.approx(evpi(nb), rel=0.01)


def test_evppi_with_a_discrete_input_uses_group_means():
    rng = np.random.default_rng(7)
    theta = rng.integers(0, 3, 30_000).astype(float)
    nb = np.column_stack([np.zeros_like(theta), 100 * (theta - 1) + rng.normal(0, 10, theta.size)])
    # Knowing theta: take the intervention only when theta = 2 (worth 100 a third of the time).
    assert evppi(theta, nb) == pytest.approx(100 / 3, rel=0.05)
