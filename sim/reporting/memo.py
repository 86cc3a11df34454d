"""The decision memo: from a results folder to a document a CFO reads.

Every number comes from the folder's files (summary.json, manifest.json,
draws.csv or roi_draws.csv, bands.csv, and portfolio.json, tornado.csv, pilot.json
and voi.json when present), formatted, never recomputed differently. The decision
frame is the portfolio (portfolio.json: every admissible combination of the options,
a single option being a portfolio of one); a folder without it is judged option by
option. The memo is built by its sections (:data:`SECTIONS`, each a function of the
memo and a :class:`Context`) as a list of blocks and rendered
to Markdown (figures as PNG files beside it), to one self-contained HTML file
(figures embedded, no scripts, no external references) or to a PDF that prints
(sim/reporting/memo_pdf.py: A4 or US Letter).
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from sim.errors import UsageError
from sim.model.labels import is_money, lower_first
from sim.reporting.format import amount, input_words, percent, style
from sim.reporting.format import payback as payback_text
from sim.reporting.format import periods as periods_text
from sim.reporting.memo_trust import trust_section
from sim.reporting.pilot_power import POWER_WORDS, power_by_measure
from sim.reporting.results_files import Record, read_results as read_folder

INVEST_CONFIDENCE = 0.80
"""P(NPV > 0) from which a positive expected NPV is a plain 'invest' (without value-of-information results)."""
SET_ON_COMMAND_LINE = "set on the command line"
"""The source the memo and the manifest give an input overridden with ``--set``."""
PILOT_SHARE = 0.10
"""A pilot is assumed to cost this share of the programme's expected PV cost."""


def read_results(folder: str | Path) -> Record:
    """A run's results folder checked whole (:func:`sim.reporting.results_files.read_results`), from a Monte Carlo run."""
    record = read_folder(folder, roi_only=True)
    if record.summary.get("mode") != "monte_carlo":
        raise UsageError(f"{record.folder}: a memo needs a Monte Carlo run, not a --base-case run")
    return record


# --- the decision rule ---------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    verdict: str  # "invest", "pilot", "do not invest"
    intervention: str
    """The option the memo's per-option parts follow (tornado, pilot, spreadsheet answer): the recommended
    portfolio's option with the highest expected NPV alone (the best single option when it is to do nothing)."""
    because: str
    portfolio: str | None = None
    """The recommended portfolio's name in portfolio.json; None when the folder has no portfolios (judged option by option)."""
    label: str = ""
    """The recommended portfolio, or option, in words."""
    members: tuple[str, ...] = ()
    """The recommended portfolio's options (empty: do nothing)."""


RULE = (
    f"Every admissible portfolio of the options is a candidate (a single option is a portfolio of one, doing "
    f"nothing the empty one), within the budget when one is given; the candidate with the highest expected NPV "
    f"is recommended. With value-of-information results, run a pilot first exactly when knowing one input better "
    f"(its EVPPI for that choice) is worth more than a pilot, assumed to cost {percent(PILOT_SHARE, 0)} of the "
    f"candidate's expected PV cost; otherwise decide now: invest when expected NPV is positive, do not invest when "
    f"it is zero or negative. Without value-of-information results: invest when expected NPV is positive and "
    f"P(NPV > 0) is at least {percent(INVEST_CONFIDENCE, 0)}; run a pilot first when expected NPV is positive but "
    f"the chance of a loss is higher; do not invest when expected NPV is zero or negative. When the pilot analysis "
    f"is present (EVSI of pilots of several sizes against their actual cost), it replaces the assumed "
    f"{percent(PILOT_SHARE, 0)}: recommend the pilot with the largest positive expected net gain, or decide now and "
    f"say why no pilot pays."
)


@dataclass(frozen=True)
class Candidate:
    """What the rule weighs: a portfolio (or one option) by its expected NPV, chance of a gain and PV cost."""

    name: str
    label: str
    members: tuple[str, ...]
    npv: float
    p_win: float
    pv_cost: float


def candidate(summary: dict[str, Any], portfolio: dict[str, Any] | None) -> tuple[Candidate, bool]:
    """The candidate of :data:`RULE` and whether it is to do nothing.

    From ``portfolio`` (portfolio.json) the portfolio it chose on expected NPV within the budget; when that
    is to do nothing, the best portfolio that does something is weighed (and its expected NPV is not
    positive, or the budget rules it out). Without portfolios, the option with the highest expected NPV.
    """
    entries = summary["interventions"]
    if portfolio is None:
        best = max(entries, key=lambda name: entries[name]["npv"]["mean"])
        entry = entries[best]
        return Candidate(best, entry.get("label", best), (best,), entry["npv"]["mean"], _prob_gain(entry),
                         entry["pv_cost"]["mean"]), False
    by_name = {entry["name"]: entry for entry in portfolio["portfolios"]}
    chosen = by_name[portfolio["choice"]]
    nothing = not chosen["interventions"]
    if nothing:
        doing = [e for e in portfolio["portfolios"] if e["interventions"] and e["within_budget"]] or \
                [e for e in portfolio["portfolios"] if e["interventions"]]
        chosen = max(doing, key=lambda e: e["npv"]["mean"])
    return Candidate(chosen["name"], chosen["label"], tuple(chosen["interventions"]), chosen["npv"]["mean"],
                     chosen["prob_npv_positive"], chosen["pv_cost"]["mean"]), nothing


def focus(summary: dict[str, Any], members: tuple[str, ...]) -> str:
    """The option of ``members`` (every option when empty) with the highest expected NPV alone."""
    entries = summary["interventions"]
    return max(members or entries, key=lambda name: entries[name]["npv"]["mean"])


