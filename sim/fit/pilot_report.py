"""``cxroi fit pilot`` as a library call: a pilot's result as the intervention's change, with its source.

:func:`pilot_arms` reads the two arms from a pilot table; :func:`pilot_report`
gives the posterior effect (:func:`sim.fit.pilot.pilot_effect`), the change it
becomes in the scenario (the intervention's ``scale`` of the parameter the
pilot measured), a warning when the scenario already reaches that parameter
through experiences, and the ``--json`` summary.

A pilot table has one row per arm (its totals) or many (a row per customer,
site or week: each arm is their sum), optionally with an ``enrolled`` column
(a date, or a number such as the week) saying when each row joined the pilot;
:func:`pilot_rows` keeps them, for the model review's holdout and predictive
check (:mod:`sim.fit.pilot_review`). With ``--measure purchases`` and more than
one row in each arm, each arm's rows are fitted as negative binomial counts
(:func:`arm_dispersion`, :func:`sim.fit.pilot.negative_binomial`), which widens
the rate ratio's interval by how much customers' rates differ; from totals there
is no spread to estimate, and the summary says the interval assumes one rate.

Churn in a segment whose customers differ (a ``churn_mix``: churn per period q ~ Beta(alpha, beta), as
``fit customers`` writes it). The pilot estimates x, the risk ratio treated / control of churning within the
pilot's periods; as for a churn key it is taken as the ratio of every customer's churn per period. No Beta
parameter scales every q by x exactly (q is at most 1), but for small churn Beta(alpha, beta) is close to
Gamma(shape alpha, rate beta) (q = G / (G + H) with H ~ Gamma(beta) near beta), and x G ~ Gamma(alpha,
beta / x): the scale 1 / x of ``churn_mix.beta`` keeps the spread (alpha) and scales each customer's churn by
about x, the device of ``purchase_mix.rate`` (exact for Gammas, and survivors stay Gammas: the hazard after t
periods is x alpha / (beta + x t) either way). Its error, closed form: the first period's mean churn is
x alpha / (x alpha + beta) against x alpha / (alpha + beta), so the change it makes is
beta / (x alpha + beta) of the change x intends, short by x alpha / (x alpha + beta) -- about the treated
mean churn (:func:`churn_mix_shortfall`). On the sample company (retail alpha 0.784, beta 13.14, mean 5.6 %
a month) that is 2.9 % of the effect at x = 0.5, 5.6 % at x = 1, 8.2 % at x = 1.5 in the first month;
over the 36-month horizon the effect on customer-months (survival against E[(1 - x q)^t] by quadrature) is
2.1-2.3 % short for any x in 0.5-1.5. Beyond 2 % the fit says so. A second, larger gap lies in what the
pilot measures: when customers differ, those likely to churn leave early in both arms, so a risk ratio
over several periods lies nearer 1 than the per-period ratio (retail, per-customer ratio 0.5 for 6
months: risk ratio 0.570; 1.5: 1.33), and the written effect is on the small side; undoing that needs the
pilot's periods and its customers' tenures, which the table does not give.
"""

from __future__ import annotations

import math

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError, UsageError
from sim.fit.pilot import KINDS, PRIORS, Arm, Dispersion, Effect, Posterior, negative_binomial, pilot_effect
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
    arms: tuple[Arm, Arm] | None = None
    """(treated, control) totals."""
    prior: tuple[float, float] | None = None
    """The prior given (None: Jeffreys')."""
    rows: pd.DataFrame | None = None
    """The table's rows (:func:`pilot_rows`), None when the arms came as totals from the options."""
    note: str | None = None
    """What the terminal says of an approximate change (a churn_mix's beta: :func:`churn_mix_note`)."""
    review_path: str = ""
    """What the model review calls the input: ``interventions.NAME.changes[i]`` (the index the change has, or will
    have, in the scenario; ``[+]`` without one), or ``pilot.MEASURE`` when the effect becomes no change."""


