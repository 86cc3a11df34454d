"""Benchmark: the reference workload (benchmarks/reference.toml) at 10,000 draws.

Prints wall time of the simulation alone and its ratio to the floor of just
drawing its normal scores, of the whole ``cxroi run`` command, of ``cxroi
--help`` and ``cxroi validate``, peak memory and draws per second, the time of
the same workload with ten times the customers (which should cost the same:
the engine follows counts, not customers), and the time of the workload with
an operations section (benchmarks/reference_operations.toml). The commands run
as ``python -c "from sim.shell.cli import entry; entry()"``, so setting
PYTHONPATH to another checkout measures that version in the same session. Usage::

    python benchmarks/run_reference.py [--draws 10000] [--workers N] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sim
from sim.model import engine
from sim.compute import parallel
from sim.compute.simulation import chunk_bounds
from sim.model.streams import customer_scores
from timing import best_time

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference.toml"
WITH_OPERATIONS = HERE / "reference_operations.toml"


def _ten_times_the_customers(loaded) -> list[str]:
    """--set overrides that multiply every segment's starting customers and arrivals by ten."""
    overrides = []
    for name, segment in loaded.scenario.segments.items():
        overrides.append(f"segments.{name}.customers={10 * segment.customers.base:g}")
        overrides.append(f"segments.{name}.arrivals={10 * segment.arrivals.base:g}")
    return overrides


CXROI = [sys.executable, "-c", "from sim.shell.cli import entry; entry()"]


def _command_time(draws: int, workers: int | None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        command = [*CXROI, "run", str(REFERENCE), "--draws", str(draws), "--out", f"{tmp}/out"]
        if workers:
            command += ["--workers", str(workers)]
        return _time(command)


def _time(command: list[str]) -> float:
    """Wall time of a command run outside the checkout (so PYTHONPATH, not the current folder, picks `sim`)."""
    with tempfile.TemporaryDirectory() as empty:  # an empty folder: `python -c` puts it first on sys.path
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=empty)
        return time.perf_counter() - started


def _scores_floor(loaded, draws: int, workers: int | None, repeat: int) -> float:
    """Wall time of only drawing the run's normal scores, chunk by chunk, shared by the same workers."""
    settings, segments = loaded.scenario.settings, len(loaded.scenario.segments)
    size = parallel.worker_count(workers)
    jobs = [(settings.seed, first, count, settings.horizon, segments) for first, count in chunk_bounds(draws, size, None)]
    best = float("inf")
    with parallel.pool(workers) as shared:
        list(shared.map(_draw_scores, jobs[:size]))  # start the workers
        for _ in range(repeat):
            started = time.perf_counter()
            list(shared.map(_draw_scores, jobs))
            best = min(best, time.perf_counter() - started)
    return best


def _draw_scores(job) -> None:
    seed, first, count, horizon, segments = job
    customer_scores(seed, first, count, horizon, engine.SCORES_PER_PERIOD, segments)


def draws_scores(loaded, draws: int) -> int:
    """How many normal scores a run draws."""
    scenario = loaded.scenario
    return draws * scenario.settings.horizon * engine.SCORES_PER_PERIOD * len(scenario.segments)


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is reported")
    args = parser.parse_args(argv)

    loaded = sim.load(REFERENCE)
    sim.run(loaded, draws=250, workers=1)  # warm caches and imports before timing
    floor = _scores_floor(loaded, args.draws, args.workers, args.repeat)
    simulation = best_time(loaded, args.draws, args.workers, args.repeat)
    peak = _peak_mb()
    bigger = sim.load(REFERENCE, _ten_times_the_customers(loaded))
    simulation_10x = best_time(bigger, args.draws, args.workers, args.repeat)
    command = min(_command_time(args.draws, args.workers) for _ in range(args.repeat))
    help_time = min(_time([*CXROI, "--help"]) for _ in range(args.repeat))
    validate_time = min(_time([*CXROI, "validate", str(REFERENCE)]) for _ in range(args.repeat))
    operations = best_time(sim.load(WITH_OPERATIONS), args.draws, args.workers, args.repeat)

    customers = sum(segment.customers.base for segment in loaded.scenario.segments.values())
    print(f"reference workload: {REFERENCE.relative_to(HERE.parent)}")
    print(f"  segments {len(loaded.scenario.segments)}, customers at start {customers:,.0f}, "
          f"periods {loaded.scenario.settings.horizon}, interventions {len(loaded.scenario.interventions)}, "
          f"draws {args.draws:,}, workers {args.workers or 'all cores'}")
    print(f"  simulation wall time        {simulation:7.2f} s")
    print(f"  floor: drawing its {draws_scores(loaded, args.draws) / 1e6:.1f} M normal scores {floor:.2f} s; "
          f"simulation = {simulation / floor:.1f}x the floor")
    print(f"  draws per second            {args.draws / simulation:10,.0f}")
    print(f"  whole `cxroi run` command   {command:7.2f} s   = {command / simulation:.2f}x the simulation")
    print(f"  `cxroi --help`              {help_time:7.2f} s")
    print(f"  `cxroi validate` reference  {validate_time:7.2f} s")
    print(f"  peak memory (largest proc.) {peak:7.0f} MB")
    print(f"  10x customers, simulation   {simulation_10x:7.2f} s   "
          f"= {simulation_10x / simulation:.2f}x the reference")
    print(f"  with operations, simulation {operations:7.2f} s   "
          f"= {operations / simulation:.2f}x the reference ({WITH_OPERATIONS.name})")


if __name__ == "__main__":
    main(sys.argv[1:])
