"""Order summaries at exact times, BG/NBD expectations, Gamma-Gamma and NBD fits, holdout reports and the orders API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.fit import fit_orders, fit_purchase_rates, holdout_orders, purchase_rate, spend, summaries, synthetic
from sim.fit.bgnbd import conditional_purchases, expected_purchases, p_alive
from sim.fit.checks import check_customers, check_orders
from sim.fit.periods import DAYS_PER_UNIT

MONTH = 365.25 / 12


# --- summaries ------------------------------------------------------------------------------------------------------


def test_frequency_recency_age_at_exact_times():
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "c", "c"],
            "date": ["2024-01-01 10:00", "2024-01-01 10:00", "2024-01-16 22:00", "2024-03-01", "2024-02-10", "2024-01-05", "2024-04-01"],
            "amount": [5.0, 5.0, 20.0, 30.0, 7.0, 3.0, 9.0],
        }
    )
    summary = summaries.rfm(check_orders(orders), cutoff="2024-03-31", time_unit="month")
    a, b, c = summary.loc["a"], summary.loc["b"], summary.loc["c"]
    assert a["x"] == 2 and a["purchases"] == 3  # the two 10:00 orders are one purchase of 10.00
    assert a["t_x"] == pytest.approx((pd.Timestamp("2024-03-01") - pd.Timestamp("2024-01-01 10:00")).total_seconds() / 86400 / MONTH)
    assert a["T"] == pytest.approx((pd.Timestamp("2024-03-31") - pd.Timestamp("2024-01-01 10:00")).total_seconds() / 86400 / MONTH)
    assert a["m_x"] == pytest.approx(25.0) and a["spend"] == pytest.approx(60.0)
    assert b["x"] == 0 and b["t_x"] == 0 and np.isnan(b["m_x"])
    assert c["x"] == 0  # its second order is after the cut-off
    assert DAYS_PER_UNIT["month"] == MONTH and DAYS_PER_UNIT["year"] == 365.25


def test_split_counts_holdout_purchases_of_calibration_customers_only():
    orders = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 3],
            "date": ["2024-01-01", "2024-02-01", "2024-05-01", "2024-05-01", "2024-07-01", "2024-05-02"],
            "amount": 1.0,
        }
    )
    split = summaries.split(check_orders(orders), cutoff="2024-03-31", holdout_end="2024-06-30", time_unit="day")
    assert list(split.summary.index) == [1]
    assert split.summary.loc[1, "x_holdout"] == 1  # one purchase on 05-01 (two orders at the same time); 07-01 is past the end
    assert split.duration == 91.0


def test_exposure_counts_whole_days_on_the_books():
    customers = pd.DataFrame({"customer_id": [1, 2], "start_date": ["2024-01-01", "2024-01-01"], "end_date": ["2024-01-31", None]})
    orders = pd.DataFrame({"customer_id": [1, 1, 2], "date": ["2024-01-31 18:00", "2024-02-01", "2024-06-30 23:00"], "amount": 1.0})
    frame = summaries.exposure(
        check_customers(customers, as_of="2024-06-30"), check_orders(orders), as_of="2024-06-30", time_unit="day", active_only=False
    )
    assert list(frame["x"]) == [1, 1] and list(frame["t"]) == [31.0, 182.0]


# --- BG/NBD expectations --------------------------------------------------------------------------------------------


def test_expected_purchases_matches_simulation():
    """E[X(t)] against the mean repeat purchases of 40,000 simulated customers all born on the same day."""
    truth = synthetic.PurchaseTruth(r=0.8, alpha=2.0, a=0.8, b=4.0)
    orders = synthetic.orders(
        np.random.default_rng(8), 40_000, history_start="2024-01-01", end="2024-12-31", first_purchase_by="2024-01-01", truth=truth
    )
    summary = summaries.rfm(check_orders(orders), cutoff="2024-12-31", time_unit="month")
    t = summary["T"].iloc[0]
    assert np.allclose(summary["T"], t)
    expected = expected_purchases((0.8, 2.0, 0.8, 4.0), t)
    se = summary["x"].std() / np.sqrt(len(summary))
    assert summary["x"].mean() == pytest.approx(expected, abs=4 * se)


def test_p_alive_and_conditional_expectation_behave():
    params = (0.243, 4.414, 0.793, 2.426)
    assert p_alive(params, 0, 0, 30) == 1.0
    alive = p_alive(params, np.array([3, 3, 3]), np.array([30.0, 20.0, 10.0]), 38.0)
    assert np.all(np.diff(alive) < 0) and np.all((alive > 0) & (alive < 1))  # longer silence, less likely alive
    future = conditional_purchases(params, 39, np.array([0, 1, 5]), np.array([0.0, 30.0, 30.0]), 38.0)
    assert np.all(np.diff(future) > 0)
    # a new customer (x = 0, T = 0) expects E[X(t)]
    assert conditional_purchases(params, 10.0, 0, 0.0, 0.0) == pytest.approx(expected_purchases(params, 10.0))


def test_holdout_report_on_simulated_data_is_close_to_truth():
    truth = synthetic.PurchaseTruth(r=0.8, alpha=2.0, a=0.8, b=4.0)
    orders = synthetic.orders(
        np.random.default_rng(12), 30_000, history_start="2022-01-01", end="2024-12-31", first_purchase_by="2023-12-31", truth=truth
    )
    checked = holdout_orders(orders, cutoff="2023-12-31", holdout_end="2024-12-31")["all"]
    report = checked.report.set_index("group")
    assert list(report.index) == ["0", "1", "2", "3", "4", "5", "6", "7+", "all"]
    assert abs(report.loc["all", "error_pct"]) < 3
    assert (report["predicted_mean"] - report["actual_mean"]).abs().max() < 0.25
    assert checked.duration == pytest.approx(366 / MONTH)
    fit = checked.fit.purchases
    for name, value in (("r", 0.8), ("alpha", 2.0), ("a", 0.8), ("b", 4.0)):
        low, high = fit.estimates.interval(name, z=3.5)
        assert low < value < high, name


# --- spend and purchase rates ---------------------------------------------------------------------------------------


def test_gamma_gamma_recovers_the_mean_spend():
    truth = synthetic.PurchaseTruth(r=2.0, alpha=1.0, p=6.0, q=4.0, gamma=15.0)
    orders = synthetic.orders(np.random.default_rng(21), 8000, history_start="2024-01-01", end="2024-12-31", truth=truth)
    fit = fit_orders(orders)["all"].spend
    low, high = fit.mean_spend_interval()
    assert low < truth.mean_spend < high and fit.se_mean_spend < 1.0
    assert fit.conditional_spend(0, 100.0) == pytest.approx(fit.mean_spend)  # no own history: the population mean
    assert fit.conditional_spend(1000, 100.0) == pytest.approx(100.0, rel=0.01)  # a long history: mostly one's own


def test_nbd_rate_of_the_sample_company():
    """Two purchases a month on average (r = 2, alpha = 1 per month)."""
    customers, orders = synthetic.sample_company(np.random.default_rng(6), 3000)
    fits = fit_purchase_rates(customers, orders, as_of="2025-12-31", period="month")
    assert set(fits) == {"retail", "business"}
    for fit in fits.values():
        low, high = fit.mean_rate_interval()
        assert low < 2.0 < high
        assert [row["parameter"] for row in fit.as_rows()] == ["r", "alpha", "mean_rate"]
    per_year = fit_purchase_rates(customers, orders, as_of="2025-12-31", period="year")["retail"]
    assert per_year.mean_rate == pytest.approx(fits["retail"].mean_rate * 12, rel=1e-6)


def test_nbd_loglik_matches_scipy_negative_binomial():
    """With equal exposure t the NBD is scipy's nbinom(r, alpha / (alpha + t))."""
    from scipy import stats

    x = np.array([0, 1, 2, 5, 9])
    t = np.full(5, 2.5)
    value, _ = purchase_rate.loglik(np.array([1.3, 0.7]), x.astype(float), t)
    assert value == pytest.approx(stats.nbinom.logpmf(x, 1.3, 0.7 / (0.7 + 2.5)).sum())


