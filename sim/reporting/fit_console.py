"""Printing the ``fit`` commands' reports in a terminal: estimates, fitted against observed, holdout checks.

One function per report of :mod:`sim.fit` (:func:`print_churn` for
:func:`~sim.fit.customers_report.customers_report`, :func:`print_purchases`,
:func:`print_support`, :func:`print_pilot`); what was written where is the
command's to say. Numbers are in the house style of :mod:`sim.reporting.format` (grouped
by no-break spaces, true minus, ``95 %``), prose is wrapped to the terminal at ordinary
spaces and tables fit its width (:mod:`sim.reporting.layout`); the reports' own texts
(summary.json) keep their plain numbers and are restyled here, at the edge.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rich.console import Console

from sim.fit.checks import Homogeneous
from sim.fit.customers_report import churn_verdict
from sim.fit.reports import day_text
from sim.reporting.console import say, show_table
from sim.reporting.format import NumberStyle, style

if TYPE_CHECKING:
    from sim.fit.customers_report import CustomersReport
    from sim.fit.orders_report import OrdersReport
    from sim.fit.pilot_report import PilotReport
    from sim.fit.support_report import SupportReport


def echo(text: str) -> None:
    """Prose for people, wrapped to the terminal at ordinary spaces (a number's no-break spaces hold)."""
    console = Console()
    for paragraph in text.split("\n"):
        say(console, paragraph)


def _p(st: NumberStyle, p: float) -> str:
    text = st.p_value(p)
    return text if text.startswith("<") else f"= {text}"


def print_churn(report: CustomersReport) -> None:
    st = style()
    ci = st.percent(0.95, 0)
    period, facts = report.period, report.facts
    where = f" as of {day_text(facts['as_of'])}" if facts["as_of"] is not None else ""
    echo(f"Retention per {period}{where} ({facts['form']}).")
    for result in report.segments:
        fit = result.fit
        if result.homogeneous:
            echo(f"\nsegment {result.name}: {st.count(fit.customers)} customers; churn looks the same for every customer: "
                 f"geometric churn {st.estimate(fit.estimate)} per {period} ({ci} {st.estimate(fit.low)} to "
                 f"{st.estimate(fit.high)})")
        else:
            title = (f"segment {result.name}: {st.count(fit.n_customers)} customers, {st.count(fit.n_churned)} churned; "
                     f"corr(alpha, beta) {st.fixed(fit.corr, 2)}; mean churn at the start {st.estimate(fit.mean_churn)} "
                     f"per {period}")
            print_table(title, estimate_rows(fit.as_rows()), {})
            test = fit.heterogeneity
            echo(churn_verdict(fit, st.fixed(test.statistic, 1 if test.heterogeneous else 2), _p(st, test.p_value)))
        table = result.table
        shown = table if len(table) <= 13 else table.iloc[np.unique(np.linspace(0, len(table) - 1, 13).round().astype(int))]
        columns = [c for c in ("period", "at_risk", "observed", "sbg", "geometric") if c in shown]
        print_table("observed vs fitted survival (every period in survival.csv with --out)", shown[columns],
                    {"observed": "fixed:3", "sbg": "fixed:3", "geometric": "fixed:3", "at_risk": "count"})
        holdout = result.holdout
        if holdout is not None:
            mae = ("no tenure beyond the fitted ones to check survival on" if not math.isfinite(holdout.mae_pp)
                   else f"survival error on the unseen tenures {st.fixed(holdout.mae_pp, 2)} percentage points")
            cut = f"up to {day_text(facts['cutoff'])}" if facts["cutoff"] is not None else "on the first two thirds of the periods"
            echo(f"holdout (fit {cut}): {mae}; of {st.count(holdout.renewed_at_cutoff)} "
                 f"customers renewing at the cut-off, {st.count(holdout.predicted_renewing)} predicted and "
                 f"{st.count(holdout.actual_renewing)} actually renewing to the end")
    if facts["holdout_problem"]:
        echo(f"holdout not possible at cut-off {day_text(facts['cutoff'])}: {facts['holdout_problem']}")


def print_purchases(report: OrdersReport) -> None:
    st = style()
    result, period = report.result, report.period
    kind = "contractual: NBD purchase rates of customers on the books" if result.contractual else "non-contractual: BG/NBD"
    echo(f"Purchases per {period} as of {day_text(result.as_of)}, {st.count(result.orders)} orders ({kind}).")
    for name, fit in result.segments.items():
        if isinstance(fit, Homogeneous):
            echo(f"\nsegment {name}: {st.count(fit.customers)} customers; purchase rates look the same for every customer: "
                 f"{st.estimate(fit.estimate)} per {period} ({st.percent(0.95, 0)} {st.estimate(fit.low)} to "
                 f"{st.estimate(fit.high)})")
            rows = []
        else:
            rows = fit.as_rows()
            what = (f"mean {st.estimate(fit.mean_rate, 3)} purchases per {period}, rate CV {st.fixed(fit.rate_cv, 2)}"
                    if result.contractual else f"mean {st.estimate(fit.mean_rate, 3)} purchases per {period} while active, "
                    f"dropout {st.estimate(fit.mean_dropout, 3)} after each")
            title = f"segment {name}: {st.count(fit.n_customers)} customers; {what}"
        spend = result.spend.get(name)
        if spend is not None:
            rows = rows + spend.as_rows()
            if isinstance(fit, Homogeneous):
                title = f"segment {name}: spend per purchase"
        if rows:
            print_table(title, estimate_rows(rows), {})
        if name in result.holdout:
            print_table(f"holdout: purchases in the {st.fixed(result.durations[name], 1)} {period}s after "
                        f"{day_text(result.cutoff)}, by purchases before it", result.holdout[name],
                        {"actual_mean": "fixed:2", "predicted_mean": "fixed:2", "actual_total": "count",
                         "predicted_total": "count", "error_pct": "signed-percent"})
    if result.holdout_problem:
        echo(f"holdout not possible at cut-off {day_text(result.cutoff)}: {result.holdout_problem}")


def print_support(report: SupportReport) -> None:
    """Per segment, each fitted input by its name with its estimate, 95 % interval and method note."""
    from sim.fit.support import OBSERVATIONAL
    from sim.model.labels import SEGMENT_KEYS, humanise

    st = style()
    console = Console()
    methods: dict[str, int] = {}

    def name_of(key: str) -> str:
        name = SEGMENT_KEYS.get(key) or SEGMENT_KEYS.get(f"experience.{key}") or humanise(key)
        return name.replace("{period}", "month")

    for name, fit in report.fits.items():
        rows = []
        for estimate in fit.estimates.values():
            note = methods.setdefault(estimate.method, len(methods) + 1)
            if estimate.no_interval:
                interval = estimate.no_interval
            elif estimate.low != estimate.low or estimate.high != estimate.high:
                interval = "not identified"
            elif estimate.low == estimate.high:
                interval = "degenerate (no spread): not an estimate's interval"
            else:
                interval = st.interval(estimate.low, estimate.high, st.value)
            rows.append([name_of(estimate.name), st.value(estimate.value), interval, f"[{note}]"])
        show_table(console, ["input", "estimate", f"{st.percent(0.95, 0)} interval", "how"], rows,
                   title=f"segment {name}: {st.count(fit.customers)} customers, {st.count(fit.customer_periods)} "
                         f"customer-months, {st.count(fit.tickets)} tickets")
    for method, note in methods.items():
        say(console, st.restyle(f"[{note}] {method}"))
    _print_designs(report, console, st)
    _print_joint_churn(report, console, st)
    response = report.response
    if response is not None:
        slope = response.slope.value
        say(console, f"Response curve (all segments, {st.count(response.tickets)} tickets with a wait): logit(satisfied) = "
                     f"{st.fixed(response.intercept.value, 3)} {'−' if slope < 0 else '+'} {st.fixed(abs(slope), 3)} "
                     f"ln(minutes); {st.percent(0.95, 0)} intervals {st.fixed(response.intercept.low, 3)} to "
                     f"{st.fixed(response.intercept.high, 3)} and {st.fixed(response.slope.low, 3)} to "
                     f"{st.fixed(response.slope.high, 3)}")
    for note in report.notes:
        say(console, st.restyle(note))
    say(console, f"Caveat: {OBSERVATIONAL}.")


def _print_designs(report: SupportReport, console, st) -> None:
    """Per segment, each experience effect by every design side by side, with E-values; then what each design assumes."""
    from sim.fit import causal
    from sim.fit.support_report import design_rows

    assumptions = {}
    for name, fit in report.fits.items():
        rows = []
        for row in design_rows(fit):
            if row["estimate"] is None:
                rows.append([row["effect"].replace("_", " "), row["design"], row["note"], "", ""])
                continue
            rows.append([row["effect"].replace("_", " "), row["design"] + (" (written)" if row["written"] else ""),
                         st.value(row["estimate"]), st.interval(row["ci_low"], row["ci_high"], st.value),
                         f"{st.fixed(row['e_value'], 2)} ({st.fixed(row['e_value_interval'], 2)})"])
        assumptions.update({d.name: d.assumes for d in fit.designs})
        if rows:
            show_table(console, ["effect", "design", "estimate", f"{st.percent(0.95, 0)} interval", "E-value (interval)"],
                       rows, title=f"segment {name}: experience effects by design", text_columns=2)
    for design, words in assumptions.items():
        say(console, st.restyle(f"{design} design assumes: {words}."))
    if assumptions:
        say(console, st.restyle(f"Written with --into: {causal.RULE}. The E-value is the risk ratio a hidden confounder would need "
                     "with both the experience and the outcome to explain the effect away (of the interval's end "
                     "nearest no effect in brackets; 1 means the interval already includes no effect)."))


def _print_joint_churn(report: SupportReport, console, st) -> None:
    """Per segment, the neutral customers' churn fitted jointly with the effects and walk-away: what is written and the
    Beta-mixed fit's own multipliers beside the designs'."""
    from sim.fit.support_inputs import held_words

    for name, fit in report.fits.items():
        churn = fit.churn
        if churn is None:
            say(console, st.restyle(f"segment {name}, churn of neutral customers: {fit.churn_problem}."))
            continue
        written = churn.written
        if churn.homogeneous:
            low, high = written.interval("p")
            form = (f"one churn probability for every customer, {st.percent(written.value('p'), 2)} a month "
                    f"({st.percent(0.95, 0)} {st.interval(low, high, lambda x: st.percent(x, 2))})")
        else:
            (a_low, a_high), (b_low, b_high) = written.interval("alpha"), written.interval("beta")
            form = (f"Beta(alpha {st.estimate(written.value('alpha'), 3)}, {st.percent(0.95, 0)} "
                    f"{st.interval(a_low, a_high, lambda x: st.estimate(x, 3))}; beta {st.estimate(written.value('beta'), 3)}, "
                    f"{st.interval(b_low, b_high, lambda x: st.estimate(x, 3))}), mean {st.percent(churn.mean_churn, 2)} "
                    f"a month for a new customer")
        joint = churn.joint

        def multiplier(key):
            low, high = joint.interval(key)
            return f"×{st.estimate(joint.value(key), 3)} ({st.interval(low, high, lambda x: st.estimate(x, 3))})"

        say(console, st.restyle(
            f"segment {name}, churn of neutral customers (fitted jointly with the experience effects and walk-away, "
            f"the engine's form): {form}, with the effects written ({held_words(churn, '×')}); the joint fit's own "
            f"multipliers: "
            f"{multiplier('m_negative')} while negative, {multiplier('m_positive')} while positive."))


def print_pilot(report: PilotReport) -> None:
    st = style()
    result = report.result
    echo(f"{result.name}: median {st.fixed(result.median, 3)}, {st.percent(0.95, 0)} interval "
         f"{st.fixed(result.low, 3)} to {st.fixed(result.high, 3)}, P(below 1) {st.percent(result.prob_below_one)}")
    echo(st.restyle(f"posteriors: treated {result.treated.describe()}, control {result.control.describe()} "
                    f"({result.method})"))
    if result.measure == "purchases":
        from sim.fit.pilot_report import dispersion_words

        words = dispersion_words(result)
        echo(st.restyle(words[0].upper() + words[1:] + "."))


HEADERS = {"ci_low": "95\u00a0% low", "ci_high": "95\u00a0% high", "se": "std. error", "at_risk": "at risk",
           "sbg": "sBG", "actual_mean": "actual mean", "predicted_mean": "predicted mean", "actual_total": "actual total",
           "predicted_total": "predicted total", "error_pct": "error"}
"""Column names of the fit reports as people read them (the CSV files keep the keys)."""


def print_table(title: str, frame: pd.DataFrame, formats: dict[str, str]) -> None:
    """A fit report's table in the house number style, within the terminal's width (:mod:`sim.reporting.layout`).

    ``formats`` names how a column's numbers read: ``fixed:N`` (N decimals), ``count`` (grouped whole
    numbers), ``signed-percent`` (values already in percent, with their sign); others get four significant
    digits; NaN is blank."""
    st = style()
    kinds = {"fixed": lambda v, n: st.fixed(v, int(n)), "count": lambda v, _: st.count(v),
             "signed-percent": lambda v, _: st.percent(v / 100, 1, signed=True)}

    def cell(column, value) -> str:
        if isinstance(value, (float, np.floating, int, np.integer)) and not isinstance(value, bool):
            if not math.isfinite(value):
                return ""
            kind, _, arg = formats.get(column, "").partition(":")
            if kind in kinds:
                return kinds[kind](float(value), arg)
            return st.count(value) if isinstance(value, (int, np.integer)) else st.estimate(float(value))
        return str(value).replace("_", " ")

    rows = [[cell(column, value) for column, value in zip(frame.columns, row)] for row in frame.itertuples(index=False)]
    text = [i for i, column in enumerate(frame.columns) if frame[column].dtype == object]
    headers = [HEADERS.get(str(column), str(column).replace("_", " ")) for column in frame.columns]
    show_table(Console(), headers, rows, title=title, text_columns=len(text) if text == list(range(len(text))) else 0)


def estimate_rows(rows: list[dict]) -> pd.DataFrame:
    """Parameter rows of a fit as the printed table shows them (headers from :data:`HEADERS`)."""
    return pd.DataFrame(rows)[["model", "parameter", "estimate", "se", "ci_low", "ci_high"]]
