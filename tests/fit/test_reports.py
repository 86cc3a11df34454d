"""The fit commands' reports as library calls (``sim.customers_report``, ``sim.pilot_report``): the same numbers
and summary (with the model review) as the command line, from data frames, without files (about 3 s)."""

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import sim
from sim.fit.pilot_report import change_path, churn_mix_note, double_counting, pilot_arms
from sim.fit.reports import DataFile
from sim.fit.review import fit_words, review_customers
from sim.fit.scenario_edit import InputUpdate
from sim.shell.cli import main

DATA = Path(__file__).resolve().parents[2] / "scenarios" / "data"


def test_customers_report_is_what_the_command_prints_as_json():
    frame = pd.read_csv(DATA / "customers.csv")
    report = sim.customers_report(frame, file=DataFile(str(DATA / "customers.csv")))
    cli = CliRunner().invoke(main, ["fit", "customers", str(DATA / "customers.csv"), "--json"])
    assert cli.exit_code == 0, cli.output
    review = review_customers(report, fit_words("customers", [str(DATA / "customers.csv")]))
    assert json.loads(cli.stdout) == json.loads(json.dumps({**report.summary, "review": review.as_dict()}))
    paths = [u.path for u in report.writes.updates]
    assert paths == [f"segments.{s}.churn_mix.{k}" for s in ("business", "retail") for k in ("alpha", "beta", "source")]
    assert report.writes.updates[2].spec.startswith("cxroi fit customers on customers.csv (customer list), as of 2025-12-31")


def test_a_scenario_key_the_fit_replaces_is_removed_and_said():
    frame = pd.read_csv(DATA / "customers.csv")
    scenario = {"settings": {}, "segments": {"retail": {"monthly_churn": 0.02}, "business": {"churn_mix": {}}}}
    writes = sim.customers_report(frame, scenario=scenario, into="s.toml").writes
    assert [u for u in writes.updates if u.spec is None] == [InputUpdate("segments.retail.monthly_churn", None)]
    assert writes.notes == ["segments.retail.monthly_churn removed: replaced by churn_mix (churn differs between customers)"]


def test_the_pilot_table_and_the_change_it_becomes():
    treated, control, where = pilot_arms(pd.read_csv(DATA / "pilot.csv"), "bad")
    assert (treated, control, where) == (sim.Arm(31, 477), sim.Arm(48, 457), ("rows 4 to 1199", "rows 2 to 1201"))
    report = sim.pilot_report("bad", treated, control, where=where, segment="retail", intervention="first_contact")
    (update,) = report.updates
    assert update.path == "interventions.first_contact.changes[+]" and update.spec["path"] == "segments.retail.experience.bad"
    assert report.summary["median"] == pytest.approx(report.result.median) and report.warning is None


def test_a_pilots_churn_scales_the_scenarios_churn_key_and_warns_of_double_counting():
    scenario = {"segments": {"retail": {"annual_churn": 0.2}},
                "interventions": {"x": {"changes": [{"path": "segments.retail.experience.bad", "scale": 0.8}]}}}
    assert change_path("churn", "retail", scenario) == "segments.retail.annual_churn"
    assert change_path("churn", "retail", None) == "segments.retail.monthly_churn"
    mixed = {"segments": {"retail": {"churn_mix": {"alpha": {"dist": "interval", "low": 0.6, "high": 1.0, "base": 0.8},
                                                   "beta": 40.0}}}}
    assert change_path("churn", "retail", mixed) == "segments.retail.churn_mix.beta"
    assert churn_mix_note(mixed, "segments.retail.churn_mix.beta", 1.0) is None  # 0.8 / 40.8 = 1.96 %: within 2 %
    assert "first period's change in churn is 2.9 % smaller" in churn_mix_note(mixed, "segments.retail.churn_mix.beta", 1.5)
    assert double_counting(scenario, "x", "bad", "retail") is None
    assert double_counting(scenario, "x", "churn", "retail").startswith(
        "Note: the pilot measured the whole effect on churn, which includes what x does through segments.retail.experience.bad;")
