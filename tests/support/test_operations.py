"""Support operations: queue tables against the formulas and simpy, contact flows, costs, validation."""

import numpy as np
import pytest

import sim
from sim.support.contact_centre import simulate
from sim.support.operations import (
    MINUTES,
    Channel,
    Operations,
    SelfService,
    human_channels,
    queue_table,
)
from sim.support.queueing import erlang_a
from sim.support.response import DEFAULT, ResponseCurve
from tests.conftest import ROOT, build, scenario_dict

HANDLING, PATIENCE = 6.0, 3.0  # minutes


@pytest.mark.parametrize("agents", [3, 8, 20])
def test_queue_table_interpolates_the_erlang_a_formulas(agents):
    table = queue_table(agents, HANDLING, PATIENCE)
    for load in np.linspace(0.2, 2.0, 23) * agents:
        exact = erlang_a(load / (HANDLING / MINUTES), HANDLING / MINUTES, agents, PATIENCE / MINUTES, None)
        answered, abandoned, wait = table.at(np.array([load]))
        assert abandoned[0] == pytest.approx(exact.abandonment, abs=0.004)
        assert answered[0] == pytest.approx(1 - exact.abandonment, abs=0.004)
        assert wait[0] == pytest.approx(exact.asa * MINUTES, abs=0.02 + 0.02 * exact.asa * MINUTES)


@pytest.mark.parametrize("agents, load", [(5, 3.0), (5, 4.6), (8, 9.0)])
def test_queue_table_agrees_with_the_simpy_contact_centre(agents, load):
    """The fast path (a table) against the discrete-event model where both apply: within ~4 standard errors."""
    handling = HANDLING / MINUTES
    sim_run = simulate(load / handling, handling, agents, PATIENCE / MINUTES, 20 / 3600, hours=300, seed=agents, replications=8)
    answered, abandoned, wait = queue_table(agents, HANDLING, PATIENCE).at(np.array([load]))
    assert abs(sim_run.abandonment.mean - abandoned[0]) <= 2 * sim_run.abandonment.half_width + 0.004
    assert abs(sim_run.asa.mean * MINUTES - wait[0]) <= 2 * sim_run.asa.half_width * MINUTES + 0.02


def _channel(rows=1, agents=10.0, resolution=1.0, pattern=(1.0,) * 8):
    full = lambda v: np.full(rows, float(v))
    return Channel(full(1.0), full(agents), (1.0,) * len(pattern), pattern, (1.0,), full(20.0), full(HANDLING),
                   full(PATIENCE), 1.0, full(resolution), full(40.0))


def test_a_quiet_centre_answers_at_once_and_experiences_follow_the_curve():
    outcome = human_channels([_channel()], np.array([10.0]), DEFAULT, np.ones(1), np.full(1, 0.5), np.full(1, 0.3))
    satisfied = DEFAULT.satisfied(np.array([0.0]))[0]
    assert outcome.answered[0] == pytest.approx(1.0, abs=1e-6)
    assert outcome.good[0] == pytest.approx(satisfied, abs=1e-6)
    assert outcome.bad[0] == pytest.approx((1 - satisfied) * 0.3, abs=1e-6)
    assert outcome.cost[0] == pytest.approx(10 * 8 * 20 * 40.0)


def test_unresolved_contacts_come_back_and_become_bad():
    # First-contact resolution 0.5 doubles the handled volume: the same as twice the contacts fully resolved.
    half = human_channels([_channel(resolution=0.5)], np.array([12_000.0]), DEFAULT, np.ones(1), np.full(1, 0.5), np.zeros(1))
    double = human_channels([_channel()], np.array([24_000.0]), DEFAULT, np.ones(1), np.full(1, 0.5), np.zeros(1))
    assert half.answered[0] == pytest.approx(double.answered[0], rel=1e-12)
    assert half.bad[0] == pytest.approx(half.answered[0] * 0.5 * 0.5 + (1 - half.answered[0]), rel=1e-9)


