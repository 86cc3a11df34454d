"""With support operations: the count engine against the per-customer simulation, both arms and the NPV mean.

The customers are those of tests/model/test_equivalence.py (80, every
experience effect on, 12 months, 5,000 draws a side) with an ``[operations]``
section instead of stated good / bad shares: one channel, one open hour on one
day a period, 6-minute handling, 3-minute patience, 5 agents, so the
customers' 50-60 contacts a period are 5-5.5 erlangs and waiting and
abandonment matter. The intervention adds 2 agents and sets proactive prevention to
0.2, from period 3 over 3 periods (so 5.67, 6.33 and then 7 agents, rounded
to whole agents by the queue every period).

What is independent and what is not: the per-customer model draws every customer,
contact and experience itself, computes the contacts its customers want each period
(the expected number after churn, docs/model.md 3.2), ramps the operations
parameters itself, and takes the contact centre's outcome for that volume from
``sim.support.operations.Operations`` built here from docs/model.md section 3 (the
queue, Erlang A and the response curve are checked against exact formulas and a
simpy contact centre in tests/support/). So this compares how the engine wires the
queue into the customer model (prevention scaling the contact rates, the good and bad
shares of each period's volume, state-dependent contacts feeding back into the load,
capacity cost as the intervention's cost), not the queue. A per-customer model with a
queue of its own (a discrete-event centre with random arrivals) would measure the
engine's documented simplifications instead (expected volume, steady state per hour,
no backlog, no retries: docs/model.md 7.4), which are not what this test is for.

At full effect the centre answers 91-93 % of contacts instead of 66-70 %, a
contact is bad with probability 0.16-0.18 instead of 0.37-0.41, and walk-aways
fall from 43 to 28 over the year. Checks and power as in
tests/model/test_equivalence.py (at these seeds every |z| is below 2.4 and every
p-value above 0.002; at 20,000 draws below 1.9 and above 0.07); NPV is compared in
its mean only (the arms of the engine share random numbers: mean z = +0.76). The
mutant that applies the intervention one period late fails: walk-aways mean z = +26.5,
revenue -24.2, NPV mean -23.5. Runtime about 6 s of CPU.
"""

import numpy as np
import pytest

import sim
from sim.model import engine
from sim.support.operations import Channel, Operations, SelfService
from sim.support.response import ResponseCurve
from tests.conftest import build, scenario_dict
from tests.model.equivalence_check import TOTALS, Z, compare, segment, totals
from tests.model.per_customer_model import simulate_population
from tests.model.test_equivalence import PARAMS

DRAWS, PERIODS, SEED = 5000, 12, 23
MARGIN, START, RAMP, ONE_OFF = 0.6, 3, 3, 500.0
CUSTOMERS = {k: v for k, v in PARAMS.items() if k not in ("good", "bad")}
CENTRE = {"agents": 5.0, "handling_minutes": 6.0, "patience_minutes": 3.0, "first_contact_resolution": 0.8,
          "cost_per_agent_hour": 30.0, "days_per_period": 1.0, "arrival_pattern": [1.0]}
RESPONSE = {"intercept": 4.188, "slope": -1.018, "abandoned_bad": 1.0, "unresolved_bad": 0.5, "dissatisfied_bad": 0.3}
ADDED_AGENTS, PREVENTION = 2.0, 0.2


def scenario():
    raw = scenario_dict(horizon=PERIODS, draws=DRAWS, seed=SEED)
    raw["segments"] = {"small": segment(CUSTOMERS) | {"margin": MARGIN}}
    raw["operations"] = {"channels": {"phone": dict(CENTRE)}, "response": RESPONSE}
    raw["interventions"] = {"staffing": {"start": START, "ramp": RAMP, "one_off_cost": ONE_OFF, "changes": [
        {"path": "operations.channels.phone.agents", "add": ADDED_AGENTS},
        {"path": "operations.proactive_prevention", "set": PREVENTION},
    ]}}
    return build(raw)


def run_engine():
    return sim.run(scenario(), draws=DRAWS, seed=SEED, workers=1)


