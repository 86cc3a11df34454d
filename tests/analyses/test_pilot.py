"""Expected value of sample information of a pilot: closed form, ordering, convergence; power per measure (about 3 s)."""

import numpy as np
import pytest
from scipy import stats

from sim.analyses.pilot import pilot, value_of_learning
from sim.errors import UsageError
from sim.model.validation import validate

SCENARIO = {
    "settings": {"name": "pilot test", "currency": "EUR", "horizon": 12, "discount_rate": 0.0, "seed": 3},
    "segments": {"main": {
        "customers": 2_000_000, "monthly_churn": 0.02, "purchases": 0.5, "value_per_purchase": 60, "margin": 0.4,
        "contacts": 0.1,
        "experience": {"good": 0.5, "bad": 0.12, "walk_away": 0.3, "negative_drop": 0.4, "negative_duration": 12},
    }},
    "support": {"channels": {"phone": {"share": 1, "cost_per_contact": 6}}},
    "interventions": {"better_support": {
        "one_off_cost": 40_000, "recurring_cost": 60_000,
        "changes": [{"path": "segments.main.experience.bad", "scale": {"dist": "uniform", "low": 0.3, "high": 1.1}}],
    }},
}


def normal_normal_evsi(mu, prior_sd, noise_sd, n):
    """Closed form: net benefit theta ~ N(mu, prior_sd^2) against 0, data mean ~ N(theta, noise_sd^2 / n).

    The posterior mean is normal with sd s = prior_sd^2 / sqrt(prior_sd^2 + noise_sd^2 / n), so
    EVSI = E[max(0, m)] - max(0, mu) = s phi(mu / s) - |mu| Phi(-|mu| / s).
    """
    s = prior_sd**2 / np.sqrt(prior_sd**2 + noise_sd**2 / n)
    return s * stats.norm.pdf(mu / s) - abs(mu) * stats.norm.cdf(-abs(mu) / s)


@pytest.mark.parametrize("n", [1, 10, 100])
def test_normal_normal_evsi_matches_the_closed_form(n):
    rng = np.random.default_rng(21)
    mu, prior_sd, noise_sd, draws = 50.0, 200.0, 1000.0, 100_000
    theta = rng.normal(mu, prior_sd, draws)
    data_mean = theta + rng.normal(0, noise_sd / np.sqrt(n), draws)
    nb = np.column_stack([np.zeros(draws), theta])
    exact = normal_normal_evsi(mu, prior_sd, noise_sd, n)
    # The estimate is the mean over draws of max(0, m) - m, m the posterior mean (investing is best now):
    # its Monte Carlo standard error is sd(max(0, -m)) / sqrt(draws).
    posterior_mean = mu + prior_sd**2 / (prior_sd**2 + noise_sd**2 / n) * (data_mean - mu)
    standard_error = np.maximum(0, -posterior_mean).std() / np.sqrt(draws)
    assert abs(value_of_learning(data_mean, nb) - exact) < 3 * standard_error


@pytest.fixture(scope="module")
def analysis():
    scenario = validate(SCENARIO)
    return pilot(scenario, "better_support", sizes=[30, 300, 3000, 30_000, 300_000], periods=6, draws=4000, workers=1)


def test_evsi_is_at_most_evppi_at_most_evpi_for_every_size(analysis):
    summary = analysis.summary
    assert summary["evppi"] <= summary["evpi"] * 1.001
    assert summary["evpi"] > 0
    for row in summary["sizes"]:
        assert 0 <= row["evsi"] <= summary["evppi"] * 1.02


def test_evsi_rises_towards_evppi_as_the_pilot_grows(analysis):
    evsi = analysis.tables["pilot"]["evsi"].to_numpy()
    evppi = analysis.summary["evppi"]
    assert np.all(np.diff(evsi) >= -0.02 * evppi)
    assert evsi[0] < 0.5 * evppi
    assert evsi[-1] == pytest.approx(evppi, rel=0.05)


def test_power_rises_with_size_and_net_gain_is_evsi_less_cost(analysis):
    table = analysis.tables["pilot"]
    assert [m["power_column"] for m in analysis.summary["measures"]] == ["power_main_bad"]
    assert np.all(np.diff(table["power_main_bad"]) >= 0) and table["power_main_bad"].iloc[-1] > 0.9
    assert np.allclose(table["net_gain"], table["evsi"] - table["cost"])
    best = analysis.summary["best"]
    if best is not None:
        assert best["net_gain"] == table["net_gain"].max()


def test_a_pilot_larger_than_the_segment_is_refused():
    scenario = validate({**SCENARIO, "segments": {"main": {**SCENARIO["segments"]["main"], "customers": 500}}})
    with pytest.raises(UsageError, match=r"--sizes: 300 customers per arm needs 600 customers of segment 'main'; it has 500"):
        pilot(scenario, "better_support", sizes=[100, 300], draws=10)


def test_an_unknown_intervention_is_named():
    with pytest.raises(UsageError, match="no intervention 'beter_support'.*did you mean 'better_support'"):
        pilot(validate(SCENARIO), "beter_support", draws=10)


