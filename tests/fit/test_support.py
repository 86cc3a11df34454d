"""Experience effects from tickets: recovery with known effects, the confounder's bias, bad data (about 10 s CPU).

The data come from :mod:`sim.fit.synthetic_support`, a per-customer simulation of the
customer model with known walk-away, state effects and durations.
"""

import numpy as np
import pandas as pd
import pytest

from sim.errors import ScenarioError
from sim.fit.support import fit_support
from sim.fit.synthetic_support import SupportTruth, as_of, company

TRUTH = SupportTruth(arrivals=150)
TRUE_VALUES = {
    "contacts": 0.4, "walk_away": 0.25, "negative_churn_increase": 1.0, "positive_churn_reduction": 0.3,
    "negative_duration": 6.0, "positive_duration": 4.0, "positive_uplift": 0.2, "negative_drop": 0.4,
}
REPLICATIONS = 8


def test_intervals_cover_the_known_effects():
    """8 companies of ~4,000 customers over 30 months: 95 % intervals of the 8 inputs (64 in all) cover the truth.

    Expected 60.8 hits; with independent intervals the count has a standard deviation of 1.7, so fewer than
    56 hits (2.8 sd low) means the intervals are too narrow or the estimates biased. About 7 s.
    """
    hits, misses = 0, []
    for seed in range(REPLICATIONS):
        customers, tickets, orders = company(np.random.default_rng(100 + seed), TRUTH, months=30)
        fits, curve = fit_support(tickets, customers, orders, as_of=as_of(30), causal_designs=False)
        estimates = fits["all"].estimates
        for name, value in TRUE_VALUES.items():
            covered = estimates[name].low <= value <= estimates[name].high
            hits += covered
            if not covered:
                misses.append((seed, name, round(estimates[name].value, 3)))
        assert curve.intercept.low - 0.1 < 4.0 < curve.intercept.high + 0.1
    assert hits >= 56, misses


def test_a_confounder_biases_the_observational_estimates():
    """Customers with higher base churn contact support more (frailty sd 0.8, contacts ~ frailty).

    The estimator cannot tell "bad contacts make customers leave" from "customers about to leave contact more":
    the churn increase while negative comes out about four times the truth (4.0 against 1.0) and the churn
    reduction while positive turns negative (about -0.7 against +0.3): good experiences seem to raise churn,
    because frequent contacters are frequent leavers. Walk-away and buying effects barely move. This is why
    `cxroi fit support` runs the causal designs of sim.fit.causal beside it (tests/fit/test_causal.py).
    """
    customers, tickets, orders = company(np.random.default_rng(7), SupportTruth(frailty_sd=0.8), months=36)
    estimates = fits_of(customers, tickets, orders)
    assert estimates["negative_churn_increase"].low > 2.0
    assert estimates["positive_churn_reduction"].high < 0.0
    assert estimates["walk_away"].low < 0.25 < estimates["walk_away"].high + 0.02
    assert abs(estimates["negative_drop"].value - 0.4) < 0.05


def fits_of(customers, tickets, orders):
    fits, _ = fit_support(tickets, customers, orders, as_of=as_of(36), causal_designs=False)
    return fits["all"].estimates


@pytest.fixture(scope="module")
def small():
    return company(np.random.default_rng(3), SupportTruth(arrivals=40), months=12)


def _problems(tickets, customers, orders=None):
    with pytest.raises(ScenarioError) as error:
        fit_support(tickets, customers, orders, as_of=as_of(12))
    return error.value.lines()


def test_tickets_of_unknown_customers_and_outside_a_life_are_named(small):
    customers, tickets, _ = small
    tickets = tickets.copy()
    tickets.loc[4, "customer_id"] = "nobody"
    ended = customers[customers["end_date"].notna()].iloc[0]
    tickets.loc[7, ["customer_id", "opened"]] = [ended["customer_id"], ended["end_date"] + pd.Timedelta(days=3)]
    assert _problems(tickets, customers) == [
        "tickets: row 6, column 'customer_id': customer id 'nobody' is not in the customers table",
        f"tickets: row 9, column 'opened': ticket opened {ended['end_date'] + pd.Timedelta(days=3):%Y-%m-%d} is after "
        f"customer '{ended['customer_id']}' left ({ended['end_date']:%Y-%m-%d})",
    ]


def test_csat_out_of_scale_and_missing_columns(small):
    customers, tickets, _ = small
    wrong = tickets.copy()
    wrong["csat"] = wrong["csat"].astype(object)
    wrong.loc[2, "csat"] = 7
    wrong.loc[3, "csat"] = "great"
    assert _problems(wrong, customers) == [
        "tickets: row 4, column 'csat': 7 is not allowed: CSAT must be a whole number from 1 to 5; 1 more row like this"]
    assert _problems(tickets.drop(columns="opened"), customers) == [
        "tickets: column 'opened': missing (the table has: customer_id, channel, wait_minutes, csat)"]


def test_a_duration_the_data_cannot_pin_down_is_held_and_not_written():
    """Churn alone (no orders) from 30 months of ~3,000 b2c customers cannot tell how long the negative state lasts:
    the fit runs it to the edge, holds it at its profile-likelihood best and says so; it is not written. About 2 s."""
    from sim.fit.support_inputs import support_inputs

    truths = {"b2b": SupportTruth(arrivals=60), "b2c": SupportTruth(arrivals=120)}
    customers, tickets, _ = company(np.random.default_rng(5), truths, months=30)
    fits, response = fit_support(tickets, customers, None, as_of=as_of(30), causal_designs=False)
    duration = fits["b2c"].estimates["negative_duration"]
    assert np.isnan(duration.low) and duration.method.startswith("not identified by the data")
    suggested, notes = support_inputs(fits, response, evidence="test")
    assert "segments.b2c.experience.negative_duration" not in [s.path for s in suggested]
    assert any(note.startswith("segments.b2c.experience.negative_duration: not written: the data cannot pin it down")
               for note in notes)


def test_a_wait_must_be_a_finite_number_of_minutes_up_to_a_year(small):
    """Text, infinity and a number like 1e308 (which overflowed the fits into a statsmodels traceback) are refused
    with the row, as a negative wait is."""
    customers, tickets, _ = small
    wrong = tickets.copy()
    wrong["wait_minutes"] = wrong["wait_minutes"].astype(object)
    wrong.loc[1, "wait_minutes"] = "inf"
    wrong.loc[2, "wait_minutes"] = "1e308"
    wrong.loc[3, "wait_minutes"] = -2
    assert _problems(wrong, customers) == [
        "tickets: row 3, column 'wait_minutes': cannot read 'inf' as minutes",
        "tickets: row 5, column 'wait_minutes': wait -2 is negative",
        "tickets: row 4, column 'wait_minutes': wait 1e308 is longer than a year: a wait must be between 0 and "
        "525\u00a0600 minutes",
    ]
