"""A results folder is claimed in one step when it is complete: of two runs into the same --out (without
--overwrite) one succeeds and the other is refused, never both (about 4 s)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.errors import UsageError
from sim.shell import results_folder

ROOT = Path(__file__).resolve().parents[2]


def _other_run_finishes_first(folder: Path):
    def write(path: Path) -> None:
        results_folder.write_files(folder, {"who.txt": lambda p: p.write_text("first")}, None)
        path.write_text("second")
    return write


def test_a_destination_another_run_claimed_meanwhile_is_refused_and_kept(tmp_path):
    folder = tmp_path / "out"
    with pytest.raises(UsageError, match="another run wrote this folder while this one was running"):
        results_folder.write_files(folder, {"who.txt": _other_run_finishes_first(folder)}, None)
    assert (folder / "who.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left


def test_a_default_folder_another_run_claimed_meanwhile_gets_the_next_free_name(tmp_path):
    folder = results_folder._free_name(tmp_path / "case-20260101-000000")
    results_folder._CHOSEN_BY_US.add(folder)
    written = results_folder.write_files(folder, {"who.txt": _other_run_finishes_first(folder)}, None)
    assert written == tmp_path / "case-20260101-000000-2" and (written / "who.txt").read_text() == "second"
    assert (folder / "who.txt").read_text() == "first"


def test_two_commands_into_the_same_out_never_both_succeed(tmp_path):
    scenario = ROOT / "scenarios" / "seed001_churn_example.toml"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c",
               "from sim.shell.cli import main; main()", "run", str(scenario), "--draws", "200", "--workers", "1",
               "--out", str(tmp_path / "out")]
    runs = [subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    codes = sorted(run.wait(timeout=120) for run in runs)
    errors = [run.stderr.read() for run in runs]
    assert codes == [0, 2], errors
    assert any("already exists" in e or "another run wrote this folder" in e for e in errors), errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
