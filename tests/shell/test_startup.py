"""Start-up cost: `cxroi --help`, `cxroi <command> --help` and `cxroi validate` load no heavy library
they do not need; a simulating command loads numpy with one BLAS thread (runtime about 2.5 s: five fresh
interpreters)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "matplotlib", "SALib", "scipy", "scipy.stats", "scipy.optimize", "dask")

PROBE = """
import sys
from click.testing import CliRunner
from sim.shell.cli import main
result = CliRunner().invoke(main, sys.argv[1:])
assert result.exit_code == 0, result.output
print(" ".join(sys.modules))
"""


def heavy_after(args: list[str]) -> set[str]:
    """Which of :data:`HEAVY` running the CLI with ``args`` imports, in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(out.stdout.split()) & set(HEAVY)


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["sweep", "--help"]])
def test_help_imports_no_heavy_library(args):
    assert heavy_after(args) == set()


def test_validate_of_an_interval_only_scenario_needs_only_scipy_special():
    # "A to B" intervals need normal quantiles (scipy.special); no pandas or scipy.stats.
    assert heavy_after(["validate", "benchmarks/reference.toml"]) == {"scipy"}


def test_the_default_scenario_runs_without_scipy_stats(tmp_path):
    """Its PERT inputs and rank correlations use scipy.special and numpy: scipy.stats (about 0.5 s to import, a
    third of a run) does not load (runtime ~3 s)."""
    args = ["run", "scenarios/nordic_midsize.toml", "--draws", "200", "--workers", "1", "--out", str(tmp_path / "r")]
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, check=True)
    assert set(out.stdout.split()) & set(HEAVY) == {"scipy"}


def test_a_run_writes_its_folder_without_pandas(tmp_path):
    """A plain run's tables are written from numpy columns: pandas (0.45 s to import) does not load."""
    args = ["run", "benchmarks/reference.toml", "--draws", "200", "--workers", "1", "--out", str(tmp_path / "r")]
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, check=True)
    assert set(out.stdout.split()) & set(HEAVY) == {"scipy"}


BLAS_PROBE = """
import builtins, os, sys
from click.testing import CliRunner
from sim.shell.cli import main
seen = []
real_import = builtins.__import__
def spy(name, *args, **kwargs):
    if name.partition(".")[0] == "numpy" and "numpy" not in sys.modules:
        seen.append(os.environ.get("OPENBLAS_NUM_THREADS"))
    return real_import(name, *args, **kwargs)
builtins.__import__ = spy
result = CliRunner().invoke(main, sys.argv[1:])
assert result.exit_code == 0, result.output
print(seen[0])
"""


@pytest.mark.parametrize("args", [["run", "benchmarks/reference.toml", "--draws", "10", "--workers", "1", "--no-save"],
                                  ["fit", "customers", "scenarios/data/customers.csv", "--json"]])
def test_every_command_loads_numpy_with_one_blas_thread(args):
    """The draws are spread over worker processes, so OpenBLAS (read when numpy loads) gets one thread in each:
    more would compete for the same cores, and its idle threads spin (0.04 s of CPU each for numpy's and scipy's
    on this 2-core machine). A fit's sums would round by the number of BLAS threads (the joint churn fit's last
    digits followed the machine's cores). The numpy path (CXROI_NUMBA=0) keeps the probe quick."""
    env = {name: value for name, value in os.environ.items() if name != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", BLAS_PROBE, *args], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**env, "CXROI_NUMBA": "0"})
    assert out.stdout.split()[-1] == "1"


def test_a_blas_thread_count_the_user_set_is_kept(monkeypatch):
    from click.testing import CliRunner

    from sim.shell.cli import main

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    CliRunner().invoke(main, ["run", "benchmarks/no_such.toml"])
    assert os.environ["OPENBLAS_NUM_THREADS"] == "3"
