"""Counts drawn by inversion: exact where small, Cornish-Fisher where large, monotone in the score."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import ndtri

from sim.model import counts

U = np.linspace(0.0005, 0.9995, 1999)
Z = ndtri(U)


def _pmf_of_quantile(sample_at_z, support: int) -> np.ndarray:
    """Exact pmf of k(z) for z ~ N(0, 1), by integrating the normal density on a fine grid."""
    z = np.linspace(-9, 9, 1_000_001)
    w = stats.norm.pdf(z)
    k = sample_at_z(z).astype(int)
    return np.bincount(k, weights=w / w.sum(), minlength=support + 1)[: support + 1]


@pytest.mark.parametrize("mean", [0.05, 0.7, 2.5, 3.9])
def test_small_poisson_is_the_exact_quantile(mean):
    assert np.array_equal(counts.poisson(np.full(U.shape, mean), Z), stats.poisson.ppf(U, mean))


@pytest.mark.parametrize("n, p", [(1, 0.3), (12, 0.2), (40, 0.05), (30, 0.9), (7, 0.5)])
def test_small_binomial_is_the_exact_quantile(n, p):
    assert np.array_equal(counts.binomial(np.full(U.shape, float(n)), p, Z), stats.binom.ppf(U, n, p))


@pytest.mark.parametrize("mean", [4.0, 9.0, 40.0, 1000.0])
def test_large_poisson_is_within_half_a_percent_total_variation(mean):
    support = int(mean + 12 * np.sqrt(mean) + 20)
    pmf = _pmf_of_quantile(lambda z: counts.poisson(np.full(z.shape, mean), z), support)
    exact = stats.poisson.pmf(np.arange(support + 1), mean)
    assert 0.5 * np.abs(pmf - exact).sum() < 0.005


@pytest.mark.parametrize("n, p", [(20, 0.5), (400, 0.02), (5000, 0.3), (100, 0.95)])
def test_large_binomial_is_within_half_a_percent_total_variation(n, p):
    pmf = _pmf_of_quantile(lambda z: counts.binomial(np.full(z.shape, float(n)), p, z), n)
    exact = stats.binom.pmf(np.arange(n + 1), n, p)
    assert 0.5 * np.abs(pmf - exact).sum() < 0.005


def test_counts_never_decrease_as_the_score_rises():
    z = np.linspace(-6, 6, 5001)
    for mean in (0.3, 3.0, 4.0, 50.0):
        assert np.all(np.diff(counts.poisson(np.full(z.shape, mean), z)) >= 0)
    for n, p in ((10, 0.3), (200, 0.1), (200, 0.8), (30, 0.99)):
        assert np.all(np.diff(counts.binomial(np.full(z.shape, float(n)), p, z)) >= 0)


def test_binomial_stays_within_zero_and_n():
    z = np.array([-40.0, -8.0, 0.0, 8.0, 40.0])
    for n, p in ((5, 0.5), (1000, 0.5), (1000, 0.001), (1000, 0.999)):
        k = counts.binomial(np.full(z.shape, float(n)), p, z)
        assert np.all((k >= 0) & (k <= n))


def test_degenerate_cases():
    z = np.array([-1.0, 0.0, 2.0])
    assert np.array_equal(counts.binomial(np.zeros(3), 0.4, z), np.zeros(3))
    assert np.array_equal(counts.binomial(np.full(3, 9.0), 0.0, z), np.zeros(3))
    assert np.array_equal(counts.binomial(np.full(3, 9.0), 1.0, z), np.full(3, 9.0))
    assert np.array_equal(counts.poisson(np.zeros(3), z), np.zeros(3))


def test_multinomial_by_conditional_binomials_has_the_multinomial_mean_and_variance():
    draws, n, w = 20_000, 50.0, np.array([0.2, 0.5, 0.3])
    z = np.random.default_rng(4).standard_normal((2, draws))
    x = counts.multinomial(np.full(draws, n), w[:, None] * np.ones((1, draws)), z)
    assert np.array_equal(x.sum(axis=0), np.full(draws, n))
    for k in range(3):
        assert abs(x[k].mean() - n * w[k]) < 3 * np.sqrt(n * w[k] * (1 - w[k]) / draws)
        assert x[k].var() == pytest.approx(n * w[k] * (1 - w[k]), rel=0.05)


def _awkward_parameters(seed: int, dtype):
    """Counts from 0 to ~10^5, probabilities near 0, 1/2 and 1, scores in float32 or float64."""
    rng = np.random.default_rng(seed)
    shape = (3, 200, 3)
    z = (rng.standard_normal(shape) * rng.choice([1.0, 3.0, 9.0], shape)).astype(dtype)
    n = np.round(np.exp(rng.uniform(-1, 11.5, shape))) * (rng.uniform(size=shape) > 0.05)
    p = rng.uniform(size=shape[1:]) ** rng.choice([1, 4, 12], shape[1:])
    p[::2] = 1.0 - p[::2]
    p[0, :] = (0.0, 0.5, 1.0)
    return n, p, z


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_kernels_give_the_numpy_kernels_counts_bit_for_bit(dtype):
    """numba's one-pass kernels against the numpy reference (runtime ~0.5 s, the first time ~3 s: compiling)."""
    if counts.count_kernels.compiled() is None:
        pytest.skip("numba is not installed or CXROI_NUMBA=0: only the numpy kernels run here")
    for seed in range(5):
        n, p, z = _awkward_parameters(seed, dtype)
        assert np.array_equal(counts.binomial(n, p, z), counts.binomial_numpy(n, p, z))
        assert np.array_equal(counts.poisson(n * p, z), counts.poisson_numpy(n * p, z))


