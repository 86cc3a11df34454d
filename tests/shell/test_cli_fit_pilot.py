"""`cxroi fit pilot` at the command line: writing the change, bad tables and options (about 2 s)."""

import math
import shutil
from pathlib import Path

from click.testing import CliRunner

from sim.shell.cli import main
from sim.shell.loader import load

NORDIC = Path(__file__).resolve().parents[2] / "scenarios" / "nordic_midsize.toml"


def test_a_pilot_table_becomes_the_interventions_change(tmp_path):
    table = tmp_path / "pilot.csv"
    table.write_text("arm,contacts,bad\ntreated,2000,120\ncontrol,2000,200\n")
    scenario = tmp_path / "nordic.toml"
    shutil.copy(NORDIC, scenario)
    result = CliRunner().invoke(main, ["fit", "pilot", str(table), "--measure", "bad", "--segment", "b2c",
                                       "--intervention", "ai_self_service", "--into", str(scenario)])
    assert result.exit_code == 0, result.output
    changes = load(scenario).scenario.interventions["ai_self_service"].changes
    bad = [c for c in changes if c.path == "segments.b2c.experience.bad"]
    assert len(changes) == 3 and len(bad) == 1
    assert bad[0].scale.spec()["dist"] == "lognormal" and abs(bad[0].scale.base - 0.6) < 0.01
    assert "risk ratio of bad experiences per contact 0.6 (95 % 0.482 to 0.745)" in bad[0].scale.source


def test_more_churned_than_customers_is_one_line_and_writes_nothing(tmp_path):
    table = tmp_path / "pilot.csv"
    table.write_text("arm,customers,churned\ntreated,500,600\ncontrol,500,60\n")
    scenario = tmp_path / "nordic.toml"
    shutil.copy(NORDIC, scenario)
    before = scenario.read_bytes()
    result = CliRunner().invoke(main, ["fit", "pilot", str(table), "--measure", "churn", "--segment", "b2b",
                                       "--intervention", "faster_response", "--into", str(scenario)])
    assert result.exit_code == 2
    assert result.output == f"{table}: row 2, column 'churned': 600 churned of 500 customers: churned must be at most customers\n"
    assert scenario.read_bytes() == before


SAMPLE = NORDIC.parent / "sample_company.toml"
RETAIL_PURCHASES = '\npurchases = { dist = "interval", low = 0.5, high = 1.0, source = "placeholder until cxroi fit orders" }'
RETAIL_CHURN = '\nmonthly_churn = { dist = "interval", low = 0.03, high = 0.10, source = "placeholder until cxroi fit customers" }'


def _sample_with(tmp_path, old: str, new: str) -> Path:
    """The sample company with one of retail's keys replaced, as a fit writes it (a mix instead of one rate)."""
    text = SAMPLE.read_text()
    assert text.index("[segments.retail]") < text.index(old) < text.index("[segments.retail.experience]")
    scenario = tmp_path / "my_company.toml"
    scenario.write_text(text.replace(old, new, 1))
    return scenario


def test_a_purchase_pilot_into_a_purchase_mix_scales_its_rate_by_one_over_the_ratio(tmp_path):
    """After `fit orders` retail buys by a purchase_mix, which has no `purchases` to scale: the rate ratio x is
    written as the scale 1 / x of purchase_mix.rate (rates ~ Gamma(shape, rate), mean shape / rate), and the scenario
    still loads."""
    import sim

    scenario = _sample_with(tmp_path, RETAIL_PURCHASES, "\npurchase_mix = { shape = 2.0, rate = 2.5 }")
    arms = ["--treated", "1200/1000", "--control", "1000/1000"]
    result = CliRunner().invoke(main, ["fit", "pilot", "--measure", "purchases", *arms, "--segment", "retail",
                                       "--intervention", "first_contact", "--into", str(scenario)])
    assert result.exit_code == 0, result.output
    assert "(scale of segments.retail.purchase_mix.rate: 1 / the rate ratio)" in result.output
    (change,) = [c for c in load(scenario).scenario.interventions["first_contact"].changes if "purchase" in c.path]
    assert change.path == "segments.retail.purchase_mix.rate"
    effect = sim.pilot_report("purchases", sim.Arm(1200, 1000), sim.Arm(1000, 1000)).result
    spec = change.scale.spec()
    assert abs(effect.median - 1.2) < 0.01 and abs(change.scale.base * effect.median - 1) < 1e-5
    # lognormal(-mu, s) of 1 / x: mean exp(-mu + s^2 / 2)
    assert abs(spec["mean"] / math.exp(-effect.log_mean + effect.log_sd**2 / 2) - 1) < 1e-5