def decide(summary: dict[str, Any], voi: dict[str, Any] | None, label=str,
           portfolio: dict[str, Any] | None = None) -> Decision:
    """Apply :data:`RULE` to a run's summary, its portfolios (portfolio.json) when present, and value of information.

    ``label`` turns an input path into words for the reason. With value of information (of the choice
    among portfolios when there are portfolios) the pilot branch follows the EVPPI table alone, so the
    recommendation never contradicts the table printed beside it.
    """
    best, nothing = candidate(summary, portfolio)
    currency = summary["currency"]
    npv, p_win = best.npv, best.p_win
    what = "portfolio" if portfolio is not None else "option"
    made = partial(Decision, intervention=focus(summary, best.members), portfolio=best.name if portfolio else None,
                   label=best.label, members=() if nothing else best.members)
    if voi is not None:
        pilot_cost = PILOT_SHARE * best.pv_cost
        top = voi["evppi"][0] if voi["evppi"] else None
        if top is not None and top["evppi"] > pilot_cost:
            return made("pilot", because=(
                f"learning {label(top['input'])} before deciding is worth up to {amount(top['evppi'], currency)}, "
                f"more than a pilot of about {amount(pilot_cost, currency)}"))
        worth = (f"no input is worth learning for more than a pilot of about {amount(pilot_cost, currency)}"
                 + (f" (the largest EVPPI is {amount(top['evppi'], currency)})" if top is not None else ""))
        if npv > 0 and not nothing:
            return made("invest", because=(
                f"expected NPV is {amount(npv, currency)}, positive in {percent(p_win, currency=currency)} of outcomes; "
                f"{worth}, so deciding now beats a pilot"))
        return made("do not invest", because=f"{_best_is(what, best, currency, nothing)}, and {worth}")
    if npv > 0 and not nothing and p_win >= INVEST_CONFIDENCE:
        return made("invest", because=f"expected NPV is {amount(npv, currency)}, positive in {percent(p_win, currency=currency)} of outcomes")
    if npv > 0 and not nothing:
        return made("pilot", because=(
            f"expected NPV is positive ({amount(npv, currency)}) but it is negative (a loss) in {percent(1 - p_win, currency=currency)} of outcomes"))
    return made("do not invest", because=_best_is(what, best, currency, nothing))


def _best_is(what: str, best: Candidate, currency: str, nothing: bool) -> str:
    """Why not invest: the best candidate's expected NPV (over the budget when that is why)."""
    if nothing and best.npv > 0:
        return f"the only {what}s that pay in expectation are over the budget (the best, {best.label}, expects {amount(best.npv, currency)})"
    return f"even the best {what}, {best.label}, has an expected NPV of {amount(best.npv, currency)}"


def pilot_cost_of(entry: dict[str, Any]) -> float:
    """The assumed cost of a pilot: :data:`PILOT_SHARE` of the intervention's expected PV cost."""
    return PILOT_SHARE * entry["pv_cost"]["mean"]


def _prob_gain(entry: dict[str, Any]) -> float:
    """P(NPV > 0): P(ROI > 0) where ROI is defined (older folders have only prob_roi_positive)."""
    return entry.get("prob_npv_positive", entry["prob_roi_positive"])


def with_pilot(decision: Decision, pilot: dict[str, Any] | None, summary: dict[str, Any], label=str,
               portfolio: dict[str, Any] | None = None) -> Decision:
    """The recommendation once the pilot analysis (``cxroi pilot``: EVSI against cost) is known.

    A pilot of the option the decision follows with positive expected net gain is recommended by
    size, length and net gain, in place of the flat rule that a pilot costs :data:`PILOT_SHARE` of
    the programme. When no pilot pays, a 'pilot' verdict falls back to the rule without value of
    information, and the reason says why not.
    """
    if not pilot or pilot.get("intervention") != decision.intervention:
        return decision
    currency = summary["currency"]
    if pilot["worth_running"]:
        best = pilot["best"]
        return replace(decision, verdict="pilot", because=(
            f"a pilot of {count(best['customers_per_arm'], currency)} customers per arm over {best['periods']} {summary['period']}s "
            f"is worth {amount(best['evsi'], currency)} (expected value of its result) against a cost of "
            f"{amount(best['cost'], currency)}: an expected net gain of {amount(best['net_gain'], currency)}"))
    best = max(pilot["sizes"], key=lambda row: row["net_gain"])
    if pilot["evppi"] <= 0:
        why_not = "no pilot pays for itself: the decision would not change whatever it showed"
    else:
        why_not = (f"no pilot pays for itself: what it measures is worth at most {amount(pilot['evppi'], currency)} "
                   f"to know, and the best size tried ({count(best['customers_per_arm'], currency)} per arm) costs "
                   f"{amount(-best['net_gain'], currency)} more than its result is worth")
    if decision.verdict == "pilot":
        fallback = decide(summary, None, label, portfolio)
        if fallback.verdict == "pilot":  # expected NPV positive but a loss is likely: decide on the expected value
            return replace(fallback, verdict="invest", because=f"{fallback.because}, yet {why_not}")
        return replace(fallback, because=f"{fallback.because}; {why_not}")
    return replace(decision, because=f"{decision.because}; {why_not}")


def count(n: float, currency: str | None = None) -> str:
    """A whole number of things in the style of the memo's currency: 10000 -> '10 000' (EUR), '10,000' (USD)."""
    return style(currency).count(n)


def pilot_section(memo: "Memo", pilot: dict[str, Any], label: str, segments: dict[str, str] | None = None,
                  period: str = "period") -> None:
    """The pilot sizes compared: value of the result (EVSI), cost, expected net gain; then the chance it
    shows the effect (power) on each measure it counts, named, size by size.

    ``segments`` names the segments for a reader (their labels); the ceiling on every size's value, the
    EVPPI of what the pilot measures, is stated, as the recommendation quotes it."""
    currency = pilot["currency"]
    segments = segments or {}
    counted: dict[str, list[str]] = {}
    for m in pilot["measures"]:
        counted.setdefault(m["counts"], []).append(segments.get(m["segment"], m["segment"]))
    ceiling = (f" Knowing exactly what it measures (the inputs it informs, together) would be worth at most "
               f"{amount(pilot['evppi'], currency)} (EVPPI): no pilot of any size can be worth more."
               if pilot.get("evppi") is not None else "")
    names = pilot.get("labels", {}).get("inputs", {})
    uncounted = (" It cannot count " + "; ".join(names.get(path, path) for path in pilot["not_measured"])
                 + ": what is known of them stays as it is." if pilot.get("not_measured") else "")
    memo.add("p", f"**Is a pilot of {label} worth it?** A pilot counts "
                  + "; ".join(f"{what} ({' and '.join(names)})" for what, names in counted.items())
                  + f" in a treated and a control arm for {periods_text(pilot['periods'], period)}.{uncounted}{ceiling} "
                  + f"Costs: {style(currency).restyle(pilot['costs']['basis'])}.")
    memo.add("table", (["customers per arm", "value of its result (EVSI)", "cost", "expected net gain"], [
        [count(row["customers_per_arm"], currency), amount(row["evsi"], currency), amount(row["cost"], currency),
         amount(row["net_gain"], currency)] for row in pilot["sizes"]]))
    powers = power_by_measure(pilot, segments)
    if powers:
        memo.add("p", f"The chance it shows the effect (power) is {POWER_WORDS}, for each thing the pilot counts:")
        memo.add("table", (["chance it shows the effect on", *(f"{count(row['customers_per_arm'], currency)} per arm"
                                                               for row in pilot["sizes"])],
                           [[name, *(percent(row[column], 0) for row in pilot["sizes"])] for name, column in powers]))


