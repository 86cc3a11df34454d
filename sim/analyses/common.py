"""What every analysis returns, and the outcome statistics they share.

Sweeps, tornado diagrams, sensitivity, break-even and value of information all
evaluate the same simulator (:mod:`sim.compute.simulation`) and return an
:class:`Analysis`: a JSON-ready summary and named pandas tables, which the CLI
prints, :mod:`sim.reporting.figures` draws and :mod:`sim.shell.results_folder` writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.model.finance import Appraisal
from sim.model.labels import input_labels, label_of, option_labels
from sim.model.scenario import Scenario
from sim.model.validation import Loaded

BAND_PERCENTILES = (5, 25, 50, 75, 95)


@dataclass(frozen=True)
class Analysis:
    """The outcome of one analysis command: ``summary`` (JSON types) and ``tables`` (pandas)."""

    kind: str
    scenario: Scenario
    loaded: Loaded | None
    seed: int
    draws: int
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def unpack(scenario: Scenario | Loaded) -> tuple[Scenario, Loaded | None]:
    """(scenario, loaded-or-None) from either."""
    return (scenario.scenario, scenario) if isinstance(scenario, Loaded) else (scenario, None)


def outcome_row(appraisal: Appraisal) -> dict[str, float]:
    """Mean and percentile band of NPV and ROI, and P(ROI > 0), for one intervention's draws."""
    row: dict[str, float] = {}
    for name, values in (("npv", appraisal.npv), ("roi", appraisal.roi)):
        finite = values[np.isfinite(values)]
        row[f"{name}_mean"] = float(finite.mean()) if finite.size else np.nan
        for p, v in zip(BAND_PERCENTILES, np.percentile(finite, BAND_PERCENTILES) if finite.size else [np.nan] * 5):
            row[f"{name}_p{p:02d}"] = float(v)
    row["prob_roi_positive"] = float(np.mean(appraisal.npv > 0))
    return row


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records (NaN becomes None)."""
    return [
        {key: (None if isinstance(value, float) and not np.isfinite(value) else _plain(value)) for key, value in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def context(scenario: Scenario, loaded: Loaded | None, paths: list[str] | None = None) -> dict[str, Any]:
    """What every analysis summary carries besides its numbers: the ``--set`` overrides and the
    names people read for the inputs involved (``paths``; all inputs when None) and the options."""
    names = input_labels(scenario)
    if paths is not None:
        names = {path: names.get(path) or label_of(scenario, path) for path in paths}
    return {
        "overrides": list(loaded.overrides) if loaded else [],
        "labels": {"inputs": names, "options": option_labels(scenario)},
    }


def with_labels(table: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The table with a ``label`` column (the input's name) right after its ``input`` column (the path)."""
    if "input" not in table or table.empty:
        return table if "label" in table else table.assign(label=pd.Series(dtype=object))
    names = input_labels(scenario)
    labelled = table.copy()
    labelled.insert(list(table.columns).index("input") + 1, "label",
                    [names.get(path) or label_of(scenario, path) for path in table["input"]])
    return labelled
