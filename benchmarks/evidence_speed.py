"""Benchmark: `cxroi fit support` on about 660,000 tickets (664,226 with its seed), and `cxroi pilot` over 5 sizes on the reference workload.

Targets (issue 12): fit support under 20 s, the pilot analysis under 60 s. Prints the wall times, the
share of each spent reading the CSV files or running the Monte Carlo, and the sizes of the data.
Usage::

    python benchmarks/evidence_speed.py [--draws 10000] [--skip-support] [--skip-pilot]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from click.testing import CliRunner

import sim
from sim.analyses.pilot import pilot
from sim.fit.synthetic_support import SupportTruth, as_of, company
from sim.shell.cli import main as cli

REFERENCE = Path(__file__).resolve().parent / "reference.toml"
MONTHS = 36
TRUTHS = {"b2b": SupportTruth(arrivals=700, contacts=0.4), "b2c": SupportTruth(arrivals=3_000, contacts=0.4, churn=0.03)}


def support(folder: Path) -> None:
    customers, tickets, orders = company(np.random.default_rng(12), TRUTHS, months=MONTHS)
    for name, frame in (("customers", customers), ("tickets", tickets), ("orders", orders[["customer_id", "date"]])):
        frame.to_csv(folder / f"{name}.csv", index=False)
    print(f"fit support: {len(tickets):,} tickets, {len(customers):,} customers, {len(orders):,} orders, {MONTHS} months")
    started = time.perf_counter()
    fits = sim_fit(customers, tickets, orders)
    in_memory = time.perf_counter() - started
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["fit", "support", str(folder / "tickets.csv"), "--customers", str(folder / "customers.csv"),
                                      "--orders", str(folder / "orders.csv"), "--json"])
    whole = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    print(f"  fit from data frames: {in_memory:.1f} s; whole command (reading three CSV files, checks, fit): {whole:.1f} s; "
          f"segments fitted: {', '.join(fits)}")


def sim_fit(customers, tickets, orders):
    from sim.fit.support import fit_support

    return fit_support(tickets, customers, orders[["customer_id", "date"]], as_of=as_of(MONTHS))[0]


def pilot_speed(draws: int) -> None:
    loaded = sim.load(REFERENCE)
    started = time.perf_counter()
    result = sim.run(loaded, draws)
    simulated = time.perf_counter() - started
    from sim.analyses.pilot import pilot_of

    started = time.perf_counter()
    analysis = pilot_of(result, "faster_response")
    evsi = time.perf_counter() - started
    started = time.perf_counter()
    pilot(loaded, "faster_response", draws=draws)
    whole = time.perf_counter() - started
    sizes = ", ".join(f"{row['customers_per_arm']:,}" for row in analysis.summary["sizes"])
    print(f"pilot on the reference workload, {draws:,} draws, sizes {sizes} per arm:")
    print(f"  run {simulated:.1f} s + EVSI over 5 sizes {evsi:.1f} s; whole analysis {whole:.1f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--skip-support", action="store_true")
    parser.add_argument("--skip-pilot", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_support:
        with tempfile.TemporaryDirectory() as folder:
            support(Path(folder))
    if not args.skip_pilot:
        pilot_speed(args.draws)


if __name__ == "__main__":
    main()
