"""What the process machinery cannot finish is said in one line that names the cause: a worker process that
died, and a long run's spill store on a full disk (the rule: never a traceback, never a message without its
place; about 6 s)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sim.compute import spill as spill_module
from sim.compute.spill import SeriesSpill

ROOT = Path(__file__).resolve().parents[2]


def test_a_full_disk_for_the_spill_names_the_folder_and_the_likely_cause(monkeypatch, tmp_path):
    def short_write(*args, **kwargs):
        raise OSError("72000 requested and 31728 written")

    monkeypatch.setattr(spill_module.np, "save", short_write)
    store = SeriesSpill(3, root=tmp_path)
    with pytest.raises(OSError) as caught:
        store.add(0, {("baseline", "revenue"): np.ones((4, 3))})
    store.close()
    assert caught.value.filename == str(store.folder)
    assert "72000 requested and 31728 written" in caught.value.strerror
    assert "is the disk full?" in caught.value.strerror and "TMPDIR" in caught.value.strerror


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_worker_that_dies_is_one_line_and_no_folder(tmp_path):
    """SIGKILL to one pool worker mid-run: exit 1 with one line, no traceback, no results folder."""
    out = tmp_path / "out"
    run = subprocess.Popen([sys.executable, "-c", "from sim.shell.cli import entry; entry()", "run",
                            str(ROOT / "benchmarks" / "reference.toml"), "--draws", "40000", "--workers", "2",
                            "--out", str(out)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while not workers and time.monotonic() < deadline and run.poll() is None:
        found = subprocess.run(["pgrep", "-P", str(run.pid)], capture_output=True, text=True).stdout.split()
        workers = [int(pid) for pid in found]
        time.sleep(0.05)
    if not workers:
        run.kill()
        pytest.skip("the run ended before a worker could be found")
    time.sleep(0.5)  # the worker is computing its chunk
    os.kill(workers[0], signal.SIGKILL)
    _, stderr = run.communicate(timeout=120)
    if run.returncode == 0:
        pytest.skip("the run finished before the worker was killed")
    assert run.returncode == 1, stderr
    assert stderr.strip().splitlines() == [
        "a worker process stopped before its chunk of draws was done (killed, or out of memory?); "
        "no results folder was written"], stderr
    assert not out.exists()
