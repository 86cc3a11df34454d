"""``cxroi fit ...``: estimate scenario inputs from a company's own data (the command-line edge).

Each subcommand parses its options, reads its files (CSV or Parquet), calls one
report of :mod:`sim.fit` (which takes data frames and numbers: ``customers_report``,
``orders_report``, ``support_report``, ``pilot_report``) and prints it
(:mod:`sim.reporting.fit_console`); with ``--into FILE`` it writes the inputs into a
scenario with :mod:`sim.shell.scenario_writer`, otherwise it prints the TOML it would write.
Every user mistake is one line naming the file, the row or column and what is
allowed, exit code 2, nothing written.
"""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from sim.errors import ScenarioError, UsageError, finite_numbers
from sim.shell.fit_customers import customers_command
from sim.shell.fit_data_commands import today
from sim.shell.fit_io import echo_json as _echo_json
from sim.shell.fit_io import echo_wrapped
from sim.shell.fit_io import key_values as _mapping
from sim.shell.fit_io import read_table, scenario_or_none
from sim.shell.fit_io import user_errors as _user_errors
from sim.shell.fit_orders import orders_command
from sim.shell.fit_support import support_command
from sim.shell.options import PathGiven
from sim.shell.progress import working


@click.group("fit")
def fit_group() -> None:
    """Estimate scenario inputs from your own data: customers, orders, support tickets, pilots.

    \b
      customers  churn from a customer list (shifted-beta-geometric)
      orders     purchases and spend from an order log (NBD or BG/NBD, Gamma-Gamma)
      support    contacts and experience effects from support tickets
      pilot      an intervention's effect from a pilot's treated and control arms

    \b
    Examples (the sample company in scenarios/data/):
      cp scenarios/sample_company.toml my_company.toml
      cxroi fit customers scenarios/data/customers.csv --into my_company.toml
      cxroi fit orders scenarios/data/orders.csv --customers scenarios/data/customers.csv --into my_company.toml
      cxroi fit support scenarios/data/tickets.csv --customers scenarios/data/customers.csv \\
          --orders scenarios/data/orders.csv --into my_company.toml
      cxroi fit pilot scenarios/data/pilot.csv --measure bad --segment retail \\
          --intervention first_contact --into my_company.toml
      cxroi fit pilot --measure churn --treated 40/500 --control 60/500
    """


# --- cxroi fit pilot -------------------------------------------------------------------


def parse_arm(text: str, option: str):
    """'40/500' -> Arm(40, 500); a clear UsageError otherwise."""
    from sim.fit.pilot import Arm

    events, sep, exposure = text.partition("/")
    try:
        if not sep:
            raise ValueError
        return Arm(*finite_numbers(option, text, (events, exposure)))
    except ValueError:
        raise UsageError(f"{option} '{text}' is not EVENTS/EXPOSURE, e.g. 40/500 (40 churned of 500 customers)") from None


@fit_group.command("pilot")
@click.argument("table", required=False, type=PathGiven(dir_okay=False, path_type=Path))
@click.option("--measure", type=click.Choice(["churn", "bad", "purchases"]), required=True,
              help="What the pilot counted: churned customers, bad experiences per contact, or purchases per customer-period.")
@click.option("--treated", metavar="EVENTS/EXPOSURE", help="Treated arm without a table, e.g. 40/500.")
@click.option("--control", metavar="EVENTS/EXPOSURE", help="Control arm without a table, e.g. 60/500.")
@click.option("--prior", metavar="A,B", help="Prior of each arm's rate: Beta(A, B) for churn and bad, Gamma(shape A, rate B) for purchases [default: 0.5,0.5 and 0.5,0].")
@click.option("--segment", help="Segment the pilot ran in (needed for --into).")
@click.option("--intervention", metavar="NAME", help="Intervention whose change the result becomes (needed for --into).")
@click.option("--path", "target_path", metavar="PATH", help="Parameter the effect scales [default: the segment's churn, experience.bad or purchases; with a purchase_mix its rate, with a churn_mix its beta, by 1 / the ratio].")
@click.option("--into", type=PathGiven(dir_okay=False, path_type=Path), help="Scenario to write the change into (added, or replacing the change of the same parameter).")
@click.option("--label", default="pilot", show_default=True, help="Name of the pilot in the source text.")
@click.option("--json", "as_json", is_flag=True, help="Print the result (and its model review) as JSON and nothing else on stdout.")
@click.option("--out", type=PathGiven(file_okay=False, path_type=Path),
              help="Also write a folder with summary.json, review.json, manifest.json, inputs.toml and the arms (arms.csv).")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out folder.")
