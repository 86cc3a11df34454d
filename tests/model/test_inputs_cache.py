"""A scenario's inputs are walked once and remembered by identity (sim.model.inputs._inputs_of): each scenario
gets its own inputs, every caller its own dict, and the remembered scenarios stay few (< 0.1 s)."""

from sim.model import inputs
from sim.model.inputs import all_inputs, baseline_inputs, intervention_inputs
from tests.conftest import build, scenario_dict


def test_each_scenario_has_its_own_inputs_and_each_caller_its_own_dict():
    cheap = scenario_dict()
    dear = scenario_dict()
    dear["segments"]["retail"]["margin"] = "30% to 40%"
    first, second = build(cheap), build(dear)
    assert all_inputs(first)["segments.retail.margin"].dist.is_fixed
    assert not all_inputs(second)["segments.retail.margin"].dist.is_fixed
    taken = all_inputs(first)
    taken.clear()  # a caller's own dict: what the next caller gets is whole
    assert all_inputs(first) == {**baseline_inputs(first), **intervention_inputs(first)} != {}
    assert list(all_inputs(first)) == list(baseline_inputs(first)) + list(intervention_inputs(first))


def test_only_the_last_few_scenarios_are_remembered():
    for _ in range(20):
        all_inputs(build(scenario_dict()))
    assert len(inputs._INPUTS) <= 8
    assert all(key == id(entry[0]) for key, entry in inputs._INPUTS.items())
