"""Tornado diagrams: how far each uncertain input moves an intervention's NPV and ROI.

Two readings:

* one at a time: each input at its 10th and then its 90th percentile, every
  other input at its base value, counts at their expectations — the classic
  spreadsheet tornado, deterministic and cheap (one batch of 2k + 1 rows);
* from the draws of one Monte Carlo run: mean outcome in the draws where the
  input lies in its lowest fifth against its highest fifth — no extra runs,
  and it reflects interactions and correlations between inputs.

Inputs with no effect stay in the tables with a swing of zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analyses.common import Analysis, context, records, unpack, with_labels
from sim.errors import ScenarioError
from sim.model.domains import check_pinned, require_uncertain
from sim.model.inputs import all_inputs
from sim.compute.result import Result
from sim.model.sampling import base_values
from sim.model.scenario import Scenario
from sim.compute.simulation import appraise_all, evaluate, run
from sim.model.validation import Loaded


def one_at_a_time(scenario: Scenario, low: float = 0.10, high: float = 0.90) -> pd.DataFrame:
    """Swing of NPV and ROI per (input, intervention) when one input moves from its ``low`` to ``high`` quantile."""
    inputs = {path: item for path, item in all_inputs(scenario).items() if not item.dist.is_fixed}
    paths = list(inputs)
    rows = 1 + 2 * len(paths)
    values = {path: np.repeat(v, rows) for path, v in base_values(all_inputs(scenario)).items()}
    for i, path in enumerate(paths):
        values[path][1 + 2 * i] = inputs[path].dist.ppf(np.array([low]))[0]
        values[path][2 + 2 * i] = inputs[path].dist.ppf(np.array([high]))[0]
    appraisals = appraise_all(scenario, values, evaluate(scenario, values, seed=0, expected=True))
    table = []
    for name, a in appraisals.items():
        for i, path in enumerate(paths):
            lo, hi = 1 + 2 * i, 2 + 2 * i
            table.append({
                "intervention": name, "input": path,
                "low_value": values[path][lo], "high_value": values[path][hi],
                "npv_base": a.npv[0], "npv_at_low": a.npv[lo], "npv_at_high": a.npv[hi],
                "npv_swing": a.npv[hi] - a.npv[lo],
                "roi_at_low": a.roi[lo], "roi_at_high": a.roi[hi], "roi_swing": a.roi[hi] - a.roi[lo],
            })
    return with_labels(_sorted(pd.DataFrame(table, columns=_COLUMNS_OAT)), scenario)


def check_extremes(scenario: Scenario, low: float = 0.10, high: float = 0.90) -> None:
    """Refuse quantiles at which an input would take a changed parameter outside its domain (before any run)."""
    problems = []
    for option, quantile in ((f"--low {low:g}", low), (f"--high {high:g}", high)):
        for path, item in all_inputs(scenario).items():
            if not item.dist.is_fixed:
                try:
                    check_pinned(scenario, {path: float(item.dist.ppf(np.array([quantile]))[0])}, option)
                except ScenarioError as error:
                    problems += error.problems
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))


def from_draws(result: Result, share: float = 0.20) -> pd.DataFrame:
    """Mean NPV and ROI in the draws where each input is in its lowest vs highest ``share``."""
    table = []
    for name, a in result.appraisals.items():
        for path in result.uncertain_paths:
            x = result.values[path]
            low_cut, high_cut = np.quantile(x, [share, 1.0 - share])
            low, high = x <= low_cut, x >= high_cut
            row = {"intervention": name, "input": path, "low_value": float(x[low].mean()), "high_value": float(x[high].mean())}
            for measure, values in (("npv", a.npv), ("roi", a.roi)):
                row[f"{measure}_at_low"] = float(np.nanmean(values[low]))
                row[f"{measure}_at_high"] = float(np.nanmean(values[high]))
                row[f"{measure}_swing"] = row[f"{measure}_at_high"] - row[f"{measure}_at_low"]
            table.append(row)
    return with_labels(_sorted(pd.DataFrame(table)), result.scenario)


_COLUMNS_OAT = ["intervention", "input", "low_value", "high_value", "npv_base", "npv_at_low", "npv_at_high",
                "npv_swing", "roi_at_low", "roi_at_high", "roi_swing"]


def _sorted(table: pd.DataFrame) -> pd.DataFrame:
    """Largest absolute NPV swing first within each intervention, interventions in scenario order."""
    if table.empty:
        return table
    position = {name: i for i, name in enumerate(dict.fromkeys(table["intervention"]))}
    keyed = table.assign(_order=table["intervention"].map(position), _size=-table["npv_swing"].abs())
    return keyed.sort_values(["_order", "_size"], kind="stable").drop(columns=["_order", "_size"]).reset_index(drop=True)


def tornado(
    scenario: Scenario | Loaded,
    draws: int | None = None,
    seed: int | None = None,
    *,
    low: float = 0.10,
    high: float = 0.90,
    share: float = 0.20,
    workers: int | None = None,
    progress=None,
) -> Analysis:
    """Both tornado readings for every intervention of a scenario."""
    plain, loaded = unpack(scenario)
    require_uncertain(plain, "tornado")
    check_extremes(plain, low, high)
    oat = one_at_a_time(plain, low, high)
    result = run(loaded or plain, draws, seed, workers=workers, progress=progress)
    drawn = from_draws(result, share)
    summary = {
        "scenario": plain.settings.name, "seed": result.seed, "draws": result.n_draws,
        "currency": plain.settings.currency,
        **context(plain, loaded, list(dict.fromkeys(oat["input"]))),
        "one_at_a_time": {"low_quantile": low, "high_quantile": high, "rows": records(oat)},
        "from_draws": {"share": share, "rows": records(drawn)},
        "adjustments": list(result.adjustments),
    }
    return Analysis("tornado", plain, loaded, result.seed, result.n_draws, summary,
                    {"tornado": oat, "tornado_from_draws": drawn})
