"""The memo's recommendation with a pilot analysis (EVSI against cost) present; its pilot section names the
measure of every power it shows (< 1 s)."""

import pytest

from sim.reporting.memo import Memo, decide, pilot_section, with_pilot


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


MEASURES = [{"change": "interventions.x.changes[0].scale", "parameter": "segments.b2b.experience.bad", "segment": "b2b",
             "counts": "bad contacts among the arm's contacts"},
            {"change": "interventions.x.changes[1].scale", "parameter": "segments.b2c.experience.bad", "segment": "b2c",
             "counts": "bad contacts among the arm's contacts"}]


def _section(pilot: dict) -> list:
    memo = Memo("test")
    pilot = {"currency": "EUR", "periods": 6, "evppi": 4_000.0, "costs": {"basis": "as given"}, **pilot}
    pilot_section(memo, pilot, "Faster response", {"b2b": "business customers", "b2c": "consumers"}, "month")
    return memo.blocks


def test_the_memo_names_the_measure_of_every_power_it_shows():
    sizes = [{"customers_per_arm": n, "periods": 6, "evsi": 0.0, "cost": 5_000.0, "net_gain": -5_000.0,
              "power_b2b_bad": b2b, "power_b2c_bad": b2c} for n, b2b, b2c in ((20, 0.027, 0.0), (750, 0.859, 0.430))]
    measures = [{**m, "name": "share of bad contacts", "power_column": f"power_{m['segment']}_bad"} for m in MEASURES]
    blocks = _section({"measures": measures, "sizes": sizes})
    kinds = [kind for kind, _ in blocks]
    assert kinds == ["p", "table", "p", "table"]
    assert blocks[1][1][0] == ["customers per arm", "value of its result (EVSI)", "cost", "expected net gain"]
    assert blocks[2][1] == ("The chance it shows the effect (power) is the chance that its two-sided 5\u00a0% test finds a "
                            "difference between the arms, averaged over what is known now, for each thing the pilot counts:")
    assert blocks[3][1] == (["chance it shows the effect on", "20 per arm", "750 per arm"],
                            [["share of bad contacts, business customers", "3\u00a0%", "86\u00a0%"],
                             ["share of bad contacts, consumers", "0\u00a0%", "43\u00a0%"]])


def test_a_pilot_json_from_before_shows_its_one_power_under_the_measure_it_was_of():
    """A results folder written before power was given per measure: sizes have one 'power', of primary_measure."""
    sizes = [{"customers_per_arm": 750, "periods": 6, "evsi": 1.5, "cost": 8_430.0, "net_gain": -8_428.5, "power": 0.8592}]
    blocks = _section({"measures": MEASURES, "sizes": sizes, "primary_measure": "interventions.x.changes[0].scale"})
    assert blocks[3][1] == (["chance it shows the effect on", "750 per arm"],
                            [["bad contacts among the arm's contacts, business customers", "86\u00a0%"]])


def test_the_memo_names_what_the_pilot_cannot_count():
    sizes = [{"customers_per_arm": 20, "periods": 6, "evsi": 0.0, "cost": 5_000.0, "net_gain": -5_000.0}]
    blocks = _section({"measures": MEASURES[:1], "sizes": sizes, "not_measured": ["interventions.x.changes[2].scale"],
                       "labels": {"inputs": {"interventions.x.changes[2].scale": "Bot: factor on cost per chat contact"}}})
    assert blocks[0][1].startswith(
        "**Is a pilot of Faster response worth it?** A pilot counts bad contacts among the arm's contacts (business "
        "customers) in a treated and a control arm for 6 months. It cannot count Bot: factor on cost per chat contact: "
        "what is known of them stays as it is. Knowing exactly")