ENROLLED = "enrolled"
"""Optional column of a pilot table: when the row's customers joined the pilot (a date, or a number such as a week)."""
ARMS = ("treated", "control")
SHOWN = 5
"""Problems shown of a pilot table's rows (the rest are counted)."""


def pilot_rows(frame: pd.DataFrame, measure: str, today=None) -> pd.DataFrame:
    """A pilot table's rows, checked: ``arm`` (treated / control), ``events``, ``exposure``, ``enrolled`` (numbers or
    dates; NaN without the column) and ``row`` (its line in the file, for problems).

    One row per arm is the arms' totals; more are summed (:func:`pilot_arms`). Every row but an empty one (a
    customer with no contacts) is checked as an arm is (:func:`sim.fit.pilot.check_arm`), one line per problem
    (the first :data:`SHOWN`, then how many more), raised together. An enrolment date after ``today`` (the caller's
    clock; None checks nothing) is a typing mistake that would put its row last, and is refused."""
    from sim.fit.checks import missing_columns, row_number
    from sim.fit.pilot import check_arm

    _, exposure, events, _ = KINDS[measure]
    problems = missing_columns(frame, ["arm", exposure, events])
    if problems:
        raise ScenarioError(problems)
    arms = frame["arm"].astype(str).str.strip().str.lower()
    for index, name in enumerate(arms):
        if name not in ARMS:
            raise ScenarioError([Problem(f"row {row_number(index)}, column 'arm'",
                                         f"'{frame['arm'].iloc[index]}' is not allowed: must be treated or control")])
    for name in ARMS:
        if not (arms == name).any():
            raise ScenarioError([Problem("column 'arm'", f"needs a '{name}' row, found none")])
    values = {}
    for column in (events, exposure):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna().to_numpy().nonzero()[0]
        if bad.size:
            row = int(bad[0])
            raise ScenarioError([Problem(f"row {row_number(row)}, column '{column}'",
                                         f"cannot read '{frame[column].iloc[row]}' as a number")])
        values[column] = numbers.to_numpy(float)
    rows = pd.DataFrame({"arm": arms.to_numpy(), "events": values[events], "exposure": values[exposure],
                         "enrolled": _enrolled(frame, today) if ENROLLED in frame else float("nan"),
                         "row": [row_number(i) for i in range(len(frame))]})
    problems = [p for r in rows.itertuples() if r.exposure != 0 or r.events != 0  # a customer with no contacts is fine
                for p in check_arm(measure, Arm(r.events, r.exposure), f"row {r.row}")]
    if problems:
        more = [Problem("", f"and {len(problems) - SHOWN} more problems in other rows")] if len(problems) > SHOWN else []
        raise ScenarioError(problems[:SHOWN] + more)
    return rows


def _enrolled(frame: pd.DataFrame, today=None):
    """The ``enrolled`` column: numbers as they are, else ISO 8601 dates (datetime64), none after ``today``."""
    from sim.fit.checks import data_end, row_number

    column = frame[ENROLLED]
    empty = np.flatnonzero((column.isna() | (column.astype(str).str.strip() == "")).to_numpy())
    if empty.size:
        raise ScenarioError([Problem(f"row {row_number(int(empty[0]))}, column '{ENROLLED}'",
                                     "empty: every row needs the day (or number) it enrolled")])
    numbers = pd.to_numeric(column, errors="coerce")
    if not numbers.isna().any():
        bad = np.flatnonzero(~np.isfinite(numbers.to_numpy(float)))
        if bad.size:
            raise ScenarioError([Problem(f"row {row_number(int(bad[0]))}, column '{ENROLLED}'",
                                         f"{column.iloc[int(bad[0])]} is not allowed: must be a finite number or a date")])
        return numbers.to_numpy(float)
    dates = pd.to_datetime(column.astype(str).str.strip(), format="ISO8601", errors="coerce")
    bad = dates.isna().to_numpy().nonzero()[0]
    if bad.size:
        row = int(bad[0])
        raise ScenarioError([Problem(f"row {row_number(row)}, column '{ENROLLED}'",
                                     f"cannot read '{column.iloc[row]}' as a date (ISO 8601, e.g. 2026-03-02) or a number")])
    data_end({ENROLLED: dates}, today, "correct the date")
    return dates.to_numpy()


