"""``cxroi fit pilot`` as a library call: a pilot's result as the intervention's change, with its source.

:func:`pilot_arms` reads the two arms from a pilot table; :func:`pilot_report`
gives the posterior effect (:func:`sim.fit.pilot.pilot_effect`), the change it
becomes in the scenario (the intervention's ``scale`` of the parameter the
pilot measured), a warning when the scenario already reaches that parameter
through experiences, and the ``--json`` summary.
"""

from __future__ import annotations

import math

from dataclasses import dataclass

import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.fit.pilot import KINDS, PRIORS, Arm, Effect, Posterior, pilot_effect
from sim.fit.scenario_edit import InputUpdate


@dataclass
class PilotReport:
    """What ``cxroi fit pilot`` prints and writes: the effect, the parameter it scales (``path``), the change
    (``updates``, empty without an intervention and a parameter), a double-counting warning and the summary."""

    result: Effect
    intervention: str | None
    path: str | None
    updates: list[InputUpdate]
    warning: str | None
    summary: dict


def pilot_arms(frame: pd.DataFrame, measure: str) -> tuple[Arm, Arm, tuple[str, str]]:
    """(treated, control, where) from a pilot table: an 'arm' column (treated / control) and the measure's columns."""
    from sim.fit.checks import missing_columns, row_number

    _, exposure, events, _ = KINDS[measure]
    problems = missing_columns(frame, ["arm", exposure, events])
    if problems:
        raise ScenarioError(problems)
    arms = frame["arm"].astype(str).str.strip().str.lower()
    found = {}
    for name in ("treated", "control"):
        rows = [int(i) for i in (arms == name).to_numpy().nonzero()[0]]
        if len(rows) != 1:
            raise ScenarioError([Problem("column 'arm'", f"needs exactly one '{name}' row, found {len(rows)}")])
        row = rows[0]
        values = []
        for column in (events, exposure):
            value = pd.to_numeric(frame[column].iloc[row], errors="coerce")
            if pd.isna(value):
                raise ScenarioError([Problem(f"row {row_number(row)}, column '{column}'",
                                             f"cannot read '{frame[column].iloc[row]}' as a number")])
            values.append(float(value))
        found[name] = (Arm(*values), f"row {row_number(row)}")
    return found["treated"][0], found["control"][0], (found["treated"][1], found["control"][1])


def pilot_report(
    measure: str,
    treated: Arm,
    control: Arm,
    *,
    prior: tuple[float, float] | None = None,
    where: tuple[str, str] = ("--treated", "--control"),
    evidence: str = "",
    label: str = "pilot",
    segment: str | None = None,
    intervention: str | None = None,
    path: str | None = None,
    scenario: dict | None = None,
    into: str | None = None,
) -> PilotReport:
    """The pilot's effect and the change it becomes: ``interventions.<intervention>.changes`` scaling ``path``
    (default: the segment's churn key in ``scenario``, experience.bad or purchases).

    ``evidence`` says where the arms came from (a file, or the options' text) in the written source; ``where``
    locates each arm in problems. ``scenario`` is the parsed target (None when there is none or it cannot be read),
    ``into`` its name.
    """
    result = pilot_effect(measure, treated, control, prior, where=where)
    source = (f"cxroi fit pilot ({label}: {evidence}): {result.name} {result.median:.3g} "
              f"(95 % {result.low:.3g} to {result.high:.3g}), {result.method}; prior {prior_words(measure, prior)}")
    path = path or (change_path(measure, segment, scenario) if segment else None)
    updates = []
    if intervention and path:
        updates = [InputUpdate(f"interventions.{intervention}.changes[+]",
                               {"path": path, "scale": result.scale_spec(source), "source": f"cxroi fit pilot ({label}: {evidence})"},
                               f"from {label}")]
    warning = double_counting(scenario, intervention, measure, segment) if into else None
    summary = {
        "measure": measure, "effect": result.name, "method": result.method,
        "treated_posterior": result.treated.describe(), "control_posterior": result.control.describe(),
        "median": result.median, "mean": result.mean if math.isfinite(result.mean) else None,
        **({} if math.isfinite(result.mean) else {"mean_note": (
            "no mean: with so few control events the control posterior's first parameter is 1 or less, so "
            "treated / control has an infinite mean; read the median and the interval")}),
        "interval_95": [result.low, result.high],
        "prob_effect_below_1": result.prob_below_one, "scale": result.scale_spec(source),
        "change_path": path, "written_into": str(into) if into else None, "warning": warning,
    }
    return PilotReport(result, intervention, path, updates, warning, summary)


def change_path(measure: str, segment: str, scenario: dict | None) -> str:
    """The parameter the pilot's effect scales: the segment's churn key, experience.bad or purchases."""
    if measure == "bad":
        return f"segments.{segment}.experience.bad"
    if measure == "purchases":
        return f"segments.{segment}.purchases"
    keys = (scenario or {}).get("segments", {}).get(segment, {})
    for key in ("churn", "monthly_churn", "annual_churn"):
        if key in keys:
            return f"segments.{segment}.{key}"
    return f"segments.{segment}.monthly_churn"


def double_counting(scenario: dict | None, intervention: str | None, measure: str, segment: str | None) -> str | None:
    """A warning when a pilot's total effect on churn or buying joins changes that reach it through experiences."""
    if measure == "bad" or not intervention or scenario is None:
        return None
    changes = scenario.get("interventions", {}).get(intervention, {}).get("changes", [])
    through = [c.get("path", "") for c in changes if f".{segment}.experience." in c.get("path", "")]
    if not through:
        return None
    return (f"Note: the pilot measured the whole effect on {measure}, which includes what {intervention} does through "
            f"{', '.join(through)}; keep those changes only if the pilot's effect is on top of them, or it is counted twice.")


def prior_words(measure: str, prior: tuple[float, float] | None) -> str:
    """The prior in words, e.g. 'Beta(0.5, 0.5) (Jeffreys)'."""
    kind = KINDS[measure][0]
    a, b = prior or PRIORS[kind]
    return Posterior(kind, a, b).describe() + (" (Jeffreys)" if prior is None else "")
