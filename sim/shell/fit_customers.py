"""``cxroi fit customers``: a customer list (or a published survivor table) as the segments' churn.

Reads the file, fits the shifted-beta-geometric model per segment (:mod:`sim.fit`),
prints the report, writes ``churn_mix`` (or the geometric churn when customers do
not differ) with ``--into`` and a results-style folder with ``--out``. What the
written inputs mean is in :mod:`sim.shell.fit_data_commands`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import click
import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError, UsageError
from sim.shell.fit_data_commands import (
    CHURN_KEYS,
    HOLDOUT_SHARE,
    NO_HOLDOUT,
    PER_PERIOD_CHURN,
    Writes,
    common_options,
    data_options,
    day_text,
    default_cutoff,
    estimate_rows,
    file_sha256,
    fit_manifest,
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


def _churn_verdict(fit, st=None) -> str:
    """The likelihood-ratio test in words: for the terminal in the number style ``st`` (``p < 0.0001``),
    for summary.json (``st`` None) in plain numbers as it has always been written (``p = 8e-20``)."""
    test = fit.heterogeneity
    digits = 1 if test.heterogeneous else 2
    if st is None:
        lr, p = f"{test.statistic:.{digits}f}", f"= {test.p_value:.2g}"
    else:
        lr, p = st.fixed(test.statistic, digits), _p(st, test.p_value)
    if test.heterogeneous:
        return (f"customers differ: the sBG beats the geometric (LR {lr}, p {p}), so "
                f"retention rises with tenure as the fickle customers leave first")
    return (f"no clear evidence that customers differ (LR {lr}, p {p}); the sBG is written, "
            f"and its wide alpha, beta intervals carry that doubt")


@click.command("customers")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
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
    with _user_errors(file):
        period, as_of_day, cutoff_day = common_options(out, overwrite, period, into, as_of, cutoff, no_holdout)
        frame = read_data(file)
        with working("fitting retention"):
            if survivor_table:
                mapped = _mapping(columns, "--column", ("period", "active"))
                segments, facts = _survivor_segments(frame, file, mapped, segment_column, period, cutoff_day)
            else:
                mapped = _mapping(columns, "--column", ("customer_id", "start", "end"))
                segments, facts = _customer_segments(frame, file, mapped, segment_column, date_format, period, as_of_day,
                                                     cutoff_day)
        targets = segment_targets(list(segments), dict(_mapping(segment_pairs, "--segment-map")), into)
        results = [ChurnSegment(name, targets[name], *segments[name]) for name in segments]
        writes = _churn_writes(results, file, period, facts, scenario_table(into))
        fragment_text = write_or_print(into, writes, as_json)
        summary = _churn_summary(results, file, period, facts, into, writes)
        if out is not None:
            _churn_folder(out, overwrite, results, summary, file, period, facts, writes, fragment_text)
        if as_json:
            _echo_json(summary)
            return
        _print_churn(results, period, facts)
        for note in writes.notes:
            echo_wrapped(note)
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
        frame = parsed_columns(frame, checked, {"start": columns.start, "end": columns.end})
        latest = max(checked["start"].max(), checked["end"].max() if checked["end"].notna().any() else checked["start"].max())
        as_of = as_of or latest
        cutoff = default_cutoff(checked["start"].min(), as_of) if cutoff is None else cutoff
        fits = fit_retention(frame, as_of=as_of, period=period, columns=columns, date_format=date_format, homogeneous=True)
    except ScenarioError as error:
        raise in_file(error, file) from None
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
    when = f"as of {day_text(facts['as_of'])}, " if facts["as_of"] is not None else ""
    stamp = f"cxroi fit customers on {file.name} ({facts['form']}, sha256 {file_sha256(file)[:12]}), {when}fitted {date.today():%Y-%m-%d}"
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
        entry = {"scenario_segment": result.target, "survival": table_records(result.table)}
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
    return json_ready({
        "command": "fit customers", "file": str(file), "form": facts["form"], "period": period, "as_of": facts["as_of"],
        "cutoff": facts["cutoff"], "holdout_problem": facts["holdout_problem"], "segments": segments,
        "written_into": str(into) if into else None, "notes": writes.notes,
        "correlations": [{"between": [a, b], "rank": r} for a, b, r in writes.correlations],
    })


def _p(st, p: float) -> str:
    text = st.p_value(p)
    return text if text.startswith("<") else f"= {text}"


def _print_churn(results: list[ChurnSegment], period: str, facts: dict) -> None:
    from sim.reporting.format import style

    st = style()
    ci = st.percent(0.95, 0)
    where = f" as of {day_text(facts['as_of'])}" if facts["as_of"] is not None else ""
    echo_wrapped(f"Retention per {period}{where} ({facts['form']}).")
    for result in results:
        fit = result.fit
        if result.homogeneous:
            echo_wrapped(f"\nsegment {result.name}: {st.count(fit.customers)} customers; churn looks the same for every customer: "
                       f"geometric churn {st.estimate(fit.estimate)} per {period} ({ci} {st.estimate(fit.low)} to "
                       f"{st.estimate(fit.high)})")
        else:
            title = (f"segment {result.name}: {st.count(fit.n_customers)} customers, {st.count(fit.n_churned)} churned; "
                     f"corr(alpha, beta) {st.fixed(fit.corr, 2)}; mean churn at the start {st.estimate(fit.mean_churn)} "
                     f"per {period}")
            print_table(title, estimate_rows(fit.as_rows()), {})
            echo_wrapped(_churn_verdict(fit, st))
        table = result.table
        shown = table if len(table) <= 13 else table.iloc[np.unique(np.linspace(0, len(table) - 1, 13).round().astype(int))]
        columns = [c for c in ("period", "at_risk", "observed", "sbg", "geometric") if c in shown]
        print_table("observed vs fitted survival (every period in survival.csv with --out)", shown[columns],
                     {"observed": "fixed:3", "sbg": "fixed:3", "geometric": "fixed:3", "at_risk": "count"})
        holdout = result.holdout
        if holdout is not None:
            mae = ("no tenure beyond the fitted ones to check survival on" if not math.isfinite(holdout.mae_pp)
                   else f"survival error on the unseen tenures {st.fixed(holdout.mae_pp, 2)} percentage points")
            cut = f"up to {day_text(facts['cutoff'])}" if facts["cutoff"] is not None else "on the first two thirds of the periods"
            echo_wrapped(f"holdout (fit {cut}): {mae}; of {st.count(holdout.renewed_at_cutoff)} "
                       f"customers renewing at the cut-off, {st.count(holdout.predicted_renewing)} predicted and "
                       f"{st.count(holdout.actual_renewing)} actually renewing to the end")
    if facts["holdout_problem"]:
        echo_wrapped(f"holdout not possible at cut-off {day_text(facts['cutoff'])}: {facts['holdout_problem']}")


def _churn_folder(out, overwrite, results, summary, file, period, facts, writes, fragment_text) -> None:
    from sim.reporting.fit_figures import survival_figure

    estimates = pd.DataFrame([{"segment": r.name, **row} for r in results if not r.homogeneous for row in r.fit.as_rows()] +
                             [{"segment": r.name, "model": "geometric", "parameter": "p", "estimate": r.fit.estimate,
                               "se": r.fit.se, "ci_low": r.fit.low, "ci_high": r.fit.high} for r in results if r.homogeneous])
    tables = {"estimates": estimates, "survival": pd.concat([tagged(r.name, r.table) for r in results], ignore_index=True)}
    figures = {"survival": survival_figure({r.name: r.table for r in results}, period, "survival, fitted on all the data")}
    held = {r.name: r.holdout.table for r in results if r.holdout is not None}
    if held:
        tables["holdout"] = pd.concat([tagged(name, table) for name, table in held.items()], ignore_index=True)
        figures["holdout"] = survival_figure(held, period, "holdout: fitted before the cut-off")
    options = {"period": period, "as_of": facts["as_of"], "cutoff": facts["cutoff"], "form": facts["form"]}
    write_fit_folder(out, overwrite, summary, fit_manifest([file], options), tables, figures, fragment_text)
