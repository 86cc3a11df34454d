"""``cxroi fit customers`` and ``cxroi fit orders``: a company's customer list and order log as scenario inputs.

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
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import click
import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError, UsageError
from sim.shell.fit_io import echo_json as _echo_json
from sim.shell.fit_io import key_values as _mapping
from sim.shell.fit_io import read_table
from sim.shell.fit_io import user_errors as _user_errors

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


def _date_option(text: str | None, option: str) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        return pd.to_datetime(text, format="ISO8601").normalize()
    except (ValueError, TypeError):
        raise UsageError(f"{option} '{text}' is not a date (ISO 8601, e.g. 2025-12-31)") from None


def _text(day) -> str:
    return pd.Timestamp(day).strftime("%Y-%m-%d")


def _read(path: Path) -> pd.DataFrame:
    try:
        return read_table(path)
    except ScenarioError as error:
        raise error.in_file(str(path)) from None


def _in_file(error: ScenarioError, path: Path) -> ScenarioError:
    return error if error.file else error.in_file(str(path))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _clean(value):
    """JSON-safe: NaN and infinities as None, numpy scalars as Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return _text(value)
    return value


def _records(table: pd.DataFrame) -> list[dict]:
    return _clean(table.to_dict(orient="records"))


def _scenario(into: Path | None) -> dict | None:
    """The target scenario's raw TOML (None when there is no target or it does not exist yet)."""
    if into is None or not into.is_file():
        return None
    try:
        return tomllib.loads(into.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem("", f"not valid TOML: {exc}")], str(into)) from None


def _common_options(out, overwrite, period, into, as_of, cutoff, no_holdout):
    """What both fit commands check first: the --out folder (before any work), the period, --as-of and --cutoff."""
    if out is not None:
        from sim.shell.results_folder import check_destination

        check_destination(out, overwrite)
    cutoff_day = NO_HOLDOUT if no_holdout else _date_option(cutoff, "--cutoff")
    return resolve_period(period, into), _date_option(as_of, "--as-of"), cutoff_day


def resolve_period(option: str | None, into: Path | None) -> str:
    """The period to fit in: --period, else the target scenario's settings.period, else month.

    A scenario in another period is refused rather than converted: a Beta mix of
    monthly churn is not a Beta mix of annual churn (nor a Gamma mix of monthly
    rates exactly one of annual rates once customers also leave), so there is no
    exact conversion.
    """
    raw = _scenario(into)
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

    raw = _scenario(into)
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
            low, high = estimates.interval(_fit_name(name))
            self.set(f"{prefix}.{name}", interval_spec(estimates.value(_fit_name(name)), low, high), comment if name == names[0] else None)
        self.set(f"{prefix}.source", source)
        index = [estimates.names.index(_fit_name(name)) for name in names]
        rho = float(estimates.correlation[index[0], index[1]])
        if abs(rho) > STRONG_CORRELATION:
            self.correlations.append((f"{prefix}.{names[0]}", f"{prefix}.{names[1]}", round(spearman_from_pearson(rho), 3)))


def _fit_name(name: str) -> str:
    """Scenario names of mix parameters -> the fits' names (purchase_mix shape/rate are the NBD's r/alpha)."""
    return {"shape": "r", "rate": "alpha"}.get(name, name)


def _write(into: Path | None, writes: Writes, as_json: bool) -> str:
    """Write into the scenario, or return the fragment; validation problems name the scenario file."""
    from sim.shell.scenario_writer import fragment, write_inputs

    if into:
        write_inputs(into, writes.updates, writes.correlations, create=True)
        return ""
    return fragment([u for u in writes.updates if u.spec is not None], writes.correlations)


def _fit_stamp(kind: str, file: Path, as_of) -> str:
    return f"cxroi fit {kind} on {file.name} (sha256 {_sha256(file)[:12]}) as of {_text(as_of)}, fitted {date.today():%Y-%m-%d}"


