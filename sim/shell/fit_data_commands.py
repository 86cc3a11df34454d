"""What ``cxroi fit customers`` and ``cxroi fit orders`` share at the edge: options, files, --into writes, --out folders.

The commands themselves are :mod:`sim.shell.fit_customers` and :mod:`sim.shell.fit_orders`;
what they compute is :mod:`sim.fit.customers_report` and :mod:`sim.fit.orders_report`, what
they write into a scenario :mod:`sim.fit.scenario_inputs`. Here: reading the data and the
target scenario, writing the inputs into it (or the fragment to print) and the ``--out``
folder. No statistics live here.
"""

from __future__ import annotations

import hashlib
import sys
import tomllib
from datetime import date
from pathlib import Path

import click
import pandas as pd

from sim.errors import Problem, ScenarioError, UsageError
from sim.fit.reports import NO_HOLDOUT, DataFile
from sim.shell.fit_io import read_table
from sim.shell.options import PathGiven


def date_option(text: str | None, option: str) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        stamp = pd.to_datetime(text, format="ISO8601")
        if not pd.Timestamp.min <= stamp <= pd.Timestamp.max:  # ISO 8601 reads '-1' as the year -1
            raise ValueError(text)
        return stamp.normalize()
    except (ValueError, TypeError):
        raise UsageError(f"{option} '{text}' is not a date (ISO 8601, e.g. 2025-12-31)") from None


def today() -> date:
    """The day of the fit, read from the clock here, once per command, and passed down: the fit stamps it on what
    it writes, and without --as-of no date in the data may be after it (:func:`sim.fit.checks.data_end`)."""
    return date.today()


def read_data(path: Path) -> pd.DataFrame:
    try:
        return read_table(path)
    except ScenarioError as error:
        raise error.in_file(str(path)) from None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_file(path: Path) -> DataFile:
    """A data file as the reports name it: its path as given and its SHA-256."""
    return DataFile(str(path), file_sha256(path))


def scenario_table(into: Path | None) -> dict | None:
    """The target scenario's raw TOML (None when there is no target or it does not exist yet)."""
    if into is None or not into.is_file():
        return None
    try:
        return tomllib.loads(into.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem("", f"not valid TOML: {exc}")], str(into)) from None


def common_options(out, overwrite, period, into, as_of, cutoff, no_holdout):
    """What both fit commands check first: the --out folder and the --into file (before any work), the period,
    --as-of and --cutoff."""
    from sim.fit.scenario_inputs import resolve_period

    if into is not None:
        from sim.shell.scenario_writer import check_into

        check_into(into, create=True)
    if out is not None:
        from sim.shell.results_folder import check_destination

        check_destination(out, overwrite)
    cutoff_day = NO_HOLDOUT if no_holdout else date_option(cutoff, "--cutoff")
    return resolve_period(period, scenario_table(into), into), date_option(as_of, "--as-of"), cutoff_day


def write_or_print(into: Path | None, writes, as_json: bool) -> str:
    """Write into the scenario, or return the fragment; validation problems name the scenario file."""
    from sim.shell.scenario_writer import fragment, write_inputs

    if into:
        write_inputs(into, writes.updates, writes.correlations, create=True)
        return ""
    return fragment(writes.written, writes.correlations)


def fit_manifest(files: list[DataFile], options: dict) -> dict:
    from sim.fit.reports import fit_manifest as manifest
    from sim.shell.results_folder import _version

    return manifest(files, options, version=_version("cxroi"), command=["cxroi", *sys.argv[1:]],
                    created=pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"))


def write_fit_folder(out: Path, overwrite: bool, summary: dict, manifest: dict, tables: dict, figures: dict, fragment_text: str,
                     review=None) -> None:
    """A fit's --out folder: summary.json, manifest.json, inputs.toml, the tables and figures and, with a
    ``review`` (:class:`sim.fit.review.Review`), review.json."""
    import matplotlib.pyplot as plt

    from sim.shell.results_folder import _dump, write_files

    writers = {
        "summary.json": lambda path: _dump(path, summary),
        **({"review.json": lambda path: _dump(path, review.as_dict())} if review is not None else {}),
        "manifest.json": lambda path: _dump(path, manifest),
        "inputs.toml": lambda path: path.write_text(fragment_text, encoding="utf-8"),
        **{f"{name}.csv": (lambda path, t=table: t.to_csv(path, index=False)) for name, table in tables.items()},
        **{f"{name}.png": (lambda path, f=figure: f.savefig(path, dpi=120)) for name, figure in figures.items()},
    }
    try:
        write_files(out, writers, None, overwrite)
    finally:
        for figure in figures.values():
            plt.close(figure)


def with_review(writes, review, into: Path | None) -> None:
    """With --into, the review goes into the scenario beside the inputs (its ``[review]`` tables)."""
    if into is not None:
        writes.updates.extend(review.updates())


def echo_outcome(notes: list[str], into: Path | None, segments: list[str], fragment_text: str, out: Path | None) -> None:
    """What a fit command says after its report: the notes, where the inputs went (or the fragment), the folder."""
    from sim.shell.fit_io import echo_wrapped

    for note in notes:
        echo_wrapped(note)
    if into:
        click.echo(f"Written into {into}: " + ", ".join(f"segments.{segment}" for segment in segments) + ".")
    else:
        click.echo("# the inputs for a scenario (pass --into to write them):")
        click.echo(fragment_text.rstrip())
    if out is not None:
        click.echo(f"Report folder: {out}")


# --- shared options -------------------------------------------------------------------------------------------


def data_options(command):
    options = [
        click.option("--date-format", default="ISO8601", show_default=True,
                     help="strftime format of the date columns, e.g. %d.%m.%Y."),
        click.option("--segment-column", help="Column with each customer's segment [default: 'segment' when the table has one]."),
        click.option("--period", type=click.Choice(["month", "year"]),
                     help="Period of churn and rates [default: the --into scenario's period, else month]."),
        click.option("--as-of", help="Day the data were extracted [default: the latest date in the data, which may not be after today]."),
        click.option("--cutoff", help="Holdout check: fit on the history up to this day, predict the rest "
                                      "[default: a third of the history before --as-of]."),
        click.option("--no-holdout", is_flag=True, help="Skip the holdout check (a quarter less time on a million orders)."),
        click.option("--into", type=PathGiven(dir_okay=False, path_type=Path),
                     help="Scenario (or new fragment) to write the fitted inputs into; comments and layout are kept."),
        click.option("--segment-map", "segment_pairs", multiple=True, metavar="DATA=SCENARIO",
                     help="Segment of the data -> segment of the scenario. Repeatable."),
        click.option("--json", "as_json", is_flag=True, help="Print the report and its model review as JSON and nothing else on stdout."),
        click.option("--out", type=PathGiven(file_okay=False, path_type=Path),
                     help="Also write a folder with the report's tables (CSV), figures (PNG), summary.json and manifest.json."),
        click.option("--overwrite", is_flag=True, help="Replace an existing --out folder."),
    ]
    for option in reversed(options):
        command = option(command)
    return command
