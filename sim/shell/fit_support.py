"""``cxroi fit support``: tickets (with the customer list and optionally orders) as what support does to customers.

Parse the options, read the files, call :func:`sim.fit.support_report.support_report`, print it
(:func:`sim.reporting.fit_console.print_support`), write the inputs with ``--into`` and a
results-style folder with ``--out``. The options are those of ``fit customers`` and ``fit orders``
(:func:`sim.shell.fit_data_commands.data_options`) plus the ticket-specific ones.
"""

from __future__ import annotations

from pathlib import Path

import click

from sim.errors import UsageError
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

TICKET_KEYS = ("customer_id", "opened", "channel", "wait", "csat", "outcome", "category")
CUSTOMER_KEYS = ("start", "end")
ORDER_KEYS = ("date",)


def csat_rule(scale: str, good_from: int | None, bad_to: int | None):
    from sim.fit.support import CsatRule

    try:
        low, high = (int(part) for part in scale.split("-"))
    except ValueError:
        raise UsageError(f"--csat-scale '{scale}' is not LOW-HIGH, e.g. 1-5") from None
    good = good_from if good_from is not None else high - 1
    bad = bad_to if bad_to is not None else low + 1
    if not low <= bad < good <= high:
        raise UsageError(f"--csat-scale {scale} with bad up to {bad} and good from {good}: need "
                         f"{low} <= bad < good <= {high}")
    return CsatRule(low, high, good, bad)


@click.command("support")
@click.argument("tickets", type=PathGiven(dir_okay=False, path_type=Path))
@click.option("--customers", "customers_file", required=True, type=PathGiven(dir_okay=False, path_type=Path),
              help="Customers table: customer_id, start_date, end_date (empty while active), segment.")
@click.option("--orders", "orders_file", type=PathGiven(dir_okay=False, path_type=Path),
              help="Orders table (customer_id, date): adds the buying effects.")
@click.option("--column", "columns", multiple=True, metavar="KEY=NAME",
              help="Column names. Tickets: customer_id (also the customers' and orders' id), opened, channel, wait, "
                   "csat, outcome (good/neutral/bad instead of CSAT), category (issue or product category, a measured "
                   "confounder); customers: start, end; orders: date. Repeatable.")
@click.option("--csat-scale", default="1-5", show_default=True, help="Lowest and highest CSAT score.")
@click.option("--good-from", type=int, help="Lowest CSAT that is a good experience [default: second highest score].")
@click.option("--bad-to", type=int, help="Highest CSAT that is a bad experience [default: second lowest score].")
@data_options
def support_command(tickets, customers_file, orders_file, columns, csat_scale, good_from, bad_to, date_format, segment_column,
                    period, as_of, cutoff, no_holdout, into, segment_pairs, as_json, out, overwrite):
    """What support does to customers, estimated from your tickets, with causal designs beside the naive one.

    Per segment, with 95 % intervals: contacts per active customer and month (and
    their overdispersion), shares of good and bad contacts, walk-away after a bad
    contact, churn and buying while positive or negative and how long each state
    lasts (discrete-time hazard and Poisson models in the customer model's form,
    with tenure bands), and the response curve (satisfied share against wait).
    The experience effects are estimated by every design the data allow -- the
    naive regression, a self-controlled design (each customer against themselves)
    and weighting for measured confounders -- side by side, each with what it
    assumes and an E-value (how strong a hidden confounder would have to be to
    explain the effect away). --into writes the design a stated rule chooses.
    Support is fitted per calendar month: --period year is refused. The holdout
    check refits on the months up to --cutoff and predicts the months after it
    (churn, walk-aways, purchases, contacts, good and bad contacts, the effects'
    decay, satisfied contacts by wait); with a predictive check of the data's own
    summaries per input, that is the model review.

    \b
    Examples:
      cxroi fit support scenarios/data/tickets.csv --customers scenarios/data/customers.csv --orders scenarios/data/orders.csv
      cxroi fit support scenarios/data/tickets.csv --customers scenarios/data/customers.csv --into my_company.toml \\
          --out results/support-fit
      cxroi fit support tickets.csv --customers customers.csv --column opened=created_at --column csat=rating \\
          --column start=signup --column end=cancelled --into scenarios/my_company.toml --segment-map retail=b2c
    """
    from sim.fit.review import fit_words, review_support
    from sim.fit.support_report import support_report
    from sim.reporting.fit_console import print_support
    from sim.reporting.review_console import print_review

    day = today()
    with _user_errors(tickets):
        if period == "year":
            raise UsageError("--period year: fit support estimates per calendar month (the customer model's support "
                             "effects are monthly); leave --period out")
        if into is not None:
            from sim.shell.scenario_writer import check_into

            check_into(into, create=True)
        _, as_of_day, cutoff_day = common_options(out, overwrite, "month", None, as_of, cutoff, no_holdout)
        mapped = _mapping(columns, "--column", TICKET_KEYS + CUSTOMER_KEYS + ORDER_KEYS)
        rule = csat_rule(csat_scale, good_from, bad_to)
        segment_map = _mapping(segment_pairs, "--segment-map")
        sources = [data_file(tickets), data_file(customers_file)] + ([data_file(orders_file)] if orders_file else [])
        ticket_table = read_data(tickets)
        customer_table = read_data(customers_file)
        order_table = read_data(orders_file) if orders_file else None
        scenario = scenario_table(into)
        with working("fitting what support does to customers"):
            report = support_report(ticket_table, customer_table, order_table, tickets_file=sources[0],
                                    customers_file=sources[1], orders_file=sources[2] if orders_file else None,
                                    columns=mapped, rule=rule, as_of=as_of_day, segment_map=segment_map,
                                    segment_column=segment_column, date_format=date_format,
                                    scenario=scenario, into=into, cutoff=cutoff_day, today=day)
            review = review_support(report, fit_words("support", [f.path for f in sources], day), segment_map)
        with_review(report.writes, review, into)
        fragment_text = write_or_print(into, report.writes, as_json)
        if out is not None:
            write_fit_folder(out, overwrite, report.summary, fit_manifest(sources, report.folder.options),
                             report.folder.tables, {}, fragment_text, review)
        if as_json:
            _echo_json({**report.summary, "review": review.as_dict()})
            return
        print_support(report)
        print_review(review)
        echo_outcome([], into, sorted({u.path.split(".")[1] for u in report.updates if u.path.startswith("segments.")}),
                     fragment_text, out)

