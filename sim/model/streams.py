"""Where every random number comes from: one seed, spawned into keyed streams.

Two rules make results reproducible whatever the chunking or number of worker
processes:

* each uncertain input draws from its own stream, keyed by its dotted path, so
  fixing or adding one input (a sweep, a ``--set``) leaves the draws of every
  other input unchanged;
* customer-level randomness comes in blocks of :data:`BLOCK` draws, each block
  from its own stream keyed by its index, so draw ``i`` sees the same normal
  scores whichever chunk it is computed in.
"""

from __future__ import annotations

import hashlib

import numpy as np

BLOCK = 250
"""Draws per customer-randomness block; chunks of work are whole blocks."""
SCORES_PER_PERIOD = 15
"""Normal scores the engine uses per (period, draw, segment): its slots in :mod:`sim.model.engine`."""

_INPUTS, _CUSTOMERS, _CORRELATIONS = 0, 1, 2
CLASSES, CLASSES_START = 3, 4
"""Stream keys of the latent classes' scores (per period, and for the split of the starting customers)."""


def input_stream(seed: int, path: str) -> np.random.Generator:
    """The generator for one uncertain input, keyed by its dotted path."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_INPUTS, _path_key(path))))


def correlation_stream(seed: int, paths: list[str]) -> np.random.Generator:
    """The generator for the rank scores that impose correlations on a group of inputs."""
    keys = tuple(_path_key(path) for path in sorted(paths))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_CORRELATIONS, *keys)))


def customer_scores(seed: int, first: int, count: int, periods: int, per_period: int, segments: int,
                    stream: int = _CUSTOMERS) -> np.ndarray:
    """Standard-normal scores for draws ``first .. first+count-1``: (periods, per_period, count, segments).

    float32 is ample for scores that only pick quantiles, and halves memory.
    ``stream`` keeps other uses (the latent classes' scores) apart from the engine's.
    """
    touched = blocks(first, count)
    scores = [block_scores(seed, block, periods, per_period, segments, stream) for block, _, _ in touched]
    offset = touched[0][1]  # where the first draw sits in its block
    return np.concatenate(scores, axis=2)[:, :, offset : offset + count]


def block_scores(seed: int, block: int, periods: int, per_period: int, segments: int,
                 stream: int = _CUSTOMERS) -> np.ndarray:
    """The scores of one block of :data:`BLOCK` draws: (periods, per_period, BLOCK, segments), float32."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, block))).standard_normal(
        (periods, per_period, BLOCK, segments), dtype=np.float32)


def blocks(first: int, count: int) -> list[tuple[int, int, int]]:
    """(block, start, stop) of each block that draws ``first .. first+count-1`` touch: the draws
    ``start:stop`` within that block."""
    return [(block, max(first - block * BLOCK, 0), min(first + count - block * BLOCK, BLOCK))
            for block in range(first // BLOCK, -(-(first + count) // BLOCK))]


def _path_key(path: str) -> int:
    """A stable 63-bit integer for a path (Python's hash() changes between runs)."""
    return int.from_bytes(hashlib.sha256(path.encode()).digest()[:8], "little") >> 1
