"""Decide the portfolio, not one option: combinations of interventions, a budget, a risk appetite.

Every admissible combination of the scenario's interventions (``[portfolio]``:
which may combine, which exclude each other; default all may combine) is one
arm of the simulation, run with common random numbers against the baseline and
every other arm (:class:`sim.compute.arms.ArmStore`): each distinct arm is
simulated once, a combination phases in each member by its own start and ramp
(:func:`sim.model.inputs.arm_steps`), and differences between portfolios are as
precise as differences from the baseline. Above :data:`EXHAUSTIVE_LIMIT`
admissible portfolios a local search replaces the enumeration (:func:`search`).

Per portfolio: NPV and ROI distributions, P(NPV > 0), the expected shortfall of
the worst 10 %, PV cost, and the interaction (its NPV minus the sum of its
members' NPVs, per draw). Across portfolios: the efficient frontier of expected
NPV against expected PV cost, the choice under each risk appetite, the
probability that each portfolio is best (by draw), and EVPI / EVPPI of the
choice among portfolios.
"""

from __future__ import annotations

import inspect
import itertools
from contextlib import nullcontext
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from sim.analyses.common import Analysis, context, records, unpack, with_labels
from scipy.interpolate import make_lsq_spline

from sim.analyses.voi import FEW_VALUES, INTERIOR_KNOTS, conditional_mean, evpi
from sim.compute import parallel
from sim.compute.arms import APPRAISED_OUTPUTS, MEMORY_BUDGET, ArmStore
from sim.compute.result import (describe, expected_shortfall, payback_percentiles, point_values, roi_undefined,
                                share_with_error)
from sim.compute.simulation import base_cases, sample
from sim.errors import UsageError, did_you_mean
from sim.model.finance import Appraisal, benefit_and_capacity_cost, discount_factors, program_costs
from sim.model.inputs import all_inputs, canonical_arm, set_conflicts
from sim.model.scenario import Scenario

EXHAUSTIVE_LIMIT = 128
"""Up to this many admissible portfolios every one is simulated (seven options with no constraint); above, :func:`search`."""

NOTHING = "do_nothing"
"""The empty portfolio: no intervention, NPV 0 in every draw."""

OBJECTIVES = ("mean", "cvar", "prob-positive")
BUDGET_ON = ("pv-cost", "one-off")
BUDGET_RULES = ("expected", "every-draw")

Progress = Callable[[int, int], None]


# --- which portfolios ---------------------------------------------------------------------


def admissible(scenario: Scenario, max_options: int | None = None, include: Iterable[str] = (),
               exclude: Iterable[str] = ()) -> list[tuple[str, ...]]:
    """Every admissible portfolio as a tuple of names in file order, the empty one (do nothing) first.

    Admissible: at most one of each ``[portfolio].exclusive`` group, an option not
    in ``[portfolio].combinable`` only alone, at most ``max_options`` options, every
    ``include`` option in and no ``exclude`` option.
    """
    names = list(scenario.interventions)
    include, exclude = list(include), list(exclude)
    for flag, given in (("--include", include), ("--exclude", exclude)):
        for name in given:
            if name not in scenario.interventions:
                raise UsageError(f"{flag} {name}: not an intervention of this scenario{did_you_mean(name, names)} "
                                 f"(interventions: {', '.join(names)})")
    both = sorted(set(include) & set(exclude), key=names.index)
    if both:
        raise UsageError(f"--include and --exclude both name {both[0]}")
    spec = scenario.portfolio
    groups = [set(group) for group in spec.exclusive] if spec else []
    combinable = set(spec.combinable) if spec and spec.combinable is not None else set(names)
    chosen = []
    for size in range(len(names) + 1):
        if max_options is not None and size > max_options:
            break
        for combo in itertools.combinations(names, size):
            members = set(combo)
            if not set(include) <= members or members & set(exclude):
                continue
            if size > 1 and not members <= combinable:
                continue
            if any(len(members & group) > 1 for group in groups):
                continue
            chosen.append(combo)
    if not chosen:
        raise UsageError("no portfolio satisfies these constraints: --include names options that exclude each other "
                         "([portfolio].exclusive / combinable) or more than --max-options")
    return chosen


