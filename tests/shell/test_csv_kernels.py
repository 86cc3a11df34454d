"""The compiled row formatter writes the bytes Python's '%.12g' writes (runtime ~1 s: ~450,000 numbers)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.shell import csv_kernels, csv_table

pytestmark = pytest.mark.skipif(csv_kernels.compiled() is None, reason="numba is not installed (pip install -e '.[fast]')")


def python_rows(values: np.ndarray, first: int, with_index: bool) -> bytes:
    lines = []
    for r, row in enumerate(values):
        cells = ([str(first + r)] if with_index else []) + ["" if v != v else "%.12g" % v for v in row]
        lines.append(",".join(cells) + "\n")
    return "".join(lines).encode()


def compiled_rows(tmp_path, values: np.ndarray, with_index: bool) -> bytes:
    path = tmp_path / "rows.csv"
    columns = {f"c{i}": values[:, i].copy() for i in range(values.shape[1])}
    csv_table.write_columns(columns, path, float_format="%.12g", index="draw" if with_index else None)
    return path.read_bytes().split(b"\n", 1)[1]


def awkward_numbers(rng) -> np.ndarray:
    """Every magnitude, whole numbers, short decimals, ties, powers of ten and their neighbours, specials."""
    spread = rng.standard_normal(200_000) * 10.0 ** rng.integers(-14, 36, 200_000)
    whole = np.round(rng.uniform(-1e7, 1e7, 50_000))
    short = np.concatenate([np.round(rng.uniform(0, 1, 5_000), d) for d in range(15)])
    powers = np.array([s * 10.0**e * m for e in range(-15, 36) for s in (1, -1)
                       for m in (1.0, 0.99999999999995, 1.00000000000005, 9.9999999999995, 5.00000000000005, 4.99999999999995)])
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 1e-300, 1e308, 1.7976931348623157e308, 1e-4, 1e-5,
                        999999999999.5, 999999999999.4, 99999999999.99, 1e22, 1e23, 1e33, 1e34, 0.5, 2.5, 2 / 3])
    numbers = np.concatenate([spread, whole, short, powers, np.nextafter(powers, np.inf), np.nextafter(powers, -np.inf),
                              special])
    return numbers[: numbers.size // 9 * 9].reshape(-1, 9)


@pytest.mark.parametrize("with_index", [True, False])
def test_rows_are_pythons_bytes(tmp_path, monkeypatch, with_index):
    monkeypatch.setattr(csv_table, "ROWS_PER_WRITE", 7_000)  # several blocks, row numbers running on
    values = awkward_numbers(np.random.default_rng(11))
    assert compiled_rows(tmp_path, values, with_index) == python_rows(values, 0, with_index)


def test_numbers_near_a_rounding_tie_are_left_to_python():
    """12 significant digits of 0.1234567890125 would round on a tie; the kernel leaves that to Python."""
    values = np.array([[0.1234567890125, 1.5, 1e-12]])
    out = np.empty(200, dtype=np.uint8)
    written, gaps, which = csv_kernels.compiled().csv_rows(values, 0, False, out)
    assert list(which) == [0, 2] and bytes(out[:written]) == b",1.5,\n" and list(gaps) == [0, 5]