def test_self_service_and_prevention_route_contacts():
    ones, zeros = np.ones(1), np.zeros(1)
    bot = SelfService(deflection=np.full(1, 0.4), resolution=np.full(1, 0.5), cost_per_contact=np.full(1, 0.5),
                      licence_per_period=np.full(1, 1000.0), good_when_resolved=np.full(1, 0.2), bad_when_unresolved=np.full(1, 0.25))
    operations = Operations([_channel()], bot, ResponseCurve(50.0, 0.0), ones, zeros, zeros, np.full(1, 0.1), np.full(1, 500.0))
    outcome = operations.outcome(np.array([100.0]))
    # A quiet centre with a curve that satisfies everyone: human contacts are good, failed bot contacts
    # are bad a quarter of the time, solved ones good a fifth of the time.
    happening, bot_share = 90.0, 0.4
    expected_good = (happening * bot_share * 0.5 * 0.2 + happening * bot_share * 0.5 * 0.75 + happening * 0.6) / happening
    assert outcome.good[0] == pytest.approx(expected_good, abs=1e-6)
    assert outcome.bad[0] == pytest.approx(bot_share * 0.5 * 0.25, abs=1e-6)
    assert outcome.happening[0] == pytest.approx(0.9)
    assert outcome.capacity[0] == pytest.approx(10 * 8 * 20 * 40.0 + 1000 + 500)
    assert outcome.cost[0] == pytest.approx(outcome.capacity[0] + 36 * 0.5)


def _operations_scenario(**channel):
    return build(_operations_raw(**channel))


def _operations_raw(**channel):
    raw = scenario_dict(horizon=12, draws=400, seed=2)
    raw["segments"]["retail"].update(customers=20_000, contacts=0.3)
    raw["segments"]["retail"]["experience"] = {"walk_away": 0.3, "negative_drop": 0.4}
    raw["operations"] = {"channels": {"phone": {"agents": 4, "handling_minutes": 6, "patience_minutes": 3,
                                                "first_contact_resolution": 0.8, "cost_per_agent_hour": 35, **channel}}}
    raw["interventions"]["program"] = {"changes": [{"path": "operations.channels.phone.agents", "add": 3}]}
    return raw


def test_adding_agents_is_costed_from_agent_hours_and_cuts_walk_aways():
    scenario = _operations_scenario()
    result = sim.run(scenario, base_case=True)
    flows, a = result.flows, result.appraisals["program"]
    extra_staff = 3 * 8 * 21 * 35.0  # agents x open hours x days x hourly cost, per month
    assert np.allclose(flows["program"]["capacity_cost"] - flows["baseline"]["capacity_cost"], extra_staff)
    assert a.pv_cost[0] == pytest.approx(12 * extra_staff)
    assert flows["program"]["walked"].sum() < 0.75 * flows["baseline"]["walked"].sum()
    assert a.npv[0] == pytest.approx(a.pv_benefit[0] - a.pv_cost[0])


def test_proactive_prevention_removes_contacts():
    raw = _operations_raw()
    raw["operations"]["proactive_prevention"] = 0.25
    flows = sim.run(build(raw), base_case=True).flows["baseline"]
    plain = sim.run(_operations_scenario(), base_case=True).flows["baseline"]
    assert flows["contacts"][0, 0] == pytest.approx(0.75 * plain["contacts"][0, 0], rel=1e-12)


def test_stated_good_or_bad_with_operations_is_an_error():
    raw = _operations_raw()
    raw["segments"]["retail"]["experience"]["bad"] = 0.1
    with pytest.raises(sim.ScenarioError) as error:
        build(raw)
    assert error.value.lines() == [
        "test.toml: segments.retail.experience.bad: with an [operations] section the shares of good and bad "
        "contacts come from waiting and resolution; remove this key"
    ]


