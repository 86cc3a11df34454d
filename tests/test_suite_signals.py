"""The test run has Python's Ctrl-C handler even when started with SIGINT ignored, as ``pytest &`` from a script
starts it (runtime ~2 s: one pytest in a subprocess)."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
A_TEST_THAT_SIGNALS_ITSELF = \
    "tests/shell/test_signals_every_command.py::test_a_signal_while_an_output_is_placed_comes_after_it_is_recorded"


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="a POSIX shell's trap")
def test_a_run_started_with_ctrl_c_ignored_still_gets_keyboard_interrupt():
    command = shlex.join([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", A_TEST_THAT_SIGNALS_ITSELF])
    run = subprocess.run(["sh", "-c", f"trap '' INT; exec {command}"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
