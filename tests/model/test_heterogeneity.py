"""Customers who differ: the engine's latent classes against the sBG and NBD closed forms.

sBG: a cohort's survivor function S(t) = B(alpha, beta + t) / B(alpha, beta)
(Fader & Hardie 2007); NBD: one customer's purchases in a period have mean
r / a and variance r / a (1 + 1 / a) (Ehrenberg 1959). Runtime about 3 s.
"""

import numpy as np
import pytest
from scipy.special import betaln

from sim.compute.simulation import evaluate, sample
from tests.conftest import build, scenario_dict

SBG = [(0.704, 1.182), (0.3, 3.0), (0.2, 0.2), (1.0, 10.0), (0.1, 5.0)]


def survivor(alpha: float, beta: float, t: np.ndarray) -> np.ndarray:
    """sBG: share of a cohort still active after t periods."""
    return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))


def _cohort(horizon: int, draws: int, churn_mix=None, purchase_mix=None, customers=1000, **segment):
    raw = scenario_dict(horizon=horizon, draws=draws, seed=7)
    retail = raw["segments"]["retail"]
    retail.update(customers=customers, arrivals=0, **segment)
    if churn_mix:
        del retail["monthly_churn"]
        retail["churn_mix"] = dict(zip(("alpha", "beta"), churn_mix))
    if purchase_mix:
        del retail["purchases"]
        retail["purchase_mix"] = dict(zip(("shape", "rate"), purchase_mix))
    raw["interventions"]["program"]["changes"] = []
    return build(raw)


def _flows(scenario, draws, seed, expected=False):
    values = sample(scenario, 1 if expected else draws, seed)
    return evaluate(scenario, values, seed=seed, expected=expected)["baseline"]


@pytest.mark.parametrize("alpha, beta", SBG)
def test_expected_retention_of_a_cohort_follows_the_sbg_survivor_function(alpha, beta):
    flows = _flows(_cohort(60, 1, churn_mix=(alpha, beta)), 1, 0, expected=True)
    t = np.arange(1, 61)
    retained = flows["active"][0] / 1000  # active in period t: after that period's churn
    assert np.max(np.abs(retained - survivor(alpha, beta, t))) < 0.005


def test_monte_carlo_retention_matches_the_sbg_closed_form_within_three_standard_errors():
    """Each customer is retained with S(t) independently: Binomial(n, S(t)) survivors (classes within 0.001 of S)."""
    alpha, beta, customers, draws = 0.704, 1.182, 400, 2000
    flows = _flows(_cohort(12, draws, churn_mix=(alpha, beta), customers=customers), draws, 5)
    for t in (1, 3, 6, 12):
        active = flows["active"][:, t - 1]
        expected = customers * survivor(alpha, beta, t)
        standard_error = active.std(ddof=1) / np.sqrt(draws)
        assert abs(active.mean() - expected) < 3 * standard_error, t
        # Binomial spread of independent customers: n S (1 - S), within 15 %.
        assert active.var(ddof=1) == pytest.approx(customers * survivor(alpha, beta, t) * (1 - survivor(alpha, beta, t)), rel=0.15), t


def test_purchases_of_one_customer_in_one_period_are_negative_binomial():
    r, a, draws = 0.243, 0.8, 40_000
    scenario = _cohort(1, draws, purchase_mix=(r, a), customers=1, monthly_churn=0.0)
    purchases = _flows(scenario, draws, 3)["purchases"][:, 0]
    mean, var = r / a, r / a * (1 + 1 / a)
    assert abs(purchases.mean() - mean) < 3 * np.sqrt(var / draws)
    # Standard error of a sample variance: sqrt((mu4 - var^2) / n), mu4 of the NBD from its cumulants.
    p = a / (1 + a)
    k2, k4 = r * (1 - p) / p**2, r * (1 - p) * (p * p - 6 * p + 6) / p**4
    mu4 = k4 + 3 * k2 * k2
    assert abs(purchases.var(ddof=1) - var) < 3 * np.sqrt((mu4 - var * var) / draws)
    exact = _flows(scenario, 1, 0, expected=True)["purchases"][0, 0]
    assert exact == pytest.approx(mean, rel=1e-12)


def test_purchases_of_many_customers_add_up_independent_negative_binomials():
    """200 customers draw their rates independently: variance 200 r/a (1 + 1/a), not Poisson's 200 r/a."""
    r, a, customers, draws = 1.5, 0.5, 200, 4000
    scenario = _cohort(1, draws, purchase_mix=(r, a), customers=customers, monthly_churn=0.0)
    purchases = _flows(scenario, draws, 9)["purchases"][:, 0]
    mean, var = customers * r / a, customers * r / a * (1 + 1 / a)
    assert abs(purchases.mean() - mean) < 3 * np.sqrt(var / draws)
    assert purchases.var(ddof=1) == pytest.approx(var, rel=0.1)


# --- the scenario keys ----------------------------------------------------------------------

from sim.errors import ScenarioError  # noqa: E402


def _errors(raw) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        build(raw)
    return caught.value.lines()


