"""``cxroi fit orders``: an order log as the segments' purchases and spend.

BG/NBD (or, with ``--customers``, the NBD among active customers) and Gamma-Gamma
per segment (:mod:`sim.fit`); prints the report, writes ``purchase_mix``,
``dropout_mix`` and ``value_per_purchase`` with ``--into`` and a results-style
folder with ``--out``. What the written inputs mean is in
:mod:`sim.shell.fit_data_commands`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import click
import pandas as pd

from sim.errors import ScenarioError, UsageError
from sim.shell.fit_data_commands import (
    CHURN_KEYS,
    NO_HOLDOUT,
    Writes,
    common_options,
    data_options,
    day_text,
    default_cutoff,
    estimate_rows,
    fit_manifest,
    fit_stamp,
    in_file,
    interval_spec,
    json_ready,
    parsed_columns,
    print_table,
    read_data,
    scenario_table,
    segment_targets,
    table_records,
    tagged,
    write_fit_folder,
    write_or_print,
)
from sim.shell.fit_io import echo_json as _echo_json
from sim.shell.fit_io import echo_wrapped
from sim.shell.progress import working
from sim.shell.fit_io import key_values as _mapping
from sim.shell.fit_io import user_errors as _user_errors

# --- cxroi fit orders -----------------------------------------------------------------------------------------


@click.command("orders")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--customers", "customers_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Customers table (contractual business): fit purchase rates of customers on the books (NBD) instead of BG/NBD dropout.")
@click.option("--column", "columns", multiple=True, metavar="KEY=NAME",
              help="Order column names: customer_id, date, amount (customers file: start, end). Repeatable.")
@click.option("--no-amounts", is_flag=True, help="The orders have no amount column: fit purchases only, no spend.")
@data_options
def orders_command(file, columns, customers_file, no_amounts, date_format, segment_column, period, as_of, cutoff, no_holdout, into,
                   segment_pairs, as_json, out, overwrite):
    """Purchases and spend from an order log: BG/NBD (or NBD with --customers) and Gamma-Gamma per segment.

    FILE (CSV or Parquet) has one row per order: customer_id, date (a time of day
    is kept: summaries are at exact times), amount, optionally segment. Without
    --customers the business is non-contractual: BG/NBD (Fader, Hardie & Lee 2005)
    purchase rates r, alpha and dropout a, b. With --customers (a contractual
    business: the customers file says who is active) the purchase rates of
    customers on the books, NBD r and alpha. Spend per purchase: Gamma-Gamma p, q,
    gamma and the mean spend. Holdout: predicted against actual purchases after
    the cut-off, per group of purchases before it.

    \b
    Examples:
      cxroi fit orders scenarios/data/orders.csv --customers scenarios/data/customers.csv
      cxroi fit orders scenarios/data/orders.csv --customers scenarios/data/customers.csv --into my_company.toml
      cxroi fit orders web_orders.parquet --column date=ordered_at --column amount=total --period month --out results/orders-fit
    """
    with _user_errors(file):
        period, as_of_day, cutoff_day = common_options(out, overwrite, period, into, as_of, cutoff, no_holdout)
        mapped = _mapping(columns, "--column", ("customer_id", "date", "amount", "start", "end"))
        frame = read_data(file)
        if customers_file is None and ("start" in mapped or "end" in mapped):
            raise UsageError("--column start=/end= name columns of the --customers file; give --customers too")
        with working("fitting purchases and spend"):
            if customers_file is not None:
                result = _contract_purchases(frame, file, read_data(customers_file), customers_file, mapped, no_amounts,
                                             segment_column, date_format, period, as_of_day, cutoff_day)
            else:
                result = _bgnbd_purchases(frame, file, mapped, no_amounts, segment_column, date_format, period, as_of_day,
                                          cutoff_day)
        targets = segment_targets(list(result.segments), dict(_mapping(segment_pairs, "--segment-map")), into)
        writes = _purchase_writes(result, targets, file, period, scenario_table(into))
        fragment_text = write_or_print(into, writes, as_json)
        summary = _purchase_summary(result, targets, file, period, into, writes)
        if out is not None:
            _purchase_folder(out, overwrite, result, summary, file, customers_file, period, fragment_text)
        if as_json:
            _echo_json(summary)
            return
        _print_purchases(result, period)
        for note in writes.notes:
            echo_wrapped(note)
        if into:
            click.echo(f"Written into {into}: " + ", ".join(f"segments.{targets[name]}" for name in result.segments) + ".")
        else:
            click.echo("# the inputs for a scenario (pass --into to write them):")
            click.echo(fragment_text.rstrip())
        if out is not None:
            click.echo(f"Report folder: {out}")


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


def _order_columns(mapped: dict, no_amounts: bool, segment_column: str | None):
    from sim.fit import OrderColumns

    names = {k: v for k, v in mapped.items() if k in ("customer_id", "date", "amount")}
    if no_amounts:
        names["amount"] = None
    return OrderColumns(**names, segment=segment_column)


def _bgnbd_purchases(frame, file, mapped, no_amounts, segment_column, date_format, period, as_of, cutoff) -> PurchaseResult:
    from sim.fit import fit_orders, holdout_orders
    from sim.fit.checks import check_orders

    columns = _order_columns(mapped, no_amounts, segment_column)
    try:
        checked = check_orders(frame, columns=columns, date_format=date_format, as_of=as_of)
        frame = parsed_columns(frame, checked, {"time": columns.date, "amount": columns.amount})
        as_of = as_of or checked["time"].max().normalize()
        end = as_of + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        cutoff = default_cutoff(checked["time"].min(), as_of) if cutoff is None else cutoff
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
                          len(frame), problem)


def _contract_purchases(frame, file, customers, customers_file, mapped, no_amounts, segment_column, date_format, period, as_of,
                        cutoff) -> PurchaseResult:
    from sim.fit import (
        CustomerColumns,
        fit_purchase_rates,
        fit_spend,
        holdout_purchase_rates,
    )
    from sim.fit.checks import check_customers, check_orders

    order_columns = _order_columns(mapped, no_amounts, None)
    customer_columns = CustomerColumns(customer_id=mapped.get("customer_id", "customer_id"), start=mapped.get("start", "start_date"),
                                       end=mapped.get("end", "end_date"), segment=segment_column)
    try:
        checked = check_customers(customers, as_of=as_of or pd.Timestamp.max, columns=customer_columns, date_format=date_format)
    except ScenarioError as error:
        raise in_file(error, customers_file) from None
    customers = parsed_columns(customers, checked, {"start": customer_columns.start, "end": customer_columns.end})
    try:
        orders = check_orders(frame, columns=order_columns, date_format=date_format, as_of=as_of,
                              known_customers=checked["customer_id"])
    except ScenarioError as error:
        raise in_file(error, file) from None
    frame = parsed_columns(frame, orders, {"time": order_columns.date, "amount": order_columns.amount})
    if as_of is None:
        dates = [checked["start"].max(), checked["end"].max(), orders["time"].max().normalize()]
        as_of = max(d for d in dates if pd.notna(d))
    cutoff = default_cutoff(checked["start"].min(), as_of) if cutoff is None else cutoff
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
    return PurchaseResult(True, rates, {n: spent.get(n) for n in rates}, {n: h.report for n, h in held.items()},
                          {n: h.duration for n, h in held.items()}, as_of, cutoff, len(frame), problem)


def _purchase_writes(result: PurchaseResult, targets: dict, file: Path, period: str, raw: dict | None) -> Writes:
    from sim.fit import Homogeneous

    writes = Writes()
    stamp = fit_stamp("orders", file, result.as_of)
    for name, fit in result.segments.items():
        segment = targets[name]
        prefix = f"segments.{segment}"
        if isinstance(fit, Homogeneous):
            source = (f"{stamp}: Poisson purchases per {period} of {fit.customers:,} customers on the books (data segment '{name}'); "
                      "the NBD found no difference between customers")
            writes.remove(raw, segment, ("purchase_mix",), "replaced by purchases (every customer buys at the same rate)")
            writes.set(f"{prefix}.purchases", interval_spec(fit.estimate, fit.low, fit.high, source),
                       f"Poisson fit: {fit.estimate:.4g} per {period}")
            writes.notes.append(f"segment {name}: purchase rates look the same for every customer, so {prefix}.purchases is written "
                                "instead of purchase_mix")
        elif result.contractual:
            source = (f"{stamp}: NBD purchase rates per {period} of {fit.n_customers:,} active customers (data segment '{name}'); "
                      "95 % intervals from the observed information")
            writes.remove(raw, segment, ("purchases",), "replaced by purchase_mix (purchase rates differ between customers)")
            writes.mix(f"{prefix}.purchase_mix", ("shape", "rate"), fit.estimates, source,
                       f"NBD fit: mean {fit.mean_rate:.4g} purchases per {period}")
        else:
            source = (f"{stamp}: BG/NBD (Fader, Hardie & Lee 2005) per {period}, {fit.n_customers:,} customers "
                      f"(data segment '{name}'); 95 % intervals from the observed information")
            writes.remove(raw, segment, ("purchases",), "replaced by purchase_mix (purchase rates differ between customers)")
            writes.remove(raw, segment, CHURN_KEYS, "in the BG/NBD customers leave by dropping out (dropout_mix); fit orders with "
                                                    "--customers for a contractual business")
            writes.mix(f"{prefix}.purchase_mix", ("shape", "rate"), fit.estimates, source,
                       f"BG/NBD: mean {fit.mean_rate:.4g} purchases per {period} while active")
            writes.mix(f"{prefix}.dropout_mix", ("a", "b"), fit.estimates, source,
                       f"BG/NBD: mean dropout {fit.mean_dropout:.4g} after a purchase")
        spend = result.spend.get(name)
        if spend is not None:
            low, high = spend.mean_spend_interval()
            source = (f"{stamp}: Gamma-Gamma mean spend per purchase (Fader, Hardie & Lee 2005) of {spend.n_customers:,} customers "
                      f"(data segment '{name}'), p {spend.p:.3g}, q {spend.q:.3g}, gamma {spend.gamma:.3g}")
            writes.set(f"{prefix}.value_per_purchase", interval_spec(spend.mean_spend, low, high, source),
                       f"Gamma-Gamma: mean spend {spend.mean_spend:.2f}")
    return writes


def _purchase_summary(result: PurchaseResult, targets, file, period, into, writes) -> dict:
    from sim.fit import Homogeneous

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
        "command": "fit orders", "file": str(file), "business": "contractual" if result.contractual else "non-contractual",
        "period": period, "as_of": result.as_of, "cutoff": result.cutoff, "orders": result.orders,
        "holdout_problem": result.holdout_problem, "segments": segments, "written_into": str(into) if into else None,
        "notes": writes.notes, "correlations": [{"between": [a, b], "rank": r} for a, b, r in writes.correlations],
    })


def _print_purchases(result: PurchaseResult, period: str) -> None:
    from sim.fit import Homogeneous
    from sim.reporting.format import style

    st = style()

    kind = "contractual: NBD purchase rates of customers on the books" if result.contractual else "non-contractual: BG/NBD"
    echo_wrapped(f"Purchases per {period} as of {day_text(result.as_of)}, {st.count(result.orders)} orders ({kind}).")
    for name, fit in result.segments.items():
        if isinstance(fit, Homogeneous):
            echo_wrapped(f"\nsegment {name}: {st.count(fit.customers)} customers; purchase rates look the same for every customer: "
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
            report = result.holdout[name]
            print_table(f"holdout: purchases in the {st.fixed(result.durations[name], 1)} {period}s after {day_text(result.cutoff)}, "
                         "by purchases before it", report, {"actual_mean": "fixed:2", "predicted_mean": "fixed:2", "actual_total": "count",
                                                            "predicted_total": "count", "error_pct": "signed-percent"})
    if result.holdout_problem:
        echo_wrapped(f"holdout not possible at cut-off {day_text(result.cutoff)}: {result.holdout_problem}")


def _purchase_folder(out, overwrite, result: PurchaseResult, summary, file, customers_file, period, fragment_text) -> None:
    from sim.fit import Homogeneous
    from sim.reporting.fit_figures import holdout_purchases_figure

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
    figures = {}
    if result.holdout:
        tables["holdout"] = pd.concat([tagged(name, report) for name, report in result.holdout.items()], ignore_index=True)
        figures["holdout_purchases"] = holdout_purchases_figure(result.holdout, period, result.durations)
    files = [file] + ([customers_file] if customers_file else [])
    options = {"period": period, "as_of": result.as_of, "cutoff": result.cutoff, "contractual": result.contractual}
    write_fit_folder(out, overwrite, summary, fit_manifest(files, options), tables, figures, fragment_text)
