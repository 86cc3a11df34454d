"""Erlang C and Erlang A against independent formulas and against the simpy contact centre."""

import math

import pytest
from click.testing import CliRunner

from sim.shell.cli import main
from sim.support.contact_centre import simulate
from sim.support.queueing import erlang_a, erlang_c

HANDLING, TARGET = 6 / 60, 20 / 3600  # 6-minute calls, 20-second target, in hours


def textbook_erlang_c(load: float, agents: int) -> float:
    """P(wait) by the textbook sum of a^k / k!, written independently of sim.support.queueing."""
    top = load**agents / math.factorial(agents) * agents / (agents - load)
    return top / (sum(load**k / math.factorial(k) for k in range(agents)) + top)


@pytest.mark.parametrize("load, agents", [(2.0, 3), (10.0, 11), (10.0, 12), (10.0, 14), (24.0, 26), (45.0, 50)])
def test_erlang_c_matches_the_textbook_sum(load, agents):
    rate = load / HANDLING
    measures = erlang_c(rate, HANDLING, agents, TARGET)
    wait = textbook_erlang_c(load, agents)
    assert measures.prob_wait == pytest.approx(wait, rel=1e-10)
    drain = agents / HANDLING - rate
    assert measures.asa == pytest.approx(wait / drain, rel=1e-10)
    assert measures.service_level == pytest.approx(1 - wait * math.exp(-drain * TARGET), rel=1e-10)
    assert measures.occupancy == pytest.approx(load / agents)


def test_erlang_a_becomes_erlang_c_when_nobody_hangs_up():
    c = erlang_c(300, HANDLING, 33, TARGET)
    a = erlang_a(300, HANDLING, 33, 1e9, TARGET)
    for key in ("prob_wait", "service_level", "asa", "occupancy"):
        assert getattr(a, key) == pytest.approx(getattr(c, key), rel=1e-7)
    assert a.abandonment < 1e-9


@pytest.mark.parametrize("rate, agents, patience", [(30, 4, 0.05), (45, 4, 0.05), (120, 10, 3 / 60), (200, 15, 1 / 60)])
def test_erlang_a_conserves_flow(rate, agents, patience):
    """Callers answered per hour equal the rate agents finish them: rate x (1 - abandonment) = busy agents / handling."""
    m = erlang_a(rate, HANDLING, agents, patience, TARGET)
    assert rate * (1 - m.abandonment) == pytest.approx(m.occupancy * agents / HANDLING, rel=1e-9)
    assert 0 <= m.service_level <= 1 - m.abandonment + 1e-12


# Light, medium and heavy loads up to 95 % occupancy; the simulation's 95 % interval is about
# 2 standard errors, so twice its half-width is about 4 standard errors.
@pytest.mark.parametrize("rate, agents", [(25, 5), (40, 5), (38, 4)])
def test_simulation_agrees_with_erlang_c(rate, agents):
    formula = erlang_c(rate, HANDLING, agents, TARGET)
    sim = simulate(rate, HANDLING, agents, None, TARGET, hours=400, seed=rate + agents, replications=8)
    for key in ("prob_wait", "service_level", "asa", "occupancy"):
        estimate = getattr(sim, key)
        assert abs(estimate.mean - getattr(formula, key)) <= 2 * estimate.half_width, key
    assert sim.abandonment.mean == 0


@pytest.mark.parametrize("rate, agents, patience", [(30, 4, 0.05), (45, 4, 0.05), (50, 6, 0.1)])
def test_simulation_agrees_with_erlang_a(rate, agents, patience):
    formula = erlang_a(rate, HANDLING, agents, patience, TARGET)
    sim = simulate(rate, HANDLING, agents, patience, TARGET, hours=300, seed=rate * agents, replications=8)
    for key in ("prob_wait", "service_level", "asa", "abandonment", "occupancy"):
        estimate = getattr(sim, key)
        assert abs(estimate.mean - getattr(formula, key)) <= 2 * estimate.half_width, key


def test_staffing_command_prints_formula_and_simulation(tmp_path):
    result = CliRunner().invoke(main, ["staffing", "--rate", "60", "--aht", "4", "--patience", "2", "--agents", "5:7",
                                       "--simulate", "--hours", "20", "--json", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    import json

    rows = json.loads(result.stdout)["rows"]
    assert [row["agents"] for row in rows] == [5, 6, 7]
    assert all(0 < row["sim_service_level"] <= 1 and row["sim_service_level_ci"] > 0 for row in rows)
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["staffing.csv", "staffing.png", "summary.json"]


def test_staffing_rejects_bad_agent_counts():
    result = CliRunner().invoke(main, ["staffing", "--rate", "60", "--aht", "4", "--agents", "ten"])
    assert result.exit_code == 2
    assert result.output == "--agents 'ten' is not LOW:HIGH or a list like 8,10,12\n"


def test_steadier_handling_times_shorten_waits_as_allen_cunneen_predicts():
    """M/G/c: waiting scales by about (1 + cv^2) / 2 against M/M/c (Allen & Cunneen); an approximation,
    good to roughly 10 % at moderate load, so the tolerance adds that to the simulation's own error."""
    rate, agents, cv = 40.0, 5, 0.5
    formula = erlang_c(rate, HANDLING, agents, TARGET)
    sim = simulate(rate, HANDLING, agents, None, TARGET, hours=400, seed=3, replications=8, handling_cv=cv)
    approximation = formula.asa * (1 + cv**2) / 2
    assert abs(sim.asa.mean - approximation) <= 2 * sim.asa.half_width + 0.1 * approximation
    assert sim.asa.mean < formula.asa
