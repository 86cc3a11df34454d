"""A run's results folder as one Excel workbook: the file a finance team opens, audits and prints.

Sheets:

* **Summary**: per option NPV, ROI, the chance of a gain, payback and the
  spreadsheet answer. Each statistic is a formula over the Draws sheet
  (``AVERAGE``, ``PERCENTILE.INC``, ``COUNTIF``/``COUNT``, ``SMALL``), so a reader
  can click a figure and see how it was computed; the file also carries each
  formula's value (summary.json's figure), so viewers that do not recalculate
  show it too. Where the draws do not fit a sheet the figures are plain values.
  The run's settings and ``--set`` overrides follow the table.
* **Assumptions**: every input by name, its path, its range in words, base value and source.
* **Bands**: per option, measure (in words) and period: mean and percentiles.
* **Draws**: one row per draw, inputs by name, then each option's outcomes; a
  payback beyond the horizon is an empty cell, so the column stays numeric.

Every sheet has column widths, number formats per column (money in the
scenario's currency, ROI and shares as percentages with the decimals the house
style writes each cell's value with), frozen headers, filters and a print setup
(A4 landscape, one page wide, header rows repeated).

Written with XlsxWriter rather than openpyxl: it stores a formula together with
its value (openpyxl writes formulas without one, so a viewer that does not
recalculate shows empty cells), and in its constant-memory mode it streams a
large Draws sheet several times faster. Excel holds at most 1,048,576 rows:
longer tables are cut there and the sheet says so.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UsageError
from sim.model.labels import is_money
from sim.reporting.format import HOUSE, NumberStyle, input_words, percent_decimals, roi_digits, style
from sim.reporting.results_files import read_results

EXCEL_ROWS = 1_048_576
SYMBOLS = {"EUR": ("", '"\u00a0€"'), "SEK": ("", '"\u00a0kr"'), "NOK": ("", '"\u00a0kr"'), "DKK": ("", '"\u00a0kr."'),
           "ISK": ("", '"\u00a0kr."'), "USD": ('"$"', ""), "GBP": ('"£"', ""), "CHF": ('"CHF\u00a0"', "")}
_NBSP, _MINUS = "\u00a0", "\u2212"


def percent_code(decimals: int, space: str = _NBSP, signed: bool = True) -> str:
    """Excel number format of a percentage with ``decimals`` decimals (the cell keeps its value; % outside the
    quotes scales it by 100): digits grouped as money's are (an ROI of 1 234 %), the style's space before % and,
    ``signed`` (ROI), a true minus and red below zero."""
    shown = ("#,##0." + "0" * decimals if decimals else "#,##0") + (f'"{space}"' if space else "") + "%"
    return f'{shown};[Red]"{_MINUS}"{shown}' if signed else shown


def bound_code(text: str) -> str:
    """Excel number format that shows ``text`` ('< 0.0001 %') for any value, the value kept in the cell."""
    return f'"{text}";"{text}"'


COUNT, DECIMAL, WHOLE = "#,##0.0", "#,##0.00", "0"
"""Excel number formats in the house style (sim/reporting/format.py): a no-break space before %, a true minus.
An ROI or share cell gets the decimals the house style writes its value with (:func:`percent_cell_code`)."""
PERCENT_KINDS = {"roi", "share"}


def percent_cell_code(kind: str, value: float, number_style: NumberStyle = HOUSE) -> str:
    """The number format of an ROI or share cell holding ``value``: what :meth:`NumberStyle.roi` (an ROI) or
    :meth:`NumberStyle.percent` (a share) writes, in Excel's terms.

    The house style's decimals vary with the value (an ROI: none from 10 % up, one below, so −5.9 % and 81 %; a
    share: one, more near 0 % and 100 %, so 0.03 % and 99.97 %), so the format is chosen per cell; beyond four
    decimals the cell shows the style's '< 0.0001 %' or '> 99.9999 %'."""
    digits = roi_digits(value) if kind == "roi" else 1
    text = number_style.percent(value, digits)
    if text[:1] in ("<", ">"):
        return bound_code(text)
    return percent_code(percent_decimals(value, digits), number_style.percent_space, signed=kind == "roi")


