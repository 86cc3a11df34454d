"""Coverage of the congestion instrument (sim.fit.causal.congestion_instrument) under known confounding.

    PYTHONPATH=. python benchmarks/instrument_coverage.py [REPLICATIONS]

Companies of sim.fit.synthetic_support as tests/fit/test_causal.py draws them (arrivals 100 a month, 30 months):
frailty confounding (base churn rising with the contact rate, sd 0.8) and a product-problem confounder (a fifth of
customers). Waits are drawn per contact, independent of the customer, as the instrument assumes. The truth of the
contrast -- next month's churn (purchases) after a satisfying rather than an unsatisfying contact -- is
``base ((m_P - 1) - q (m_B - 1))`` with the true multipliers and q (bad_when_dissatisfied; problem customers' higher
q ignored) and the estimate's own reference mean as base; printed: covering intervals, mean estimate, mean truth,
mean first-stage F.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from sim.fit import causal
from sim.fit.support import fit_support
from sim.fit.synthetic_support import SupportTruth, as_of, company


def coverage(truth: SupportTruth, replications: int) -> dict:
    found = {}
    for seed in range(replications):
        customers, tickets, orders = company(np.random.default_rng(1000 + seed), truth, months=30)
        fits, _ = fit_support(tickets, customers, orders, as_of=as_of(30))
        contrasts = fits["all"].instrument
        for outcome, (m_p, m_b) in {"churn": (1 - truth.positive_churn_reduction, 1 + truth.negative_churn_increase),
                                     "purchases": (1 + truth.positive_uplift, 1 - truth.negative_drop)}.items():
            c = contrasts[outcome]
            true = c.base * ((m_p - 1) - truth.bad_when_dissatisfied * (m_b - 1))
            found.setdefault(outcome, []).append((c.low <= true <= c.high, c.value, true, c.strength))
    return found


def main(replications: int) -> None:
    for label, truth in (("frailty sd 0.8", SupportTruth(arrivals=100, frailty_sd=0.8)),
                         ("product problem 20 %", SupportTruth(arrivals=100, problem_share=0.2))):
        started = time.perf_counter()
        for outcome, rows in coverage(truth, replications).items():
            hits, value, true, strength = (np.mean([r[i] for r in rows]) for i in range(4))
            print(f"{label}, {outcome}: {int(round(hits * len(rows)))}/{len(rows)} cover; mean estimate {value:.4f}, "
                  f"mean truth {true:.4f}, first-stage F {strength:.0f}")
        print(f"  ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
