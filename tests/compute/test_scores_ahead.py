"""Scores drawn ahead in a forked process are the scores the engine would draw (runtime ~0.5 s)."""

import numpy as np
import pytest

import sim
from sim.model import streams
from sim.compute import parallel, scores_ahead
from sim.compute.simulation import evaluate, sample


@pytest.fixture(autouse=True)
def _forget(monkeypatch):
    monkeypatch.setattr(scores_ahead.threading, "active_count", lambda: 1)  # other tests may leave threads behind
    yield
    scores_ahead.forget()


def test_scores_drawn_ahead_are_the_streams_scores_read_only():
    chunks = scores_ahead.chunk_bounds(1_100, 2, None)
    ready = scores_ahead.draw_ahead(7, 1_100, 12, streams.SCORES_PER_PERIOD, 2, chunks)
    assert ready is not None
    ready(wait=True)
    for first, count in chunks:
        ahead = scores_ahead.customer_scores(7, first, count, 12, streams.SCORES_PER_PERIOD, 2)
        assert not ahead.flags.writeable
        assert np.array_equal(ahead, streams.customer_scores(7, first, count, 12, streams.SCORES_PER_PERIOD, 2))
    other = scores_ahead.customer_scores(8, 0, 250, 12, streams.SCORES_PER_PERIOD, 2)  # not drawn ahead
    assert other.flags.writeable


def test_a_run_with_scores_drawn_ahead_has_the_same_flows(monkeypatch):
    loaded = sim.load("benchmarks/reference.toml")
    scenario = loaded.scenario
    values = sample(scenario, 500, 3)
    plain = evaluate(scenario, values, 3)
    ready = scores_ahead.draw_ahead(3, 500, scenario.settings.horizon, streams.SCORES_PER_PERIOD,
                                    len(scenario.segments), [(0, 500)])
    ready(wait=True)
    monkeypatch.setattr(streams, "customer_scores", lambda *args, **kwargs: pytest.fail("drew the scores again"))
    ahead = evaluate(scenario, values, 3)
    for arm in plain:
        for name in plain[arm]:
            assert np.array_equal(plain[arm][name], ahead[arm][name]), (arm, name)


def test_nothing_is_drawn_ahead_beside_a_thread_or_beyond_the_memory_limit(monkeypatch):
    monkeypatch.setattr(scores_ahead.threading, "active_count", lambda: 2)
    assert scores_ahead.draw_ahead(1, 500, 12, 15, 1, [(0, 500)]) is None
    monkeypatch.setattr(scores_ahead.threading, "active_count", lambda: 1)
    too_many = scores_ahead.MAX_BYTES // (12 * 15 * 4) + 250
    assert scores_ahead.draw_ahead(1, too_many, 12, 15, 1, scores_ahead.chunk_bounds(too_many, 2, None)) is None
    assert parallel.forks_workers(1) is False


def test_the_chunks_not_drawn_yet_are_left_to_the_workers():
    """Taken at once, the process is stopped: the chunks it finished are there, the others draw as usual."""
    chunks = scores_ahead.chunk_bounds(20_000, 2, None)
    take = scores_ahead.draw_ahead(5, 20_000, 36, streams.SCORES_PER_PERIOD, 3, chunks)
    take()
    ready = [first for first, count in chunks if (5, first, count, 36, streams.SCORES_PER_PERIOD, 3) in scores_ahead._READY]
    assert ready == [first for first, _ in chunks[: len(ready)]] and len(ready) < len(chunks)
    first, count = chunks[-1]
    assert np.array_equal(scores_ahead.customer_scores(5, first, count, 36, streams.SCORES_PER_PERIOD, 3),
                          streams.customer_scores(5, first, count, 36, streams.SCORES_PER_PERIOD, 3))


def test_blocks_cover_any_range_of_draws():
    assert streams.blocks(0, 500) == [(0, 0, 250), (1, 0, 250)]
    assert streams.blocks(260, 300) == [(1, 10, 250), (2, 0, 60)]
    out = np.empty((2, 3, 300, 1), np.float32)
    scores_ahead._fill(out, 4, 260, 300, 2, 3, 1)
    assert np.array_equal(out, streams.customer_scores(4, 260, 300, 2, 3, 1))