TAIL = 0.10
"""Share of worst draws in the expected shortfall (as sim.model.result.TAIL)."""

MEASURES = {
    # bands.csv metric: (name for a reader, kind of number)
    "revenue": ("Revenue", "money"),
    "gross_profit": ("Gross profit", "money"),
    "support_cost": ("Support cost", "money"),
    "capacity_cost": ("Support capacity cost (fixed part of support cost)", "money"),
    "acquisition_spend": ("Acquisition spend", "money"),
    "cumulative_discounted_net": ("Cumulative discounted net cash flow", "money"),
    "active": ("Active customers (after churn)", "count"),
    "arrivals": ("New customers", "count"),
    "churned": ("Customers lost to churn", "count"),
    "walked": ("Customers who walked away after a bad contact", "count"),
    "purchases": ("Purchases", "count"),
    "contacts": ("Support contacts", "count"),
    "answered": ("Contacts answered or solved", "count"),
    "answered_wait_minutes": ("Total wait of answered contacts (minutes)", "count"),
    "positive": ("Customers with a positive experience (end of period)", "count"),
    "negative": ("Customers with a negative experience (end of period)", "count"),
    "answered_share": ("Share of contacts answered or solved", "share"),
    "mean_wait_minutes": ("Mean wait of answered contacts (minutes)", "decimal"),
}
"""Every measure of bands.csv by name; one not listed here is shown by its key with underscores as spaces."""

STATISTICS = {"mean": "Mean", "p05": "5th percentile", "p10": "10th percentile", "p25": "25th percentile",
              "p50": "Median", "p75": "75th percentile", "p90": "90th percentile", "p95": "95th percentile"}
OUTCOMES = {"npv": "NPV", "roi": "ROI", "pv_benefit": "PV benefit", "pv_cost": "PV cost",
            "payback_period": "payback period"}


def money_format(currency: str) -> str:
    """Excel number format of whole amounts in the currency, negatives with a minus sign and in red."""
    prefix, suffix = SYMBOLS.get(currency, ("", f'"\u00a0{currency}"'))
    return f'{prefix}#,##0{suffix};[Red]"{_MINUS}"{prefix}#,##0{suffix}'


def write_workbook(folder: str | Path, target: str | Path, overwrite: bool = False,
                   progress: Callable[[int, int], None] | None = None,
                   placed: Callable[[Path], None] = lambda path: None) -> Path:
    """Write the workbook of a results folder to ``target`` (.xlsx); refuse to replace a file without ``overwrite``.

    ``progress(done, total)`` is called as the rows of the Draws sheet are written. The workbook is built under
    a temporary name and put in place whole; ``placed(target)`` is called in the same step, with Ctrl-C and
    SIGTERM held back (:func:`sim.shell.results_folder.placing`).
    """
    check_workbook(target)
    import xlsxwriter

    folder, target = Path(folder), Path(target)
    if target.exists() and not overwrite:
        raise UsageError(f"{target}: already exists; pass --overwrite to replace it or choose another file")
    record = read_results(folder, tables=False)  # the folder's parts agree, or it is named damaged file by file
    summary, manifest, bands = record.summary, record.manifest, record.bands
    draws = record.draws if record.draws_name == "draws" else None
    options = {"baseline": "Today (no change)", **summary.get("labels", {}).get("options", {}),
               **{name: entry["label"] for name, entry in summary["interventions"].items()}}
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.partial-{os.getpid()}")
    packed = target.with_name(f".{target.name}.rows.partial-{os.getpid()}")
    # xlsxwriter keeps each sheet's rows in temporary files until the book is closed; an interrupt before that
    # left them in TMPDIR (three files, 0.5 MB), so they go in a folder of the workbook's own, removed below.
    scratch = tempfile.mkdtemp(prefix="cxroi-xlsx-")
    try:
        book = xlsxwriter.Workbook(str(staging), {"constant_memory": True, "use_future_functions": True,
                                                  "tmpdir": scratch})
        book.set_properties({"title": f"ROI distribution: {summary['scenario']}", "comments": "written by cxroi"})
        styles = _Styles(book, summary["currency"])
        frame = None if draws is None else (draws.reset_index() if "draw" not in draws.columns else draws)
        _summary_sheet(book, styles, summary, manifest, options, frame)
        _assumptions_sheet(book, styles, manifest, style(summary["currency"]))
        if bands is not None:
            _bands_sheet(book, styles, bands, options, summary["period"])
        draws_part = None if frame is None else _draws_sheet(book, styles, frame, summary, manifest)
        book.close()
        if draws_part is not None:
            _add_rows(staging, packed, *draws_part, progress)
        from sim.compute.parallel import signals_held

        with signals_held():
            _claim(packed if draws_part is not None else staging, target, overwrite)
            placed(target)
    finally:
        staging.unlink(missing_ok=True)
        packed.unlink(missing_ok=True)
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _claim(finished: Path, target: Path, overwrite: bool) -> None:
    """Put the finished file in place. Without ``overwrite`` a hard link is made, which the system makes only
    where no file is, in one step: of two writers to one name, one is refused (a rename would replace)."""
    if overwrite:
        finished.replace(target)
        return
    try:
        os.link(finished, target)
    except FileExistsError:
        raise UsageError(f"{target}: another command wrote this file meanwhile; pass --overwrite to replace it "
                         "or choose another file") from None


