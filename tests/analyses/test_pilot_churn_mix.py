"""A churn pilot in a segment whose customers differ (churn_mix): the change fit pilot writes (the scale 1 / x of
churn_mix.beta) against customers whose churn is each scaled by x, the sample company's loop fit -> fit pilot
--into -> validate -> run -> pilot, and the direction pilot counts it in (about 4 s)."""

import json
import shutil
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from scipy import integrate, special

import sim
from sim.analyses.pilot import measured_changes, pilot_counts
from sim.analyses.pilot_mix import mixed_churn
from sim.fit.pilot_report import churn_mix_shortfall
from sim.model.validation import validate
from sim.shell.cli import main
from sim.shell.loader import load

ROOT = Path(__file__).resolve().parents[2]
ALPHA, BETA = 0.783895, 13.1439
"""The sample company's retail churn_mix (cxroi fit customers scenarios/data/customers.csv): mean 5.6 % a month."""
HORIZON = 36


def one_segment(scale: float):
    """Customers who only churn (no contacts, arrivals or walk-aways), churn ~ Beta(ALPHA, BETA), and an
    intervention scaling churn_mix.beta by ``scale``."""
    segment = {"customers": 100_000, "churn_mix": {"alpha": ALPHA, "beta": BETA}, "purchases": 1.0,
               "value_per_purchase": 60, "margin": 0.4, "contacts": 0.0,
               "experience": {"good": 0.5, "bad": 0.12, "walk_away": 0.3, "negative_drop": 0.4, "negative_duration": 12}}
    return validate({
        "settings": {"name": "churn mix", "currency": "EUR", "horizon": HORIZON, "discount_rate": 0.0, "seed": 3},
        "segments": {"main": segment}, "support": {"channels": {"phone": {"share": 1, "cost_per_contact": 6}}},
        "interventions": {"x": {"one_off_cost": 1, "recurring_cost": 1,
                                "changes": [{"path": "segments.main.churn_mix.beta", "scale": scale}]}}})


def each_customer_scaled(x: float, periods: np.ndarray) -> np.ndarray:
    """Survival E[(1 - x q)^t], q ~ Beta(ALPHA, BETA): every customer's own churn scaled by x (quadrature)."""
    def density(q, t):
        return (1 - x * q) ** t * np.exp((ALPHA - 1) * np.log(q) + (BETA - 1) * np.log1p(-q) - special.betaln(ALPHA, BETA))
    return np.array([integrate.quad(density, 0, min(1, 1 / x), args=(t,), limit=200, points=[1e-4, 0.05])[0]
                     for t in periods])


def test_the_written_change_scales_every_customer_s_churn_within_the_stated_error():
    """fit pilot's change (scale 1 / x of beta) in the engine's base case: the first month's churned are
    x (alpha + beta) / (x alpha + beta) of the baseline's, short of x by x alpha / (x alpha + beta) of the effect
    (2.9 % at x = 0.5, 8.2 % at 1.5), and over 36 months the customer-months it adds or removes are 97.8 % of
    those of customers each churning x times as often (2.1-2.2 % short; about 1 s)."""
    scenario = {"segments": {"main": {"churn_mix": {"alpha": ALPHA, "beta": BETA}}}}
    for x, treated, horizon_short in ((0.5, sim.Arm(30, 1000), 0.0214), (1.5, sim.Arm(90, 1000), 0.0220)):
        report = sim.pilot_report("churn", treated, sim.Arm(60, 1000), segment="main", intervention="x",
                                  scenario=scenario, into="s.toml")
        (update,) = report.updates
        assert update.spec["path"] == "segments.main.churn_mix.beta"
        scale = update.spec["scale"]["base"]
        assert abs(scale * report.result.median - 1) < 1e-5
        x = 1 / scale  # the ratio as written
        short = churn_mix_shortfall(x, ALPHA, BETA)
        assert report.note is not None and f"{100 * short:.1f} % smaller" in report.note
        flows = sim.run(one_segment(scale), base_case=True, workers=1).flows
        churned = {arm: np.asarray(flows[arm]["churned"])[0] for arm in ("baseline", "x")}
        active = {arm: np.asarray(flows[arm]["active"])[0] for arm in ("baseline", "x")}
        first = churned["x"][0] / churned["baseline"][0]
        assert abs(first - x * (ALPHA + BETA) / (x * ALPHA + BETA)) < 1e-9
        assert abs((first - 1) / (x - 1) - (1 - short)) < 1e-9
        periods = np.arange(1, HORIZON + 1)
        baseline = np.exp(special.betaln(ALPHA, BETA + periods) - special.betaln(ALPHA, BETA))
        assert np.allclose(active["baseline"] / 100_000, baseline, rtol=1e-9)  # the engine's sBG survival
        target = 100_000 * (each_customer_scaled(x, periods) - baseline).sum()
        achieved = (active["x"] - active["baseline"]).sum()
        assert abs(1 - achieved / target - horizon_short) < 0.002, (x, achieved / target)
        assert 0 < 1 - achieved / target < short  # less short than the first month


