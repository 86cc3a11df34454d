"""draws.csv holds numbers a spreadsheet reads as numbers: a payback beyond the horizon is an empty cell,
while draws.parquet and the Python API keep their infinite sentinel (about 2 s)."""

from __future__ import annotations

import csv
import math

import pandas as pd
import pytest

import sim
from sim.shell import results_folder
from tests.conftest import build, scenario_dict


@pytest.mark.parametrize("draws", [50, 6000])  # the second goes through the forked / compiled writers
def test_a_payback_beyond_the_horizon_is_an_empty_cell_in_draws_csv(tmp_path, draws):
    raw = scenario_dict(draws=draws)
    raw["interventions"]["program"]["changes"][0]["scale"] = {"dist": "uniform", "low": 0.0, "high": 1.5}
    result = sim.run(build(raw), draws=draws, seed=2)
    folder = results_folder.write(result, tmp_path / "out")
    rows = list(csv.DictReader((folder / "draws.csv").open()))
    cells = [row["program.payback_period"] for row in rows]
    never = result.draws["program.payback_period"].to_numpy() == math.inf
    assert 0 < never.sum() < draws  # some draws pay back, some never do
    assert [cell == "" for cell in cells] == list(never)
    assert all(float(cell) > 0 for cell in cells if cell)
    assert "inf" not in (folder / "draws.csv").read_text()
    assert pd.read_csv(folder / "draws.csv")["program.payback_period"].dtype == float


def test_parquet_and_the_python_api_keep_the_sentinel(tmp_path):
    pytest.importorskip("pyarrow")
    raw = scenario_dict(draws=50)
    raw["interventions"]["program"]["changes"][0]["scale"] = {"dist": "uniform", "low": 0.0, "high": 1.5}
    result = sim.run(build(raw), draws=50, seed=2)
    folder = results_folder.write(result, tmp_path / "out", tables="parquet")
    assert (pd.read_parquet(folder / "draws.parquet")["program.payback_period"] == sim.BEYOND_HORIZON).any()