def test_uncertain_handling_time_is_an_error():
    raw = _operations_raw()
    raw["operations"]["channels"]["phone"]["handling_minutes"] = "5 to 7"
    with pytest.raises(sim.ScenarioError) as error:
        build(raw)
    assert error.value.lines() == [
        "test.toml: operations.channels.phone.handling_minutes: must be a fixed number (each value needs its own "
        "queue table); put the uncertainty in first_contact_resolution or the response curve"
    ]


def test_staffing_scenario_has_an_interior_best_agent_count():
    loaded = sim.load(ROOT / "scenarios" / "staffing.toml")
    path = "interventions.staff_to.changes[0].set"
    table = sim.sweep(loaded, {path: [3.0, 5.0, 7.0, 9.0, 11.0]}, draws=400, workers=1).tables["sweep"]
    best = table.loc[table["npv_mean"].idxmax(), path]
    assert table[path].min() < best < table[path].max()


def test_period_table_matches_the_hour_by_hour_average():
    """The one-lookup-per-period table against reading each open hour's queue separately."""
    from sim.support.operations import day_table

    pattern, staffing, days = (0.6, 1.0, 1.4, 1.3, 1.0), (4, 5, 6, 6, 5), 21.0
    table = day_table(staffing, HANDLING, PATIENCE, pattern, days)
    weights = np.array(pattern) / sum(pattern)
    for volume in (500.0, 3000.0, 6000.0, 9000.0, 15000.0):
        loads = volume * weights / days * HANDLING / MINUTES
        hourly = [queue_table(c, HANDLING, PATIENCE).at(np.array([load])) for c, load in zip(staffing, loads)]
        answered = sum(w * h[0][0] for w, h in zip(weights, hourly))
        abandoned = sum(w * h[1][0] for w, h in zip(weights, hourly))
        wait = sum(w * h[0][0] * h[2][0] for w, h in zip(weights, hourly)) / answered
        got = table.at(np.array([volume]))
        assert got[0][0] == pytest.approx(answered, abs=1e-3)
        assert got[1][0] == pytest.approx(abandoned, abs=1e-3)
        assert got[2][0] == pytest.approx(wait, abs=0.01 + 0.01 * wait)


def test_opening_on_more_days_spreads_contacts_and_costs_agent_hours():
    raw = _operations_raw()
    raw["interventions"]["program"] = {"changes": [{"path": "operations.channels.phone.days_per_period", "add": 4}]}
    raw["operations"]["channels"]["phone"]["days_per_period"] = 21
    result = sim.run(build(raw), base_case=True)
    flows = result.flows
    assert np.allclose(flows["program"]["capacity_cost"] - flows["baseline"]["capacity_cost"], 4 * 4 * 8 * 35.0)
    assert flows["program"]["walked"].sum() < flows["baseline"]["walked"].sum()


def test_busy_mondays_make_the_same_volume_harder():
    from sim.support.operations import day_table

    even = day_table((5,) * 8, HANDLING, PATIENCE, (1.0,) * 8, 21.0)
    peaked = day_table((5,) * 8, HANDLING, PATIENCE, (1.0,) * 8, 21.0, (1.6, 1.0, 0.9, 0.8, 0.7))
    volume = np.array([5000.0])
    # Same contacts per period, but crowded into Mondays: more abandon, and it matches reading each weekday alone.
    assert peaked.at(volume)[1][0] > even.at(volume)[1][0]
    days = np.array([1.6, 1.0, 0.9, 0.8, 0.7]) / np.mean([1.6, 1.0, 0.9, 0.8, 0.7])
    by_day = [even.at(volume * d)[1][0] for d in days]
    assert peaked.at(volume)[1][0] == pytest.approx(float(np.dot(days / days.sum(), by_day)), abs=1e-3)