def _mixed_raw(**mixes):
    raw = scenario_dict()
    raw["segments"]["retail"].update(mixes)
    raw["interventions"]["program"]["changes"] = []
    return raw


def test_churn_mix_beside_a_churn_rate_and_purchase_mix_beside_purchases_are_errors():
    raw = _mixed_raw(churn_mix={"alpha": 0.7, "beta": 1.2}, purchase_mix={"shape": 0.2, "rate": 0.8})
    assert _errors(raw) == [
        "test.toml: segments.retail: give exactly one of churn (per period), monthly_churn, annual_churn, churn_mix; "
        "found monthly_churn, churn_mix; give exactly one of purchases, purchase_mix; found purchases, purchase_mix"
    ]


@pytest.mark.parametrize("table, key, value, message", [
    ("churn_mix", "alpha", 0, "0 is not allowed: a mixing distribution's parameter must be more than 0"),
    ("purchase_mix", "shape", 0.0, "0 is not allowed: a mixing distribution's parameter must be more than 0"),
    ("purchase_mix", "rate", -1, "-1 is not allowed: a mixing distribution's parameter must be more than 0"),
])
def test_mixing_parameters_must_be_above_zero(table, key, value, message):
    raw = _mixed_raw()
    segment = raw["segments"]["retail"]
    del segment["monthly_churn"], segment["purchases"]
    segment["churn_mix"] = {"alpha": 0.7, "beta": 1.2}
    segment["purchase_mix"] = {"shape": 0.2, "rate": 0.8}
    segment[table][key] = value
    assert _errors(raw) == [f"test.toml: segments.retail.{table}.{key}: {message}"]


def test_changing_monthly_churn_of_a_segment_with_a_churn_mix_names_the_alternative():
    raw = _mixed_raw(churn_mix={"alpha": 0.7, "beta": 1.2})
    del raw["segments"]["retail"]["monthly_churn"]
    raw["interventions"]["program"]["changes"] = [{"path": "segments.retail.monthly_churn", "scale": 0.8}]
    assert _errors(raw) == [
        "test.toml: interventions.program.changes[0].path: 'segments.retail.monthly_churn' is not a parameter: this "
        "segment's churn differs between customers (churn_mix); scale segments.retail.churn_mix.beta by 1/x to scale "
        "every customer's churn by about x (mean churn alpha / (alpha + beta); what fit pilot --measure churn writes)"
    ]


def test_a_mix_source_is_the_source_of_its_parameters():
    raw = _mixed_raw(churn_mix={"alpha": 0.7, "beta": "1 to 1.5", "source": "sBG fit to 2024 cohorts"})
    del raw["segments"]["retail"]["monthly_churn"]
    mix = build(raw).segments["retail"].churn_mix
    assert (mix.alpha.source, mix.beta.source) == ("sBG fit to 2024 cohorts", "sBG fit to 2024 cohorts")


@pytest.mark.parametrize("changed", [{"beta": 2.4}, {"alpha": 1.4}, {"alpha": 0.35, "beta": 0.6}])
def test_an_intervention_on_a_churn_mix_keeps_every_customer_at_its_rank(changed):
    """From period 7 each customer's churn probability moves to its quantile u of the new Beta:
    S(t) = integral over u of (1 - F^-1(u))^6 (1 - G^-1(u))^(t - 6), by quadrature in u."""
    from scipy import integrate, stats

    raw = _mixed_raw(churn_mix={"alpha": 0.7, "beta": 1.2})
    del raw["segments"]["retail"]["monthly_churn"]
    raw["settings"]["horizon"] = 24
    raw["interventions"]["program"].update(start=7, changes=[
        {"path": f"segments.retail.churn_mix.{key}", "set": value} for key, value in changed.items()])
    flows = evaluate(build(raw), sample(build(raw), 1, 0), seed=0, expected=True)["program"]
    before, after = stats.beta(0.7, 1.2), stats.beta(changed.get("alpha", 0.7), changed.get("beta", 1.2))
    for t in (3, 6, 7, 12, 24):
        exact = integrate.quad(lambda u: (1 - before.ppf(u)) ** min(t, 6) * (1 - after.ppf(u)) ** max(t - 6, 0),
                               0, 1, limit=200)[0]
        assert abs(flows["active"][0, t - 1] / 1000 - exact) < 0.005, t


def test_fixing_the_churn_rate_of_a_segment_with_a_churn_mix_names_the_alternative():
    """What sweep and breakeven do with --param segments.retail.monthly_churn."""
    from sim.errors import UsageError

    raw = _mixed_raw(churn_mix={"alpha": 0.7, "beta": 1.2})
    del raw["segments"]["retail"]["monthly_churn"]
    with pytest.raises(UsageError, match=r"^segments.retail.monthly_churn: not an input of this scenario: this segment's "
                                         r"churn differs between customers \(churn_mix\); scale segments.retail.churn_mix.beta by 1/x"):
        sample(build(raw), 10, 1, fixed={"segments.retail.monthly_churn": 0.1})
