"""What ``cxroi fit customers`` and ``cxroi fit orders`` share: options, dates, --into writes, --out folders.

The commands themselves are :mod:`sim.shell.fit_customers` and :mod:`sim.shell.fit_orders`.

The command-line edge of :mod:`sim.fit`: read the files (CSV or Parquet, with
:func:`sim.shell.fit_commands.read_table`), map their columns, call the fits,
then print a report, print the TOML fragment or write it into a scenario
(:mod:`sim.shell.scenario_writer`), and with ``--out`` write a results-style
folder. No statistics live here.

What goes into a scenario, per segment (the data's segment, or the scenario
segment it is mapped to with ``--segment-map``):

* ``fit customers``: ``churn_mix`` (sBG alpha, beta) replacing any churn key;
  when churn shows no heterogeneity, ``monthly_churn`` / ``annual_churn``
  (the geometric estimate) replacing ``churn_mix``.
* ``fit orders --customers FILE`` (contractual): ``purchase_mix`` (NBD shape r,
  rate alpha per period) replacing ``purchases``, or ``purchases`` (the Poisson
  rate) when rates do not differ; ``value_per_purchase`` from Gamma-Gamma.
* ``fit orders`` alone (non-contractual): ``purchase_mix`` and ``dropout_mix``
  (BG/NBD r, alpha, a, b), replacing ``purchases`` and any churn key (in the
  BG/NBD customers leave by dropping out); ``value_per_purchase``.

Every parameter is written as its sampling distribution: an ``interval`` of
95 % confidence between the Wald limits on the log scale, which the scenario
reads as the lognormal with median the estimate and log-sd se / estimate (the
asymptotic distribution the fits' intervals use). Where the two parameters of
one mix are correlated beyond ``STRONG_CORRELATION``, a ``[[correlations]]``
rank correlation is added: for a bivariate normal with correlation rho (here
the log-parameters, whose correlation equals the estimates' to first order)
Spearman's rank correlation is ``6 / pi * asin(rho / 2)`` (Pearson 1907,
Kruskal 1958), and ranks do not change under the exp to the lognormal.
"""

from __future__ import annotations

import hashlib
import math
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click
import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError, UsageError
from sim.shell.fit_io import read_table

STRONG_CORRELATION = 0.3
"""|Pearson correlation| of two estimates above which --into adds their rank correlation."""

HOLDOUT_SHARE = 1.0 / 3.0
"""Default holdout: the last third of the history (from the first date in the data to the as-of date)."""

NO_HOLDOUT = pd.NaT
"""The cut-off of a run without a holdout check (--no-holdout)."""

CHURN_KEYS = ("churn", "monthly_churn", "annual_churn", "churn_mix")
PER_PERIOD_CHURN = {"month": "monthly_churn", "year": "annual_churn"}


# --- small helpers ------------------------------------------------------------------------------------------


def spearman_from_pearson(rho: float) -> float:
    """Spearman rank correlation of a bivariate normal with Pearson correlation ``rho``: 6/pi asin(rho/2)."""
    return 6.0 / math.pi * math.asin(rho / 2.0)


def date_option(text: str | None, option: str) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        return pd.to_datetime(text, format="ISO8601").normalize()
    except (ValueError, TypeError):
        raise UsageError(f"{option} '{text}' is not a date (ISO 8601, e.g. 2025-12-31)") from None


def day_text(day) -> str:
    return pd.Timestamp(day).strftime("%Y-%m-%d")


def read_data(path: Path) -> pd.DataFrame:
    try:
        return read_table(path)
    except ScenarioError as error:
        raise error.in_file(str(path)) from None


def in_file(error: ScenarioError, path: Path) -> ScenarioError:
    return error if error.file else error.in_file(str(path))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def json_ready(value):
    """JSON-safe: NaN and infinities as None, numpy scalars as Python."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return day_text(value)
    return value


def table_records(table: pd.DataFrame) -> list[dict]:
    return json_ready(table.to_dict(orient="records"))


def scenario_table(into: Path | None) -> dict | None:
    """The target scenario's raw TOML (None when there is no target or it does not exist yet)."""
    if into is None or not into.is_file():
        return None
    try:
        return tomllib.loads(into.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem("", f"not valid TOML: {exc}")], str(into)) from None


def common_options(out, overwrite, period, into, as_of, cutoff, no_holdout):
    """What both fit commands check first: the --out folder (before any work), the period, --as-of and --cutoff."""
    if out is not None:
        from sim.shell.results_folder import check_destination

        check_destination(out, overwrite)
    cutoff_day = NO_HOLDOUT if no_holdout else date_option(cutoff, "--cutoff")
    return resolve_period(period, into), date_option(as_of, "--as-of"), cutoff_day


