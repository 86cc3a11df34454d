"""Worker processes for chunks of draws: one pool, reused across the runs of an analysis.

Results never depend on the number of workers (see :mod:`sim.model.streams`), so this
module only decides how many processes share the work.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any


class Pool:
    """Maps a function over jobs in ``size`` processes (in this process when size is 1)."""

    def __init__(self, size: int):
        self.size = size
        self._executor = ProcessPoolExecutor(size, mp_context=_context()) if size > 1 else None

    def map(self, function: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        """Results in job order, as they become available."""
        if self._executor is None:
            return map(function, jobs)
        return self._executor.map(function, jobs)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)


def worker_count(workers: int | None) -> int:
    """The requested number of workers, or every core."""
    return max(1, workers if workers is not None else (os.cpu_count() or 1))


@contextmanager
def pool(workers: int | None):
    """A :class:`Pool` of ``workers`` processes (default: all cores), shut down on exit."""
    shared = Pool(worker_count(workers))
    try:
        yield shared
    finally:
        shared.close()


def _context():
    """fork where the platform has it (fast start, nothing to re-import), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")
