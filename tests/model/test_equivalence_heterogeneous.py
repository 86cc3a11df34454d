"""Customers who differ: the count engine with latent classes against the per-customer simulation.

Each customer of ``tests/model/per_customer_model.py`` draws its own churn
probability (Beta), purchase rate (Gamma) and, for BG/NBD, dropout probability
(Beta, a coin after each purchase); the engine follows classes
(``sim/model/classes.py``). One segment, 80 customers, 12 months, every
experience effect on unless the case says otherwise, 5,000 draws a side, fixed
seeds; an intervention scales the value per purchase by 1.1 at a cost of 1 a
month, so its NPV is 0.1 x value x total purchases - 12 and its distribution is
compared too. Same checks as tests/model/test_equivalence.py (KS, AD, mean,
log variance ratio, each at 0.1 %), with the same power: a standard deviation
10 % off is caught with probability above 0.99.

Every case agrees in distribution since issue 17 (leavers, arrivals and BG/NBD
dropouts split over the buying classes at random, ``sim/model/splits.py``).
Measured at these seeds, total purchases engine / per-customer:

* sBG churn mix: variance ratio 0.968 (z = -1.13), mean z = -0.40;
* purchase mix, nobody arrives or leaves: 0.986 (z = -0.49), mean z = +1.13;
* purchase mix with churn and walk-aways: 0.943 (z = -1.98), mean z = -1.25
  (before issue 17: 0.70, z = -12.0: leavers left each class in proportion);
* purchase mix with 20 arrivals a month: 0.981 (z = -0.66) (before: 0.70, z = -12.5,
  arrivals spread by systematic sampling);
* sBG + NBD: 0.991 (z = -0.30);
* BG/NBD: 1.014 (z = +0.46), mean z = +2.18, KS p = 0.027 (before: 0.82, z = -6.7,
  dropouts' mean z = +5.0).

A deliberately wrong engine that splits leavers over the buying classes in
proportion (the engine before issue 17) must fail
(:func:`test_the_check_catches_leavers_split_over_buying_classes_in_proportion`).

Runtime about 14 s of CPU (six cases and the mutant, about 2 s each).
"""

import numpy as np
import pytest

import sim
from sim.model import splits
from sim.model.splits import leave_even
from tests.conftest import build, scenario_dict
from tests.model.equivalence_check import TOTALS, Z, compare, segment, totals
from tests.model.per_customer_model import simulate_population
from tests.model.test_equivalence import PARAMS

DRAWS, PERIODS, SEED = 5000, 12, 17
BUYING = ("revenue", "purchases", "npv")
"""What the buying classes drive: where the engine's defects of issue 17 show."""

_HOMOGENEOUS = {k: v for k, v in PARAMS.items() if k not in ("churn", "purchases")}
_STAY = {"churn": 0.0, "walk_away": 0.0, "positive_uplift": 0.0, "negative_drop": 0.0}
CASES = {
    # name: per-customer parameters
    "sBG churn mix": _HOMOGENEOUS | {"churn_mix": (0.7, 6.0), "purchases": 1.5},
    "purchase mix, nobody arrives or leaves": _HOMOGENEOUS | _STAY | {"arrivals": 0.0, "purchase_mix": (0.6, 0.4)},
    "purchase mix with churn": _HOMOGENEOUS | {"arrivals": 0.0, "churn": 0.08, "purchase_mix": (0.6, 0.4)},
    "purchase mix with arrivals": _HOMOGENEOUS | _STAY | {"arrivals": 20.0, "purchase_mix": (0.6, 0.4)},
    "sBG + NBD": _HOMOGENEOUS | {"churn_mix": (0.7, 6.0), "purchase_mix": (0.6, 0.4)},
    "BG/NBD": _HOMOGENEOUS | {"churn": 0.02, "purchase_mix": (0.6, 0.4), "dropout_mix": (1.0, 8.0)},
}


def engine_totals(params: dict) -> dict[str, np.ndarray]:
    raw = scenario_dict(horizon=PERIODS, draws=DRAWS, seed=SEED)
    raw["segments"] = {"small": segment(params) | {"margin": 1.0}}
    raw["interventions"] = {"pricing": {"recurring_cost": 1.0, "changes": [
        {"path": "segments.small.value_per_purchase", "scale": 1.1}]}}
    result = sim.run(build(raw), draws=DRAWS, seed=SEED, workers=1)
    return totals(result.flows["baseline"]) | {"npv": result.appraisals["pricing"].npv}


def per_customer_totals(params: dict) -> dict[str, np.ndarray]:
    flows = simulate_population(params, PERIODS, DRAWS, np.random.default_rng(2024))
    out = totals(flows)
    return out | {"npv": 0.1 * params["value_per_purchase"] * out["purchases"] - PERIODS}


def failures(fast: dict, slow: dict, names) -> dict[str, str]:
    """The totals whose checks reject, with the statistics; totals constant in both samples are equal or not."""
    found = {}
    for name in names:
        if np.ptp(fast[name]) == 0 and np.ptp(slow[name]) == 0:
            if fast[name][0] != slow[name][0]:
                found[name] = f"constant {fast[name][0]} against {slow[name][0]}"
            continue
        result = compare(fast[name], slow[name])
        if result.failures():
            found[name] = str(result)
    return found


_runs: dict[str, tuple] = {}


def both(case: str):
    """Engine and per-customer totals of a case, computed once per session."""
    if case not in _runs:
        params = CASES[case]
        _runs[case] = engine_totals(params), per_customer_totals(params)
    return _runs[case]


@pytest.mark.parametrize("case", list(CASES))
def test_engine_with_classes_and_per_customer_simulation_agree(case):
    fast, slow = both(case)
    assert not failures(fast, slow, TOTALS + ("npv",))


def test_the_check_catches_leavers_split_over_buying_classes_in_proportion(monkeypatch):
    """Mutant: each period's leavers leave every buying class in proportion (the hypergeometric
    mean, the engine before issue 17) instead of by a random split. Caught by the variance of
    purchases and NPV in "purchase mix with churn" (ratio 0.70, z = -12.0)."""
    calls = []

    def in_proportion(x, moved, noise, flow, rate):
        calls.append(flow)
        return leave_even(x, moved, None, flow, rate)  # without noise: the expected split

    monkeypatch.setattr(splits, "leave_even", in_proportion)
    params = CASES["purchase mix with churn"]
    fast, slow = engine_totals(params), both("purchase mix with churn")[1]
    assert len(calls) >= PERIODS  # the proportional split ran, every period
    for name in BUYING:
        result = compare(fast[name], slow[name])
        assert result.variance_z < -Z, f"{name}: {result}"
