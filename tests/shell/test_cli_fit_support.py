"""`cxroi fit support` at the command line: writes a scenario, refuses bad tickets without writing (about 5 s)."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.fit.synthetic_support import SupportTruth, company
from sim.shell.cli import main
from sim.shell.loader import load

NORDIC = Path(__file__).resolve().parents[2] / "scenarios" / "nordic_midsize.toml"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("support")
    truths = {"b2b": SupportTruth(arrivals=60), "b2c": SupportTruth(arrivals=120)}
    customers, tickets, orders = company(np.random.default_rng(5), truths, months=30)
    customers.to_csv(folder / "customers.csv", index=False)
    tickets.to_csv(folder / "tickets.csv", index=False)
    orders[["customer_id", "date"]].to_csv(folder / "orders.csv", index=False)
    return folder


def test_estimates_are_written_into_the_scenario_with_widened_intervals(files, tmp_path):
    scenario = tmp_path / "nordic.toml"
    shutil.copy(NORDIC, scenario)
    result = CliRunner().invoke(main, ["fit", "support", str(files / "tickets.csv"), "--customers", str(files / "customers.csv"),
                                       "--orders", str(files / "orders.csv"), "--into", str(scenario), "--widen", "3"])
    assert result.exit_code == 0, result.output
    experience = load(scenario).scenario.segments["b2c"].experience
    assert "cxroi fit support" in experience.walk_away.source and "widened x3" in experience.walk_away.source
    assert 0.15 < experience.walk_away.base < 0.35
    assert "Caveat: observational estimate" in result.output


def test_a_csat_out_of_scale_is_one_line_and_nothing_is_written(files, tmp_path):
    tickets = (files / "tickets.csv").read_text().splitlines()
    head, *rows = tickets
    rows[2] = rows[2].rsplit(",", 1)[0] + ",7"
    bad = tmp_path / "tickets.csv"
    bad.write_text("\n".join([head, *rows]) + "\n")
    scenario = tmp_path / "nordic.toml"
    shutil.copy(NORDIC, scenario)
    result = CliRunner().invoke(main, ["fit", "support", str(bad), "--customers", str(files / "customers.csv"),
                                       "--into", str(scenario)])
    assert result.exit_code == 2
    assert result.output == f"{bad}: row 4, column 'csat': 7 is not allowed: CSAT must be a whole number from 1 to 5\n"
    assert scenario.read_bytes() == NORDIC.read_bytes()
