"""`cxroi pilot` end to end: table, figure and JSON; mistakes are one line, exit 2, nothing written (about 4 s)."""

import json

from click.testing import CliRunner

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
