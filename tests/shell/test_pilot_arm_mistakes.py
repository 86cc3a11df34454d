"""fit pilot: a row with events but no exposure, and an arm given without the other, get a line that says
what is wrong (0.1 s).

A row of 9 bad experiences in 0 contacts used to be told '0 is not allowed: an arm needs some contacts',
though rows of 0 contacts are fine (a customer who never called); --treated without --control, and neither
of them nor a table, got 'give a pilot TABLE or both --treated and --control, not both'.
"""

import pytest
from click.testing import CliRunner

from sim.shell.cli import main

TABLE = "arm,customers,churned,contacts,bad,purchases,customer_periods\n" \
        "treated,1,0,2,1,3,6\ncontrol,1,0,0,0,2,6\ncontrol,1,0,0,9,5,0\n"


def _fit(*args):
    return CliRunner().invoke(main, ["fit", "pilot", *map(str, args)])


@pytest.mark.parametrize("measure, line", [
    ("bad", "row 4, column 'bad': 9 bad of 0 contacts: bad must be at most contacts"),
    ("purchases", "row 4, column 'purchases': 5 purchases in 0 customer-periods: a row with purchases needs "
                  "customer-periods"),
])
def test_a_row_with_events_and_no_exposure_names_both(measure, line, tmp_path):
    table = tmp_path / "pilot.csv"
    table.write_text(TABLE)
    result = _fit(table, "--measure", measure, "--out", tmp_path / "o")
    assert (result.exit_code, result.output) == (2, f"{table}: {line}\n")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args, line", [
    (["--treated", "1/10"], "--treated needs --control too (or give a pilot TABLE instead)"),
    (["--control", "1/10"], "--control needs --treated too (or give a pilot TABLE instead)"),
    ([], "give a pilot TABLE, or the arms' counts with --treated and --control"),
])
def test_an_arm_alone_or_none_says_what_is_missing(args, line):
    result = _fit("--measure", "churn", *args)
    assert (result.exit_code, result.output) == (2, line + "\n")
