"""Is a pilot worth running, and how large? Expected value of sample information (EVSI).

A pilot puts ``n`` customers per arm (treated and control, in every segment the
intervention's measured changes act on) under observation for ``m`` periods and
counts what the intervention changes there: bad or good contacts among their
contacts, customers who churn, purchases or contacts. A change of a mix's parameter
(customers who differ, as ``cxroi fit`` writes them: ``purchase_mix.rate`` from
``fit pilot --measure purchases --into``) counts what it acts on, drawn from the
mixed customers' law (:mod:`sim.analyses.pilot_mix`). Its result would update
the decision between doing nothing and the intervention; EVSI is what that
update is worth in money before the pilot is run.

EVSI is estimated from the Monte Carlo draws of one run, without nested
simulation, by the regression method of Strong, Oakley, Brennan & Breeze (2015),
"Estimating the expected value of sample information using the probabilistic
sensitivity analysis sample: a fast, nonparametric regression-based method"
(Medical Decision Making 35:570-583), as implemented in the ``voi`` R package
(Heath, Manolopoulos & Baio 2018 review the family): for every draw, simulate the
pilot's data from that draw's inputs, reduce them to one summary statistic per
measured change (the log ratio of the treated and control rates, or their
difference for an ``add`` change), regress each option's net benefit on the
statistics, and take E[max of the fitted values] - max E[net benefit]. The same
regression on the measured inputs themselves gives their EVPPI, so
EVSI <= EVPPI <= EVPI holds up to Monte Carlo error, and EVSI rises towards
EVPPI as the pilot grows.

The pilot's simulated counts use common random numbers across sizes (one
uniform per draw, arm and measure, turned into a count by its quantile
function), so the EVSI curve over sizes is smooth. Power is given for every
measure the pilot counts (a column ``power_<segment>_<parameter>`` each): the
chance that the pilot's two-sided 5 % test on that measure's log rate ratio
rejects "no effect", averaged over the current uncertainty about the effect
(sometimes called assurance). There is no single "primary" measure: choosing one
by the EVPPI of each change's operand picked the largest of near-zero,
noise-level values whenever no single operand could change the decision alone
(the default scenario's training: 0 to 3 EUR each), so the power shown jumped
with the number of draws (21.5 % or 90.6 % at 750 customers per arm).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import special
from scipy.interpolate import BSpline

from sim.analyses.common import Analysis, context, records, unpack
from sim.analyses.pilot_mix import MIX_MEASURES, mixed_churn, negative_binomial_quantile, purchase_moments
from sim.analyses.voi import conditional_mean, evpi, net_benefits
from sim.errors import UsageError, did_you_mean
from sim.model.inputs import arm_values, churn_per_period
from sim.compute.simulation import run

PILOT_STREAM = 0x9170
"""Seed-sequence key of the pilot's simulated data (apart from every input's stream)."""
DEFAULT_PERIODS = 6
DEFAULT_SIZES = 5
SMALLEST_PILOT = 20
FIXED_COST_SHARE = 0.25
"""Default fixed cost of a pilot: this share of the intervention's one-off cost (set-up at pilot scale)."""
SIGNIFICANCE = 0.05
KNOTS = 4
"""Interior knots per statistic in the multi-statistic regression."""

MEASURES = {
    "bad": ("proportion of contacts", "bad contacts among the arm's contacts", "share of bad contacts"),
    "good": ("proportion of contacts", "good contacts among the arm's contacts", "share of good contacts"),
    "churn": ("proportion of customers", "customers who churned", "share of customers who leave"),
    "monthly_churn": ("proportion of customers", "customers who churned", "share of customers who leave"),
    "annual_churn": ("proportion of customers", "customers who churned", "share of customers who leave"),
    "purchases": ("rate per customer-period", "purchases", "purchases per customer"),
    "contacts": ("rate per customer-period", "support contacts", "support contacts per customer"),
}
"""Parameters a customer pilot can observe: what is counted, per what; what the effect is on, in words.
A mix's parameters count as what they act on (:data:`sim.analyses.pilot_mix.MIX_MEASURES`)."""


