"""Benchmark: the whole `cxroi fit customers` and `cxroi fit orders` commands.

Writes a customer list of 100,000 customers and an order log of about
1,000,000 orders (sim/fit/synthetic.py, date-times as text) to CSV files in a
temporary folder (not timed), then times each command end to end in a fresh
process, as a user runs it: starting Python, reading the CSV, checking the
data, the fits, the holdout check and the printed report. Also times ``fit
orders --customers`` (the contractual path: NBD rates and Gamma-Gamma) on the
same 100,000 customers with their orders while on the books.

Usage::

    python benchmarks/fit_cli_speed.py [--customers 100000] [--orders 1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sim.fit import synthetic

CXROI = [sys.executable, "-c", "import sys; sys.argv[0] = 'cxroi'; from sim.shell.cli import entry; entry()"]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed_command(args: list[str]) -> str:
    """Wall-clock and CPU seconds of one command in a fresh process (CPU time is what a busy shared machine does not inflate)."""
    started, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(CXROI + args, capture_output=True, text=True, check=False)
    elapsed, used = time.perf_counter() - started, _cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr}")
    return f"{elapsed:.2f} s wall, {used:.2f} s CPU"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="cxroi-fit-bench-"))
    try:
        customers = synthetic.customers(rng, args.customers, history_start="2019-01-01", as_of="2024-12-31",
                                        truth=synthetic.RetentionTruth(0.7, 1.2))
        customers.to_csv(folder / "customers.csv", index=False, date_format="%Y-%m-%d")
        truth = synthetic.PurchaseTruth(r=0.8, alpha=2.0, a=0.8, b=4.0)
        orders = synthetic.orders(rng, int(args.orders / 4.9), history_start="2023-01-01", end="2024-12-31",
                                  first_purchase_by="2023-12-31", truth=truth)  # about 4.9 orders per customer
        orders.to_csv(folder / "orders.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")
        recent = customers[customers["start_date"] >= "2022-01-01"].reset_index(drop=True)
        recent.to_csv(folder / "recent_customers.csv", index=False, date_format="%Y-%m-%d")
        contract = synthetic.contract_orders(rng, recent, as_of="2024-12-31", truth=synthetic.PurchaseTruth(0.5, 1.0))
        contract.to_csv(folder / "contract_orders.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")

        _timed_command(["--version"])  # warm the file cache
        startup = _timed_command(["--version"])
        t_customers = _timed_command(["fit", "customers", str(folder / "customers.csv"), "--as-of", "2024-12-31"])
        t_orders = _timed_command(["fit", "orders", str(folder / "orders.csv")])
        t_contract = _timed_command(["fit", "orders", str(folder / "contract_orders.csv"), "--customers",
                                     str(folder / "recent_customers.csv"), "--as-of", "2024-12-31"])
        t_quick = _timed_command(["fit", "orders", str(folder / "orders.csv"), "--no-holdout"])
        print(f"python + cxroi start-up (cxroi --version): {startup}")
        print(f"cxroi fit customers, {len(customers):,} customers: {t_customers}")
        print(f"cxroi fit orders, {len(orders):,} orders (BG/NBD + Gamma-Gamma, holdout check): {t_orders}")
        print(f"cxroi fit orders --no-holdout, the same orders: {t_quick}")
        print(f"cxroi fit orders --customers, {len(contract):,} orders of {len(recent):,} customers (NBD + Gamma-Gamma): {t_contract}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
