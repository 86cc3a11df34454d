"""Numerical kernels the model's count steps call: compiled with numba where installed, numpy otherwise.

Each kernel module answers ``compiled()`` with its kernels or None; the model then runs the
numpy reference of each step, which the kernels reproduce bit for bit. :func:`numpy_only`
is the one test hook that switches every module to the numpy path at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Switch:
    """Whether the numpy references run instead of the kernels, and how many kernel look-ups were refused."""

    active: bool = False
    refused: int = 0


SWITCH = Switch()


@contextmanager
def numpy_only() -> Iterator[Switch]:
    """Inside the block every ``compiled()`` answers None, so the model's numpy reference steps run.

    Yields the switch: its ``refused`` counts the look-ups answered so, and a test asserts it
    is above 0, so that a test of the numpy path notices when the code no longer asks.
    """
    SWITCH.active, SWITCH.refused = True, 0
    try:
        yield SWITCH
    finally:
        SWITCH.active = False


def refused() -> bool:
    """True (and counted) while :func:`numpy_only` is active."""
    if SWITCH.active:
        SWITCH.refused += 1
    return SWITCH.active