def pilot_arms(frame: pd.DataFrame, measure: str) -> tuple[Arm, Arm, tuple[str, str]]:
    """(treated, control, where) from a pilot table: an 'arm' column (treated / control), the measure's columns
    and optionally ``enrolled`` (:func:`pilot_rows`, :func:`arm_totals`)."""
    return arm_totals(pilot_rows(frame, measure))


def arm_totals(rows: pd.DataFrame) -> tuple[Arm, Arm, tuple[str, str]]:
    """(treated, control, where) from a pilot's rows: each arm is its rows' sum, located by its row ('row 2') or
    rows ('rows 2 to 301') in problems."""
    found = []
    for name in ARMS:
        mine = rows[rows["arm"] == name]
        lines = mine["row"].tolist()
        found.append((Arm(float(mine["events"].sum()), float(mine["exposure"].sum())),
                      f"row {lines[0]}" if len(lines) == 1 else f"rows {lines[0]} to {lines[-1]}"))
    return found[0][0], found[1][0], (found[0][1], found[1][1])


ONE_RATE = ("the interval assumes every customer buys at one rate: an arm came as its totals, from which how much "
            "customers' rates differ cannot be estimated, so it is too narrow if they differ (a table with a row per "
            "customer lets the fit widen it)")
"""What the summary and the terminal say of a purchase rate ratio from totals."""


def arm_dispersion(measure: str, rows: pd.DataFrame | None) -> tuple[Dispersion, Dispersion] | None:
    """Each arm's rows as negative binomial counts (:func:`sim.fit.pilot.negative_binomial`) for ``--measure
    purchases`` when both arms have more than one row; None otherwise (proportions, totals)."""
    if measure != "purchases" or rows is None or rows["arm"].value_counts().reindex(list(ARMS), fill_value=0).min() < 2:
        return None
    found = []
    for name in ARMS:
        mine = rows[rows["arm"] == name]
        found.append(negative_binomial(mine["events"].to_numpy(float), mine["exposure"].to_numpy(float)))
    return found[0], found[1]


def dispersion_summary(result: Effect) -> dict:
    """The summary's ``overdispersion`` of a purchase rate ratio: each arm's fit, or why there is none."""
    if result.dispersion is None:
        return {"overdispersion": None, "interval_note": ONE_RATE}
    arms = {name: {"rows": d.rows, "rate": d.rate, "alpha": d.alpha, "gamma_shape": 1 / d.alpha if d.alpha > 0 else None,
                   "variance_factor": d.factor, "effective_purchases": d.arm.events,
                   "effective_customer_periods": d.arm.exposure}
            for name, d in zip(ARMS, result.dispersion)}
    return {"overdispersion": {"method": "negative binomial (NB2) per arm by maximum likelihood, exposure "
                                         "customer_periods (Lawless 1987)", **arms}}


