"""The memo's recommendation with a pilot analysis (EVSI against cost) present (< 1 s)."""

import pytest

from sim.reporting.memo import decide, with_pilot


def _summary(npv: float, p: float) -> dict:
    return {"currency": "EUR", "period": "month",
            "interventions": {"x": {"npv": {"mean": npv}, "prob_roi_positive": p, "pv_cost": {"mean": 100_000.0}}}}


def _pilot(net_gains: list[float], evppi: float = 30_000.0) -> dict:
    sizes = [{"customers_per_arm": n, "periods": 6, "evsi": 10_000 + g, "cost": 10_000.0, "net_gain": g}
             for n, g in zip((100, 400, 1600), net_gains)]
    best = max(sizes, key=lambda row: row["net_gain"])
    worth = best["net_gain"] > 0
    return {"intervention": "x", "evppi": evppi, "sizes": sizes, "worth_running": worth, "best": best if worth else None}


def test_a_paying_pilot_is_recommended_by_size_length_and_net_gain():
    decision = with_pilot(decide(_summary(50_000, 0.9), None), _pilot([-5_000, 12_000, 3_000]), _summary(50_000, 0.9))
    assert decision.verdict == "pilot"
    assert decision.because == ("a pilot of 400 customers per arm over 6 months is worth 22\u00a0000\u00a0€ (expected value "
                                "of its result) against a cost of 10\u00a0000\u00a0€: an expected net gain of 12\u00a0000\u00a0€")


@pytest.mark.parametrize("npv, p, verdict", [(50_000, 0.9, "invest"), (50_000, 0.6, "invest"), (-5_000, 0.4, "do not invest")])
def test_without_a_paying_pilot_the_memo_says_why_not(npv, p, verdict):
    voi = {"evppi": [{"input": "a", "evppi": 20_000}]}  # the flat 10 % rule alone would say 'pilot'
    decision = with_pilot(decide(_summary(npv, p), voi), _pilot([-5_000, -2_000, -8_000]), _summary(npv, p))
    assert decision.verdict == verdict
    assert decision.because.endswith(
        "no pilot pays for itself: what it measures is worth at most 30\u00a0000\u00a0€ to know, and the best size tried "
        "(400 per arm) costs 2\u00a0000\u00a0€ more than its result is worth")