def test_longer_opening_hours_from_the_start_period():
    raw = _operations_raw()
    raw["operations"]["channels"]["phone"]["arrival_pattern"] = [1.0] * 8
    raw["interventions"]["program"] = {"start": 4, "opening": {"phone": {"arrival_pattern": [1.0] * 11}}}
    flows = sim.run(build(raw), base_case=True).flows
    extra = flows["program"]["capacity_cost"] - flows["baseline"]["capacity_cost"]
    assert np.allclose(extra[0, :3], 0.0)  # not open longer before period 4
    assert np.allclose(extra[0, 3:], 4 * 3 * 21 * 35.0)  # 4 agents x 3 more hours x 21 days x 35 EUR
    # The same contacts over more hours: fewer walk away once the longer days begin.
    assert np.allclose(flows["program"]["walked"][0, :3], flows["baseline"]["walked"][0, :3])
    assert flows["program"]["walked"][0, 4] < flows["baseline"]["walked"][0, 4]


def test_opening_change_must_name_a_channel_and_fit_its_patterns():
    raw = _operations_raw()
    raw["interventions"]["program"] = {"opening": {"fone": {"arrival_pattern": [1.0] * 10}}}
    with pytest.raises(sim.ScenarioError) as error:
        build(raw)
    assert error.value.lines() == ["test.toml: interventions.program.opening.fone: no such channel in [operations.channels]"]
    raw["interventions"]["program"] = {"opening": {"phone": {"staffing_pattern": [1.0] * 3}}}
    with pytest.raises(sim.ScenarioError) as error:
        build(raw)
    assert error.value.lines() == [
        "test.toml: interventions.program.opening.phone: staffing_pattern needs 8 non-negative numbers, one per "
        "open hour of arrival_pattern"
    ]


def test_uncertain_agent_counts_round_to_whole_agents():
    from sim.support.operations import day_table

    raw = _operations_raw()
    raw["operations"]["channels"]["phone"]["agents"] = {"dist": "uniform", "low": 3, "high": 7}
    day_table.cache_clear()
    result = sim.run(build(raw), draws=300, workers=1)
    # Draws of 3..7 agents (plus 3 more in the program) need at most one period table per whole count.
    assert day_table.cache_info().currsize <= 8
    assert np.isfinite(result.appraisals["program"].npv).all()


@pytest.mark.parametrize("agents, rate, patience, cv", [(5, 40, 6.0, 0.5), (5, 50, 6.0, 0.5), (8, 80, 3.0, 0.5),
                                                         (10, 100, 6.0, 0.3), (5, 45, 6.0, 1.5)])
def test_handling_time_spread_against_the_simpy_centre(agents, rate, patience, cv):
    """Lognormal handling times: the calibrated factor keeps the table within ~4 standard errors plus 0.004."""
    handling = HANDLING / MINUTES
    load = rate * handling
    sim_run = simulate(rate, handling, agents, patience / MINUTES, 20 / 3600, hours=300, seed=agents + int(10 * cv),
                       replications=8, handling_cv=cv)
    answered, abandoned, wait = queue_table(agents, HANDLING, patience, cv).at(np.array([load]))
    assert abs(sim_run.abandonment.mean - abandoned[0]) <= 2 * sim_run.abandonment.half_width + 0.004
    assert abs(sim_run.asa.mean * MINUTES - wait[0]) <= 2 * sim_run.asa.half_width * MINUTES + 0.02


def test_run_reports_what_customers_meet_in_support():
    result = sim.run(_operations_scenario(), draws=300, workers=1)
    support = result.summary_dict()["support"]
    assert support["program"]["answered_share"] > support["baseline"]["answered_share"]
    assert support["program"]["mean_wait_minutes"] < support["baseline"]["mean_wait_minutes"]
    assert support["baseline"]["abandoned_share"] == pytest.approx(1 - support["baseline"]["answered_share"])
    bands = result.bands
    shares = bands[(bands["metric"] == "answered_share") & (bands["arm"] == "baseline")]
    assert len(shares) == 12 and shares["p50"].between(0, 1).all()