_APPETITES = {"mean": "expected NPV", "cvar": "the average of the worst 10\u00a0% of outcomes",
              "prob-positive": "the chance of a positive NPV"}


def _appetite(objective: str) -> str:
    return _APPETITES.get(objective.split(":")[0], objective)


def budget_and_appetites(portfolio: dict[str, Any], currency: str) -> str:
    """The budget the recommendation used and what it would be under the other risk appetites, in two sentences."""
    constraints = portfolio["constraints"]
    budget = ("The recommendation assumes no budget limit." if constraints["budget"] is None else
              f"The recommendation keeps within a budget of {amount(constraints['budget'], currency)} on "
              f"{constraints['budget_meaning']}.")
    # Mid-sentence, doing nothing reads in lower case; an option keeps its name as written.
    labels = {entry["name"]: entry["label"] if entry["interventions"] else "doing nothing"
              for entry in portfolio["portfolios"]}
    others = [(objective, name) for objective, name in portfolio["choice_by_objective"].items()
              if objective != portfolio["objective"]]
    if all(name == portfolio["choice"] for _, name in others):
        return f"{budget} A more cautious risk appetite chooses the same: judged by " + " or by ".join(
            _appetite(objective) for objective, _ in others) + "."
    return f"{budget} Under other risk appetites: " + "; ".join(
        f"judged by {_appetite(objective)}, {'the same as recommended' if name == portfolio['choice'] else labels[name]}"
        for objective, name in others) + "."


def portfolio_section(memo: "Memo", portfolio: dict[str, Any], currency: str) -> None:
    """Combining the options: the recommended portfolio, or a single option when combining does not pay,
    its interaction, the efficient frontier as a table and a figure."""
    from sim.reporting import figures

    entries = {entry["name"]: entry for entry in portfolio["portfolios"]}
    st = style(currency)
    chosen = entries[portfolio["choice"]]
    memo.add("h2", "Combining the options")
    if not chosen["interventions"]:
        what = "doing nothing: no portfolio pays in expectation" + (" within the budget" if portfolio["constraints"]["budget"] is not None else "")
    elif len(chosen["interventions"]) == 1:
        what = f"a single option, **{chosen['label']}**: combining it with others does not add expected NPV"
    else:
        what = f"the portfolio **{chosen['label']}**"
    interaction = chosen.get("interaction")
    overlap = (f" Its options {'overlap' if interaction['mean'] < 0 else 'reinforce each other'}: together they earn "
               f"{amount(abs(interaction['mean']), currency)} {'less' if interaction['mean'] < 0 else 'more'} than the sum "
               f"of their separate NPVs.") if interaction else ""
    search = portfolio.get("search", {})
    how_many = f"all {count(search['evaluated'], currency)} admissible combinations" if search.get("evaluated") == search.get("admissible") \
        else "the admissible combinations"
    memo.add("p", f"Judged by {_appetite(portfolio['objective'])}, {how_many} of the options (doing nothing included) "
                  f"point to {what} (expected NPV {amount(chosen['npv']['mean'], currency)}, 90\u00a0% interval "
                  f"{amount(chosen['npv']['p05'], currency)} to {amount(chosen['npv']['p95'], currency)}, positive in "
                  f"{st.percent(chosen['prob_npv_positive'])} of outcomes).{overlap}")
    memo.add("table", (["portfolio on the efficient frontier", "expected PV cost", "expected NPV", "incremental ROI"], [
        [entries[row["name"]]["label"], amount(row["pv_cost"], currency), amount(row["npv"], currency),
         st.roi(row["incremental_roi"]) if row["incremental_roi"] is not None else "—"] for row in portfolio["frontier"]]))
    memo.add("p", "Incremental ROI is what each step along the frontier adds: its extra expected NPV as a percentage of "
                  "its extra expected PV cost. It is a ratio of expected values, so it differs from the expected ROI in "
                  "the headline figures, which is the average of each outcome's own ROI.")
    memo.figures["frontier"] = figures.frontier_figure(portfolio)
    memo.add("figure", ("frontier", "Expected NPV against expected PV cost of each portfolio, with its 90\u00a0% interval; "
                                    "the line is the efficient frontier, hollow points are off it, the circle is the choice."))


# --- building the memo ---------------------------------------------------------------


