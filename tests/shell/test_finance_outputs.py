"""What a finance reader gets: named inputs in 80-column tables, overrides shown, the Excel workbook
read back against summary.json, Parquet tables, folders with the user's umask, and the README's
break-even example printing a break-even. About 25 s (10 s of it the break-even examples)."""

import json
import math
import os
import re
import shlex

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from sim.reporting.format import amount, roi
from sim.shell.cli import main

NORDIC = "scenarios/nordic_midsize.toml"


def invoke(args, **env):
    result = CliRunner(env={"COLUMNS": "80", **env}).invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("finance") / "run"
    output = CliRunner(env={"COLUMNS": "80"}).invoke(main, [
        "run", str(request.config.rootpath / NORDIC), "--draws", "600", "--workers", "1", "--out", str(folder),
        "--set", "segments.b2b.margin=0.4", "--xlsx", str(folder.parent / "run.xlsx")])
    assert output.exit_code == 0, output.output
    return folder, output.output


def test_run_table_fits_80_columns_with_whole_numbers_and_percent_roi(run_folder):
    folder, output = run_folder
    summary = json.loads((folder / "summary.json").read_text())
    assert max(cell_len(line) for line in output.splitlines()) <= 80
    assert "…" not in output
    for entry in summary["interventions"].values():
        assert amount(entry["npv"]["mean"], "EUR") in output
        assert roi(entry["roi"]["mean"], "EUR") in output
    assert "set on the command line: segments.b2b.margin=0.4" in output


def test_overrides_reach_summary_manifest_and_memo_sources(run_folder):
    folder, _ = run_folder
    summary = json.loads((folder / "summary.json").read_text())
    inputs = json.loads((folder / "manifest.json").read_text())["inputs"]
    assert summary["overrides"] == ["segments.b2b.margin=0.4"]
    assert inputs["segments.b2b.margin"]["source"] == "set on the command line"
    assert inputs["segments.b2b.margin"]["label"] == "Gross margin, business customers"
    memo = CliRunner().invoke(main, ["memo", str(folder), "--format", "md"])
    assert memo.exit_code == 0, memo.output
    assert "| Gross margin, business customers | fixed at 0.4 | set on the command line |" in (folder / "memo.md").read_text()


