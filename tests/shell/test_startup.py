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


def test_a_run_writes_its_folder_without_pandas_or_numba(tmp_path):
    """A plain run's tables are written from numpy columns, and its kernels come from the ahead-of-time build:
    neither pandas (0.45 s to import) nor numba (0.35 s with its cached kernels) loads."""
    from sim.kernels import aot_kernels, count_kernels

    args = ["run", "benchmarks/reference.toml", "--draws", "200", "--workers", "1", "--out", str(tmp_path / "r")]
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, check=True)
    modules = set(out.stdout.split())
    assert modules & set(HEAVY) == {"scipy"}
    if isinstance(getattr(count_kernels.compiled(), "binomial_pass", None), aot_kernels._Kernel):
        assert "numba" not in modules


def test_numpy_modules_no_command_uses_load_only_when_touched():
    """scipy's array-API layer would import numpy.f2py, numpy.testing and numpy.ma (0.1 s); deferred, they load
    on first use as an ordinary import would."""
    probe = ("import sys; from sim.shell.lazy_numpy import defer_unused_numpy_modules; defer_unused_numpy_modules(); "
             "import scipy.special; print('numpy.f2py.crackfortran' in sys.modules, 'numpy.testing._private' in sys.modules); "
             "import numpy as np; print(type(np.ma.masked_array([1.0])).__name__, np.testing.assert_equal(1, 1))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout == "False False\nMaskedArray None\n"
