"""Timing helpers the benchmark scripts share (run as ``python benchmarks/X.py``, so this folder is on sys.path)."""

from __future__ import annotations

import time


def timed(function) -> float:
    """Wall-clock seconds of one call of ``function()``."""
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def best_time(loaded, draws: int, workers: int | None, repeat: int) -> float:
    """The fastest of ``repeat`` simulations of ``loaded`` (``sim.run``), in seconds: the least disturbed by other load."""
    import sim

    return min(timed(lambda: sim.run(loaded, draws=draws, workers=workers)) for _ in range(repeat))
