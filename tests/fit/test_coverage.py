"""Parameter recovery: on data simulated with known parameters, the 95 % intervals cover the truth.

Intervals are the fits' own (Wald on the log scale from the observed
information, :meth:`sim.fit.mle.Estimates.interval`). Fixed seeds, so the
counts are exact and the same on every run; the measured counts are in the
assertion messages and in each test's docstring.

**What is accepted.** A Wald interval need not cover exactly 95 % at these
sample sizes; what is tested is that its true coverage lies in
[:data:`LOWEST`, :data:`HIGHEST`] = [90 %, 99 %]. The number of intervals of n
that cover is binomial, so the test accepts exactly the counts k that are not
improbable under some coverage in that band: P(K <= k | 90 %) >= 0.5 % and
P(K >= k | 99 %) >= 0.5 % (:func:`acceptance_region`, two-sided 1 %). A count at
the band's edge is therefore not a failure (the first 40 BG/NBD replications'
87.5 % for r is accepted at n = 40), while intervals that truly cover 80 % fail
with probability 0.91 at n = 200 and 1.00 at n = 400 (0.30 and 0.68 at 85 %);
:func:`test_acceptance_region_accepts_the_band_and_rejects_narrow_intervals`
holds those numbers. The coverages measured lie between 93.75 % and 96.3 %
(400 replications each), where a count outside the region has a probability
below 1e-6.

Runtime on the shared 2-core development machine: 48 s for the whole file at a
load average of 8 (sBG 400 replications of 2,000 customers 14 s, NBD 200 of
1,000 10 s, BG/NBD 200 of 1,500 19 s); the replications are what buys the power
above (before: 100, 100 and 200 replications, about 12 s at load 4).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.fit import bgnbd, purchase_rate, retention, summaries, synthetic

LOWEST, HIGHEST = 0.90, 0.99
"""The band the true coverage of a nominal 95 % interval must lie in."""
ALPHA = 0.01
"""Chance of a failure when the true coverage is exactly at one edge of the band (half on each side)."""


def acceptance_region(n: int, lowest: float = LOWEST, highest: float = HIGHEST, alpha: float = ALPHA) -> tuple[int, int]:
    """The counts of covering intervals among ``n`` that are consistent with a coverage in the band (exact binomial)."""
    k = np.arange(n + 1)
    accepted = k[(stats.binom.cdf(k, n, lowest) >= alpha / 2) & (stats.binom.sf(k - 1, n, highest) >= alpha / 2)]
    return int(accepted.min()), int(accepted.max())


def hits(estimates_list, truth: dict[str, float]) -> dict[str, int]:
    """How many intervals contain the truth, per parameter."""
    return {name: sum(low <= value <= high for low, high in (e.interval(name) for e in estimates_list))
            for name, value in truth.items()}


def assert_covers(counts: dict[str, int], n: int) -> None:
    low, high = acceptance_region(n)
    for name, count in counts.items():
        assert low <= count <= high, (f"{name}: {count} of {n} intervals cover the truth ({count / n:.1%}); "
                                      f"a coverage in {LOWEST:.0%}-{HIGHEST:.0%} gives {low}-{high} ({counts})")


def test_acceptance_region_accepts_the_band_and_rejects_narrow_intervals():
    """The numbers in the module docstring: what the region accepts and how often it catches bad intervals."""
    def failure(n, coverage):
        low, high = acceptance_region(n)
        return stats.binom.cdf(low - 1, n, coverage) + stats.binom.sf(high, n, coverage)

    assert acceptance_region(200) == (168, 200) and acceptance_region(400) == (344, 400)
    assert acceptance_region(40)[0] <= 35  # 87.5 % of 40
    for n in (200, 400):
        assert failure(n, LOWEST) <= ALPHA / 2 and failure(n, 0.94) < 1e-6
    assert round(failure(200, 0.80), 2) == 0.91 and round(failure(400, 0.80), 2) == 1.00
    assert round(failure(200, 0.85), 2) == 0.30 and round(failure(400, 0.85), 2) == 0.68


def test_sbg_intervals_cover_alpha_and_beta():
    """400 replications of 2,000 monthly customers over three years, truth alpha 0.7, beta 1.2: 383 and 379 cover
    (95.75 % and 94.75 %; the first 100 of them gave 99 % and 97 %)."""
    fits = []
    for seed in range(400):
        rng = np.random.default_rng(1000 + seed)
        customers = synthetic.customers(rng, 2000, history_start="2020-01-01", as_of="2022-12-31", truth=synthetic.RetentionTruth(0.7, 1.2))
        duration, churned = retention.durations(customers["start_date"], customers["end_date"], "2022-12-31", "month")
        fits.append(retention.fit_sbg(duration, churned).estimates)
    assert_covers(hits(fits, {"alpha": 0.7, "beta": 1.2}), len(fits))
    alphas = np.array([f.value("alpha") for f in fits])
    assert abs(alphas.mean() - 0.7) < 4 * alphas.std(ddof=1) / np.sqrt(len(alphas))  # no visible bias


def test_nbd_purchase_rate_intervals_cover_r_and_alpha():
    """200 replications of 1,000 contract customers (exposures from days to three years), truth r 1.5, alpha 3 per month.

    Half a purchase a month on average (about 4,500 orders per replication).
    Measured: r 191, alpha 190 of 200 (over 300 replications: 96.3 % and 96 %).
    """
    truth = synthetic.PurchaseTruth(r=1.5, alpha=3.0)
    fits = []
    for seed in range(200):
        rng = np.random.default_rng(2000 + seed)
        customers = synthetic.customers(
            rng, 1000, history_start="2020-01-01", as_of="2022-12-31", truth=synthetic.RetentionTruth(1.0, 10.0)
        )
        orders = synthetic.contract_orders(rng, customers, as_of="2022-12-31", truth=truth)
        # synthetic frames are clean: rename to the checked layout instead of re-checking them 100 times
        checked = customers.rename(columns={"start_date": "start", "end_date": "end"})
        exposure = summaries.exposure(checked, orders.rename(columns={"date": "time"}), as_of="2022-12-31", active_only=False)
        fits.append(purchase_rate.fit(exposure["x"], exposure["t"]).estimates)
    assert_covers(hits(fits, {"r": truth.r, "alpha": truth.alpha}), len(fits))


def test_bgnbd_intervals_cover_all_four_parameters():
    """200 replications of 1,500 customers, first purchases over a year, observed for two; truth r 0.8, alpha 2, a 0.8, b 4 (months).

    Measured: r 184, alpha 186, a 193, b 195 of 200 (92 %, 93 %, 96.5 %, 97.5 %; over 400 replications
    93.75 %, 94.75 %, 94.75 %, 94.5 %). The first 40 give 87.5 % for r by chance (binomial spread +-4
    points at 40), which the exact region accepts.
    """
    truth = synthetic.PurchaseTruth(r=0.8, alpha=2.0, a=0.8, b=4.0)
    fits = []
    for seed in range(200):
        rng = np.random.default_rng(3000 + seed)
        orders = synthetic.orders(rng, 1500, history_start="2023-01-01", end="2024-12-31", first_purchase_by="2023-12-31", truth=truth)
        summary = summaries.rfm(orders.rename(columns={"date": "time"}), cutoff="2024-12-31", time_unit="month")
        fits.append(bgnbd.fit(summary["x"], summary["t_x"], summary["T"]).estimates)
    assert_covers(hits(fits, {"r": truth.r, "alpha": truth.alpha, "a": truth.a, "b": truth.b}), len(fits))
