"""Every destination is checked before any work, as --out is: a workbook that cannot be written stops a run
before it simulates, and nothing (no results folder) is left behind (about 2 s)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.shell.cli import main

SCENARIO = str(Path(__file__).resolve().parents[2] / "scenarios" / "seed001_churn_example.toml")


@pytest.mark.parametrize("where, words", [
    ("afile/book.xlsx", "is a file, not a folder; choose another --xlsx"),
    ("book.csv", "the workbook file must end in .xlsx"),
    ("folder.xlsx", "--xlsx"),
    ("exists.xlsx", "already exists; pass --overwrite to replace it or choose another --xlsx"),
])
def test_a_workbook_destination_that_cannot_be_written_stops_the_run_before_any_work(tmp_path, monkeypatch, where, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    (tmp_path / "folder.xlsx").mkdir()
    (tmp_path / "exists.xlsx").write_text("keep")
    before = sorted(p.name for p in tmp_path.iterdir())
    for args in (["run", SCENARIO, "--draws", "50", "--out", "r", "--xlsx", where], ["export", "r", "--xlsx", where]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and result.output.count("\n") == 1 and words in result.output, result.output
        assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "exists.xlsx").read_text() == "keep"