def counted(path: str) -> str | None:
    """What a pilot counts of a change of ``path`` (a key of :data:`MEASURES`), None when it counts nothing:
    a segment's parameter named in MEASURES, or a mix's parameter (``segments.retail.purchase_mix.rate``:
    purchases)."""
    steps = path.split(".")
    if steps[0] != "segments" or len(steps) < 3:
        return None
    if steps[-1] in MEASURES:
        return steps[-1]
    return MIX_MEASURES.get(".".join(steps[-2:]))


@dataclass(frozen=True)
class Measure:
    """One intervention change a pilot observes: its operand, the parameter it acts on, the segment."""

    operand: str
    target: str
    operation: str
    segment: str

    @property
    def parameter(self) -> str:
        """What is counted (a key of :data:`MEASURES`): the parameter's name, or what a mix's parameter acts on
        (``purchases`` for ``purchase_mix.rate``)."""
        return counted(self.target)

    @property
    def counts(self) -> str:
        return MEASURES[self.parameter][1]

    @property
    def name(self) -> str:
        """What the effect is on, for a reader ('share of bad contacts'); the segment's label goes beside it."""
        return MEASURES[self.parameter][2]


def power_columns(measures: list[Measure]) -> list[str]:
    """The pilot table's power column of each measure: ``power_<segment>_<parameter>`` (``power_b2b_bad``;
    a mix's parameter by what it acts on: ``power_retail_purchases`` for ``purchase_mix.rate``), with the change's number appended when two changes act on the same parameter of a segment."""
    plain = [f"power_{m.segment}_{m.parameter}" for m in measures]
    return [column if plain.count(column) == 1 else f"{column}_{m.operand.rsplit('[', 1)[1].split(']')[0]}"
            for column, m in zip(plain, measures)]


def measured_changes(scenario, intervention: str) -> list[Measure]:
    """The intervention's changes a customer pilot can observe (experience shares, churn, buying, contacts, and
    the mixes of customers who differ in churn, buying or dropout: :func:`counted`)."""
    if intervention not in scenario.interventions:
        raise UsageError(f"--intervention: no intervention '{intervention}' in the scenario"
                         f"{did_you_mean(intervention, scenario.interventions)} (it has {', '.join(scenario.interventions)})")
    found = []
    for index, change in enumerate(scenario.interventions[intervention].changes):
        if counted(change.path):
            found.append(Measure(f"interventions.{intervention}.changes[{index}].{change.operation}",
                                 change.path, change.operation, change.path.split(".")[1]))
    if not found:
        raise UsageError(
            f"--intervention {intervention}: none of its changes is something a customer pilot counts "
            f"({', '.join(sorted(set(MEASURES)))} of a segment, or its churn_mix, purchase_mix or dropout_mix)")
    return found


def unmeasured_changes(scenario, intervention: str) -> list[str]:
    """The operands of the intervention's changes a customer pilot does not count (a cost per contact, a
    walk-away share, a value per purchase): the pilot learns nothing of them, so what is known stays as it is."""
    changes = scenario.interventions[intervention].changes
    return [f"interventions.{intervention}.changes[{index}].{change.operation}"
            for index, change in enumerate(changes) if not counted(change.path)]


