"""``cxroi fit customers`` as a library call: a customer list (or a published survivor table) as the segments' churn.

:func:`customers_report` fits the shifted-beta-geometric model per segment
(:func:`sim.fit.fit_retention`, :func:`sim.fit.fit_survivor_table`) with its
holdout check, and returns everything the command shows or writes: the fits,
what goes into the scenario (``churn_mix``, or the geometric churn when
customers do not differ; :mod:`sim.fit.scenario_inputs`), the JSON summary and
the tables of the ``--out`` folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError, UsageError
from sim.fit.checks import ALL, ISO, CustomerColumns, Homogeneous
from sim.fit.reports import (
    NO_HOLDOUT,
    HOLDOUT_SHARE,
    DataFile,
    Folder,
    day_text,
    cutoff_or_default,
    in_file,
    json_ready,
    parsed_columns,
    table_records,
    tagged,
)
from sim.fit.scenario_inputs import CHURN_KEYS, PER_PERIOD_CHURN, Writes, interval_spec, segment_targets


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
        return isinstance(self.fit, Homogeneous)


@dataclass
class CustomersReport:
    """What ``cxroi fit customers`` prints, writes into a scenario (``writes``) and into its folder.

    ``facts``: as_of, cutoff (None for a survivor table), customers, holdout_problem and the data's form.
    ``summary`` is the ``--json`` output.
    """

    segments: list[ChurnSegment]
    period: str
    facts: dict
    writes: Writes
    summary: dict
    folder: Folder


def customers_report(
    frame: pd.DataFrame,
    *,
    file: DataFile = DataFile(),
    survivor_table: bool = False,
    columns: dict[str, str] | None = None,
    segment_column: str | None = None,
    date_format: str = ISO,
    period: str = "month",
    as_of: pd.Timestamp | None = None,
    cutoff: pd.Timestamp | None = None,
    segment_map: dict[str, str] | None = None,
    scenario: dict | None = None,
    into: str | None = None,
    today: date | None = None,
) -> CustomersReport:
    """Churn per segment from a customer list (customer_id, start_date, end_date, segment), or with ``survivor_table``
    from a table of customers still active per period.

    ``columns`` renames the expected columns (customer_id, start, end; or period, active); ``cutoff`` is the holdout's
    (default a third of the history before ``as_of``; :data:`~sim.fit.reports.NO_HOLDOUT` for none). ``scenario`` is
    the parsed target scenario (its segments and churn keys decide where the estimates go and what they replace),
    ``into`` its name as the summary and messages give it. ``today`` is the day of the fit, as the caller's clock
    has it: the written sources name it, and without ``as_of`` no date may be after it
    (:func:`sim.fit.checks.data_end`; None checks nothing).
    """
    columns = columns or {}
    if survivor_table:
        segments, facts = _survivor_segments(frame, file, columns, segment_column, period, cutoff)
    else:
        segments, facts = _customer_segments(frame, file, columns, segment_column, date_format, period, as_of, cutoff, today)
    targets = segment_targets(list(segments), dict(segment_map or {}), scenario, into)
    results = [ChurnSegment(name, targets[name], *segments[name]) for name in segments]
    writes = _churn_writes(results, file, period, facts, scenario, today)
    summary = _churn_summary(results, file, period, facts, into, writes)
    return CustomersReport(results, period, facts, writes, summary, _churn_folder(results, period, facts))


def churn_verdict(fit, statistic: str | None = None, p: str | None = None) -> str:
    """Whether customers differ, in words, from the sBG's likelihood-ratio test against the geometric.

    Without ``statistic`` and ``p`` the numbers are plain, as summary.json has always had them
    (``LR 91.3, p = 8e-20``); the terminal passes them in its house style (``p < 0.0001``: ``p``
    includes its relation, '= ' or '< ')."""
    test = fit.heterogeneity
    if statistic is None:
        statistic = f"{test.statistic:.{1 if test.heterogeneous else 2}f}"
    if p is None:
        p = f"= {test.p_value:.2g}"
    if test.heterogeneous:
        return (f"customers differ: the sBG beats the geometric (LR {statistic}, p {p}), so "
                f"retention rises with tenure as the fickle customers leave first")
    return (f"no clear evidence that customers differ (LR {statistic}, p {p}); the sBG is written, "
            f"and its wide alpha, beta intervals carry that doubt")


def _customer_segments(frame, file, mapped, segment_column, date_format, period, as_of, cutoff, today):
    """Fit and holdout per segment from a customer list; (segments {name: (fit, holdout, table)}, facts)."""
    from sim.fit import fit_retention, holdout_retention
    from sim.fit.checks import check_customers, data_end

    columns = CustomerColumns(**{{"start": "start", "end": "end"}.get(k, k): v for k, v in mapped.items()} | {"segment": segment_column})
    try:
        checked = check_customers(frame, as_of=as_of or pd.Timestamp.max, columns=columns, date_format=date_format)
        frame = parsed_columns(frame, checked, {"start": columns.start, "end": columns.end})
        if as_of is None:
            as_of = data_end({columns.start: checked["start"], columns.end: checked["end"]}, today)
        cutoff = cutoff_or_default(cutoff, checked["start"].min(), as_of)
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
    from sim.fit import fit_survivor_table, holdout_survivor_table
    from sim.fit.checks import missing_columns

    if cutoff is not None and cutoff is not NO_HOLDOUT:
        raise UsageError("--cutoff is a date; a survivor table's holdout is its last third of periods")
    period_col, active_col = mapped.get("period", "period"), mapped.get("active", "active")
    seg_col = segment_column or ("segment" if "segment" in frame.columns else None)
    problems = missing_columns(frame, [period_col, active_col] + ([seg_col] if seg_col else []))
    if not problems and len(frame) == 0:
        problems = [Problem("", "the table has no data rows")]
    if problems:
        raise ScenarioError(problems, file.path)
    groups = frame.groupby(frame[seg_col].astype(str), sort=True) if seg_col else [(ALL, frame)]
    segments, problems = {}, []
    for name, part in groups:
        label = f"segment '{name}'" if seg_col else ""
        counts = survivor_counts(part, period_col, active_col, problems)
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
        raise ScenarioError(problems, file.path)
    return segments, {"as_of": None, "cutoff": None, "customers": int(sum(_n(f) for f, _, _ in segments.values())),
                      "holdout_problem": None, "form": "survivor table"}


def _n(fit) -> int:
    return fit.n_customers if hasattr(fit, "n_customers") else fit.customers


def survivor_counts(part: pd.DataFrame, period_col: str, active_col: str, problems: list) -> np.ndarray | None:
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


def _churn_writes(results: list[ChurnSegment], file: DataFile, period: str, facts: dict, scenario: dict | None,
                  today: date | None) -> Writes:
    writes = Writes()
    when = f"as of {day_text(facts['as_of'])}, " if facts["as_of"] is not None else ""
    stamp = f"cxroi fit customers on {file.describe(facts['form'])}, {when}fitted {today or date.today():%Y-%m-%d}"
    for result in results:
        fit, segment = result.fit, result.target
        prefix = f"segments.{segment}"
        if result.homogeneous:
            key = PER_PERIOD_CHURN[period]
            source = (f"{stamp}: geometric churn per {period} of {fit.customers:,} customers (data segment '{result.name}'); "
                      f"the sBG found no difference between customers; 95 % interval from the binomial error")
            writes.remove(scenario, segment, tuple(k for k in CHURN_KEYS if k != key), f"replaced by {key} (churn alike for every customer)")
            writes.set(f"{prefix}.{key}", interval_spec(fit.estimate, fit.low, fit.high, source),
                       f"geometric fit: {fit.estimate:.4g} per {period}")
            writes.notes.append(f"segment {result.name}: churn looks the same for every customer (the sBG runs to its geometric "
                                f"limit), so {prefix}.{key} is written instead of churn_mix")
            continue
        source = (f"{stamp}: sBG (Fader & Hardie 2007) churn per {period} of {fit.n_customers:,} customers, {fit.n_churned:,} "
                  f"churned (data segment '{result.name}'); 95 % intervals from the observed information")
        writes.remove(scenario, segment, ("churn", "monthly_churn", "annual_churn"), "replaced by churn_mix (churn differs between customers)")
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
            entry.update(model="sBG", **fit.summary_row(), estimates=fit.as_rows(), verdict=churn_verdict(fit))
        if holdout is not None and not hasattr(holdout, "kind"):
            entry["holdout"] = {"fit_alpha": holdout.fit.alpha, "fit_beta": holdout.fit.beta, "mae_pp": holdout.mae_pp,
                                "renewed_at_cutoff": holdout.renewed_at_cutoff, "predicted_renewing": holdout.predicted_renewing,
                                "actual_renewing": holdout.actual_renewing}
        segments[result.name] = entry
    return json_ready({
        "command": "fit customers", "file": file.path, "form": facts["form"], "period": period, "as_of": facts["as_of"],
        "cutoff": facts["cutoff"], "holdout_problem": facts["holdout_problem"], "segments": segments,
        "written_into": str(into) if into else None, "notes": writes.notes, "correlations": writes.correlation_rows(),
    })


def _churn_folder(results: list[ChurnSegment], period: str, facts: dict) -> Folder:
    estimates = pd.DataFrame([{"segment": r.name, **row} for r in results if not r.homogeneous for row in r.fit.as_rows()] +
                             [{"segment": r.name, "model": "geometric", "parameter": "p", "estimate": r.fit.estimate,
                               "se": r.fit.se, "ci_low": r.fit.low, "ci_high": r.fit.high} for r in results if r.homogeneous])
    tables = {"estimates": estimates, "survival": pd.concat([tagged(r.name, r.table) for r in results], ignore_index=True)}
    held = {r.name: r.holdout.table for r in results if r.holdout is not None}
    if held:
        tables["holdout"] = pd.concat([tagged(name, table) for name, table in held.items()], ignore_index=True)
    return Folder(tables, {"period": period, "as_of": facts["as_of"], "cutoff": facts["cutoff"], "form": facts["form"]})
