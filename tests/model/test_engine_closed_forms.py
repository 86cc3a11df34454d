"""The engine against closed forms: geometric retention and first-period experience effects."""

import numpy as np
import pytest

from sim.model.finance import discount_factors
from sim.compute.simulation import evaluate, sample
from tests.conftest import build, scenario_dict

CUSTOMERS, CHURN, PURCHASES, VALUE, MARGIN, HORIZON, RATE = 1000, 0.05, 2.0, 50.0, 0.4, 24, 0.10


def geometric_value_per_customer() -> float:
    """Sum over t = 1..T of margin * lambda * v * (1 - h)^t * d^t (churn happens before buying)."""
    t = np.arange(1, HORIZON + 1)
    return float(np.sum(MARGIN * PURCHASES * VALUE * (1 - CHURN) ** t * discount_factors(HORIZON, RATE, 12)))


def _retention_scenario():
    return build(scenario_dict(horizon=HORIZON, discount_rate=RATE, draws=2000, seed=11))


def _pv_gross_profit_per_customer(flows):
    return (flows["baseline"]["gross_profit"] * discount_factors(HORIZON, RATE, 12)).sum(axis=1) / CUSTOMERS


def test_expected_value_mode_equals_geometric_retention_value_exactly():
    scenario = _retention_scenario()
    values = sample(scenario, 1, 0)
    pv = _pv_gross_profit_per_customer(evaluate(scenario, values, seed=0, expected=True))
    assert pv[0] == pytest.approx(geometric_value_per_customer(), rel=1e-12)


def test_monte_carlo_mean_matches_geometric_retention_value_within_three_standard_errors():
    scenario = _retention_scenario()
    values = sample(scenario, 2000, 11)
    pv = _pv_gross_profit_per_customer(evaluate(scenario, values, seed=11))
    standard_error = pv.std(ddof=1) / np.sqrt(len(pv))
    assert abs(pv.mean() - geometric_value_per_customer()) < 3 * standard_error
    assert standard_error > 0


def _experience_scenario():
    raw = scenario_dict(horizon=1, draws=4000, seed=5)
    raw["segments"]["retail"].update(contacts=0.8, arrivals=0)
    raw["segments"]["retail"]["experience"] = {
        "good": 0.5, "bad": 0.2, "walk_away": 0.3, "positive_uplift": 0.25, "negative_drop": 0.5,
    }
    return build(raw)


def test_first_period_walk_aways_and_contacts_match_thinning_formulas():
    scenario = _experience_scenario()
    active = CUSTOMERS * (1 - CHURN)
    expected_walked = active * (1 - np.exp(-0.8 * 0.2)) * 0.3
    values = sample(scenario, 4000, 5)
    flows = evaluate(scenario, values, seed=5)["baseline"]
    for name, expected in (("walked", expected_walked), ("contacts", active * 0.8)):
        x = flows[name][:, 0]
        standard_error = x.std(ddof=1) / np.sqrt(len(x))
        assert abs(x.mean() - expected) < 3 * standard_error, name
    exact = evaluate(scenario, sample(scenario, 1, 0), seed=0, expected=True)["baseline"]
    assert exact["walked"][0, 0] == pytest.approx(expected_walked, rel=1e-12)
    assert exact["contacts"][0, 0] == pytest.approx(active * 0.8, rel=1e-12)


def test_states_of_survivors_follow_their_contacts_in_the_first_period():
    scenario = _experience_scenario()
    exact = evaluate(scenario, sample(scenario, 1, 0), seed=0, expected=True)["baseline"]
    active = CUSTOMERS * (1 - CHURN)
    had_bad = active * (1 - np.exp(-0.8 * 0.2))
    had_good = (active - had_bad) * (1 - np.exp(-0.8 * 0.5))
    assert exact["negative"][0, 0] == pytest.approx(had_bad * (1 - 0.3), rel=1e-12)
    assert exact["positive"][0, 0] == pytest.approx(had_good, rel=1e-12)


def test_negative_customers_contact_support_more():
    raw = scenario_dict(horizon=2, draws=10, seed=1)
    raw["segments"]["retail"].update(contacts=0.5, arrivals=0)
    raw["segments"]["retail"]["experience"] = {"bad": 0.3, "negative_contact_increase": 1.0, "negative_churn_increase": 0.5}
    scenario = build(raw)
    flows = evaluate(scenario, sample(scenario, 1, 0), seed=0, expected=True)["baseline"]
    negative_active = flows["negative"][0, 0] * (1 - CHURN * 1.5)  # negative customers left after churn in period 2
    expected = 0.5 * flows["active"][0, 1] + 0.5 * 1.0 * negative_active
    assert flows["contacts"][0, 1] == pytest.approx(expected, rel=1e-12)
