"""Global sensitivity: which uncertain inputs drive the spread of an outcome.

Two families, kept apart as sample -> evaluate -> analyse:

* rank measures read straight from Monte Carlo draws (no extra runs):
  Spearman rank correlation and partial rank correlation (PRCC), which stay
  meaningful when inputs are correlated;
* Sobol first-order and total indices (Saltelli et al. 2010, via SALib), from a
  Saltelli sample evaluated in expected-value mode, which assume independent
  inputs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from scipy import stats
from scipy.stats import qmc

from sim.analyses.common import Analysis, context, records, unpack, with_labels
from sim.compute import parallel
from sim.model.domains import adjustments, require_uncertain
from sim.model.inputs import all_inputs
from sim.compute.arms import appraise_expected
from sim.compute.simulation import run
from sim.errors import UsageError

Z95 = 1.959963984540054
_EDGE = 1e-9

MAX_DESIGN_VALUES = 100_000_000
"""Most uniforms a Saltelli design holds (base samples x (inputs + 2) rows x inputs, 800 MB): --sobol-samples
99999999999 used to end, after the Monte Carlo run, in numpy's traceback for a 65 TiB array."""


def rank_measures(inputs: pd.DataFrame, outcome: np.ndarray, ranks: np.ndarray | None = None) -> pd.DataFrame:
    """Spearman and partial rank correlation of each input column with ``outcome``, with 95 % intervals.

    Intervals use Fisher's z with standard error 1.03 / sqrt(n - 3) for Spearman
    (Fieller, Hartley & Pearson 1957) and 1 / sqrt(n - 3 - k) for PRCC, where k is
    the number of inputs held constant. ``ranks`` is ``inputs.rank().to_numpy()`` where
    the caller has it already (the same inputs against several outcomes).
    """
    n, k = inputs.shape
    ranks = inputs.rank().to_numpy() if ranks is None else ranks
    y = stats.rankdata(outcome)
    spearman = np.array([_correlation(ranks[:, j], y) for j in range(k)])
    prcc = _partial_rank_correlations(ranks, y)
    rows = []
    for j, name in enumerate(inputs.columns):
        low, high = _fisher_interval(spearman[j], 1.03 / np.sqrt(n - 3))
        plow, phigh = _fisher_interval(prcc[j], 1.0 / np.sqrt(max(n - 3 - (k - 1), 1)))
        rows.append({"input": name, "spearman": spearman[j], "spearman_low": low, "spearman_high": high,
                     "prcc": prcc[j], "prcc_low": plow, "prcc_high": phigh})
    return pd.DataFrame(rows)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _partial_rank_correlations(ranks: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Correlation of each input's rank with the outcome's rank, both freed of the other inputs' ranks.

    From one inverse of the covariance matrix of the ranks and the outcome's rank
    (the precision matrix P): the partial correlation of column j with the outcome
    given every other column is -P[j, y] / sqrt(P[j, j] P[y, y]) (Whittaker 1990,
    *Graphical Models*, 5.7), the correlation of the two regressions' residuals
    without the 2k least-squares fits. A column without spread has no correlation (0).
    """
    n, k = ranks.shape
    result = np.zeros(k)
    varied = [j for j in range(k) if ranks[:, j].std() > 0]
    if not varied or y.std() == 0:
        return result
    columns = np.column_stack([ranks[:, varied], y])
    precision = np.linalg.pinv(np.cov(columns, rowvar=False))
    last = len(varied)
    partial = -precision[:last, last] / np.sqrt(precision.diagonal()[:last] * precision[last, last])
    result[varied] = np.clip(partial, -1.0, 1.0)
    return result


def _fisher_interval(r: float, standard_error: float) -> tuple[float, float]:
    z = np.arctanh(np.clip(r, -0.999999, 0.999999))
    return float(np.tanh(z - Z95 * standard_error)), float(np.tanh(z + Z95 * standard_error))


def saltelli_uniforms(count: int, base_samples: int, seed: int) -> np.ndarray:
    """The Saltelli design in the unit cube: ``base_samples * (count + 2)`` rows of ``count`` uniforms.

    SALib's ``sobol.sample`` (first order): per base point i, the row A_i, then A_i with
    column k taken from B_i for each k, then B_i, where (A | B) is a scrambled Sobol'
    sequence in 2 x ``count`` dimensions. Built here with array indexing instead of its
    loop over every element (most of a sensitivity run's time outside the engine at
    45 inputs); the same values in the same rows (tests/analyses/test_sensitivity.py).
    """
    base = qmc.Sobol(d=2 * count, scramble=True, seed=seed).random(base_samples)
    a, b = base[:, :count], base[:, count:]
    design = np.repeat(a[:, None, :], count + 2, axis=1)  # (base point, row of its block, column)
    columns = np.arange(count)
    design[:, 1 + columns, columns] = b[:, columns]
    design[:, count + 1] = b
    return np.clip(design.reshape(-1, count), _EDGE, 1.0 - _EDGE)


def sobol_indices(names: list[str], outcome: np.ndarray, seed: int) -> pd.DataFrame:
    """First-order and total Sobol indices with 95 % bootstrap intervals from a Saltelli design's outcomes."""
    result = sobol_analyze.analyze(_problem(len(names)), np.asarray(outcome, dtype=float),
                                   calc_second_order=False, seed=seed)
    return pd.DataFrame({
        "input": names,
        "first_order": result["S1"], "first_order_conf": result["S1_conf"],
        "total": result["ST"], "total_conf": result["ST_conf"],
    })


def sobol(names: list[str], model: Callable[[np.ndarray], dict[str, np.ndarray]], base_samples: int, seed: int) -> dict[str, pd.DataFrame]:
    """Sobol indices of every outcome of ``model``, which maps (rows, inputs) uniforms to outcome arrays."""
    u = saltelli_uniforms(len(names), base_samples, seed)
    return {outcome: sobol_indices(names, values, seed) for outcome, values in model(u).items()}


def _ppf_of_column(dist, column: np.ndarray) -> np.ndarray:
    """``dist.ppf`` of a design column, computed once per distinct value.

    A Saltelli design's column takes each value of its two base matrices' column
    again in every other row block, so it has ``2 N`` distinct values among
    ``N (k + 2)`` rows: the quantile function (a beta's is slow) runs on those only.
    """
    distinct, where = np.unique(column, return_inverse=True)
    return dist.ppf(distinct)[where.ravel()]


def _problem(count: int) -> dict:
    return {"num_vars": count, "names": [f"x{i}" for i in range(count)], "bounds": [[0.0, 1.0]] * count}


def sensitivity(
    scenario,
    draws: int | None = None,
    seed: int | None = None,
    *,
    sobol_samples: int = 1024,
    workers: int | None = None,
    progress=None,
):
    """Rank measures from one Monte Carlo run and Sobol indices of NPV, per intervention.

    Sobol indices use the expected-value model (customer-level noise removed) on
    a Saltelli design of ``sobol_samples * (inputs + 2)`` rows with independent
    inputs; set ``sobol_samples`` to 0 to skip them.
    """
    plain, loaded = unpack(scenario)
    require_uncertain(plain, "sensitivity")
    _check_design_size(plain, sobol_samples)
    # One pool for the Monte Carlo run and the Sobol design: its processes start before any
    # progress-bar thread does, and only once.
    with parallel.pool(workers) as shared:
        result = run(loaded or plain, draws, seed, workers_pool=shared, progress=progress)
        rank_table, sobol_table, sobol_adjusted = _measures(plain, result, sobol_samples, shared)
    correlated = bool(plain.correlations)
    note = (
        "Inputs are correlated in this scenario: Sobol indices assume independent inputs, so read the rank "
        "measures (Spearman, PRCC) first; the Sobol indices describe the model with the correlations removed."
        if correlated else
        "Sobol indices are computed on the expected-value model with independent inputs; rank measures come from the Monte Carlo draws."
    )
    summary = {
        "scenario": plain.settings.name, "seed": result.seed, "draws": result.n_draws,
        "currency": plain.settings.currency,
        **context(plain, loaded, result.uncertain_paths),
        "correlated_inputs": correlated, "note": note, "sobol_samples": sobol_samples,
        "rank_measures": records(rank_table), "sobol": records(sobol_table),
        "adjustments": list(result.adjustments),
        "sobol_design_adjustments": sobol_adjusted,
    }
    return Analysis("sensitivity", plain, loaded, result.seed, result.n_draws, summary,
                    {"rank_measures": rank_table, "sobol": sobol_table})


FEWEST_SOBOL_SAMPLES = 8
"""Fewest base samples of a Saltelli design: with one or two the indices come out beyond [-1, 1] and their bootstrap
intervals at 0, so a number is printed where there is none (8 gives wide intervals that say so)."""


def _check_design_size(plain, sobol_samples: int) -> None:
    """Refuse, before any work, a Saltelli design too small to estimate anything (:data:`FEWEST_SOBOL_SAMPLES`)
    or larger than :data:`MAX_DESIGN_VALUES` (UsageError)."""
    if 0 < sobol_samples < FEWEST_SOBOL_SAMPLES:
        raise UsageError(f"--sobol-samples {sobol_samples}: give 0 (no Sobol indices) or at least "
                         f"{FEWEST_SOBOL_SAMPLES}; fewer base samples give indices and intervals that mean nothing")
    count = sum(not item.dist.is_fixed for item in all_inputs(plain).values())
    most = MAX_DESIGN_VALUES // ((count + 2) * count)
    if sobol_samples > most:
        raise UsageError(f"--sobol-samples {sobol_samples}: at most {most:,} for this scenario's {count} uncertain "
                         f"input{'' if count == 1 else 's'} (a Saltelli design of N x (inputs + 2) rows must fit in memory)")


def _measures(plain, result, sobol_samples: int, shared) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """Rank measures from the run's draws and Sobol indices from a Saltelli design, per intervention
    (with the design rows in which a value was clipped to its domain)."""
    paths = result.uncertain_paths
    inputs = result.draws[paths]
    rank_table = pd.DataFrame()
    if paths:
        ranks = inputs.rank().to_numpy()  # once for every intervention's outcome
        rank_table = pd.concat(
            [rank_measures(inputs, a.npv, ranks).assign(intervention=name) for name, a in result.appraisals.items()],
            ignore_index=True,
        )
    sobol_table = pd.DataFrame()
    adjusted: list[dict] = []
    if sobol_samples and paths:
        every = all_inputs(plain)

        def model(u: np.ndarray) -> dict[str, np.ndarray]:
            values = {path: np.full(len(u), item.dist.base) for path, item in every.items()}
            values.update({path: _ppf_of_column(every[path].dist, u[:, j]) for j, path in enumerate(paths)})
            adjusted.extend(adjustments(plain, values))
            appraisals = appraise_expected(plain, values, shared)  # each distinct row of each arm simulated once
            return {name: a.npv for name, a in appraisals.items()}

        by_outcome = sobol(paths, model, sobol_samples, result.seed)
        sobol_table = pd.concat([t.assign(intervention=name) for name, t in by_outcome.items()], ignore_index=True)
    return with_labels(rank_table, plain), with_labels(sobol_table, plain), adjusted
