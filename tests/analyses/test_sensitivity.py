"""Sensitivity measures on a linear model whose answers are known analytically."""

import numpy as np
import pandas as pd

from sim.analyses.sensitivity import rank_measures, sobol

A = np.array([3.0, 2.0, 1.0, 0.0])


def test_spearman_of_a_linear_gaussian_model_matches_the_closed_form():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((20_000, 4))
    y = x @ A
    table = rank_measures(pd.DataFrame(x, columns=list("abcd")), y)
    rho = A / np.sqrt((A**2).sum())
    expected = 6 / np.pi * np.arcsin(rho / 2)  # Spearman of a bivariate normal with correlation rho
    standard_error = 1.03 / np.sqrt(len(y) - 3)
    assert np.all(np.abs(table["spearman"].to_numpy() - expected) < 4 * standard_error)
    assert table["spearman_low"].to_numpy()[0] < expected[0] < table["spearman_high"].to_numpy()[0]


def test_partial_rank_correlation_isolates_each_input():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((20_000, 4))
    y = x @ A + rng.standard_normal(20_000)
    prcc = rank_measures(pd.DataFrame(x, columns=list("abcd")), y)["prcc"].to_numpy()
    # The input without effect has no partial correlation (within 4 standard errors); the others
    # keep the order of their coefficients, and a strong input stays strong once the others are removed.
    assert abs(prcc[3]) < 4 / np.sqrt(len(y) - 6)
    assert np.all(np.diff(prcc) < 0)
    assert prcc[0] > 0.9


def test_sobol_indices_of_an_additive_model_are_the_variance_shares():
    # Uniform inputs on (0, 1): each term's variance is a_i^2 / 12, and there are no interactions.
    result = sobol(list("abcd"), lambda u: {"y": u @ A}, base_samples=4096, seed=2)["y"]
    share = A**2 / (A**2).sum()
    for column, conf in (("first_order", "first_order_conf"), ("total", "total_conf")):
        error = np.abs(result[column].to_numpy() - share)
        assert np.all(error < np.maximum(2 * result[conf].to_numpy(), 1e-3))


def test_the_saltelli_design_is_salibs_row_for_row():
    """saltelli_uniforms builds SALib's first-order Saltelli sample with array indexing: the same rows."""
    from SALib.sample import sobol as sobol_sample

    from sim.analyses.sensitivity import _EDGE, _problem, saltelli_uniforms

    for count, base_samples, seed in ((1, 8, 0), (5, 64, 2026)):
        expected = sobol_sample.sample(_problem(count), base_samples, calc_second_order=False, seed=seed)
        np.testing.assert_array_equal(saltelli_uniforms(count, base_samples, seed), np.clip(expected, _EDGE, 1 - _EDGE))
