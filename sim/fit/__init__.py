"""Customer-lifetime models fitted from a company's own data: the statistical core of ``cxroi fit``.

Pure functions: data frames in, frozen result objects out; no file reading,
no printing. Each model family has its module, named after its paper:

* :mod:`sim.fit.retention` - sBG contractual retention (Fader & Hardie 2007)
* :mod:`sim.fit.bgnbd` - BG/NBD repeat purchasing (Fader, Hardie & Lee 2005)
* :mod:`sim.fit.spend` - Gamma-Gamma spend per purchase (Fader, Hardie & Lee 2005; Fader & Hardie 2013)
* :mod:`sim.fit.purchase_rate` - NBD purchase rates with unequal exposure (Ehrenberg; Morrison & Schmittlein 1988)
* :mod:`sim.fit.summaries` - frequency/recency/age summaries, calibration/holdout split, holdout report
* :mod:`sim.fit.checks` - one-line problems for bad data (rows numbered as in the file: header = row 1)
* :mod:`sim.fit.synthetic` - data drawn from known parameters (tests, benchmarks)

Each ``cxroi fit`` command is one call returning its report (the fits, the
inputs to write, the ``--json`` summary, the ``--out`` tables):
:mod:`sim.fit.customers_report`, :mod:`sim.fit.orders_report`,
:mod:`sim.fit.support_report`, :mod:`sim.fit.pilot_report`. What they write
into a scenario is :mod:`sim.fit.scenario_inputs`, and as TOML text
:mod:`sim.fit.scenario_edit`.

The functions below take the raw tables, check them (raising
:class:`sim.errors.ScenarioError` with one line per problem, located by
column and row; call ``.in_file(name)`` to attribute it) and fit each segment
(``segment`` column, or the ``segment`` name given in the column mapping). A
table without a segment column is one segment, ``"all"``. Problems of several
segments (too few customers, no churn events, a fit that does not converge)
are raised together, one line per segment, located as ``segment 'name'``.

**Time units.** ``period`` is the scenario period, ``"month"`` or
``"year"``. Retention parameters (alpha, beta) describe churn per contract
period: calendar months or years counted from each customer's start date.
Purchase times are measured exactly in days and converted with a month =
365.25 / 12 = 30.4375 days and a year = 365.25 days; so the BG/NBD and NBD
``alpha`` are in periods and ``r / alpha`` is purchases per period. (The
purchase functions also accept ``"week"``, ``"day"`` or a number of days,
e.g. to reproduce published fits in weeks.) Spend is in the currency of the
amounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.fit import bgnbd, checks, periods, purchase_rate, retention, spend, summaries
from sim.fit.bgnbd import BGNBDFit
from sim.fit.checks import ALL, ISO, CustomerColumns, Homogeneous, OrderColumns
from sim.fit.purchase_rate import PurchaseRateFit
from sim.fit.retention import RetentionFit, RetentionHoldout, fit_survivor_table, holdout_survivor_table
from sim.fit.spend import SpendFit

__all__ = [
    "ALL",
    "BGNBDFit",
    "CustomerColumns",
    "Homogeneous",
    "OrderColumns",
    "OrdersFit",
    "OrdersHoldout",
    "PurchaseRateFit",
    "PurchaseRateHoldout",
    "RetentionFit",
    "RetentionHoldout",
    "SpendFit",
    "fit_orders",
    "fit_purchase_rates",
    "fit_retention",
    "fit_spend",
    "fit_survivor_table",
    "holdout_orders",
    "holdout_purchase_rates",
    "holdout_retention",
    "holdout_survivor_table",
]


def _label(segment: str, segmented: bool) -> str:
    return f"segment '{segment}'" if segmented else ""


def _per_segment(segments: np.ndarray, fit_one, keep_homogeneous: bool = False) -> dict:
    """Run ``fit_one(segment, mask, label)`` for each segment, collecting every segment's problems into one error.

    With ``keep_homogeneous`` a segment whose mixture runs to its homogeneous
    limit gets its :class:`~sim.fit.checks.Homogeneous` (the one-rate estimate)
    as its result instead of a problem.
    """
    names = pd.unique(segments)
    segmented = not (len(names) == 1 and names[0] == ALL)
    results, problems = {}, []
    for name in sorted(names, key=str):
        try:
            results[name] = fit_one(name, segments == name, _label(name, segmented))
        except Homogeneous as limit:
            if not keep_homogeneous:
                problems.extend(limit.problems)
            else:
                results[name] = limit
        except ScenarioError as error:
            problems.extend(error.problems)
    if problems:
        raise ScenarioError(problems)
    return results


def fit_retention(
    customers: pd.DataFrame,
    *,
    as_of,
    period: str = "month",
    columns: CustomerColumns = CustomerColumns(),
    date_format: str = ISO,
    min_customers: int = retention.MIN_CUSTOMERS,
    homogeneous: bool = False,
) -> dict[str, RetentionFit | Homogeneous]:
    """sBG retention per segment from a customer list (id, start date, end date empty while active).

    Each RetentionFit carries alpha, beta, their errors and correlation, the
    geometric fit, the heterogeneity test, ``as_rows()`` and
    ``survival_table()`` (observed vs fitted survival per period).
    With ``homogeneous=True`` a segment whose churn shows no heterogeneity
    gets a :class:`Homogeneous` (the geometric churn) instead of an error.
    """
    table = checks.check_customers(customers, as_of=as_of, columns=columns, date_format=date_format)
    duration, churned = retention.durations(table["start"], table["end"], as_of, period)
    segments = table["segment"].to_numpy()

    def one(name, mask, label):
        return retention.fit_sbg(duration[mask], churned[mask], label=label, period=period, min_customers=min_customers)

    return _per_segment(segments, one, homogeneous)


def holdout_retention(
    customers: pd.DataFrame,
    *,
    cutoff,
    as_of,
    period: str = "month",
    columns: CustomerColumns = CustomerColumns(),
    date_format: str = ISO,
    min_customers: int = retention.MIN_CUSTOMERS,
    homogeneous: bool = False,
) -> dict[str, RetentionHoldout | Homogeneous]:
    """Per segment: fit on the history up to ``cutoff``, check against the history up to ``as_of``.

    RetentionHoldout has the fit, the observed-vs-fitted table (with a
    ``calibration`` column), the mean absolute error in percentage points over
    the tenures first seen after the cut-off, and predicted vs actual renewals.
    """
    checks.check_cutoff(cutoff, as_of)
    table = checks.check_customers(customers, as_of=as_of, columns=columns, date_format=date_format)
    checks.check_cutoff(cutoff, as_of, table["start"].min())
    segments = table["segment"].to_numpy()
    start, end = table["start"].to_numpy(), table["end"].to_numpy()

    def one(name, mask, label):
        return retention.holdout_dates(
            start[mask], end[mask], cutoff=cutoff, as_of=as_of, period=period, label=label, min_customers=min_customers
        )

    return _per_segment(segments, one, homogeneous)


@dataclass(frozen=True, eq=False)
class OrdersFit:
    """A segment's purchase (BG/NBD) and spend (Gamma-Gamma, None without amounts) fits and the summary they came from.

    ``summary`` is :func:`sim.fit.summaries.rfm` (one row per customer; times
    in ``period``).
    """

    segment: str
    summary: pd.DataFrame
    purchases: BGNBDFit
    spend: SpendFit | None
    period: str | float

    def as_rows(self) -> list[dict]:
        """Parameter rows of both models, each tagged with the segment."""
        rows = self.purchases.as_rows() + (self.spend.as_rows() if self.spend else [])
        return [{"segment": self.segment, **row} for row in rows]


def _order_fits(summary: pd.DataFrame, name: str, label: str, period, with_spend: bool) -> OrdersFit:
    """BG/NBD and Gamma-Gamma on one segment's summary; both models' problems raised together."""
    problems, purchases, spent = [], None, None
    try:
        purchases = bgnbd.fit(summary["x"], summary["t_x"], summary["T"], label=label, time_unit=period)
    except ScenarioError as error:
        problems.extend(error.problems)
    if with_spend:
        try:
            spent = spend.fit(summary["x"], summary["m_x"].fillna(0.0), label=label)
        except ScenarioError as error:
            problems.extend(error.problems)
    if problems:
        raise ScenarioError(problems)
    return OrdersFit(name, summary, purchases, spent, period)


def fit_orders(
    orders: pd.DataFrame,
    *,
    cutoff=None,
    period: str | float = "month",
    columns: OrderColumns = OrderColumns(),
    date_format: str = ISO,
    as_of=None,
) -> dict[str, OrdersFit]:
    """BG/NBD purchases and Gamma-Gamma spend per segment from an order log (non-contractual business).

    ``cutoff`` (default: the last order) ends the history; customers' ages
    run to it. Without an amount column (``columns.amount=None``) there is no
    spend fit. ``as_of`` (the day the data were extracted) makes orders on a
    later day a problem.
    """
    table = checks.check_orders(orders, columns=columns, date_format=date_format, as_of=as_of)
    summary = summaries.rfm(table, cutoff=cutoff, time_unit=period)
    segments = summary["segment"].to_numpy()
    with_spend = columns.amount is not None

    def one(name, mask, label):
        return _order_fits(summary[mask], name, label, period, with_spend)

    return _per_segment(segments, one)


@dataclass(frozen=True, eq=False)
class OrdersHoldout:
    """A segment's fit on the calibration orders and the holdout report (predicted vs actual purchases per frequency group)."""

    fit: OrdersFit
    report: pd.DataFrame
    duration: float


