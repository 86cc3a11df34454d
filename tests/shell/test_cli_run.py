"""`cxroi run` end to end: the summary, --json, the results folder and its files."""

import json

import pandas as pd
from click.testing import CliRunner

from sim.shell.cli import main
from tests.conftest import scenario_dict
from tests.shell.test_bad_input import write_scenario

JSON_KEYS = {"mean", "sd", "se_mean", "p05", "p10", "p50", "p90", "p95"}


def _scenario(tmp_path):
    raw = scenario_dict(draws=300, seed=4)
    raw["segments"]["retail"].update(purchases="1.5 to 2.5", contacts=0.3)
    return write_scenario(raw, tmp_path / "small.toml")


def test_json_output_is_only_json_with_the_promised_keys(tmp_path):
    file = _scenario(tmp_path)
    result = CliRunner().invoke(main, ["run", str(file), "--json", "--no-save", "--workers", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["scenario"] == "test" and summary["seed"] == 4 and summary["draws"] == 300
    assert summary["currency"] == "EUR"
    entry = summary["interventions"]["program"]
    assert set(entry["roi"]) >= JSON_KEYS and set(entry["npv"]) >= JSON_KEYS
    assert {"prob_roi_positive", "prob_payback_within_horizon", "payback_period"} <= set(entry)
    assert set(entry["payback_period"]) == {"p10", "p50", "p90"}


def test_results_folder_holds_summary_manifest_draws_and_bands(tmp_path):
    file = _scenario(tmp_path)
    out = tmp_path / "run1"
    result = CliRunner().invoke(main, ["run", str(file), "--out", str(out), "--json", "--workers", "1", "--seed", "9"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["bands.csv", "draws.csv", "manifest.json", "scenario.toml", "summary.json"]
    assert json.loads((out / "summary.json").read_text()) == json.loads(result.stdout)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 9 and manifest["draws"] == 300
    assert len(manifest["scenario"]["sha256"]) == 64
    assert manifest["inputs"]["segments.retail.purchases"]["distribution"]["dist"] in {"interval", "lognormal"}
    assert {"numpy", "scipy", "pandas", "python"} <= set(manifest["versions"])
    draws = pd.read_csv(out / "draws.csv")
    assert len(draws) == 300 and "program.npv" in draws and "segments.retail.purchases" in draws
    bands = pd.read_csv(out / "bands.csv")
    assert set(bands["arm"]) == {"baseline", "program"}
    assert len(bands.query("arm == 'baseline' and metric == 'active'")) == 12
    assert (file.read_text() == (out / "scenario.toml").read_text())
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_overwrite_replaces_an_existing_folder(tmp_path):
    file = _scenario(tmp_path)
    out = tmp_path / "run"
    runner = CliRunner()
    assert runner.invoke(main, ["run", str(file), "--out", str(out), "--workers", "1"]).exit_code == 0
    again = runner.invoke(main, ["run", str(file), "--out", str(out), "--workers", "1", "--overwrite", "--seed", "5"])
    assert again.exit_code == 0, again.output
    assert json.loads((out / "summary.json").read_text())["seed"] == 5


def test_override_changes_the_run_and_is_recorded(tmp_path):
    file = _scenario(tmp_path)
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main, ["run", str(file), "--out", str(out), "--workers", "1", "--set", "segments.retail.margin=0.6", "--json"]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["overrides"] == ["segments.retail.margin=0.6"]
    assert manifest["inputs"]["segments.retail.margin"]["base"] == 0.6


def test_human_summary_names_each_intervention(tmp_path):
    file = _scenario(tmp_path)
    result = CliRunner().invoke(main, ["run", str(file), "--no-save", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "Program" in result.output and "P(ROI > 0)" in result.output  # no label: the id in words


def test_memo_of_a_scenario_without_uncertain_inputs_goes_without_tornado_and_value_of_information(tmp_path):
    """Every input fixed: `run --memo` once failed drawing a tornado of 0 rows. Now exit 0, the memo decides by the
    rule without value of information, and no tornado or VOI file is written (about 1 s)."""
    file = write_scenario(scenario_dict(draws=200, seed=4), tmp_path / "fixed.toml")
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(file), "--out", str(out), "--workers", "1", "--memo"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in (out / "memo_figures").iterdir()) == ["cash_flow.png", "roi_distribution.png"]
    assert not any((out / name).exists() for name in ("tornado.csv", "portfolio.json", "pilot.json"))
    memo = (out / "memo.md").read_text()
    assert "**Recommendation.** Invest in **program**: expected NPV is " in memo
    assert "EVPI" not in memo and "tornado" not in memo.lower()