def arm_of(portfolio: tuple[str, ...]):
    """The simulation arm of a portfolio: None (do nothing), a name, or a tuple of names."""
    if not portfolio:
        return None
    return portfolio[0] if len(portfolio) == 1 else portfolio


def name_of(portfolio: tuple[str, ...]) -> str:
    """``do_nothing``, the option's name, or the names joined by ``+``."""
    return "+".join(portfolio) if portfolio else NOTHING


def combination_arms(scenario: Scenario, draws: int) -> list[tuple[str, ...]]:
    """The combinations (arms of two or more options) :func:`portfolio` with no constraints simulates, for a
    run to simulate beside its own arms (``run(combinations=...)``, ``cxroi run --memo``): every admissible
    one when it simulates every one and their flows fit in one of its groups, else none (it then simulates
    them itself, in groups or by local search)."""
    candidates = admissible(scenario)
    combinations = [canonical_arm(scenario, arm_of(p)) for p in candidates if len(p) > 1]
    if len(candidates) > EXHAUSTIVE_LIMIT or len(combinations) > _group_size(scenario, draws):
        return []
    return combinations


def _group_size(scenario: Scenario, draws: int) -> int:
    """Arms simulated at a time: as many as the store keeps in memory (:data:`MEMORY_BUDGET`), two to spare."""
    return max(1, int(MEMORY_BUDGET // (draws * scenario.settings.horizon * len(APPRAISED_OUTPUTS) * 8)) - 2)


# --- risk appetite and budget --------------------------------------------------------------


def parse_objective(text: str) -> tuple[str, float | None]:
    """``mean``, ``cvar:ALPHA`` (0 < ALPHA < 1, default 0.1) or ``prob-positive`` -> (kind, alpha)."""
    kind, _, rest = text.partition(":")
    if kind not in OBJECTIVES or (rest and kind != "cvar"):
        raise UsageError(f"--objective {text}: allowed are mean, cvar:ALPHA (e.g. cvar:0.1) and prob-positive")
    if kind != "cvar":
        return kind, None
    try:
        alpha = float(rest) if rest else 0.1
    except ValueError:
        alpha = float("nan")
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"--objective {text}: ALPHA must be a share between 0 and 1 (e.g. cvar:0.1, the worst 10 %)")
    return kind, alpha


def objective_label(kind: str, alpha: float | None) -> str:
    return f"cvar:{alpha:g}" if kind == "cvar" else kind


def score(npv: np.ndarray, kind: str, alpha: float | None) -> tuple[float, float]:
    """What a risk appetite maximises (higher is better), with expected NPV as the tie-break.

    ``mean``: expected NPV. ``cvar:ALPHA``: the mean NPV of the worst ALPHA share of
    draws (expected shortfall; risk-averse). ``prob-positive``: P(NPV > 0).
    """
    mean = float(np.mean(npv))
    if kind == "mean":
        return mean, mean
    if kind == "cvar":
        return expected_shortfall(npv, alpha), mean
    return float(np.mean(npv > 0)), mean


def within_budget(cost: np.ndarray, budget: float | None, rule: str) -> bool:
    """``expected``: mean cost at most the budget; ``every-draw``: the cost at most the budget in every draw."""
    if budget is None:
        return True
    return bool(np.mean(cost) <= budget) if rule == "expected" else bool(np.all(cost <= budget))


def one_off_costs(scenario: Scenario, values: dict[str, np.ndarray], portfolio: tuple[str, ...]) -> np.ndarray:
    """The sum of the members' one-off costs per draw (undiscounted)."""
    draws = len(next(iter(values.values())))
    total = np.zeros(draws)
    for name in portfolio:
        total = total + values[f"interventions.{name}.one_off_cost"]
    return total


# --- the frontier -----------------------------------------------------------------------------


def frontier(costs: np.ndarray, npvs: np.ndarray) -> tuple[list[int], list[str | None], list[float | None]]:
    """The efficient frontier of expected NPV against expected PV cost.

    Returns (indices on the frontier by rising cost, each portfolio's dominance,
    each portfolio's incremental ROI from the previous frontier point). A portfolio
    is ``dominated`` when another costs no more and earns no less (one of them
    strictly, or an equal one listed first), ``extendedly dominated`` when a mix of
    two frontier neighbours would beat it (it lies below the line joining them: a
    cheaper step has a lower incremental ROI than the next), as BCEA and dampack
    mark them. Incremental ROI = extra expected NPV / extra expected PV cost.
    """
    count = len(costs)
    status: list[str | None] = [None] * count
    for i in range(count):
        for j in range(count):
            if i == j:
                continue
            no_worse = costs[j] <= costs[i] and npvs[j] >= npvs[i]
            better = costs[j] < costs[i] or npvs[j] > npvs[i] or j < i
            if no_worse and better:
                status[i] = "dominated"
                break
    candidates = sorted((i for i in range(count) if status[i] is None), key=lambda i: (costs[i], -npvs[i]))
    # The upper concave hull: drop a point while the step into it earns less per unit of cost than the step after.
    hull: list[int] = []
    for i in candidates:
        while len(hull) >= 2 and _slope(costs, npvs, hull[-2], hull[-1]) <= _slope(costs, npvs, hull[-1], i):
            status[hull.pop()] = "extendedly dominated"
        hull.append(i)
    increments: list[float | None] = [None] * count
    for before, after in zip(hull, hull[1:]):
        increments[after] = _slope(costs, npvs, before, after)
    return hull, status, increments


def _slope(costs, npvs, a: int, b: int) -> float:
    extra = costs[b] - costs[a]
    return float((npvs[b] - npvs[a]) / extra) if extra > 0 else float("inf")


def probability_best(npv: np.ndarray) -> np.ndarray:
    """Share of draws in which each portfolio (column) has the highest NPV; ties go to the first. Sums to 1."""
    best = np.argmax(npv, axis=1)
    return np.bincount(best, minlength=npv.shape[1]) / npv.shape[0]


# --- the search -------------------------------------------------------------------------------


def search(candidates: list[tuple[str, ...]], evaluate: Callable[[list[tuple[str, ...]]], None],
           better: Callable[[tuple[str, ...]], tuple]) -> tuple[list[tuple[str, ...]], str]:
    """A local search over admissible portfolios when there are too many to simulate each.

    Simulates do nothing, every admissible single option and pair; then, from the
    best so far by ``better`` (a sort key: higher is better, over-budget lowest),
    every admissible portfolio one move away (add, drop or swap one option),
    moving to the best of them while that improves. ``evaluate`` simulates a batch.
    Returns (the portfolios simulated, how they were chosen).
    """
    by_members = {frozenset(c): c for c in candidates}  # each admissible portfolio, spelt as listed
    order = {c: i for i, c in enumerate(candidates)}
    seen: list[tuple[str, ...]] = [c for c in candidates if len(c) <= 2]
    evaluate(seen)
    done = set(seen)
    incumbent = max(seen, key=better)
    options = list(dict.fromkeys(name for c in candidates for name in c))
    rounds = 0
    while True:
        rounds += 1
        have = frozenset(incumbent)
        moves = {have | {n} for n in options if n not in have} | {have - {n} for n in have}
        moves |= {(have - {a}) | {b} for a in have for b in options if b not in have}
        fresh = sorted((by_members[m] for m in moves if m in by_members and by_members[m] not in done), key=order.get)
        if fresh:
            evaluate(fresh)
            seen += fresh
            done |= set(fresh)
        best = max(seen, key=better)
        if better(best) <= better(incumbent):
            break
        incumbent = best
    method = (f"local search: do nothing, every single option and pair, then add / drop / swap one option "
              f"from the best so far until no move improves ({rounds} rounds)")
    return seen, method


# --- the analysis -----------------------------------------------------------------------------


def portfolio(scenario, draws: int | None = None, seed: int | None = None, *, budget: float | None = None,
              budget_on: str = "pv-cost", budget_rule: str = "expected", max_options: int | None = None,
              include: Iterable[str] = (), exclude: Iterable[str] = (), objective: str = "mean",
              workers: int | None = None, progress: Progress | None = None,
              exhaustive_limit: int = EXHAUSTIVE_LIMIT, hurdle_rates: Iterable[float] | None = None,
              result=None, pool=None) -> Analysis:
    """Evaluate portfolios of the scenario's interventions and choose one under a budget and a risk appetite.

    ``budget`` limits the portfolio's PV cost (``budget_on="pv-cost"``: programme costs and
    added support capacity, discounted) or its one-off cost (``"one-off"``), in expectation
    (``budget_rule="expected"``) or in every draw (``"every-draw"``). ``objective``: ``mean``,
    ``cvar:ALPHA`` or ``prob-positive`` (:func:`score`). ``hurdle_rates``: discount rates at
    which the acceptability curve (probability each portfolio is best) is drawn
    (default: 0 % to 20 %); each is an appraisal of the same stored flows. ``result``: a
    finished run of this scenario at these draws and seed (``cxroi run --memo``), whose
    baseline and single options are reused, so only the combinations are simulated (none when
    the run simulated them beside its arms, :func:`combination_arms`). ``pool``:
    an open :class:`sim.compute.parallel.Pool` to simulate in (the run's), else one of ``workers``.
    """
    plain, loaded = unpack(scenario)
    kind, alpha = parse_objective(objective)
    if budget_on not in BUDGET_ON:
        raise UsageError(f"--budget-on {budget_on}: allowed are {', '.join(BUDGET_ON)}")
    if budget_rule not in BUDGET_RULES:
        raise UsageError(f"--budget-rule {budget_rule}: allowed are {', '.join(BUDGET_RULES)}")
    if budget is not None and not (np.isfinite(budget) and budget >= 0):
        raise UsageError(f"--budget {budget}: must be a finite amount of 0 or more")
    if max_options is not None and max_options < 1:
        raise UsageError(f"--max-options {max_options}: must be 1 or more")
    candidates = admissible(plain, max_options, include, exclude)
    settings = plain.settings
    seed = settings.seed if seed is None else seed
    draws = settings.draws if draws is None else draws
    reuse = result is not None and bool(result.flows) and result.n_draws == draws and result.seed == seed
    values = result.values if reuse else sample(plain, draws, seed)
    appraisals: dict[tuple[str, ...], Appraisal] = {}

    rates = list(np.round(np.linspace(0.0, 0.20, 11), 4)) if hurdle_rates is None else [float(r) for r in hurdle_rates]
    at_rates: dict[tuple[str, ...], np.ndarray] = {}
    group = _group_size(plain, draws)
    with parallel.pool(workers) if pool is None else nullcontext(pool) as shared:
        store = ArmStore(plain, seed, shared)
        if reuse:  # the run's arms, and the combinations it simulated beside them (cxroi run --memo)
            store.remember(values, {**result.flows, **result.combinations})

        def evaluate(batch: list[tuple[str, ...]]) -> None:
            # Singles are needed for each combination's interaction: simulated beside it (once).
            wanted = [p for p in batch if p]
            wanted += [(name,) for p in batch for name in p if (name,) not in appraisals and (name,) not in wanted]
            new = [p for p in wanted if p not in appraisals]
            # As many arms at a time as the store keeps in memory: each group's flows are read for the
            # acceptability curve before the next group's may push them out.
            for first in range(0, len(new), group):
                part = new[first : first + group]
                store.arms = [canonical_arm(plain, arm_of(p)) for p in part]
                got = store.appraisals([values], progress)[0]
                keys = store.last_keys[0]
                for p, arm in zip(part, store.arms):
                    appraisals[p] = got[arm]
                    if rates:
                        at_rates[p] = _npv_at_rates(plain, values, store.stored(keys[arm]), store.stored(keys[None]),
                                                    p, rates)

        def cost_of(p: tuple[str, ...]) -> np.ndarray:
            if budget_on == "one-off":
                return one_off_costs(plain, values, p)
            return appraisals[p].pv_cost if p else np.zeros(draws)

        def npv_of(p: tuple[str, ...]) -> np.ndarray:
            return appraisals[p].npv if p else np.zeros(draws)

        def key(p: tuple[str, ...]) -> tuple:
            return (within_budget(cost_of(p), budget, budget_rule), *score(npv_of(p), kind, alpha))

        if len(candidates) <= exhaustive_limit:
            evaluate(candidates)
            evaluated = candidates
            method = f"exhaustive: every one of the {len(candidates)} admissible portfolios simulated"
        else:
            evaluated, method = search(candidates, evaluate, key)
        by_rate = _acceptability(evaluated, at_rates, rates, draws)
        simulated = store.simulated
        if reuse:  # the combinations the run simulated beside its arms for this analysis count as its own
            simulated += sum(1 for p in evaluated if len(p) > 1 and canonical_arm(plain, arm_of(p)) in result.combinations)

    return _analysis(plain, loaded, seed, draws, values, evaluated, appraisals, candidates, method,
                     dict(budget=budget, budget_on=budget_on, budget_rule=budget_rule, max_options=max_options,
                          include=list(include), exclude=list(exclude)),
                     (kind, alpha), cost_of, npv_of, simulated, by_rate)


def _npv_at_rates(plain: Scenario, values, flows, baseline, portfolio: tuple[str, ...], rates: list[float]) -> np.ndarray:
    """A portfolio's NPV per draw at each discount rate, (rates, draws), from its and the baseline's flows.

    NPV at any rate is each draw's per-period net cash flow against that rate's
    discount factors (:mod:`sim.model.finance`'s conventions: one-off costs at the
    start of their period, the rest at the end), so all rates are one matrix
    product, not a simulation or an appraisal each.
    """
    settings = plain.settings
    end = np.column_stack([discount_factors(settings.horizon, rate, settings.periods_per_year) for rate in rates])
    start = np.vstack([np.ones(len(rates)), end[:-1]])
    benefit, recurring = benefit_and_capacity_cost(flows, baseline, settings.roi_basis)
    once = np.zeros_like(benefit)
    for name in portfolio:
        more_once, more_recurring = program_costs(values[f"interventions.{name}.one_off_cost"],
                                                  values[f"interventions.{name}.recurring_cost"],
                                                  plain.interventions[name].start, settings.horizon)
        once, recurring = once + more_once, recurring + more_recurring
    return ((benefit - recurring) @ end - once @ start).T


def _acceptability(evaluated, at_rates: dict, rates: list[float], draws: int) -> pd.DataFrame:
    """P(best) of every evaluated portfolio at each discount rate (the acceptability curve; empty without rates)."""
    if not rates:
        return pd.DataFrame(columns=["discount_rate", "portfolio", "probability_best"])
    npv = np.stack([at_rates[p] if p else np.zeros((len(rates), draws)) for p in evaluated], axis=-1)
    rows = []
    for index, rate in enumerate(rates):
        for p, share in zip(evaluated, probability_best(npv[index])):
            rows.append({"discount_rate": rate, "portfolio": name_of(p), "probability_best": float(share)})
    return pd.DataFrame(rows, columns=["discount_rate", "portfolio", "probability_best"])


def budget_acceptability(names: list[str], costs: np.ndarray, npv: np.ndarray) -> pd.DataFrame:
    """P(best) of each portfolio against a budget on expected PV cost: at each budget where the affordable set
    changes (each portfolio's expected PV cost), the share of draws in which each affordable portfolio has the
    highest NPV (0 for those over it). ``npv`` is (draws, portfolios); every row sums to 1."""
    rows = []
    for budget in np.unique(np.concatenate([[0.0], costs])):
        affordable = [i for i in range(len(names)) if costs[i] <= budget]
        if not affordable:
            continue
        shares = dict(zip(affordable, probability_best(npv[:, affordable])))
        rows += [{"budget": float(budget), "portfolio": name, "probability_best": float(shares.get(i, 0.0))}
                 for i, name in enumerate(names)]
    return pd.DataFrame(rows, columns=["budget", "portfolio", "probability_best"])


_NORMAL_EQUATIONS = {"method": "norm-eq"} if "method" in inspect.signature(make_lsq_spline).parameters else {}
"""The spline fit by its (banded) normal equations: a third of the QR solve's time here, the same fit to ~1e-14
relative (SciPy before 1.13 has no ``method`` and solves them anyway)."""


def evppi_columns(theta: np.ndarray, net_benefit: np.ndarray) -> float:
    """:func:`sim.analyses.voi.evppi` with every option's regression in one fit (the same knots, one least-squares
    solve for all columns): the regressions are most of a portfolio analysis's cost otherwise."""
    x = np.asarray(theta, dtype=float)
    order = np.argsort(x, kind="stable")  # one sort: it counts the distinct values and orders the fit
    xs = x[order]
    if 1 + np.count_nonzero(xs[1:] != xs[:-1]) <= FEW_VALUES:  # (np.unique's count, without a second sort)
        fitted = np.column_stack([conditional_mean(x, column) for column in net_benefit.T])
    else:
        interior = np.unique(np.quantile(xs, np.linspace(0, 1, INTERIOR_KNOTS + 2)[1:-1]))
        interior = interior[(interior > xs[0]) & (interior < xs[-1])]
        knots = np.concatenate([[xs[0]] * 4, interior, [xs[-1]] * 4])
        spline = make_lsq_spline(xs, net_benefit[order], knots, k=3, **_NORMAL_EQUATIONS)
        fitted = np.empty_like(net_benefit, dtype=float)
        fitted[order] = spline(xs)
    return float(max(fitted.max(axis=1).mean() - fitted.mean(axis=0).max(), 0.0))


def _analysis(plain, loaded, seed, draws, values, evaluated, appraisals, candidates, method, constraints,
              objective, cost_of, npv_of, simulated, acceptability) -> Analysis:
    kind, alpha = objective
    labels = {name: spec.label or name for name, spec in plain.interventions.items()}
    currency = plain.settings.currency
    budget = constraints["budget"]
    entries = []
    npv_matrix = np.column_stack([npv_of(p) for p in evaluated])
    arms = {p: canonical_arm(plain, arm_of(p)) for p in evaluated if p}
    spreadsheet = base_cases(plain, list(arms.values()))
    for p in evaluated:
        npv = npv_of(p)
        a = appraisals.get(p)
        parts = [npv_of((name,)) for name in p] if len(p) > 1 else []
        interaction = npv - np.sum(parts, axis=0) if parts else None
        prob, prob_se = share_with_error(npv > 0)
        cost = cost_of(p)
        entry = {
            "name": name_of(p),
            "label": " + ".join(labels[name] for name in p) if p else "Do nothing",
            "interventions": list(p),
            "npv": describe(npv),
            "roi": describe(a.roi) if a is not None else describe(np.full(draws, np.nan)),
            "roi_undefined": roi_undefined(a) if a is not None else None,
            "pv_cost": describe(a.pv_cost) if a is not None else describe(np.zeros(draws)),
            "pv_benefit": describe(a.pv_benefit) if a is not None else describe(np.zeros(draws)),
            "one_off_cost_mean": float(np.mean(one_off_costs(plain, values, p))),
            "prob_npv_positive": prob,
            "prob_npv_positive_se": prob_se,
            "npv_expected_shortfall_10": expected_shortfall(npv),
            "payback_period": payback_percentiles(a.payback) if a is not None else None,
            "base_case": point_values(spreadsheet[arms[p]]) if p else None,
            "interaction": None if interaction is None else {
                "mean": float(interaction.mean()),
                "se": float(interaction.std(ddof=1) / np.sqrt(draws)) if draws > 1 else 0.0,
                "meaning": "the portfolio's NPV minus the sum of its options' NPVs, per draw (common random numbers)",
            },
            "set_wins": set_conflicts(plain, p) if len(p) > 1 else [],
            "within_budget": within_budget(cost, budget, constraints["budget_rule"]),
            "budget_cost_mean": float(np.mean(cost)),
        }
        entries.append(entry)
    costs = np.array([e["pv_cost"]["mean"] for e in entries])
    means = np.array([e["npv"]["mean"] for e in entries])
    affordable = [i for i, e in enumerate(entries) if e["within_budget"]]
    if not affordable:
        cheapest = min(entries, key=lambda e: e["budget_cost_mean"])
        raise UsageError(f"--budget {budget:g}: no admissible portfolio keeps within it; the cheapest, "
                         f"{cheapest['name']}, costs {cheapest['budget_cost_mean']:,.0f} on average")
    hull, status, increments = frontier(costs[affordable], means[affordable])
    for e in entries:
        e["dominated"], e["on_frontier"], e["incremental_roi"], e["probability_best"] = None, False, None, None
    for position, i in enumerate(affordable):
        entries[i]["dominated"] = status[position]
        entries[i]["incremental_roi"] = increments[position]
    frontier_rows = []
    for position in hull:
        i = affordable[position]
        entries[i]["on_frontier"] = True
        frontier_rows.append({"name": entries[i]["name"], "interventions": entries[i]["interventions"],
                              "pv_cost": float(costs[i]), "npv": float(means[i]),
                              "incremental_roi": increments[position]})

    def choose(k: str, a: float | None) -> str:
        best = max(affordable, key=lambda i: score(npv_matrix[:, i], k, a))
        return entries[best]["name"]

    chosen = choose(kind, alpha)
    by_objective = {objective_label(k, a): choose(k, a) for k, a in (("mean", None), ("cvar", alpha or 0.1), ("prob-positive", None))}
    for i, e in enumerate(entries):
        e["objective"] = score(npv_matrix[:, i], kind, alpha)[0]
    best_share = probability_best(npv_matrix[:, affordable]) if affordable else np.array([])
    for position, i in enumerate(affordable):
        entries[i]["probability_best"] = float(best_share[position])
    uncertain = [path for path, item in all_inputs(plain).items() if not item.dist.is_fixed]
    nb = npv_matrix[:, affordable]
    total = evpi(nb)
    voi_table = pd.DataFrame([{"input": path, "evppi": evppi_columns(values[path], nb)} for path in uncertain],
                             columns=["input", "evppi"]).sort_values("evppi", ascending=False, kind="stable")
    voi_table = with_labels(voi_table.reset_index(drop=True), plain)
    crn = _crn_precision(entries, npv_matrix, chosen)
    table = pd.DataFrame([{
        "portfolio": e["name"], "label": e["label"], "options": len(e["interventions"]),
        "npv_mean": e["npv"]["mean"], "npv_p05": e["npv"]["p05"], "npv_p95": e["npv"]["p95"],
        "prob_npv_positive": e["prob_npv_positive"], "npv_expected_shortfall_10": e["npv_expected_shortfall_10"],
        "pv_cost_mean": e["pv_cost"]["mean"], "one_off_cost_mean": e["one_off_cost_mean"],
        "roi_mean": e["roi"]["mean"], "interaction_mean": e["interaction"]["mean"] if e["interaction"] else 0.0,
        "within_budget": e["within_budget"], "dominated": e["dominated"] or "", "on_frontier": e["on_frontier"],
        "incremental_roi": e["incremental_roi"], "probability_best": e.get("probability_best"),
    } for e in entries])
    summary = {
        "scenario": plain.settings.name, "seed": seed, "draws": draws, "currency": currency,
        "discount_rate": plain.settings.discount_rate,
        **context(plain, loaded, uncertain),
        "interventions": labels,
        "objective": objective_label(kind, alpha),
        "choice": chosen,
        "choice_by_objective": by_objective,
        "constraints": {**constraints, "budget_meaning": _budget_words(constraints, currency)},
        "search": {"admissible": len(candidates), "evaluated": len(evaluated), "arms_simulated": simulated,
                   "method": method},
        "combination_rule": COMBINATION_RULE,
        "portfolios": entries,
        "frontier": frontier_rows,
        "crn": crn,
        "evpi": total,
        "evpi_meaning": "expected gain from resolving all uncertainty before choosing among these portfolios",
        "evppi": records(voi_table),
    }
    tables = {"portfolios": table, "frontier": pd.DataFrame(frontier_rows).assign(
                  interventions=lambda t: t["interventions"].map(" + ".join) if len(t) else None),
              "acceptability": acceptability, "voi": voi_table,
              "acceptability_budget": budget_acceptability([e["name"] for e in entries], costs, npv_matrix),
              "npv_draws": pd.DataFrame(npv_matrix, columns=[e["name"] for e in entries])}
    return Analysis("portfolio", plain, loaded, seed, draws, summary, tables)


COMBINATION_RULE = (
    "members phase in by their own start and ramp, in order of start; two changes to the same input combine: "
    "scales multiply, adds add, a set wins over the other members' changes (the later-starting set if two set it); "
    "costs add, each from its member's own start")


def _budget_words(constraints: dict, currency: str) -> str:
    """What the budget limits, in words (the amount is ``budget``)."""
    if constraints["budget"] is None:
        return "no budget limit"
    what = "PV cost (programme costs and added support capacity, discounted)" if constraints["budget_on"] == "pv-cost" \
        else "one-off cost (undiscounted)"
    rule = "in expectation (mean over draws)" if constraints["budget_rule"] == "expected" else "in every draw"
    return f"{what}, {rule}"


def _crn_precision(entries: list[dict], npv: np.ndarray, chosen: str) -> dict | None:
    """Standard error of the difference in expected NPV between the choice and the runner-up (by mean),
    from these common-random-number draws and as independent draws of each would give it.

    Do nothing (NPV 0 in every draw) gains nothing from common random numbers: when it is the choice, the
    two best portfolios that do something are compared instead."""
    names = [e["name"] for e in entries]
    ranked = [int(i) for i in np.argsort(-npv.mean(axis=0), kind="stable") if names[i] != NOTHING]
    if chosen != NOTHING:
        ranked = [names.index(chosen)] + [i for i in ranked if names[i] != chosen]
    if len(ranked) < 2 or npv.shape[0] < 2:
        return None
    a, b = ranked[0], ranked[1]
    n = npv.shape[0]
    common = float(np.std(npv[:, a] - npv[:, b], ddof=1) / np.sqrt(n))
    independent = float(np.sqrt((np.var(npv[:, a], ddof=1) + np.var(npv[:, b], ddof=1)) / n))
    return {"between": [names[a], names[b]], "difference": float(npv[:, a].mean() - npv[:, b].mean()),
            "se_common_random_numbers": common, "se_independent_draws": independent,
            "ratio": independent / common if common > 0 else None}