def resolve_period(option: str | None, into: Path | None) -> str:
    """The period to fit in: --period, else the target scenario's settings.period, else month.

    A scenario in another period is refused rather than converted: a Beta mix of
    monthly churn is not a Beta mix of annual churn (nor a Gamma mix of monthly
    rates exactly one of annual rates once customers also leave), so there is no
    exact conversion.
    """
    raw = scenario_table(into)
    scenario_period = raw.get("settings", {}).get("period", "month") if raw and "settings" in raw else None
    if option is None:
        return scenario_period or "month"
    if scenario_period and scenario_period != option:
        raise UsageError(
            f"{into}: settings.period is '{scenario_period}' but --period is '{option}'; fit with --period {scenario_period} "
            f"(the fits cannot be converted exactly between months and years) or write into a scenario whose period is {option}"
        )
    return option


def segment_targets(names: list[str], segment_map: dict[str, str], into: Path | None) -> dict[str, str]:
    """Data segment -> scenario segment: --segment-map, else the same name; a table without segments ('all')
    goes to the scenario's only segment. Names the scenario does not have are refused when it has segments."""
    from sim.fit import ALL

    raw = scenario_table(into)
    existing = list(raw.get("segments", {})) if raw else []
    unknown = sorted(set(segment_map) - set(names))
    if unknown:
        raise UsageError(f"--segment-map: the data have no segment '{unknown[0]}'; segments in the data: {', '.join(names)}")
    targets = {}
    for name in names:
        target = segment_map.get(name, name)
        if name == ALL and name not in segment_map and len(existing) == 1:
            target = existing[0]
        if existing and target not in existing:
            hint = "the data have no segment column; name" if name == ALL else f"map data segment '{name}' to"
            raise UsageError(f"{into}: the scenario has no segment '{target}' (it has: {', '.join(existing)}); {hint} "
                             f"one with --segment-map {name}=SEGMENT")
        targets[name] = target
    return targets


def interval_spec(estimate: float, low: float, high: float, source: str | None = None) -> dict:
    """An uncertain input for an estimate: its 95 % interval (a lognormal through the two limits)."""
    spec = {"dist": "interval", "low": float(f"{low:.6g}"), "high": float(f"{high:.6g}"), "confidence": 0.95,
            "base": float(f"{estimate:.6g}")}
    if source:
        spec["source"] = source
    return spec


@dataclass
class Writes:
    """What a fit writes into a scenario: updates (None removes a key), correlations, and notes to print."""

    updates: list = field(default_factory=list)
    correlations: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def set(self, path: str, spec, comment: str | None = None) -> None:
        from sim.shell.scenario_writer import InputUpdate

        self.updates.append(InputUpdate(path, spec, comment))

    def remove(self, raw: dict | None, segment: str, keys: tuple[str, ...], why: str) -> None:
        """Remove the keys of a segment the new ones replace (only those the file has; each said in a note)."""
        present = raw.get("segments", {}).get(segment, {}) if raw else {}
        for key in keys:
            if key in present:
                self.set(f"segments.{segment}.{key}", None)
                self.notes.append(f"segments.{segment}.{key} removed: {why}")

    def mix(self, prefix: str, names: tuple[str, str], estimates, source: str, comment: str) -> None:
        """A mix table's two parameters as intervals, its source, and their rank correlation when strong."""
        for name in names:
            low, high = estimates.interval(fit_name(name))
            self.set(f"{prefix}.{name}", interval_spec(estimates.value(fit_name(name)), low, high), comment if name == names[0] else None)
        self.set(f"{prefix}.source", source)
        index = [estimates.names.index(fit_name(name)) for name in names]
        rho = float(estimates.correlation[index[0], index[1]])
        if abs(rho) > STRONG_CORRELATION:
            self.correlations.append((f"{prefix}.{names[0]}", f"{prefix}.{names[1]}", round(spearman_from_pearson(rho), 3)))


def fit_name(name: str) -> str:
    """Scenario names of mix parameters -> the fits' names (purchase_mix shape/rate are the NBD's r/alpha)."""
    return {"shape": "r", "rate": "alpha"}.get(name, name)


def write_or_print(into: Path | None, writes: Writes, as_json: bool) -> str:
    """Write into the scenario, or return the fragment; validation problems name the scenario file."""
    from sim.shell.scenario_writer import fragment, write_inputs

    if into:
        write_inputs(into, writes.updates, writes.correlations, create=True)
        return ""
    return fragment([u for u in writes.updates if u.spec is not None], writes.correlations)


def fit_stamp(kind: str, file: Path, as_of) -> str:
    return f"cxroi fit {kind} on {file.name} (sha256 {file_sha256(file)[:12]}) as of {day_text(as_of)}, fitted {date.today():%Y-%m-%d}"


def fit_manifest(files: list[Path], options: dict) -> dict:
    from sim.shell.results_folder import _version

    return {
        "cxroi_version": _version("cxroi"),
        "created": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        "command": ["cxroi", *sys.argv[1:]],
        "inputs": [{"file": str(path), "sha256": file_sha256(path)} for path in files],
        "options": json_ready(options),
    }


