"""The ``cxroi`` command: parse, call the library, print. No model logic lives here."""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim import results_folder
from sim.errors import ScenarioError, UsageError
from sim.format import money, percent, ratio
from sim.loader import load
from sim.simulation import run as run_scenario

EXIT_USER_ERROR = 2
PROGRESS_AFTER = 1.0
"""Seconds a run must take before a progress bar appears (short runs stay quiet)."""


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="cxroi")
def main() -> None:
    """cxroi: what does an investment in customer support or CX return, and how sure can we be?

    \b
    Examples:
      cxroi run scenarios/nordic_midsize.toml
      cxroi run scenarios/nordic_midsize.toml --draws 20000 --seed 7 --json
      cxroi run scenarios/seed001_churn_example.toml --base-case
      cxroi validate scenarios/nordic_midsize.toml
    """


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--draws", type=click.IntRange(1, 10_000_000), help="Monte Carlo draws [default: the scenario's settings.draws].")
@click.option("--seed", type=click.IntRange(0), help="Random seed [default: the scenario's settings.seed].")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Results folder [default: results/<scenario>-<time>].")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a parameter, e.g. segments.b2b.monthly_churn=0.02 or 'segments.b2b.margin=\"30% to 40%\"'. Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout and nothing else there.")
@click.option("--base-case", is_flag=True, help="Every input at its base value, expected counts, no randomness: the spreadsheet answer.")
@click.option("--workers", type=click.IntRange(1), help="Worker processes [default: all cores]. Results do not depend on it.")
@click.option("--overwrite", is_flag=True, help="Replace the --out folder if it already exists.")
@click.option("--no-save", is_flag=True, help="Print the summary but write no results folder.")
def run(scenario, draws, seed, out, overrides, as_json, base_case, workers, overwrite, no_save):
    """Run SCENARIO and print the ROI and NPV distribution of every intervention.

    Writes a results folder (summary.json, manifest.json, draws.csv, bands.csv and
    a copy of the scenario) unless --no-save is given. An existing folder is never
    replaced without --overwrite.

    \b
    Examples:
      cxroi run scenarios/nordic_midsize.toml
      cxroi run scenarios/nordic_midsize.toml --set segments.b2b.monthly_churn=0.02
      cxroi run scenarios/nordic_midsize.toml --set 'segments.b2b.margin="30% to 40%"'
      cxroi run scenarios/seed001_churn_example.toml --base-case --json
    """
    with _user_errors(scenario):
        loaded = load(scenario, overrides)
        if out is not None and not no_save:
            results_folder.check_destination(out, overwrite)
        with _progress(enabled=not base_case) as report:
            result = run_scenario(loaded, draws, seed, base_case=base_case, workers=workers, progress=report)
        summary = result.summary_dict()
        folder = None
        if not no_save:
            folder = results_folder.write(
                result, out or results_folder.default_folder(result), overwrite, command=["cxroi", *sys.argv[1:]]
            )
        if as_json:
            click.echo(json.dumps(summary, indent=2, allow_nan=False))
        else:
            _print_summary(summary)
        if folder is not None:
            click.echo(f"Results written to {folder}/", err=as_json)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Check with these overrides applied.")
def validate(scenario, overrides):
    """Check SCENARIO and explain every problem found (exit code 2 if any).

    \b
    Example:
      cxroi validate scenarios/nordic_midsize.toml
    """
    with _user_errors(scenario):
        loaded = load(scenario, overrides)
        s = loaded.scenario
        click.echo(
            f"{loaded.file}: OK: {len(s.segments)} segment(s), {len(s.interventions)} intervention(s), "
            f"horizon {_periods(s.settings.horizon, s.settings.period)}"
        )


@contextmanager
def _user_errors(file: Path):
    """Turn a user's mistake into its one-line messages and exit code 2, never a traceback."""
    try:
        yield
    except ScenarioError as error:
        for line in (error if error.file else error.in_file(str(file))).lines():
            click.echo(line, err=True)
        sys.exit(EXIT_USER_ERROR)
    except UsageError as error:
        click.echo(str(error), err=True)
        sys.exit(EXIT_USER_ERROR)
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        click.echo(f"{where}{error.strerror or error}; nothing was written", err=True)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        click.echo("interrupted; no results folder was written", err=True)
        sys.exit(130)