def dispersion_words(result: Effect) -> str:
    """A sentence on how customers' rates widen the interval (or that it assumes one rate); '' for proportions."""
    if result.measure != "purchases":
        return ""
    if result.dispersion is None:
        return ONE_RATE[0].upper() + ONE_RATE[1:]
    if all(d.alpha == 0 for d in result.dispersion):
        return ("customers' rates differ no more than one Poisson rate per arm allows (negative binomial per arm: "
                "alpha 0), so the interval is the gamma-Poisson one")
    parts = [f"{name} alpha {d.alpha:.3g}, a total {d.factor:.2f} times as variable as Poisson"
             for name, d in zip(ARMS, result.dispersion)]
    return ("customers' rates differ (negative binomial per arm, alpha = 1 / the Gamma shape of their rates: "
            + "; ".join(parts) + "), which the interval includes")


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
    rows: pd.DataFrame | None = None,
) -> PilotReport:
    """The pilot's effect and the change it becomes: ``interventions.<intervention>.changes`` scaling ``path``
    (default: the segment's churn key in ``scenario``, experience.bad or purchases).

    ``evidence`` says where the arms came from (a file, or the options' text) in the written source; ``where``
    locates each arm in problems. ``scenario`` is the parsed target (None when there is none or it cannot be read),
    ``into`` its name; ``rows`` the table's rows (:func:`pilot_arms`), kept for the review.
    """
    result = pilot_effect(measure, treated, control, prior, where=where, dispersion=arm_dispersion(measure, rows))
    source = (f"cxroi fit pilot ({label}: {evidence}): {result.name} {result.median:.3g} "
              f"(95 % {result.low:.3g} to {result.high:.3g}), {result.method}; prior {prior_words(measure, prior)}")
    if measure == "purchases" and result.dispersion is not None:
        source += "; negative binomial alpha (1 / Gamma shape of customers' rates) " + ", ".join(
            f"{name} {d.alpha:.3g}" for name, d in zip(ARMS, result.dispersion))
    elif measure == "purchases":
        source += "; assumes every customer buys at one rate (the arms came as totals)"
    path = path or (change_path(measure, segment, scenario) if segment else None)
    inverse = scales_inversely(measure, path)
    if inverse and measure == "churn":
        source += (f"; written as 1 / the ratio on {path}, which scales every customer's churn per period by about "
                   f"the ratio (Beta(alpha, beta) near Gamma(alpha, rate beta) for small churn)")
    elif inverse:
        source += (f"; written as 1 / the ratio on {path}, which scales every customer's purchase rate by the ratio "
                   f"(a Gamma mix's rate is per unit of time)")
    scale = result.scale_spec(source, inverse=inverse)
    updates = []
    if intervention and path:
        updates = [InputUpdate(f"interventions.{intervention}.changes[+]",
                               {"path": path, "scale": scale, "source": f"cxroi fit pilot ({label}: {evidence})"},
                               f"from {label}")]
    warning = double_counting(scenario, intervention, measure, segment) if into else None
    note = churn_mix_note(scenario, path, result.median) if inverse and measure == "churn" else None
    summary = {
        "measure": measure, "effect": result.name, "method": result.method,
        "treated_posterior": result.treated.describe(), "control_posterior": result.control.describe(),
        "median": result.median, "mean": result.mean if math.isfinite(result.mean) else None,
        **({} if math.isfinite(result.mean) else {"mean_note": (
            "no mean: with so few control events the control posterior's first parameter is 1 or less, so "
            "treated / control has an infinite mean; read the median and the interval")}),
        "interval_95": [result.low, result.high],
        "prob_effect_below_1": result.prob_below_one,
        **(dispersion_summary(result) if measure == "purchases" else {}), "scale": scale,
        "change_path": path, "written_into": str(into) if into else None, "warning": warning,
        **({"approximation_note": note} if note else {}),
    }
    review_path = f"interventions.{intervention}.changes[{change_index(scenario, intervention, path)}]" \
        if intervention and path else f"pilot.{measure}"
    return PilotReport(result, intervention, path, updates, warning, summary, (treated, control), prior, rows, note,
                       review_path)


def change_index(scenario: dict | None, intervention: str, path: str) -> str:
    """Where the change of ``path`` is, or will go, among the intervention's changes (replacing the one of the same
    parameter, else at the end): its index as text, or '+' without a scenario."""
    if scenario is None:
        return "+"
    changes = (scenario.get("interventions", {}).get(intervention) or {}).get("changes", [])
    for index, change in enumerate(changes):
        if change.get("path") == path:
            return str(index)
    return str(len(changes))


