"""A mistake in an option's text is one line naming the option, exit code 2, never a traceback; a result
JSON cannot hold is written as null with a note, never a traceback (about 2 s)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.shell.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "scenarios" / "data"
SCENARIO = str(ROOT / "scenarios" / "seed001_churn_example.toml")


@pytest.mark.parametrize("args, option", [
    (["fit", "customers", str(DATA / "customers.csv"), "--date-format", "%Q"], "--date-format"),
    (["fit", "orders", str(DATA / "orders.csv"), "--date-format", "%Y-%m-%d%"], "--date-format"),
    (["fit", "customers", str(DATA / "customers.csv"), "--as-of=-1"], "--as-of"),  # ISO 8601's year -1
    (["fit", "customers", str(DATA / "customers.csv"), "--cutoff=-1"], "--cutoff"),
    (["run", SCENARIO, "--no-save", "--scheduler", "gopher://host:1"], "--scheduler"),
    (["run", SCENARIO, "--no-save", "--scheduler", "tcp://"], "--scheduler"),
    (["run", SCENARIO, "--no-save", "--scheduler", "tcp://host"], "--scheduler"),
])
def test_a_mistake_in_an_options_text_is_one_line_naming_the_option(args, option, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and option in result.output, result.output
    assert list(tmp_path.iterdir()) == []


def test_a_result_json_cannot_hold_is_null_with_a_note():
    result = CliRunner().invoke(main, ["fit", "pilot", "--measure", "churn", "--treated", "0/500", "--control",
                                       "0/500", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["mean"] is None and "infinite mean" in summary["mean_note"]
    assert 0.9 < summary["median"] < 1.1
