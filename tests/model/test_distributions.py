"""Uncertain inputs: each kind against scipy.stats, 'a to b' intervals, truncation, errors."""

import pickle

import numpy as np
import pytest
from scipy import stats

from sim.model.distributions import DURATION, NON_NEGATIVE, PROBABILITY, Domain, parse

U = np.array([0.001, 0.05, 0.25, 0.5, 0.75, 0.95, 0.999])


@pytest.mark.parametrize(
    "spec, frozen",
    [
        ({"dist": "uniform", "low": 2, "high": 5}, stats.uniform(2, 3)),
        ({"dist": "triangular", "low": 1, "mode": 2, "high": 4}, stats.triang(1 / 3, loc=1, scale=3)),
        ({"dist": "pert", "low": 0, "mode": 2, "high": 10}, stats.beta(1 + 4 * 0.2, 1 + 4 * 0.8, scale=10)),
        ({"dist": "normal", "mean": 3, "sd": 0.5}, stats.norm(3, 0.5)),
        ({"dist": "beta", "alpha": 2, "beta": 5}, stats.beta(2, 5)),
        ({"dist": "gamma", "shape": 2, "scale": 3}, stats.gamma(2, scale=3)),
        ({"dist": "gamma", "mean": 6, "sd": 6 / np.sqrt(2)}, stats.gamma(2, scale=3)),
    ],
)
def test_ppf_is_scipys(spec, frozen):
    assert parse(spec).ppf(U) == pytest.approx(frozen.ppf(U), rel=1e-10)


def test_lognormal_has_the_stated_mean_and_sd():
    dist = parse({"dist": "lognormal", "mean": 10, "sd": 4})
    sigma2 = np.log1p(0.16)
    frozen = stats.lognorm(np.sqrt(sigma2), scale=10 * np.exp(-sigma2 / 2))
    assert frozen.mean() == pytest.approx(10) and frozen.std() == pytest.approx(4)
    assert dist.ppf(U) == pytest.approx(frozen.ppf(U), rel=1e-10)


@pytest.mark.parametrize("text, low, high", [("0.01 to 0.03", 0.01, 0.03), ("1% to 3%", 0.01, 0.03), ("-2 to 6", -2, 6), ("1_000 to 3_000", 1000, 3000)])
def test_a_to_b_puts_five_percent_beyond_each_end(text, low, high):
    dist = parse(text)
    assert dist.ppf(np.array([0.05, 0.95])) == pytest.approx([low, high], rel=1e-12, abs=1e-12)
    assert ("lognormal" in dist.describe()) == (low > 0)


def test_interval_with_another_confidence():
    dist = parse({"dist": "interval", "low": 10, "high": 20, "confidence": 0.8})
    assert dist.ppf(np.array([0.1, 0.9])) == pytest.approx([10, 20], rel=1e-12)


def test_percentiles_pass_through_every_stated_point():
    dist = parse({"dist": "percentiles", "p10": 1.0, "p50": 2.0, "p75": 2.5, "p90": 4.0})
    assert dist.ppf(np.array([0.10, 0.50, 0.75, 0.90])) == pytest.approx([1.0, 2.0, 2.5, 4.0], rel=1e-12)
    grid = np.linspace(0.001, 0.999, 999)
    assert np.all(np.diff(dist.ppf(grid)) > 0)


def test_discrete_respects_weights():
    dist = parse({"dist": "discrete", "values": [3, 1, 2], "weights": [1, 1, 2]})
    assert dist.ppf(np.array([0.1, 0.3, 0.6, 0.9])).tolist() == [1.0, 2.0, 2.0, 3.0]


def test_truncation_keeps_samples_inside_and_renormalises():
    dist = parse({"dist": "normal", "mean": 0, "sd": 1, "min": -1, "max": 2})
    x = dist.ppf(np.linspace(0.0005, 0.9995, 2000))
    assert x.min() >= -1 and x.max() <= 2
    frozen = stats.norm()
    expected_median = frozen.ppf(frozen.cdf(-1) + 0.5 * (frozen.cdf(2) - frozen.cdf(-1)))
    assert dist.median() == pytest.approx(expected_median, rel=1e-10)


def test_domain_truncates_unbounded_distributions():
    dist = parse("0.5% to 40%", PROBABILITY)
    x = dist.ppf(np.array([1e-9, 0.5, 1 - 1e-9]))
    assert x.min() >= 0 and x.max() <= 1