def check_workbook(target: str | Path) -> None:
    """What a workbook needs before any work is done: XlsxWriter, and a file name ending in .xlsx."""
    try:
        import xlsxwriter  # noqa: F401
    except ImportError:
        raise UsageError("an Excel workbook needs XlsxWriter: pip install 'cxroi[excel]' (or pip install xlsxwriter)") from None
    if Path(target).suffix.lower() != ".xlsx":
        raise UsageError(f"{target}: the workbook file must end in .xlsx")


class _Styles:
    """The workbook's cell formats, made once (XlsxWriter keeps one entry per format object)."""

    def __init__(self, book, currency: str):
        self.book = book
        self.house = style(currency)
        self.money_code = money_format(currency)
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.bold = book.add_format({"bold": True})
        self.note = book.add_format({"italic": True, "font_color": "#555555"})
        self.how = book.add_format({"italic": True, "font_color": "#555555", "indent": 1})
        self.note_wrap = book.add_format({"italic": True, "font_color": "#555555", "text_wrap": True, "valign": "top"})
        self.header = book.add_format({"bold": True, "text_wrap": True, "valign": "bottom", "bottom": 1,
                                       "bg_color": "#F2F2F2"})
        self.header_right = book.add_format({"bold": True, "text_wrap": True, "valign": "bottom", "bottom": 1,
                                             "bg_color": "#F2F2F2", "align": "right"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.wrap_indent = book.add_format({"text_wrap": True, "valign": "top", "indent": 1})
        self.top = book.add_format({"valign": "top"})
        space = self.house.percent_space
        self.codes = {"money": self.money_code, "roi": percent_code(0, space), "share": percent_code(1, space, False),
                      "count": COUNT, "decimal": DECIMAL, "whole": WHOLE, "grouped": "#,##0", "small": "0.0000",
                      "general": "General"}
        self.number = {kind: book.add_format({"num_format": code}) for kind, code in self.codes.items()}
        self.number_top = {kind: book.add_format({"num_format": code, "valign": "top"}) for kind, code in self.codes.items()}
        self.draws_roi = book.add_format({"num_format": percent_code(1, space)})
        """The Draws sheet's ROI columns: one decimal for every draw (a column has one style)."""
        self._by_code = {code: self.number[kind] for kind, code in self.codes.items()}

    def format_of(self, code: str):
        """The cell format of a number format code, made once."""
        if code not in self._by_code:
            self._by_code[code] = self.book.add_format({"num_format": code})
        return self._by_code[code]

    def cell(self, kind: str, value: Any):
        """The format of a cell of ``kind`` holding ``value``: an ROI or share with the decimals the house style
        writes that value with (:func:`percent_cell_code`), any other kind by its kind."""
        if kind in PERCENT_KINDS and isinstance(value, (int, float)) and math.isfinite(value):
            return self.format_of(percent_cell_code(kind, float(value), self.house))
        return self.number[kind]


def _print_setup(sheet, header_rows: tuple[int, int] | None, *, fit_height: bool = False) -> None:
    """A4 landscape, one page wide (and one page tall for a short sheet), header rows repeated on every page."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    sheet.fit_to_pages(1, 1 if fit_height else 0)
    if header_rows is not None:
        sheet.repeat_rows(*header_rows)
    sheet.set_footer("&L&A&RPage &P of &N")


# --- Summary ------------------------------------------------------------------------------


def _summary_sheet(book, st: _Styles, summary: dict, manifest: dict, options: dict[str, str],
                   draws: pd.DataFrame | None) -> None:
    sheet = book.add_worksheet("Summary")
    entries = summary["interventions"]
    period = summary["period"]
    horizon = f"{summary['horizon']} {period}{'' if summary['horizon'] == 1 else 's'}"
    sheet.set_column(0, 0, 50)
    sheet.set_column(1, len(entries), 20)
    sheet.set_column(len(entries) + 1, len(entries) + 1, 48)
    ranges = _draw_ranges(draws, entries) if draws is not None else {}
    fits = bool(ranges)
    sheet.write_string(0, 0, summary["scenario"], st.title)
    source = ("Each figure is a formula over the Draws sheet: select a cell to see how it is computed."
              if fits else "Figures from the run's summary.json (the draws do not fit an Excel sheet)." if draws is not None
              else "Figures from the run's summary.json.")
    sheet.write_string(1, 0, f"Present values in {summary['currency']} over {horizon}. {source}", st.note)
    header = 3
    sheet.write_string(header, 0, "Measure", st.header)
    for column, name in enumerate(entries, start=1):
        sheet.write_string(header, column, options.get(name, name), st.header_right)
    sheet.write_string(header, len(entries) + 1, "How it is computed", st.header)
    sheet.set_row(header, 32)
    merged = all(e["prob_roi_positive"] is not None and e["prob_roi_positive"] == e["prob_payback_within_horizon"]
                 for e in entries.values())
    row = header + 1
    for label, kind, how, pick in _summary_rows(summary, horizon, merged):
        sheet.write_string(row, 0, label)
        for column, (name, entry) in enumerate(entries.items(), start=1):
            value = pick(entry)
            formula = how(ranges[name]) if fits and how is not None and value is not _SKIP else None
            _write_stat(sheet, row, column, value, formula, st.cell(kind, value))
        sheet.write_string(row, len(entries) + 1, _explain(label, how, fits), st.how)
        row += 1
    notes = []
    if merged:
        notes.append(f"P(ROI > 0) and P(payback within {horizon}) are the same by construction: a draw has paid "
                     f"back exactly when its cumulative discounted net cash flow ends the horizon at or above "
                     f"zero, that is when its NPV is not negative (no draw ends at exactly zero).")
    else:
        notes.append(f"A draw has paid back when its cumulative discounted net cash flow ends the horizon at or "
                     f"above zero; P(ROI > 0) counts only NPV above zero, so the two differ by the draws at exactly zero.")
    notes.append(f"Payback: the {period} from which the cumulative discounted net cash flow stays at or above zero; "
                 f"an empty cell means the median draw does not pay back within {horizon}.")
    notes.append("The spreadsheet answer puts every input at its base value (one calculation, no draws); "
                 "it is not a statistic of the Draws sheet.")
    row += 1
    last = len(entries) + 1
    for note in notes:  # across the table's width, wrapped, so the sheet prints one page wide at a legible size
        sheet.merge_range(row, 0, row, last, note, st.note_wrap)
        sheet.set_row(row, 15 * _lines(note, 50 + 20 * len(entries) + 48))
        row += 1
    row += 1
    sheet.write_string(row, 0, "Run settings", st.bold)
    row += 1
    mode = "base case (every input at its base value)" if summary["mode"] == "base_case" else (
        f"{HOUSE.count(summary['draws'])} draws, seed {summary['seed']}, {summary['sampling']} sampling")
    basis = "gross profit less support cost" if summary["roi_basis"] == "gross_profit" else "revenue"
    for label, value, kind in (("Run", mode, None), ("Horizon", horizon, None),
                               ("Discount rate a year", summary["discount_rate"], "share"),
                               ("Benefit", f"change in {basis} against today's baseline", None),
                               ("Currency", summary["currency"], None),
                               ("ROI", "(PV benefit − PV cost) / PV cost, as % of cost", None),
                               ("Set on the command line", ", ".join(summary.get("overrides", [])) or "nothing", None),
                               ("Scenario file", (manifest.get("scenario") or {}).get("file") or "", None)):
        sheet.write_string(row, 0, label)
        if kind is None:
            sheet.write_string(row, 1, str(value))
        else:
            sheet.write_number(row, 1, value, st.cell(kind, value))
        row += 1
    sheet.freeze_panes(header + 1, 1)
    _print_setup(sheet, (header, header), fit_height=True)


_SKIP = object()


def _summary_rows(summary: dict, horizon: str, merged: bool):
    """(label, number kind, formula over the draws' ranges or None, value from summary.json) per Summary row."""
    period = summary["period"]

    def stat(outcome: str, key: str):
        return lambda e: e[outcome][key]

    def percentile(outcome: str, q: float):
        return lambda r: f"PERCENTILE.INC({r[outcome]},{q:g})"

    def average(outcome: str):
        return lambda r: f"AVERAGE({r[outcome]})"

    gain = ("P(ROI > 0) = P(payback within " + horizon + ")") if merged else "P(ROI > 0)"
    rows = [
        ("NPV, mean", "money", average("npv"), stat("npv", "mean")),
        ("NPV, 5th percentile", "money", percentile("npv", 0.05), stat("npv", "p05")),
        ("NPV, 10th percentile (9 draws in 10 do at least this well)", "money", percentile("npv", 0.10), stat("npv", "p10")),
        ("NPV, median", "money", percentile("npv", 0.5), stat("npv", "p50")),
        ("NPV, 95th percentile", "money", percentile("npv", 0.95), stat("npv", "p95")),
        (f"NPV, average of the worst {HOUSE.percent(TAIL, 0)} of draws", "money", _shortfall, lambda e: e["npv_expected_shortfall_10"]),
        ("ROI, mean", "roi", average("roi"), stat("roi", "mean")),
        ("ROI, 5th percentile", "roi", percentile("roi", 0.05), stat("roi", "p05")),
        ("ROI, median", "roi", percentile("roi", 0.5), stat("roi", "p50")),
        ("ROI, 95th percentile", "roi", percentile("roi", 0.95), stat("roi", "p95")),
        ("PV benefit, mean", "money", average("pv_benefit"), stat("pv_benefit", "mean")),
        ("PV cost, mean", "money", average("pv_cost"), stat("pv_cost", "mean")),
        (gain, "share", lambda r: f'COUNTIF({r["npv"]},">0")/COUNT({r["npv"]})',
         lambda e: _SKIP if e["prob_roi_positive"] is None else e["prob_roi_positive"]),
    ]
    if not merged:
        rows.append((f"P(payback within {horizon})", "share", lambda r: f'COUNT({r["payback_period"]})/COUNT({r["npv"]})',
                     lambda e: e["prob_payback_within_horizon"]))
    rows += [
        (f"Payback period, median ({period}s)", "whole", _median_payback, lambda e: e["payback_period"]["p50"]),
        ("Spreadsheet NPV (every input at its base value)", "money", None, lambda e: e["base_case"]["npv"]),
        ("Spreadsheet ROI (every input at its base value)", "roi", None, lambda e: e["base_case"]["roi"]),
    ]
    return rows


def _shortfall(r: dict[str, str]) -> str:
    """Mean of the k = max(1, floor(10 % of n)) smallest NPVs, exact with ties: (sum below the k-th + the rest at it) / k."""
    npv, k = r["npv"], r["k"]
    kth = f"SMALL({npv},{k})"
    return f"(SUMPRODUCT(({npv}<{kth})*{npv})+({k}-SUMPRODUCT(({npv}<{kth})*1))*{kth})/{k}"


def _median_payback(r: dict[str, str]) -> str:
    """The smallest payback reached by at least half the draws (draws that never pay back count as later than all)."""
    half = f"ROUNDUP(0.5*COUNT({r['npv']}),0)"
    return f'IF(COUNT({r["payback_period"]})>={half},SMALL({r["payback_period"]},{half}),"")'


_HOW = {  # the first key a formula contains says what it computes
    "SUMPRODUCT": "mean of the lowest 10\u00a0% of NPVs (exact with ties)",
    "SMALL": "median payback; never paying back counts as latest",
    "COUNTIF": "share of draws with NPV above zero",
    "COUNT(": "share of draws that pay back in time",
    "PERCENTILE.INC": "percentile of the column in Draws",
    "AVERAGE": "mean of the column in Draws",
}


def _explain(label: str, how, fits: bool) -> str:
    if how is None:
        return "one calculation, every input at its base value"
    if not fits:
        return "from summary.json"
    text = how({**{k: "X" for k in OUTCOMES}, "k": "1"})
    return next(words for key, words in _HOW.items() if key in text)


def _write_stat(sheet, row: int, column: int, value: Any, formula: str | None, number_format) -> None:
    """A statistic as a formula with its value cached, or as a plain value; an undefined one as an empty cell."""
    if value is _SKIP or value is None or (isinstance(value, float) and not math.isfinite(value)):
        if formula is not None and value is not _SKIP:
            sheet.write_formula(row, column, formula, number_format, "")
        else:
            sheet.write_blank(row, column, None, number_format)
        return
    if formula is not None:
        sheet.write_formula(row, column, formula, number_format, value)
    else:
        sheet.write_number(row, column, value, number_format)


def _draw_ranges(draws: pd.DataFrame, entries: dict) -> dict[str, dict[str, str]]:
    """Per option, each outcome's column in Draws as an absolute range; empty when the draws do not fit a sheet."""
    from xlsxwriter.utility import xl_col_to_name

    n = len(draws)
    if n > EXCEL_ROWS - 1:
        return {}
    index = {column: i for i, column in enumerate(draws.columns)}
    ranges = {}
    for name in entries:
        columns = {outcome: index.get(f"{name}.{outcome}") for outcome in OUTCOMES}
        if any(i is None for i in columns.values()):
            return {}
        ranges[name] = {outcome: f"Draws!${xl_col_to_name(i)}$2:${xl_col_to_name(i)}${n + 1}"
                        for outcome, i in columns.items()}
        ranges[name]["k"] = str(max(1, math.floor(TAIL * n)))  # as sim.model.result.expected_shortfall
    return ranges


# --- Assumptions, Bands, Draws ------------------------------------------------------------


def _assumptions_sheet(book, st: _Styles, manifest: dict, number_style=HOUSE) -> None:
    sheet = book.add_worksheet("Assumptions")
    headers = ("Input", "Path in the scenario file", "Value or range", "Base value", "Source")
    for column, width in enumerate((46, 44, 52, 14, 80)):
        sheet.set_column(column, column, width, st.wrap if column in (0, 2, 4) else st.top)
    for column, header in enumerate(headers):
        sheet.write_string(0, column, header, st.header_right if column == 3 else st.header)
    row = 0
    for row, (path, item) in enumerate(manifest.get("inputs", {}).items(), start=1):
        sheet.write_string(row, 0, item.get("label") or path, st.wrap)
        sheet.write_string(row, 1, path, st.top)
        words = input_words(item, number_style, is_money(path)) if item.get("in_words") or item.get("words") else ""
        source = number_style.restyle(item.get("source") or "")
        sheet.write_string(row, 2, words, st.wrap)
        base = item.get("base")
        if isinstance(base, (int, float)) and math.isfinite(base):  # 12 digits: no float noise (0.00800000000000001)
            base = float(f"{base:.12g}")
            sheet.write_number(row, 3, base, st.number_top[_input_kind(np.array([base]))])
        sheet.write_string(row, 4, source, st.wrap_indent)
        texts = ((item.get("label") or path, 46), (words, 52), (source, 80))
        sheet.set_row(row, 15 * max(_lines(text, width) for text, width in texts))
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, max(row, 1), len(headers) - 1)
    _print_setup(sheet, (0, 0))


def _bands_sheet(book, st: _Styles, bands: pd.DataFrame, options: dict[str, str], period: str) -> None:
    sheet = book.add_worksheet("Bands")
    statistics = [c for c in bands.columns if c not in ("arm", "metric", "period")]
    headers = ["Option", "Measure", period.capitalize(), *(STATISTICS.get(c, c) for c in statistics)]
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 48)
    sheet.set_column(2, 2, 8)
    sheet.set_column(3, len(headers) - 1, 16)
    for column, header in enumerate(headers):
        sheet.write_string(0, column, header, st.header if column < 2 else st.header_right)
    sheet.set_row(0, 32)
    arms = [options.get(a, a) for a in bands["arm"]]
    metrics = bands["metric"].tolist()
    periods = bands["period"].to_numpy()
    values = bands[statistics].to_numpy(dtype=float)
    rows = min(len(bands), EXCEL_ROWS - 2)
    for i in range(rows):
        row = i + 1
        name, kind = MEASURES.get(metrics[i], (metrics[i].replace("_", " ").capitalize(), "decimal"))
        sheet.write_string(row, 0, arms[i])
        sheet.write_string(row, 1, name)
        sheet.write_number(row, 2, int(periods[i]))
        for j, v in enumerate(values[i]):
            if math.isfinite(v):
                sheet.write_number(row, 3 + j, v, st.cell(kind, v))
    if len(bands) > rows:
        sheet.write_string(rows + 1, 0, f"{HOUSE.count(len(bands) - rows)} more rows do not fit an Excel sheet; see the CSV or Parquet file")
    sheet.freeze_panes(1, 3)
    sheet.autofilter(0, 0, rows, len(headers) - 1)
    _print_setup(sheet, (0, 0))


def _draws_sheet(book, st: _Styles, frame: pd.DataFrame, summary: dict, manifest: dict) -> tuple[str, np.ndarray]:
    """The Draws sheet's header, widths, formats and settings; returns its file in the package and the values.
    Its ROI columns show one decimal whatever the value (a column has one style; the house style's decimals vary
    with the value, which the Summary's cells follow).

    Its rows are added by :func:`_add_rows` once XlsxWriter has closed the file.
    """
    sheet = book.add_worksheet("Draws")
    names = {path: item.get("label") or path for path, item in manifest.get("inputs", {}).items()}
    options = {name: entry["label"] for name, entry in summary["interventions"].items()}
    period = summary["period"]
    values = frame.to_numpy(dtype=float)
    headers = []
    for j, column in enumerate(frame.columns):
        name, _, measure = column.rpartition(".")
        if name in options and measure in OUTCOMES:
            kind = {"npv": "money", "pv_benefit": "money", "pv_cost": "money", "roi": "roi"}.get(measure, "whole")
            unit = f" ({period}s; empty: not within the horizon)" if measure == "payback_period" else ""
            headers.append(f"{options[name]}: {OUTCOMES[measure]}{unit}")
        elif column == "draw":
            headers.append("Draw")
            kind = "general"
        else:
            headers.append(names.get(column, column))
            kind = _input_kind(values[:, j])
        sheet.set_column(j, j, 9 if column == "draw" else 16, st.draws_roi if kind == "roi" else st.number[kind])
    for j, header in enumerate(headers):
        sheet.write_string(0, j, header, st.header_right)
    sheet.set_row(0, 75)
    rows = min(len(frame), EXCEL_ROWS - 2)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, rows, len(headers) - 1)
    _print_setup(sheet, (0, 0))
    return f"xl/worksheets/sheet{len(book.worksheets())}.xml", values


