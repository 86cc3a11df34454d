"""Customer scores drawn ahead, by a forked process, while a command is still starting up.

Before its workers can simulate, ``cxroi run`` spends about 0.25 s importing
numpy, scipy and pydantic and validating the scenario, on one core; the
other cores wait. The engine's normal scores depend only on the seed, the
draws, the horizon and the number of segments (:func:`sim.model.streams.customer_scores`),
which the scenario file states plainly. :func:`draw_ahead` forks a process
that draws them, chunk by chunk as the run will ask for them, into memory the
workers inherit; :func:`customer_scores` hands a chunk's scores out from there
and otherwise draws them as always. The scores are the same numbers either
way (the same function drew them): the drawing has only moved off the
simulation's path, about a tenth of its time.
"""

from __future__ import annotations

import mmap
import os
import signal
import threading
from collections.abc import Callable

import numpy as np
import numpy.random  # noqa: F401 (lazy in numpy 2: loaded before the fork, not by the drawing process; runs need it)

from sim.model import streams

MAX_CHUNK = 2_000
"""Largest number of draws evaluated at once; bounds memory at a few tens of MB per worker."""
MAX_BYTES = 256 * 2**20
"""Scores drawn ahead at most (about 40,000 draws of the reference workload); larger runs draw them as they go."""

_HEADER = 64
"""Bytes before the scores in the shared memory: the count of chunks finished (and alignment)."""
_READY: dict[tuple, np.ndarray] = {}
"""Scores drawn ahead, by :func:`streams.customer_scores`'s arguments (read-only views of shared memory)."""


def chunk_bounds(draws: int, workers: int, chunk_draws: int | None) -> list[tuple[int, int]]:
    """(first, count) of each chunk of a run: whole blocks of :data:`streams.BLOCK`, a few per worker so progress moves."""
    if chunk_draws is None:
        chunk_draws = min(MAX_CHUNK, -(-draws // (4 * workers)))
    size = max(streams.BLOCK, -(-chunk_draws // streams.BLOCK) * streams.BLOCK)
    return [(first, min(size, draws - first)) for first in range(0, draws, size)]


def customer_scores(seed: int, first: int, count: int, periods: int, per_period: int, segments: int) -> np.ndarray:
    """:func:`streams.customer_scores` of the engine's stream, from the scores drawn ahead when they are there."""
    ready = _READY.get((seed, first, count, periods, per_period, segments))
    return ready if ready is not None else streams.customer_scores(seed, first, count, periods, per_period, segments)


def draw_ahead(seed: int, draws: int, periods: int, per_period: int, segments: int,
               chunks: list[tuple[int, int]]) -> Callable[..., None] | None:
    """Start drawing the scores of ``chunks``, in order, in a forked process; returns the function that
    takes the chunks drawn so far (and stops the rest: the workers draw those as usual). None where
    that is not possible: no fork, threads running (a fork beside them may deadlock) or more than
    :data:`MAX_BYTES`."""
    itemsize = np.dtype(np.float32).itemsize
    size = draws * periods * per_period * segments * itemsize
    if not hasattr(os, "fork") or threading.active_count() > 1 or not 0 < size <= MAX_BYTES:
        return None
    # Shared with the process forked below and with the workers forked later; the first 8 bytes
    # count the chunks finished.
    memory = mmap.mmap(-1, _HEADER + size)
    finished = np.ndarray((1,), np.int64, memory)
    views, offset = [], _HEADER
    for first, count in chunks:
        shape = (periods, per_period, count, segments)
        views.append(((seed, first, count, periods, per_period, segments), np.ndarray(shape, np.float32, memory, offset)))
        offset += int(np.prod(shape)) * itemsize
    child = os.fork()
    if child == 0:
        try:
            for done, (key, view) in enumerate(views, start=1):
                _fill(view, *key)
                finished[0] = done  # after the chunk's scores: x86 and ARM keep a process's stores in order here
        finally:
            os._exit(0)  # nothing of the parent's is cleaned up here

    def take(wait: bool = False) -> None:
        """Make the chunks drawn so far available (with ``wait``: all of them, once drawn)."""
        if not wait and int(finished[0]) < len(views):
            os.kill(child, signal.SIGKILL)  # the rest is the workers' again
        os.waitpid(child, 0)
        done = int(finished[0])
        for key, view in views[:done]:
            view.flags.writeable = False
            _READY[key] = view

    return take


def _fill(out: np.ndarray, seed: int, first: int, count: int, periods: int, per_period: int, segments: int) -> None:
    """:func:`streams.customer_scores` written into ``out`` block by block (no second copy of the whole chunk)."""
    for block, start, stop in streams.blocks(first, count):
        scores = streams.block_scores(seed, block, periods, per_period, segments)
        out[:, :, block * streams.BLOCK + start - first : block * streams.BLOCK + stop - first] = scores[:, :, start:stop]


def forget() -> None:
    """Drop the scores drawn ahead (their memory goes with the last view)."""
    _READY.clear()