def change_path(measure: str, segment: str, scenario: dict | None) -> str:
    """The parameter the pilot's effect scales: the segment's churn key, experience.bad, or purchases (its
    ``purchase_mix.rate`` when purchase rates differ between customers, its ``churn_mix.beta`` when churn does:
    :func:`scales_inversely`).

    A segment whose customers leave only by dropping out (a ``dropout_mix`` without a churn key) has no churn a
    pilot sees: a UsageError says what to do instead, before anything is written."""
    keys = (scenario or {}).get("segments", {}).get(segment, {})
    if measure == "bad":
        return f"segments.{segment}.experience.bad"
    if measure == "purchases":
        return f"segments.{segment}.purchase_mix.rate" if "purchase_mix" in keys else f"segments.{segment}.purchases"
    for key in ("churn", "monthly_churn", "annual_churn"):
        if key in keys:
            return f"segments.{segment}.{key}"
    if "churn_mix" in keys:
        return f"segments.{segment}.churn_mix.beta"
    if "dropout_mix" in keys:
        raise UsageError(f"--measure churn: segments.{segment} has no churn to scale: its customers leave by dropping "
                         f"out (dropout_mix, BG/NBD), which no pilot observes (a dropout shows only as purchases that "
                         f"stop); measure purchases instead (--measure purchases)")
    return f"segments.{segment}.monthly_churn"


def scales_inversely(measure: str, path: str | None) -> bool:
    """Whether the pilot's ratio is written as 1 / ratio: a purchase rate ratio on a ``purchase_mix.rate`` (rates
    ~ Gamma(shape, rate), so scaling the rate by 1 / x scales every customer's purchase rate by x), a churn risk
    ratio on a ``churn_mix.beta`` (churn ~ Beta(alpha, beta), near Gamma(alpha, rate beta): by about x; module
    docstring)."""
    if path is None:
        return False
    return (measure == "purchases" and path.endswith(".purchase_mix.rate")) or (
        measure == "churn" and path.endswith(".churn_mix.beta"))


CHURN_MIX_TOLERANCE = 0.02
"""Share of the effect a churn_mix.beta change may fall short by before the fit says so."""


def churn_mix_shortfall(ratio: float, alpha: float, beta: float) -> float:
    """The share of a churn risk ratio's effect that the scale 1 / ratio of ``churn_mix.beta`` leaves out in the
    first period: its mean churn ratio - 1 is beta / (x alpha + beta) of x - 1, short by x alpha / (x alpha + beta)."""
    return ratio * alpha / (ratio * alpha + beta)


def churn_mix_note(scenario: dict | None, path: str, ratio: float) -> str | None:
    """A sentence when the scale 1 / ``ratio`` of ``path`` (a churn_mix's beta) falls more than
    :data:`CHURN_MIX_TOLERANCE` of the effect short in the first period, at the mix's base alpha and beta; None
    when it does not, or the scenario's mix cannot be read."""
    segment = path.split(".")[1]
    mix = ((scenario or {}).get("segments", {}).get(segment, {}) or {}).get("churn_mix", {})
    alpha, beta = (_base(mix.get(key)) for key in ("alpha", "beta"))
    if alpha is None or beta is None or alpha <= 0 or beta <= 0 or not math.isfinite(ratio):
        return None
    short = churn_mix_shortfall(ratio, alpha, beta)
    if short <= CHURN_MIX_TOLERANCE:
        return None
    return (f"Note: scaling {path} by 1 / {ratio:.3g} scales each customer's churn by about {ratio:.3g}: at alpha "
            f"{alpha:.3g}, beta {beta:.3g} (mean churn {alpha / (alpha + beta):.3g} a period) the first period's "
            f"change in churn is {100 * short:.1f} % smaller than the ratio's (x alpha / (x alpha + beta); less later, as "
            f"the survivors' churn falls); and a risk "
            f"ratio over several periods is nearer 1 than the per-period ratio when customers differ "
            f"(docs/fitting.md#fit-pilot)")


def _base(value) -> float | None:
    """A parameter's base value as written in a scenario (a number or a distribution: the model's own reading,
    :meth:`sim.model.distributions.Uncertain.base`); None when it cannot be read."""
    from sim.model.distributions import parse

    try:
        return float(parse(value).base)
    except Exception:  # noqa: BLE001 (a scenario the load would refuse: no note, the load says what is wrong)
        return None


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
