"""The mixes' cases of issue 17 and their closed forms, shared by tests/model/test_mix_exactness.py and
benchmarks/mix_tolerances.py (which prints the same errors for any checkout on PYTHONPATH).

* A purchase mix with churn: NPV = 0.1 x total purchases - 36, whose mean and sd have a closed form.
* A churn mix changed by an intervention: the aged cohort's expected retention against the exact
  rank-preserving curve.
* BG/NBD dropout: expected retention against 2F1(r, a; a + b; -t / alpha).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, betaincinv, hyp2f1, roots_jacobi

from sim.compute.simulation import evaluate, sample
from tests.conftest import build, scenario_dict

CUSTOMERS, CHURN, SHAPE, RATE, MONTHS = 3000, 0.05, 0.9, 0.6, 36

CHANGES = [  # (alpha, beta), what is scaled and by how much, start, ramp: the four cases of issue 17, then more
    ((0.704, 1.182), "beta", 1.5, 4, 3),
    ((0.704, 1.182), "beta", 2.0, 4, 1),
    ((0.3, 3.0), "beta", 0.5, 4, 6),
    ((0.704, 1.182), "beta", 1.5, 13, 1),
    ((0.704, 1.182), "beta", 0.5, 2, 12),
    ((0.2, 0.2), "beta", 3.0, 7, 24),
    ((1.0, 10.0), "beta", 0.7, 1, 2),
    ((0.704, 1.182), "alpha", 0.5, 4, 3),
    ((0.704, 1.182), "alpha", 2.0, 4, 1),
    ((0.704, 1.182), "alpha+beta", 2.0, 1, 1),
]

BGNBD = {
    "CDNOW fit in months": (0.243, 4.414 * 12 / 52, 0.793, 2.426),
    "README example": (0.243, 0.8, 0.793, 2.426),
    "extreme": (0.3, 0.1, 0.3, 0.6),
}


def purchase_mix_scenario(draws: int, seed: int = 1):
    """No arrivals, churn 0.05, purchase_mix (0.9, 0.6), value 1, margin 1, no discounting; the intervention
    scales value_per_purchase by 1.1 at a recurring cost of 1: NPV = 0.1 x total purchases - 36."""
    raw = scenario_dict(horizon=MONTHS, draws=draws, seed=seed)
    retail = raw["segments"]["retail"]
    del retail["purchases"]
    retail.update(customers=CUSTOMERS, monthly_churn=CHURN, value_per_purchase=1.0, margin=1.0)
    retail["purchase_mix"] = {"shape": SHAPE, "rate": RATE}
    raw["interventions"]["program"] = {"recurring_cost": 1.0, "changes": [
        {"path": "segments.retail.value_per_purchase", "scale": 1.1}]}
    return build(raw)


def exact_npv() -> tuple[float, float]:
    """Mean and sd of NPV: total purchases sum over customers of Poisson(rate x L), L the months a customer stays
    (P(L >= t) = (1 - churn)^(t - 1), t = 1..36: active in period t after that period's churn, so (1 - churn)^t)."""
    t = np.arange(1, MONTHS + 1)
    survival = (1 - CHURN) ** t  # P(L >= t)
    mean_l, mean_l2 = survival.sum(), ((2 * t - 1) * survival).sum()
    mean_rate, mean_rate2 = SHAPE / RATE, SHAPE * (SHAPE + 1) / RATE**2
    variance = CUSTOMERS * (mean_rate * mean_l + mean_rate2 * mean_l2 - (mean_rate * mean_l) ** 2)
    return 0.1 * CUSTOMERS * mean_rate * mean_l - MONTHS, 0.1 * np.sqrt(variance)


def npv(draws: int, seed: int = 1) -> np.ndarray:
    """The engine's NPV per draw of :func:`purchase_mix_scenario`."""
    scenario = purchase_mix_scenario(draws, seed)
    flows = evaluate(scenario, sample(scenario, draws, seed), seed=seed)
    return 0.1 * flows["program"]["purchases"].sum(axis=1) - MONTHS


def rank_preserving_curve(a0, b0, a1, b1, start, ramp, horizon, nodes=4000):
    """Exact: each customer at quantile u of Beta(a0, b0) churns in period t with the quantile u of the mix of
    that period (parameters moved by the ramp share), integrated over u by a 4,000-node Gauss-Jacobi rule."""
    x, w = roots_jacobi(nodes, b0 - 1, a0 - 1)
    p0, w = (1 + x) / 2, w / w.sum()
    u = betainc(a0, b0, p0)
    surviving, curve, p, last = np.ones(nodes), [], p0, 0.0
    for t in range(1, horizon + 1):
        share = float(np.clip((t - start + 1) / ramp, 0.0, 1.0))
        if share != last:
            p, last = betaincinv(a0 + share * (a1 - a0), b0 + share * (b1 - b0), u), share
        surviving = surviving * (1 - p)
        curve.append((w * surviving).sum())
    return np.array(curve)


def churn_change_error(mix, key, scale, start, ramp, horizon: int = 60) -> float:
    """Largest error of the engine's aged cohort (expected counts) against :func:`rank_preserving_curve`."""
    raw = scenario_dict(horizon=horizon, draws=1, seed=0)
    retail = raw["segments"]["retail"]
    del retail["monthly_churn"]
    retail.update(customers=100_000, arrivals=0)
    retail["churn_mix"] = dict(zip(("alpha", "beta"), mix))
    raw["interventions"]["program"].update(start=start, ramp=ramp, changes=[
        {"path": f"segments.retail.churn_mix.{name}", "scale": scale} for name in key.split("+")])
    scenario = build(raw)
    active = evaluate(scenario, sample(scenario, 1, 0), seed=0, expected=True)["program"]["active"][0] / 100_000
    alpha = mix[0] * scale if "alpha" in key else mix[0]
    beta = mix[1] * scale if "beta" in key else mix[1]
    return float(np.max(np.abs(active - rank_preserving_curve(mix[0], mix[1], alpha, beta, start, ramp, horizon))))


def dropout_raw(shape, rate, a, b) -> dict:
    """A 60-month cohort of 100,000 with a BG/NBD purchase and dropout mix, no arrivals, nothing changed."""
    raw = scenario_dict(horizon=60, draws=1, seed=0)
    retail = raw["segments"]["retail"]
    del retail["monthly_churn"], retail["purchases"]
    retail.update(customers=100_000, arrivals=0)
    retail["purchase_mix"] = {"shape": shape, "rate": rate}
    retail["dropout_mix"] = {"a": a, "b": b}
    raw["interventions"]["program"]["changes"] = []
    return raw


def bgnbd_error(shape, rate, a, b) -> float:
    """Largest error of the engine's expected retention over 60 months against 2F1 (raises if the mix is refused)."""
    scenario = build(dropout_raw(shape, rate, a, b))
    active = evaluate(scenario, sample(scenario, 1, 0), seed=0, expected=True)["baseline"]["active"][0] / 100_000
    exact = np.concatenate([[1.0], hyp2f1(shape, a, a + b, -np.arange(1, 60) / rate)])
    return float(np.max(np.abs(active - exact)))
