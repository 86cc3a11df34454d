"""The latent classes' compiled steps against their numpy reference."""

import numpy as np
import pytest

from sim.kernels import count_kernels, numpy_only, split_kernels
from sim.model import classes, splits


def test_compiled_move_gives_the_numpy_move_bit_for_bit():
    """Experiences and decay over classes, with empty states and nobody walking (runtime ~0.05 s, ~1 s compiling)."""
    if count_kernels.compiled() is None:
        pytest.skip("numba is not installed or CXROI_NUMBA=0: only the numpy step runs here")
    rng = np.random.default_rng(5)
    rows, segments, kinds = 400, 3, 17
    n = rng.integers(0, 40, (3, rows, segments)).astype(float)
    n[:, :10] = 0.0  # empty states: every share there is 0
    had_bad = np.floor(n * rng.random(n.shape))
    had_good = np.floor((n - had_bad) * rng.random(n.shape))
    had_none = n - had_bad - had_good
    walked = np.floor(had_bad.sum(axis=0) * rng.random((rows, segments)) * (rng.random((rows, segments)) < 0.7))
    decayed = np.floor(had_none[1:] * rng.random((2, rows, segments)))
    counts = rng.random((kinds, 3, rows, segments)) * n
    # All churn classes: their linear map is the compiled kernel (buying classes split at random, tests/model/test_mix_exactness.py).
    compiled, reference = classes.Population(counts.copy(), kinds), classes.Population(counts.copy(), kinds)
    compiled.move(n, had_bad, had_good, walked, decayed)
    reference.move_numpy(n, had_bad, had_good, walked, decayed)
    assert np.array_equal(compiled.counts, reference.counts)
    assert not np.array_equal(compiled.counts, counts)


def test_compiled_churn_step_gives_the_numpy_step_bit_for_bit():
    """Churn probabilities and the survivors' classes, compiled and numpy (runtime ~0.05 s, ~1 s compiling)."""
    if count_kernels.compiled() is None:
        pytest.skip("numba is not installed or CXROI_NUMBA=0: only the numpy step runs here")
    rng = np.random.default_rng(7)
    rows, segments, churn_k, buy_k = 300, 3, 12, 5
    churn_p = rng.random((churn_k, rows, segments)) * 0.3
    mix = classes.Mixture(churn_p, np.full(churn_p.shape, 1.0 / churn_k), rng.random((buy_k, rows, segments)),
                          None, np.full((buy_k, rows, segments), 1.0 / buy_k))
    multiplier = np.stack([np.ones((rows, segments)), rng.random((rows, segments)), 1.0 + 5.0 * rng.random((rows, segments))])
    n = rng.integers(0, 50, (3, rows, segments)).astype(float)
    n[:, :10] = 0.0  # empty states: every share there is 0
    counts = np.concatenate([mix.churn_weight[:, None] * n, mix.buy_weight[:, None] * n])
    def step():
        population = classes.Population(counts.copy(), churn_k)
        p = population.churn_probability(mix, multiplier, n)
        churned = np.floor(n * p)
        population.leave_churn(churned, n, splits.Noise(11, 0, rows, segments))
        return p, population.counts, population.buy, population.purchase_mean(mix, multiplier, n - churned)

    assert split_kernels.compiled() is not None
    results = [step()]
    with numpy_only() as switch:
        results.append(step())
    assert switch.refused > 0  # the numpy steps ran
    for compiled, numpy_step in zip(results[0], results[1], strict=True):
        assert compiled.tobytes() == numpy_step.tobytes()
