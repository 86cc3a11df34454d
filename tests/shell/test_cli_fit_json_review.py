"""Every `cxroi fit ... --json` carries the model review, the same dict `--out` writes as review.json (issue 19).
About 7 s (the sample company's customers, orders and support fitted once each without holdouts, and a pilot)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.shell.cli import main

DATA = Path(__file__).resolve().parents[2] / "scenarios" / "data"
COMMANDS = {
    "customers": (["customers", DATA / "customers.csv", "--no-holdout"], "segments.retail.churn_mix"),
    "orders": (["orders", DATA / "orders.csv", "--customers", DATA / "customers.csv", "--no-holdout"],
               "segments.retail.purchase_mix"),
    "support": (["support", DATA / "tickets.csv", "--customers", DATA / "customers.csv", "--no-holdout"],
                "segments.retail.experience.walk_away"),
    "pilot": (["pilot", DATA / "pilot.csv", "--measure", "bad", "--segment", "retail", "--intervention", "first_contact"],
              "interventions.first_contact.changes[+]"),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_json_has_the_review_that_review_json_holds(command, tmp_path):
    args, path = COMMANDS[command]
    out = tmp_path / "fit"
    result = CliRunner().invoke(main, ["fit", *map(str, args), "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    review = json.loads(result.stdout)["review"]
    assert review == json.loads((out / "review.json").read_text())
    assert review["fit"].startswith(f"cxroi fit {command} on ")
    assert review["checks"] == ["holdout", "predictive", "estimate", "designs"]
    entry = review["inputs"][path]
    assert entry["verdict"] in ("ok", "warn", "fail") and entry["estimate"]["status"] != "n/a"
    if command != "pilot":
        assert entry["holdout"]["status"] == "n/a" and "--no-holdout" in entry["holdout"]["reason"]