def _add_rows(staging: Path, target: Path, part: str, values: np.ndarray,
              progress: Callable[[int, int], None] | None) -> None:
    """Copy the package at ``staging`` to ``target`` with the draws' rows written into the sheet ``part``.

    XlsxWriter spends about 6 µs on a cell; a 100,000-draw run has 6.6 million, so the
    rows (plain numbers, no text) are written here as the sheet's XML directly, each
    cell with its column's style as XlsxWriter declared it in ``<cols>``. An infinite
    payback (beyond the horizon) and an undefined ROI are left out: empty cells.
    """
    import re
    import zipfile

    rows = min(len(values), EXCEL_ROWS - 2)
    with zipfile.ZipFile(staging) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename != part:
                out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
                continue
            text = data.decode("utf-8")
            styles = {}
            for match in re.finditer(r'<col min="(\d+)" max="(\d+)"[^>]*?style="(\d+)"', text):
                for column in range(int(match.group(1)) - 1, int(match.group(2))):
                    styles[column] = f' s="{match.group(3)}"'
            head, _, tail = text.partition("</sheetData>")
            head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{_column(values.shape[1] - 1)}{rows + 1}"/>', head)
            with out.open(part, "w", force_zip64=True) as sheet:
                sheet.write(head.encode("utf-8"))
                for chunk in _row_xml(values, rows, styles, progress):
                    sheet.write(chunk.encode("ascii"))
                if len(values) > rows:
                    note = f"{HOUSE.count(len(values) - rows)} more rows do not fit an Excel sheet; see the CSV or Parquet file"
                    sheet.write(f'<row r="{rows + 2}"><c r="A{rows + 2}" t="inlineStr"><is><t>{note}</t></is></c></row>'.encode())
                sheet.write(("</sheetData>" + tail).encode("utf-8"))