def test_base_defaults_to_the_median_and_can_be_stated():
    assert parse({"dist": "triangular", "low": 0, "mode": 1, "high": 4}).base == pytest.approx(4 - np.sqrt(6))
    assert parse({"dist": "pert", "low": 0, "mode": 1, "high": 4, "base": 1}).base == 1.0
    assert parse(0.3).base == 0.3 and parse(0.3).is_fixed


def test_mean_of_a_pert():
    assert parse({"dist": "pert", "low": 0, "mode": 2, "high": 10}).mean() == pytest.approx((0 + 8 + 10) / 6, rel=1e-4)


def test_descriptions_in_plain_words():
    assert parse(0.02).describe() == "fixed at 0.02"
    assert parse({"dist": "pert", "low": 0.015, "mode": 0.02, "high": 0.03}).describe() == "between 0.015 and 0.03, most likely 0.02 (PERT)"
    assert parse("1% to 3%").describe() == "90 % between 0.01 and 0.03 (lognormal)"
    assert parse({"dist": "uniform", "low": 10000, "high": 20000}).describe() == "between 10,000 and 20,000, every value equally likely (uniform)"


@pytest.mark.parametrize(
    "spec",
    [0.3, "2 to 9", {"dist": "pert", "low": 1, "mode": 2, "high": 5, "source": "s"},
     {"dist": "percentiles", "p5": 1, "p50": 2, "p95": 7}, {"dist": "normal", "mean": 1, "sd": 2, "min": 0}],
)
def test_spec_round_trips_and_pickles(spec):
    dist = parse(spec, NON_NEGATIVE)
    grid = np.linspace(0.01, 0.99, 50)
    assert parse(dist.spec(), NON_NEGATIVE).ppf(grid) == pytest.approx(dist.ppf(grid), rel=1e-12)
    assert pickle.loads(pickle.dumps(dist)).ppf(grid) == pytest.approx(dist.ppf(grid), rel=1e-12)
    assert parse(spec, NON_NEGATIVE).source == (spec.get("source") if isinstance(spec, dict) else None)


@pytest.mark.parametrize(
    "spec, domain, message",
    [
        (1.7, PROBABILITY, "1.7 is not allowed: a probability must be between 0 and 1"),
        (-5, Domain(0.0, np.inf, "a count"), "-5 is not allowed: a count must be 0 or more"),
        (0.5, DURATION, "0.5 is not allowed: a duration in periods must be 1 or more"),
        ({"dist": "uniform", "low": 0.5, "high": 1.2}, PROBABILITY, "high = 1.2 is not allowed: a probability must be between 0 and 1"),
        ({"dist": "triangular", "low": 0.03, "mode": 0.02, "high": 0.01}, PROBABILITY,
         "triangular needs low <= mode <= high, got low=0.03, mode=0.02, high=0.01"),
        ("0.03 to 0.01", PROBABILITY, "'0.03 to 0.01': the first number must be below the second"),
        ("0.01 - 0.03", PROBABILITY, "'0.01 - 0.03' is not a range; write it like '0.01 to 0.03' or '1% to 3%'"),
        ({"dist": "uniform", "low": 0, "hihg": 1}, PROBABILITY,
         "unknown key 'hihg' for a uniform distribution; did you mean 'high'? Allowed: low, high, min, max, base, source, label"),
        ({"dist": "triangular", "low": 0, "high": 1}, PROBABILITY, "missing key 'mode' for a triangular distribution"),
        ({"dist": "lognorm", "mean": 1, "sd": 1}, NON_NEGATIVE,
         "unknown distribution 'lognorm'; did you mean 'lognormal'? Allowed: fixed, uniform, triangular, pert, normal, "
         "lognormal, beta, gamma, discrete, interval, percentiles"),
        (True, PROBABILITY, "expected a number, a string like '0.01 to 0.03', or a table with 'dist'; got True"),
        ({"dist": "normal", "mean": 0.02, "sd": 0.05}, PROBABILITY,
         "normal with mean 0.02 and sd 0.05 puts 34 % of its mass outside what is allowed (a probability must be "
         "between 0 and 1): narrow it or add min/max"),
        ({"dist": "pert", "low": 0, "mode": 1, "high": 2, "base": 3}, NON_NEGATIVE,
         "base = 3 lies outside the distribution (between 0 and 2, most likely 1 (PERT))"),
        ({"dist": "percentiles", "p10": 2, "p90": 1}, Domain(),
         "percentile values must rise with the percentile: p10 = 2 but p90 = 1"),
    ],
)
def test_errors_say_what_is_wrong_and_what_is_allowed(spec, domain, message):
    with pytest.raises(ValueError) as error:
        parse(spec, domain)
    assert str(error.value) == message