def holdout_orders(
    orders: pd.DataFrame,
    *,
    cutoff,
    holdout_end=None,
    period: str | float = "month",
    columns: OrderColumns = OrderColumns(),
    date_format: str = ISO,
    as_of=None,
) -> dict[str, OrdersHoldout]:
    """Per segment: fit on orders up to ``cutoff``, predict each customer's purchases up to ``holdout_end``, compare."""
    table = checks.check_orders(orders, columns=columns, date_format=date_format, as_of=as_of)
    checks.check_cutoff(cutoff, holdout_end if holdout_end is not None else as_of if as_of is not None else table["time"].max(),
                        table["time"].min())
    split = summaries.split(table, cutoff=cutoff, holdout_end=holdout_end, time_unit=period)
    summary = split.summary
    segments = summary["segment"].to_numpy()
    with_spend = columns.amount is not None

    def one(name, mask, label):
        part = summary[mask]
        fitted = _order_fits(part, name, label, period, with_spend)
        predicted = fitted.purchases.conditional_purchases(split.duration, part["x"], part["t_x"], part["T"])
        return OrdersHoldout(fitted, summaries.holdout_report(np.asarray(predicted), part), split.duration)

    return _per_segment(segments, one)


def fit_purchase_rates(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    as_of,
    period: str | float = "month",
    customer_columns: CustomerColumns = CustomerColumns(),
    order_columns: OrderColumns = OrderColumns(),
    date_format: str = ISO,
    active_only: bool = True,
    homogeneous: bool = False,
) -> dict[str, PurchaseRateFit | Homogeneous]:
    """NBD purchase rates per segment of a contractual business: purchases over each customer's time on the books.

    The segment is the customer's (from the customers table). Orders of
    customers missing from the customers table are reported as problems.
    """
    table = checks.check_customers(customers, as_of=as_of, columns=customer_columns, date_format=date_format)
    order_table = checks.check_orders(
        orders, columns=order_columns, date_format=date_format, as_of=as_of, customers=table
    )
    exposure = summaries.exposure(table, order_table, as_of=as_of, time_unit=period, active_only=active_only)
    segments = exposure["segment"].to_numpy()
    x, t = exposure["x"].to_numpy(), exposure["t"].to_numpy()

    def one(name, mask, label):
        return purchase_rate.fit(x[mask], t[mask], label=label, time_unit=period)

    return _per_segment(segments, one, homogeneous)


