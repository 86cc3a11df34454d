"""Ctrl-C or SIGTERM at a random moment of every command, as from a terminal: no process, no temporary file, no
half-written output left, a scenario given to --into unchanged unless the command says it wrote it, and one line
saying what was written (runtime ~45 s on 2 cores: sixteen console scripts, each signalled within 2.5 s).

tests/shell/test_signals.py looks closely at a spilling ``cxroi run``; this module walks every other command once,
each at its own seeded moment (its imports, its work, its writing), half of them with a second signal during the
clean-up."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shell.test_signals import _environment, _group_gone

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = str(ROOT / "scenarios" / "nordic_midsize.toml")
DATA = ROOT / "scenarios" / "data"
ENTRY = "from sim.shell.console import entry; entry()"  # pyproject.toml's console script
NOTHING = "interrupted; nothing was written"
WROTE = "interrupted after writing "

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="process groups are POSIX")

FEW = ["--draws", "300", "--workers", "2"]
COMMANDS = {  # name: (arguments with OUT, EXISTING and INTO for the places, latest moment of the signal in s)
    "sweep": (["sweep", SCENARIO, "--param", "segments.b2b.experience.walk_away", "--range", "0.05:0.5:3", *FEW,
               "--out", "OUT"], 2.5),
    "breakeven": (["breakeven", SCENARIO, "--param", "interventions.faster_response.recurring_cost", *FEW,
                   "--out", "OUT"], 2.5),
    "tornado": (["tornado", SCENARIO, "--workers", "2", "--out", "OUT"], 2.5),
    "sensitivity": (["sensitivity", SCENARIO, "--sobol-samples", "64", *FEW, "--out", "OUT"], 2.5),
    "voi": (["voi", SCENARIO, *FEW, "--out", "OUT"], 2.5),
    "pilot": (["pilot", SCENARIO, "--intervention", "faster_response", *FEW, "--out", "OUT"], 2.5),
    "portfolio": (["portfolio", SCENARIO, *FEW, "--out", "OUT"], 2.5),
    "run --memo": (["run", SCENARIO, "--memo", *FEW, "--out", "OUT"], 2.5),
    "memo --format pdf": (["memo", "EXISTING", "--format", "pdf"], 2.5),
    "memo": (["memo", "EXISTING", "--overwrite"], 2.5),
    "export": (["export", "EXISTING", "--xlsx", "OUT.xlsx"], 2.0),
    "staffing --simulate": (["staffing", "--rate", "120", "--aht", "4", "--patience", "3", "--agents", "9:10",
                             "--simulate", "--replications", "2", "--hours", "4", "--out", "OUT"], 2.5),
    "run --scheduler local:2": (["run", SCENARIO, "--scheduler", "local:2", "--draws", "2000", "--out", "OUT"], 5.0),
    "fit customers": (["fit", "customers", str(DATA / "customers.csv"), "--into", "INTO"], 2.0),
    "fit orders": (["fit", "orders", str(DATA / "orders.csv"), "--customers", str(DATA / "customers.csv"),
                    "--into", "INTO"], 2.0),
    "fit support": (["fit", "support", str(DATA / "tickets.csv"), "--customers", str(DATA / "customers.csv"),
                     "--orders", str(DATA / "orders.csv"), "--into", "INTO"], 2.5),
    "fit pilot": (["fit", "pilot", str(DATA / "pilot.csv"), "--measure", "bad", "--segment", "retail",
                   "--intervention", "first_contact", "--into", "INTO"], 2.0),
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("index, name", list(enumerate(COMMANDS)), ids=list(COMMANDS))
def test_a_signal_at_a_random_moment_of_any_command_leaves_nothing_half_done(tmp_path, index, name):
    if name.startswith("run --scheduler"):
        pytest.importorskip("distributed")
    arguments, latest = COMMANDS[name]
    rng = random.Random(index)
    which = (signal.SIGINT, signal.SIGTERM)[index % 2]
    environment = _environment(tmp_path)  # TMPDIR: tmp_path/tmp, to see what is left in it
    existing, into = tmp_path / "existing", tmp_path / "company.toml"
    shutil.copytree(ROOT / "results" / "examples" / "nordic_midsize", existing)
    shutil.copy(ROOT / "scenarios" / "sample_company.toml", into)
    before = {path.relative_to(existing): _digest(path) for path in existing.rglob("*") if path.is_file()}
    into_before = _digest(into)
    places = {"OUT": str(tmp_path / "out"), "OUT.xlsx": str(tmp_path / "out.xlsx"), "EXISTING": str(existing),
              "INTO": str(into)}
    command = subprocess.Popen([sys.executable, "-c", ENTRY, *(places.get(a, a) for a in arguments)], cwd=tmp_path,
                               env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        command.wait(rng.uniform(0.2, latest))  # Python's own start-up (about 30 ms, before any handler) is not ours
    except subprocess.TimeoutExpired:
        pass
    command.send_signal(which)  # a no-op once the command has ended
    if index % 2:
        try:
            command.wait(rng.uniform(0.05, 0.3))
        except subprocess.TimeoutExpired:
            pass
        command.send_signal(which)  # a second one, during the clean-up, changes nothing
    try:
        _, stderr = command.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(command.pid, signal.SIGKILL)
        pytest.fail(f"{name} did not end within 60 s of {which.name}")
    assert _group_gone(command.pid), f"a process of {name} outlived it"
    assert "Traceback" not in stderr, stderr
    last = (stderr.strip().splitlines() or [""])[-1]
    # -which: the signal's default action, which Python restores as the interpreter shuts down (the command had
    # finished; tests/shell/test_signals.py allows the same), or before its start-up installed a handler
    assert command.returncode in (0, 130, -which), stderr
    finished = command.returncode != 130
    if command.returncode == 130:
        assert last == NOTHING or last.startswith(WROTE), stderr
    named = set() if finished or not last.startswith(WROTE) else {
        n.rstrip("/") for n in last.removeprefix(WROTE).partition(" (complete)")[0].split(" and ")}
    assert list((tmp_path / "tmp").iterdir()) == []  # no spill, scratch or temporary folder
    dotted = [p for folder in (tmp_path, existing) for p in folder.iterdir() if p.name.startswith(".")]
    assert dotted == []  # no staging folder or partial file beside an output
    for output in (tmp_path / "out", tmp_path / "out.xlsx"):
        if output.exists():  # only whole: the command finished, or its line names it
            assert finished or str(output) in named, stderr
    if _digest(into) != into_before:
        assert finished or str(into) in named, stderr
    changed = {path for path, digest in before.items() if not (existing / path).is_file()
               or _digest(existing / path) != digest}
    if changed and not finished:  # a memo replaced: named, its figures with it
        assert {str(existing / p) for p in changed if p.parent == Path(".")} <= named, stderr


def test_an_interrupt_after_the_scenario_is_written_names_it(tmp_path, monkeypatch):
    """fit ... --into renames the scenario into place whole; an interrupt after that (as the outcome prints)
    keeps it, and the line names it instead of saying nothing was written."""
    from click.testing import CliRunner

    from sim.shell import cli, fit_customers

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fit_customers, "echo_outcome", interrupted)
    into = tmp_path / "company.toml"
    shutil.copy(ROOT / "scenarios" / "sample_company.toml", into)
    result = CliRunner().invoke(cli.main, ["fit", "customers", str(DATA / "customers.csv"), "--into", str(into)])
    assert result.exit_code == 130
    assert result.output.strip().splitlines()[-1] == f"{WROTE}{into} (complete); nothing else was written"
    assert into.read_text() != (ROOT / "scenarios" / "sample_company.toml").read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["company.toml"]  # no temporary file beside it


def test_a_signal_while_an_output_is_placed_comes_after_it_is_recorded(tmp_path):
    """The rename and the record are one step: a signal in between is held until the output is in PLACED."""
    from sim.shell import results_folder

    staging, place = tmp_path / "staging", tmp_path / "out"
    staging.mkdir()
    with pytest.raises(KeyboardInterrupt):
        with results_folder.placing() as placed:
            signal.raise_signal(signal.SIGINT)  # Python's handler: KeyboardInterrupt, once the block ends
            os.rename(staging, place)
            placed(place)
        pytest.fail("the held signal was not delivered when the block ended")
    assert results_folder.PLACED[-1] == place
    assert results_folder.interrupted_line(len(results_folder.PLACED) - 1) == \
        f"{WROTE}{place}/ (complete); nothing else was written"


def test_an_import_cut_short_by_the_interrupt_is_the_interrupt(tmp_path, monkeypatch):
    """A Ctrl-C while a C extension is imported comes back as "ImportError: initialization failed" with the
    KeyboardInterrupt as its cause (scipy.optimize's HiGHS, in a CI run of `run --memo`): a traceback, not the line.
    It is the interrupt: one line, exit code 130. 0.1 s."""
    from click.testing import CliRunner

    from sim.shell import cli, results_folder

    def cut_short(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise ImportError("initialization failed") from interrupt

    monkeypatch.setattr(results_folder, "memo_combinations", cut_short)
    result = CliRunner().invoke(cli.main, ["run", SCENARIO, "--memo", "--draws", "300", "--out", str(tmp_path / "o")])
    assert (result.exit_code, result.output.strip().splitlines()[-1]) == (130, NOTHING)
    assert not (tmp_path / "o").exists()


def test_an_error_not_caused_by_an_interrupt_is_not_taken_for_one(monkeypatch):
    from sim.shell.console import interrupted_by

    try:
        try:
            raise ValueError("a user's mistake")
        except ValueError as mistake:
            raise ImportError("something else") from mistake
    except ImportError as error:
        assert not interrupted_by(error)
    try:
        raise SystemExit(130) from KeyboardInterrupt()
    except SystemExit as error:
        assert interrupted_by(error)  # the console script lets SystemExit through before asking
