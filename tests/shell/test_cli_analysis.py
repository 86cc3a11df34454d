"""The analysis commands end to end: exit codes, JSON on stdout, tables and figures in the folder."""

import json

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from sim.shell.cli import main

SCENARIO = "scenarios/seed001_churn_example.toml"
PNG = b"\x89PNG\r\n\x1a\n"

COMMANDS = {
    "sweep": (["--param", "segments.portfolio.fee", "--values", "9000,10000,11000"], ["sweep.csv", "sweep.png"]),
    "tornado": ([], ["tornado.csv", "tornado.png", "tornado_from_draws.csv", "tornado_from_draws.png"]),
    "sensitivity": (["--sobol-samples", "64"], ["rank_measures.csv", "rank_measures.png", "sobol.csv", "sobol.png"]),
    "breakeven": (["--param", "interventions.faster_response.one_off_cost", "--range", "50000:900000"],
                  ["breakeven.csv", "breakeven_curve.csv", "breakeven.png"]),
    "voi": ([], ["voi.csv", "voi.png"]),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_command_writes_tables_figures_and_json(command, root, tmp_path):
    extra, files = COMMANDS[command]
    out = tmp_path / command
    args = [command, str(root / SCENARIO), "--draws", "300", "--workers", "1", "--out", str(out), "--json", *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["seed"] == 2025 and summary["draws"] == 300
    assert sorted(p.name for p in out.iterdir()) == sorted(["summary.json", "manifest.json", "scenario.toml", *files])
    for name in files:
        if name.endswith(".png"):
            assert (out / name).read_bytes()[:8] == PNG
    assert json.loads((out / "summary.json").read_text()) == summary
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["analysis"] == command
    assert sorted(manifest["files"]) == sorted(p.name for p in out.iterdir())  # every file, none described as unknown
    assert "(not described)" not in manifest["files"].values()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_command_prints_a_readable_summary(command, root):
    extra, _ = COMMANDS[command]
    result = CliRunner(env={"COLUMNS": "80"}).invoke(
        main, [command, str(root / SCENARIO), "--draws", "200", "--workers", "1", "--no-save", *extra])
    assert result.exit_code == 0, result.output
    assert "Netigate worked example" in result.output
    assert max(cell_len(line) for line in result.output.splitlines()) <= 80 and "…" not in result.output
    assert "Faster support response" in result.output and "faster_response" not in result.output


SCENARIO_FILE = "<scenario>"


@pytest.mark.parametrize(
    "args, message",
    [
        (["sweep", "--param", "segments.portfolio.fe", "--values", "1,2"],
         f"{SCENARIO_FILE}: segments.portfolio.fe: --param: not an input of this scenario; did you mean 'segments.portfolio.fee'?"),
        (["sweep", "--param", "segments.portfolio.fee"], "give one --values or --range for each --param: 1 --param, 0 value lists"),
        (["sweep", "--param", "segments.portfolio.fee", "--values", "1:2"],
         "'1:2' is not a list of numbers (0.01,0.02,0.03) or a range (LOW:HIGH:STEPS)"),
        (["breakeven", "--param", "segments.portfolio.fee", "--range", "5"],
         "--range '5' is not LOW:HIGH or LOW:HIGH:STEPS, e.g. 0.05:0.5 or 0.05:0.5:10"),
    ],
)
def test_usage_mistakes_get_one_line_and_exit_code_2(args, message, root, tmp_path):
    command, *rest = args
    result = CliRunner().invoke(main, [command, str(root / SCENARIO), "--out", str(tmp_path / "o"), *rest])
    assert result.exit_code == 2
    assert result.output == message.replace(SCENARIO_FILE, str(root / SCENARIO)) + "\n"
    assert not (tmp_path / "o").exists()
