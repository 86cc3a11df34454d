"""Benchmark: CPU of `cxroi portfolio` against `cxroi run` on the default scenario, side by side.

Each round runs both commands (default draws, results folder written) and
prints the CPU time of each (user + system of the child and its workers) and
their ratio: on a machine loaded by others the ratio is what compares. The
target is a ratio of at most 3 (issue 20: all 8 combinations of three options).
Usage::

    python benchmarks/portfolio_speed.py [--rounds 3] [--scenario scenarios/nordic_midsize.toml]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cpu(command: list[str]) -> tuple[float, float]:
    """(CPU seconds of the finished child and its workers, wall seconds)."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "nordic_midsize.toml"))
    args = parser.parse_args(argv)
    cxroi = [sys.executable, "-m", "sim.shell.cli"] if not Path(sys.executable).with_name("cxroi").exists() \
        else [str(Path(sys.executable).with_name("cxroi"))]
    with tempfile.TemporaryDirectory() as folder:
        for index in range(args.rounds):
            run = cpu([*cxroi, "run", args.scenario, "--out", f"{folder}/run", "--overwrite"])
            portfolio = cpu([*cxroi, "portfolio", args.scenario, "--out", f"{folder}/portfolio", "--overwrite"])
            print(f"round {index}: run CPU {run[0]:.2f} s (wall {run[1]:.2f} s), portfolio CPU {portfolio[0]:.2f} s "
                  f"(wall {portfolio[1]:.2f} s): {portfolio[0] / run[0]:.2f}x", flush=True)


if __name__ == "__main__":
    main()
