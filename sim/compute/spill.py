"""Per-period series of a long run kept on disk, chunk by chunk, and read back one series at a time.

A run's per-period bands need every draw's value of every flow in every
period: about 27 KB a draw on the reference workload, 27 GB at a million
draws. A run that streams (:func:`sim.compute.simulation.run` with ``stream``)
hands each finished chunk's series to a :class:`SeriesSpill`, which writes
them to a temporary folder and keeps nothing in memory; the bands are then
computed one series at a time from the files, so memory holds one series
(draws x periods) at most. Percentiles stay exact, and equal to those of an
in-memory run bit for bit: a series is read back in draw order as float64.

Storage is lossless and small: a chunk's series that is all zeros (support
capacity in scenarios without operations) is not written, and one of whole
numbers (customers, contacts, ...) that fit 32 bits is written as int32.
"""

from __future__ import annotations

import errno
import shutil
import tempfile
import weakref
from pathlib import Path

import numpy as np

_INT32 = np.iinfo(np.int32)


class SeriesSpill:
    """Series ``(draws, periods)`` per key, written chunk by chunk; the folder is removed with the object."""

    def __init__(self, periods: int, root: str | Path | None = None):
        self.periods = periods
        self.folder = Path(tempfile.mkdtemp(prefix="cxroi-spill-", dir=root))
        self._remove = weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)
        self.keys: list[tuple[str, str]] = []
        self._chunks: list[tuple[int, int]] = []  # (first draw, count), in draw order once sorted
        self._stored: dict[tuple[tuple[str, str], int], str] = {}  # (key, first) -> 'zero' | file name
        self._order: dict[tuple[str, str], str] = {}  # memory layout of the key's chunks: 'C' or 'F'

    def add(self, first: int, series: dict[tuple[str, str], np.ndarray]) -> None:
        """Write one chunk's series (each ``(count, periods)``) for draws from ``first`` on."""
        count = None
        for key, values in series.items():
            if key not in self.keys:
                self.keys.append(key)
            count = len(values)
            if values.flags.f_contiguous and not values.flags.c_contiguous:
                self._order[key] = "F"
            self._stored[key, first] = self._write(self.keys.index(key), first, values)
        self._chunks.append((first, count or 0))

    def load(self, key: tuple[str, str]) -> np.ndarray:
        """The whole series of ``key``, ``(draws, periods)`` float64, in draw order.

        In the memory layout its chunks had (as np.concatenate of them would be): a
        mean over draws sums in a different order in C and Fortran layout, and must
        come out as an in-memory run's to the last bit.
        """
        chunks = sorted(self._chunks)
        out = np.zeros((sum(count for _, count in chunks), self.periods), order=self._order.get(key, "C"))
        row = 0
        for first, count in chunks:
            stored = self._stored[key, first]
            if stored != "zero":
                out[row : row + count] = np.load(self.folder / stored)
            row += count
        return out

    def close(self) -> None:
        """Remove the folder now (it is also removed when the object is collected, or at exit)."""
        self._remove()

    def _write(self, index: int, first: int, values: np.ndarray) -> str:
        if not values.any() and not np.signbit(values).any():  # +0.0 everywhere
            return "zero"
        name = f"{index:03d}-{first:012d}.npy"
        if _whole_int32(values):
            values = values.astype(np.int32)
        try:
            np.save(self.folder / name, values, allow_pickle=False)
        except OSError as error:  # a full disk shows as numpy's "N requested and M written", without a cause
            cause = error.strerror or str(error)
            raise OSError(error.errno or errno.ENOSPC, f"cannot store a long run's per-period series ({cause}): is the "
                          "disk full? Free space there, or set TMPDIR to a folder on a larger disk",
                          str(self.folder)) from None
        return name


def _whole_int32(values: np.ndarray) -> bool:
    """True when every value is a whole number that int32 holds exactly (so float64 comes back unchanged, -0.0 aside)."""
    return bool(values.min() >= _INT32.min and values.max() <= _INT32.max and np.array_equal(np.floor(values), values)
                and not np.signbit(values[values == 0]).any())
