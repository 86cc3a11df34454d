"""The normal scores an analysis draws again come from a per-process cache: the same scores bit for bit (instant)."""

import numpy as np

from sim.compute import simulation
from sim.model import streams


def test_cached_scores_are_the_streams_scores_whatever_the_chunk_or_budget(monkeypatch):
    monkeypatch.setattr(simulation, "_SCORES", type(simulation._SCORES)())
    monkeypatch.setattr(simulation, "SCORES_CACHE_BYTES", 3 * streams.BLOCK * 4 * 3 * 2 * 4)  # three blocks
    for first, count, stream in ((0, 600, None), (250, 300, None), (100, 700, streams.CLASSES), (0, 600, None)):
        expected = streams.customer_scores(7, first, count, 4, 3, 2, *(() if stream is None else (stream,)))
        got = simulation.customer_scores(7, first, count, 4, 3, 2, stream, keep=True)
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == expected.dtype and got.shape == expected.shape
    assert sum(part.nbytes for part in simulation._SCORES.values()) <= simulation.SCORES_CACHE_BYTES
    kept = dict(simulation._SCORES)
    np.testing.assert_array_equal(simulation.customer_scores(7, 1000, 250, 4, 3, 2), streams.customer_scores(7, 1000, 250, 4, 3, 2))
    assert list(simulation._SCORES) == list(kept)  # a run's scores are not kept