def pilot_command(table, measure, treated, control, prior, segment, intervention, target_path, into, label, as_json, out,
                  overwrite):
    """A pilot's result as the posterior distribution of the intervention's effect.

    Per arm: churned of customers (--measure churn), bad experiences of contacts
    (bad), or purchases over customer-periods (purchases), from TABLE (CSV or
    Parquet with an 'arm' column, treated / control, and the columns customers,
    churned / contacts, bad / customer_periods, purchases) or from --treated and
    --control. Conjugate posteriors (beta-binomial, gamma-Poisson) give the risk or
    rate ratio treated / control; --into writes it as the intervention's scale of
    the parameter, a lognormal with its source.

    TABLE may have a row per customer, site or week (each arm is their sum) and
    an 'enrolled' column (a date or a number): the model review then checks the
    effect of the earlier enrolments against the later ones (holdout; random
    halves without 'enrolled') and each arm's rows against the fitted law
    (predictive). Purchases from such rows are fitted per arm as negative
    binomial counts, since customers buy at rates that differ, which widens
    the interval by as much as they do; from totals (--treated, --control) the
    interval assumes one rate and says so.

    \b
    Examples:
      cxroi fit pilot --measure churn --treated 40/500 --control 60/500
      cxroi fit pilot scenarios/data/pilot.csv --measure bad --segment retail --intervention first_contact \\
          --into my_company.toml
    """
    from sim.fit.pilot_report import arm_totals, pilot_report, pilot_rows, scales_inversely
    from sim.fit.pilot_review import pilot_fit_words, review_pilot
    from sim.reporting.fit_console import print_pilot
    from sim.reporting.review_console import print_review
    from sim.shell.scenario_writer import check_into, fragment, write_inputs

    day = today()
    with _user_errors(table or ""):
        if table is None and treated is None and control is None:
            raise UsageError("give a pilot TABLE, or the arms' counts with --treated and --control")
        if table is None and (treated is None) != (control is None):
            raise UsageError(f"{'--treated' if control is None else '--control'} needs "
                             f"{'--control' if control is None else '--treated'} too (or give a pilot TABLE instead)")
        if table and (treated or control):
            raise UsageError("give a pilot TABLE or both --treated and --control, not both")
        if into and not (intervention and (segment or target_path)):
            raise UsageError("--into needs --intervention and --segment (or --path)")
        if into:
            check_into(into, create=False)
        if out is not None:
            from sim.shell.results_folder import check_destination

            check_destination(out, overwrite)
        prior_ab = _parse_prior(prior)
        target = {"prior": prior_ab, "label": label, "segment": segment, "intervention": intervention, "path": target_path,
                  "scenario": scenario_or_none(into), "into": into}
        if table is not None:
            try:
                rows = pilot_rows(read_table(table), measure, day)
                treated_arm, control_arm, where = arm_totals(rows)
                report = pilot_report(measure, treated_arm, control_arm, where=where, evidence=f"{table}", rows=rows,
                                      **target)
            except ScenarioError as error:
                raise error.in_file(str(table)) from None
        else:
            report = pilot_report(measure, parse_arm(treated, "--treated"), parse_arm(control, "--control"),
                                  evidence=f"treated {treated}, control {control}", **target)
        review = review_pilot(report, pilot_fit_words(str(table) if table else None,
                                                      f"treated {treated}, control {control}", day))
        if into:
            write_inputs(into, report.updates + review.updates(), create=False)
        if out is not None:
            _pilot_folder(out, overwrite, report, review, table, fragment(report.updates))
        if as_json:
            _echo_json({**report.summary, "review": review.as_dict()})
            return
        print_pilot(report)
        print_review(review)
        if into:
            ratio = "risk" if measure == "churn" else "rate"
            inverse = f": 1 / the {ratio} ratio" if scales_inversely(measure, report.path) else ""
            click.echo(f"Written into {into}: interventions.{intervention}.changes (scale of {report.path}{inverse}) and "
                       f"its review")
        if report.note:
            echo_wrapped(report.note)
        if report.warning:
            echo_wrapped(report.warning)
        elif report.updates and not into:
            click.echo("# add to the scenario (or pass --into):")
            click.echo(fragment(report.updates).rstrip())
        if out is not None:
            click.echo(f"Report folder: {out}")


def _pilot_folder(out: Path, overwrite: bool, report, review, table: Path | None, fragment_text: str) -> None:
    """fit pilot's --out folder: summary.json, review.json, manifest.json, inputs.toml and arms.csv (the table's rows,
    or the two totals)."""
    from sim.shell.fit_data_commands import data_file, fit_manifest, write_fit_folder

    from sim.fit.pilot import KINDS

    _, exposure, events, _ = KINDS[report.result.measure]
    if report.rows is not None:
        arms = report.rows.rename(columns={"row": "file_row", "events": events, "exposure": exposure})
        arms = arms.dropna(axis="columns", how="all")  # no 'enrolled' column, none written
    else:
        arms = pd.DataFrame({"arm": ["treated", "control"], events: [a.events for a in report.arms],
                             exposure: [a.exposure for a in report.arms]})
    options = {"measure": report.result.measure, "prior": list(report.prior) if report.prior else None,
               "change_path": report.path, "intervention": report.intervention}
    write_fit_folder(out, overwrite, report.summary,
                     fit_manifest([data_file(table)] if table is not None else [], options), {"arms": arms}, {},
                     fragment_text, review)


def _parse_prior(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        a, b = finite_numbers("--prior", text, text.split(","))
    except ValueError:
        raise UsageError(f"--prior '{text}' is not A,B, e.g. 1,1") from None
    if a <= 0 or b < 0:
        raise UsageError(f"--prior '{text}': A must be more than 0 and B at least 0")
    return a, b


fit_group.add_command(customers_command)
fit_group.add_command(orders_command)
fit_group.add_command(support_command)
