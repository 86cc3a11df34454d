"""--into writes the scenario it is given, in place of nothing else: a read-only file is refused before any
work, a symbolic link is written through (it stays a link), a typo in an intervention's name is refused
with a suggestion, and a written change is never also printed as one to add (about 3 s)."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.shell.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "scenarios" / "data"
SAMPLE = ROOT / "scenarios" / "sample_company.toml"
COMMANDS = {
    "fit customers": ["fit", "customers", str(DATA / "customers.csv")],
    "fit orders": ["fit", "orders", str(DATA / "orders.csv")],
    "fit support": ["fit", "support", str(DATA / "tickets.csv"), "--customers", str(DATA / "customers.csv")],
    "fit pilot": ["fit", "pilot", str(DATA / "pilot.csv"), "--measure", "bad", "--segment", "retail",
                  "--intervention", "first_contact"],
}


def _state(folder: Path) -> dict:
    return {p.name: (p.is_symlink(), stat.S_IMODE(p.lstat().st_mode), p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_read_only_scenario_is_refused_before_any_work_and_left_as_it_was(tmp_path, command):
    scenario = tmp_path / "company.toml"
    shutil.copy(SAMPLE, scenario)
    scenario.chmod(0o444)
    before = _state(tmp_path)
    result = CliRunner().invoke(main, [*COMMANDS[command], "--into", str(scenario)])
    assert result.exit_code == 2, result.output
    assert result.output == f"{scenario}: is read-only; make it writable (chmod u+w) to write into it, or copy it and pass the copy\n"
    assert _state(tmp_path) == before


def test_a_symlinked_scenario_is_written_through_its_link(tmp_path):
    real = tmp_path / "real" / "company.toml"
    real.parent.mkdir()
    shutil.copy(SAMPLE, real)
    real.chmod(0o640)
    link = tmp_path / "company.toml"
    link.symlink_to(real)
    result = CliRunner().invoke(main, [*COMMANDS["fit pilot"], "--into", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == real
    assert "cxroi fit pilot" in real.read_text() and stat.S_IMODE(real.stat().st_mode) == 0o640
    assert "Written into" in result.output and "# add to the scenario" not in result.output
    assert sorted(p.name for p in real.parent.iterdir()) == ["company.toml"]  # no temporary file left


def test_a_typo_in_the_intervention_is_refused_with_a_suggestion_and_nothing_written(tmp_path):
    scenario = tmp_path / "company.toml"
    shutil.copy(SAMPLE, scenario)
    before = _state(tmp_path)
    args = [word if word != "first_contact" else "first_contct" for word in COMMANDS["fit pilot"]]
    result = CliRunner().invoke(main, [*args, "--into", str(scenario)])
    assert result.exit_code == 2
    assert result.output == (f"{scenario}: no intervention 'first_contct' in the scenario; did you mean 'first_contact'? "
                             "(it has first_contact)\n")
    assert _state(tmp_path) == before
