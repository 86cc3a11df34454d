"""Benchmark: the analyses a user runs after `run`, as CPU time over `cxroi run`'s, side by side.

Each command runs as its own process on ``scenarios/nordic_midsize.toml`` at its
default draws and writes its results folder, as it does by default (the memo needs
one; an analysis's folder holds its figures); its CPU time (its own and its workers') is
divided by the CPU time of ``cxroi run`` measured in the same round, so a loaded
machine moves both alike. Rounds alternate the commands; the median ratio of the
rounds is printed with its range. ``--checkout`` times another copy of the
project (e.g. a worktree of an earlier commit) in the same rounds, for a
before/after in one run::

    python benchmarks/run_analyses.py [--rounds 3] [--checkout ../before] [--only breakeven-cost,sweep-2d]
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
SCENARIO = "scenarios/nordic_midsize.toml"
ENTRY = "import sys; sys.argv[0] = 'cxroi'; from sim.shell.cli import entry; entry()"
"""The console script of whichever checkout PYTHONPATH names."""
COMMANDS = {
    "run": ["run", SCENARIO],
    "run --memo": ["run", SCENARIO, "--memo"],
    "breakeven-cost": ["breakeven", SCENARIO, "--param", "interventions.faster_response.recurring_cost"],
    "breakeven-scale": ["breakeven", SCENARIO, "--param", "interventions.faster_response.changes[0].scale",
                        "--range", "0.4:1.2"],
    "sweep-1d": ["sweep", SCENARIO, "--param", "segments.b2b.experience.walk_away", "--range", "0.05:0.5:10"],
    "sweep-2d": ["sweep", SCENARIO, "--param", "interventions.faster_response.recurring_cost",
                 "--values", "15000,25000,35000", "--param", "segments.b2b.experience.walk_away", "--values", "0.1:0.5:5"],
    "sensitivity": ["sensitivity", SCENARIO],
    "tornado": ["tornado", SCENARIO],
    "voi": ["voi", SCENARIO],
}


def measure(checkout: Path, command: list[str], scratch: Path) -> tuple[float, float]:
    """(CPU seconds of the process and its children, wall seconds) of one `cxroi` command in ``checkout``."""
    saving = ["--out", str(scratch), "--overwrite"]  # the results folder a user gets by default
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", ENTRY, *command, *saving], cwd=checkout, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--checkout", type=Path, help="another copy of the project to time beside this one")
    parser.add_argument("--only", help="comma-separated commands (default: all): " + ", ".join(COMMANDS))
    args = parser.parse_args(argv)
    names = [name for name in COMMANDS if name != "run"]
    if args.only:
        names = [name.strip() for name in args.only.split(",")]
    copies = {"this": ROOT, **({"other": args.checkout.resolve()} if args.checkout else {})}
    ratios: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    folder = tempfile.TemporaryDirectory(prefix="cxroi-bench-")  # removed at exit, an interrupted one too
    scratch = Path(folder.name) / "results"
    for round_ in range(args.rounds):
        for label, checkout in copies.items():
            reference, _ = measure(checkout, COMMANDS["run"], scratch)
            for name in names:
                seconds, _ = measure(checkout, COMMANDS[name], scratch)
                ratios.setdefault((label, name), []).append(seconds / reference)
                cpu.setdefault((label, name), []).append(seconds)
            print(f"round {round_ + 1}/{args.rounds} {label}: run {reference:.2f} s CPU", file=sys.stderr, flush=True)
    print(f"{SCENARIO}, default draws; CPU time as a multiple of `cxroi run`'s CPU in the same round "
          f"(median of {args.rounds}, range in brackets)")
    for name in names:
        line = f"  {name:<16}"
        for label in copies:
            values = sorted(ratios[(label, name)])
            median = values[len(values) // 2]
            line += f"  {label}: {median:5.2f}x [{values[0]:.2f}-{values[-1]:.2f}] ({sorted(cpu[(label, name)])[len(values) // 2]:.1f} s)"
        if len(copies) == 2:
            this = sorted(ratios[("this", name)])[args.rounds // 2]
            other = sorted(ratios[("other", name)])[args.rounds // 2]
            line += f"  other/this {other / this:4.1f}x"
        print(line)


if __name__ == "__main__":
    main(sys.argv[1:])
