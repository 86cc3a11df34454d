"""Streaming a run's per-period series to disk changes no number (runtime about 1 s)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import sim
from sim.compute.spill import SeriesSpill

ROOT = Path(__file__).resolve().parents[2]


def test_spill_gives_back_every_value_bit_for_bit(tmp_path):
    spill = SeriesSpill(periods=3, root=tmp_path)
    chunks = {
        0: np.array([[1.0, 2.0, 3e9], [0.0, 5.0, 6.0]]),                  # whole numbers, one beyond int32
        2: np.array([[-0.0, 1.0, 2.0], [np.nan, np.inf, 0.5]]),           # signed zero, NaN, inf, fractions
        4: np.zeros((1, 3)),                                              # all zero: not written
    }
    for first in (4, 0, 2):  # chunks may arrive out of order
        spill.add(first, {("baseline", "x"): chunks[first], ("baseline", "y"): -chunks[first]})
    x = np.concatenate([chunks[0], chunks[2], chunks[4]])
    for key, want in ((("baseline", "x"), x), (("baseline", "y"), -x)):
        got = spill.load(key)
        assert got.dtype == np.float64
        assert np.array_equal(got.view(np.int64), want.view(np.int64))  # bits, so -0.0 and NaN count
    folder = spill.folder
    spill.close()
    assert not folder.exists()


def test_a_streamed_run_has_the_numbers_and_bands_of_an_in_memory_run():
    loaded = sim.load(ROOT / "benchmarks" / "reference_operations.toml")
    memory = sim.run(loaded, draws=600, seed=3, workers=1, stream=False)
    streamed = sim.run(loaded, draws=600, seed=3, workers=1, chunk_draws=250, stream=True)
    assert streamed.flows == {} and streamed.spill is not None
    assert json.dumps(streamed.summary_dict()) == json.dumps(memory.summary_dict())
    assert streamed.draws.equals(memory.draws)
    assert np.array_equal(streamed.bands.to_numpy(), memory.bands.to_numpy())
    assert list(streamed.bands.columns) == list(memory.bands.columns)
