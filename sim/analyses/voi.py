"""Value of information: what knowing an input before deciding would be worth, in money.

The decision is to do nothing (net benefit 0) or one of the interventions (net
benefit = its NPV). EVPI compares deciding with perfect knowledge of every
input to deciding now; EVPPI does the same for one input, estimated from the
Monte Carlo draws by regressing each option's net benefit on that input
(Strong, Oakley & Brennan 2014, "Estimating multiparameter partial expected
value of perfect information from a probabilistic sensitivity analysis
sample"), so no nested simulation is needed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.interpolate import make_lsq_spline

from sim.analyses.common import Analysis, context, records, unpack, with_labels
from sim.model.domains import require_uncertain
from sim.compute.simulation import run

INTERIOR_KNOTS = 6
"""Interior knots of the cubic regression spline (at quantiles of the input)."""
FEW_VALUES = 12
"""An input with at most this many distinct values is regressed by group means."""


def evpi(net_benefit: np.ndarray) -> float:
    """E[max over options] - max over options of E: ``net_benefit`` is (draws, options)."""
    return float(net_benefit.max(axis=1).mean() - net_benefit.mean(axis=0).max())


def evppi(theta: np.ndarray, net_benefit: np.ndarray) -> float:
    """Partial EVPI of one input from draws: regress each option's net benefit on ``theta``."""
    fitted = conditional_mean(theta, net_benefit)  # every option's column in one fit: they share the design
    value = fitted.max(axis=1).mean() - fitted.mean(axis=0).max()
    return float(max(value, 0.0))


def conditional_mean(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """E[y | x] at every draw: group means for inputs with few values, else a cubic regression spline.

    ``y`` may be one outcome (draws,) or several (draws, outcomes): the columns share
    the knots and the design, so several are fitted at once.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    distinct, groups = np.unique(x, return_inverse=True)
    if distinct.size <= FEW_VALUES:
        groups = groups.ravel()
        sizes = np.bincount(groups)
        if y.ndim == 1:
            return (np.bincount(groups, weights=y) / sizes)[groups]
        return np.column_stack([(np.bincount(groups, weights=c) / sizes)[groups] for c in y.T])
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    interior = np.unique(np.quantile(xs, np.linspace(0, 1, INTERIOR_KNOTS + 2)[1:-1]))
    interior = interior[(interior > xs[0]) & (interior < xs[-1])]
    knots = np.concatenate([[xs[0]] * 4, interior, [xs[-1]] * 4])
    spline = make_lsq_spline(xs, ys, knots, k=3)
    fitted = np.empty_like(y)
    fitted[order] = spline(xs)
    return fitted


def net_benefits(npv_by_option: dict[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
    """Options 'do nothing' (0) and each intervention (its NPV) as a (draws, options) matrix."""
    names = ["do nothing", *npv_by_option]
    draws = len(next(iter(npv_by_option.values())))
    return names, np.column_stack([np.zeros(draws), *npv_by_option.values()])


def voi(scenario, draws: int | None = None, seed: int | None = None, *, workers: int | None = None, progress=None):
    """EVPI of the decision and EVPPI of every uncertain input, in the scenario's currency, from one run."""
    plain, loaded = unpack(scenario)
    require_uncertain(plain, "voi")
    return voi_of(run(loaded or plain, draws, seed, workers=workers, progress=progress))


def voi_of(result):
    """:func:`voi` from the draws of a finished run (no new simulation)."""
    plain = result.scenario
    options, nb = net_benefits({name: a.npv for name, a in result.appraisals.items()})
    means = nb.mean(axis=0)
    total = evpi(nb)
    table = pd.DataFrame(
        [{"input": path, "evppi": evppi(result.values[path], nb)} for path in result.uncertain_paths],
        columns=["input", "evppi"],
    )
    table = table.sort_values("evppi", ascending=False, kind="stable").reset_index(drop=True)
    table["share_of_evpi"] = table["evppi"] / total if total > 0 else 0.0
    table = with_labels(table, plain)
    extra = context(plain, result.loaded, result.uncertain_paths)
    best = options[int(np.argmax(means))]
    summary = {
        "scenario": plain.settings.name, "seed": result.seed, "draws": result.n_draws,
        "currency": plain.settings.currency,
        "options": {name: float(m) for name, m in zip(options, means)},
        **extra,
        "best_option_now": best,
        "best_option_label": extra["labels"]["options"].get(best, best),
        "evpi": total,
        "evpi_meaning": "expected gain from resolving all uncertainty before deciding: the most any study could be worth",
        "evppi_meaning": "the most a pilot or study that pins down this input exactly could be worth",
        "evppi": records(table),
        "adjustments": list(result.adjustments),
    }
    return Analysis("voi", plain, result.loaded, result.seed, result.n_draws, summary, {"voi": table})
