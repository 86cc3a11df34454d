"""Benchmark: a 20-point one-way sweep and `sensitivity` on the reference workload, 1 and 2 workers.

Prints wall times and the speed-up from one worker to two. Usage::

    python benchmarks/run_analyses.py [--draws 10000] [--points 20]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from timing import timed

import sim

REFERENCE = Path(__file__).resolve().parent / "reference.toml"
SWEPT = "segments.b2b.experience.walk_away"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=20)
    args = parser.parse_args(argv)
    loaded = sim.load(REFERENCE)
    grid = {SWEPT: list(np.linspace(0.05, 0.5, args.points))}
    print(f"reference workload, {args.draws:,} draws; sweep of {SWEPT} over {args.points} points")
    times = {}
    for workers in (1, 2):
        times[("sweep", workers)] = timed(lambda: sim.sweep(loaded, grid, args.draws, workers=workers))
        times[("sensitivity", workers)] = timed(lambda: sim.sensitivity(loaded, args.draws, workers=workers))
    for name in ("sweep", "sensitivity"):
        one, two = times[(name, 1)], times[(name, 2)]
        print(f"  {name:<12} 1 worker {one:6.1f} s   2 workers {two:6.1f} s   speed-up {one / two:4.2f}x   (target <= 30 s)")


if __name__ == "__main__":
    main(sys.argv[1:])
