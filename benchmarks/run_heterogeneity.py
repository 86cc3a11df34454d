"""Benchmark: the reference workload with and without customers who differ, in one run.

Times the simulation of ``benchmarks/reference.toml`` as it is and with every
segment's churn and buying heterogeneous (``churn_mix`` and ``purchase_mix`` with
the same mean churn and purchase rate as the file's base values), optionally
also with BG/NBD dropout, and prints the ratios. Usage::

    python benchmarks/run_heterogeneity.py [--draws 10000] [--workers N] [--repeat 3] [--dropout] [--cpu]

``--cpu`` (with ``--workers 1``: the run stays in this process) times the CPU seconds of this process
instead of the wall clock: on a machine shared with other work its ratios move far less.
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from pathlib import Path

from timing import best_time

import sim
from sim.model.validation import Loaded, validate

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference.toml"
CHURN_ALPHA = 0.7   # uneven churn: the most fickle leave first (sBG)
PURCHASE_SHAPE = 0.8  # purchase rates vary more than their mean (NBD)


def heterogeneous(raw: dict, dropout: bool) -> dict:
    """Every segment's churn and purchase rate as mixes with the file's base means."""
    plain = validate(raw, str(REFERENCE))
    for name, segment in raw["segments"].items():
        churn = plain.segments[name].monthly_churn.base
        purchases = plain.segments[name].purchases.base
        del segment["monthly_churn"], segment["purchases"]
        segment["churn_mix"] = {"alpha": CHURN_ALPHA, "beta": CHURN_ALPHA * (1 - churn) / churn}
        segment["purchase_mix"] = {"shape": PURCHASE_SHAPE, "rate": PURCHASE_SHAPE / purchases}
        if dropout:
            segment["dropout_mix"] = {"a": 0.8, "b": 40.0}
    return raw


def _loaded(raw: dict) -> Loaded:
    return Loaded(validate(raw, str(REFERENCE)), str(REFERENCE), "", "", ())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is reported")
    parser.add_argument("--dropout", action="store_true", help="also time BG/NBD dropout on every segment")
    parser.add_argument("--cpu", action="store_true", help="CPU seconds of this process (needs --workers 1)")
    args = parser.parse_args(argv)
    if args.cpu and args.workers != 1:
        parser.error("--cpu counts this process's CPU only: give --workers 1")

    text = REFERENCE.read_text()
    plain = _loaded(tomllib.loads(text))
    mixed = _loaded(heterogeneous(tomllib.loads(text), dropout=False))
    sim.run(mixed, draws=250, workers=1)  # warm caches and imports before timing
    # Interleave the measurements so a busy machine slows both alike.
    times = {"plain": [], "mixed": [], "dropout": []}
    cases = [("plain", plain), ("mixed", mixed)]
    if args.dropout:
        cases.append(("dropout", _loaded(heterogeneous(tomllib.loads(text), dropout=True))))
    for _ in range(args.repeat):
        for key, loaded in cases:
            if args.cpu:
                started = time.process_time()
                sim.run(loaded, draws=args.draws, workers=1)
                times[key].append(time.process_time() - started)
            else:
                times[key].append(best_time(loaded, args.draws, args.workers, 1))
    best = {key: min(values) for key, values in times.items() if values}
    print(f"reference workload: {REFERENCE.relative_to(HERE.parent)}, draws {args.draws:,}, "
          f"workers {args.workers or 'all cores'}, best of {args.repeat}{', CPU seconds' if args.cpu else ''}")
    print(f"  homogeneous (as the file)            {best['plain']:7.2f} s")
    print(f"  churn_mix + purchase_mix everywhere  {best['mixed']:7.2f} s   = {best['mixed'] / best['plain']:.2f}x")
    if args.dropout:
        print(f"  ... + dropout_mix (BG/NBD)           {best['dropout']:7.2f} s   = {best['dropout'] / best['plain']:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
