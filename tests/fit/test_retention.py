"""sBG retention: the survivor function, the date rule, the Hessian, the heterogeneity test, holdout checks and the API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from sim.errors import ScenarioError
from sim.fit import fit_retention, holdout_retention, synthetic
from sim.fit.mle import hessian_theta
from sim.fit.periods import add_periods, whole_periods
from sim.fit.retention import (
    cells_from_survivors,
    churn_pmf,
    durations,
    fit_geometric,
    fit_survivor_table,
    holdout_survivor_table,
    sbg_hessian,
    sbg_loglik,
    survival,
    tabulate,
)

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


# --- the survivor function against closed forms ---------------------------------------------------------------


@pytest.mark.parametrize("alpha, beta", [(0.704, 1.182), (0.668, 3.806), (2.5, 40.0)])
def test_survival_is_the_beta_mixture_of_geometric_survival(alpha, beta):
    """S(t) = E[(1 - theta)^t] over theta ~ Beta(alpha, beta), by numerical integration."""
    for t in (0, 1, 2, 5, 12):
        expected, _ = integrate.quad(lambda th: (1 - th) ** t * stats.beta.pdf(th, alpha, beta), 0, 1)
        assert survival(alpha, beta, t) == pytest.approx(expected, rel=1e-6)


def test_survival_is_a_product_of_retention_rates_and_one_minus_the_churn_cdf():
    alpha, beta = 0.704, 1.182
    t = np.arange(1, 30)
    rates = (beta + t - 1) / (alpha + beta + t - 1)
    assert np.allclose(survival(alpha, beta, t), np.cumprod(rates), rtol=1e-12)
    assert np.allclose(survival(alpha, beta, t), 1.0 - np.cumsum(churn_pmf(alpha, beta, t)), rtol=1e-10)
    fit = fit_survivor_table(REGULAR)
    assert np.allclose(fit.retention_rate(t), (fit.beta + t - 1) / (fit.alpha + fit.beta + t - 1))


# --- dates to durations ------------------------------------------------------------------------------------------


def _one(start, end, as_of="2024-12-31", period="month"):
    d, c = durations(np.array([start], dtype="datetime64[ns]"), np.array([end], dtype="datetime64[ns]"), as_of, period)
    return int(d[0]), bool(c[0])


def test_duration_rule_for_the_documented_examples():
    assert _one("2024-01-15", "2024-03-20") == (3, True)  # survived 02-15 and 03-15, churned in period 3
    assert _one("2024-01-15", "2024-03-15") == (2, True)  # the 03-15 renewal did not happen
    assert _one("2024-01-15", "2024-01-15") == (1, True)  # ended the day it started
    assert _one("2024-01-15", "NaT", as_of="2024-03-15") == (2, False)  # active on a boundary: renewed
    assert _one("2024-01-15", "NaT", as_of="2024-03-14") == (1, False)
    assert _one("2023-01-15", "2024-03-20", as_of="2025-06-30", period="year") == (2, True)
    assert _one("2023-01-15", "2024-03-20", period="year") == (1, False)  # year 2 runs to 2025-01-15: not over


def test_churn_in_the_period_still_running_at_as_of_is_censored():
    """Ended 2024-12-20, period runs to 2025-01-15: not complete at as_of 2024-12-31, so censored after 11 renewals."""
    assert _one("2024-01-15", "2024-12-20") == (11, False)
    assert _one("2024-01-15", "2024-12-15") == (11, True)  # period 11 ended 12-15 (inclusive): complete


def test_month_ends_are_clipped():
    start = np.array(["2024-01-31"] * 3, dtype="datetime64[D]")
    assert list(add_periods(start, np.array([1, 2, 13]), "month").astype(str)) == ["2024-02-29", "2024-03-31", "2025-02-28"]
    dates = np.array(["2024-02-28", "2024-02-29", "2024-03-30"], dtype="datetime64[D]")
    assert list(whole_periods(start, dates, "month")) == [0, 1, 1]


def test_fit_of_100k_customers_recovers_the_truth():
    """At scale the conversion and fit stay exact: alpha 0.7 and beta 1.2 within 4 standard errors.

    How long it takes is not a test (a shared machine makes such an assertion fail at random):
    ``python benchmarks/fit_speed.py`` prints it (budget 5 s; about 0.1 s measured).
    """
    rng = np.random.default_rng(5)
    customers = synthetic.customers(rng, 100_000, history_start="2019-01-01", as_of="2024-12-31")
    fit = fit_retention(customers, as_of="2024-12-31")["all"]
    assert abs(fit.alpha - 0.7) < 4 * fit.se_alpha and abs(fit.beta - 1.2) < 4 * fit.se_beta, fit


# --- observed information ----------------------------------------------------------------------------------------


def test_numerical_hessian_matches_the_analytic_one():
    cells = cells_from_survivors(REGULAR)
    fit = fit_survivor_table(REGULAR)
    params = np.array([fit.alpha, fit.beta])
    analytic = sbg_hessian(params, cells)
    # numerical Hessian in log-parameters -> natural: H_theta = D H D + diag(p * grad)
    grad = sbg_loglik(params, cells)[1]
    from_analytic = np.diag(params) @ analytic @ np.diag(params) + np.diag(params * grad)
    assert np.allclose(hessian_theta(lambda p: sbg_loglik(p, cells), params), from_analytic, rtol=1e-7)
    assert np.allclose(np.linalg.inv(-analytic), fit.estimates.covariance, rtol=1e-6)


def test_gradient_is_zero_at_the_published_optimum():
    cells = cells_from_survivors(REGULAR)
    fit = fit_survivor_table(REGULAR)
    assert np.abs(sbg_loglik(np.array([fit.alpha, fit.beta]), cells)[1]).max() < 1e-6


# --- geometric and the likelihood-ratio test ---------------------------------------------------------------------


def test_geometric_is_churn_events_over_periods_at_risk():
    duration = np.array([1, 2, 3, 3, 1, 1, 1, 2, 2, 4])
    churned = np.array([True, True, False, True, True, False, True, True, False, True])
    cells = tabulate(duration, churned)
    events, renewals = 7, (0 + 1 + 3 + 2 + 0 + 1 + 0 + 1 + 2 + 3)
    assert cells.n_churned == events and cells.renewals == renewals
    geometric = fit_geometric(cells)
    assert geometric.p == pytest.approx(events / (events + renewals))
    assert geometric.se_p == pytest.approx(np.sqrt(geometric.p * (1 - geometric.p) / (events + renewals)))
    assert geometric.loglik == pytest.approx(events * np.log(geometric.p) + renewals * np.log(1 - geometric.p))


def test_lr_test_uses_the_boundary_mixture():
    fit = fit_survivor_table(REGULAR)
    test = fit.heterogeneity
    assert test.df == 1 and test.statistic == pytest.approx(2 * (fit.loglik - fit.geometric.loglik))
    assert test.p_value == pytest.approx(0.5 * test.p_value_chi2)
    assert test.heterogeneous


def test_homogeneous_churn_says_use_the_geometric_model():
    """Every customer churns with 5 % a month: the sBG runs to alpha, beta -> infinity and says so, with the geometric rate."""
    rng = np.random.default_rng(3)
    customers = synthetic.customers(rng, 2000, history_start="2020-01-01", as_of="2022-12-31", truth=synthetic.RetentionTruth(5e4, 1e6))
    with pytest.raises(ScenarioError) as caught:
        fit_retention(customers, as_of="2022-12-31")
    (line,) = caught.value.lines()
    assert line == (
        "the sBG retention fit does not converge: alpha and beta grow without bound, so churn looks the same for every "
        "customer; use the geometric model instead (one churn probability for all: 0.04902 per month)"
    )


# --- observed vs fitted and holdout ------------------------------------------------------------------------------


def test_survival_table_of_the_published_data():
    fit = fit_survivor_table(REGULAR)
    table = fit.survival_table()
    assert list(table["period"]) == list(range(1, 8))
    assert np.allclose(table["observed"], np.array(REGULAR[1:]) / 1000)
    assert list(table["at_risk"]) == REGULAR[:-1]
    assert np.abs(table["sbg_error_pp"]).max() < 1.0  # the sBG tracks the data within a point


def test_holdout_on_the_published_table():
    """Fit years 1-4, predict 5-7: Fader & Hardie's point that the sBG extrapolates well."""
    check = holdout_survivor_table(REGULAR, 4)
    assert check.mae_pp < 1.5
    assert check.renewed_at_cutoff == 326 and check.actual_renewing == 241
    assert check.predicted_renewing == pytest.approx(241, rel=0.05)


