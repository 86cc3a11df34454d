"""The fast count engine against a slow per-customer simulation of the same model.

Both simulate a small population many times with fixed seeds; the per-draw
totals must look like samples from one distribution (two-sample Kolmogorov-
Smirnov and Anderson-Darling tests) and have equal means within four standard
errors of the difference.
"""

import numpy as np
import pytest
from scipy import stats

from sim.compute.simulation import evaluate, sample
from tests.conftest import build, scenario_dict
from tests.model.per_customer_model import simulate_customers

DRAWS, PERIODS = 600, 10

PARAMS = {
    "customers": 80,
    "arrivals": 3.0,
    "churn": 0.04,
    "purchases": 1.5,
    "value_per_purchase": 20.0,
    "fee": 5.0,
    "contacts": 0.6,
    "good": 0.5,
    "bad": 0.2,
    "walk_away": 0.35,
    "positive_uplift": 0.4,
    "negative_drop": 0.6,
    "positive_churn_reduction": 0.5,
    "negative_churn_increase": 1.0,
    "positive_duration": 3.0,
    "negative_duration": 5.0,
    "negative_contact_increase": 0.8,
}

EXPERIENCE = ("good", "bad", "walk_away", "positive_uplift", "negative_drop", "positive_churn_reduction",
              "negative_churn_increase", "positive_duration", "negative_duration", "negative_contact_increase")


MIX_KEYS = {"churn_mix": ("alpha", "beta"), "purchase_mix": ("shape", "rate"), "dropout_mix": ("a", "b")}


def _fast_totals(params=PARAMS) -> dict[str, np.ndarray]:
    raw = scenario_dict(horizon=PERIODS, draws=DRAWS, seed=17)
    segment = {k: v for k, v in params.items() if k not in EXPERIENCE and k not in MIX_KEYS}
    segment.update(margin=1.0)
    for key, names in MIX_KEYS.items():
        if key in params:
            segment[key] = dict(zip(names, params[key]))
    segment["experience"] = {k: params[k] for k in EXPERIENCE}
    raw["segments"] = {"small": segment}
    raw["interventions"]["program"]["changes"] = [{"path": "segments.small.fee", "scale": 1.0}]
    scenario = build(raw)
    flows = evaluate(scenario, sample(scenario, DRAWS, 17), seed=17)["baseline"]
    return {name: flows[name].sum(axis=1) for name in ("revenue", "contacts", "walked", "churned", "purchases")} | {
        "active_at_end": flows["active"][:, -1],
        "negative_at_end": flows["negative"][:, -1],
    }


def _slow_totals(params=PARAMS) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2024)
    runs = [simulate_customers(params, PERIODS, rng) for _ in range(DRAWS)]
    totals = {name: np.array([r[name].sum() for r in runs]) for name in ("revenue", "contacts", "walked", "churned", "purchases")}
    totals["active_at_end"] = np.array([r["active"][-1] for r in runs])
    totals["negative_at_end"] = np.array([r["end_B"][-1] for r in runs])
    return totals


@pytest.fixture(scope="module")
def both():
    return _fast_totals(), _slow_totals()


@pytest.mark.parametrize(
    "name", ["revenue", "contacts", "walked", "churned", "purchases", "active_at_end", "negative_at_end"]
)
def test_fast_engine_and_per_customer_simulation_agree(both, name):
    fast, slow = both[0][name], both[1][name]
    assert stats.ks_2samp(fast, slow).pvalue > 0.001
    assert stats.anderson_ksamp([fast, slow], variant="midrank", method=stats.PermutationMethod(n_resamples=200, rng=1)).pvalue > 0.001
    standard_error = np.sqrt(fast.var(ddof=1) / len(fast) + slow.var(ddof=1) / len(slow))
    assert abs(fast.mean() - slow.mean()) < 4 * standard_error
