"""The latent classes' compiled steps against their numpy reference."""

import numpy as np
import pytest

from sim.model import classes, count_kernels


def test_compiled_move_gives_the_numpy_move_bit_for_bit():
    """Experiences and decay over classes, with empty states and nobody walking (runtime ~0.05 s, ~1 s compiling)."""
    if count_kernels.compiled() is None:
        pytest.skip("numba is not installed (pip install -e '.[fast]'): only the numpy step runs here")
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
    compiled, reference = classes.Population(counts.copy(), 12), classes.Population(counts.copy(), 12)
    compiled.move(n, had_bad, had_good, walked, decayed)
    reference.move_numpy(n, had_bad, had_good, walked, decayed)
    assert np.array_equal(compiled.counts, reference.counts)
    assert not np.array_equal(compiled.counts, counts)
