"""``cxroi fit orders`` as a library call: an order log as the segments' purchases and spend.

:func:`orders_report` fits BG/NBD (or, with a customer list, the NBD among
customers on the books) and Gamma-Gamma per segment with the holdout check,
and returns what the command shows or writes: the fits, what goes into the
scenario (``purchase_mix``, ``dropout_mix``, ``value_per_purchase``;
:mod:`sim.fit.scenario_inputs`), the JSON summary and the ``--out`` tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

from sim.errors import ScenarioError, UsageError
from sim.fit.checks import ISO, CustomerColumns, Homogeneous, OrderColumns
from sim.fit.reports import (
    NO_HOLDOUT,
    DataFile,
    Folder,
    cutoff_or_default,
    fit_stamp,
    in_file,
    json_ready,
    parsed_columns,
    table_records,
    tagged,
)
from sim.fit.scenario_inputs import CHURN_KEYS, Writes, interval_spec, segment_targets


@dataclass
class PurchaseResult:
    """Per segment: the purchase fit (BGNBDFit, PurchaseRateFit or Homogeneous), spend (SpendFit or None), holdout report."""

    contractual: bool
    segments: dict
    spend: dict
    holdout: dict
    durations: dict
    as_of: pd.Timestamp
    cutoff: pd.Timestamp
    orders: int
    holdout_problem: str | None
    counts: dict = field(default_factory=dict)
    held: dict = field(default_factory=dict)
    """Per segment the holdout's own fit on the calibration history (its uncertainty is the prediction's)."""
    spend_table: pd.DataFrame | None = None
    """The checked orders with each customer's segment as the spend fit has it (the model review's spend checks)."""
    """Per segment the purchases ``x`` of each customer over their time ``t`` (repeat purchases over the time since
    the first, BG/NBD; purchases on the books, NBD): what the model review's predictive check tests."""


@dataclass
class OrdersReport:
    """What ``cxroi fit orders`` prints (``result``), writes into a scenario (``writes``, per data segment to
    ``targets``) and into its folder; ``summary`` is the ``--json`` output."""

    result: PurchaseResult
    targets: dict
    period: str
    writes: Writes
    summary: dict
    folder: Folder
    spend_review: dict = field(default_factory=dict)
    """Per data segment the holdout and predictive checks of its spend per purchase (:mod:`sim.fit.spend_checks`)."""


def orders_report(
    orders: pd.DataFrame,
    *,
    file: DataFile = DataFile(),
    customers: pd.DataFrame | None = None,
    customers_file: DataFile = DataFile("customers"),
    columns: dict[str, str] | None = None,
    no_amounts: bool = False,
    segment_column: str | None = None,
    date_format: str = ISO,
    period: str = "month",
    as_of: pd.Timestamp | None = None,
    cutoff: pd.Timestamp | None = None,
    segment_map: dict[str, str] | None = None,
    scenario: dict | None = None,
    into: str | None = None,
    today: date | None = None,
) -> OrdersReport:
    """Purchases and spend per segment from an order log (customer_id, date, amount, segment).

    Without ``customers`` the business is non-contractual (BG/NBD purchases and dropout); with a customer list
    (customer_id, start_date, end_date, segment) the NBD purchase rates of customers on the books. ``columns``
    renames customer_id, date, amount (and the customer list's start, end). ``scenario``, ``into`` and ``today`` as in
    :func:`sim.fit.customers_report.customers_report`.
    """
    mapped = columns or {}
    if customers is not None:
        result = _contract_purchases(orders, file, customers, customers_file, mapped, no_amounts, segment_column, date_format,
                                     period, as_of, cutoff, today)
    else:
        if "start" in mapped or "end" in mapped:
            raise UsageError("--column start=/end= name columns of the --customers file; give --customers too")
        result = _bgnbd_purchases(orders, file, mapped, no_amounts, segment_column, date_format, period, as_of, cutoff, today)
    targets = segment_targets(list(result.segments), dict(segment_map or {}), scenario, into)
    writes = _purchase_writes(result, targets, file, period, scenario, today)
    summary = _purchase_summary(result, targets, file, period, into, writes)
    from sim.fit.spend_checks import spend_review

    spend_checks = {} if result.spend_table is None else spend_review(result.spend_table, result.spend, result.cutoff,
                                                                        result.as_of)
    return OrdersReport(result, targets, period, writes, summary, _purchase_folder(result, period), spend_checks)


