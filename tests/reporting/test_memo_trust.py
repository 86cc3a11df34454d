"""The memo's "How much to trust the inputs" (issue 19): from the review a fitted scenario carries, a line for a
hand-written one, a pilot's row, and the scenario's [review] tables validated. About 12 s (one fit, one 200-draw run and its memo)."""

import shutil
import tomllib

import pytest
from click.testing import CliRunner

from sim.errors import ScenarioError
from sim.model.validation import validate
from sim.reporting.memo import Memo
from sim.reporting.memo_trust import trust_section
from sim.shell.cli import main

FIT = "cxroi fit customers on customers.csv, fitted 2026-12-06"
RESOLVED = {"segments": {"retail": {"label": "Retail subscribers"}}}


def section(manifest) -> list:
    memo = Memo("t")
    trust_section(memo, manifest)
    return memo.blocks


def test_a_hand_written_scenario_says_in_one_line_that_nothing_was_fitted():
    blocks = section({"inputs": {"segments.retail.margin": {"source": "hand-set: gross margin"}},
                      "resolved_scenario": RESOLVED})
    assert blocks == [("h2", "How much to trust the inputs"),
                      ("p", "The inputs were not fitted from data: they are the scenario's stated assumptions, each with "
                            "its source in the appendix, so there is no model review to report.")]


def test_a_reviewed_scenario_gets_a_row_per_fit_and_a_line_per_warning_or_failure():
    review = {
        "segments.retail.churn_mix": {"fit": FIT, "holdout": "fail: 900 predicted, 700 happened", "predictive": "ok: fine",
                                      "estimate": "ok: inside", "designs": "n/a: no causal claim"},
        "segments.retail.experience.bad": {"fit": "cxroi fit support on tickets.csv, fitted 2026-12-06",
                                           "holdout": "n/a: none", "predictive": "n/a: none",
                                           "estimate": "warn: the estimate 0 sits at 0", "designs": "n/a: none"},
        "segments.retail.contacts": {"fit": "cxroi fit support on tickets.csv, fitted 2026-12-06", "holdout": "n/a: none",
                                     "predictive": "n/a: none", "estimate": "ok: inside", "designs": "n/a: none"},
    }
    inputs = {"segments.retail.churn_mix.alpha": {"source": FIT}, "segments.retail.experience.bad": {"source": "cxroi fit support"},
              "segments.retail.contacts": {"source": "cxroi fit support"},
              "interventions.x.changes[0].scale": {"source": "cxroi fit pilot (pilot: treated 4/50, control 6/50)"}}
    blocks = section({"inputs": inputs, "resolved_scenario": {**RESOLVED, "review": review}})
    kinds = [kind for kind, _ in blocks]
    assert kinds == ["h2", "p", "table", "list", "p"]
    assert blocks[1][1].endswith("Of 3 inputs, 1 passes every check, 1 draws a warning and 1 fails a check:")
    header, rows = blocks[2][1]
    assert header == ["inputs", "holdout", "predictive check", "estimate", "causal designs", "verdict"]
    assert rows == [["Retail subscribers: churn (fit customers)", "fail", "ok", "ok", "—", "**fail**"],
                    ["Retail subscribers: support's effects (fit support, 2 inputs)", "—", "—", "warn", "—", "**warn**"]]
    assert blocks[3][1] == ["Retail subscribers: churn mix, holdout (fail): 900 predicted, 700 happened.",
                            "Retail subscribers: bad, estimate (warn): the estimate 0 sits at 0."]
    assert blocks[4][1] == ("From a pilot, not reviewed: `interventions.x.changes[0].scale` (fitted before the pilot's "
                            "review existed); fit it again with `--into` to have its halves and arms checked.")


def test_a_reviewed_pilot_gets_a_row_under_its_interventions_name():
    review = {"interventions.x.changes[1]": {
        "fit": "cxroi fit pilot on pilot.csv, fitted 2026-12-07", "holdout": "fail: bad in the treated arm's ...",
        "predictive": "ok: fine", "estimate": "ok: inside", "designs": "n/a: a randomised comparison"}}
    resolved = {**RESOLVED, "interventions": {"x": {"label": "Better first contact", "changes": [
        {"path": "segments.retail.experience.good"}, {"path": "segments.retail.experience.bad"}]}}, "review": review}
    inputs = {"interventions.x.changes[1].scale": {"source": "cxroi fit pilot (pilot: pilot.csv)"}}
    blocks = section({"inputs": inputs, "resolved_scenario": resolved})
    assert [kind for kind, _ in blocks] == ["h2", "p", "table", "list"]
    assert blocks[1][1].endswith("Of 1 input, 1 fails a check:")
    assert blocks[2][1][1] == [["Better first contact: pilot result (fit pilot)", "fail", "ok", "ok", "—", "**fail**"]]
    assert blocks[3][1] == ["Better first contact: its change of `segments.retail.experience.bad`, holdout (fail): bad in "
                            "the treated arm's ...."]


def test_the_review_keys_are_validated(root):
    raw = tomllib.loads((root / "scenarios" / "sample_company.toml").read_text())
    entry = {"fit": FIT, "holdout": "ok: fine", "predictive": "ok: fine", "estimate": "ok: fine", "designs": "n/a: none"}
    validate({**raw, "review": {"segments.retail.churn_mix": entry}}, "s.toml")
    with pytest.raises(ScenarioError, match="review.segments.nowhere.churn_mix: the scenario has no segment 'nowhere'"):
        validate({**raw, "review": {"segments.nowhere.churn_mix": entry}}, "s.toml")
    with pytest.raises(ScenarioError) as error:
        validate({**raw, "review": {"segments.retail.churn_mix": {**entry, "holdout": "great"}}}, "s.toml")
    assert "review.segments.retail.churn_mix.holdout" in str(error.value)


def test_fit_into_a_scenario_then_its_memo_has_the_section(root, tmp_path):
    scenario = tmp_path / "company.toml"
    shutil.copy(root / "scenarios" / "sample_company.toml", scenario)
    runner = CliRunner()
    fitted = runner.invoke(main, ["fit", "customers", str(root / "scenarios" / "data" / "customers.csv"), "--into",
                                  str(scenario), "--out", str(tmp_path / "fit")])
    assert fitted.exit_code == 0, fitted.output
    assert "Model review of 2 fitted inputs" in fitted.output
    assert (tmp_path / "fit" / "review.json").is_file()
    text = scenario.read_text()
    assert '[review."segments.retail.churn_mix"]' in text and '[review."segments.business.churn_mix"]' in text
    run = runner.invoke(main, ["run", str(scenario), "--draws", "200", "--workers", "1", "--out", str(tmp_path / "run")])
    assert run.exit_code == 0, run.output
    memo = runner.invoke(main, ["memo", str(tmp_path / "run"), "--format", "md"])
    assert memo.exit_code == 0, memo.output
    md = (tmp_path / "run" / "memo.md").read_text()
    assert "## How much to trust the inputs" in md
    assert "| Retail subscribers: churn (fit customers) |" in md
    assert "Fitted from data but not reviewed" not in md  # the rest of sample_company is hand-set
