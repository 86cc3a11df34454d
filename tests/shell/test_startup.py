"""Start-up cost: `cxroi --help`, `cxroi <command> --help` and `cxroi validate` load no heavy library
they do not need (runtime about 1.5 s: four fresh interpreters)."""

from __future__ import annotations

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


def test_a_run_writes_its_folder_without_pandas(tmp_path):
    """A plain run's tables are written from numpy columns: pandas (0.45 s to import) does not load."""
    args = ["run", "benchmarks/reference.toml", "--draws", "200", "--workers", "1", "--out", str(tmp_path / "r")]
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, check=True)
    assert set(out.stdout.split()) & set(HEAVY) == {"scipy"}