def _order_columns(mapped: dict, no_amounts: bool, segment_column: str | None):
    names = {k: v for k, v in mapped.items() if k in ("customer_id", "date", "amount")}
    if no_amounts:
        names["amount"] = None
    return OrderColumns(**names, segment=segment_column)


def _bgnbd_purchases(frame, file, mapped, no_amounts, segment_column, date_format, period, as_of, cutoff, today) -> PurchaseResult:
    from sim.fit import fit_orders, holdout_orders
    from sim.fit.checks import check_orders, data_end

    columns = _order_columns(mapped, no_amounts, segment_column)
    try:
        checked = check_orders(frame, columns=columns, date_format=date_format, as_of=as_of)
        frame = parsed_columns(frame, checked, {"time": columns.date, "amount": columns.amount})
        if as_of is None:
            as_of = data_end({columns.date: checked["time"]}, today)
        end = as_of + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        cutoff = cutoff_or_default(cutoff, checked["time"].min(), as_of)
        fits = fit_orders(frame, cutoff=end, period=period, columns=columns, date_format=date_format, as_of=as_of)
    except ScenarioError as error:
        raise in_file(error, file) from None
    held, problem = {}, None
    try:
        if cutoff is not NO_HOLDOUT:
            held = holdout_orders(frame, cutoff=cutoff + pd.Timedelta(days=1) - pd.Timedelta(1, "ns"), holdout_end=end,
                                  period=period, columns=replace(columns, amount=None), date_format=date_format, as_of=as_of)
            # the holdout checks purchases only: no second spend fit
    except ScenarioError as error:
        held, problem = {}, "; ".join(error.lines())
    return PurchaseResult(False, {n: f.purchases for n, f in fits.items()}, {n: f.spend for n, f in fits.items()},
                          {n: h.report for n, h in held.items()}, {n: h.duration for n, h in held.items()}, as_of, cutoff,
                          len(frame), problem,
                          {n: pd.DataFrame({"x": f.summary["x"].to_numpy(), "t": f.summary["T"].to_numpy()}) for n, f in fits.items()},
                          {n: h.fit.purchases for n, h in held.items()}, None if no_amounts else checked)


