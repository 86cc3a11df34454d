"""Results as HTML tables in a Jupyter notebook: how a run, an analysis and a fit are shown.

``import sim`` in IPython registers :func:`to_html` as the HTML formatter of these classes
(by name, in sim/__init__.py), rather than each class carrying a ``_repr_html_``: the
classes live in lower parts of the package, which never import the reporting part.

A :class:`sim.Result` shows the memo's headline figures; an analysis
(:class:`sim.analyses.common.Analysis`) its tables with inputs and options by
name; a fit its parameter estimates with standard errors and 95 % intervals, and
a holdout check its report beside them. Numbers are formatted as everywhere else
(:mod:`sim.reporting.format`) and right-aligned; the HTML is plain tables with
inline styles (notebooks drop ``<style>`` blocks in some viewers), no scripts.
The data stay where they were: ``result.summary()``, ``analysis.tables[...]``,
``fit.as_rows()``.
"""

from __future__ import annotations

import html
import math
from typing import Any

from sim.reporting.format import amount, percent, roi, value

MAX_ROWS = 12
"""Rows of a table shown; the rest is counted below it."""
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd;"
_LEFT, _RIGHT = f'style="{_CELL}text-align:left"', f'style="{_CELL}text-align:right;white-space:nowrap"'


def to_html(obj: Any) -> str:
    """The HTML a notebook shows for a run (:class:`sim.Result`), an analysis or a fit."""
    from sim.analyses.common import Analysis
    from sim.compute.result import Result

    if isinstance(obj, Result):
        return result_html(obj)
    if isinstance(obj, Analysis):
        return analysis_html(obj)
    return fit_html(obj)


def table(header: list[str], rows: list[list[Any]], caption: str | None = None, more: int = 0,
          where: str = "") -> str:
    """An HTML table of text cells; columns that hold numbers are right-aligned."""
    from sim.reporting.memo import numeric_columns

    right = numeric_columns([[str(c) for c in row] for row in rows]) or [False] * len(header)
    head = "".join(f"<th {_RIGHT if r else _LEFT}>{html.escape(str(h))}</th>" for h, r in zip(header, right))
    body = "".join("<tr>" + "".join(f"<td {_RIGHT if r else _LEFT}>{html.escape(str(c))}</td>" for c, r in zip(row, right))
                   + "</tr>" for row in rows)
    title = f'<caption style="text-align:left;font-weight:bold;padding:4px 0">{html.escape(caption)}</caption>' if caption else ""
    note = f'<p style="color:#666;margin:2px 0 10px">… and {more:,} more rows: {html.escape(where)}</p>' if more else ""
    return f'<table style="border-collapse:collapse;margin:4px 0">{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}'


def result_html(result) -> str:
    """A run: what was simulated, and the memo's headline figures per option."""
    from sim.reporting.memo import headline_table

    summary = result.summary_dict()
    horizon = f"{summary['horizon']} {summary['period']}{'' if summary['horizon'] == 1 else 's'}"
    if summary["mode"] == "base_case":
        how = "base case (every input at its base value)"
    else:
        how = f"{summary['draws']:,} draws, seed {summary['seed']}"
    intro = (f"<p><b>{html.escape(summary['scenario'])}</b>: {html.escape(how)}; present values in "
             f"{html.escape(summary['currency'])} over {horizon}. The numbers: <code>.summary()</code>, "
             f"<code>.draws</code>, <code>.bands</code>.</p>")
    if summary["mode"] == "base_case":
        entries = summary["interventions"]
        rows = [["NPV", *(amount(e["npv"]["mean"], summary["currency"]) for e in entries.values())],
                ["ROI", *(roi(e["roi"]["mean"], summary["currency"]) for e in entries.values())]]
        return intro + table(["", *(e["label"] for e in entries.values())], rows)
    header, rows = headline_table(summary)
    return intro + table(header, rows)


KINDS = {"voi": "Value of information", "breakeven": "Break-even", "sobol": "Sobol indices", "morris": "Morris screening"}
"""Analysis kinds and table names whose words are not their key's."""
_NAMES = {"npv": "NPV", "roi": "ROI", "evpi": "EVPI", "evppi": "EVPPI", "evsi": "EVSI", "se": "Std. error",
          "ci_low": "95 % low", "ci_high": "95 % high", "prob_roi_positive": "P(ROI > 0)", "mean": "mean",
          "p05": "5th pct", "p10": "10th pct", "p25": "25th pct", "p50": "median", "p75": "75th pct",
          "p90": "90th pct", "p95": "95th pct", "pp": "(points)", "pct": "%"}


def column_name(key: str) -> str:
    """A table's column key in words: 'npv_p05' -> 'NPV 5th pct', 'prob_roi_positive' -> 'P(ROI > 0)'."""
    if key in _NAMES:
        return _NAMES[key]
    words = [_NAMES.get(part, part) for part in key.split("_")]
    joined = " ".join(words)
    for suffix in ("p05", "p10", "p25", "p50", "p75", "p90", "p95", "mean"):  # npv_p05 -> NPV 5th pct
        if key.endswith(f"_{suffix}"):
            joined = f"{column_name(key[: -len(suffix) - 1])} {_NAMES[suffix]}"
    return joined[:1].upper() + joined[1:]


