"""The model review of ``cxroi fit pilot``: how far a pilot's effect can be trusted, in the other fits' form.

A pilot's effect is one input (the intervention's ``scale`` of the parameter it
measured), reviewed by the four checks of :mod:`sim.fit.review`:

* **holdout** -- the pilot's rows split in two halves: by enrolment (the rows
  enrolled before the day that splits the pilot's exposure in half, against
  those from it on) when the table has an ``enrolled`` column, else each arm's
  rows at random (seed :data:`SEED`). The effect fitted on the first half and
  the second half's control arm predict the second half's treated events; a
  pilot whose effect drifted, or whose halves differ, misses. Judged by
  :func:`sim.fit.review.holdout_check`; the standard error is the treated
  events' own noise (binomial or Poisson) and, on the log scale, the first
  half's effect and the second half's control rate (their posteriors' sd).
  Purchases from rows are negative binomial (:func:`sim.fit.pilot_report.arm_dispersion`): each half's arms
  are fitted as such, and the treated events' noise is the negative binomial's, ``mu + alpha mu^2`` per row
  with the first half's treated ``alpha``.
* **predictive** -- each arm's rows against the fitted model, one rate per arm:
  the events per row (rows in enrolment order, else a random order, pooled to
  :data:`sim.fit.review.MIN_EXPECTED` expected events and non-events) against
  the arm's rate times the row's exposure, Pearson's chi-square with binomial
  (or Poisson) variance and two parameters, judged by
  :func:`sim.fit.review.predictive_check`. Batches (sites, weeks) or customers
  whose rates differ more than the model allows make its interval too narrow.
  Purchases from rows are tested against each arm's negative binomial fit instead (its rate, a row's variance
  ``mu + alpha mu^2``, four parameters): customers whose rates differ as a Gamma mix pass, rows that drift
  with enrolment or spread otherwise still fail.
* **estimate** -- the effect's 95 % interval (degenerate, or spanning more than
  a factor of 100: :func:`sim.fit.review.estimate_check`); an arm with no events
  (or, for a proportion, only events), whose rate sits at the edge of what it
  allows; and a prior weighing more than :data:`PRIOR_DOMINATES` of an arm's
  information, so that it, not the pilot, sets the effect.
* **designs** -- n/a: a randomised comparison needs no causal design.

A pilot given as totals (one row per arm, or ``--treated``/``--control``) has no
halves and no spread within an arm: its holdout and predictive check are n/a,
with why.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
from scipy.special import polygamma

from sim.fit.pilot import KINDS, Arm, Effect, Posterior, effect, posterior
from sim.fit.pilot_report import ARMS, arm_dispersion, prior_words
from sim.fit.review import (
    MIN_EXPECTED,
    NA,
    OK,
    WARN,
    Check,
    InputReview,
    Review,
    combined,
    estimate_check,
    fit_words,
    holdout_check,
    pool_adjacent,
    predictive_check,
)

SEED = 20_151
"""The random halves (and the random order of rows for the predictive check) without enrolment dates."""
COUNT_CELLS = 100
"""Rows by number of purchases: one cell per count up to this many, else this many quantiles of the counts."""
PRIOR_DOMINATES = 0.5
"""A prior weighing more than this share of an arm's information sets the effect instead of the pilot."""
RANDOMISED = Check(NA, "a randomised comparison: the arms differ only by the intervention, so no causal design is needed")
TOTALS = ("a table with a row per customer, site or week (and an 'enrolled' column) allows it")


def review_pilot(report, fit: str) -> Review:
    """The review of ``cxroi fit pilot`` (a :class:`sim.fit.pilot_report.PilotReport`): its one input, the effect."""
    result = report.result
    checks = {"holdout": pilot_holdout(result.measure, report.rows, report.prior),
              "predictive": pilot_predictive(result.measure, report.rows, result.dispersion),
              "estimate": pilot_estimate(result, report.arms, report.prior),
              "designs": RANDOMISED}
    return Review(fit, (InputReview(report.review_path, checks),))


def pilot_fit_words(table: str | None, evidence: str, today: date | None = None) -> str:
    """What the review says was fitted: 'cxroi fit pilot on pilot.csv, fitted ...' or, from the options,
    'cxroi fit pilot on treated 40/500, control 60/500, fitted ...'."""
    if table:
        return fit_words("pilot", [table], today)
    return f"cxroi fit pilot on {evidence}, fitted {today or date.today():%Y-%m-%d}"


