"""The equivalence checks themselves: the variance z is calibrated and its power is what the docstrings state.

Replications of two samples from a skewed count distribution (negative binomial
with mean 50 and sd 10, excess kurtosis 0.13, like the compared totals): under the null hypothesis z has mean 0 and
sd 1; with one standard deviation 10 % too large the rejection rate at 0.1 %
matches :func:`variance_power` (at 1,000 draws a side, where it is 0.39, so
the rate is informative). Runtime about 3 s.
"""

import numpy as np
from scipy import stats

from tests.model.equivalence_check import ALPHA, Z, compare, variance_power, variance_z

REPLICATIONS, DRAWS = 400, 1000


def samples(rng, sd_ratio=1.0):
    """Two negative-binomial samples (mean 50, sd 10); the first scaled about its mean by ``sd_ratio``."""
    n, p = 50**2 / (100 - 50), 50 / 100
    a, b = rng.negative_binomial(n, p, DRAWS).astype(float), rng.negative_binomial(n, p, DRAWS).astype(float)
    return 50 + sd_ratio * (a - 50), b


def test_variance_z_is_standard_normal_when_the_spreads_agree():
    rng = np.random.default_rng(7)
    z = np.array([variance_z(*samples(rng))[0] for _ in range(REPLICATIONS)])
    # mean within 4 standard errors of 0; sd within 4 standard errors (sqrt(1 / (2 R)) = 0.035) of 1
    assert abs(z.mean()) < 4 / np.sqrt(REPLICATIONS)
    assert abs(z.std(ddof=1) - 1) < 4 * np.sqrt(1 / (2 * REPLICATIONS))


def test_the_rejection_rate_of_a_ten_percent_wider_spread_is_the_stated_power():
    rng = np.random.default_rng(8)
    pairs = [samples(rng, 1.1) for _ in range(REPLICATIONS)]
    rate = np.mean([abs(variance_z(a, b)[0]) > Z for a, b in pairs])
    kurtosis = stats.nbinom(50**2 / 50, 0.5).stats(moments="k")
    power = variance_power(DRAWS, float(kurtosis), 1.1)
    assert 0.3 < power < 0.5
    assert abs(rate - power) < 4 * np.sqrt(power * (1 - power) / REPLICATIONS)


def test_every_check_can_reject():
    """p-values that can fall below 0.001 (no permutation floor): two samples 0.3 sd apart at 1,000 draws."""
    rng = np.random.default_rng(9)
    a, b = rng.normal(0, 1, DRAWS), rng.normal(0.3, 1, DRAWS)
    result = compare(a, b)
    assert result.ks_p < ALPHA and result.ad_p <= ALPHA and abs(result.mean_z) > Z
    assert compare(a, 1.2 * b).variance_z < -Z
