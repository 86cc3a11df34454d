"""Portfolios of interventions against hand-computed cases (~25 s at load 8).

Two levers on different segments add up draw by draw (nothing couples segments
without support operations, so NPV(A + B) = NPV(A) + NPV(B) to rounding, each
lever phased in by its own start and ramp); two levers on one input follow the
combination rule (scales multiply, adds add, a set wins); the frontier marks a
constructed dominated and extendedly dominated portfolio; the local search finds
the exhaustive optimum; the acceptability curve sums to 1 at every rate; and
common random numbers make the standard error of a difference between two
portfolios of the default scenario at least 10x smaller than independent draws.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.analyses.portfolio import admissible, frontier, portfolio, probability_best
from sim.compute.simulation import evaluate, sample
from sim.errors import ScenarioError, UsageError
from sim.model.inputs import set_conflicts
from tests.conftest import ROOT, build, scenario_dict


def _two_segments(**interventions) -> dict:
    raw = scenario_dict(horizon=18, draws=300, discount_rate=0.08)
    retail = raw["segments"]["retail"]
    retail.update(contacts=0.4, experience={"good": 0.5, "bad": 0.15, "walk_away": 0.3, "negative_drop": 0.4})
    raw["segments"]["trade"] = {**retail, "customers": 400, "purchases": 1.0, "value_per_purchase": 300.0,
                                "experience": dict(retail["experience"])}
    raw["interventions"] = interventions
    return raw


def _lever(path: str, operation: str, operand, start: int = 1, ramp: int = 1, one_off: float = 1000.0,
           recurring: float = 100.0) -> dict:
    return {"start": start, "ramp": ramp, "one_off_cost": one_off, "recurring_cost": recurring,
            "changes": [{"path": path, operation: operand}]}


def test_levers_on_different_segments_add_up_draw_by_draw_each_with_its_own_start_and_ramp():
    scenario = build(_two_segments(
        a=_lever("segments.retail.experience.bad", "scale", {"dist": "interval", "low": 0.4, "high": 0.8}, 1, 3),
        b=_lever("segments.trade.experience.good", "add", {"dist": "interval", "low": 0.05, "high": 0.2}, 5, 4,
                 2000.0, 300.0)))
    result = portfolio(scenario, 300, 4, workers=1)
    entries = {e["name"]: e for e in result.summary["portfolios"]}
    npv = result.tables["npv_draws"]
    gap = npv["a+b"] - npv["a"] - npv["b"]
    assert np.max(np.abs(gap)) < 1e-6 * np.max(np.abs(npv["a+b"]))
    assert entries["a+b"]["interaction"]["mean"] == pytest.approx(0.0, abs=1e-6 * abs(entries["a+b"]["npv"]["mean"]))
    assert entries["a+b"]["pv_cost"]["mean"] == pytest.approx(entries["a"]["pv_cost"]["mean"] + entries["b"]["pv_cost"]["mean"])


def _combined_vs_single(first: dict, second: dict, single: dict):
    """Flows (expected counts) of the combination of ``first`` and ``second`` and of ``single`` alone."""
    scenario = build(_two_segments(first=first, second=second, single=single))
    values = sample(scenario, 3, 1)
    flows = evaluate(scenario, values, 1, expected=True, arms=[None, ("first", "second"), "single"])
    return scenario, flows[("first", "second")], flows["single"]


@pytest.mark.parametrize(("first", "second", "single"), [
    ({"scale": 0.8}, {"scale": 0.5}, {"scale": 0.4}),  # scales multiply
    ({"add": 0.05}, {"add": 0.1}, {"add": 0.15}),  # adds add
    ({"set": 0.02}, {"scale": 0.5}, {"set": 0.02}),  # the set wins over a later member's scale
    ({"scale": 0.5}, {"set": 0.02}, {"set": 0.02}),  # and over an earlier member's
], ids=["scale-scale", "add-add", "set-then-scale", "scale-then-set"])
def test_two_levers_on_one_input_follow_the_combination_rule(first, second, single):
    path = "segments.retail.experience.bad"
    operation = lambda change, start: {"start": start, "changes": [{"path": path, **change}]}  # noqa: E731
    scenario, combined, alone = _combined_vs_single(operation(first, 1), operation(second, 1), operation(single, 1))
    for output in ("gross_profit", "support_cost", "walked", "contacts"):
        np.testing.assert_allclose(combined[output], alone[output], rtol=1e-12, err_msg=output)
    if "set" in first or "set" in second:
        assert set_conflicts(scenario, ("first", "second")) == [
            f"{path}: {'first' if 'set' in first else 'second'}'s set wins over {'second' if 'set' in first else 'first'}'s change"]


@pytest.mark.parametrize(("path", "pair"), [
    ("scenarios/nordic_midsize.toml", ("faster_response", "ai_self_service")),
    ("benchmarks/reference_operations.toml", ("more_agents", "training")),  # the operations plan in steps
], ids=["nordic", "operations"])
def test_a_combination_leaves_single_arms_bit_identical_when_stacked_beside_them(path, pair):
    scenario = sim.load(ROOT / path).scenario
    values = sample(scenario, 40, 9)
    alone = evaluate(scenario, values, 9)
    mixed = evaluate(scenario, values, 9, arms=[None, pair, pair[0]])
    for arm in ("baseline", pair[0]):
        for output, series in alone[arm].items():
            np.testing.assert_array_equal(mixed[arm][output], series, err_msg=f"{arm} {output}")


def test_frontier_marks_the_constructed_dominated_and_extendedly_dominated_portfolios():
    # nothing, cheap good, strictly dominated, a weak step, the next efficient step, a last small step
    costs = np.array([0.0, 100.0, 150.0, 120.0, 200.0, 300.0])
    npvs = np.array([0.0, 150.0, 100.0, 155.0, 200.0, 210.0])
    hull, status, increments = frontier(costs, npvs)
    assert hull == [0, 1, 4, 5]
    assert status == [None, None, "dominated", "extendedly dominated", None, None]
    assert increments == [None, 1.5, None, None, pytest.approx(0.5), pytest.approx(0.1)]


def test_probability_best_sums_to_one_and_ties_go_to_the_first():
    npv = np.array([[0.0, 1.0, 1.0], [0.0, -1.0, -2.0], [3.0, 1.0, 2.0], [0.0, 0.0, 0.0]])
    shares = probability_best(npv)
    assert shares.tolist() == [0.75, 0.25, 0.0]


def _four_levers() -> dict:
    raw = _two_segments(
        a=_lever("segments.retail.experience.bad", "scale", {"dist": "interval", "low": 0.3, "high": 0.9}, 1, 2, 8000.0, 400.0),
        b=_lever("segments.retail.experience.bad", "scale", {"dist": "interval", "low": 0.5, "high": 0.9}, 2, 3, 3000.0, 200.0),
        c=_lever("segments.trade.experience.good", "add", {"dist": "interval", "low": 0.0, "high": 0.3}, 1, 6, 6000.0, 900.0),
        d=_lever("segments.trade.monthly_churn", "scale", {"dist": "interval", "low": 0.7, "high": 1.05}, 3, 2, 9000.0, 600.0))
    raw["portfolio"] = {"exclusive": [["a", "b"]]}
    return raw


@pytest.mark.parametrize("objective", ["mean", "cvar:0.1", "prob-positive"])
def test_the_search_finds_the_exhaustive_optimum(objective):
    raw = _four_levers()
    raw["interventions"] = dict(reversed(raw["interventions"].items()))  # file order not alphabetical
    scenario = build(raw)
    exhaustive = portfolio(scenario, 200, 2, objective=objective, workers=1, hurdle_rates=[0.08])
    searched = portfolio(scenario, 200, 2, objective=objective, workers=1, hurdle_rates=[0.08], exhaustive_limit=4)
    assert searched.summary["search"]["method"].startswith("local search")
    assert searched.summary["search"]["evaluated"] < exhaustive.summary["search"]["evaluated"] == 12
    assert searched.summary["choice"] == exhaustive.summary["choice"]


def test_exclusive_groups_and_constraints_limit_the_portfolios():
    scenario = build(_four_levers())
    every = admissible(scenario)
    assert len(every) == 12 and () in every  # 16 subsets less the 4 with both a and b
    assert not any({"a", "b"} <= set(p) for p in every)
    assert admissible(scenario, max_options=1, include=["c"]) == [("c",)]
    assert all("d" not in p for p in admissible(scenario, exclude=["d"]))
    with pytest.raises(UsageError, match="--include e: not an intervention of this scenario"):
        admissible(scenario, include=["e"])
    with pytest.raises(UsageError, match="no portfolio satisfies"):
        admissible(scenario, include=["a", "b"])
    with pytest.raises(UsageError, match="--budget 10: no admissible portfolio keeps within it; the cheapest, c,"):
        portfolio(scenario, 50, 1, workers=1, include=["c"], budget=10.0, hurdle_rates=[0.0])


def test_unknown_names_in_the_portfolio_section_are_refused_with_a_suggestion():
    raw = _four_levers()
    raw["portfolio"] = {"exclusive": [["a", "bb"], ["c"]], "combinable": ["dd"]}
    with pytest.raises(ScenarioError) as error:
        build(raw)
    lines = error.value.lines()
    assert "test.toml: portfolio.exclusive[0][1]: 'bb' is not an intervention of this scenario; did you mean 'b'? " \
           "(interventions: a, b, c, d)" in lines
    assert "test.toml: portfolio.exclusive[1]: a group that excludes each other needs at least two different interventions" in lines
    assert any(line.startswith("test.toml: portfolio.combinable[0]: 'dd' is not an intervention") for line in lines)


def test_acceptability_sums_to_one_at_every_rate_and_crn_beats_independent_draws_tenfold():
    analysis = portfolio(sim.load(ROOT / "scenarios" / "nordic_midsize.toml"), 2000, 2026)
    for table, by in (("acceptability", "discount_rate"), ("acceptability_budget", "budget")):
        totals = analysis.tables[table].groupby(by)["probability_best"].sum()
        assert len(totals) > 5
        np.testing.assert_allclose(totals.to_numpy(), 1.0, rtol=0, atol=1e-12, err_msg=table)
    by_budget = analysis.tables["acceptability_budget"]
    assert by_budget[by_budget["budget"] == 0.0].set_index("portfolio")["probability_best"]["do_nothing"] == 1.0
    crn = analysis.summary["crn"]
    print(f"SE of the difference {crn['between']}: {crn['se_common_random_numbers']:.0f} with common random numbers, "
          f"{crn['se_independent_draws']:.0f} with independent draws ({crn['ratio']:.1f}x)")
    assert crn["ratio"] >= 10


def test_the_command_writes_its_folder_and_refuses_bad_options_with_exit_2(tmp_path):
    import json

    from click.testing import CliRunner

    from sim.shell.cli import main

    scenario = str(ROOT / "scenarios" / "nordic_midsize.toml")
    out = tmp_path / "portfolio"
    result = CliRunner().invoke(main, ["portfolio", scenario, "--draws", "200", "--workers", "1", "--out", str(out),
                                       "--json", "--budget", "300000", "--budget-on", "one-off"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert json.loads((out / "summary.json").read_text()) == summary
    assert {"frontier.png", "acceptability.png", "acceptability_budget.png", "portfolios.csv", "frontier.csv",
            "acceptability.csv", "acceptability_budget.csv"} <= {
        p.name for p in out.iterdir()}
    assert [p["interventions"] for p in summary["portfolios"]][:2] == [[], ["faster_response"]]
    assert set(summary["portfolios"][1]["npv"]) >= {"mean", "sd", "se_mean", "p05", "p50", "p95"}
    assert summary["constraints"]["budget_meaning"] == "one-off cost (undiscounted), in expectation (mean over draws)"
    for bad, message in ((["--objective", "var"], "--objective var: allowed are mean, cvar:ALPHA"),
                         (["--exclude", "ai_selfservice"], "did you mean 'ai_self_service'?")):
        refused = CliRunner().invoke(main, ["portfolio", scenario, "--draws", "50", "--out", str(tmp_path / "x"), *bad])
        assert refused.exit_code == 2 and message in refused.output
        assert not (tmp_path / "x").exists()


def test_the_memo_section_recommends_the_portfolio_and_says_the_budget_it_used():
    from sim.reporting.memo import Memo, budget_and_appetites, portfolio_section

    scenario = build(_four_levers())
    for budget, words in ((None, "The recommendation assumes no budget limit."),
                          (12000.0, "The recommendation keeps within a budget of 12 000 € on PV cost")):
        summary = portfolio(scenario, 200, 2, workers=1, hurdle_rates=[0.0], budget=budget).summary
        memo = Memo("t")
        portfolio_section(memo, summary, "EUR")
        text = " ".join(str(payload) for kind, payload in memo.blocks if kind == "p").replace("\u00a0", " ")
        chosen = next(e for e in summary["portfolios"] if e["name"] == summary["choice"])
        appetites = budget_and_appetites(summary, "EUR").replace("\u00a0", " ")
        assert chosen["label"] in text and appetites.startswith(words)
        assert "Under other risk appetites: judged by" in appetites or "chooses the same" in appetites
        assert "frontier" in memo.figures
        if budget is not None:
            assert chosen["pv_cost"]["mean"] <= budget


def test_more_arms_than_the_store_keeps_in_memory_give_the_same_answer(monkeypatch):
    import sim.analyses.portfolio as module

    scenario = build(_four_levers())
    whole = portfolio(scenario, 100, 3, workers=1, hurdle_rates=[0.0, 0.1])
    per_arm = 100 * 18 * len(module.APPRAISED_OUTPUTS) * 8
    monkeypatch.setattr(module, "MEMORY_BUDGET", 4 * per_arm)  # two arms at a time
    monkeypatch.setattr("sim.compute.arms.MEMORY_BUDGET", 4 * per_arm)
    grouped = portfolio(scenario, 100, 3, workers=1, hurdle_rates=[0.0, 0.1])
    assert grouped.summary["portfolios"] == whole.summary["portfolios"]
    assert grouped.tables["acceptability"].equals(whole.tables["acceptability"])


def test_a_pilot_can_value_the_portfolio_decision():
    scenario = build(_four_levers())
    single = sim.pilot(scenario, "c", [50, 150], draws=300, seed=4, workers=1)
    chosen = sim.pilot(scenario, "c", [50, 150], draws=300, seed=4, workers=1, portfolio=True)
    combined = portfolio(scenario, 300, 4, workers=1, hurdle_rates=[])
    assert chosen.summary["decision"].startswith("the choice among every admissible portfolio")
    assert chosen.summary["evpi"] == pytest.approx(combined.summary["evpi"], rel=1e-12)
    assert chosen.summary["expected_npv_now"] == pytest.approx(
        max(e["npv"]["mean"] for e in combined.summary["portfolios"]), rel=1e-12)
    assert single.summary["evpi"] != chosen.summary["evpi"]
    for row in chosen.summary["sizes"]:
        assert row["evsi"] <= chosen.summary["evppi"] * 1.05 + 1e-9 <= chosen.summary["evpi"] * 1.05 + 1e-9


def _same_but_the_run_s_arms(reused, fresh, scenario) -> None:
    """A portfolio on a run's arms equals one that simulates them itself, bit for bit, and simulated fewer arms by
    the run's baseline and single options."""
    singles = len(scenario.interventions)
    assert reused.summary["search"]["arms_simulated"] == fresh.summary["search"]["arms_simulated"] - singles - 1
    assert reused.summary["portfolios"] == fresh.summary["portfolios"]
    assert reused.tables["npv_draws"].equals(fresh.tables["npv_draws"])
    assert reused.tables["acceptability"].equals(fresh.tables["acceptability"])