def _scores_at_the_steps(count_at, size: int) -> np.ndarray:
    """For each of ``size`` elements, the two adjacent float64 scores between which ``count_at(z)`` steps up
    (bisection from z = -2 to 3): where the Cornish-Fisher ``mean + sd w + 0.5`` is within an ulp of an integer."""
    low, high = np.full(size, -2.0), np.full(size, 3.0)
    assert np.all(count_at(low) < count_at(high))
    while np.any(np.nextafter(low, high) < high):
        middle = low + (high - low) / 2.0
        up = count_at(middle) > count_at(low)
        high, low = np.where(up, middle, high), np.where(up, low, middle)
    return np.concatenate([low, high])


def test_compiled_cornish_fisher_counts_at_their_steps_are_the_numpy_counts():
    """At scores where the expansion lands within an ulp of a whole number, the compiled pass's quick
    evaluation (reciprocals instead of divisions) is not sure and takes the exact one (runtime ~0.1 s)."""
    kernels = counts.count_kernels.compiled()
    if kernels is None:
        pytest.skip("numba is not installed or CXROI_NUMBA=0: only the numpy kernels run here")
    rng = np.random.default_rng(11)
    mean = np.exp(rng.uniform(np.log(5.0), np.log(1e6), 400))
    z = _scores_at_the_steps(lambda z: counts.poisson_numpy(mean, z), mean.size)
    mean = np.concatenate([mean, mean])
    assert np.array_equal(counts.poisson(mean, z), counts.poisson_numpy(mean, z))
    n = np.round(np.exp(rng.uniform(np.log(30.0), np.log(1e6), 400)))
    p = rng.uniform(0.05, 0.95, 400)
    zb = _scores_at_the_steps(lambda z: counts.binomial_numpy(n, p, z), n.size)  # p > 1/2: at -z, still increasing
    n, p = np.concatenate([n, n]), np.concatenate([p, p])
    assert np.array_equal(counts.binomial(n, p, zb), counts.binomial_numpy(n, p, zb))
    # The guard was needed: the quick evaluation alone is not sure at most of these scores.
    sure = [counts.count_kernels.cf_quick(m, m, 1.0, 1.0, score, np.inf)[1] for m, score in zip(mean, z)]
    assert np.mean(sure) < 0.5


EXTREME_SCORES = np.array([5.5, 6.0, 8.0, -5.5, -6.0, -8.0])


def _exact_quantile(ppf, z: np.ndarray) -> np.ndarray:
    """scipy's quantile at the score's CDF (computed in float64, capped where inversion stops: counts._U_MAX)."""
    return ppf(np.minimum(stats.norm.cdf(z.astype(np.float64)), counts._U_MAX))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel", ["compiled", "numpy"])
def test_extreme_scores_give_the_exact_quantile_within_the_support(dtype, kernel):
    """Scores beyond 5.3, where float32's CDF rounds to 1, once ran the inversion to underflow (runtime ~0.02 s a case, ~0.3 s more where numba loads first)."""
    poisson = counts.poisson if kernel == "compiled" else counts.poisson_numpy
    binomial = counts.binomial if kernel == "compiled" else counts.binomial_numpy
    z = EXTREME_SCORES.astype(dtype)
    for mean in (0.1, 0.5, 1.0, 2.0, 4.0 - 1e-9):
        k = poisson(np.full(z.shape, mean), z)
        assert np.array_equal(k, _exact_quantile(lambda u: stats.poisson.ppf(u, mean), z)), mean
    for n, p in ((1, 0.001), (3, 0.01), (5, 0.5), (8, 0.45), (10, 0.55), (6, 0.99), (2, 0.999), (12, 0.7)):
        k = binomial(np.full(z.shape, float(n)), p, z)
        assert np.all((k >= 0) & (k <= n)), (n, p, k)
        assert np.array_equal(k, _exact_quantile(lambda u: stats.binom.ppf(u, n, p), z)), (n, p, k)
