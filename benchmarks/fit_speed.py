"""Benchmark: `cxroi fit`'s statistical core on 100,000 customers and 1,000,000 orders.

Generates the data with sim/fit/synthetic.py (not timed), then times, from the
raw data frames (ISO date strings, as a CSV file would give them):

* retention: checking the customer list, converting it to durations and the
  sBG + geometric fits (``sim.fit.fit_retention``; budget 5 s end to end, which
  tests/fit/test_retention.py once asserted: timings are printed here, not tested);
* orders: checking the order log, building the frequency/recency/age
  summary and the BG/NBD and Gamma-Gamma fits (``sim.fit.fit_orders``).

Usage::

    PYTHONPATH=. python3 benchmarks/fit_speed.py [--customers 100000] [--orders 1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sim.fit import bgnbd, checks, fit_orders, fit_retention, retention, spend, summaries, synthetic


def _timed(function):
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def _as_text(frame, columns):
    """Date columns as ISO strings, the way a CSV file arrives."""
    frame = frame.copy()
    for column in columns:
        frame[column] = frame[column].dt.strftime("%Y-%m-%d %H:%M:%S").where(frame[column].notna(), "")
    return frame


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    customers = synthetic.customers(
        rng, args.customers, history_start="2019-01-01", as_of="2024-12-31", truth=synthetic.RetentionTruth(0.7, 1.2)
    )
    customers = _as_text(customers, ["start_date", "end_date"])
    truth = synthetic.PurchaseTruth(r=0.8, alpha=2.0, a=0.8, b=4.0)
    # about 4.9 orders per customer with this truth: first purchases over a year, observed for two
    orders = synthetic.orders(
        rng, int(args.orders / 4.9), history_start="2023-01-01", end="2024-12-31", first_purchase_by="2023-12-31", truth=truth
    )
    orders = _as_text(orders, ["date"])

    checked, t_check = _timed(lambda: checks.check_customers(customers, as_of="2024-12-31"))
    cells, t_build = _timed(lambda: retention.tabulate(*retention.durations(checked["start"], checked["end"], "2024-12-31", "month")))
    fit, t_fit = _timed(lambda: retention.fit_cells(cells, period="month"))
    _, t_total = _timed(lambda: fit_retention(customers, as_of="2024-12-31", period="month"))
    print(f"retention, {len(customers):,} customers:")
    print(
        f"  check {t_check:.2f} s, durations {t_build:.2f} s, sBG + geometric fit {t_fit:.2f} s; fit_retention end to end {t_total:.2f} s (budget 5 s)"
    )
    print(f"  alpha {fit.alpha:.3f} (se {fit.se_alpha:.3f}, truth 0.7), beta {fit.beta:.3f} (se {fit.se_beta:.3f}, truth 1.2)")

    checked, t_check = _timed(lambda: checks.check_orders(orders))
    summary, t_build = _timed(lambda: summaries.rfm(checked, time_unit="month"))
    purchases, t_bgnbd = _timed(lambda: bgnbd.fit(summary["x"], summary["t_x"], summary["T"]))
    spent, t_spend = _timed(lambda: spend.fit(summary["x"], summary["m_x"].fillna(0.0)))
    _, t_total = _timed(lambda: fit_orders(orders, period="month"))
    r, alpha, a, b = purchases.params
    print(f"orders, {len(orders):,} orders of {len(summary):,} customers:")
    print(
        f"  check {t_check:.2f} s, summary {t_build:.2f} s, BG/NBD fit {t_bgnbd:.2f} s, Gamma-Gamma fit {t_spend:.2f} s; "
        f"fit_orders end to end {t_total:.2f} s"
    )
    print(f"  BG/NBD r {r:.3f} alpha {alpha:.3f} a {a:.3f} b {b:.3f} (truth 0.8, 2, 0.8, 4)")
    print(f"  mean spend {spent.mean_spend:.2f} (se {spent.se_mean_spend:.2f}, truth {truth.mean_spend:.2f})")


if __name__ == "__main__":
    main()
