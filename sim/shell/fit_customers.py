"""``cxroi fit customers``: a customer list (or a published survivor table) as the segments' churn.

Parse the options, read the file, call :func:`sim.fit.customers_report.customers_report`,
then print the report, write ``churn_mix`` (or the geometric churn when customers do
not differ) with ``--into`` and a results-style folder with ``--out``. What the
written inputs mean is in :mod:`sim.fit.scenario_inputs`.
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

# --- cxroi fit customers --------------------------------------------------------------------------------------


@click.command("customers")
@click.argument("file", type=PathGiven(dir_okay=False, path_type=Path))
@click.option("--survivor-table", is_flag=True,
              help="FILE is an aggregate survivor table: period (0, 1, 2, ...) and customers still active, "
                   "as retention data are often published.")
@click.option("--column", "columns", multiple=True, metavar="KEY=NAME",
              help="Column names: customer_id, start, end (and for --survivor-table: period, active). Repeatable.")
@data_options
def customers_command(file, columns, survivor_table, date_format, segment_column, period, as_of, cutoff, no_holdout, into,
                      segment_pairs, as_json, out, overwrite):
    """Retention from a customer list: shifted-beta-geometric churn per segment (Fader & Hardie 2007).

    FILE (CSV or Parquet) has one row per customer: customer_id, start_date,
    end_date (empty while active) and optionally segment. Per segment: sBG alpha
    and beta with standard errors, 95 % intervals and their correlation, the
    geometric fit beside it with a likelihood-ratio test of whether customers
    differ, observed against fitted survival per period, and a holdout check.
    With --into the fit becomes the segment's churn_mix, with its uncertainty.

    \b
    Examples:
      cxroi fit customers scenarios/data/customers.csv
      cxroi fit customers scenarios/data/customers.csv --into my_company.toml --out results/retention-fit
      cxroi fit customers cohort.csv --survivor-table --column active=still_active --period year
    """
    from sim.fit.customers_report import customers_report
    from sim.fit.review import fit_words, review_customers
    from sim.reporting.fit_console import print_churn
    from sim.reporting.review_console import print_review

    day = today()
    with _user_errors(file):
        period, as_of_day, cutoff_day = common_options(out, overwrite, period, into, as_of, cutoff, no_holdout)
        frame = read_data(file)
        allowed = ("period", "active") if survivor_table else ("customer_id", "start", "end")
        mapped = _mapping(columns, "--column", allowed)
        source = data_file(file)
        segment_map, scenario = _mapping(segment_pairs, "--segment-map"), scenario_table(into)
        with working("fitting retention"):
            report = customers_report(frame, file=source, survivor_table=survivor_table, columns=mapped,
                                      segment_column=segment_column, date_format=date_format, period=period, as_of=as_of_day,
                                      cutoff=cutoff_day, segment_map=segment_map, scenario=scenario, into=into, today=day)
            review = review_customers(report, fit_words("customers", [str(file)], day))
        with_review(report.writes, review, into)
        fragment_text = write_or_print(into, report.writes, as_json)
        if out is not None:
            from sim.reporting.fit_figures import customers_figures

            write_fit_folder(out, overwrite, report.summary, fit_manifest([source], report.folder.options), report.folder.tables,
                             customers_figures(report), fragment_text, review)
        if as_json:
            _echo_json({**report.summary, "review": review.as_dict()})
            return
        print_churn(report)
        print_review(review)
        echo_outcome(report.writes.notes, into, [r.target for r in report.segments], fragment_text, out)