def _cell(key: str, x: Any, currency: str, labels: dict[str, dict[str, str]]) -> str:
    """One value of a column, formatted by what the column holds (told by its key)."""
    if isinstance(x, str):
        return labels.get("inputs", {}).get(x) or labels.get("options", {}).get(x) or x
    if x is None or isinstance(x, bool):
        return "" if x is None else ("yes" if x else "no")
    if isinstance(x, float) and math.isnan(x):
        return "n/a"
    lowered = key.lower()
    if lowered.startswith(("prob", "share", "power")) or lowered.endswith(("_share", "_prob")):
        return percent(x, 1, currency)
    if "roi" in lowered:
        return roi(x, currency)
    if any(word in lowered for word in ("npv", "evpi", "evppi", "evsi", "cost", "gain", "benefit", "net")):
        return amount(x, currency)
    return value(x, currency)


def frame_html(frame, caption: str, currency: str = "EUR", labels: dict | None = None, where: str = "") -> str:
    """A pandas table with column names in words, inputs and options by name, numbers formatted."""
    labels = labels or {}
    shown = frame.reset_index() if frame.index.name or getattr(frame.index, "names", [None])[0] else frame
    paths = [c for c in ("input", "param", "path") if c in shown.columns]
    if "label" in shown.columns and paths:  # the input's name is there already: drop its path
        shown = shown.drop(columns=paths).rename(columns={"label": "input"})
    keys = [str(c) for c in shown.columns]
    rows = [[_cell(k, v, currency, labels) for k, v in zip(keys, row)]
            for row in shown.head(MAX_ROWS).itertuples(index=False)]
    return table([column_name(k) for k in keys], rows, caption, max(0, len(shown) - MAX_ROWS), where)


def analysis_html(analysis) -> str:
    """An analysis: its kind, the scenario and run, and each of its tables."""
    settings = analysis.scenario.settings
    summary = analysis.summary if isinstance(analysis.summary, dict) else {}
    labels = summary.get("labels", {})
    intro = (f"<p><b>{html.escape(_kind(analysis.kind))}</b> of "
             f"{html.escape(settings.name)}: {analysis.draws:,} draws, seed {analysis.seed}; amounts in "
             f"{html.escape(settings.currency)}. The numbers: <code>.tables</code>, <code>.summary</code>.</p>")
    parts = [frame_html(frame, _kind(name), settings.currency, labels,
                        f".tables[{name!r}]") for name, frame in analysis.tables.items()]
    return intro + "".join(parts)


def _kind(key: str) -> str:
    return KINDS.get(key) or key.replace("_", " ").capitalize()


def fit_html(fit) -> str:
    """A fit's parameter estimates (``as_rows()``) with standard errors and 95 % intervals; a holdout's report too."""
    import pandas as pd

    report = getattr(fit, "report", None)
    if report is None:
        report = getattr(fit, "table", None)
    inner = getattr(fit, "fit", None)
    parts = []
    if inner is not None:  # a holdout check: the fit on the calibration data, then what happened after
        parts.append(fit_html(inner) if hasattr(inner, "as_rows") else f"<p>{html.escape(str(inner))}</p>")
        facts = {k: getattr(fit, k) for k in ("mae_pp", "predicted_renewing", "actual_renewing", "duration")
                 if hasattr(fit, k)}
        if facts:
            parts.append("<p>" + "; ".join(f"{column_name(k)}: {value(v)}" for k, v in facts.items()) + "</p>")
        if isinstance(report, pd.DataFrame):
            parts.append(frame_html(report, "Holdout: predicted against actual", where=".report"
                                    if hasattr(fit, "report") else ".table"))
        return "".join(parts)
    rows = fit.as_rows() if not _takes_model(fit) else fit.as_rows(type(fit).__name__)
    frame = pd.DataFrame(rows)
    name = type(fit).__name__.replace("Fit", " fit")
    facts = []
    for label, attribute in (("customers", "n_customers"), ("churn events", "n_churned"), ("tickets", "tickets"),
                             ("log-likelihood", "loglik")):
        v = getattr(fit, attribute, None)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            facts.append(f"{label} {value(v)}")
    intro = f"<p><b>{html.escape(name)}</b>" + (f": {'; '.join(facts)}" if facts else "") + \
        ". The numbers: <code>.as_rows()</code>.</p>"
    return intro + frame_html(frame, "Estimates", where=".as_rows()")


def _takes_model(fit) -> bool:
    """Whether ``fit.as_rows`` needs the model's name (:class:`sim.fit.mle.Estimates`)."""
    import inspect

    return "model" in inspect.signature(fit.as_rows).parameters