def _day_end(date) -> np.int64:
    """The first nanosecond after the day of ``date`` (orders on that day, at any time, are before it)."""
    return np.int64((pd.Timestamp(date).normalize() + pd.Timedelta(days=1)).as_unit("ns").value)


@dataclass(frozen=True, eq=False)
class PurchaseRateHoldout:
    """A contractual segment's NBD fit on the history up to the cut-off and its holdout report.

    ``report`` is :func:`sim.fit.summaries.holdout_report`: predicted
    (``E[Y | x, t] = (r + x) / (alpha + t) * duration``, the NBD's conditional
    expectation) against actual purchases per calibration frequency group, of
    the customers on the books from the cut-off to ``as_of``. ``fit`` is a
    :class:`Homogeneous` when the rates showed no heterogeneity (then the
    prediction is the Poisson rate times the duration).
    """

    fit: PurchaseRateFit | Homogeneous
    report: pd.DataFrame
    duration: float


def holdout_purchase_rates(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    cutoff,
    as_of,
    period: str | float = "month",
    customer_columns: CustomerColumns = CustomerColumns(),
    order_columns: OrderColumns = OrderColumns(),
    date_format: str = ISO,
) -> dict[str, PurchaseRateHoldout]:
    """Per segment of a contractual business: NBD fit on purchases up to ``cutoff`` (customers on the books then),
    predicted against actual purchases from the day after ``cutoff`` to ``as_of`` (customers still on the books)."""
    checks.check_cutoff(cutoff, as_of)
    table = checks.check_customers(customers, as_of=as_of, columns=customer_columns, date_format=date_format)
    checks.check_cutoff(cutoff, as_of, table["start"].min())
    order_table = checks.check_orders(
        orders, columns=order_columns, date_format=date_format, as_of=as_of, customers=table
    )
    cut = pd.Timestamp(cutoff).normalize()
    on_books = (table["start"] <= cut) & (table["end"].isna() | (table["end"] > cut))
    calibration = table[on_books].assign(end=pd.NaT).reset_index(drop=True)
    exposure = summaries.exposure(calibration, order_table, as_of=cut, time_unit=period, active_only=True)
    bought = summaries.purchases(order_table, ids=calibration["customer_id"].to_numpy())
    later = (bought.time >= _day_end(cut)) & (bought.time < _day_end(as_of))
    exposure["x_holdout"] = np.bincount(bought.customer[later], minlength=len(calibration))
    stayed = table.loc[on_books, "end"].isna().to_numpy()
    duration = float((pd.Timestamp(as_of).normalize() - cut).days / periods.unit_days(period))
    segments = exposure["segment"].to_numpy()

    def one(name, mask, label):
        part = exposure[mask]
        try:
            fitted = purchase_rate.fit(part["x"], part["t"], label=label, time_unit=period)
            r, alpha = fitted.r, fitted.alpha
            predicted = (r + part["x"].to_numpy()) / (alpha + part["t"].to_numpy()) * duration
        except Homogeneous as limit:
            fitted, predicted = limit, np.full(len(part), limit.estimate * duration)
        kept = stayed[mask]
        return PurchaseRateHoldout(fitted, summaries.holdout_report(predicted[kept], part[kept]), duration)

    return _per_segment(segments, one)


