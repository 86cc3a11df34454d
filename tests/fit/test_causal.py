"""The causal designs of sim.fit.causal: closed forms, the solvers against statsmodels, and coverage under known
confounding (issue 19). The unit tests take about 2 s; the coverage tests' runtimes are in their docstrings."""

import math

import numpy as np
import pytest
from scipy.stats import binom

from sim.fit import causal
from sim.fit.support import fit_support
from sim.fit.synthetic_support import SupportTruth, as_of, company


def test_e_value_closed_forms():
    """VanderWeele & Ding (2017): RR 2 -> 2 + sqrt(2) = 3.41; a protective 0.5 is the same; 1 -> 1; an interval
    that includes 1 has E-value 1, one that does not has the E-value of its end nearest 1."""
    assert causal.e_value(2.0) == pytest.approx(2 + math.sqrt(2))
    assert causal.e_value(0.5) == pytest.approx(2 + math.sqrt(2))
    assert causal.e_value(1.0) == 1.0
    assert causal.RateRatio(1.5, 0.9, 2.5, 10).e_value_interval == 1.0
    assert causal.RateRatio(2.0, 1.5, 2.7, 10).e_value_interval == pytest.approx(1.5 + math.sqrt(1.5 * 0.5))
    assert causal.RateRatio(0.5, 0.4, 0.8, 10).e_value_interval == pytest.approx(causal.e_value(1 / 0.8))


def test_inputs_from_rate_ratios():
    """A churn ratio 2 (1.5 to 2.7) is an increase of 1 (0.5 to 1.7); a buying ratio 0.6 (0.5 to 0.7) a drop of 0.4
    (0.3 to 0.5): the interval's ends swap for the effects that are 1 - RR."""
    assert causal.as_input("negative_churn_increase", causal.RateRatio(2.0, 1.5, 2.7, 1)) == pytest.approx((1.0, 0.5, 1.7))
    assert causal.as_input("negative_drop", causal.RateRatio(0.6, 0.5, 0.7, 1)) == pytest.approx((0.4, 0.3, 0.5))


def test_conditional_poisson_and_logit_equal_statsmodels():
    """The written-out fixed-effects Poisson equals (to statsmodels' optimiser tolerance) statsmodels' ConditionalPoisson; with one event per group it
    equals ConditionalLogit (the case-crossover's likelihood)."""
    from statsmodels.discrete.conditional_models import ConditionalLogit, ConditionalPoisson

    rng = np.random.default_rng(4)
    groups = np.repeat(np.arange(300), 6)
    x = rng.random((groups.size, 2)) < 0.3
    level = rng.gamma(2.0, 0.5, 300)[groups]
    y = rng.poisson(level * np.exp(x @ np.array([0.5, -0.3])))
    beta, cov = causal.conditional_poisson(y.astype(float), x.astype(float), groups)
    reference = ConditionalPoisson(y, x.astype(float), groups=groups).fit(disp=0)
    assert reference.model.loglike(beta) >= reference.llf - 1e-9  # at least as high: statsmodels stops at its tolerance
    assert beta == pytest.approx(reference.params, abs=1e-3)
    assert np.sqrt(np.diag(cov)) == pytest.approx(reference.bse, rel=1e-3)
    case = np.zeros(groups.size)
    case[np.arange(300) * 6 + rng.integers(0, 6, 300)] = 1.0
    beta, cov = causal.conditional_poisson(case, x.astype(float), groups)
    reference = ConditionalLogit(case, x.astype(float), groups=groups).fit(disp=0)
    assert reference.model.loglike(beta) >= reference.llf - 1e-9
    assert beta == pytest.approx(reference.params, abs=1e-3)
    assert np.sqrt(np.diag(cov)) == pytest.approx(reference.bse, rel=1e-2)


def test_weighted_poisson_equals_statsmodels_glm():
    """glm_newton: statsmodels' GLM with var_weights; its cluster sandwich is statsmodels' without the small-sample
    factor G/(G-1) (N-1)/(N-K)."""
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    n, clusters = 3000, np.repeat(np.arange(600), 5)
    exog = np.column_stack([np.ones(n), rng.random(n) < 0.4, rng.normal(size=n)])
    y = rng.poisson(np.exp(exog @ np.array([-0.5, 0.4, 0.2]))).astype(float)
    weights = rng.uniform(0.5, 2.0, n)
    beta, cov = causal.glm_newton(y, exog, weights, logistic=False, clusters=clusters)
    reference = sm.GLM(y, exog, family=sm.families.Poisson(), var_weights=weights).fit(
        cov_type="cluster", cov_kwds={"groups": clusters, "use_correction": False})
    assert beta == pytest.approx(reference.params, abs=1e-7)
    assert np.sqrt(np.diag(cov)) == pytest.approx(reference.bse, rel=1e-6)
    treated = (rng.random(n) < 1 / (1 + np.exp(-exog[:, 2]))).astype(float)
    gamma, _ = causal.glm_newton(treated, exog[:, [0, 2]], np.ones(n), logistic=True)
    assert gamma == pytest.approx(sm.GLM(treated, exog[:, [0, 2]], family=sm.families.Binomial()).fit().params, abs=1e-7)