def test_the_pilot_s_count_quantiles_are_scipy_stats_exactly():
    """binomial_quantile and poisson_quantile stand in for scipy.stats' binom.ppf and poisson.ppf (whose import
    costs the memo half a second): the same count for 300,000 (q, n, p) from every corner, q = 0 and 1, p = 0 and
    1 and invalid arguments included (runtime ~1 s)."""
    from scipy import stats

    from sim.analyses.pilot import binomial_quantile, poisson_quantile

    rng = np.random.default_rng(0)
    size = 300_000
    q = rng.random(size)
    n = np.round(rng.choice([1, 5, 40, 300, 2_000, 20_000], size) * rng.random(size))
    p = rng.random(size) ** 3
    p[:100], p[100:200], q[200:300], q[300:400], n[400:450], p[450:500] = 0.0, 1.0, 0.0, 1.0, 2.5, 1.5
    assert np.array_equal(binomial_quantile(q, n, p), stats.binom.ppf(q, n, p), equal_nan=True)
    mu = n * p
    mu[500:550] = -1.0
    assert np.array_equal(poisson_quantile(q, mu), stats.poisson.ppf(q, mu), equal_nan=True)


TWO_MEASURES = {**SCENARIO, "interventions": {"better_support": {
    "one_off_cost": 40_000, "recurring_cost": 60_000,
    "changes": [{"path": "segments.main.experience.bad", "scale": {"dist": "uniform", "low": 0.3, "high": 1.1}},
                {"path": "segments.main.experience.good", "add": {"dist": "uniform", "low": 0.0, "high": 0.1}}],
}}}


def test_power_is_given_for_every_measure_and_does_not_change_with_the_draws():
    """A pilot counting two things has a power for each, named, and each is the same (within Monte Carlo error) at
    1,000 draws seed 1 and 3,000 draws seed 2: nothing is chosen on noisy draw statistics (a 'primary measure'
    picked by the largest single-operand EVPPI among near-zero values once jumped from 90.6 % to 21.5 % on the
    default scenario between 2,000 and 10,000 draws). About 1 s."""
    scenario = validate(TWO_MEASURES)
    runs = [pilot(scenario, "better_support", sizes=[200, 20_000], periods=3, draws=draws, seed=seed, workers=1)
            for draws, seed in ((1000, 1), (3000, 2))]
    for analysis in runs:
        assert "primary_measure" not in analysis.summary
        assert [(m["name"], m["power_column"]) for m in analysis.summary["measures"]] == [
            ("share of bad contacts", "power_main_bad"), ("share of good contacts", "power_main_good")]
    (small, large) = (analysis.tables["pilot"] for analysis in runs)
    for column in ("power_main_bad", "power_main_good"):
        p = (small[column] + large[column]).to_numpy() / 2
        error = np.sqrt(p * (1 - p) / 1000 + p * (1 - p) / 3000)
        assert np.all(np.abs(small[column] - large[column]) <= 4 * error + 1e-12), (column, small[column], large[column])
    assert large["power_main_bad"].iloc[-1] > 0.5 and large["power_main_good"].iloc[-1] > 0.5  # both effects show at 20,000 per arm (no test of zeros)


def test_two_changes_of_one_parameter_get_a_power_column_each():
    from sim.analyses.pilot import measured_changes, power_columns

    doubled = {**SCENARIO, "interventions": {"x": {"one_off_cost": 1, "changes": [
        {"path": "segments.main.experience.bad", "scale": 0.9}, {"path": "segments.main.contacts", "scale": 0.9},
        {"path": "segments.main.experience.bad", "add": -0.01}]}}}
    measures = measured_changes(validate(doubled), "x")
    assert power_columns(measures) == ["power_main_bad_0", "power_main_contacts", "power_main_bad_2"]


def test_changes_a_customer_pilot_does_not_count_are_named_not_dropped(capsys):
    """A cost per contact or a walk-away share is not something a pilot of customers counts: the summary lists those
    changes under not_measured (with their names), and the terminal says so in one line. 0.3 s."""
    from sim.reporting.console import print_pilot

    mixed = {**SCENARIO, "interventions": {"x": {"one_off_cost": 40_000, "label": "Bot", "changes": [
        {"path": "support.channels.phone.cost_per_contact", "scale": 0.6},
        {"path": "segments.main.experience.bad", "scale": {"dist": "uniform", "low": 0.3, "high": 1.1}},
        {"path": "segments.main.experience.walk_away", "scale": 0.8}]}}}
    analysis = pilot(validate(mixed), "x", sizes=[200], periods=3, draws=300, seed=1, workers=1)
    summary = analysis.summary
    assert [m["change"] for m in summary["measures"]] == ["interventions.x.changes[1].scale"]
    assert summary["not_measured"] == ["interventions.x.changes[0].scale", "interventions.x.changes[2].scale"]
    print_pilot(summary)
    said = " ".join(capsys.readouterr().out.split())
    names = summary["labels"]["inputs"]
    assert ("Not counted by a customer pilot (what is known of them stays as it is): "
            f"{names['interventions.x.changes[0].scale']}; {names['interventions.x.changes[2].scale']} ") in said