def test_fit_orders_rows_for_a_report():
    truth = synthetic.PurchaseTruth(r=0.8, alpha=2.0, a=0.8, b=4.0)
    orders = synthetic.orders(np.random.default_rng(3), 3000, history_start="2023-01-01", end="2024-12-31", truth=truth, segment="web")
    fit = fit_orders(orders, period="month")["web"]
    rows = fit.as_rows()
    assert [(r["model"], r["parameter"]) for r in rows] == [
        ("BG/NBD", "r"),
        ("BG/NBD", "alpha"),
        ("BG/NBD", "a"),
        ("BG/NBD", "b"),
        ("gamma-gamma", "p"),
        ("gamma-gamma", "q"),
        ("gamma-gamma", "gamma"),
        ("gamma-gamma", "mean_spend"),
    ]
    assert all(r["segment"] == "web" and r["ci_low"] < r["estimate"] < r["ci_high"] for r in rows)
    assert spend.SpendFit is type(fit.spend)


def test_homogeneous_spend_falls_back_to_one_fixed_spend_per_purchase():
    """Every customer's amounts Gamma(4, mean 50): the Gamma-Gamma's q and gamma run off to infinity; the fit gives
    the homogeneous limit (issue 19) with an interval that covers 50, its standard error within 20 % of the
    closed form 50 / sqrt(4 * sum(x)), instead of refusing "gamma ran to the edge"."""
    rng = np.random.default_rng(19)
    x = rng.poisson(4.0, 3000) + 1
    m = np.array([rng.gamma(4.0, 12.5, k).mean() for k in x])
    fitted = spend.fit(x, m)
    assert isinstance(fitted, spend.HomogeneousSpend)
    low, high = fitted.mean_spend_interval()
    assert low < 50.0 < high
    assert fitted.se_mean_spend == pytest.approx(50.0 / np.sqrt(4.0 * x.sum()), rel=0.2)
    assert fitted.as_rows()[0]["model"] == "homogeneous spend"