def test_holdout_on_simulated_dates_is_close_to_truth():
    rng = np.random.default_rng(11)
    customers = synthetic.customers(rng, 20_000, history_start="2019-01-01", as_of="2024-12-31", truth=synthetic.RetentionTruth(0.7, 1.2))
    check = holdout_retention(customers, cutoff="2022-12-31", as_of="2024-12-31")["all"]
    assert check.mae_pp < 1.0
    table = check.table
    assert table["calibration"].any() and (~table["calibration"]).any()
    assert check.predicted_renewing == pytest.approx(check.actual_renewing, rel=0.05)
    truth = survival(0.7, 1.2, table["period"].to_numpy())
    assert np.abs(table["sbg"] - truth).max() < 0.02


# --- the API per segment -----------------------------------------------------------------------------------------


def test_fit_retention_per_segment_recovers_each_truth():
    rng = np.random.default_rng(2)
    truth = {"retail": synthetic.RetentionTruth(0.8, 8.0, 0.6), "business": synthetic.RetentionTruth(1.5, 30.0, 0.4)}
    customers = synthetic.customers(rng, 20_000, history_start="2021-01-01", as_of="2024-12-31", truth=truth)
    fits = fit_retention(customers, as_of="2024-12-31")
    assert set(fits) == {"retail", "business"}
    for name, t in truth.items():
        fit = fits[name]
        assert fit.mean_churn == pytest.approx(t.alpha / (t.alpha + t.beta), rel=0.05)
        low, high = fit.estimates.interval("alpha")
        assert low < t.alpha < high
        rows = fit.as_rows()
        assert [r["parameter"] for r in rows] == ["alpha", "beta", "p"]
        assert fit.summary_row()["period"] == "month"


def test_segment_problems_are_reported_together():
    rng = np.random.default_rng(4)
    customers = synthetic.customers(rng, 300, history_start="2023-01-01", as_of="2024-12-31")
    tiny = pd.DataFrame(
        {"customer_id": [9001, 9002, 9003], "start_date": pd.to_datetime(["2024-01-01"] * 3), "end_date": pd.NaT, "segment": "vip"}
    )
    calm = pd.DataFrame(
        {"customer_id": range(9100, 9120), "start_date": pd.to_datetime(["2024-06-01"] * 20), "end_date": pd.NaT, "segment": "calm"}
    )
    with pytest.raises(ScenarioError) as caught:
        fit_retention(pd.concat([customers, tiny, calm], ignore_index=True), as_of="2024-12-31")
    assert caught.value.lines() == [
        "segment 'calm': no churn events among 20 customers; needs at least 2 churn events; pool it with another segment or give a longer history",
        "segment 'vip': only 3 customers; a retention fit needs at least 10; pool it with another segment or give a longer history",
    ]
