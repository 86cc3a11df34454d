"""`cxroi pilot` end to end: table, figure and JSON; the power shown names its measure; mistakes are one line,
exit 2, nothing written (about 3 s)."""

import json
import re

from click.testing import CliRunner

from sim.reporting.format import percent
from sim.shell.cli import main

SCENARIO = "scenarios/nordic_midsize.toml"
PNG = b"\x89PNG\r\n\x1a\n"


def test_pilot_writes_its_table_figure_and_summary(root, tmp_path):
    out = tmp_path / "pilot"
    result = CliRunner().invoke(main, ["pilot", str(root / SCENARIO), "--intervention", "ai_self_service", "--draws", "400",
                                       "--workers", "1", "--sizes", "100,1000,10000", "--periods", "3", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert [row["customers_per_arm"] for row in summary["sizes"]] == [100, 1000, 10000]
    assert summary["measures"][0]["parameter"] == "segments.b2c.experience.bad"
    assert summary["measures"][0]["power_column"] == "power_b2c_bad" and "primary_measure" not in summary
    assert (out / "pilot.csv").read_text().splitlines()[0] == "customers_per_arm,periods,evsi,cost,net_gain,power_b2c_bad"
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "pilot.csv", "pilot.png", "scenario.toml", "summary.json"]
    assert (out / "pilot.png").read_bytes()[:8] == PNG


def test_pilot_mistakes_are_one_line_and_write_nothing(root, tmp_path):
    runner = CliRunner()
    out = tmp_path / "pilot"
    cases = [
        (["--intervention", "ai_self_service", "--sizes", "100,40000"],
         "--sizes: 40000 customers per arm needs 80000 customers of segment 'b2c'; it has 60000"),
        (["--intervention", "ai_self_servise"], "--intervention: no intervention 'ai_self_servise' in the scenario; did you "
                                                "mean 'ai_self_service'? (it has faster_response, resolution_training, ai_self_service)"),
        (["--intervention", "ai_self_service", "--sizes", "ten"], "--sizes 'ten' is not a list of whole numbers, e.g. 100,250,500"),
    ]
    for args, message in cases:
        result = runner.invoke(main, ["pilot", str(root / SCENARIO), "--draws", "50", "--workers", "1", "--out", str(out), *args])
        assert result.exit_code == 2 and result.output == message + "\n", result.output
        assert not out.exists()


def test_the_terminal_names_the_measure_of_every_power(root, monkeypatch):
    """Faster response counts bad contacts in two segments: a power row for each, named as a reader knows them,
    with the numbers of the JSON summary (under 1 s)."""
    monkeypatch.setenv("COLUMNS", "100")
    args = ["pilot", str(root / SCENARIO), "--intervention", "faster_response", "--draws", "300", "--workers", "1",
            "--sizes", "100,700", "--no-save"]
    summary = json.loads(CliRunner().invoke(main, [*args, "--json"]).stdout)
    shown = CliRunner().invoke(main, args).output.replace("\u00a0", " ")
    assert "Chance it shows the effect (power: the chance that its two-sided 5 % test finds a difference" in shown
    assert re.search(r"^ effect on +arm +arm$", shown, re.M), shown
    for segment, name in (("b2b", "business customers"), ("b2c", "consumers")):
        powers = " +".join(re.escape(percent(row[f"power_{segment}_bad"]).replace("\u00a0", " ")) for row in summary["sizes"])
        assert re.search(rf"^ share of bad contacts, {name} +{powers}$", shown, re.M), shown
    assert "power" not in shown.split("Chance it shows")[0].split("Measures:")[1], shown  # no unnamed power column
