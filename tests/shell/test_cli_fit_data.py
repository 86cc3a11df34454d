"""`cxroi fit customers` and `cxroi fit orders` at the command line (about 10 s in all).

The round trip fit -> --into -> engine: the scenario's expected retention and
purchases follow the fitted sBG survivor function and NBD mean. Bad data: one
line naming the file, the row or column and what is wrong, exit code 2, the
scenario untouched.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.special import betaln

import sim
from sim.model.inputs import all_inputs
from sim.model.sampling import base_values
from sim.compute.simulation import evaluate
from sim.shell.cli import main
from sim.fit.scenario_inputs import spearman_from_pearson

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "scenarios" / "sample_company.toml"
DATA = ROOT / "scenarios" / "data"
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie (2007), "regular" customers, years 0..7


def cli(*args):
    return CliRunner().invoke(main, ["fit", *map(str, args)])


@pytest.fixture
def scenario(tmp_path):
    target = tmp_path / "my_company.toml"
    shutil.copy(SAMPLE, target)
    return target


def test_round_trip_fit_into_scenario_then_the_engine_follows_the_fitted_curves(scenario):
    """Fit both tables into the sample scenario; a cohort of retail customers (no arrivals, no support contacts)
    then retains as the fitted sBG S(t) = B(alpha, beta + t) / B(alpha, beta) and buys the fitted NBD mean r / alpha."""
    first = cli("customers", DATA / "customers.csv", "--into", scenario, "--json")
    assert first.exit_code == 0, first.stderr
    second = cli("orders", DATA / "orders.csv", "--customers", DATA / "customers.csv", "--into", scenario, "--json")
    assert second.exit_code == 0, second.stderr
    churn = json.loads(first.stdout)["segments"]["retail"]
    buying = {row["parameter"]: row["estimate"] for row in json.loads(second.stdout)["segments"]["retail"]["estimates"]}

    text = scenario.read_text()
    assert text.startswith("# The sample company: a small subscription business")  # comments kept
    assert 'source = "hand-set: gross margin of the subscription boxes"' in text
    assert "monthly_churn" not in text.split("[segments.business]")[0].split("[segments.retail]")[1]

    overrides = ["segments.business.customers=0", "segments.business.arrivals=0", "segments.retail.arrivals=0",
                 "segments.retail.contacts=0"]
    loaded = sim.load(scenario, overrides).scenario
    inputs = all_inputs(loaded)
    assert inputs["segments.retail.churn_mix.alpha"].dist.base == pytest.approx(churn["alpha"], rel=1e-5)
    assert "cxroi fit customers on customers.csv" in inputs["segments.retail.churn_mix.alpha"].dist.source
    assert "Gamma-Gamma" in inputs["segments.retail.value_per_purchase"].dist.source
    flows = evaluate(loaded, base_values(inputs), seed=0, expected=True)["baseline"]
    t = np.arange(1, 37)
    survival = np.exp(betaln(churn["alpha"], churn["beta"] + t) - betaln(churn["alpha"], churn["beta"]))
    customers = inputs["segments.retail.customers"].dist.base
    assert np.max(np.abs(flows["active"][0] / customers - survival)) < 0.005
    per_active = flows["purchases"][0] / flows["active"][0]
    assert np.max(np.abs(per_active / (buying["r"] / buying["alpha"]) - 1)) < 1e-4  # base values rounded to 6 digits
    # The estimation uncertainty is sampled: alpha and beta vary together with the rank correlation written.
    draws = sim.run(loaded, draws=400, seed=1).draws
    alpha, beta = draws["segments.retail.churn_mix.alpha"], draws["segments.retail.churn_mix.beta"]
    written = spearman_from_pearson(churn["corr_alpha_beta"])
    assert alpha.std() > 0 and alpha.corr(beta, method="spearman") == pytest.approx(written, abs=0.03)


def test_published_survivor_table_gives_fader_and_hardies_fit_and_writes_a_rank_correlation(tmp_path):
    table = tmp_path / "regular.csv"
    pd.DataFrame({"year": range(8), "still_active": REGULAR}).to_csv(table, index=False)
    result = cli("customers", table, "--survivor-table", "--column", "period=year", "--column", "active=still_active",
                 "--period", "year", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    fit = summary["segments"]["all"]
    assert (round(fit["alpha"], 3), round(fit["beta"], 3)) == (0.704, 1.182)
    (correlation,) = summary["correlations"]
    assert correlation["rank"] == pytest.approx(spearman_from_pearson(fit["corr_alpha_beta"]), abs=1e-3)
    assert fit["holdout"]["mae_pp"] < 3.0


def test_homogeneous_churn_writes_monthly_churn_and_says_why(tmp_path, scenario):
    from sim.fit import synthetic

    rng = np.random.default_rng(3)
    frame = synthetic.customers(rng, 1500, history_start="2022-01-01", as_of="2025-12-31",
                                truth=synthetic.RetentionTruth(5e4, 1e6))
    frame["segment"] = "retail"
    path = tmp_path / "alike.csv"
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    result = cli("customers", path, "--into", scenario)
    assert result.exit_code == 0, result.stderr
    assert "churn looks the same for every customer" in result.stdout
    retail = sim.load(scenario).scenario.segments["retail"]
    assert retail.churn_mix is None and 0.04 < retail.monthly_churn.base < 0.06
    assert "geometric churn per month" in retail.monthly_churn.source


def test_out_folder_has_tables_figures_and_a_manifest(tmp_path):
    out = tmp_path / "report"
    result = cli("customers", DATA / "customers.csv", "--out", out)
    assert result.exit_code == 0, result.stderr
    names = {p.name for p in out.iterdir()}
    assert {"summary.json", "manifest.json", "estimates.csv", "survival.csv", "survival.png", "holdout.png", "inputs.toml"} <= names
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["inputs"][0]["sha256"]) == 64 and manifest["command"][0] == "cxroi"


# --- bad data: one line, exit 2, nothing written ------------------------------------------------------------------

GOOD = ["customer_id,start_date,end_date,segment"] + [
    f"{i},2023-0{1 + i % 9}-15,{'' if i % 3 else f'2024-0{1 + i % 9}-20'},retail" for i in range(1, 40)
]


def _customers(tmp_path, lines):
    path = tmp_path / "customers.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _replace(row: int, text: str) -> list[str]:
    """GOOD with file row ``row`` (header = row 1) replaced."""
    lines = list(GOOD)
    lines[row - 1] = text
    return lines


CUSTOMER_CASES = {
    "missing column": (["customer_id,start,end_date,segment", *GOOD[1:]], [],
                       "column 'start_date': missing; did you mean 'start'?"),
    "unreadable date": (_replace(3, "2,2023-13-15,,retail"), [],
                        "row 3, column 'start_date': cannot read '2023-13-15' as a date (expected ISO 8601, e.g. 2024-01-31)"),
    "end before start": (_replace(4, "3,2023-04-15,2023-02-01,retail"), [],
                         "row 4, column 'end_date': end date 2023-02-01 is before the start date 2023-04-15"),
    "after as-of": (GOOD, ["--as-of", "2024-03-01"],
                    "row 4, column 'end_date': end date 2024-04-20 is after the as-of date 2024-03-01; 8 more rows like this"),
    "duplicate id": (_replace(5, "2,2023-05-15,,retail"), [],
                     "row 5, column 'customer_id': customer id '2' appears again (first in row 3)"),
    "empty file": (GOOD[:1], [], "the table has no data rows"),
    "too few customers": ([*GOOD, "99,2023-01-15,,tiny", "98,2023-01-15,2023-05-01,tiny"], [],
                          ("segment 'tiny': only 2 customers; a retention fit needs at least 10; pool it with another segment "
                           "or give a longer history")),
    "no churn events": ([GOOD[0]] + [f"{i},2023-01-15,,retail" for i in range(1, 30)], [],
                        ("segment 'retail': no churn events among 29 customers; needs at least 2 churn events; pool it with "
                         "another segment or give a longer history")),
}


@pytest.mark.parametrize("case", CUSTOMER_CASES, ids=str)
def test_bad_customer_data_is_one_line_and_nothing_is_written(case, tmp_path, scenario):
    lines, options, message = CUSTOMER_CASES[case]
    path = _customers(tmp_path, lines)
    before = scenario.read_text()
    result = cli("customers", path, "--into", scenario, "--out", tmp_path / "out", *options)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"{path}: {message}"]
    assert scenario.read_text() == before and not (tmp_path / "out").exists()


ORDERS = ["customer_id,date,amount"] + [f"{1 + i % 30},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{10 + i % 7}.50" for i in range(300)]

ORDER_CASES = {
    "negative amount": (ORDERS[:5] + ["4,2024-03-03,-5"] + ORDERS[5:], [], "row 6, column 'amount': amount -5.0 is negative"),
    "non-numeric amount": (ORDERS[:3] + ["2,2024-03-03,12 EUR"] + ORDERS[3:], [],
                           "row 4, column 'amount': cannot read '12 EUR' as an amount"),
    "missing column": (["customer_id,Date,amount", *ORDERS[1:]], [], "column 'date': missing; did you mean 'Date'?"),
    "does not converge": (["customer_id,date"] + [f"{c},2024-01-01" for c in range(1, 41)]
                          + [f"{c},2024-{m:02d}-01" for c in range(1, 41) for m in range(2, 13)], ["--no-amounts"],
                          ("the BG/NBD purchase fit does not converge: r, alpha and a ran to the edge of the parameter space; "
                           "give a longer history")),
}


@pytest.mark.parametrize("case", ORDER_CASES, ids=str)
def test_bad_order_data_is_one_line_and_nothing_is_written(case, tmp_path, scenario):
    lines, options, message = ORDER_CASES[case]
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n")
    before = scenario.read_text()
    result = cli("orders", path, "--into", scenario, "--segment-map", "all=retail", *options)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"{path}: {message}"]
    assert scenario.read_text() == before


def test_a_scenario_in_another_period_is_refused(scenario):
    result = cli("customers", DATA / "customers.csv", "--into", scenario, "--period", "year")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{scenario}: settings.period is 'month' but --period is 'year'; fit with --period month (the fits cannot be "
        "converted exactly between months and years) or write into a scenario whose period is year")


def test_a_segment_the_scenario_lacks_is_refused(tmp_path, scenario):
    path = _customers(tmp_path, [line.replace("retail", "shop") for line in GOOD])
    result = cli("customers", path, "--into", scenario)
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"{scenario}: the scenario has no segment 'shop' (it has: retail, business); map data "
                                     "segment 'shop' to one with --segment-map shop=SEGMENT")


def test_non_contractual_orders_write_bgnbd_mixes_and_drop_the_churn_key(tmp_path, scenario):
    orders = pd.read_csv(DATA / "orders.csv").merge(pd.read_csv(DATA / "customers.csv")[["customer_id", "segment"]])
    path = tmp_path / "orders.parquet"
    orders.to_parquet(path)
    result = cli("orders", path, "--into", scenario, "--no-holdout")
    assert result.exit_code == 0, result.stderr
    assert "segments.retail.monthly_churn removed: in the BG/NBD customers leave by dropping out" in " ".join(
        result.stdout.split())  # the note is wrapped to the terminal's width
    retail = sim.load(scenario).scenario.segments["retail"]
    assert retail.monthly_churn is None and retail.churn_mix is None
    assert retail.dropout_mix.a.base > 0 and retail.purchase_mix.shape.base > 0


def test_a_survivor_table_that_rises_is_one_line(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text("period,active\n0,1000\n1,631\n2,700\n")
    result = cli("customers", path, "--survivor-table")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}: row 4, column 'active': 700 customers is more than the 631 of the period before; customers still active can only fall"]