def test_fit_customers_then_a_churn_pilot_into_then_run_and_pilot(tmp_path):
    """The sample company: fit customers --into (retail's churn becomes a churn_mix), fit pilot scenarios/data/pilot.csv
    --measure churn --into writes the scale 1 / 1.22 of retail's churn_mix.beta with the note, the scenario loads
    and runs, and pilot counts retail's churned customers (about 2.5 s)."""
    data, scenario = ROOT / "scenarios" / "data", tmp_path / "company.toml"
    shutil.copy(ROOT / "scenarios" / "sample_company.toml", scenario)
    runner = CliRunner()
    fitted = runner.invoke(main, ["fit", "customers", str(data / "customers.csv"), "--into", str(scenario)])
    assert fitted.exit_code == 0, fitted.output
    result = runner.invoke(main, ["fit", "pilot", str(data / "pilot.csv"), "--measure", "churn", "--segment", "retail",
                                  "--intervention", "first_contact", "--into", str(scenario)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert ("Written into " + str(scenario) + ": interventions.first_contact.changes (scale of "
            "segments.retail.churn_mix.beta: 1 / the risk ratio) and its review") in text
    assert ("Note: scaling segments.retail.churn_mix.beta by 1 / 1.22 scales each customer's churn by about 1.22: at "
            "alpha 0.784, beta 13.1 (mean churn 0.0563 a period) the first period's change in churn is 6.8 % smaller "
            "than the ratio's") in text
    loaded = load(scenario)
    (change,) = [c for c in loaded.scenario.interventions["first_contact"].changes if "churn" in c.path]
    assert change.path == "segments.retail.churn_mix.beta" and abs(change.scale.base - 1 / 1.223) < 0.001
    base = sim.run(loaded, base_case=True, workers=1).flows
    assert np.asarray(base["first_contact"]["churned"]).sum() > np.asarray(base["baseline"]["churned"]).sum()
    arguments = ["pilot", str(scenario), "--intervention", "first_contact", "--draws", "300", "--seed", "4",
                 "--workers", "1", "--no-save", "--sizes", "20,160", "--json"]
    pilot = runner.invoke(main, arguments)
    assert pilot.exit_code == 0, pilot.output
    summary = json.loads(pilot.stdout)
    (measure,) = [m for m in summary["measures"] if m["parameter"] == "segments.retail.churn_mix.beta"]
    assert (measure["counts"], measure["power_column"]) == ("customers who churned", "power_retail_churn")
    assert "segments.retail.churn_mix.alpha" in summary["learned_inputs"]


def test_pilot_counts_a_written_ratio_below_one_as_fewer_churned_in_the_treated_arm():
    """A risk ratio x = 0.7 written as beta / 0.7: pilot's treated arm of 2,000 customers over 6 periods churns
    B(alpha, beta / 0.7 + 6) law, fewer than the control's, and the simulated log risk ratio averages the law's
    (0.764 against 0.7: a ratio over 6 months of customers who differ lies nearer 1; about 0.1 s)."""
    scenario = one_segment(1 / 0.7)
    (churn,) = measured_changes(scenario, "x")
    draws = 20_000
    rng = np.random.default_rng(5)
    values = {"segments.main.churn_mix.alpha": np.full(draws, ALPHA), "segments.main.churn_mix.beta": np.full(draws, BETA)}
    control = pilot_counts(scenario, churn, values, 2000, 6, rng.random(draws))
    treated = pilot_counts(scenario, churn, {**values, "segments.main.churn_mix.beta": values["segments.main.churn_mix.beta"] / 0.7},
                           2000, 6, rng.random(draws))
    assert treated[0].mean() < control[0].mean()
    law = mixed_churn(np.array(ALPHA), np.array(BETA / 0.7), 6) / mixed_churn(np.array(ALPHA), np.array(BETA), 6)
    ratio = treated[0].mean() / control[0].mean()
    assert abs(ratio - law) < 0.01 and abs(law - 0.764) < 0.001, (ratio, law)