def test_a_churn_pilot_into_a_churn_mix_scales_its_beta_by_one_over_the_ratio_and_says_how_close(tmp_path):
    """After `fit customers` retail's churn is a churn_mix (churn ~ Beta(alpha, beta)), which has no churn key to
    scale: the risk ratio x is written as the scale 1 / x of churn_mix.beta (about x on every customer's churn), and
    the terminal says the first period's change falls x alpha / (x alpha + beta) short (here 3.2 %, over 2 %)."""
    scenario = _sample_with(tmp_path, RETAIL_CHURN, "\nchurn_mix = { alpha = 1.0, beta = 20.0 }")
    result = CliRunner().invoke(main, ["fit", "pilot", "--measure", "churn", "--treated", "40/500", "--control", "60/500",
                                       "--segment", "retail", "--intervention", "first_contact", "--into", str(scenario)])
    assert result.exit_code == 0, result.output
    (change,) = [c for c in load(scenario).scenario.interventions["first_contact"].changes if "churn" in c.path]
    assert change.path == "segments.retail.churn_mix.beta" and abs(change.scale.base - 1 / 0.667) < 0.005
    assert " ".join(result.stdout.split()).endswith(
        "(scale of segments.retail.churn_mix.beta: 1 / the risk ratio) and its review Note: scaling "
        "segments.retail.churn_mix.beta by 1 / 0.667 scales each customer's churn by about 0.667: at alpha 1, beta 20 "
        "(mean churn 0.0476 a period) the first period's change in churn is 3.2 % smaller than the ratio's "
        "(x alpha / (x alpha + beta); less later, as the survivors' churn falls); and a risk ratio over several "
        "periods is nearer 1 than the per-period ratio when customers differ (docs/fitting.md#fit-pilot) Note: the "
        "pilot measured the whole effect on churn, which includes what first_contact does through "
        "segments.retail.experience.bad; keep those changes only if the pilot's effect is on top of them, or it is "
        "counted twice.")


def test_a_churn_pilot_into_a_segment_that_only_drops_out_is_one_line_and_writes_nothing(tmp_path):
    """After `fit orders` without --customers (BG/NBD) retail has no churn key: a churn pilot's change would name
    a parameter the scenario does not have, and nobody sees a dropout; refused before anything is written."""
    scenario = _sample_with(tmp_path, RETAIL_CHURN, "")
    scenario.write_text(scenario.read_text().replace(
        RETAIL_PURCHASES, "\npurchase_mix = { shape = 2.0, rate = 2.5 }\ndropout_mix = { a = 0.7, b = 9.0 }", 1))
    assert load(scenario).scenario.segments["retail"].churn_key is None  # a scenario that loads
    before = scenario.read_bytes()
    result = CliRunner().invoke(main, ["fit", "pilot", "--measure", "churn", "--treated", "40/500", "--control", "60/500",
                                       "--segment", "retail", "--intervention", "first_contact", "--into", str(scenario)])
    assert result.exit_code == 2 and scenario.read_bytes() == before
    assert result.output == ("--measure churn: segments.retail has no churn to scale: its customers leave by dropping out "
                             "(dropout_mix, BG/NBD), which no pilot observes (a dropout shows only as purchases that "
                             "stop); measure purchases instead (--measure purchases)\n")


def test_options_instead_of_a_table_and_their_mistakes():
    runner = CliRunner()
    ok = runner.invoke(main, ["fit", "pilot", "--measure", "churn", "--treated", "40/500", "--control", "60/500", "--json"])
    assert ok.exit_code == 0 and '"interval_95"' in ok.output
    bad = runner.invoke(main, ["fit", "pilot", "--measure", "churn", "--treated", "40 of 500", "--control", "60/500"])
    assert bad.exit_code == 2
    assert bad.output == "--treated '40 of 500' is not EVENTS/EXPOSURE, e.g. 40/500 (40 churned of 500 customers)\n"
    missing = runner.invoke(main, ["fit", "pilot", "--measure", "purchases", "--treated", "40/500", "--control", "60/0"])
    assert missing.output == "--control: 0 is not allowed: an arm needs some customer-periods\n"


def test_a_table_of_customers_is_summed_and_its_review_goes_into_the_scenario_and_the_folder(tmp_path):
    """A row per customer with an enrolment day: the arms are the rows' sums, the review (holdout by enrolment
    halves, predictive check of the rows) is printed, written as [review."interventions.NAME.changes[i]"] beside the
    change (validated by loading the scenario) and as review.json in --out."""
    import json

    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 1600
    arm = rng.choice(["treated", "control"], n)
    contacts = rng.poisson(1.5, n)
    frame = pd.DataFrame({"arm": arm, "enrolled": (pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 56, n),
                                                                                                   unit="D")).strftime("%Y-%m-%d"),
                          "contacts": contacts, "bad": rng.binomial(contacts, np.where(arm == "treated", 0.06, 0.10))})
    table = tmp_path / "pilot.csv"
    frame.to_csv(table, index=False)
    scenario = tmp_path / "nordic.toml"
    shutil.copy(NORDIC, scenario)
    out = tmp_path / "pilot-fit"
    result = CliRunner().invoke(main, ["fit", "pilot", str(table), "--measure", "bad", "--segment", "b2c",
                                       "--intervention", "ai_self_service", "--into", str(scenario), "--out", str(out)])
    assert result.exit_code == 0, result.output
    loaded = load(scenario).scenario
    index = [c.path for c in loaded.interventions["ai_self_service"].changes].index("segments.b2c.experience.bad")
    key = f"interventions.ai_self_service.changes[{index}]"
    entry = loaded.review[key]
    assert entry.fit.startswith("cxroi fit pilot on pilot.csv, fitted ")
    assert entry.holdout.startswith("ok: bad in the treated arm's ") and "enrolled from 2026-" in entry.holdout
    assert entry.predictive.startswith("ok: bad per row of each arm (in enrolment order")
    assert f"  {key}: ok (holdout, predictive, estimate)" in result.output
    folder = json.loads((out / "review.json").read_text())
    assert folder["inputs"][key]["holdout"]["reason"] == entry.holdout.removeprefix("ok: ")
    arms = pd.read_csv(out / "arms.csv")
    assert list(arms.columns) == ["arm", "bad", "contacts", "enrolled", "file_row"] and len(arms) == n
    assert {p.name for p in out.iterdir()} == {"summary.json", "review.json", "manifest.json", "inputs.toml", "arms.csv"}
