"""A scenario sent to worker processes is pickled once and unpickled once per process (instant)."""

import pickle
from pathlib import Path

import sim
from sim.compute.simulation import Shipped, received

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "nordic_midsize.toml"


def test_a_shipped_scenario_arrives_as_the_scenario_and_is_unpickled_once():
    scenario = sim.load(SCENARIO).scenario
    shipped = Shipped(scenario)
    first, second = (pickle.loads(pickle.dumps(("job", shipped))) for _ in range(2))
    arrived = first[1]  # a scenario, as a worker unpickles it
    assert type(arrived) is type(scenario) and arrived is not scenario
    assert arrived.settings == scenario.settings and list(arrived.interventions) == list(scenario.interventions)
    assert second[1] is arrived  # the second job's scenario is the one this process has already
    assert received(shipped) is scenario and received(scenario) is scenario  # a job that never left the process
