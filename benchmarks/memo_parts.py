"""Benchmark: what each part of `cxroi run --memo` costs, in CPU seconds, on the default scenario.

`run_analyses.py --only 'run --memo'` gives the whole as a multiple of `run`'s CPU; this
script splits it. Everything runs in this one process with one worker (no pool), so each
part's CPU is its own; the parts a plain `cxroi run` also pays (loading, the run, and
writing the folder when it is saved) are marked ``run``, the rest ``memo``. The memo's run
simulates the combinations of the options beside its own arms (``run(combinations=...)``):
their part is that run's CPU less a plain run's, both after the first run (kernels loaded)::

    python benchmarks/memo_parts.py [--rounds 3]

Each round is a fresh process; prints the median over the rounds of each part and the memo
parts' sum over the run's.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "nordic_midsize.toml"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def one_round(scratch: Path) -> dict[str, tuple[str, float]]:
    """(kind, CPU seconds) of each part, in the order `run --memo` does them."""
    parts: dict[str, tuple[str, float]] = {}

    def timed(kind: str, name: str, work):
        start = _cpu()
        value = work()
        parts[name] = (kind, _cpu() - start)
        return value

    import sim
    from sim.shell import results_folder

    loaded = timed("run", "load and validate the scenario", lambda: sim.load(SCENARIO))

    def analyses():
        import pandas  # noqa: F401  (a plain run writes its folder without pandas)

        from sim.analyses import pilot, portfolio, tornado  # noqa: F401

    timed("memo", "pandas and the analyses' modules imported", analyses)

    def check():
        from sim.analyses.tornado import check_extremes

        check_extremes(loaded.scenario)

    timed("memo", "tornado's extremes checked before the run", check)
    combinations = results_folder.memo_combinations(loaded.scenario)
    timed("run", "the run (4 arms)", lambda: sim.run(loaded, workers=1))
    # The memo's run simulates the combinations beside its own arms (a second engine pass in each chunk,
    # at the same scores): their cost is that run's CPU less a plain run's, both warm (kernels loaded).
    warm = _cpu()
    sim.run(loaded, workers=1)
    warm = _cpu() - warm
    start = _cpu()
    result = sim.run(loaded, workers=1, combinations=combinations)
    parts[f"{len(combinations)} combination arms simulated beside the run's (its CPU less a plain run's)"] = (
        "memo", _cpu() - start - warm)
    from sim.analyses.pilot import default_sizes, measured_changes, pilot_of
    from sim.analyses.portfolio import portfolio
    from sim.analyses.tornado import one_at_a_time

    combined = timed("memo", "portfolios (EVPPI; nothing simulated)", lambda: portfolio(
        loaded, result.n_draws, result.seed, workers=1, hurdle_rates=[], result=result))
    timed("memo", "tornado (one at a time)", lambda: one_at_a_time(result.scenario))
    name = max(result.appraisals, key=lambda n: result.appraisals[n].npv.mean())
    sizes = default_sizes(result.scenario, measured_changes(result.scenario, name), results_folder.MEMO_PILOT_SIZES)
    timed("memo", "pilot (EVSI of 3 sizes)", lambda: pilot_of(result, name, sizes,
                                                             portfolios=combined.tables["npv_draws"]))
    plain = scratch / "plain"
    timed("run", "results folder written (draws.csv, bands.csv, ...)",
          lambda: results_folder.write(result, plain, True))
    from sim.compute import parallel

    with parallel.pool(1) as one:
        extra = results_folder.memo_inputs(result, None, one)
    folder = scratch / "memo"
    shutil.copytree(plain, folder)

    def write_extra():
        for file, write in extra.items():
            write(folder / file)

    timed("memo", "memo's files written (portfolio.json, tornado.csv, pilot.json, roi_draws.csv)", write_extra)

    def imports():
        import matplotlib.pyplot  # noqa: F401

        from sim.reporting import figures, memo  # noqa: F401

    timed("memo", "matplotlib and the memo's modules imported", imports)
    from sim.reporting import memo

    record = timed("memo", "folder read back", lambda: memo.read_results(folder))
    built = timed("memo", "memo built (figures made and laid out)", lambda: memo.build(record))

    def render():
        for figure in built.figures.values():
            figure.savefig(io.BytesIO(), format="png", dpi=110)

    timed("memo", f"figures drawn and encoded as PNG at 110 dpi ({len(built.figures)})", render)
    return parts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:  # one round in this (fresh) process: its parts as JSON
        with tempfile.TemporaryDirectory(dir=ROOT) as scratch:
            print(json.dumps(one_round(Path(scratch))))
        return
    rounds = []
    for _ in range(args.rounds):
        done = subprocess.run([sys.executable, __file__, "--one"], cwd=ROOT, check=True, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        rounds.append(json.loads(done.stdout.strip().splitlines()[-1]))
    medians = {name: (kind, sorted(r[name][1] for r in rounds)[len(rounds) // 2]) for name, (kind, _) in rounds[0].items()}
    for name, (kind, seconds) in medians.items():
        print(f"{seconds:6.2f} s  {kind:4}  {name}")
    run = sum(s for kind, s in medians.values() if kind == "run")
    extra = sum(s for kind, s in medians.values() if kind == "memo")
    print(f"run parts {run:.2f} s, memo parts {extra:.2f} s: the memo adds {extra / run:.2f}x the run's parts "
          f"(median of {args.rounds} processes; a CLI run also pays Python's start-up and imports, ~0.5 s)")


if __name__ == "__main__":
    main()