def write_fit_folder(out: Path, overwrite: bool, summary: dict, manifest: dict, tables: dict, figures: dict, fragment_text: str) -> None:
    import matplotlib.pyplot as plt

    from sim.shell.results_folder import _dump, write_files

    writers = {
        "summary.json": lambda path: _dump(path, summary),
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


def tagged(segment: str, table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(segment=segment)[["segment", *table.columns]]


HEADERS = {"ci_low": "95\u00a0% low", "ci_high": "95\u00a0% high", "se": "std. error", "at_risk": "at risk",
           "sbg": "sBG", "actual_mean": "actual mean", "predicted_mean": "predicted mean", "actual_total": "actual total",
           "predicted_total": "predicted total", "error_pct": "error"}
"""Column names of the fit reports as people read them (the CSV files keep the keys)."""


def print_table(title: str, frame: pd.DataFrame, formats: dict[str, str]) -> None:
    """A fit report's table in the house number style, within the terminal's width (:mod:`sim.reporting.layout`).

    ``formats`` names how a column's numbers read: ``fixed:N`` (N decimals), ``count`` (grouped whole
    numbers), ``signed-percent`` (values already in percent, with their sign); others get four significant digits."""
    from rich.console import Console

    from sim.reporting.console import show_table
    from sim.reporting.format import style

    st = style()
    kinds = {"fixed": lambda v, n: st.fixed(v, int(n)), "count": lambda v, _: st.count(v),
             "signed-percent": lambda v, _: st.percent(v / 100, 1, signed=True)}

    def cell(column, value) -> str:
        if isinstance(value, (float, np.floating, int, np.integer)) and not isinstance(value, bool):
            if not math.isfinite(value):
                return ""
            kind, _, arg = formats.get(column, "").partition(":")
            if kind in kinds:
                return kinds[kind](float(value), arg)
            return st.count(value) if isinstance(value, (int, np.integer)) else st.estimate(float(value))
        return str(value).replace("_", " ")

    rows = [[cell(column, value) for column, value in zip(frame.columns, row)] for row in frame.itertuples(index=False)]
    text = [i for i, column in enumerate(frame.columns) if frame[column].dtype == object]
    headers = [HEADERS.get(str(column), str(column).replace("_", " ")) for column in frame.columns]
    show_table(Console(), headers, rows, title=title, text_columns=len(text) if text == list(range(len(text))) else 0)


def estimate_rows(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)[["model", "parameter", "estimate", "se", "ci_low", "ci_high"]]


def parsed_columns(frame: pd.DataFrame, checked: pd.DataFrame, columns: dict[str, str | None]) -> pd.DataFrame:
    """``frame`` with its checked columns already parsed ({checked column: frame column}), so the fits, which check
    their input again, need not parse a million dates twice more (datetime columns are taken as they are)."""
    parsed = frame.reset_index(drop=True).copy(deep=False)
    for source, column in columns.items():
        if column:
            parsed[column] = checked[source].to_numpy()
    return parsed


def default_cutoff(first, as_of) -> pd.Timestamp:
    first, as_of = pd.Timestamp(first).normalize(), pd.Timestamp(as_of).normalize()
    return (as_of - (as_of - first) * HOLDOUT_SHARE).normalize()


# --- shared options -------------------------------------------------------------------------------------------


def data_options(command):
    options = [
        click.option("--date-format", default="ISO8601", show_default=True,
                     help="strftime format of the date columns, e.g. %d.%m.%Y."),
        click.option("--segment-column", help="Column with each customer's segment [default: 'segment' when the table has one]."),
        click.option("--period", type=click.Choice(["month", "year"]),
                     help="Period of churn and rates [default: the --into scenario's period, else month]."),
        click.option("--as-of", help="Day the data were extracted [default: the latest date in the data]."),
        click.option("--cutoff", help="Holdout check: fit on the history up to this day, predict the rest "
                                      "[default: a third of the history before --as-of]."),
        click.option("--no-holdout", is_flag=True, help="Skip the holdout check (a quarter less time on a million orders)."),
        click.option("--into", type=click.Path(dir_okay=False, path_type=Path),
                     help="Scenario (or new fragment) to write the fitted inputs into; comments and layout are kept."),
        click.option("--segment-map", "segment_pairs", multiple=True, metavar="DATA=SCENARIO",
                     help="Segment of the data -> segment of the scenario. Repeatable."),
        click.option("--json", "as_json", is_flag=True, help="Print the report as JSON and nothing else on stdout."),
        click.option("--out", type=click.Path(file_okay=False, path_type=Path),
                     help="Also write a folder with the report's tables (CSV), figures (PNG), summary.json and manifest.json."),
        click.option("--overwrite", is_flag=True, help="Replace an existing --out folder."),
    ]
    for option in reversed(options):
        command = option(command)
    return command