def test_a_run_s_arms_are_reused_bit_for_bit_and_only_the_combinations_simulated():
    scenario = build(_four_levers())
    result = sim.run(scenario, draws=120, seed=5, workers=1)
    fresh = portfolio(scenario, 120, 5, workers=1, hurdle_rates=[0.0, 0.1])
    reused = portfolio(scenario, 120, 5, workers=1, hurdle_rates=[0.0, 0.1], result=result)
    _same_but_the_run_s_arms(reused, fresh, scenario)


@pytest.mark.parametrize("workers", [1, 2])
def test_combinations_simulated_beside_a_run_leave_it_unchanged_and_the_portfolio_simulates_nothing(workers, monkeypatch):
    """`cxroi run --memo`: the run simulates the combinations beside its own arms (a second engine pass in each
    chunk at the same scores; forked workers write them to shared memory). The run's flows and appraisals are
    bit for bit a plain run's, and the portfolio built on it simulates nothing and matches one that simulates
    every arm itself, bit for bit, counting the combinations as simulated for it."""
    from sim.analyses.portfolio import combination_arms
    from sim.compute import arms

    scenario = build(_four_levers())
    combinations = combination_arms(scenario, 120)
    assert combinations == [p for p in admissible(scenario) if len(p) > 1]  # a and b exclude each other: 7
    plain = sim.run(scenario, draws=120, seed=5, workers=1)
    beside = sim.run(scenario, draws=120, seed=5, workers=workers, combinations=combinations)
    assert list(beside.combinations) == combinations and not plain.combinations
    assert list(beside.flows) == list(plain.flows)
    for arm, flows in plain.flows.items():
        assert all(np.array_equal(flows[name], beside.flows[arm][name]) for name in flows)
    for name, a in plain.appraisals.items():
        assert all(np.array_equal(getattr(a, key), getattr(beside.appraisals[name], key), equal_nan=True)
                   for key in ("npv", "roi", "pv_cost", "pv_benefit", "payback"))
    fresh = portfolio(scenario, 120, 5, workers=1, hurdle_rates=[0.0, 0.1])

    def no_simulation(job):
        raise AssertionError("the portfolio simulated an arm the run had simulated")

    monkeypatch.setattr(arms, "_arm_job", no_simulation)
    reused = portfolio(scenario, 120, 5, workers=1, hurdle_rates=[0.0, 0.1], result=beside)
    _same_but_the_run_s_arms(reused, fresh, scenario)