def default_sizes(scenario, measures: list[Measure], count: int = DEFAULT_SIZES) -> list[int]:
    """``count`` sizes per arm, evenly spaced on a log scale up to half the smallest measured segment."""
    largest = int(min(scenario.segments[m.segment].customers.base for m in measures) // 2)
    if largest < 1:
        raise UsageError("--sizes: a segment the pilot would run in has fewer than 2 customers at the start; "
                         "give --sizes for a pilot among new customers")
    smallest = min(SMALLEST_PILOT, largest)
    return sorted({int(round(x)) for x in np.geomspace(smallest, largest, count)})


def check_sizes(scenario, measures: list[Measure], sizes: list[int]) -> None:
    """Each arm must fit in its segment: 2 n customers at most the segment's customers."""
    for segment in dict.fromkeys(m.segment for m in measures):
        customers = scenario.segments[segment].customers.base
        too_big = [n for n in sizes if 2 * n > customers]
        if too_big:
            raise UsageError(f"--sizes: {too_big[0]} customers per arm needs {2 * too_big[0]} customers of segment "
                             f"'{segment}'; it has {customers:g}")


# --- the pilot's data for every draw ------------------------------------------------------


def pilot_counts(scenario, measure: Measure, arm: dict[str, np.ndarray], n: int, periods: int,
                 uniforms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(events, exposure, size) in one arm for every draw: the count a pilot of ``n`` customers sees over
    ``periods``, and the negative binomial size of a purchase count of customers who buy at different rates
    (infinite for a Poisson or binomial count: no overdispersion). Mixes as :mod:`sim.analyses.pilot_mix` says."""
    prefix = f"segments.{measure.segment}"
    segment = scenario.segments[measure.segment]
    kind = MEASURES[measure.parameter][0]
    size = np.full(len(uniforms), np.inf)
    if kind == "proportion of contacts":
        exposure = np.maximum(np.round(n * periods * arm[f"{prefix}.contacts"]), 1.0)
        events = binomial_quantile(uniforms, exposure, np.clip(arm[measure.target], 0.0, 1.0))
    elif kind == "proportion of customers":
        exposure = np.full(len(uniforms), float(n))
        if segment.churn_mix is not None:
            churned = mixed_churn(arm[f"{prefix}.churn_mix.alpha"], arm[f"{prefix}.churn_mix.beta"], periods)
        else:
            per_period = churn_per_period(arm[f"{prefix}.{segment.churn_key}"], segment.churn_key,
                                          scenario.settings.periods_per_year)
            churned = -np.expm1(periods * np.log1p(-np.minimum(per_period, 1.0)))
        events = binomial_quantile(uniforms, exposure, churned)
    elif measure.parameter == "purchases" and segment.purchase_mix is not None:
        exposure = np.full(len(uniforms), float(n * periods))
        dropout = [arm[f"{prefix}.dropout_mix.{key}"] for key in "ab"] if segment.dropout_mix is not None else [None, None]
        mean, variance = purchase_moments(arm[f"{prefix}.purchase_mix.shape"], arm[f"{prefix}.purchase_mix.rate"],
                                          periods, *dropout)
        extra = variance - mean  # n customers: mean and variance n times one's; size = mean^2 / (variance - mean)
        size = np.divide(n * mean**2, extra, out=np.full(len(uniforms), np.inf), where=extra > 0)
        events = negative_binomial_quantile(uniforms, n * mean, size)
    else:
        exposure = np.full(len(uniforms), float(n * periods))
        events = poisson_quantile(uniforms, exposure * arm[measure.target])
    return np.nan_to_num(events), exposure, size


def binomial_quantile(q: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """scipy.stats.binom.ppf without importing scipy.stats (half a second): the least k with P(X <= k) >= q,
    -1 at q = 0 and n at q = 1, NaN where n is not a whole number of 0 or more or p is not a probability.

    A Cornish-Fisher guess, then steps of one with scipy.special's binomial cdf until the least such k
    (tests/analyses/test_pilot.py compares it with scipy.stats on 300,000 draws).
    """
    q, n, p = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(n, dtype=float), np.asarray(p, dtype=float))
    out = np.full(q.shape, np.nan)
    valid = (n >= 0) & (n == np.floor(n)) & (p >= 0) & (p <= 1)
    out[valid & (q == 0)] = -1.0
    out[valid & (q == 1)] = n[valid & (q == 1)]
    inside = valid & (q > 0) & (q < 1)
    q, n, p = q[inside], n[inside], p[inside]
    z = special.ndtri(q)
    with np.errstate(invalid="ignore", divide="ignore"):
        guess = np.floor(n * p + np.sqrt(n * p * (1 - p)) * z + (z * z - 1) * (1 - 2 * p) / 6 - 0.5)
    k = np.clip(np.nan_to_num(guess), 0, n).astype(np.int64)
    n = n.astype(np.int64)
    short = special.bdtr(k, n, p) < q  # up until P(X <= k) >= q (it is 1 at k = n)
    while short.any():
        k[short] += 1
        short[short] = special.bdtr(k[short], n[short], p[short]) < q[short]
    lower = k > 0  # then down while k - 1 would do
    lower[lower] = special.bdtr(k[lower] - 1, n[lower], p[lower]) >= q[lower]
    while lower.any():
        k[lower] -= 1
        lower[lower] = k[lower] > 0
        lower[lower] = special.bdtr(k[lower] - 1, n[lower], p[lower]) >= q[lower]
    out[inside] = k
    return out


def poisson_quantile(q: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """scipy.stats.poisson.ppf without importing scipy.stats: its own steps (scipy.special's pdtrik, then the
    cdf decides between the two whole numbers around it), -1 at q = 0, infinity at q = 1, NaN for mu < 0."""
    q, mu = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(mu, dtype=float))
    out = np.full(q.shape, np.nan)
    valid = mu >= 0
    out[valid & (q == 0)] = -1.0
    out[valid & (q == 1)] = np.inf
    inside = valid & (q > 0) & (q < 1)
    q, mu = q[inside], mu[inside]
    upper = np.ceil(special.pdtrik(q, mu))
    lower = np.maximum(upper - 1, 0)
    out[inside] = np.where(special.pdtr(lower, mu) >= q, lower, upper)
    return out


def log_ratio(treated: tuple, control: tuple, proportion: bool) -> tuple[np.ndarray, np.ndarray]:
    """Log ratio of treated to control rates and its standard error (0.5 added to every count).

    An arm given as (events, exposure, size) with a finite negative binomial ``size`` (customers who buy at
    different rates) adds 1 / size to its count's 1 / events: Var(log X) = Var X / (E X)^2 = 1 / mean + 1 / size.
    The test treats the overdispersion as known (a pilot of customers estimates it from their own counts)."""
    (x1, n1, *k1), (x0, n0, *k0) = treated, control
    estimate = np.log((x1 + 0.5) / (n1 + 0.5)) - np.log((x0 + 0.5) / (n0 + 0.5))
    variance = 1 / (x1 + 0.5) + 1 / (x0 + 0.5) - (1 / (n1 + 0.5) + 1 / (n0 + 0.5) if proportion else 0.0)
    for size in k1 + k0:
        variance = variance + 1 / size
    return estimate, np.sqrt(variance)


# --- regression-based value of information ------------------------------------------------


def regress(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """E[y | x] at every draw: one column by :func:`sim.analyses.voi.conditional_mean`, several
    by least squares on cubic B-splines of each column plus their pairwise products. ``y`` may
    hold several outcomes as columns, fitted at once on the one design."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1 or x.shape[1] == 1:
        return conditional_mean(x.reshape(len(x), -1)[:, 0], y)
    standard = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    columns = [np.ones(len(x))]
    for column in standard.T:
        columns += list(_spline_basis(column).T)
    columns += [a * b for a, b in combinations(standard.T, 2)]
    return least_squares_fit(np.column_stack(columns), y)


GRAM_CONDITION = 1e10
"""Above this condition number of the design's Gram matrix the fit falls back to LAPACK's least squares."""


def least_squares_fit(design: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The least-squares fitted values of ``y`` on ``design``: by the normal equations (Cholesky) where the
    Gram matrix is well conditioned, else by :func:`numpy.linalg.lstsq` (rank-deficient designs too).

    Why not always ``lstsq``: on a tall design (10 000 draws by 16 to 58 columns) LAPACK's SVD solver took
    60-500 ms a call under multithreaded OpenBLAS on a shared 2-core machine, the normal equations 0.2-8 ms;
    a pilot analysis makes one fit per size and per measure. The design here is standardised splines and
    their products (condition number of the Gram matrix at most about 1e5 on the shipped scenarios), so the
    fitted values agree with ``lstsq``'s to about 1e-13 relative.
    """
    from scipy.linalg import cho_factor, cho_solve

    gram = design.T @ design
    if np.all(np.isfinite(gram)) and np.linalg.cond(gram) < GRAM_CONDITION:
        try:
            return design @ cho_solve(cho_factor(gram, check_finite=False), design.T @ y, check_finite=False)
        except np.linalg.LinAlgError:
            pass
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    return design @ coefficients


def _spline_basis(x: np.ndarray) -> np.ndarray:
    low, high = x.min(), x.max()
    if high <= low:
        return np.zeros((len(x), 0))
    interior = np.unique(np.quantile(x, np.linspace(0, 1, KNOTS + 2)[1:-1]))
    interior = interior[(interior > low) & (interior < high)]
    knots = np.concatenate([[low] * 4, interior, [high] * 4])
    return BSpline.design_matrix(np.clip(x, low, high), knots, 3).toarray()[:, 1:]


def value_of_learning(x: np.ndarray, net_benefit: np.ndarray) -> float:
    """E[max over options of E[net benefit | x]] - max over options of E[net benefit], at least 0.

    With ``x`` the inputs themselves this is their EVPPI; with ``x`` the summary
    statistics of a study's data it is the study's EVSI (Strong et al. 2015).
    """
    fitted = regress(x, net_benefit)  # every option's column in one least-squares fit: they share the design
    if np.all(fitted.argmax(axis=1) == fitted.mean(axis=0).argmax()):
        return 0.0  # the same option is best whatever x shows: exactly 0, not the fit's rounding (1e-9)
    return float(max(fitted.max(axis=1).mean() - fitted.mean(axis=0).max(), 0.0))


# --- the analysis ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PilotCosts:
    """What a pilot costs: a fixed amount plus an amount per treated customer and period."""

    fixed: float
    per_customer_period: float
    basis: str

    def total(self, n: int, periods: int, segments: int) -> float:
        return self.fixed + self.per_customer_period * n * periods * segments


def default_costs(scenario, intervention: str, fixed: float | None, per_customer_period: float | None) -> PilotCosts:
    """Stated defaults: a quarter of the one-off cost, and the recurring cost spread over all starting customers."""
    spec = scenario.interventions[intervention]
    customers = sum(segment.customers.base for segment in scenario.segments.values())
    words = []
    if fixed is None:
        fixed = FIXED_COST_SHARE * spec.one_off_cost.base
        words.append(f"fixed cost = {FIXED_COST_SHARE:.0%} of the intervention's one-off cost (setting it up at pilot scale)")
    else:
        words.append("fixed cost as given")
    if per_customer_period is None:
        per_customer_period = spec.recurring_cost.base / customers if customers else 0.0
        words.append("cost per treated customer and period = the recurring cost spread over all starting customers")
    else:
        words.append("cost per treated customer and period as given")
    return PilotCosts(float(fixed), float(per_customer_period), "; ".join(words))


def pilot(scenario, intervention: str, sizes: list[int] | None = None, periods: int = DEFAULT_PERIODS,
          fixed_cost: float | None = None, cost_per_customer_period: float | None = None,
          draws: int | None = None, seed: int | None = None, *, workers: int | None = None, progress=None,
          portfolio: bool = False) -> Analysis:
    """EVSI, cost, expected net gain and power (for each measure) of pilots of several sizes for one
    intervention (one run).

    With ``portfolio`` the pilot informs the choice among every admissible portfolio of the
    scenario's interventions (:mod:`sim.analyses.portfolio`, no budget, on expected NPV) instead of
    "do nothing or this intervention": its net benefits are each portfolio's NPV in the same draws.
    """
    plain, loaded = unpack(scenario)
    measures = measured_changes(plain, intervention)
    sizes = sorted(set(sizes)) if sizes else default_sizes(plain, measures)
    check_sizes(plain, measures, sizes)
    result = run(loaded or plain, draws, seed, workers=workers, progress=progress)
    choice = None
    if portfolio:
        from sim.analyses.portfolio import portfolio as portfolios

        # The same sample of inputs as the run (same draws and seed): the draws line up.
        analysis = portfolios(loaded or plain, result.n_draws, result.seed, workers=workers, hurdle_rates=[])
        choice = analysis.tables["npv_draws"]
    return pilot_of(result, intervention, sizes, periods, fixed_cost, cost_per_customer_period, choice)


def pilot_of(result, intervention: str, sizes: list[int] | None = None, periods: int = DEFAULT_PERIODS,
             fixed_cost: float | None = None, cost_per_customer_period: float | None = None,
             portfolios: pd.DataFrame | None = None) -> Analysis:
    """:func:`pilot` from the draws of a finished run (no new simulation of the customer model).

    ``portfolios`` (each portfolio's NPV per draw, a column each, do nothing included) makes the
    decision the pilot informs the choice among them.
    """
    plain = result.scenario
    measures = measured_changes(plain, intervention)
    sizes = sorted(set(sizes)) if sizes else default_sizes(plain, measures)
    check_sizes(plain, measures, sizes)
    if periods < 1:
        raise UsageError(f"--periods: {periods} is not allowed: a pilot lasts at least 1 period")
    costs = default_costs(plain, intervention, fixed_cost, cost_per_customer_period)
    segments = len({m.segment for m in measures})

    if portfolios is None:
        _, nb = net_benefits({intervention: result.appraisals[intervention].npv})
        decision, now = f"do nothing or {intervention}, decided on expected NPV", float(nb[:, 1].mean())
    else:
        nb = portfolios.to_numpy(dtype=float)
        means = nb.mean(axis=0)
        decision = ("the choice among every admissible portfolio of the interventions (" + ", ".join(portfolios.columns)
                    + "), decided on expected NPV")
        now = float(means.max())
    control = result.values
    treated = arm_values(plain, result.values, intervention)
    learned = _learned_inputs(result, measures)
    unmeasured = unmeasured_changes(plain, intervention)
    total = evpi(nb)
    evppi = value_of_learning(np.column_stack([result.values[p] for p in learned]), nb) if learned else 0.0
    columns = power_columns(measures)
    critical = special.ndtri(1 - SIGNIFICANCE / 2)

    rng = np.random.default_rng(np.random.SeedSequence([result.seed, PILOT_STREAM]))
    uniforms = rng.random((len(measures), 2, result.n_draws))
    rows = []
    for n in sizes:
        statistics, power = [], {}
        for index, measure in enumerate(measures):
            proportion = MEASURES[measure.parameter][0].startswith("proportion")
            arms = [pilot_counts(plain, measure, values, n, periods, uniforms[index, arm])
                    for arm, values in enumerate((treated, control))]
            estimate, error = log_ratio(arms[0], arms[1], proportion)
            if measure.operation == "add":
                statistics.append(arms[0][0] / arms[0][1] - arms[1][0] / arms[1][1])
            else:
                statistics.append(estimate)
            z = np.divide(estimate, error, out=np.zeros_like(estimate), where=error > 0)
            power[columns[index]] = float((np.abs(z) > critical).mean())
        value = value_of_learning(np.column_stack(statistics), nb)
        cost = costs.total(n, periods, segments)
        rows.append({"customers_per_arm": n, "periods": periods, "evsi": value, "cost": cost,
                     "net_gain": value - cost, **power})
    table = pd.DataFrame(rows)
    best = table.loc[table["net_gain"].idxmax()]
    worth = bool(best["net_gain"] > 0)
    summary = {
        "scenario": plain.settings.name, "seed": result.seed, "draws": result.n_draws,
        "currency": plain.settings.currency, "intervention": intervention,
        "label": plain.interventions[intervention].label or intervention,
        **_names(plain, result.loaded, measures, learned + unmeasured),
        "decision": decision,
        "expected_npv_now": now,
        "measures": [{"change": m.operand, "parameter": m.target, "segment": m.segment, "counts": m.counts,
                      "name": m.name, "power_column": column} for m, column in zip(measures, columns)],
        "not_measured": unmeasured,
        "learned_inputs": learned,
        "evpi": total,
        "evppi": evppi,
        "periods": periods,
        "pilot_customers": f"{segments} segment(s) x 2 arms x n customers",
        "costs": {"fixed": costs.fixed, "per_treated_customer_period": costs.per_customer_period, "basis": costs.basis},
        "method": ("EVSI by regression of net benefit on the pilot's summary statistics (Strong, Oakley, Brennan & "
                   "Breeze 2015); power, for each measure (its power_column in sizes): two-sided 5 % test on its "
                   "log rate ratio, averaged over the current uncertainty"),
        "sizes": records(table),
        "best": {key: _number(best[key]) for key in table.columns} if worth else None,
        "worth_running": worth,
        "verdict": _verdict(worth, best, total, evppi, plain.settings.currency),
    }
    return Analysis("pilot", plain, result.loaded, result.seed, result.n_draws, summary, {"pilot": table})


def _names(scenario, loaded, measures: list[Measure], others: list[str]) -> dict:
    """The overrides and the names people read, as every analysis's summary carries them: the inputs the
    pilot measures, ``others`` (what it learns and what it does not count), the options, and the segments
    it runs in (``labels.segments``)."""
    paths = list(dict.fromkeys([path for m in measures for path in (m.operand, m.target)] + others))
    found = context(scenario, loaded, paths)
    found["labels"]["segments"] = {m.segment: scenario.segments[m.segment].label or m.segment for m in measures}
    return found


def _learned_inputs(result, measures: list[Measure]) -> list[str]:
    """Uncertain inputs the pilot's data depend on: the change operands, the rates they act on, contact rates,
    and every parameter of the mix a mix's parameter belongs to (a purchase count's law has the shape and the
    rate, and the dropout mix's a and b where there is one)."""
    paths = []
    for m in measures:
        paths += [m.operand, m.target]
        if MEASURES[m.parameter][0] == "proportion of contacts":
            paths.append(f"segments.{m.segment}.contacts")
        if ".".join(m.target.split(".")[-2:]) in MIX_MEASURES:
            mixes = ("churn_mix.alpha", "churn_mix.beta") if m.parameter == "churn" else (
                "purchase_mix.shape", "purchase_mix.rate", "dropout_mix.a", "dropout_mix.b")
            paths += [f"segments.{m.segment}.{key}" for key in mixes]
    uncertain = set(result.uncertain_paths)
    return [p for p in dict.fromkeys(paths) if p in uncertain]


def _number(value):
    return int(value) if isinstance(value, (np.integer, int)) else float(value)


def _verdict(worth: bool, best, total: float, evppi: float, currency: str) -> str:
    if worth:
        return (f"run a pilot of {int(best['customers_per_arm']):,} customers per arm for {int(best['periods'])} periods: "
                f"expected net gain {best['net_gain']:,.0f} {currency} (EVSI {best['evsi']:,.0f} against a cost of "
                f"{best['cost']:,.0f})")
    if evppi <= 0 or total <= 0:
        return "no pilot: the decision would not change whatever the pilot showed (EVPI or EVPPI is zero)"
    return (f"no pilot: at every size tried its cost exceeds what its result is worth (EVPPI of what it "
            f"measures is {evppi:,.0f} {currency}; the best size falls short by {-best['net_gain']:,.0f})")
