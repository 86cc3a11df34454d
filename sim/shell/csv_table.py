"""Writing a table as CSV, byte for byte what pandas' ``DataFrame.to_csv`` writes, at a fraction of the cost.

pandas formats a float column value by value through Python when given a
``float_format`` (draws.csv) and builds a string array per block otherwise
(bands.csv): about 1.4 s for a 10,000-draw run. Here each row is one ``%``
operation on a tuple (the formatting loop runs in C), NaN is written as an
empty field as pandas does, and the text goes out in blocks of rows, so a
table of a million draws never exists as one string. Tables this cannot write
exactly as pandas would (text that needs quoting, other column types) go to
pandas. ``tests/shell/test_csv_table.py`` compares the bytes with pandas.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and pandas load with the table, not with the command line
    import numpy as np
    import pandas as pd

ROWS_PER_WRITE = 1_000
"""Rows formatted and written at a time. Small blocks reuse the memory the block before them freed: blocks of
20,000 rows made a 10,000-draw run's draws.csv take a fifth longer, in page faults for fresh memory."""
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
                  append: bool = False) -> None:
    """What :func:`write_csv` writes for ``pandas.DataFrame(columns)`` (with its row numbers as a first column
    named ``index``, when given), without building the frame: the columns are arrays or lists."""
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
        return
    _write_rows(names, arrays, formats, path, append, 0, rows)


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