def test_a_portfolio_s_base_case_is_that_of_one_option_doing_what_it_does():
    """The spreadsheet answer of a combination: two scales on one input at their base values equal one option
    with their product and their summed costs (the combination rule, at expected counts); a single option's is
    the run's own base case."""
    first = _lever("segments.retail.experience.bad", "scale", 0.8)
    second = _lever("segments.retail.experience.bad", "scale", 0.5, one_off=500.0, recurring=40.0)
    single = _lever("segments.retail.experience.bad", "scale", 0.4, one_off=1500.0, recurring=140.0)
    entries = {e["name"]: e for e in portfolio(build(_two_segments(first=first, second=second)), 40, 3, workers=1,
                                                hurdle_rates=[]).summary["portfolios"]}
    alone = sim.run(build(_two_segments(single=single)), draws=40, seed=3, workers=1).summary_dict()["interventions"]
    both = entries["first+second"]["base_case"]
    for key in ("npv", "roi", "pv_benefit", "pv_cost", "payback_period"):
        assert both[key] == pytest.approx(alone["single"]["base_case"][key], rel=1e-12)
    run = sim.run(build(_two_segments(first=first, second=second)), draws=40, seed=3, workers=1).summary_dict()
    assert entries["first"]["base_case"] == run["interventions"]["first"]["base_case"]
    assert entries["do_nothing"]["base_case"] is None
