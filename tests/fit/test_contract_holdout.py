"""Contractual purchases: the NBD holdout check and spend per segment from the customers table; the homogeneous limit
as a result instead of an error (about 3 s)."""

import numpy as np
import pytest

from sim.fit import Homogeneous, fit_retention, fit_spend, holdout_purchase_rates, synthetic

AS_OF = "2025-12-31"


@pytest.fixture(scope="module")
def company():
    rng = np.random.default_rng(12)
    truth = {"a": synthetic.RetentionTruth(0.8, 8.0, 0.5), "b": synthetic.RetentionTruth(1.5, 30.0, 0.5)}
    customers = synthetic.customers(rng, 4000, history_start="2022-01-01", as_of=AS_OF, truth=truth)
    orders = synthetic.contract_orders(rng, customers, as_of=AS_OF, truth=synthetic.PurchaseTruth(1.5, 2.0))
    return customers, orders.drop(columns="segment")


def test_holdout_predictions_match_purchases_after_the_cutoff(company):
    """E[Y | x, t] = (r + x) / (alpha + t) * duration summed over customers on the books: the total within 3 standard
    errors, the variance being the posterior NBD's, m + m^2 / (r + x) per customer (m its prediction), summed with each
    frequency group's mean standing in for its customers' (7 for 7+)."""
    customers, orders = company
    held = holdout_purchase_rates(customers, orders, cutoff="2024-12-31", as_of=AS_OF)
    assert set(held) == {"a", "b"}
    for name, result in held.items():
        report = result.report.set_index("group")
        groups = report.drop(index="all")
        x = np.array([int(g.rstrip("+")) for g in groups.index])
        m = groups["predicted_mean"].to_numpy()
        variance = np.sum(groups["customers"].to_numpy() * (m + m * m / (result.fit.r + x)))
        z = (report.loc["all", "actual_total"] - report.loc["all", "predicted_total"]) / np.sqrt(variance)
        assert result.duration == pytest.approx(365 / (365.25 / 12))
        assert abs(z) < 3.0, (name, z)
        # customers with more purchases before the cut-off buy more after it (the NBD's shrinkage, not a flat rate)
        means = result.report.set_index("group")["predicted_mean"]
        assert means["0"] < means["3"] < means["7+"]


def test_spend_per_segment_takes_the_segment_from_the_customers_table(company):
    customers, orders = company
    fits = fit_spend(orders, customers=customers, as_of=AS_OF)
    assert set(fits) == {"a", "b"}
    for fit in fits.values():
        assert abs(fit.mean_spend - synthetic.PurchaseTruth(1.5, 2.0).mean_spend) < 3 * fit.se_mean_spend


def test_homogeneous_churn_is_a_result_with_the_geometric_interval():
    rng = np.random.default_rng(3)
    customers = synthetic.customers(rng, 2000, history_start="2020-01-01", as_of="2022-12-31", truth=synthetic.RetentionTruth(5e4, 1e6))
    (fit,) = fit_retention(customers, as_of="2022-12-31", homogeneous=True).values()
    assert isinstance(fit, Homogeneous) and fit.kind == "churn"
    assert fit.low < 5e4 / (5e4 + 1e6) < fit.high and fit.customers == 2000
    assert list(fit.table.columns[-2:]) == ["observed", "geometric"]