def test_workbook_reads_back_as_summary_json(run_folder):
    folder, _ = run_folder
    summary = json.loads((folder / "summary.json").read_text())
    book = openpyxl.load_workbook(folder.parent / "run.xlsx")
    assert book.sheetnames == ["Summary", "Assumptions", "Bands", "Draws"]
    rows = {row[0]: row[1:] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    header = rows["Measure"]
    entries = list(summary["interventions"].values())
    assert list(header[:len(entries)]) == [e["label"] for e in entries]
    cached = {row[0]: row[1:] for row in openpyxl.load_workbook(folder.parent / "run.xlsx", data_only=True)[
        "Summary"].iter_rows(values_only=True) if row[0]}
    gain = f"P(ROI > 0) = P(payback within {summary['horizon']} months)"
    for i, entry in enumerate(entries):
        # formulas over the Draws sheet (tests/reporting/test_workbook.py evaluates them); their cached values
        assert rows["NPV, mean"][i].startswith("=AVERAGE(Draws!")
        assert cached["NPV, mean"][i] == pytest.approx(entry["npv"]["mean"], rel=1e-14)
        assert cached["ROI, 5th percentile"][i] == pytest.approx(entry["roi"]["p05"], rel=1e-14)
        assert cached[gain][i] == pytest.approx(entry["prob_roi_positive"], rel=1e-14)
        assert cached["Payback period, median (months)"][i] in (entry["payback_period"]["p50"], "", None)
    assert rows["Set on the command line"][0] == "segments.b2b.margin=0.4"
    assumptions = pd.read_excel(folder.parent / "run.xlsx", sheet_name="Assumptions")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert list(assumptions["Path in the scenario file"]) == list(manifest["inputs"])
    draws = pd.read_excel(folder.parent / "run.xlsx", sheet_name="Draws")
    assert len(draws) == summary["draws"]
    name = next(iter(summary["interventions"]))
    assert draws[f"{entries[0]['label']}: NPV"].mean() == pytest.approx(entries[0]["npv"]["mean"], rel=1e-9)
    assert name  # the draws sheet names options by label, not id


def test_parquet_tables_hold_the_same_draws_and_feed_the_memo(tmp_path, root):
    args = ["run", str(root / "scenarios" / "seed001_churn_example.toml"), "--draws", "300", "--workers", "1"]
    invoke([*args, "--out", str(tmp_path / "csv")])
    invoke([*args, "--out", str(tmp_path / "pq"), "--tables", "parquet"])
    assert sorted(p.name for p in (tmp_path / "pq").iterdir()) == [
        "bands.parquet", "draws.parquet", "manifest.json", "scenario.toml", "summary.json"]
    from_csv = pd.read_csv(tmp_path / "csv" / "draws.csv", index_col="draw")
    from_parquet = pd.read_parquet(tmp_path / "pq" / "draws.parquet")
    pd.testing.assert_frame_equal(from_csv, from_parquet, check_exact=False, rtol=1e-11, check_dtype=False)
    invoke(["memo", str(tmp_path / "pq")])
    invoke(["export", str(tmp_path / "pq"), "--xlsx", str(tmp_path / "pq.xlsx")])


def test_results_folder_respects_umask_and_bands_hold_only_measures_the_scenario_has(tmp_path, root):
    old = os.umask(0o022)
    try:
        invoke(["run", str(root / "scenarios" / "seed001_churn_example.toml"), "--draws", "200", "--workers", "1",
                "--out", str(tmp_path / "r")])
    finally:
        os.umask(old)
    assert (tmp_path / "r").stat().st_mode & 0o777 == 0o755
    bands = pd.read_csv(tmp_path / "r" / "bands.csv")
    assert "walked" not in set(bands["metric"]) and "answered" not in set(bands["metric"])  # no experience effects
    numeric = bands.drop(columns=["arm", "metric", "period"])
    for metric, rows in numeric.groupby(bands["metric"]):
        assert (rows != 0).any().any(), metric


def test_paths_flag_shows_dotted_paths(root):
    output = invoke(["voi", str(root / NORDIC), "--draws", "200", "--workers", "1", "--no-save", "--paths"],
                    COLUMNS="200")
    assert "interventions.faster_response.changes[0].scale" in output
    named = invoke(["voi", str(root / NORDIC), "--draws", "200", "--workers", "1", "--no-save"], COLUMNS="200")
    assert "Faster response (+4 agents): factor on share of bad contacts, business customers" in named
    assert "faster_response" not in named


def _readme_breakeven_commands(root):
    """The breakeven examples of the README (its table of analyses) and docs/commands.md (code blocks)."""
    commands = []
    for page in ("README.md", "docs/commands.md"):
        text = (root / page).read_text()
        commands += re.findall(r"`(cxroi breakeven [^`]+)`", text)
        commands += [line.split("#")[0].strip() for line in text.splitlines() if line.strip().startswith("cxroi breakeven")]
    return commands


def test_readme_and_help_breakeven_examples_print_a_break_even(root, tmp_path):
    commands = _readme_breakeven_commands(root)
    help_text = CliRunner().invoke(main, ["--help"]).output
    commands += [line.strip() for line in help_text.splitlines() if line.strip().startswith("cxroi breakeven")]
    commands = list(dict.fromkeys(commands))
    assert len(commands) >= 2
    for i, command in enumerate(commands):
        args = shlex.split(command)[1:]
        args[1] = str(root / args[1])
        output = invoke([*args, "--draws", "100", "--workers", "1", "--out", str(tmp_path / str(i))])
        summary = json.loads((tmp_path / str(i) / "summary.json").read_text())
        found = [value for values in summary["breakeven"].values() for value in values.values() if value is not None]
        assert found, command
        assert "faster_response" not in output and "Faster response (+4 agents)" in output
        assert re.search(r"Faster response \(\+4 agents\)\s+\S*\d", output), output
        assert all(math.isfinite(v) for v in found)


def test_sweep_values_carry_no_float_noise_and_payback_beyond_the_horizon_is_explicit(root):
    import sim
    from sim.analyses.sweep import value_range

    assert value_range("0.05:0.5:10", 10)[1] == 0.1 and value_range("0.05:0.5:10", 10)[2] == 0.15
    scenario = sim.load(root / NORDIC)
    result = sim.run(scenario, draws=200, seed=3, workers=1)
    payback = result.draws["ai_self_service.payback_period"]
    assert not payback.isna().any() and (payback == sim.BEYOND_HORIZON).any()
    assert result.summary().loc["ai_self_service", "payback_p90"] == sim.BEYOND_HORIZON


def test_the_shipped_example_renders_again_with_cxroi_memo(root, tmp_path):
    example = root / "results" / "examples" / "nordic_midsize"
    (tmp_path / "memo.md").write_text("an older memo")  # --overwrite replaces a file the user may write
    invoke(["memo", str(example), "--out", str(tmp_path / "memo.md"), "--overwrite"])
    assert (tmp_path / "memo.md").read_text() == (example / "memo.md").read_text()
    memo = (example / "memo.md").read_text()
    assert "faster_response" not in memo and "seed 00" not in memo


def test_every_memo_heading_is_printed_with_what_follows(root):
    html = (root / "results" / "examples" / "nordic_midsize" / "memo.html").read_text()
    lines = [line for line in html.splitlines() if re.search(r"<h[23][ >]", line)]
    assert len(lines) >= 6 and all(line.startswith('<div class="keep') for line in lines)
