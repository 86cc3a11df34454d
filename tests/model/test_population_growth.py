"""A customer base word of mouth grows past what can be simulated is refused at validation, naming the
file and the keys, at base values and at the highest referrals the inputs can take (about 2 s)."""

from __future__ import annotations

import copy
import math

import pytest

import sim
from tests.conftest import scenario_dict
from sim.errors import ScenarioError
from sim.model.domains import check_pinned
from sim.model.growth import MAX_CUSTOMERS
from sim.model.validation import validate


def _raw(referrals, horizon=24) -> dict:
    raw = scenario_dict(horizon=horizon, draws=50)
    raw["segments"]["retail"].update({"contacts": 0.5, "referrals": referrals,
                                      "experience": {"good": 0.6, "bad": 0.1}})
    return raw


@pytest.mark.parametrize("referrals, horizon, words", [
    (1e6, 24, "at base values"),
    (3.0, 600, "at base values"),
    ("0.01 to 0.6", 600, "with referrals at the highest values they can take"),
])
def test_a_customer_base_grown_past_the_most_that_can_be_simulated_is_refused_naming_the_keys(referrals, horizon, words):
    with pytest.raises(ScenarioError) as caught:
        validate(_raw(referrals, horizon), "s.toml")
    (line,) = caught.value.lines()
    assert line.startswith(f"s.toml: segments.retail.referrals: {words}, word of mouth grows the customers")
    assert "settings.horizon" in line and f"{MAX_CUSTOMERS:,.0f}" in line


def test_a_swept_referrals_value_is_held_to_the_same_bound():
    scenario = validate(_raw(0.01), "s.toml")
    with pytest.raises(ScenarioError) as caught:
        check_pinned(scenario, {"segments.retail.referrals": 1e6}, "--values")
    assert caught.value.problems[0].message.startswith("--values: at base values, word of mouth grows")


def test_word_of_mouth_within_the_bound_runs_with_finite_numbers():
    result = sim.run(validate(_raw(0.05, 120), "s.toml"), draws=50, seed=1)
    assert all(math.isfinite(v) for v in result.summary_dict()["interventions"]["program"]["npv"].values()
               if isinstance(v, float))
