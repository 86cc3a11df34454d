"""Drawing the uncertain inputs: plain Monte Carlo or Latin hypercube, with rank correlations.

Each input is drawn through its distribution's ``ppf`` from uniforms of its own
stream (see :mod:`sim.model.streams`). Rank correlations are imposed afterwards by
the Iman-Conover method, which reorders draws without changing any marginal
distribution (so a Latin hypercube stays one).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from sim.errors import Problem, ScenarioError
from sim.model.inputs import Input
from sim.model.scenario import Correlation
from sim.model.streams import correlation_stream, input_stream

_EDGE = 1e-12  # keep uniforms strictly inside (0, 1) so every ppf is finite


def sample_inputs(
    inputs: dict[str, Input],
    draws: int,
    seed: int,
    method: str = "random",
    correlations: list[Correlation] | tuple = (),
) -> dict[str, np.ndarray]:
    """One array of ``draws`` values per input path; fixed inputs repeat their value."""
    uniforms = {
        path: _uniforms(input_stream(seed, path), draws, method)
        for path, item in inputs.items()
        if not item.dist.is_fixed
    }
    if correlations:
        uniforms.update(_correlate(uniforms, correlations, seed))
    return {
        path: (item.dist.ppf(uniforms[path]) if path in uniforms else np.full(draws, item.dist.base))
        for path, item in inputs.items()
    }


def base_values(inputs: dict[str, Input]) -> dict[str, np.ndarray]:
    """Every input at its base value (stated base, else median), as arrays of one draw."""
    return {path: np.array([item.dist.base]) for path, item in inputs.items()}


def _uniforms(rng: np.random.Generator, draws: int, method: str) -> np.ndarray:
    if method == "lhs":
        from scipy.stats import qmc  # 0.9 s to import; only Latin hypercube sampling needs it

        u = qmc.LatinHypercube(d=1, rng=rng).random(draws)[:, 0]
    else:
        u = rng.random(draws)
    return np.clip(u, _EDGE, 1.0 - _EDGE)


def _correlate(uniforms: dict[str, np.ndarray], correlations, seed: int) -> dict[str, np.ndarray]:
    """Iman-Conover: reorder the correlated inputs' uniforms to the target rank correlations."""
    paths = sorted({path for c in correlations for path in c.between})
    index = {path: i for i, path in enumerate(paths)}
    target = np.eye(len(paths))
    for c in correlations:
        i, j = index[c.between[0]], index[c.between[1]]
        # Spearman rho of a normal copula is (6/pi) asin(r/2); invert it for the scores.
        target[i, j] = target[j, i] = 2.0 * np.sin(np.pi * c.rank / 6.0)
    try:
        wanted = np.linalg.cholesky(target)
    except np.linalg.LinAlgError:
        raise ScenarioError(
            [Problem("correlations", "these rank correlations contradict each other (the matrix is not positive definite); weaken some of them")]
        ) from None
    draws = len(uniforms[paths[0]])
    rng = correlation_stream(seed, paths)
    ranks_scores = ndtri(np.arange(1, draws + 1) / (draws + 1))
    scores = np.column_stack([rng.permutation(ranks_scores) for _ in paths])
    if draws > len(paths):
        # Remove the scores' accidental correlation before imposing the target.
        have = np.linalg.cholesky(np.corrcoef(scores, rowvar=False))
        scores = scores @ np.linalg.inv(have).T
    scores = scores @ wanted.T
    reordered = {}
    for path, column in zip(paths, scores.T):
        ranks = np.empty(draws, dtype=np.intp)  # each score's rank, ties in order (scipy's ordinal ranks, less 1)
        ranks[np.argsort(column, kind="stable")] = np.arange(draws)
        reordered[path] = np.sort(uniforms[path])[ranks]
    return reordered
