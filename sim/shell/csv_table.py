"""Writing a table as CSV, byte for byte what pandas' ``DataFrame.to_csv`` writes, at a fraction of the cost.

pandas formats a float column value by value through Python when given a
``float_format`` (draws.csv) and builds a string array per block otherwise
(bands.csv): about 1.4 s for a 10,000-draw run. Here each row is one ``%``
operation on a tuple (the formatting loop runs in C), NaN is written as an
empty field as pandas does, and the text goes out in blocks of rows, so a
table of a million draws never exists as one string. Tables this cannot write
exactly as pandas would (text that needs quoting, other column types) go to
pandas. A run's draws.csv is formatted by forked processes, each a share of
the rows, while the run's process reduces the bands (:func:`write_columns`
with ``background``). ``tests/shell/test_csv_table.py`` compares the bytes with pandas.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and pandas load with the table, not with the command line
    import numpy as np
    import pandas as pd

ROWS_PER_WRITE = 20_000
ROWS_PER_WRITER = 2_500
"""Rows a forked writer must have at least to be worth its start (a few milliseconds)."""
MAX_WRITERS = 4
_NEEDS_QUOTES = set(',"\n\r')


def write_csv(frame: "pd.DataFrame", path: str | Path, float_format: str | None = None, index: bool = True,
              append: bool = False) -> None:
    """``frame.to_csv(path, float_format=..., index=...)``; ``append`` adds rows (no header) to an existing file."""
    columns = ([frame.index.to_numpy()] if index else []) + [frame[name].to_numpy() for name in frame.columns]
    names = ([frame.index.name or ""] if index else []) + [str(name) for name in frame.columns]
    formats = _formats(names, columns, float_format)
    if formats is None:
        frame.to_csv(path, float_format=float_format, index=index, mode="a" if append else "w", header=not append)
        return
    _write_rows(names, columns, formats, path, append, 0, len(frame))


def write_columns(columns: dict, path: str | Path, float_format: str | None = None, index: str | None = None,
                  append: bool = False, background: bool = False) -> Callable[[], None]:
    """What :func:`write_csv` writes for ``pandas.DataFrame(columns)`` (with its row numbers as a first column
    named ``index``, when given), without building the frame: the columns are arrays or lists.

    With ``background``, a long table's rows are formatted by forked processes (one per core, up to
    :data:`MAX_WRITERS`) while the caller goes on; call the returned function to wait for them and
    assemble the file. Otherwise (and where forking is not possible) the file is written before returning.
    """
    import numpy as np

    arrays = [column if isinstance(column, np.ndarray) else np.array(column, dtype=object) for column in columns.values()]
    rows = len(arrays[0]) if arrays else 0
    names = ([index] if index is not None else []) + [str(name) for name in columns]
    arrays = ([np.arange(rows)] if index is not None else []) + arrays
    formats = _formats(names, arrays, float_format)
    if formats is None:  # only pandas writes these exactly
        import pandas as pd

        frame = pd.DataFrame(columns)
        frame.index.name = index
        write_csv(frame, path, float_format, index is not None, append)
        return _done
    kernels = _compiled_formatter(arrays, formats, float_format, index is not None)
    if kernels is not None:
        _write_compiled(kernels, names, arrays[1:] if index is not None else arrays, path, append, index is not None)
        return _done
    writers = min(MAX_WRITERS, os.cpu_count() or 1, rows // ROWS_PER_WRITER) if background else 1
    if writers < 2 or not hasattr(os, "fork") or threading.active_count() > 1:  # never fork beside a thread
        _write_rows(names, arrays, formats, path, append, 0, rows)
        return _done
    bounds = [rows * part // writers for part in range(writers + 1)]
    parts = [Path(f"{path}.part{part}") for part in range(writers)]
    children = [_fork_writer(names, arrays, formats, parts[part], bounds[part], bounds[part + 1]) for part in range(writers)]
    _write_rows(names, arrays, formats, path, append, 0, 0)  # the header: this process is free for other work

    def finish() -> None:
        try:
            failed = [part for child, part in zip(children, parts) if os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])]
            if failed:
                raise OSError(f"{path}: a process writing its rows failed")
            with open(path, "ab") as out:
                for part in parts:
                    with open(part, "rb") as rows_written:
                        shutil.copyfileobj(rows_written, out)
        finally:
            for part in parts:
                part.unlink(missing_ok=True)

    return finish


def _done() -> None:
    """Nothing to wait for: the file is written."""


def _compiled_formatter(columns: list, formats: list[str], float_format: str | None, with_index: bool):
    """The compiled row formatter (:mod:`sim.shell.csv_kernels`) where it writes this table: every number a
    float64 in ``%.12g`` (after the row numbers), and numba installed; else None."""
    numbers = columns[1:] if with_index else columns
    if float_format != "%.12g" or not numbers or any(fmt != float_format for fmt in formats[1 if with_index else 0:]):
        return None
    if any(column.dtype.kind != "f" or column.dtype.itemsize != 8 for column in numbers):
        return None
    from sim.shell import csv_kernels

    return csv_kernels.compiled()


def _write_compiled(kernels, names: list[str], numbers: list, path: str | Path, append: bool, with_index: bool) -> None:
    """The table's rows by the compiled formatter, a block of rows at a time; the numbers it leaves to Python
    (within a hair of a rounding tie, or beyond its powers of ten) formatted by Python in its gaps."""
    import numpy as np

    from sim.shell.csv_kernels import BYTES_PER_NUMBER, BYTES_PER_ROW_INDEX

    rows = len(numbers[0])
    buffer = np.empty(0, dtype=np.uint8)
    with open(path, "ab" if append else "wb") as out:
        if not append:
            out.write((",".join(names) + "\n").encode("utf-8"))
        for start in range(0, rows, ROWS_PER_WRITE):
            block = np.stack([column[start : start + ROWS_PER_WRITE] for column in numbers], axis=1)
            room = len(block) * (block.shape[1] * BYTES_PER_NUMBER + BYTES_PER_ROW_INDEX + 1)
            if buffer.size < room:
                buffer = np.empty(room, dtype=np.uint8)
            written, gaps, which = kernels.csv_rows(block, start, with_index, buffer)
            text = memoryview(buffer)[:written]
            previous, flat = 0, block.ravel()
            for gap, index in zip(gaps.tolist(), which.tolist()):
                out.write(text[previous:gap])
                out.write(("%.12g" % flat[index]).encode("ascii"))
                previous = gap
            out.write(text[previous:])


def _fork_writer(names, arrays, formats, path: Path, first: int, stop: int) -> int:
    """A forked process that writes rows ``first:stop`` (no header) to ``path`` and exits 0, or 1 on any error."""
    child = os.fork()
    if child:
        return child
    code = 1
    try:
        _write_rows(names, arrays, formats, path, True, first, stop)
        code = 0
    finally:
        os._exit(code)  # no clean-up of the parent's state: its files, buffers and handlers are its own


def _write_rows(names: list[str], columns: list, formats: list[str], path: str | Path, append: bool, first: int,
                stop: int) -> None:
    """Rows ``first:stop`` of the columns as pandas writes them, after the header unless ``append``."""
    with open(path, "a" if append else "w", encoding="utf-8", newline="") as out:
        if not append:
            out.write(",".join(names) + "\n")
        for start in range(first, stop, ROWS_PER_WRITE):
            end = min(start + ROWS_PER_WRITE, stop)
            block = [_cells(column[start:end], fmt) for column, fmt in zip(columns, formats)]
            row_format = ",".join(fmt for _, fmt in block) + "\n"
            out.write("".join(row_format % row for row in zip(*(cells for cells, _ in block))))


def _formats(names: list[str], columns: list, float_format: str | None) -> list[str] | None:
    """Each column's %-format as pandas writes it, or None when only pandas can write the table exactly."""
    formats = [_format(column, float_format) for column in columns]
    if None in formats or any(_NEEDS_QUOTES & set(name) for name in names):
        return None
    return formats


def _format(column: "np.ndarray", float_format: str | None) -> str | None:
    """The %-format of a column's cells as pandas writes them, or None when only pandas can."""
    kind = column.dtype.kind
    if kind == "f" and column.dtype.itemsize == 8:
        return float_format or "%r"  # repr: the shortest text that reads back as the same float, as numpy's str
    if kind in "iu":
        return "%d"
    if kind in "OU" and all(isinstance(value, str) and not (_NEEDS_QUOTES & set(value)) and value for value in column):
        return "%s"
    return None


def _cells(column: "np.ndarray", fmt: str) -> tuple[list, str]:
    """(Python values of a block of one column, their format); floats with NaN come as text, NaN as ''."""
    import numpy as np

    values = column.tolist()
    if fmt not in ("%d", "%s") and np.isnan(column).any():
        return ["" if value != value else fmt % value for value in values], "%s"
    return values, fmt
