"""The fast CSV writer writes the bytes pandas' to_csv writes (runtime well under 1 s)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.shell import csv_table
from sim.shell.csv_table import write_csv


def awkward_frame(rows: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    x = rng.standard_normal(rows) * 10.0 ** rng.integers(-20, 20, rows)
    x[::7] = np.nan
    x[1], x[2], x[3], x[4] = np.inf, -np.inf, -0.0, 1e16
    frame = pd.DataFrame({
        "arm": np.where(np.arange(rows) % 2, "maintenance", "baseline"),  # contains 'nan': must stay intact
        "period": np.arange(rows) % 36 + 1,
        "x": x,
        "whole": np.round(rng.uniform(0, 1e6, rows)),
        "ratio": rng.uniform(size=rows),
    })
    frame.index.name = "draw"
    return frame


@pytest.mark.parametrize("options", [{"float_format": "%.12g"}, {"index": False}, {}])
def test_same_bytes_as_pandas(tmp_path, monkeypatch, options):
    monkeypatch.setattr(csv_table, "ROWS_PER_WRITE", 1000)  # several blocks
    frame = awkward_frame()
    frame.to_csv(tmp_path / "pandas.csv", **options)
    write_csv(frame, tmp_path / "ours.csv", **options)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_text_that_needs_quotes_goes_to_pandas(tmp_path):
    frame = pd.DataFrame({"label": ["a, b", 'say "hi"'], "x": [1.5, np.nan]})
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    write_csv(frame, tmp_path / "ours.csv", index=False)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_append_adds_rows_without_a_header(tmp_path):
    frame = awkward_frame(100)
    frame.to_csv(tmp_path / "pandas.csv", float_format="%.12g")
    write_csv(frame.iloc[:40], tmp_path / "ours.csv", float_format="%.12g")
    write_csv(frame.iloc[40:], tmp_path / "ours.csv", float_format="%.12g", append=True)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


@pytest.mark.parametrize("index", ["draw", None])
def test_columns_without_a_frame_give_the_frames_bytes(tmp_path, index):
    """What a run's folder writes (a dict of arrays and lists, no pandas) is what pandas writes of that frame."""
    frame = awkward_frame(500)
    columns = {name: (frame[name].tolist() if name == "arm" else frame[name].to_numpy()) for name in frame.columns}
    frame.to_csv(tmp_path / "pandas.csv", float_format="%.12g", index=index is not None)
    csv_table.write_columns(columns, tmp_path / "ours.csv", float_format="%.12g", index=index)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
    quoted = {"label": ["a, b", 'say "hi"'], "x": np.array([1.5, np.nan])}
    pd.DataFrame(quoted).to_csv(tmp_path / "pandas.csv", index=False)
    csv_table.write_columns(quoted, tmp_path / "ours.csv")
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
