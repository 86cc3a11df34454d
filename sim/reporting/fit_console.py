"""Printing the ``fit`` commands' reports in a terminal: estimates, fitted against observed, holdout checks.

One function per report of :mod:`sim.fit` (:func:`print_churn` for
:func:`~sim.fit.customers_report.customers_report`, :func:`print_purchases`,
:func:`print_support`, :func:`print_pilot`); what was written where is the
command's to say.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from sim.fit.checks import Homogeneous
from sim.fit.customers_report import churn_verdict
from sim.fit.reports import day_text

if TYPE_CHECKING:
    from sim.fit.customers_report import CustomersReport
    from sim.fit.orders_report import OrdersReport
    from sim.fit.pilot_report import PilotReport
    from sim.fit.support_report import SupportReport


def print_churn(report: CustomersReport) -> None:
    period, facts = report.period, report.facts
    where = f" as of {day_text(facts['as_of'])}" if facts["as_of"] is not None else ""
    print(f"Retention per {period}{where} ({facts['form']}).")
    for result in report.segments:
        fit = result.fit
        if result.homogeneous:
            print(f"\nsegment {result.name}: {fit.customers:,} customers; churn looks the same for every customer: geometric "
                  f"churn {fit.estimate:.4g} per {period} (95 % {fit.low:.4g} to {fit.high:.4g})")
        else:
            title = (f"segment {result.name}: {fit.n_customers:,} customers, {fit.n_churned:,} churned; corr(alpha, beta) "
                     f"{fit.corr:.2f}; mean churn at the start {fit.mean_churn:.4g} per {period}")
            print_table(title, estimate_rows(fit.as_rows()), {})
            print(churn_verdict(fit))
        table = result.table
        shown = table if len(table) <= 13 else table.iloc[np.unique(np.linspace(0, len(table) - 1, 13).round().astype(int))]
        columns = [c for c in ("period", "at_risk", "observed", "sbg", "geometric") if c in shown]
        print_table("observed vs fitted survival (every period in survival.csv with --out)", shown[columns],
                    {"observed": ".3f", "sbg": ".3f", "geometric": ".3f"})
        holdout = result.holdout
        if holdout is not None:
            mae = ("no tenure beyond the fitted ones to check survival on" if not math.isfinite(holdout.mae_pp)
                   else f"survival error on the unseen tenures {holdout.mae_pp:.2f} percentage points")
            cut = f"up to {day_text(facts['cutoff'])}" if facts["cutoff"] is not None else "on the first two thirds of the periods"
            print(f"holdout (fit {cut}): {mae}; of {holdout.renewed_at_cutoff:,} "
                  f"customers renewing at the cut-off, {holdout.predicted_renewing:,.0f} predicted and "
                  f"{holdout.actual_renewing:,} actually renewing to the end")
    if facts["holdout_problem"]:
        print(f"holdout not possible at cut-off {day_text(facts['cutoff'])}: {facts['holdout_problem']}")


def print_purchases(report: OrdersReport) -> None:
    result, period = report.result, report.period
    kind = "contractual: NBD purchase rates of customers on the books" if result.contractual else "non-contractual: BG/NBD"
    print(f"Purchases per {period} as of {day_text(result.as_of)}, {result.orders:,} orders ({kind}).")
    for name, fit in result.segments.items():
        if isinstance(fit, Homogeneous):
            print(f"\nsegment {name}: {fit.customers:,} customers; purchase rates look the same for every customer: "
                  f"{fit.estimate:.4g} per {period} (95 % {fit.low:.4g} to {fit.high:.4g})")
            rows = []
        else:
            rows = fit.as_rows()
            what = (f"mean {fit.mean_rate:.3g} purchases per {period}, rate CV {fit.rate_cv:.2f}" if result.contractual else
                    f"mean {fit.mean_rate:.3g} purchases per {period} while active, dropout {fit.mean_dropout:.3g} after each")
            title = f"segment {name}: {fit.n_customers:,} customers; {what}"
        spend = result.spend.get(name)
        if spend is not None:
            rows = rows + spend.as_rows()
            if isinstance(fit, Homogeneous):
                title = f"segment {name}: spend per purchase"
        if rows:
            print_table(title, estimate_rows(rows), {})
        if name in result.holdout:
            print_table(f"holdout: purchases in the {result.durations[name]:.1f} {period}s after {day_text(result.cutoff)}, "
                        "by purchases before it", result.holdout[name],
                        {"actual_mean": ".2f", "predicted_mean": ".2f", "actual_total": ",.0f", "predicted_total": ",.0f",
                         "error_pct": "+.1f"})
    if result.holdout_problem:
        print(f"holdout not possible at cut-off {day_text(result.cutoff)}: {result.holdout_problem}")


def print_support(report: SupportReport) -> None:
    from sim.fit.support import OBSERVATIONAL

    console = Console()
    methods: dict[str, int] = {}
    for name, fit in report.fits.items():
        table = Table(title=f"segment {name}: {fit.customers:,} customers, {fit.customer_periods:,} customer-months, "
                            f"{fit.tickets:,} tickets", header_style="bold")
        for column in ("input", "estimate", "95 % interval", "how"):
            table.add_column(column, justify="left" if column == "input" else "right")
        for estimate in fit.estimates.values():
            note = methods.setdefault(estimate.method, len(methods) + 1)
            interval = f"{estimate.low:.3g} to {estimate.high:.3g}" if estimate.low == estimate.low else "not identified"
            table.add_row(estimate.name, f"{estimate.value:.3g}", interval, f"[{note}]")
        console.print(table)
    for method, note in methods.items():
        print(f"[{note}] {method}")
    response = report.response
    if response is not None:
        console.print(f"Response curve (all segments, {response.tickets:,} tickets with a wait): logit(satisfied) = "
                      f"{response.intercept.value:.3f} {response.slope.value:+.3f} ln(minutes); 95 % intervals "
                      f"{response.intercept.low:.3f} to {response.intercept.high:.3f} and {response.slope.low:.3f} to "
                      f"{response.slope.high:.3f}")
    for note in report.notes:
        print(note)
    print(f"Caveat: {OBSERVATIONAL}.")


def print_pilot(report: PilotReport) -> None:
    result = report.result
    print(f"{result.name}: median {result.median:.3f}, 95 % interval {result.low:.3f} to {result.high:.3f}, "
          f"P(below 1) {result.prob_below_one:.1%}")
    print(f"posteriors: treated {result.treated.describe()}, control {result.control.describe()} ({result.method})")


def print_table(title: str, frame: pd.DataFrame, formats: dict[str, str]) -> None:
    """A title line, then ``frame`` as a rich table 120 columns wide; floats in ``formats`` (default .4g), NaN blank."""
    print(title)
    table = Table(header_style="bold")
    for column in frame.columns:
        table.add_column(str(column), justify="left" if frame[column].dtype == object else "right")
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row):
            if isinstance(value, (float, np.floating)):
                cells.append("" if not math.isfinite(value) else format(value, formats.get(column, ".4g")))
            else:
                cells.append(str(value))
        table.add_row(*cells)
    Console(width=120).print(table)


def estimate_rows(rows: list[dict]) -> pd.DataFrame:
    """Parameter rows of a fit as the printed table shows them."""
    frame = pd.DataFrame(rows)[["model", "parameter", "estimate", "se", "ci_low", "ci_high"]]
    return frame.rename(columns={"ci_low": "95% low", "ci_high": "95% high"})
