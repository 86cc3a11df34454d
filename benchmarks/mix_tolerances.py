"""Measure the mixes' tolerances of issue 17 against their closed forms, for this checkout (or any on PYTHONPATH).

Prints: the NPV mean and sd of a purchase mix with churn (3,000 customers, churn 0.05, purchase_mix
0.9 / 0.6, 36 months; exact mean 7,165.0, sd 204.0) at 4,000 draws, seeds 1-3; the largest error of an
aged cohort's expected retention against the exact rank-preserving curve for changes of a churn mix;
the largest error of BG/NBD expected retention over 60 months. Run it for two checkouts to compare::

    PYTHONPATH=. python benchmarks/mix_tolerances.py
    PYTHONPATH=/path/to/other/checkout python benchmarks/mix_tolerances.py

Runtime about 20 s of CPU.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, betaincinv, hyp2f1, roots_jacobi

from sim.compute.simulation import evaluate, sample  # the checkout on PYTHONPATH
from tests.conftest import build, scenario_dict

CUSTOMERS, CHURN, SHAPE, RATE, MONTHS = 3000, 0.05, 0.9, 0.6, 36


def exact_npv() -> tuple[float, float]:
    """NPV = 0.1 x total purchases - 36; purchases sum over customers of Poisson(rate x months stayed)."""
    t = np.arange(1, MONTHS + 1)
    survival = (1 - CHURN) ** t
    mean_l, mean_l2 = survival.sum(), ((2 * t - 1) * survival).sum()
    mean_rate, mean_rate2 = SHAPE / RATE, SHAPE * (SHAPE + 1) / RATE**2
    variance = CUSTOMERS * (mean_rate * mean_l + mean_rate2 * mean_l2 - (mean_rate * mean_l) ** 2)
    return 0.1 * CUSTOMERS * mean_rate * mean_l - MONTHS, 0.1 * np.sqrt(variance)


def npv(seed: int, draws: int = 4000) -> np.ndarray:
    raw = scenario_dict(horizon=MONTHS, draws=draws, seed=seed)
    retail = raw["segments"]["retail"]
    del retail["purchases"]
    retail.update(customers=CUSTOMERS, monthly_churn=CHURN, value_per_purchase=1.0, margin=1.0)
    retail["purchase_mix"] = {"shape": SHAPE, "rate": RATE}
    raw["interventions"]["program"] = {"recurring_cost": 1.0, "changes": [
        {"path": "segments.retail.value_per_purchase", "scale": 1.1}]}
    scenario = build(raw)
    flows = evaluate(scenario, sample(scenario, draws, seed), seed=seed)
    return 0.1 * flows["program"]["purchases"].sum(axis=1) - MONTHS


def rank_preserving(a0, b0, a1, b1, start, ramp, horizon, nodes=4000):
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


def churn_change(mix, key, scale, start, ramp, horizon=60):
    raw = scenario_dict(horizon=horizon, draws=1, seed=0)
    retail = raw["segments"]["retail"]
    del retail["monthly_churn"]
    retail.update(customers=100_000, arrivals=0)
    retail["churn_mix"] = dict(zip(("alpha", "beta"), mix))
    raw["interventions"]["program"].update(start=start, ramp=ramp, changes=[
        {"path": f"segments.retail.churn_mix.{k}", "scale": scale} for k in key.split("+")])
    scenario = build(raw)
    active = evaluate(scenario, sample(scenario, 1, 0), seed=0, expected=True)["program"]["active"][0] / 100_000
    a1 = mix[0] * scale if "alpha" in key else mix[0]
    b1 = mix[1] * scale if "beta" in key else mix[1]
    return np.max(np.abs(active - rank_preserving(mix[0], mix[1], a1, b1, start, ramp, horizon)))


def bgnbd(shape, rate, a, b):
    raw = scenario_dict(horizon=60, draws=1, seed=0)
    retail = raw["segments"]["retail"]
    del retail["monthly_churn"], retail["purchases"]
    retail.update(customers=100_000, arrivals=0)
    retail["purchase_mix"] = {"shape": shape, "rate": rate}
    retail["dropout_mix"] = {"a": a, "b": b}
    raw["interventions"]["program"]["changes"] = []
    try:
        scenario = build(raw)
    except Exception as error:  # noqa: BLE001 - a refusal is a result here
        return f"refused: {error}"
    active = evaluate(scenario, sample(scenario, 1, 0), seed=0, expected=True)["baseline"]["active"][0] / 100_000
    exact = np.concatenate([[1.0], hyp2f1(shape, a, a + b, -np.arange(1, 60) / rate)])
    return f"{np.max(np.abs(active - exact)):.5f}"


def main() -> None:
    mean, sd = exact_npv()
    print(f"NPV of a purchase mix with churn, 4,000 draws (exact mean {mean:.1f}, sd {sd:.1f}):")
    for seed in (1, 2, 3):
        values = npv(seed)
        print(f"  seed {seed}: mean {values.mean():8.1f}  sd {values.std(ddof=1):6.1f}")
    print("Aged cohort under a churn-mix change, largest error over 60 periods against the rank-preserving curve:")
    for mix, key, scale, start, ramp in [((0.704, 1.182), "beta", 1.5, 4, 3), ((0.704, 1.182), "beta", 2.0, 4, 1),
                                         ((0.3, 3.0), "beta", 0.5, 4, 6), ((0.704, 1.182), "beta", 1.5, 13, 1),
                                         ((0.704, 1.182), "alpha+beta", 2.0, 1, 1), ((0.704, 1.182), "alpha", 2.0, 4, 1),
                                         ((0.2, 0.2), "alpha", 3.0, 1, 1)]:
        print(f"  {mix} {key} x{scale} from period {start}, ramp {ramp}: {churn_change(mix, key, scale, start, ramp):.5f}")
    print("BG/NBD expected retention, largest error over 60 months:")
    for name, params in {"CDNOW fit in months": (0.243, 4.414 * 12 / 52, 0.793, 2.426),
                         "README example": (0.243, 0.8, 0.793, 2.426), "(0.3, 0.1, 0.3, 0.6)": (0.3, 0.1, 0.3, 0.6)}.items():
        print(f"  {name}: {bgnbd(*params)}")


if __name__ == "__main__":
    main()