def _manifest(files: list[Path], options: dict) -> dict:
    from sim.shell.results_folder import _version

    return {
        "cxroi_version": _version("cxroi"),
        "created": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        "command": ["cxroi", *sys.argv[1:]],
        "inputs": [{"file": str(path), "sha256": _sha256(path)} for path in files],
        "options": _clean(options),
    }


def _write_folder(out: Path, overwrite: bool, summary: dict, manifest: dict, tables: dict, figures: dict, fragment_text: str) -> None:
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


def _tagged(segment: str, table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(segment=segment)[["segment", *table.columns]]


def _print_table(title: str, frame: pd.DataFrame, formats: dict[str, str]) -> None:
    from rich.console import Console
    from rich.table import Table

    click.echo(title)
    table = Table(header_style="bold")
    for column in frame.columns:
        table.add_column(str(column), justify="left" if frame[column].dtype == object else "right")
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row):
            if isinstance(value, (float, np.floating)):
                cells.append("" if not math.isfinite(value) else format(value, formats.get(column, ".4g")))
            else:
                cells.append(str(value))
        table.add_row(*cells)
    Console(width=120).print(table)


def _estimate_rows(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)[["model", "parameter", "estimate", "se", "ci_low", "ci_high"]]
    return frame.rename(columns={"ci_low": "95% low", "ci_high": "95% high"})


def _parsed(frame: pd.DataFrame, checked: pd.DataFrame, columns: dict[str, str | None]) -> pd.DataFrame:
    """``frame`` with its checked columns already parsed ({checked column: frame column}), so the fits, which check
    their input again, need not parse a million dates twice more (datetime columns are taken as they are)."""
    parsed = frame.reset_index(drop=True).copy(deep=False)
    for source, column in columns.items():
        if column:
            parsed[column] = checked[source].to_numpy()
    return parsed


def _default_cutoff(first, as_of) -> pd.Timestamp:
    first, as_of = pd.Timestamp(first).normalize(), pd.Timestamp(as_of).normalize()
    return (as_of - (as_of - first) * HOLDOUT_SHARE).normalize()


# --- shared options -------------------------------------------------------------------------------------------


def _data_options(command):
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


# --- cxroi fit customers --------------------------------------------------------------------------------------


@dataclass
class ChurnSegment:
    """One segment's retention result for the report: the sBG fit or the geometric (Homogeneous), and its holdout."""

    name: str
    target: str
    fit: object
    holdout: object | None
    table: pd.DataFrame

    @property
    def homogeneous(self) -> bool:
        from sim.fit import Homogeneous

        return isinstance(self.fit, Homogeneous)


def _churn_verdict(fit) -> str:
    test = fit.heterogeneity
    if test.heterogeneous:
        return (f"customers differ: the sBG beats the geometric (LR {test.statistic:.1f}, p = {test.p_value:.2g}), so "
                f"retention rises with tenure as the fickle customers leave first")
    return (f"no clear evidence that customers differ (LR {test.statistic:.2f}, p = {test.p_value:.2g}); the sBG is written, "
            f"and its wide alpha, beta intervals carry that doubt")


@click.command("customers")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--survivor-table", is_flag=True,
              help="FILE is an aggregate survivor table: period (0, 1, 2, ...) and customers still active, "
                   "as retention data are often published.")
@click.option("--column", "columns", multiple=True, metavar="KEY=NAME",
              help="Column names: customer_id, start, end (and for --survivor-table: period, active). Repeatable.")
