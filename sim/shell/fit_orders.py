"""``cxroi fit orders``: an order log as the segments' purchases and spend.

Parse the options, read the files, call :func:`sim.fit.orders_report.orders_report`
(BG/NBD, or with ``--customers`` the NBD among active customers, and Gamma-Gamma per
segment), then print the report, write ``purchase_mix``, ``dropout_mix`` and
``value_per_purchase`` with ``--into`` and a results-style folder with ``--out``.
What the written inputs mean is in :mod:`sim.fit.scenario_inputs`.
"""

from __future__ import annotations

from pathlib import Path

import click

from sim.shell.fit_data_commands import (
    common_options,
    data_file,
    data_options,
    echo_outcome,
    fit_manifest,
    read_data,
    scenario_table,
    today,
    write_fit_folder,
    with_review,
    write_or_print,
)
from sim.shell.fit_io import echo_json as _echo_json
from sim.shell.fit_io import key_values as _mapping
from sim.shell.fit_io import user_errors as _user_errors
from sim.shell.options import PathGiven
from sim.shell.progress import working

# --- cxroi fit orders -----------------------------------------------------------------------------------------


@click.command("orders")
@click.argument("file", type=PathGiven(dir_okay=False, path_type=Path))
@click.option("--customers", "customers_file", type=PathGiven(dir_okay=False, path_type=Path),
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
    from sim.fit.orders_report import orders_report
    from sim.fit.review import fit_words, review_orders
    from sim.reporting.fit_console import print_purchases
    from sim.reporting.review_console import print_review

    day = today()
    with _user_errors(file):
        period, as_of_day, cutoff_day = common_options(out, overwrite, period, into, as_of, cutoff, no_holdout)
        mapped = _mapping(columns, "--column", ("customer_id", "date", "amount", "start", "end"))
        frame = read_data(file)
        customers = read_data(customers_file) if customers_file is not None else None
        files = [data_file(file)] + ([data_file(customers_file)] if customers_file is not None else [])
        segment_map, scenario = _mapping(segment_pairs, "--segment-map"), scenario_table(into)
        with working("fitting purchases and spend"):
            report = orders_report(frame, file=files[0], customers=customers, customers_file=files[-1], columns=mapped,
                                   no_amounts=no_amounts, segment_column=segment_column, date_format=date_format,
                                   period=period, as_of=as_of_day, cutoff=cutoff_day, segment_map=segment_map,
                                   scenario=scenario, into=into, today=day)
            review = review_orders(report, fit_words("orders", [f.path for f in files], day))
        with_review(report.writes, review, into)
        fragment_text = write_or_print(into, report.writes, as_json)
        if out is not None:
            from sim.reporting.fit_figures import orders_figures

            write_fit_folder(out, overwrite, report.summary, fit_manifest(files, report.folder.options), report.folder.tables,
                             orders_figures(report), fragment_text, review)
        if as_json:
            _echo_json({**report.summary, "review": review.as_dict()})
            return
        print_purchases(report)
        print_review(review)
        echo_outcome(report.writes.notes, into, [report.targets[name] for name in report.result.segments], fragment_text, out)
