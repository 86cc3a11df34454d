"""Word of mouth: referrals by positive customers and deterrals by negative ones, against closed forms.

With many good contacts and no churn every customer ends each period positive
(1 - exp(-50) of them), so the active count follows N_t = (1 + r) N_(t-1) + a;
with bad contacts and no walk-aways every customer ends negative and arrivals
are max(a - d N_(t-1), 0). Runtime about 1 s.
"""

from pathlib import Path

import numpy as np
import pytest

from sim.compute.simulation import evaluate, sample
from tests.conftest import build, scenario_dict

CUSTOMERS, ARRIVALS, HORIZON = 1000, 20.0, 12


def _scenario(draws=1, **segment):
    raw = scenario_dict(horizon=HORIZON, draws=draws, seed=2)
    raw["segments"]["retail"].update(customers=CUSTOMERS, arrivals=ARRIVALS, monthly_churn=0.0, contacts=50.0,
                                     acquisition_cost=100.0, **segment)
    raw["interventions"]["program"]["changes"] = []
    return build(raw)


def _flows(scenario, draws=1, seed=0, expected=True):
    return evaluate(scenario, sample(scenario, draws, seed), seed=seed, expected=expected)["baseline"]


def referral_arrivals(r: float) -> np.ndarray:
    """Expected arrivals per period when everyone is positive at the end of each period."""
    active, out = float(CUSTOMERS), []
    for t in range(HORIZON):
        positive = active if t > 0 else 0.0  # the starting customers are neutral
        out.append(ARRIVALS + r * positive)
        active += out[-1]
    return np.array(out)


def test_referrals_by_positive_customers_arrive_the_next_period():
    flows = _flows(_scenario(referrals=0.01, experience={"good": 1.0, "positive_duration": 100}))
    # (1 + r) N growth with a arrivals: N_t = (N_1 + a / r)(1 + r)^(t - 1) - a / r
    assert flows["arrivals"][0] == pytest.approx(referral_arrivals(0.01), rel=1e-12)
    n1, t = CUSTOMERS + ARRIVALS, np.arange(1, HORIZON + 1)
    assert flows["active"][0] == pytest.approx((n1 + ARRIVALS / 0.01) * 1.01 ** (t - 1) - ARRIVALS / 0.01, rel=1e-12)
    # Only the segment's own arrivals cost acquisition.
    assert flows["acquisition_spend"][0] == pytest.approx(np.full(HORIZON, ARRIVALS * 100.0), rel=1e-12)


def test_deterrals_by_negative_customers_reduce_arrivals_to_no_fewer_than_zero():
    experience = {"bad": 1.0, "negative_duration": 100}
    flows = _flows(_scenario(deterrals=0.01, experience=experience))
    # N_t - a/d = (1 - d)(N_(t-1) - a/d) from period 2 on: arrivals a - d N_(t-1).
    a_over_d, t = ARRIVALS / 0.01, np.arange(1, HORIZON + 1)
    assert flows["active"][0] == pytest.approx(a_over_d + (CUSTOMERS + ARRIVALS - a_over_d) * 0.99 ** (t - 1), rel=1e-9)
    floored = _flows(_scenario(deterrals=0.05, experience=experience))  # 0.05 x 1020 > 20: nobody arrives
    assert floored["arrivals"][0, 1:] == pytest.approx(np.zeros(HORIZON - 1), abs=1e-9)


def test_monte_carlo_arrivals_match_the_closed_form_within_three_standard_errors():
    draws = 2000
    flows = _flows(_scenario(draws, referrals=0.01, experience={"good": 1.0, "positive_duration": 100}), draws, 5, expected=False)
    expected = referral_arrivals(0.01)
    for t in (1, 5, 11):
        x = flows["arrivals"][:, t]
        assert abs(x.mean() - expected[t]) < 3 * x.std(ddof=1) / np.sqrt(draws), t


def test_no_word_of_mouth_by_default():
    flows = _flows(_scenario(experience={"good": 1.0}))
    assert flows["arrivals"][0] == pytest.approx(np.full(HORIZON, ARRIVALS), rel=1e-15)


def test_with_support_operations_every_paid_arrival_is_charged_its_acquisition_cost():
    """The operations step once reused the name of the expected arrivals for the contacts customers want,
    so the paid share became arrivals / contacts and the spend fell about eightfold (runtime ~0.1 s)."""
    import sim

    path = Path(__file__).parents[2] / "benchmarks" / "reference_operations.toml"
    loaded = sim.load(path, [f"segments.{name}.acquisition_cost=50" for name in ("b2b", "smb", "b2c")])
    scenario = loaded.scenario
    flows = evaluate(scenario, sample(scenario, 250, 1), seed=1)["baseline"]
    np.testing.assert_allclose(flows["acquisition_spend"], 50.0 * flows["arrivals"], rtol=1e-12)
