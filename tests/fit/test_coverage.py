"""Parameter recovery: on data simulated with known parameters, the 95 % intervals cover the truth 90-99 % of the time.

Intervals are the fits' own (Wald on the log scale from the observed
information, :meth:`sim.fit.mle.Estimates.interval`). Fixed seeds, so the
counts are exact and the same on every run; the measured rates are in the
assertion messages and in each test's docstring.

Runtime on the shared 2-core development machine (load average about 4):
about 12 s for the whole file (sBG 100 replications of 2,000 customers
~0.7 s; NBD 100 replications of 1,000 customers ~3 s; BG/NBD 200
replications of 1,500 customers ~7.5 s); roughly half that on an idle machine.
"""

from __future__ import annotations

import numpy as np

from sim.fit import bgnbd, purchase_rate, retention, summaries, synthetic


def coverage(estimates_list, truth: dict[str, float]) -> dict[str, float]:
    """Share of intervals that contain the truth, per parameter."""
    rates = {}
    for name, value in truth.items():
        hits = [low <= value <= high for low, high in (e.interval(name) for e in estimates_list)]
        rates[name] = float(np.mean(hits))
    return rates


def assert_covers(rates: dict[str, float]) -> None:
    for name, rate in rates.items():
        assert 0.90 <= rate <= 0.99, f"{name}: coverage {rate:.0%} ({rates})"


def test_sbg_intervals_cover_alpha_and_beta():
    """100 replications of 2,000 monthly customers over three years, truth alpha 0.7, beta 1.2: measured 99 % and 97 %.

    (100 replications of 3,000 customers, seeds 0-99, gave 94 % and 97 % during development.)
    """
    fits = []
    for seed in range(100):
        rng = np.random.default_rng(1000 + seed)
        customers = synthetic.customers(rng, 2000, history_start="2020-01-01", as_of="2022-12-31", truth=synthetic.RetentionTruth(0.7, 1.2))
        duration, churned = retention.durations(customers["start_date"], customers["end_date"], "2022-12-31", "month")
        fits.append(retention.fit_sbg(duration, churned).estimates)
    rates = coverage(fits, {"alpha": 0.7, "beta": 1.2})
    assert_covers(rates)
    mean_alpha = np.mean([f.value("alpha") for f in fits])
    assert abs(mean_alpha - 0.7) < 0.02  # no visible bias


def test_nbd_purchase_rate_intervals_cover_r_and_alpha():
    """100 replications of 1,000 contract customers (exposures from days to three years), truth r 1.5, alpha 3 per month.

    Half a purchase a month on average (about 4,500 orders per replication).
    Measured: r 95 %, alpha 96 % (over 300 replications: 96.3 % and 96 %).
    """
    truth = synthetic.PurchaseTruth(r=1.5, alpha=3.0)
    fits = []
    for seed in range(100):
        rng = np.random.default_rng(2000 + seed)
        customers = synthetic.customers(
            rng, 1000, history_start="2020-01-01", as_of="2022-12-31", truth=synthetic.RetentionTruth(1.0, 10.0)
        )
        orders = synthetic.contract_orders(rng, customers, as_of="2022-12-31", truth=truth)
        # synthetic frames are clean: rename to the checked layout instead of re-checking them 100 times
        checked = customers.rename(columns={"start_date": "start", "end_date": "end"})
        exposure = summaries.exposure(checked, orders.rename(columns={"date": "time"}), as_of="2022-12-31", active_only=False)
        fits.append(purchase_rate.fit(exposure["x"], exposure["t"]).estimates)
    assert_covers(coverage(fits, {"r": truth.r, "alpha": truth.alpha}))


def test_bgnbd_intervals_cover_all_four_parameters():
    """200 replications of 1,500 customers, first purchases over a year, observed for two; truth r 0.8, alpha 2, a 0.8, b 4 (months).

    Measured: r 92 %, alpha 93 %, a 96.5 %, b 97.5 %. The Wald interval for r
    covers a little under 95 % at this size, so 40 replications are not
    enough to tell it from the 90 % bound (the first 40 of these give 87.5 %
    for r by chance: binomial spread is +-4 points at 40).
    """
    truth = synthetic.PurchaseTruth(r=0.8, alpha=2.0, a=0.8, b=4.0)
    fits = []
    for seed in range(200):
        rng = np.random.default_rng(3000 + seed)
        orders = synthetic.orders(rng, 1500, history_start="2023-01-01", end="2024-12-31", first_purchase_by="2023-12-31", truth=truth)
        summary = summaries.rfm(orders.rename(columns={"date": "time"}), cutoff="2024-12-31", time_unit="month")
        fits.append(bgnbd.fit(summary["x"], summary["t_x"], summary["T"]).estimates)
    assert_covers(coverage(fits, {"r": truth.r, "alpha": truth.alpha, "a": truth.a, "b": truth.b}))