@contextmanager
def _progress(enabled: bool):
    """A progress callback that shows a bar on stderr once a run has taken over a second."""
    console = Console(stderr=True)
    started = time.monotonic()
    bar: dict[str, object] = {}

    def report(done: int, total: int) -> None:
        if not enabled or not console.is_terminal:
            return
        if "progress" not in bar and time.monotonic() - started < PROGRESS_AFTER and done < total:
            return
        if "progress" not in bar:
            progress = Progress(
                TextColumn("simulating"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,} draws"),
                TimeRemainingColumn(), console=console, transient=True,
            )
            progress.start()
            bar["progress"], bar["task"] = progress, progress.add_task("run", total=total)
        bar["progress"].update(bar["task"], completed=done)

    try:
        yield report
    finally:
        if "progress" in bar:
            bar["progress"].stop()


def _print_summary(summary: dict) -> None:
    console = Console()
    currency = summary["currency"]
    mode = "base case (every input at its base value, expected counts)" if summary["mode"] == "base_case" else (
        f"{summary['draws']:,} draws, seed {summary['seed']}, {summary['sampling']} sampling"
    )
    basis = "gross profit less support cost" if summary["roi_basis"] == "gross_profit" else "revenue"
    console.print(f"[bold]{summary['scenario']}[/bold]: {mode}")
    console.print(
        f"horizon {_periods(summary['horizon'], summary['period'])}, discount rate {percent(summary['discount_rate'])} a year, "
        f"benefit measured as change in {basis}, amounts in {currency}"
    )
    entries = summary["interventions"]
    table = Table(show_header=True, header_style="bold")
    table.add_column("")
    for entry in entries.values():
        table.add_column(entry["label"], justify="right")
    rows = [
        ("ROI, mean", lambda e: ratio(e["roi"]["mean"])),
        ("ROI, 5th percentile", lambda e: ratio(e["roi"]["p05"])),
        ("ROI, median", lambda e: ratio(e["roi"]["p50"])),
        ("ROI, 95th percentile", lambda e: ratio(e["roi"]["p95"])),
        (f"NPV, mean ({currency})", lambda e: money(e["npv"]["mean"])),
        ("NPV, 5th percentile", lambda e: money(e["npv"]["p05"])),
        ("NPV, median", lambda e: money(e["npv"]["p50"])),
        ("NPV, 95th percentile", lambda e: money(e["npv"]["p95"])),
        ("P(ROI > 0)", lambda e: percent(e["prob_roi_positive"])),
        ("P(payback within horizon)", lambda e: percent(e["prob_payback_within_horizon"])),
        ("payback period, median", lambda e: _period(e["payback_period"]["p50"], summary["period"])),
        ("spreadsheet ROI (base case)", lambda e: ratio(e["base_case"]["roi"])),
        (f"spreadsheet NPV ({currency})", lambda e: money(e["base_case"]["npv"])),
    ]
    if summary["mode"] == "base_case":
        rows = [rows[0], rows[4], ("PV benefit", lambda e: money(e["pv_benefit"]["mean"])),
                ("PV cost", lambda e: money(e["pv_cost"]["mean"])), rows[10]]
        rows[0], rows[1], rows[4] = ("ROI", rows[0][1]), (f"NPV ({currency})", rows[1][1]), ("payback period", rows[4][1])
    for label, cell in rows:
        table.add_row(label, *(cell(entry) for entry in entries.values()))
    console.print(table)


def _periods(count: int, unit: str) -> str:
    """'36 months', '1 year'."""
    return f"{count} {unit}{'' if count == 1 else 's'}"


def _period(value: float | None, unit: str) -> str:
    return "beyond horizon" if value is None else f"{unit} {value:g}"
