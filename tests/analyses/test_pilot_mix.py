"""A pilot in segments whose customers differ: the counts it simulates against customers simulated one by one and
the engine, its test's size under no effect, its direction, and the fit -> fit pilot --into -> pilot loop (about 5 s
of CPU)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.analyses.pilot import log_ratio, measured_changes, pilot_counts, power_columns
from sim.model.validation import validate
from sim.shell.cli import main

ROOT = Path(__file__).resolve().parents[2]
SHAPE, RATE, A, B, ALPHA, BETA = 0.6, 0.3, 0.7, 6.0, 0.8, 12.0
CUSTOMERS, PERIODS, DRAWS = 30, 6, 50_000


def mixed(dropout: bool = False, changes=None, still: bool = False):
    """A one-segment scenario whose customers differ in churn and buying (and dropout); ``still``: nobody churns,
    contacts or arrives (customers leave only by dropping out)."""
    segment = {"customers": 200_000, "churn_mix": {"alpha": ALPHA, "beta": BETA},
               "purchase_mix": {"shape": SHAPE, "rate": RATE}, "value_per_purchase": 60, "margin": 0.4, "contacts": 0.1,
               "experience": {"good": 0.5, "bad": 0.12, "walk_away": 0.3, "negative_drop": 0.4, "negative_duration": 12}}
    if still:
        del segment["churn_mix"]
        segment.update({"contacts": 0.0} if dropout else {"contacts": 0.0, "monthly_churn": 0.0})
        changes = changes or [{"path": "segments.main.purchase_mix.rate", "scale": 1 / 1.2}]
    if dropout:
        segment["dropout_mix"] = {"a": A, "b": B}
    changes = changes or [{"path": "segments.main.purchase_mix.rate", "scale": 1 / 1.2},
                          {"path": "segments.main.churn_mix.beta", "scale": 1.3}]
    return validate({
        "settings": {"name": "mixed pilot", "currency": "EUR", "horizon": 12, "discount_rate": 0.0, "seed": 3},
        "segments": {"main": segment},
        "support": {"channels": {"phone": {"share": 1, "cost_per_contact": 6}}},
        "interventions": {"x": {"one_off_cost": 40_000, "recurring_cost": 60_000, "changes": changes}},
    })


def arm(**values) -> dict[str, np.ndarray]:
    paths = {"shape": "purchase_mix.shape", "rate": "purchase_mix.rate", "a": "dropout_mix.a", "b": "dropout_mix.b",
             "alpha": "churn_mix.alpha", "beta": "churn_mix.beta"}
    return {f"segments.main.{paths[key]}": np.full(DRAWS, float(value)) for key, value in values.items()}


def customer_by_customer(rng, dropout: bool) -> np.ndarray:
    """Each draw: CUSTOMERS customers, rate ~ Gamma(SHAPE, RATE) per period, Poisson purchases in every period they
    start active; with dropout p ~ Beta(A, B) and staying active with exp(-rate p) after each period (the engine's)."""
    rate = rng.gamma(SHAPE, 1 / RATE, (DRAWS, CUSTOMERS))
    stay = np.exp(-rate * rng.beta(A, B, rate.shape)) if dropout else np.ones(rate.shape)
    active, total = np.ones(rate.shape, dtype=bool), np.zeros(DRAWS)
    for _ in range(PERIODS):
        total += (rng.poisson(rate) * active).sum(axis=1)
        active &= rng.random(rate.shape) < stay
    return total


def assert_same_mean_and_variance(a: np.ndarray, b: np.ndarray) -> None:
    """Means and variances of two independent samples within 4 Monte Carlo standard errors."""
    def moments(x):
        centred = x - x.mean()
        variance = np.mean(centred**2)
        return x.mean(), variance, np.sqrt(variance / len(x)), np.sqrt((np.mean(centred**4) - variance**2) / len(x))

    (ma, va, sma, sva), (mb, vb, smb, svb) = moments(a), moments(b)
    assert abs(ma - mb) < 4 * np.hypot(sma, smb), (ma, mb)
    assert abs(va - vb) < 4 * np.hypot(sva, svb), (va, vb)


@pytest.mark.parametrize("dropout", [False, True])
def test_mixed_purchases_are_the_negative_binomial_of_customers_simulated_one_by_one(dropout):
    """An arm's purchases over 30 customers and 6 periods match 50,000 draws of customers simulated one by one
    (Gamma rates, Poisson purchases, dropout by the engine's law) in mean and variance: far above a Poisson's
    variance (about 0.5 s each)."""
    scenario = mixed(dropout)
    (purchases, _) = measured_changes(scenario, "x")
    values = arm(shape=SHAPE, rate=RATE, **({"a": A, "b": B} if dropout else {}))
    rng = np.random.default_rng(7)
    events, exposure, size = pilot_counts(scenario, purchases, values, CUSTOMERS, PERIODS, rng.random(DRAWS))
    direct = customer_by_customer(rng, dropout)
    assert_same_mean_and_variance(events, direct)
    assert direct.var() > 5 * direct.mean()  # overdispersed: a Poisson count would fail the variance
    assert np.all(exposure == CUSTOMERS * PERIODS) and np.all(np.isfinite(size))
    if not dropout:  # exactly NB(n shape, mean n m shape / rate)
        assert np.allclose(size, CUSTOMERS * SHAPE)


def test_mixed_churn_is_binomial_of_each_customer_s_chance():
    """Churned of 30 customers over 6 periods, churn ~ Beta(ALPHA, BETA) per customer: mean and variance of
    customers simulated one by one (Binomial(n, 1 - B(alpha, beta + m) / B(alpha, beta)), not beta-binomial)."""
    scenario = mixed()
    (_, churn) = measured_changes(scenario, "x")
    rng = np.random.default_rng(8)
    events, exposure, _ = pilot_counts(scenario, churn, arm(alpha=ALPHA, beta=BETA), CUSTOMERS, PERIODS, rng.random(DRAWS))
    q = rng.beta(ALPHA, BETA, (DRAWS, CUSTOMERS))
    direct = (rng.random((DRAWS, CUSTOMERS)) < -np.expm1(PERIODS * np.log1p(-q))).sum(axis=1)
    assert_same_mean_and_variance(events, direct)
    assert np.all(exposure == CUSTOMERS)


def test_the_test_holds_its_size_and_estimates_the_rate_ratio():
    """With no effect the two-sided 5 % test on mixed purchases rejects in 5 % of pilots (the Poisson's
    variance alone rejected in over a third); scaling the mix's rate by 1 / 1.2 is estimated as a rate ratio of
    1.2 (log 0.182), the sign fit pilot meant."""
    scenario = mixed()
    (purchases, _) = measured_changes(scenario, "x")
    rng = np.random.default_rng(9)
    control = pilot_counts(scenario, purchases, arm(shape=SHAPE, rate=RATE), 200, 3, rng.random(DRAWS))
    same = pilot_counts(scenario, purchases, arm(shape=SHAPE, rate=RATE), 200, 3, rng.random(DRAWS))
    estimate, error = log_ratio(same, control, proportion=False)
    rejected = np.mean(np.abs(estimate / error) > 1.959964)
    assert abs(rejected - 0.05) < 4 * np.sqrt(0.05 * 0.95 / DRAWS) + 0.005, rejected
    _, poisson_error = log_ratio(same[:2], control[:2], proportion=False)
    assert np.mean(np.abs(estimate / poisson_error) > 1.959964) > 0.35
    treated = pilot_counts(scenario, purchases, arm(shape=SHAPE, rate=RATE / 1.2), 200, 3, rng.random(DRAWS))
    estimate, error = log_ratio(treated, control, proportion=False)
    assert abs(estimate.mean() - np.log(1.2)) < 4 * estimate.std() / np.sqrt(DRAWS) + 0.005


def test_every_mix_parameter_is_a_measure_named_by_what_it_counts():
    scenario = mixed(True, [{"path": f"segments.main.{p}", "scale": 1.1} for p in (
        "purchase_mix.rate", "purchase_mix.shape", "dropout_mix.a", "dropout_mix.b", "churn_mix.alpha", "churn_mix.beta")])
    measures = measured_changes(scenario, "x")
    assert [m.parameter for m in measures] == ["purchases"] * 4 + ["churn"] * 2
    assert power_columns(measures)[0] == "power_main_purchases_0"
    alone = measured_changes(mixed(changes=[{"path": "segments.main.purchase_mix.rate", "scale": 0.8}]), "x")
    assert power_columns(alone) == ["power_main_purchases"]


def test_fit_then_fit_pilot_into_then_pilot_counts_the_purchases(tmp_path):
    """The loop on the sample company: fit customers and orders into a copy of its scenario, fit pilot --measure
    purchases --into (written as the scale 1 / x of purchase_mix.rate), then pilot counts it (about 2.5 s)."""
    data, scenario = ROOT / "scenarios" / "data", tmp_path / "company.toml"
    shutil.copy(ROOT / "scenarios" / "sample_company.toml", scenario)
    runner = CliRunner()
    for command in (["fit", "customers", str(data / "customers.csv")],
                    ["fit", "orders", str(data / "orders.csv"), "--customers", str(data / "customers.csv")],
                    ["fit", "pilot", "--measure", "purchases", "--treated", "1300/600", "--control", "1000/600",
                     "--segment", "retail", "--intervention", "first_contact"]):
        result = runner.invoke(main, command + ["--into", str(scenario)])
        assert result.exit_code == 0, result.output
    assert "segments.retail.purchase_mix.rate" in scenario.read_text()
    arguments = ["pilot", str(scenario), "--intervention", "first_contact", "--draws", "300", "--seed", "4",
                 "--workers", "1", "--no-save", "--sizes", "20,160"]
    result = runner.invoke(main, arguments + ["--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    (measure,) = [m for m in summary["measures"] if m["parameter"] == "segments.retail.purchase_mix.rate"]
    assert (measure["counts"], measure["name"], measure["power_column"]) == (
        "purchases", "purchases per customer", "power_retail_purchases")
    assert "segments.retail.purchase_mix.shape" in summary["learned_inputs"]
    power = [row["power_retail_purchases"] for row in summary["sizes"]]
    # A 30 % rise (log 0.26) at 160 per arm: retail buys Gamma(2.1, 2.7) per month, so an arm's 6 months have mean
    # 750 purchases and NB size 340; the log ratio's sd sqrt(2 (1/750 + 1/340)) = 0.093 gives power
    # Phi(0.26 / 0.093 - 1.96) = 0.80 (a Poisson's sd, 0.052, would give 0.999).
    assert power[0] < 0.5 and 0.7 < power[-1] < 0.9, power
    terminal = runner.invoke(main, arguments)
    assert terminal.exit_code == 0, terminal.output
    assert "purchases, retail subscribers" in terminal.output  # the measures line
    assert "purchases per customer, retail" in " ".join(terminal.output.split())  # the power table's row


def test_one_customer_s_mean_purchases_are_the_engine_s():
    """purchase_moments' mean against the engine's expected purchases per starting customer over 6 months (base
    case, no churn, arrivals or walk-aways): exact without dropout, within 0.2 % with it (the engine's dropout
    classes: 7.113 against 7.106 at shape 0.6, rate 0.3, a 0.7, b 6)."""
    import sim
    from sim.analyses.pilot_mix import purchase_moments

    for dropout, tolerance in ((False, 1e-9), (True, 0.002)):
        scenario = mixed(dropout, still=True)
        customers = scenario.segments["main"].customers.base
        for arm, rate in (("baseline", RATE), ("x", RATE / 1.2)):
            extra = [np.array([A]), np.array([B])] if dropout else []
            mean, _ = purchase_moments(np.array([SHAPE]), np.array([rate]), 6, *extra)
            flows = sim.run(scenario, base_case=True, workers=1).flows[arm]
            per_customer = np.asarray(flows["purchases"])[0, :6].sum() / customers
            assert abs(per_customer / mean[0] - 1) < tolerance, (dropout, arm, per_customer, mean)
