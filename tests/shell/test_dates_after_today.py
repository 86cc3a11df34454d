"""A data file dated in 2099 given to a fit command without --as-of is one line naming the file, row, column, value
and today, exit code 2, and nothing is written: neither the --into scenario nor the --out folder (0.7 s in all
after the imports, 1.2 s when this file runs alone).

It used to exit 0 and write the fit 'as of 2099-01-01' into the scenario. The year 2099 keeps these tests true
as time goes by; the day shown is the clock's, which the command reads once.
"""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest
from click.testing import CliRunner

from sim.shell.cli import main


def _copy(root, tmp_path, name: str, row: int | None = None, column: str | None = None) -> str:
    """scenarios/data/NAME.csv in tmp_path, with file row ``row`` (the header is row 1) of ``column`` set to 2099-01-01."""
    frame = pd.read_csv(root / "scenarios" / "data" / f"{name}.csv", dtype=str, keep_default_na=False)
    if row is not None:
        frame.loc[row - 2, column] = "2099-01-01"
    path = tmp_path / f"{name}.csv"
    frame.to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize("command, late", [
    ("customers", ("customers", 17, "start_date")),
    ("orders", ("orders", 7, "date")),  # business-11, still a customer
    ("orders --customers", ("orders", 7, "date")),
    ("orders --customers", ("customers", 17, "end_date")),  # retail-16, active
    ("support", ("tickets", 2, "opened")),  # retail-16's ticket
])
def test_a_date_after_today_without_as_of_is_one_line_and_nothing_is_written(command, late, root, tmp_path):
    name, row, column = late
    files = {other: _copy(root, tmp_path, other, *((row, column) if other == name else ()))
             for other in ("customers", "orders", "tickets")}
    args = {"customers": ["customers", files["customers"]],
            "orders": ["orders", files["orders"]],
            "orders --customers": ["orders", files["orders"], "--customers", files["customers"]],
            "support": ["support", files["tickets"], "--customers", files["customers"], "--column", "wait=wait_minutes"],
            }[command]
    scenario = tmp_path / "company.toml"
    shutil.copy(root / "scenarios" / "sample_company.toml", scenario)
    before = scenario.read_bytes()
    result = CliRunner().invoke(main, ["fit", *args, "--into", str(scenario), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output == (f"{files[name]}: row {row}, column '{column}': 2099-01-01 is after today "
                             f"({date.today():%Y-%m-%d}); correct the date, or give --as-of to say when the data end\n")
    assert scenario.read_bytes() == before and not (tmp_path / "out").exists()


def test_a_pilot_enrolled_in_2099_is_one_line_and_nothing_is_written(root, tmp_path):
    frame = pd.read_csv(root / "scenarios" / "data" / "pilot.csv")
    frame.loc[3, "enrolled"] = "2099-01-01"
    table = tmp_path / "pilot.csv"
    frame.to_csv(table, index=False)
    result = CliRunner().invoke(main, ["fit", "pilot", str(table), "--measure", "bad", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output == f"{table}: row 5, column 'enrolled': 2099-01-01 is after today ({date.today():%Y-%m-%d}); correct the date\n"
    assert not (tmp_path / "out").exists()


def test_an_order_after_the_tickets_and_customers_says_where_the_last_day_came_from(root, tmp_path):
    """fit support without --as-of takes its last day from the tickets and customers; an order after it said 'is
    after the as-of date 2025-12-31' to a user who gave none."""
    orders = _copy(root, tmp_path, "orders", 7, "date")
    result = CliRunner().invoke(main, ["fit", "support", str(root / "scenarios" / "data" / "tickets.csv"), "--customers",
                                       str(root / "scenarios" / "data" / "customers.csv"), "--orders", orders,
                                       "--out", str(tmp_path / "out")])
    assert (result.exit_code, result.output) == (2, f"{orders}: row 7, column 'date': order date 2099-01-01 is after "
                                                    "2025-12-31, the last day of the tickets and customers (no --as-of given)\n")
    assert not (tmp_path / "out").exists()
