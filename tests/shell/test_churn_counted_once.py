"""Churn counted once: fit customers + fit support --into reproduce the company's retention (about 10 s).

A company is simulated customer by customer (sim.fit.synthetic_support) with churn that differs between customers,
Beta(0.8, 30), and known experience effects (churn x2 while negative, x0.7 while positive, walk-away 0.25). The
commands run as a user would: ``cxroi fit customers --into`` (the customer list's churn mix), then
``cxroi fit support --orders --into`` (the effects, and the neutral customers' churn mix fitted jointly with them).
The scenario's cohort in the engine's expected path must follow the data's Kaplan-Meier survival within its 95 %
band (Greenwood) at every month. The scenario as it was before the joint fit -- the customer list's churn mix with
the effects on top -- falls below the band: support's churn counted twice. Coverage of the written intervals (200
arrivals a month, 36 months; benchmarks/design_coverage.py, scenario mix36): alpha and beta both inside in 39 of 40
companies (seeds 100-139) and 21 of 24 (seeds 1-24), 60 of 64 (94 %; 57 of 64 before the case-crossover took the
states' carry-over into account, when the churn reduction the mix is held at ran high, 0.75-0.77 against 0.7). The
fixed seed below is the first of the 40, not a chosen one.
"""

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomlkit
from click.testing import CliRunner

import sim
from sim.fit.synthetic_support import SupportTruth, as_of, company
from sim.shell.cli import main

TRUTH = SupportTruth(churn_mix=(0.8, 30.0), arrivals=200, negative_churn_increase=1.0, positive_churn_reduction=0.3,
                     walk_away=0.25)
MONTHS = 36
COHORT = 100_000
SCENARIO = f"""[settings]
name = "round trip"
currency = "EUR"
period = "month"
horizon = {MONTHS}
discount_rate = 0.0
draws = 10
seed = 1

[segments.retail]
customers = {COHORT}
arrivals = 0
monthly_churn = 0.03
purchases = 1.0
value_per_purchase = 50.0
margin = 0.4

[interventions.nothing]
one_off_cost = 1.0
changes = []
"""


def kaplan_meier(customers: pd.DataFrame, last_month: pd.Period) -> tuple[np.ndarray, np.ndarray]:
    """Survival after each month of tenure (month 0 = the month a customer starts) and its Greenwood standard error."""
    start = customers["start_date"].dt.to_period("M")
    ended = customers["end_date"].notna().to_numpy()
    final = customers["end_date"].fillna(last_month.to_timestamp()).dt.to_period("M")
    months = np.array([(f - s).n for f, s in zip(final, start)]) + 1
    survival, greenwood, out = 1.0, 0.0, []
    for t in range(MONTHS):
        at_risk, leaving = (months > t).sum(), (ended & (months == t + 1)).sum()
        survival *= 1 - leaving / at_risk
        greenwood += leaving / (at_risk * (at_risk - leaving))
        out.append((survival, survival * np.sqrt(greenwood)))
    return np.array(out).T


def cohort_survival(path: Path) -> np.ndarray:
    """Share of the scenario's starting customers still there after each month: ``cxroi run --base-case`` (every input
    at its base value, expected counts); walk-aways leave at the end of the month they are counted in."""
    flows = sim.run(sim.load(path), base_case=True).flows["baseline"]
    return (flows["active"][0] - flows["walked"][0]) / COHORT


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("round_trip")
    customers, tickets, orders = company(np.random.default_rng(100), {"retail": TRUTH}, months=MONTHS)
    customers.to_csv(folder / "customers.csv", index=False)
    tickets.to_csv(folder / "tickets.csv", index=False)
    orders[["customer_id", "date"]].to_csv(folder / "orders.csv", index=False)
    scenario = folder / "company.toml"
    scenario.write_text(SCENARIO)
    runner = CliRunner()
    result = runner.invoke(main, ["fit", "customers", str(folder / "customers.csv"), "--into", str(scenario)])
    assert result.exit_code == 0, result.output
    from_list = tomlkit.parse(scenario.read_text())["segments"]["retail"]["churn_mix"]
    result = runner.invoke(main, ["fit", "support", str(folder / "tickets.csv"), "--customers", str(folder / "customers.csv"),
                                  "--orders", str(folder / "orders.csv"), "--into", str(scenario)])
    assert result.exit_code == 0, result.output
    # The scenario as fit support left it before the joint fit: the customer list's mix, the effects on top.
    before = tomlkit.parse(scenario.read_text())
    before["segments"]["retail"]["churn_mix"] = from_list
    before.pop("correlations", None)
    (folder / "before.toml").write_text(tomlkit.dumps(before))
    return folder, scenario, customers, result.output


def test_the_fitted_scenario_follows_the_kaplan_meier_survival_within_its_band(fitted):
    folder, scenario, customers, _ = fitted
    km, se = kaplan_meier(customers, as_of(MONTHS).to_period("M"))
    after = cohort_survival(scenario)
    assert np.all(np.abs(after - km) < 1.96 * se), np.round((after - km) / se, 2)
    before = cohort_survival(folder / "before.toml")
    assert np.all(before < after)  # the effects were on top of a churn that already held them
    assert np.any(before < km - 1.96 * se)


def test_the_written_mix_covers_the_truth_and_replaces_the_lists_in_one_line(fitted):
    _, scenario, _, output = fitted
    written = tomllib.loads(scenario.read_text())
    retail = written["segments"]["retail"]
    review = written["review"]["segments.retail.churn_mix"]  # the list's review replaced by the joint fit's
    assert review["fit"].startswith("cxroi fit support on tickets.csv") and review["estimate"].startswith("ok: alpha")
    mix = retail["churn_mix"]
    assert mix["alpha"]["low"] < 0.8 < mix["alpha"]["high"] and mix["beta"]["low"] < 30.0 < mix["beta"]["high"]
    assert "Beta-mixed" in mix["source"] and "monthly_churn" not in retail
    flat = " ".join(output.split())
    assert flat.count("segments.retail.churn_mix: the customer list's churn (cxroi fit customers, churn_mix)") == 1
    assert "support's churn is counted once" in flat and "twice" not in flat
