"""A data table saved the wrong way gets one line that says how to fix it, and nothing is written (1 s in all, most of it the first import).

A table separated by semicolons (what a spreadsheet in many European locales saves as "CSV") used to get a
line per required column, each listing the single column 'customer_id;start_date;end_date'; an empty file
got pandas' 'No columns to parse from file'; headers in capitals got no suggestion.
"""

import shutil

import pytest
from click.testing import CliRunner

from sim.shell.cli import main

HEADER = ["customer_id", "start_date", "end_date", "segment"]
ROWS = [["retail-1", "2023-01-15", "2025-04-03", "retail"], ["retail-2", "2023-01-12", "", "retail"]]


def _fit_into(table, tmp_path, root):
    scenario = tmp_path / "company.toml"
    shutil.copy(root / "scenarios" / "sample_company.toml", scenario)
    before = scenario.read_bytes()
    result = CliRunner().invoke(main, ["fit", "customers", str(table), "--into", str(scenario),
                                       "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert scenario.read_bytes() == before and not (tmp_path / "o").exists()
    return result.output.splitlines()


@pytest.mark.parametrize("separator, shown", [(";", "';'"), ("\t", "tab")])
def test_a_table_not_separated_by_commas_is_one_line(separator, shown, tmp_path, root):
    table = tmp_path / "customers.csv"
    table.write_text("\n".join(separator.join(row) for row in [HEADER, *ROWS]) + "\n")
    assert _fit_into(table, tmp_path, root) == [
        f"{table}: the columns are separated by {shown}, not commas; save the table as CSV with commas between the columns"]


def test_an_empty_table_says_so(tmp_path, root):
    table = tmp_path / "customers.csv"
    table.write_bytes(b"")
    assert _fit_into(table, tmp_path, root) == [
        f"{table}: the file is empty; a table starts with a header row of column names"]


def test_a_header_in_other_letters_is_suggested(tmp_path, root):
    table = tmp_path / "customers.csv"
    table.write_text("\n".join(",".join(row) for row in [[c.upper() for c in HEADER], *ROWS]) + "\n")
    assert _fit_into(table, tmp_path, root) == [
        f"{table}: column '{name}': missing; did you mean '{name.upper()}'?" for name in HEADER[:3]]


def test_a_row_with_a_cell_too_many_names_its_line(tmp_path, root):
    """An unquoted comma inside a value used to pass pandas' 'Error tokenizing data. C error: Expected 4 fields in
    line 3, saw 5' through."""
    table = tmp_path / "customers.csv"
    rows = [HEADER, ROWS[0], ["retail-2", "2023-01-12", "", "retail, online"]]
    table.write_text("\n".join(",".join(row) for row in rows) + "\n")
    assert _fit_into(table, tmp_path, root) == [
        f"{table}: line 3 has 5 cells where the header has 4; a comma inside a value needs the value in double quotes, "
        "or the line has a cell too many"]