def _contract_purchases(frame, file, customers, customers_file, mapped, no_amounts, segment_column, date_format, period, as_of,
                        cutoff, today) -> PurchaseResult:
    from sim.fit import fit_purchase_rates, fit_spend, holdout_purchase_rates
    from sim.fit.checks import check_customers, check_orders, data_end

    order_columns = _order_columns(mapped, no_amounts, None)
    customer_columns = CustomerColumns(customer_id=mapped.get("customer_id", "customer_id"), start=mapped.get("start", "start_date"),
                                       end=mapped.get("end", "end_date"), segment=segment_column)
    try:
        checked = check_customers(customers, as_of=as_of or pd.Timestamp.max, columns=customer_columns, date_format=date_format)
        ends = [] if as_of is not None else [data_end({customer_columns.start: checked["start"],
                                                       customer_columns.end: checked["end"]}, today)]
    except ScenarioError as error:
        raise in_file(error, customers_file) from None
    customers = parsed_columns(customers, checked, {"start": customer_columns.start, "end": customer_columns.end})
    try:
        orders = check_orders(frame, columns=order_columns, date_format=date_format, as_of=as_of,
                              customers=checked)
        if as_of is None:
            as_of = max(ends + [data_end({order_columns.date: orders["time"]}, today)])
    except ScenarioError as error:
        raise in_file(error, file) from None
    frame = parsed_columns(frame, orders, {"time": order_columns.date, "amount": order_columns.amount})
    cutoff = cutoff_or_default(cutoff, checked["start"].min(), as_of)
    common = {"as_of": as_of, "period": period, "customer_columns": customer_columns, "order_columns": order_columns,
              "date_format": date_format}
    try:
        rates = fit_purchase_rates(customers, frame, homogeneous=True, **common)
        spent = {} if no_amounts else fit_spend(frame, columns=order_columns, date_format=date_format, as_of=as_of,
                                                customers=customers, customer_columns=customer_columns)
    except ScenarioError as error:
        raise in_file(error, file) from None
    held, problem = {}, None
    try:
        if cutoff is not NO_HOLDOUT:
            held = holdout_purchase_rates(customers, frame, cutoff=cutoff, **common)
    except ScenarioError as error:
        held, problem = {}, "; ".join(error.lines())
    from sim.fit.summaries import exposure

    exposed = exposure(checked, orders, as_of=as_of, time_unit=period)
    counts = {n: exposed.loc[exposed["segment"] == n, ["x", "t"]].reset_index(drop=True) for n in rates}
    return PurchaseResult(True, rates, {n: spent.get(n) for n in rates}, {n: h.report for n, h in held.items()},
                          {n: h.duration for n, h in held.items()}, as_of, cutoff, len(frame), problem, counts,
                          {n: h.fit for n, h in held.items()},
                          None if no_amounts else orders.assign(segment=pd.Series(
                              checked["segment"].to_numpy(), index=checked["customer_id"].to_numpy()
                          ).reindex(orders["customer_id"].to_numpy()).to_numpy()))


def _purchase_writes(result: PurchaseResult, targets: dict, file: DataFile, period: str, scenario: dict | None,
                     today: date | None) -> Writes:
    writes = Writes()
    stamp = fit_stamp("orders", file, result.as_of, today)
    for name, fit in result.segments.items():
        segment = targets[name]
        prefix = f"segments.{segment}"
        if isinstance(fit, Homogeneous):
            source = (f"{stamp}: Poisson purchases per {period} of {fit.customers:,} customers on the books (data segment '{name}'); "
                      "the NBD found no difference between customers")
            writes.remove(scenario, segment, ("purchase_mix",), "replaced by purchases (every customer buys at the same rate)")
            writes.set(f"{prefix}.purchases", interval_spec(fit.estimate, fit.low, fit.high, source),
                       f"Poisson fit: {fit.estimate:.4g} per {period}")
            writes.notes.append(f"segment {name}: purchase rates look the same for every customer, so {prefix}.purchases is written "
                                "instead of purchase_mix")
        elif result.contractual:
            source = (f"{stamp}: NBD purchase rates per {period} of {fit.n_customers:,} active customers (data segment '{name}'); "
                      "95 % intervals from the observed information")
            writes.remove(scenario, segment, ("purchases",), "replaced by purchase_mix (purchase rates differ between customers)")
            writes.mix(f"{prefix}.purchase_mix", ("shape", "rate"), fit.estimates, source,
                       f"NBD fit: mean {fit.mean_rate:.4g} purchases per {period}")
        else:
            source = (f"{stamp}: BG/NBD (Fader, Hardie & Lee 2005) per {period}, {fit.n_customers:,} customers "
                      f"(data segment '{name}'); 95 % intervals from the observed information")
            writes.remove(scenario, segment, ("purchases",), "replaced by purchase_mix (purchase rates differ between customers)")
            writes.remove(scenario, segment, CHURN_KEYS, "in the BG/NBD customers leave by dropping out (dropout_mix); fit orders "
                                                         "with --customers for a contractual business")
            writes.mix(f"{prefix}.purchase_mix", ("shape", "rate"), fit.estimates, source,
                       f"BG/NBD: mean {fit.mean_rate:.4g} purchases per {period} while active")
            writes.mix(f"{prefix}.dropout_mix", ("a", "b"), fit.estimates, source,
                       f"BG/NBD: mean dropout {fit.mean_dropout:.4g} after a purchase")
        spend = result.spend.get(name)
        if spend is not None:
            low, high = spend.mean_spend_interval()
            if getattr(spend, "homogeneous", False):
                source = (f"{stamp}: {spend.method} of {spend.n_customers:,} customers (data segment '{name}'): "
                          f"the Gamma-Gamma ran to its limit q, gamma -> infinity")
                comment = f"homogeneous spend: {spend.mean_spend:.2f} per purchase for every customer"
                writes.notes.append(f"segment {name}: spend per purchase looks the same for every customer (the Gamma-Gamma "
                                    f"runs to its homogeneous limit), so {prefix}.value_per_purchase is one fixed spend "
                                    f"per purchase, {spend.mean_spend:.2f} (95 % {low:.2f} to {high:.2f})")
            else:
                source = (f"{stamp}: Gamma-Gamma mean spend per purchase (Fader, Hardie & Lee 2005) of {spend.n_customers:,} "
                          f"customers (data segment '{name}'), p {spend.p:.3g}, q {spend.q:.3g}, gamma {spend.gamma:.3g}")
                comment = f"Gamma-Gamma: mean spend {spend.mean_spend:.2f}"
            writes.set(f"{prefix}.value_per_purchase", interval_spec(spend.mean_spend, low, high, source), comment)
    return writes