# --- holdout ---------------------------------------------------------------------------------------------------------


def totals(rows: pd.DataFrame) -> tuple[Arm, Arm]:
    """(treated, control): each arm's events and exposure summed over ``rows``."""
    found = []
    for name in ARMS:
        mine = rows[rows["arm"] == name]
        found.append(Arm(float(mine["events"].sum()), float(mine["exposure"].sum())))
    return found[0], found[1]


def _has_enrolled(rows: pd.DataFrame) -> bool:
    return bool(pd.notna(rows["enrolled"]).all())


def _when(value) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}" if isinstance(value, (np.datetime64, pd.Timestamp)) else f"{value:g}"


def halves(rows: pd.DataFrame):
    """(first, second, how the first was chosen, how the second, the second again as seen from the first) -- the
    pilot's rows in two halves, the first to fit and the second to predict -- or a sentence saying why they cannot
    be split."""
    if rows["arm"].value_counts().reindex(list(ARMS), fill_value=0).min() < 2:
        return f"each arm is one row (its totals), which cannot be split in halves; {TOTALS}"
    if _has_enrolled(rows):
        enrolled = rows["enrolled"].to_numpy()
        values = np.unique(enrolled)
        if values.size < 2:
            return "every row enrolled at the same time, so the pilot has no earlier and later half"
        exposure = rows["exposure"].to_numpy(float)
        before = np.array([exposure[enrolled < v].sum() for v in values[1:]])
        split = values[1:][int(np.argmin(np.abs(before - exposure.sum() / 2)))]
        early = enrolled < split
        first, second = rows[early], rows[~early]
        how = (f"enrolled before {_when(split)}", f"enrolled from {_when(split)} on", f"enrolled from {_when(split)} on")
    else:
        rng = np.random.default_rng(SEED)
        pick = np.zeros(len(rows), bool)
        for name in ARMS:
            index = np.flatnonzero((rows["arm"] == name).to_numpy())
            pick[rng.permutation(index)[: index.size // 2]] = True
        first, second = rows[pick], rows[~pick]
        how = ("in the other half", f"in a random half of each arm's rows (seed {SEED})", "in the same half")
    for half in (first, second):
        if min(arm.exposure for arm in totals(half)) <= 0:
            return f"an arm has no exposure {how[0 if half is first else 1]}, so the halves cannot be compared"
    return first, second, *how


def log_variance(post: Posterior) -> float:
    """Variance of the log of a Beta or Gamma posterior's rate (trigamma; :func:`sim.fit.pilot._log_moments`)."""
    if post.kind == "proportion":
        return float(polygamma(1, post.a) - polygamma(1, post.a + post.b))
    return float(polygamma(1, post.a))


def pilot_holdout(measure: str, rows: pd.DataFrame | None, prior=None) -> Check:
    """The second half's treated events predicted by the first half's effect and the second half's control arm
    (:func:`halves`), against what happened (:func:`sim.fit.review.holdout_check`)."""
    if rows is None:
        return Check(NA, f"the arms came as totals (--treated, --control), which cannot be split in halves; {TOTALS}")
    split = halves(rows)
    if isinstance(split, str):
        return Check(NA, split)
    first, second, how_first, how_second, same = split
    kind, exposure_name, events_name, _ = KINDS[measure]
    early = arm_dispersion(measure, first)
    fitted = effect(measure, *totals(first), prior, dispersion=early)
    treated, control_arm = totals(second)
    late = arm_dispersion(measure, second)
    control = posterior(kind, late[1].arm if late else control_arm, prior)
    ratio = math.exp(fitted.log_mean + fitted.log_sd ** 2 / 2)  # the lognormal's mean of the effect
    rate = float(control.frozen.mean()) * ratio
    if kind == "proportion":
        rate = min(rate, 1.0)
    predicted = treated.exposure * rate
    noise = predicted * (1.0 - rate if kind == "proportion" else 1.0)
    if early is not None:  # negative binomial rows: mu + alpha mu^2 each
        exposure = second.loc[second["arm"] == ARMS[0], "exposure"].to_numpy(float)
        noise = predicted + early[0].alpha * float(np.sum((rate * exposure) ** 2))
    se = math.sqrt(noise + predicted ** 2 * (log_variance(control) + fitted.log_sd ** 2))
    short = fitted.name.split(" of ")[0]
    what = (f"{events_name} in the treated arm's {treated.exposure:,.0f} {exposure_name.replace('_', '-')} {how_second}, "
            f"predicted by the {short} of those {how_first} ({fitted.median:.3g}) and the control arm's "
            f"{'rate' if kind == 'rate' else 'share'} {same}")
    return holdout_check(what, predicted, treated.events, se)


# --- predictive ------------------------------------------------------------------------------------------------------


def _pooled_rows(events: np.ndarray, exposure: np.ndarray, rate: float, proportion: bool):
    """Adjacent rows summed until each cell expects :data:`MIN_EXPECTED` events (and, for a proportion, non-events);
    a short last one joins the one before. (observed events, exposure) per cell."""
    found = pool_adjacent(np.column_stack([events, exposure]), lambda cell: cell[1] * rate >= MIN_EXPECTED and (
        not proportion or cell[1] * (1.0 - rate) >= MIN_EXPECTED))
    return found[:, 0], found[:, 1]


def pilot_predictive(measure: str, rows: pd.DataFrame | None, dispersion=None) -> Check:
    """Each arm's events per row (pooled cells) against one rate per arm (:func:`sim.fit.review.predictive_check`),
    or against each arm's negative binomial fit that the effect used (``dispersion``: purchases from rows)."""
    if rows is None:
        return Check(NA, f"the arms came as totals (--treated, --control): there is no spread within an arm to test; "
                         f"{TOTALS}")
    if rows["arm"].value_counts().reindex(list(ARMS), fill_value=0).min() < 2:
        return Check(NA, f"each arm is one row (its totals): there is no spread within an arm to test; {TOTALS}")
    kind, _, events_name, _ = KINDS[measure]
    proportion = kind == "proportion"
    if _has_enrolled(rows):
        ordered, order = rows.sort_values("enrolled", kind="stable"), "in enrolment order"
    else:
        ordered, order = rows.iloc[np.random.default_rng(SEED).permutation(len(rows))], f"in a random order (seed {SEED})"
    observed, expected, variance, gaps = [], [], [], []
    for index, name in enumerate(ARMS):
        mine = ordered[ordered["arm"] == name]
        if dispersion is None:
            rate = float(mine["events"].sum() / mine["exposure"].sum())
            o, n = _pooled_rows(mine["events"].to_numpy(float), mine["exposure"].to_numpy(float), rate, proportion)
            spread = np.zeros_like(n)
        else:
            rate, alpha = dispersion[index].rate, dispersion[index].alpha
            exposure = mine["exposure"].to_numpy(float)
            found = pool_adjacent(np.column_stack([mine["events"].to_numpy(float), exposure, alpha * (rate * exposure) ** 2]),
                                  lambda cell: cell[1] * rate >= MIN_EXPECTED)
            o, n, spread = found[:, 0], found[:, 1], found[:, 2]
        e = n * rate
        observed.append(o)
        expected.append(e)
        variance.append(e * (1.0 - rate) if proportion else e + spread)
        gaps.append(np.abs(o / n - rate) * 100.0 if proportion else np.abs(o / np.maximum(e, 1e-300) - 1.0) * 100.0)
    gap = float(np.max(np.concatenate(gaps)))
    what = (f"{events_name} per row of each arm ({order}, pooled to {MIN_EXPECTED:g} expected) against one "
            f"{'share' if proportion else 'rate'} per arm" if dispersion is None else
            f"{events_name} per row of each arm ({order}, pooled to {MIN_EXPECTED:g} expected) against each arm's "
            f"negative binomial fit (one mean rate per arm, customers' rates differing as its alpha says)")
    rows_check = predictive_check(what, np.concatenate(observed), np.concatenate(expected), 2 if dispersion is None else 4,
                                  gap, np.concatenate(variance),
                                  unit="percentage points" if proportion else "% of the arm's rate")
    if dispersion is None:
        return rows_check
    return combined([rows_check, _counts_check(rows, dispersion, events_name)])


def _counts_check(rows: pd.DataFrame, dispersion, events_name: str) -> Check:
    """Each arm's rows by their number of events (0, 1, 2, ..., pooled to :data:`MIN_EXPECTED` expected rows within
    the arm) against the arm's negative binomial fit, each row's own law over its exposure (mean ``rate * exposure``,
    size ``1 / alpha``; Poisson at ``alpha`` 0): the shape of the spread, which the variance alone does not test
    (a few customers buying a lot and the rest never, say). Two parameters per arm and one total per arm."""
    from scipy import stats

    observed, expected, gaps = [], [], []
    for index, name in enumerate(ARMS):
        mine = rows[(rows["arm"] == name) & (rows["exposure"] > 0)]
        y = mine["events"].to_numpy(float)
        mu = dispersion[index].rate * mine["exposure"].to_numpy(float)
        alpha = dispersion[index].alpha
        y = np.floor(y)
        # cells (-inf, edges[0]], (edges[0], edges[1]], ..., (edges[-1], inf): every count up to the largest, or
        # COUNT_CELLS quantiles of the counts when they run higher (rows of sites or weeks)
        edges = (np.arange(y.max()) if y.max() <= COUNT_CELLS else
                 np.unique(np.floor(np.quantile(y, np.linspace(0, 1, COUNT_CELLS + 1)[1:-1]))))
        if alpha > 0:
            law = stats.nbinom(1.0 / alpha, 1.0 / (1.0 + alpha * mu[:, None]))
        else:
            law = stats.poisson(mu[:, None])
        below = law.cdf(edges[None, :]).sum(axis=0) if edges.size else np.zeros(0)
        e = np.diff(np.concatenate([[0.0], below, [float(y.size)]]))
        o = np.bincount(np.searchsorted(edges, y, side="left"), minlength=edges.size + 1).astype(float)
        found = pool_adjacent(np.column_stack([o, e]), lambda cell: cell[1] >= MIN_EXPECTED)
        observed.append(found[:, 0])
        expected.append(found[:, 1])
        gaps.append(np.abs(found[:, 0] - found[:, 1]) / y.size * 100.0)
    what = (f"rows of each arm by their number of {events_name} (pooled to {MIN_EXPECTED:g} expected) against each "
            f"arm's negative binomial over the rows' own exposure")
    return predictive_check(what, np.concatenate(observed), np.concatenate(expected), 5,
                            float(np.max(np.concatenate(gaps))), unit="percentage points of the arm's rows")


# --- estimate --------------------------------------------------------------------------------------------------------


def prior_weight(kind: str, arm: Arm, prior: tuple[float, float]) -> float:
    """The prior's share of an arm's information: its pseudo-counts against the arm's (a proportion: ``(a + b) /
    (a + b + n)``; a rate: the larger of ``a / (a + events)`` and ``b / (b + exposure)``)."""
    a, b = prior
    if kind == "proportion":
        return (a + b) / (a + b + arm.exposure)
    return max(a / (a + arm.events), b / (b + arm.exposure) if b > 0 else 0.0)


def pilot_estimate(result: Effect, arms: tuple[Arm, Arm], prior=None) -> Check:
    """The effect's interval (:func:`sim.fit.review.estimate_check`), an arm's rate at its edge (no events, or only
    events), and whether the prior outweighs the pilot (:data:`PRIOR_DOMINATES`)."""
    from sim.fit.pilot import PRIORS

    kind, exposure_name, events_name, _ = KINDS[result.measure]
    words = prior_words(result.measure, prior)
    checks = [estimate_check(result.name, result.median, result.low, result.high, positive=True)]
    for name, arm in zip(ARMS, arms):
        if arm.events == 0 or (kind == "proportion" and arm.events == arm.exposure):
            edge, none = ("0", "no") if arm.events == 0 else ("1", "only")
            checks.append(Check(WARN, f"the {name} arm had {none} {events_name.replace('_', '-')}: its "
                                      f"{'share' if kind == 'proportion' else 'rate'} sits at {edge}, the edge of what it "
                                      f"allows, so that side of the effect rests on the prior {words}"))
    weights = [prior_weight(kind, arm, prior or PRIORS[kind]) for arm in arms]
    top = int(np.argmax(weights))
    if weights[top] > PRIOR_DOMINATES:
        checks.append(Check(WARN, f"the prior {words} weighs {weights[top] * 100:.0f} % of the {ARMS[top]} arm's "
                                  f"information against its {arms[top].exposure:,.0f} {exposure_name.replace('_', '-')}: "
                                  f"the prior, not the pilot, sets the effect"))
    else:
        checks.append(Check(OK, f"the prior {words} weighs at most {weights[top] * 100:.1f} % of an arm's information"))
    return combined(checks)
