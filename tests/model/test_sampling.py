"""Input sampling: Latin hypercube strata, rank correlations, and streams keyed by input path."""

import numpy as np
import pytest
from scipy import stats

from sim.model.distributions import ANY, parse
from sim.model.inputs import Input
from sim.model.sampling import sample_inputs
from sim.model.scenario import Correlation


def _inputs(**specs):
    return {path: Input(path, parse(spec), ANY) for path, spec in specs.items()}


def test_latin_hypercube_puts_one_draw_in_each_stratum():
    values = sample_inputs(_inputs(a={"dist": "uniform", "low": 0, "high": 1}), 500, 3, "lhs")["a"]
    assert np.array_equal(np.sort(np.floor(values * 500)), np.arange(500))


def test_fixed_inputs_repeat_their_value():
    values = sample_inputs(_inputs(a=2.5, b="1 to 2"), 10, 1)
    assert values["a"].tolist() == [2.5] * 10


def test_each_input_keeps_its_draws_when_another_is_fixed_or_added():
    before = sample_inputs(_inputs(a="1 to 2", b="3 to 4"), 300, 9)
    after = sample_inputs(_inputs(a="1 to 2", b=3.5, c="5 to 6"), 300, 9)
    assert np.array_equal(before["a"], after["a"])


@pytest.mark.parametrize("method", ["random", "lhs"])
def test_rank_correlation_is_imposed_and_marginals_are_kept(method):
    inputs = _inputs(a={"dist": "uniform", "low": 0, "high": 1}, b="1 to 10", c={"dist": "normal", "mean": 0, "sd": 1})
    correlations = [Correlation(between=("a", "b"), rank=0.7), Correlation(between=("b", "c"), rank=-0.4)]
    plain = sample_inputs(inputs, 4000, 5, method)
    correlated = sample_inputs(inputs, 4000, 5, method, correlations)
    for path in inputs:
        assert np.array_equal(np.sort(plain[path]), np.sort(correlated[path]))
    # Standard error of a Spearman coefficient is about (1 - rho^2) / sqrt(n - 3).
    for (x, y), rho in ((("a", "b"), 0.7), (("b", "c"), -0.4)):
        observed = stats.spearmanr(correlated[x], correlated[y]).statistic
        assert abs(observed - rho) < 4 * (1 - rho**2) / np.sqrt(4000 - 3)


def test_contradictory_correlations_are_a_scenario_error():
    from sim.errors import ScenarioError

    inputs = _inputs(a="1 to 2", b="1 to 2", c="1 to 2")
    correlations = [Correlation(between=("a", "b"), rank=0.95), Correlation(between=("b", "c"), rank=0.95),
                    Correlation(between=("a", "c"), rank=-0.95)]
    with pytest.raises(ScenarioError) as error:
        sample_inputs(inputs, 100, 1, "random", correlations)
    assert error.value.lines() == [
        "correlations: these rank correlations contradict each other (the matrix is not positive definite); weaken some of them"
    ]
