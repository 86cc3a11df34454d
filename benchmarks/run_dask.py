"""Benchmark: the same work on this machine's process pool and on a Dask LocalCluster, in one run.

Times a run of the reference workload and a 10-point sweep on the process pool
(``--scheduler processes``) and on a LocalCluster of as many workers
(``--scheduler local:N``), checks that the numbers are identical, and prints the
cluster's start-up separately. On one machine Dask can only match the pool
(same cores, plus pickling chunks to other processes); its use is more machines.
Needs the dask extra. Usage::

    python benchmarks/run_dask.py [--draws 10000] [--workers 2] [--sweep-draws 2000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import sim
from sim.compute import parallel

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference.toml"
SWEEP = {"segments.b2b.experience.walk_away": [0.1 + 0.03 * i for i in range(10)]}


def _timed(function):
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def _work(loaded, draws: int, sweep_draws: int, workers: int | None):
    run_time, result = _timed(lambda: sim.run(loaded, draws=draws, workers=workers))
    sweep_time, sweep = _timed(lambda: sim.sweep(loaded, SWEEP, draws=sweep_draws, workers=workers))
    return run_time, sweep_time, json.dumps(result.summary_dict()), json.dumps(sweep.summary)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--sweep-draws", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    loaded = sim.load(REFERENCE)
    sim.run(loaded, draws=250, workers=1)  # imports and compiled kernels loaded before timing
    pool = _work(loaded, args.draws, args.sweep_draws, args.workers)
    with parallel.scheduler(f"local:{args.workers}") as cluster:
        start_time, _ = _timed(cluster.pool)
        sim.run(loaded, draws=250)  # workers import the model and load the kernels
        dask = _work(loaded, args.draws, args.sweep_draws, None)

    print(f"reference workload on {args.workers} workers: process pool vs Dask LocalCluster")
    print(f"  LocalCluster start-up              {start_time:7.2f} s (once per command)")
    for label, index, what in (("run", 0, f"{args.draws:,} draws"), ("sweep", 1, f"10 points x {args.sweep_draws:,} draws")):
        print(f"  {label:5} {what:26} processes {pool[index]:7.2f} s   local:{args.workers} {dask[index]:7.2f} s   "
              f"= {dask[index] / pool[index]:.2f}x")
    print(f"  identical numbers: run {pool[2] == dask[2]}, sweep {pool[3] == dask[3]}")


if __name__ == "__main__":
    main(sys.argv[1:])
