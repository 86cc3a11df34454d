"""Benchmark: memory and time of `cxroi run` on the reference workload as draws grow.

Runs the whole command (simulation, bands, results folder) in a child process
at 10,000 draws and at each larger count given, and prints its wall time, the
ratio to linear scaling from 10,000 draws (100x the time for 100x the draws), and the peak memory
of the largest process (the parent or one worker). Runs above
``sim.compute.simulation.STREAM_ABOVE_BYTES`` of per-period flows stream them to
disk (:mod:`sim.compute.spill`), so memory stays bounded. Usage::

    python benchmarks/run_memory.py [--draws 100000 1000000] [--workers N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference.toml"
BASE_DRAWS = 10_000

MEASURE = """
import resource, subprocess, sys, time
started = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def measure(draws: int, workers: int | None) -> tuple[float, float]:
    """(wall seconds, peak MB of the largest process) of one `cxroi run` writing its results folder."""
    with tempfile.TemporaryDirectory() as tmp:
        command = ["cxroi", "run", str(REFERENCE), "--draws", str(draws), "--out", f"{tmp}/out"]
        command += ["--workers", str(workers)] if workers else []
        out = subprocess.run([sys.executable, "-c", MEASURE, *command], check=True, capture_output=True, text=True)
        seconds, peak = (float(x) for x in out.stdout.split())
        return seconds, peak


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    args = parser.parse_args(argv)

    base_time, base_peak = measure(BASE_DRAWS, args.workers)
    print(f"reference workload, whole `cxroi run` with its results folder, workers {args.workers or 'all cores'}")
    print(f"  {BASE_DRAWS:>9,} draws  {base_time:8.1f} s  peak {base_peak:6.0f} MB")
    for draws in args.draws:
        seconds, peak = measure(draws, args.workers)
        linear = base_time * draws / BASE_DRAWS
        print(f"  {draws:>9,} draws  {seconds:8.1f} s  peak {peak:6.0f} MB   "
              f"time = {seconds / linear:.2f}x linear scaling from {BASE_DRAWS:,} draws")


if __name__ == "__main__":
    main(sys.argv[1:])