def _row_xml(values: np.ndarray, rows: int, styles: dict[int, str], progress, step: int = 5_000):
    """The XML of the first ``rows`` rows of ``values`` (sheet rows 2 onwards), in chunks of ``step`` rows."""
    before = [f'<c r="{_column(j)}' for j in range(values.shape[1])]
    after = [f'"{styles.get(j, "")}><v>' for j in range(values.shape[1])]
    for start in range(0, rows, step):
        block = values[start:min(start + step, rows)]
        keep = np.isfinite(block).tolist()
        parts = []
        for i, (cells, ok) in enumerate(zip(block.tolist(), keep), start=start + 2):
            parts.append(f'<row r="{i}">')
            parts.extend(f"{before[j]}{i}{after[j]}{v!r}</v></c>" for j, v in enumerate(cells) if ok[j])
            parts.append("</row>")
        yield "".join(parts)
        if progress is not None:
            progress(start + len(block), rows)


def _column(index: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return xl_col_to_name(index)


def _lines(text: str, width: float) -> int:
    """About how many lines ``text`` wraps to in a column ``width`` characters wide (Excel does not fit rows itself)."""
    import textwrap

    return max(1, len(textwrap.wrap(text, max(1, int(width * 1.1)))))


def _input_kind(column: np.ndarray) -> str:
    """A number format for an input's column: whole numbers, two decimals for amounts, else four significant places."""
    finite = column[np.isfinite(column)]
    if finite.size == 0 or np.all(finite == np.round(finite)):
        return "general" if finite.size == 0 else "grouped"
    return "decimal" if np.abs(finite).max() >= 100 else "small"