@dataclass
class Memo:
    """A memo as blocks: ("h1"|"h2"|"appendix"|"p"|"list"|"table"|"assumptions"|"figure"|"code", payload)."""

    title: str
    blocks: list[tuple[str, Any]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def add(self, kind: str, payload: Any) -> None:
        self.blocks.append((kind, payload))


@dataclass(frozen=True)
class Context:
    """What every section of a memo reads: the folder's record and what follows from it."""

    record: Record
    decision: Decision
    voi: dict[str, Any] | None
    """Value of information of the decision: of the choice among portfolios when the folder has them."""
    labels: dict[str, str]
    label: Any
    """An input path in words (:func:`input_label`)."""

    @property
    def summary(self) -> dict[str, Any]:
        return self.record.summary

    @property
    def currency(self) -> str:
        return self.record.summary["currency"]


def context(record: Record) -> Context:
    """The decision and what the sections share, from a results folder's record."""
    summary = record.summary
    label = partial(input_label, record.manifest)
    voi = record.portfolio if record.portfolio is not None else record.voi
    decision = with_pilot(decide(summary, voi, label, record.portfolio), record.pilot, summary, label, record.portfolio)
    labels = {name: entry["label"] for name, entry in summary["interventions"].items()}
    return Context(record, decision, voi, labels, label)


SECTIONS: list = []
"""The memo's sections in reading order: functions (memo, context) -> None, each adding its blocks."""


def section(function):
    """Register a section of the memo (in the order of definition)."""
    SECTIONS.append(function)
    return function


def build(record: Record, title: str | None = None) -> Memo:
    """The memo's content, in the order a decision-maker reads it (:data:`SECTIONS`)."""
    memo = Memo(title or f"Decision memo: {record.summary['scenario']}")
    ctx = context(record)
    for add_section in SECTIONS:
        add_section(memo, ctx)
    return memo


@section
def question_and_recommendation(memo: Memo, ctx: Context) -> None:
    """The question, the recommendation and its reason; the budget and risk appetites, or why options were judged alone."""
    decision, summary, labels = ctx.decision, ctx.summary, ctx.labels
    scenario = ctx.record.manifest["resolved_scenario"]["settings"]
    memo.add("h1", memo.title)
    question = scenario.get("description") or (
        f"Should we make this support investment: {next(iter(labels.values()))}?" if len(labels) == 1 else
        f"Which of these {len(labels)} support investments should we make, if any, alone or together?")
    together = len(decision.members) > 1
    verdict = {"invest": f"Invest in {'the portfolio ' if together else ''}**{decision.label}**",
               "pilot": (f"Run a pilot of **{labels[decision.intervention]}** before committing to "
                         f"{'the portfolio ' if together else ''}**{decision.label}**" if together else
                         f"Run a pilot of **{decision.label}** before committing"),
               "do not invest": "Do not invest in any of the options as they stand"}[decision.verdict]
    memo.add("p", f"**Question.** {question}")
    memo.add("p", f"**Recommendation.** {verdict}: {decision.because}.")
    portfolio = ctx.record.portfolio
    if portfolio is not None:
        memo.add("p", budget_and_appetites(portfolio, ctx.currency))
    elif len(labels) > 1:
        memo.add("p", "This results folder holds no portfolios, so the options were judged one by one, as if "
                      "they excluded each other; `cxroi run --memo` also weighs every combination of them.")


@section
def headline_figures(memo: Memo, ctx: Context) -> None:
    """The headline table (each option, and the recommended combination), support, ROI's meaning."""
    summary, currency, labels = ctx.summary, ctx.currency, ctx.labels
    entries = summary["interventions"]
    st = style(currency)
    memo.add("h2", "Headline figures")
    memo.add("table", headline_table(summary, _recommended_combination(ctx)))
    if "support" in summary:
        arms = {"baseline": "Today (no change)", **labels}
        memo.add("p", "**What customers meet in support** (means over the horizon):")
        memo.add("table", (["", *(arms[a] for a in summary["support"])], [
            ["Contacts per " + summary["period"], *(st.number(v["contacts_per_period"]) for v in summary["support"].values())],
            ["Answered or solved", *(st.percent(v["answered_share"]) for v in summary["support"].values())],
            ["Mean wait of answered contacts", *(f"{st.fixed(v['mean_wait_minutes'], 1)} min" for v in summary["support"].values())],
        ]))
    basis = "gross profit less support cost" if summary["roi_basis"] == "gross_profit" else "revenue"
    for name, entry in entries.items():
        if entry.get("roi_undefined"):
            memo.add("p", f"**{labels[name]}**: {entry['roi_undefined']['reason']} (in {st.percent(entry['roi_undefined']['share'], 0)} "
                          f"of outcomes). Its NPV is positive in {st.percent(_prob_gain(entry))} of outcomes.")
    same = (f" P(ROI > 0) and P(payback within {_periods(summary)}) are one figure by construction: an outcome has "
            f"paid back exactly when its cumulative discounted net cash flow ends the horizon at or above zero, "
            f"that is when its NPV is not negative.") if _chances_equal(entries) else ""
    memo.add("p", f"Amounts are present values in {currency} at {st.percent(summary['discount_rate'])} a year over "
                  f"{_periods(summary)}; benefit is the change in {basis} against today's baseline; "
                  f"ROI = (PV benefit − PV cost) / PV cost, shown as a percentage of cost (an ROI of 400\u00a0% returns "
                  f"four times the cost on top of it).{same}")


def _recommended_combination(ctx: Context) -> dict[str, Any] | None:
    """The recommended portfolio's entry in portfolio.json when it combines two or more options, else None."""
    if ctx.record.portfolio is None or len(ctx.decision.members) < 2:
        return None
    return next(e for e in ctx.record.portfolio["portfolios"] if e["name"] == ctx.decision.portfolio)


@section
def combining(memo: Memo, ctx: Context) -> None:
    """The portfolio section, where the options can be combined."""
    portfolio = ctx.record.portfolio
    if portfolio is not None and any(len(e["interventions"]) > 1 for e in portfolio["portfolios"]):
        portfolio_section(memo, portfolio, ctx.currency)


@section
def spread(memo: Memo, ctx: Context) -> None:
    """ROI distribution, cash-flow fan and the tornado of the option the decision follows."""
    from sim.reporting import figures

    record, summary, currency, labels, decision = ctx.record, ctx.summary, ctx.currency, ctx.labels, ctx.decision
    entries = summary["interventions"]
    memo.add("h2", "How the outcomes are spread")
    roi = {name: record.draws[f"{name}.roi"].to_numpy() for name in entries if f"{name}.roi" in record.draws}
    memo.figures["roi_distribution"] = figures.roi_histogram(roi, labels, currency)
    memo.add("figure", ("roi_distribution", "ROI distribution of each option; left of the dashed line the programme loses money. At most "
                                            "1\u00a0% of all outcomes, the most extreme, lie beyond its edges."))
    fan = record.bands[record.bands["metric"] == "cumulative_discounted_net"]
    payback = {name: entry["payback_period"]["p50"] for name, entry in entries.items()}
    memo.figures["cash_flow"] = figures.cash_flow_fan(fan, labels, currency, summary["period"], payback)
    memo.add("figure", ("cash_flow", "Cumulative discounted net cash flow of each option: median with 50\u00a0% and 90\u00a0% bands; the dot marks the median payback."))
    rows = None if record.tornado is None else record.tornado[record.tornado["intervention"] == decision.intervention]
    if rows is not None and not rows.empty:
        memo.figures["tornado"] = figures.tornado_figure(rows, currency, "what moves NPV most", bars=8,
                                                         summary={"labels": {"options": labels}})
        top = rows.iloc[0]
        memo.add("figure", ("tornado", f"What moves the NPV of {labels[decision.intervention]}: each input from its 10th "
                                       f"to its 90th percentile, others at base. Largest: {ctx.label(top['input'])} "
                                       f"({amount(top['npv_at_low'], currency)} to {amount(top['npv_at_high'], currency)})."))


@section
def value_of_information(memo: Memo, ctx: Context) -> None:
    """EVPI and the inputs most worth learning about; the pilot sizes compared, when analysed."""
    voi, currency, decision, record = ctx.voi, ctx.currency, ctx.decision, ctx.record
    if voi:
        best, _ = candidate(ctx.summary, record.portfolio)
        choice = "choosing among the portfolios" if record.portfolio is not None else "deciding"
        priced = (f" as a rule of thumb; below, actual pilots of {ctx.labels[decision.intervention]} are priced size by size"
                  if record.pilot and record.pilot.get("intervention") == decision.intervention else "")
        memo.add("p", f"**Value of information.** Perfect knowledge of every input before {choice} would be worth "
                      f"{amount(voi['evpi'], currency)} (EVPI). A pilot is assumed to cost about "
                      f"{amount(PILOT_SHARE * best.pv_cost, currency)} ({percent(PILOT_SHARE, 0)} of the expected PV cost of "
                      f"{best.label}){priced}. The inputs most worth learning about:")
        memo.add("table", (["input", "most a study of it is worth (EVPPI)"],
                           [[ctx.label(r["input"]), amount(r["evppi"], currency)] for r in voi["evppi"][:5]]))
    if record.pilot and record.pilot.get("intervention") == decision.intervention:
        segments = {name: lower_first(spec.get("label") or name)
                    for name, spec in record.manifest.get("resolved_scenario", {}).get("segments", {}).items()}
        pilot_section(memo, record.pilot, ctx.labels[decision.intervention], segments, ctx.summary["period"])


@section
def spreadsheet_answer(memo: Memo, ctx: Context) -> None:
    """The base case of what the decision recommends (the portfolio, when portfolio.json has its base case; else
    the option the decision follows) against the simulation's mean."""
    summary, currency, decision = ctx.summary, ctx.currency, ctx.decision
    st = style(currency)
    chosen, name = summary["interventions"][decision.intervention], ctx.labels[decision.intervention]
    combination = _recommended_combination(ctx)
    if combination is not None and combination.get("base_case") is not None:
        chosen, name = combination, decision.label
    elif combination is not None:  # a portfolio.json written before portfolios carried their base case
        name += " (the recommended portfolio's largest part)"
    memo.add("h2", "The spreadsheet answer")
    base = chosen["base_case"]
    diff = chosen["roi"]["mean"] - base["roi"] if base["roi"] is not None and chosen["roi"]["mean"] is not None else None
    direction = "below" if diff is not None and diff < 0 else "above"
    memo.add("p", (
        f"With every input at its base value (the value the scenario states as its base, else the median of its "
        f"range), {name} returns an ROI of "
        f"{st.roi(base['roi'])} (NPV {amount(base['npv'], currency)}); the mean over all {st.count(summary['draws'])} "
        f"simulated outcomes is {st.roi(chosen['roi']['mean'])}, {direction} it. They differ because the simulation "
        f"averages over the whole range of every uncertain input, and the result is not a straight line in them: "
        f"effects multiply (a retained customer buys again and again) and skewed ranges have means away from their "
        f"median."))


@section
def trust(memo: Memo, ctx: Context) -> None:
    """How much to trust the inputs (sim/reporting/memo_trust.py: the model review of fitted inputs)."""
    trust_section(memo, ctx.record.manifest)


@section
def method(memo: Memo, ctx: Context) -> None:
    """How the numbers were made, adjusted draws, the command that reproduces them and the decision rule."""
    summary, manifest, labels = ctx.summary, ctx.record.manifest, ctx.labels
    st = style(ctx.currency)
    memo.add("h2", "Method and reproducibility")
    memo.add("p", (
        f"Customers are simulated {summary['period']} by {summary['period']} in each segment: they arrive, may churn, buy and "
        "contact support; each contact is a good, neutral or bad experience, which raises or lowers their buying and "
        "churn for a while, and a bad one can make them walk away. Every uncertain input is drawn from its stated "
        "range; each draw runs the baseline and every option, and every combination of options, on the same "
        "customers (common random numbers), so the difference between them is the effect of the option, not noise."))
    sc = manifest["scenario"]
    memo.add("list", [
        f"Draws: {st.count(summary['draws'])}; seed: {summary['seed']}; sampling: {summary['sampling']}",
        f"Scenario: {sc.get('file')} (SHA-256 {(sc.get('sha256') or '')[:16]}…)" + (f"; overrides: {', '.join(sc['overrides'])}" if sc.get("overrides") else ""),
        f"cxroi {manifest.get('cxroi_version')}, run {manifest.get('created')}",
    ])
    if summary.get("adjustments"):
        from sim.reporting.notices import adjustment_lines

        lines = adjustment_lines(summary["adjustments"], summary["draws"], st, ctx.label, lambda name: labels.get(name, name))
        memo.add("p", ". ".join(lines) + ". Each is counted in summary.json and the manifest.")
    memo.add("p", "To reproduce these numbers:")
    memo.add("code", reproduce_command(manifest, summary, ctx.record.portfolio))
    memo.add("p", f"Decision rule: {RULE}")


@section
def assumptions(memo: Memo, ctx: Context) -> None:
    """The appendix: every input in plain words with its source, grouped."""
    memo.add("appendix", "Appendix: every assumption and its source")
    for group, rows in _assumption_groups(ctx.record.manifest, style(ctx.currency)).items():
        memo.add("h3", group)
        memo.add("assumptions", (["input", "value", "source"], rows))


def headline_table(summary: dict[str, Any], combination: dict[str, Any] | None = None) -> tuple[list[str], list[list[str]]]:
    """The memo's headline figures of a run's summary (summary.json): header and rows, formatted.

    ``combination``: a portfolio of portfolio.json shown as one more column (the recommended one, when it
    combines options); its payback as its options' (a portfolio.json written before it carried one shows "—"). Also what a :class:`sim.Result` shows in a
    notebook (sim/reporting/notebook.py).
    """
    currency = summary["currency"]
    entries = dict(summary["interventions"])
    if combination is not None:
        chance = combination["prob_npv_positive"]
        entries[combination["name"]] = {
            "label": combination["label"], "npv": combination["npv"], "roi": combination["roi"],
            "prob_roi_positive": chance, "prob_payback_within_horizon": chance, "payback_period": combination.get("payback_period"),
            "npv_expected_shortfall_10": combination["npv_expected_shortfall_10"]}
    st = style(currency)
    labels = [entry["label"] for entry in entries.values()]
    return ["", *labels], [
        ["Expected NPV", *(amount(e["npv"]["mean"], currency) for e in entries.values())],
        ["NPV, 90\u00a0% interval", *(f"{amount(e['npv']['p05'], currency)} to {amount(e['npv']['p95'], currency)}" for e in entries.values())],
        ["Expected ROI", *(st.roi(e["roi"]["mean"]) for e in entries.values())],
        ["ROI, 90\u00a0% interval", *(f"{st.roi(e['roi']['p05'])} to {st.roi(e['roi']['p95'])}" for e in entries.values())],
        *_chance_rows(summary, st, entries),
        ["Median payback", *("—" if e["payback_period"] is None else payback_text(e["payback_period"]["p50"], summary["period"])
                             for e in entries.values())],
        *_worst_rows(entries, currency),
    ]


def _chances_equal(entries: dict[str, Any]) -> bool:
    """Whether P(ROI > 0) and P(payback within the horizon) are the same number for every option.

    They are by construction (sim.model.finance.payback_period): an outcome has paid back
    exactly when it ends the horizon at or above zero, so the two differ only by outcomes
    that end at exactly zero, or where ROI is undefined (no cost).
    """
    return all(e["prob_roi_positive"] is not None and e["prob_roi_positive"] == e["prob_payback_within_horizon"]
               for e in entries.values())


def _chance_rows(summary: dict[str, Any], st, entries: dict[str, Any]) -> list[list[str]]:
    """The chance of a gain: one row where it equals the chance of paying back in time, else both."""
    within = f"P(payback within {_periods(summary)})"
    if _chances_equal(entries):
        return [[f"P(ROI > 0) = {within}", *(st.percent(e["prob_roi_positive"]) for e in entries.values())]]
    return [["P(ROI > 0)", *(st.percent(e["prob_roi_positive"]) for e in entries.values())],
            [within, *(st.percent(e["prob_payback_within_horizon"]) for e in entries.values())]]


def _worst_rows(entries: dict[str, Any], currency: str) -> list[list[str]]:
    """The downside rows, labelled so that they read right whatever the sign.

    The 10th percentile is what 9 outcomes in 10 reach at least: a gain ("9 in 10 outcomes
    return at least 52 125 €") or a loss ("1 in 10 outcomes loses more than 60 000 €").
    The average of the worst 10 % is a return ("even the worst 10 % return 20 000 € on
    average") or a loss. Options of mixed signs share a neutral, signed label.
    """
    p10 = [e["npv"]["p10"] for e in entries.values()]
    tail = [e["npv_expected_shortfall_10"] for e in entries.values()]
    if all(v >= 0 for v in p10):
        first = ["9 in 10 outcomes return at least (NPV, 10th percentile)", *(amount(v, currency) for v in p10)]
    elif all(v < 0 for v in p10):
        first = ["1 in 10 outcomes loses more than (NPV, 10th percentile)", *(amount(-v, currency) for v in p10)]
    else:
        first = ["NPV, 10th percentile (9 in 10 outcomes do better)", *(amount(v, currency) for v in p10)]
    if all(v >= 0 for v in tail):
        second = ["Even the worst 10\u00a0% of outcomes return, on average", *(amount(v, currency) for v in tail)]
    elif all(v < 0 for v in tail):
        second = ["The worst 10\u00a0% of outcomes lose, on average", *(amount(-v, currency) for v in tail)]
    else:
        second = ["NPV, average of the worst 10\u00a0% of outcomes", *(amount(v, currency) for v in tail)]
    return [first, second]


def input_label(manifest: dict[str, Any], path: str) -> str:
    """An input for a reader: its name from the manifest (runs since names were written there);
    for older folders an intervention's change by what it changes, any other input by its path."""
    name = manifest.get("inputs", {}).get(path, {}).get("label")
    if name:
        return name
    match = re.match(r"interventions\.([^.]+)\.changes\[(\d+)\]\.(set|scale|add)$", path)
    if not match:
        return f"`{path}`"
    name, index, operation = match.group(1), int(match.group(2)), match.group(3)
    spec = manifest["resolved_scenario"]["interventions"][name]
    target = spec["changes"][index]["path"]
    verb = {"set": "the new value of", "scale": "the factor on", "add": "the change in"}[operation]
    return f"{verb} `{target}` under {spec.get('label') or name}"


def reproduce_command(manifest: dict[str, Any], summary: dict[str, Any], portfolio: dict[str, Any] | None = None) -> str:
    """The exact command that gives the same numbers (and the memo's portfolios, with its budget)."""
    sc = manifest["scenario"]
    parts = ["cxroi", "run", str(sc.get("file")), "--draws", str(summary["draws"]), "--seed", str(summary["seed"])]
    for override in sc.get("overrides", []):
        parts += ["--set", f"'{override}'"]
    if portfolio is not None:
        parts.append("--memo")
        if portfolio["constraints"]["budget"] is not None:
            parts += ["--budget", f"{portfolio['constraints']['budget']:g}"]
    return " ".join(parts)


def _periods(summary: dict[str, Any]) -> str:
    """'36 months', '1 year'."""
    return f"{summary['horizon']} {summary['period']}{'' if summary['horizon'] == 1 else 's'}"


def _assumption_groups(manifest: dict[str, Any], st=None) -> dict[str, list[list[str]]]:
    """Inputs in plain words with their sources, grouped by segment, support and intervention; numbers in
    the house style ``st`` (the model's description of each input, :func:`input_words`)."""
    st = st or style()
    resolved = manifest["resolved_scenario"]
    groups: dict[str, list[list[str]]] = {}
    for path, item in manifest["inputs"].items():
        parts = path.split(".")
        if parts[0] == "segments":
            label = resolved["segments"][parts[1]].get("label") or parts[1]
            group, name = f"Segment: {label}", ".".join(parts[2:]).replace("experience.", "")
        elif parts[0] == "support":
            group, name = "Support channels", ".".join(parts[2:])
        elif parts[0] == "operations":
            if parts[1] == "channels":
                group, name = f"Support operations: {parts[2]}", ".".join(parts[3:])
            else:
                group, name = "Support operations", ".".join(parts[1:])
        else:
            spec = resolved["interventions"][parts[1]]
            group, name = f"Intervention: {spec.get('label') or parts[1]}", ".".join(parts[2:])
            if name.startswith("changes["):
                index = int(name[len("changes["):name.index("]")])
                change = spec["changes"][index]
                operation = next(op for op in ("set", "scale", "add") if change.get(op) is not None)
                name = f"{operation} {change['path']}"
        groups.setdefault(group, []).append([item.get("label") or name, input_words(item, st, is_money(path)),
                                             st.restyle(item.get("source") or "—")])
    overridden = {path for path in manifest["inputs"]}
    others = [o for o in manifest["scenario"].get("overrides", []) if o.partition("=")[0].strip() not in overridden]
    if others:
        groups["Settings set on the command line"] = [
            [o.partition("=")[0].strip(), o.partition("=")[2].strip(), SET_ON_COMMAND_LINE] for o in others]
    return groups


# --- rendering ------------------------------------------------------------------------


def render_markdown(memo: Memo, figure_files: dict[str, str]) -> str:
    """Markdown with figures as relative image links."""
    lines: list[str] = []
    for kind, payload in memo.blocks:
        if kind == "h1":
            lines += [f"# {payload}", ""]
        elif kind in ("h2", "appendix"):
            lines += [f"## {payload}", ""]
        elif kind == "h3":
            lines += [f"**{payload}**", ""]
        elif kind == "p":
            lines += [payload, ""]
        elif kind == "list":
            lines += [f"- {item}" for item in payload] + [""]
        elif kind == "code":
            lines += ["```", payload, "```", ""]
        elif kind == "figure":
            name, caption = payload
            lines += [f"![{name.replace('_', ' ')}]({figure_files[name]})", "", f"*{caption}*", ""]
        elif kind in ("table", "assumptions"):
            header, rows = payload
            right = numeric_columns(rows)
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "|".join(" ---: " if r else " --- " for r in right) + "|")
            lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
            lines.append("")
    return "\n".join(lines)


