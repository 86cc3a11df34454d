"""The `cxroi` console script in a fresh interpreter: output, exit codes, no temporary files left
(runtime ~3 s: three fresh interpreters)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENTRY = "from sim.shell.cli import entry; entry()"


def cxroi(*args: str, before: str = "", **options) -> subprocess.CompletedProcess:
    """The console script's entry point in a fresh interpreter (``before``: Python run first)."""
    return subprocess.run([sys.executable, "-c", before + ENTRY, *args], capture_output=True, text=True, cwd=ROOT,
                          **options)


def test_a_run_prints_writes_its_folder_and_exits_0(tmp_path):
    done = cxroi("run", "benchmarks/reference.toml", "--draws", "300", "--json", "--out", str(tmp_path / "r"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads((tmp_path / "r" / "summary.json").read_text())
    assert done.stderr == f"Results written to {tmp_path / 'r'}/\n"


def test_a_mistake_keeps_its_one_line_and_exit_code_2():
    done = cxroi("run", "benchmarks/no_such.toml")
    assert (done.returncode, done.stdout, done.stderr) == (2, "", "benchmarks/no_such.toml: no such file\n")


def test_a_streamed_run_leaves_no_spill_folder_behind(tmp_path):
    """A run streamed to disk (forced here at 300 draws) leaves no temporary files, as before."""
    force_streaming = "import sim.compute.simulation as s; s.STREAM_ABOVE_BYTES = 0; "
    done = cxroi("run", "benchmarks/reference.toml", "--draws", "300", "--no-save", before=force_streaming,
                 env={**os.environ, "TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert "NPV" in done.stdout
    assert list(tmp_path.iterdir()) == []