@_data_options
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
    with _user_errors(file):
        period, as_of_day, cutoff_day = _common_options(out, overwrite, period, into, as_of, cutoff, no_holdout)
        frame = _read(file)
        if survivor_table:
            mapped = _mapping(columns, "--column", ("period", "active"))
            segments, facts = _survivor_segments(frame, file, mapped, segment_column, period, cutoff_day)
        else:
            mapped = _mapping(columns, "--column", ("customer_id", "start", "end"))
            segments, facts = _customer_segments(frame, file, mapped, segment_column, date_format, period, as_of_day, cutoff_day)
        targets = segment_targets(list(segments), dict(_mapping(segment_pairs, "--segment-map")), into)
        results = [ChurnSegment(name, targets[name], *segments[name]) for name in segments]
        writes = _churn_writes(results, file, period, facts, _scenario(into))
        fragment_text = _write(into, writes, as_json)
        summary = _churn_summary(results, file, period, facts, into, writes)
        if out is not None:
            _churn_folder(out, overwrite, results, summary, file, period, facts, writes, fragment_text)
        if as_json:
            _echo_json(summary)
            return
        _print_churn(results, period, facts)
        for note in writes.notes:
            click.echo(note)
        if into:
            click.echo(f"Written into {into}: " + ", ".join(f"segments.{r.target}" for r in results) + ".")
        else:
            click.echo("# the inputs for a scenario (pass --into to write them):")
            click.echo(fragment_text.rstrip())
        if out is not None:
            click.echo(f"Report folder: {out}")


def _customer_segments(frame, file, mapped, segment_column, date_format, period, as_of, cutoff):
    """Fit and holdout per segment from a customer list; (segments {name: (fit, holdout, table)}, facts)."""
    from sim.fit import CustomerColumns, fit_retention, holdout_retention
    from sim.fit.checks import check_customers

    columns = CustomerColumns(**{{"start": "start", "end": "end"}.get(k, k): v for k, v in mapped.items()} | {"segment": segment_column})
    try:
        checked = check_customers(frame, as_of=as_of or pd.Timestamp.max, columns=columns, date_format=date_format)
        frame = _parsed(frame, checked, {"start": columns.start, "end": columns.end})
        latest = max(checked["start"].max(), checked["end"].max() if checked["end"].notna().any() else checked["start"].max())
        as_of = as_of or latest
        cutoff = _default_cutoff(checked["start"].min(), as_of) if cutoff is None else cutoff
        fits = fit_retention(frame, as_of=as_of, period=period, columns=columns, date_format=date_format, homogeneous=True)
    except ScenarioError as error:
        raise _in_file(error, file) from None
    holdouts, holdout_problem = {}, None
    try:
        if cutoff is not NO_HOLDOUT:
            holdouts = holdout_retention(frame, cutoff=cutoff, as_of=as_of, period=period, columns=columns, date_format=date_format,
                                         homogeneous=True)
    except ScenarioError as error:
        holdouts, holdout_problem = {}, "; ".join(error.lines())
    segments = {}
    for name, fit in fits.items():
        table = fit.table if hasattr(fit, "table") and not hasattr(fit, "alpha") else fit.survival_table()
        holdout = holdouts.get(name)
        segments[name] = (fit, None if hasattr(holdout, "kind") else holdout, table)  # no sBG holdout for alike customers
    facts = {"as_of": as_of, "cutoff": cutoff, "customers": len(frame), "holdout_problem": holdout_problem, "form": "customer list"}
    return segments, facts


def _survivor_segments(frame, file, mapped, segment_column, period, cutoff):
    """Fit and holdout per segment from a survivor table (period, active); rows checked here, one line each."""
    from sim.fit import ALL, Homogeneous, fit_survivor_table, holdout_survivor_table
    from sim.fit.checks import missing_columns

    if cutoff is not None and cutoff is not NO_HOLDOUT:
        raise UsageError("--cutoff is a date; a survivor table's holdout is its last third of periods")
    period_col, active_col = mapped.get("period", "period"), mapped.get("active", "active")
    seg_col = segment_column or ("segment" if "segment" in frame.columns else None)
    problems = missing_columns(frame, [period_col, active_col] + ([seg_col] if seg_col else []))
    if not problems and len(frame) == 0:
        problems = [Problem("", "the table has no data rows")]
    if problems:
        raise ScenarioError(problems, str(file))
    groups = frame.groupby(frame[seg_col].astype(str), sort=True) if seg_col else [(ALL, frame)]
    segments, problems = {}, []
    for name, part in groups:
        label = f"segment '{name}'" if seg_col else ""
        counts = _survivor_counts(part, period_col, active_col, problems)
        if counts is None:
            continue
        try:
            fit = fit_survivor_table(counts, label=label, period=period)
            table = fit.survival_table()
        except Homogeneous as limit:
            fit, table = limit, limit.table
        except ScenarioError as error:
            problems.extend(error.problems)
            continue
        n_fit = max(2, round((counts.size - 1) * (1.0 - HOLDOUT_SHARE)))
        try:
            enough = n_fit < counts.size - 1 and cutoff is not NO_HOLDOUT
            holdout = holdout_survivor_table(counts, n_fit, label=label, period=period) if enough else None
        except ScenarioError:
            holdout = None
        segments[name] = (fit, holdout, table)
    if problems:
        raise ScenarioError(problems, str(file))
    return segments, {"as_of": None, "cutoff": None, "customers": int(sum(_n(f) for f, _, _ in segments.values())),
                      "holdout_problem": None, "form": "survivor table"}