def fit_spend(
    orders: pd.DataFrame,
    *,
    columns: OrderColumns = OrderColumns(),
    date_format: str = ISO,
    as_of=None,
    customers: pd.DataFrame | None = None,
    customer_columns: CustomerColumns = CustomerColumns(),
) -> dict[str, SpendFit]:
    """Gamma-Gamma spend per segment on its own (the contractual path, where purchases are an NBD).

    With ``customers`` (a contractual business), a customer's segment is the
    one in the customers table; otherwise the segment on their first order.
    """
    customer_table = None
    if customers is not None:
        customer_table = checks.check_customers(customers, as_of=as_of, columns=customer_columns, date_format=date_format)
    table = checks.check_orders(orders, columns=columns, date_format=date_format, as_of=as_of, customers=customer_table)
    if customers is not None:
        segment_of = pd.Series(customer_table["segment"].to_numpy(), index=customer_table["customer_id"].to_numpy())
        table["segment"] = segment_of.reindex(table["customer_id"].to_numpy()).to_numpy()
    summary = summaries.rfm(table, time_unit="month")
    segments = summary["segment"].to_numpy()
    x, m_x = summary["x"].to_numpy(), summary["m_x"].fillna(0.0).to_numpy()

    def one(name, mask, label):
        return spend.fit(x[mask], m_x[mask], label=label)

    return _per_segment(segments, one)