def _purchase_summary(result: PurchaseResult, targets, file: DataFile, period, into, writes) -> dict:
    segments = {}
    for name, fit in result.segments.items():
        if isinstance(fit, Homogeneous):
            entry = {"model": "Poisson", "rate": fit.estimate, "se": fit.se, "interval_95": [fit.low, fit.high],
                     "customers": fit.customers}
        else:
            entry = {"model": "NBD" if result.contractual else "BG/NBD", "customers": fit.n_customers, "estimates": fit.as_rows(),
                     "mean_rate": fit.mean_rate, "correlation": fit.estimates.correlation.tolist()}
            if not result.contractual:
                entry["mean_dropout"] = fit.mean_dropout
        spend = result.spend.get(name)
        if spend is not None:
            entry["spend"] = {"estimates": spend.as_rows(), "mean_spend": spend.mean_spend, "se_mean_spend": spend.se_mean_spend}
        if name in result.holdout:
            entry["holdout"] = {"duration": result.durations[name], "by_frequency": table_records(result.holdout[name])}
        segments[name] = {"scenario_segment": targets[name], **entry}
    return json_ready({
        "command": "fit orders", "file": file.path, "business": "contractual" if result.contractual else "non-contractual",
        "period": period, "as_of": result.as_of, "cutoff": result.cutoff, "orders": result.orders,
        "holdout_problem": result.holdout_problem, "segments": segments, "written_into": str(into) if into else None,
        "notes": writes.notes, "correlations": writes.correlation_rows(),
    })


def _purchase_folder(result: PurchaseResult, period: str) -> Folder:
    rows = []
    for name, fit in result.segments.items():
        if isinstance(fit, Homogeneous):
            rows.append({"segment": name, "model": "Poisson", "parameter": "rate", "estimate": fit.estimate, "se": fit.se,
                         "ci_low": fit.low, "ci_high": fit.high})
        else:
            rows += [{"segment": name, **row} for row in fit.as_rows()]
        if result.spend.get(name) is not None:
            rows += [{"segment": name, **row} for row in result.spend[name].as_rows()]
    tables = {"estimates": pd.DataFrame(rows)}
    if result.holdout:
        tables["holdout"] = pd.concat([tagged(name, report) for name, report in result.holdout.items()], ignore_index=True)
    options = {"period": period, "as_of": result.as_of, "cutoff": result.cutoff, "contractual": result.contractual}
    return Folder(tables, options)