def contact_centre(share_of_period):
    """support(t, wanted) for the per-customer model: the centre of docs/model.md section 3 with the arm's ramp."""
    def support(t, wanted):
        share = share_of_period(t)
        rows = np.ones_like(wanted)
        channel = Channel(
            share=rows, agents=rows * (CENTRE["agents"] + share * ADDED_AGENTS), staffing_pattern=(1.0,),
            arrival_pattern=(1.0,), weekday_pattern=(1.0,), days_per_period=rows * CENTRE["days_per_period"],
            handling_minutes=rows * CENTRE["handling_minutes"], patience_minutes=rows * CENTRE["patience_minutes"],
            handling_cv=1.0, first_contact_resolution=rows * CENTRE["first_contact_resolution"],
            cost_per_agent_hour=rows * CENTRE["cost_per_agent_hour"])
        zero = 0.0 * rows
        centre = Operations(
            channels=[channel],
            self_service=SelfService(zero, zero, zero, zero, zero + 0.3, zero + 0.25),
            curve=ResponseCurve(RESPONSE["intercept"], RESPONSE["slope"]),
            abandoned_bad=rows * RESPONSE["abandoned_bad"], unresolved_bad=rows * RESPONSE["unresolved_bad"],
            dissatisfied_bad=rows * RESPONSE["dissatisfied_bad"], prevention=rows * share * PREVENTION,
            proactive_cost_per_period=zero)
        return centre.outcome(wanted)
    return support


def ramp_share(t: int) -> float:
    return min(max((t + 1 - START + 1) / RAMP, 0.0), 1.0)


def per_customer_arms():
    return {
        "baseline": simulate_population(CUSTOMERS, PERIODS, DRAWS, np.random.default_rng(31), contact_centre(lambda t: 0.0)),
        "staffing": simulate_population(CUSTOMERS, PERIODS, DRAWS, np.random.default_rng(32), contact_centre(ramp_share)),
    }


def npv(arm, baseline) -> np.ndarray:
    """docs/model.md 5.2 without discounting: added capacity is the intervention's cost, saved capacity its benefit."""
    def operating(flows):  # gross profit less variable support cost (none here: no self-service)
        return MARGIN * flows["revenue"] - (flows["support_cost"] - flows["capacity_cost"])
    change = arm["capacity_cost"] - baseline["capacity_cost"]
    benefit = operating(arm) - operating(baseline) + np.maximum(-change, 0.0)
    return (benefit - np.maximum(change, 0.0)).sum(axis=1) - ONE_OFF


@pytest.fixture(scope="module")
def engine_run():
    return run_engine()


@pytest.fixture(scope="module")
def slow():
    return per_customer_arms()


@pytest.mark.parametrize("arm", ["baseline", "staffing"])
@pytest.mark.parametrize("name", TOTALS + ("support_cost",))
def test_each_arm_agrees_with_the_per_customer_model(engine_run, slow, arm, name):
    fast = totals(engine_run.flows[arm]) | {"support_cost": engine_run.flows[arm]["support_cost"].sum(axis=1)}
    per_customer = totals(slow[arm]) | {"support_cost": slow[arm]["support_cost"].sum(axis=1)}
    if name == "support_cost":  # capacity only (no self-service): the same in every draw
        assert fast[name] == pytest.approx(per_customer[name], rel=1e-12)
        return
    result = compare(fast[name], per_customer[name])
    assert not result.failures(), f"{arm} {name}: {result}"


def test_the_queue_matters_here(slow):
    """The comparison is about the queue: the intervention cuts walk-aways by more than a third."""
    walked = {arm: totals(flows)["walked"].mean() for arm, flows in slow.items()}
    assert walked["staffing"] < 0.65 * walked["baseline"]


def test_npv_mean_agrees(engine_run, slow):
    result = compare(engine_run.appraisals["staffing"].npv, npv(slow["staffing"], slow["baseline"]))
    assert abs(result.mean_z) < Z, str(result)


def test_the_check_catches_a_change_applied_one_period_late(slow, monkeypatch):
    """Mutant: the ramp one period later (in the engine, where the operations parameters ramp too).
    Caught by walk-aways (mean z = +26.5), revenue (-24.2) and the NPV mean (-23.5) at these seeds."""
    simulate = engine.simulate
    calls = []

    def one_period_late(base, target, ramp, source, *args, **kwargs):
        late = np.zeros_like(np.asarray(ramp, dtype=float))
        late[1:] = np.asarray(ramp, dtype=float)[:-1]
        if isinstance(source, engine.RandomCounts):
            calls.append(late.shape[1])
        return simulate(base, target, late, source, *args, **kwargs)

    monkeypatch.setattr(engine, "simulate", one_period_late)
    mutant = run_engine()
    assert sum(calls) == 2 * DRAWS
    result = compare(totals(mutant.flows["staffing"])["walked"], totals(slow["staffing"])["walked"])
    assert result.mean_z > Z and result.ks_p < 0.001, str(result)
    assert compare(mutant.appraisals["staffing"].npv, npv(slow["staffing"], slow["baseline"])).mean_z < -Z
