"""The memo decides among portfolios (issue 20): the rule on constructed portfolio.json contents, a run
with a budget, and a folder written before portfolios (judged option by option). About 6 s."""

import json
import shutil

import pytest
from click.testing import CliRunner

from sim.reporting.memo import decide
from sim.shell.cli import main


def _entry(name, members, npv, p, cost, within=True):
    return {"name": name, "label": " + ".join(m.upper() for m in members) or "Do nothing", "interventions": members,
            "npv": {"mean": npv}, "prob_npv_positive": p, "pv_cost": {"mean": cost}, "within_budget": within}


def _summary():
    return {"currency": "EUR", "interventions": {
        "a": {"label": "A", "npv": {"mean": 50_000}, "prob_roi_positive": 0.9, "pv_cost": {"mean": 100_000}},
        "b": {"label": "B", "npv": {"mean": 20_000}, "prob_roi_positive": 0.95, "pv_cost": {"mean": 30_000}}}}


def _portfolio(choice, entries):
    return {"choice": choice, "portfolios": entries, "evpi": 0.0, "evppi": []}


def test_a_combination_is_recommended_and_the_largest_part_followed():
    entries = [_entry("do_nothing", [], 0, 0, 0), _entry("a", ["a"], 50_000, 0.9, 100_000),
               _entry("b", ["b"], 20_000, 0.95, 30_000), _entry("a+b", ["a", "b"], 65_000, 0.93, 130_000)]
    decision = decide(_summary(), None, str, _portfolio("a+b", entries))
    assert (decision.verdict, decision.portfolio, decision.members, decision.intervention) == ("invest", "a+b", ("a", "b"), "a")
    assert decision.because == "expected NPV is 65\u00a0000\u00a0€, positive in 93.0\u00a0% of outcomes"


def test_doing_nothing_is_not_investing_and_says_why():
    entries = [_entry("do_nothing", [], 0, 0, 0), _entry("a", ["a"], -5_000, 0.4, 100_000),
               _entry("b", ["b"], 20_000, 0.95, 300_000, within=False)]
    decision = decide(_summary(), None, str, _portfolio("do_nothing", entries))
    assert decision.verdict == "do not invest" and decision.members == ()
    assert decision.because == "even the best portfolio, A, has an expected NPV of −5\u00a0000\u00a0€"
    over = [_entry("do_nothing", [], 0, 0, 0), _entry("b", ["b"], 20_000, 0.95, 300_000, within=False)]
    assert "over the budget" in decide(_summary(), None, str, _portfolio("do_nothing", over)).because


@pytest.fixture(scope="module")
def budget_folder(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("budget") / "run"
    scenario = str(request.config.rootpath / "scenarios" / "nordic_midsize.toml")
    result = CliRunner().invoke(main, ["run", scenario, "--draws", "300", "--workers", "1", "--out", str(folder),
                                       "--memo", "--budget", "300000"])
    assert result.exit_code == 0, result.output
    return folder


def test_a_budget_limits_the_recommendation_and_the_memo_says_so(budget_folder):
    portfolio = json.loads((budget_folder / "portfolio.json").read_text())
    chosen = next(e for e in portfolio["portfolios"] if e["name"] == portfolio["choice"])
    assert chosen["pv_cost"]["mean"] <= 300_000
    md = (budget_folder / "memo.md").read_text()
    assert "The recommendation keeps within a budget of 300\u00a0000\u00a0€ on PV cost" in md
    assert f"**{chosen['label']}**" in md and "--memo --budget 300000" in md


def test_a_folder_without_portfolios_is_judged_option_by_option(budget_folder, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(budget_folder, old)
    for name in ("portfolio.json", "memo.md", "memo.html"):
        (old / name).unlink()
    written = CliRunner().invoke(main, ["memo", str(old)])
    assert written.exit_code == 0, written.output
    md = (old / "memo.md").read_text()
    assert "holds no portfolios, so the options were judged one by one" in md and "Combining the options" not in md


def test_budget_without_memo_is_refused_in_one_line(request, tmp_path):
    scenario = str(request.config.rootpath / "scenarios" / "nordic_midsize.toml")
    refused = CliRunner().invoke(main, ["run", scenario, "--draws", "50", "--budget", "1000", "--out", str(tmp_path / "x")])
    assert refused.exit_code == 2 and refused.output.endswith(
        "--budget limits the memo's recommended portfolio: give --memo too (or run cxroi portfolio --budget)\n")
    assert not (tmp_path / "x").exists()


def test_the_spreadsheet_answer_is_the_recommended_portfolio_s_own(request, tmp_path):
    """A combination recommended: the memo's spreadsheet answer is its base case from portfolio.json (not its
    largest part's), beside its own mean."""
    from sim.reporting.format import amount, style

    scenario = str(request.config.rootpath / "scenarios" / "nordic_midsize.toml")
    written = CliRunner().invoke(main, ["run", scenario, "--draws", "300", "--workers", "1", "--out", str(tmp_path / "run"),
                                        "--memo"])
    assert written.exit_code == 0, written.output
    portfolio = json.loads((tmp_path / "run" / "portfolio.json").read_text())
    chosen = next(e for e in portfolio["portfolios"] if e["name"] == portfolio["choice"])
    assert len(chosen["interventions"]) > 1
    md = (tmp_path / "run" / "memo.md").read_text()
    st = style("EUR")
    assert (f"{chosen['label']} returns an ROI of {st.roi(chosen['base_case']['roi'])} (NPV "
            f"{amount(chosen['base_case']['npv'], 'EUR')}); the mean over all 300 simulated outcomes is "
            f"{st.roi(chosen['roi']['mean'])}") in md
    assert "(the recommended portfolio's largest part)" not in md