_CSS = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 46em; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.4; font-size: 15px; }
h1 { font-size: 1.6em; border-bottom: 2px solid #333; padding-bottom: .2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #bbb; }
table { border-collapse: collapse; margin: .4em 0 .8em; font-size: .8em; width: 100%; }
table.assumptions { font-size: .7em; }
table.assumptions td { padding: .1em .4em; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
figure { margin: 1em 0; page-break-inside: avoid; }
figure img { max-width: 100%; }
figcaption { font-size: .85em; color: #555; }
code, pre { font-family: Menlo, Consolas, monospace; font-size: .85em; background: #f4f4f4; }
pre { padding: .6em; white-space: pre-wrap; }
@page { margin: 18mm; }
h3 { font-size: 1em; margin: 1em 0 .2em; }
.keep { break-inside: avoid; page-break-inside: avoid; }
@media print { body { margin: 0; max-width: none; } h2, h3 { break-after: avoid; page-break-after: avoid; }
  table { page-break-inside: avoid; } .appendix-start { break-before: page; page-break-before: always; } }
"""


def render_html(memo: Memo, figure_png: dict[str, bytes]) -> str:
    """One self-contained HTML page: inline CSS, figures as data URIs, no scripts or links.

    Each heading, and each sentence that introduces what follows it (ending in a colon), is
    printed together with the block after it (``div.keep``), so none is left alone at the
    bottom of a printed page.
    """
    body: list[str] = []
    held: str | None = None
    for kind, payload in memo.blocks:
        before = len(body)
        _render_block(body, kind, payload, figure_png)
        if kind in ("h2", "h3", "appendix") or (kind == "p" and payload.rstrip().endswith(":")):
            held = body.pop() if held is None else held + body.pop()
            continue
        if held is not None and len(body) > before:
            css = "keep appendix-start" if 'class="appendix"' in held else "keep"
            body[before] = f'<div class="{css}">{held}{body[before]}</div>'
            held = None
    if held is not None:
        body.append(held)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(memo.title)}</title><style>{_CSS}</style></head>\n<body>\n"
        + "\n".join(body) + "\n</body></html>\n"
    )


def _render_block(body: list[str], kind: str, payload: Any, figure_png: dict[str, bytes]) -> None:
    """Append one block's HTML to ``body``."""
    if kind in ("h1", "h2", "h3"):
        body.append(f"<{kind}>{_inline(payload)}</{kind}>")
    elif kind == "appendix":
        body.append(f'<h2 class="appendix">{_inline(payload)}</h2>')
    elif kind == "p":
        body.append(f"<p>{_inline(payload)}</p>")
    elif kind == "list":
        body.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in payload) + "</ul>")
    elif kind == "code":
        body.append(f"<pre><code>{html.escape(payload)}</code></pre>")
    elif kind == "figure":
        name, caption = payload
        data = base64.b64encode(figure_png[name]).decode("ascii")
        body.append(f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
                    f"<figcaption>{_inline(caption)}</figcaption></figure>")
    elif kind in ("table", "assumptions"):
        header, rows = payload
        num = [' class="num"' if r else "" for r in numeric_columns(rows)]
        head = "".join(f"<th{n}>{_inline(h)}</th>" for h, n in zip(header, num))
        cells = "".join("<tr>" + "".join(f"<td{n}>{_inline(str(c))}</td>" for c, n in zip(row, num)) + "</tr>"
                        for row in rows)
        css = ' class="assumptions"' if kind == "assumptions" else ""
        body.append(f"<table{css}><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>")


_NUMBER = re.compile(r"^(?:[−+-]?\s?(?:\$|£|CHF\s?)?\d|n/a$|(?:month|year|week|quarter) \d|beyond the horizon$)")


def numeric_columns(rows: list[list[Any]]) -> list[bool]:
    """Per column, whether it holds numbers (amounts, percentages, 'month 18'): those are right-aligned.

    A column is numeric when most of its cells start with a number; every cell of it is then
    aligned alike, so a column reads as one.
    """
    if not rows:
        return []
    columns = list(zip(*rows))
    return [sum(bool(_NUMBER.match(str(c).strip())) for c in column) * 2 > len(column) for column in columns]


def _inline(text: str) -> str:
    """Escape, then render **bold** and `code` spans."""
    escaped = html.escape(text)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", escaped)


# --- writing ----------------------------------------------------------------------------


def write(folder: str | Path, out: str | Path | None = None, fmt: str | None = None, title: str | None = None,
          overwrite: bool = False, paper: str = "a4", placed: Callable[[Path], None] = lambda path: None) -> list[Path]:
    """Write the memo of a results folder as Markdown, HTML and/or PDF (on ``paper``); return the files written.

    Each file (Markdown: with its figures' folder) is written under a temporary name and renamed into place
    whole; ``placed(path)`` is called in the same step, with Ctrl-C and SIGTERM held back, so a command
    interrupted after it can name what it wrote (:func:`sim.shell.results_folder.placing`)."""
    import matplotlib.pyplot as plt

    formats = memo_formats(out, fmt)
    if "pdf" in formats:
        try:
            import reportlab  # noqa: F401 - a dependency of cxroi; checked here to say so in one line
        except ImportError:
            raise UsageError("a PDF memo needs reportlab: pip install reportlab (a dependency of cxroi)") from None
    record = read_results(folder)
    targets = {f: Path(out) if out else record.folder / f"memo.{f}" for f in formats}
    for path in targets.values():
        if path.exists() and not overwrite:
            raise UsageError(f"{path}: already exists; pass --overwrite to replace it or choose another --out")
    try:
        memo = build(record, title)
    except (KeyError, IndexError, TypeError, ValueError) as error:
        # Every file passed its own check, but their contents do not fit together (edited by hand?).
        raise UsageError(f"{record.folder}: damaged: the results files do not fit together ({type(error).__name__}: "
                         f"{error}); write the folder again with cxroi run") from None
    try:
        png, print_png = {}, {}
        for name, figure in memo.figures.items():
            for target, dpi, wanted in ((png, 110, {"md", "html"}), (print_png, 220, {"pdf"})):
                if wanted & set(formats):
                    buffer = io.BytesIO()
                    figure.savefig(buffer, format="png", dpi=dpi)
                    target[name] = buffer.getvalue()
    finally:
        for figure in memo.figures.values():
            plt.close(figure)
    written = []
    for f, path in targets.items():
        try:
            _write_one(memo, f, path, print_png if f == "pdf" else png, paper, placed)
        except OSError as error:
            raise UsageError(f"{path}: cannot write the memo ({error.strerror or error})") from None
        written.append(path)
    return written


def _write_one(memo: Memo, f: str, path: Path, png: dict[str, bytes], paper: str = "a4",
               placed: Callable[[Path], None] = lambda path: None) -> None:
    """Write the memo in format ``f`` to ``path`` (Markdown with its figures beside it, one HTML file, or a PDF)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if f == "pdf":
        from sim.reporting.memo_pdf import render_pdf

        _atomic_bytes(path, render_pdf(memo, png, paper), placed)
    elif f == "md":
        _atomic_markdown(path, memo, png, placed)
    else:
        _atomic_bytes(path, render_html(memo, png).encode("utf-8"), placed)


FORMATS = {".md": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}


def memo_formats(out: str | Path | None, fmt: str | None) -> list[str]:
    """The formats to write: ``fmt``, else the ``--out`` file's (by extension), else both; UsageError otherwise."""
    if out is None:
        return [fmt] if fmt else ["md", "html"]
    by_name = FORMATS.get(Path(out).suffix.lower())
    if by_name is None:
        raise UsageError(f"--out {out}: a memo is written as Markdown (.md), HTML (.html) or PDF (.pdf), not "
                         f"'{Path(out).suffix or 'a file without extension'}'")
    if fmt and fmt != by_name:
        raise UsageError(f"--out {out}: the extension says {by_name} but --format says {fmt}; make them agree")
    return [by_name]


def _atomic_bytes(path: Path, data: bytes, placed: Callable[[Path], None],
                  figures: tuple[Path, Path] | None = None) -> None:
    """Write ``data`` to ``path`` under a temporary name beside it and rename it into place, with ``figures``
    (a staged folder and its place) renamed into place in the same step, an old folder there replaced."""
    from sim.compute.parallel import signals_held

    staging = path.with_name(f".{path.name}.partial-{os.getpid()}")
    retired = None
    try:
        staging.write_bytes(data)
        with signals_held():  # the figures and their memo together, and recorded: never one without the other
            if figures is not None:
                built, place = figures
                if place.exists():
                    retired = Path(tempfile.mkdtemp(prefix=f".{place.name}.old-", dir=place.parent))
                    os.rename(place, retired / place.name)
                os.rename(built, place)
            staging.replace(path)
            placed(path)
    finally:
        staging.unlink(missing_ok=True)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)


def _atomic_markdown(path: Path, memo: Memo, png: dict[str, bytes], placed: Callable[[Path], None]) -> None:
    """memo.md and its figures' folder (``memo_figures/``), both built under temporary names and renamed into
    place together: an interrupt or error leaves the old memo and figures, or none, never a mix of the two."""
    place = path.parent / f"{path.stem}_figures"
    built = Path(tempfile.mkdtemp(prefix=f".{place.name}.partial-", dir=path.parent))
    try:
        mask = os.umask(0)
        os.umask(mask)
        built.chmod(0o777 & ~mask)  # a new folder's permissions, not a temporary one's
        files = {}
        for name, data in png.items():
            (built / f"{name}.png").write_bytes(data)
            files[name] = f"{place.name}/{name}.png"
        _atomic_bytes(path, render_markdown(memo, files).encode("utf-8"), placed, figures=(built, place))
    finally:
        shutil.rmtree(built, ignore_errors=True)  # gone already once renamed into place