def _n(fit) -> int:
    return fit.n_customers if hasattr(fit, "n_customers") else fit.customers


def _survivor_counts(part: pd.DataFrame, period_col: str, active_col: str, problems: list) -> np.ndarray | None:
    """Counts still active per period 0, 1, 2, ... from a survivor table's rows; problems located by file row."""
    from sim.fit.checks import row_number

    positions = part.index.to_numpy()
    before = len(problems)
    values = {}
    for column in (period_col, active_col):
        numbers = pd.to_numeric(part[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(numbers) | (numbers < 0) | (numbers != np.round(numbers))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            problems.append(Problem(f"row {row_number(positions[i])}, column '{column}'",
                                    f"'{part[column].iloc[i]}' is not allowed: must be a whole number of 0 or more"))
        values[column] = numbers
    if len(problems) > before:
        return None
    order = np.argsort(values[period_col], kind="stable")
    periods, counts, rows = values[period_col][order], values[active_col][order], positions[order]
    expected = np.arange(periods.size)
    if np.any(periods != expected):
        i = int(np.flatnonzero(periods != expected)[0])
        problems.append(Problem(f"row {row_number(rows[i])}, column '{period_col}'",
                                f"expected period {i}: periods must run 0, 1, 2, ... without gaps or repeats"))
        return None
    rises = np.flatnonzero(np.diff(counts) > 0)
    if rises.size:
        i = int(rises[0]) + 1
        problems.append(Problem(f"row {row_number(rows[i])}, column '{active_col}'",
                                f"{counts[i]:.0f} customers is more than the {counts[i - 1]:.0f} of the period before; "
                                "customers still active can only fall"))
        return None
    if counts.size < 3:
        problems.append(Problem(f"column '{period_col}'", "needs periods 0, 1 and 2 at least to fit retention"))
        return None
    return counts


def _churn_writes(results: list[ChurnSegment], file: Path, period: str, facts: dict, raw: dict | None) -> Writes:
    writes = Writes()
    when = f"as of {_text(facts['as_of'])}, " if facts["as_of"] is not None else ""
    stamp = f"cxroi fit customers on {file.name} ({facts['form']}, sha256 {_sha256(file)[:12]}), {when}fitted {date.today():%Y-%m-%d}"
    for result in results:
        fit, segment = result.fit, result.target
        prefix = f"segments.{segment}"
        if result.homogeneous:
            key = PER_PERIOD_CHURN[period]
            source = (f"{stamp}: geometric churn per {period} of {fit.customers:,} customers (data segment '{result.name}'); "
                      f"the sBG found no difference between customers; 95 % interval from the binomial error")
            writes.remove(raw, segment, tuple(k for k in CHURN_KEYS if k != key), f"replaced by {key} (churn alike for every customer)")
            writes.set(f"{prefix}.{key}", interval_spec(fit.estimate, fit.low, fit.high, source),
                       f"geometric fit: {fit.estimate:.4g} per {period}")
            writes.notes.append(f"segment {result.name}: churn looks the same for every customer (the sBG runs to its geometric "
                                f"limit), so {prefix}.{key} is written instead of churn_mix")
            continue
        source = (f"{stamp}: sBG (Fader & Hardie 2007) churn per {period} of {fit.n_customers:,} customers, {fit.n_churned:,} "
                  f"churned (data segment '{result.name}'); 95 % intervals from the observed information")
        writes.remove(raw, segment, ("churn", "monthly_churn", "annual_churn"), "replaced by churn_mix (churn differs between customers)")
        writes.mix(f"{prefix}.churn_mix", ("alpha", "beta"), fit.estimates, source,
                   f"sBG fit: mean churn {fit.mean_churn:.4g} per {period} at the start")
    return writes


def _churn_summary(results, file, period, facts, into, writes) -> dict:
    segments = {}
    for result in results:
        fit, holdout = result.fit, result.holdout
        entry = {"scenario_segment": result.target, "survival": _records(result.table)}
        if result.homogeneous:
            entry.update(model="geometric", customers=fit.customers, churn=fit.estimate, se=fit.se, interval_95=[fit.low, fit.high],
                         verdict="churn looks the same for every customer: the sBG runs to its geometric limit")
        else:
            entry.update(model="sBG", **fit.summary_row(), estimates=fit.as_rows(), verdict=_churn_verdict(fit))
        if holdout is not None and not hasattr(holdout, "kind"):
            entry["holdout"] = {"fit_alpha": holdout.fit.alpha, "fit_beta": holdout.fit.beta, "mae_pp": holdout.mae_pp,
                                "renewed_at_cutoff": holdout.renewed_at_cutoff, "predicted_renewing": holdout.predicted_renewing,
                                "actual_renewing": holdout.actual_renewing}
        segments[result.name] = entry
    return _clean({
        "command": "fit customers", "file": str(file), "form": facts["form"], "period": period, "as_of": facts["as_of"],
        "cutoff": facts["cutoff"], "holdout_problem": facts["holdout_problem"], "segments": segments,
        "written_into": str(into) if into else None, "notes": writes.notes,
        "correlations": [{"between": [a, b], "rank": r} for a, b, r in writes.correlations],
    })


def _print_churn(results: list[ChurnSegment], period: str, facts: dict) -> None:
    where = f" as of {_text(facts['as_of'])}" if facts["as_of"] is not None else ""
    click.echo(f"Retention per {period}{where} ({facts['form']}).")
    for result in results:
        fit = result.fit
        if result.homogeneous:
            click.echo(f"\nsegment {result.name}: {fit.customers:,} customers; churn looks the same for every customer: geometric "
                       f"churn {fit.estimate:.4g} per {period} (95 % {fit.low:.4g} to {fit.high:.4g})")
        else:
            title = (f"segment {result.name}: {fit.n_customers:,} customers, {fit.n_churned:,} churned; corr(alpha, beta) "
                     f"{fit.corr:.2f}; mean churn at the start {fit.mean_churn:.4g} per {period}")
            _print_table(title, _estimate_rows(fit.as_rows()), {})
            click.echo(_churn_verdict(fit))
        table = result.table
        shown = table if len(table) <= 13 else table.iloc[np.unique(np.linspace(0, len(table) - 1, 13).round().astype(int))]
        columns = [c for c in ("period", "at_risk", "observed", "sbg", "geometric") if c in shown]
        _print_table("observed vs fitted survival (every period in survival.csv with --out)", shown[columns],
                     {"observed": ".3f", "sbg": ".3f", "geometric": ".3f"})
        holdout = result.holdout
        if holdout is not None:
            mae = ("no tenure beyond the fitted ones to check survival on" if not math.isfinite(holdout.mae_pp)
                   else f"survival error on the unseen tenures {holdout.mae_pp:.2f} percentage points")
            cut = f"up to {_text(facts['cutoff'])}" if facts["cutoff"] is not None else "on the first two thirds of the periods"
            click.echo(f"holdout (fit {cut}): {mae}; of {holdout.renewed_at_cutoff:,} "
                       f"customers renewing at the cut-off, {holdout.predicted_renewing:,.0f} predicted and "
                       f"{holdout.actual_renewing:,} actually renewing to the end")
    if facts["holdout_problem"]:
        click.echo(f"holdout not possible at cut-off {_text(facts['cutoff'])}: {facts['holdout_problem']}")


def _churn_folder(out, overwrite, results, summary, file, period, facts, writes, fragment_text) -> None:
    from sim.reporting.fit_figures import survival_figure

    estimates = pd.DataFrame([{"segment": r.name, **row} for r in results if not r.homogeneous for row in r.fit.as_rows()] +
                             [{"segment": r.name, "model": "geometric", "parameter": "p", "estimate": r.fit.estimate,
                               "se": r.fit.se, "ci_low": r.fit.low, "ci_high": r.fit.high} for r in results if r.homogeneous])
    tables = {"estimates": estimates, "survival": pd.concat([_tagged(r.name, r.table) for r in results], ignore_index=True)}
    figures = {"survival": survival_figure({r.name: r.table for r in results}, period, "survival, fitted on all the data")}
    held = {r.name: r.holdout.table for r in results if r.holdout is not None}
    if held:
        tables["holdout"] = pd.concat([_tagged(name, table) for name, table in held.items()], ignore_index=True)
        figures["holdout"] = survival_figure(held, period, "holdout: fitted before the cut-off")
    options = {"period": period, "as_of": facts["as_of"], "cutoff": facts["cutoff"], "form": facts["form"]}
    _write_folder(out, overwrite, summary, _manifest([file], options), tables, figures, fragment_text)


# --- cxroi fit orders -----------------------------------------------------------------------------------------


@click.command("orders")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--customers", "customers_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Customers table (contractual business): fit purchase rates of customers on the books (NBD) instead of BG/NBD dropout.")
@click.option("--column", "columns", multiple=True, metavar="KEY=NAME",
              help="Order column names: customer_id, date, amount (customers file: start, end). Repeatable.")
@click.option("--no-amounts", is_flag=True, help="The orders have no amount column: fit purchases only, no spend.")
@_data_options
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
        period, as_of_day, cutoff_day = _common_options(out, overwrite, period, into, as_of, cutoff, no_holdout)
        mapped = _mapping(columns, "--column", ("customer_id", "date", "amount", "start", "end"))
        frame = _read(file)
        if customers_file is not None:
            result = _contract_purchases(frame, file, _read(customers_file), customers_file, mapped, no_amounts, segment_column,
                                         date_format, period, as_of_day, cutoff_day)
        else:
            if "start" in mapped or "end" in mapped:
                raise UsageError("--column start=/end= name columns of the --customers file; give --customers too")
            result = _bgnbd_purchases(frame, file, mapped, no_amounts, segment_column, date_format, period, as_of_day, cutoff_day)
        targets = segment_targets(list(result.segments), dict(_mapping(segment_pairs, "--segment-map")), into)
        writes = _purchase_writes(result, targets, file, period, _scenario(into))
        fragment_text = _write(into, writes, as_json)
        summary = _purchase_summary(result, targets, file, period, into, writes)
        if out is not None:
            _purchase_folder(out, overwrite, result, summary, file, customers_file, period, fragment_text)
        if as_json:
            _echo_json(summary)
            return
        _print_purchases(result, period)
        for note in writes.notes:
            click.echo(note)
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
        frame = _parsed(frame, checked, {"time": columns.date, "amount": columns.amount})
        as_of = as_of or checked["time"].max().normalize()
        end = as_of + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        cutoff = _default_cutoff(checked["time"].min(), as_of) if cutoff is None else cutoff
        fits = fit_orders(frame, cutoff=end, period=period, columns=columns, date_format=date_format, as_of=as_of)
    except ScenarioError as error:
        raise _in_file(error, file) from None
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
        raise _in_file(error, customers_file) from None
    customers = _parsed(customers, checked, {"start": customer_columns.start, "end": customer_columns.end})
    try:
        orders = check_orders(frame, columns=order_columns, date_format=date_format, as_of=as_of,
                              known_customers=checked["customer_id"])
    except ScenarioError as error:
        raise _in_file(error, file) from None
    frame = _parsed(frame, orders, {"time": order_columns.date, "amount": order_columns.amount})
    if as_of is None:
        dates = [checked["start"].max(), checked["end"].max(), orders["time"].max().normalize()]
        as_of = max(d for d in dates if pd.notna(d))
    cutoff = _default_cutoff(checked["start"].min(), as_of) if cutoff is None else cutoff
    common = {"as_of": as_of, "period": period, "customer_columns": customer_columns, "order_columns": order_columns,
              "date_format": date_format}
    try:
        rates = fit_purchase_rates(customers, frame, homogeneous=True, **common)
        spent = {} if no_amounts else fit_spend(frame, columns=order_columns, date_format=date_format, as_of=as_of,
                                                customers=customers, customer_columns=customer_columns)
    except ScenarioError as error:
        raise _in_file(error, file) from None
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
    stamp = _fit_stamp("orders", file, result.as_of)
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
            entry["holdout"] = {"duration": result.durations[name], "by_frequency": _records(result.holdout[name])}
        segments[name] = {"scenario_segment": targets[name], **entry}
    return _clean({
        "command": "fit orders", "file": str(file), "business": "contractual" if result.contractual else "non-contractual",
        "period": period, "as_of": result.as_of, "cutoff": result.cutoff, "orders": result.orders,
        "holdout_problem": result.holdout_problem, "segments": segments, "written_into": str(into) if into else None,
        "notes": writes.notes, "correlations": [{"between": [a, b], "rank": r} for a, b, r in writes.correlations],
    })


def _print_purchases(result: PurchaseResult, period: str) -> None:
    from sim.fit import Homogeneous

    kind = "contractual: NBD purchase rates of customers on the books" if result.contractual else "non-contractual: BG/NBD"
    click.echo(f"Purchases per {period} as of {_text(result.as_of)}, {result.orders:,} orders ({kind}).")
    for name, fit in result.segments.items():
        if isinstance(fit, Homogeneous):
            click.echo(f"\nsegment {name}: {fit.customers:,} customers; purchase rates look the same for every customer: "
                       f"{fit.estimate:.4g} per {period} (95 % {fit.low:.4g} to {fit.high:.4g})")
            rows = []
        else:
            rows = fit.as_rows()
            what = (f"mean {fit.mean_rate:.3g} purchases per {period}, rate CV {fit.rate_cv:.2f}" if result.contractual else
                    f"mean {fit.mean_rate:.3g} purchases per {period} while active, dropout {fit.mean_dropout:.3g} after each")
            title = f"segment {name}: {fit.n_customers:,} customers; {what}"
        spend = result.spend.get(name)
        if spend is not None:
            rows = rows + spend.as_rows()
            if isinstance(fit, Homogeneous):
                title = f"segment {name}: spend per purchase"
        if rows:
            _print_table(title, _estimate_rows(rows), {})
        if name in result.holdout:
            report = result.holdout[name]
            _print_table(f"holdout: purchases in the {result.durations[name]:.1f} {period}s after {_text(result.cutoff)}, "
                         "by purchases before it", report, {"actual_mean": ".2f", "predicted_mean": ".2f", "actual_total": ",.0f",
                                                            "predicted_total": ",.0f", "error_pct": "+.1f"})
    if result.holdout_problem:
        click.echo(f"holdout not possible at cut-off {_text(result.cutoff)}: {result.holdout_problem}")


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
        tables["holdout"] = pd.concat([_tagged(name, report) for name, report in result.holdout.items()], ignore_index=True)
        figures["holdout_purchases"] = holdout_purchases_figure(result.holdout, period, result.durations)
    files = [file] + ([customers_file] if customers_file else [])
    options = {"period": period, "as_of": result.as_of, "cutoff": result.cutoff, "contractual": result.contractual}
    _write_folder(out, overwrite, summary, _manifest(files, options), tables, figures, fragment_text)
