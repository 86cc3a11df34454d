"""Inputs named in words: from the scenario's labels, a readable name per key, never two alike. Under 1 s."""

import sim
from sim.model.labels import input_labels, label_of, option_labels
from tests.conftest import ROOT, build, scenario_dict


def nordic():
    return sim.load(ROOT / "scenarios" / "nordic_midsize.toml").scenario


def test_inputs_are_named_from_segment_and_intervention_labels():
    names = input_labels(nordic())
    assert names["segments.b2b.experience.bad"] == "Share of bad contacts, business customers"
    assert names["interventions.faster_response.changes[0].scale"] == (
        "Faster response (+4 agents): factor on share of bad contacts, business customers")
    assert names["interventions.faster_response.changes[1].scale"] == (
        "Faster response (+4 agents): factor on share of bad contacts, consumers")
    assert names["interventions.faster_response.recurring_cost"] == "Faster response (+4 agents): recurring cost per month"
    assert names["support.channels.email.cost_per_contact"] == "Cost per e-mail contact"


def test_no_two_inputs_share_a_name():
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        names = input_labels(sim.load(path).scenario)
        assert len(set(names.values())) == len(names), path.name


def test_a_label_in_the_scenario_wins_and_a_clash_gets_the_path():
    raw = scenario_dict()
    raw["segments"]["retail"]["margin"] = {"value": 0.4, "label": "Margin after discounts"}
    raw["segments"]["retail"]["purchases"] = {"value": 2.0, "label": "Margin after discounts"}
    raw["interventions"]["program"]["changes"][0]["label"] = "Churn with the programme"
    scenario = build(raw)
    names = input_labels(scenario)
    assert names["interventions.program.changes[0].scale"] == "Churn with the programme"
    assert names["segments.retail.margin"] == "Margin after discounts (segments.retail.margin)"
    assert names["segments.retail.purchases"] == "Margin after discounts (segments.retail.purchases)"
    assert names["segments.retail.value_per_purchase"] == "Value per purchase, retail"


def test_options_without_a_label_read_as_words():
    scenario = build(scenario_dict())
    assert option_labels(scenario)["program"] == "Program"
    assert option_labels(scenario)["baseline"] == "Today (no change)"
    assert label_of(scenario, "segments.retail.monthly_churn") == "Monthly churn, retail"
