"""A run's results folder as one Excel workbook: the file a finance team opens.

Sheets: **Summary** (per option: NPV, ROI, P(ROI > 0), payback, the spreadsheet
answer, with the run's settings and ``--set`` overrides above), **Assumptions**
(every input by name, its path, its distribution in words, base value and
source), **Bands** (per option, measure and period: mean and percentiles) and
**Draws** (one row per draw). Cells hold numbers, not text, formatted in the
scenario's currency (``#,##0 €``), ROI and shares as percentages (the Draws
sheet holds plain numbers: per-cell styles would make it slow); a payback
beyond the horizon is the text "beyond horizon".

Written with openpyxl in write-only mode (rows streamed, so a large Draws sheet
stays in bounded memory). Excel holds at most 1,048,576 rows: longer tables are
cut there and the sheet says so.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UsageError
from sim.reporting.memo import read_table

EXCEL_ROWS = 1_048_576
SYMBOLS = {"EUR": ("", ' "€"'), "SEK": ("", ' "kr"'), "NOK": ("", ' "kr"'), "DKK": ("", ' "kr."'), "ISK": ("", ' "kr."'),
           "USD": ('"$"', ""), "GBP": ('"£"', ""), "CHF": ('"CHF "', "")}
PERCENT, SHARE, PLAIN, COUNT = "0%", "0.0%", "#,##0.####", "#,##0"
BEYOND = "beyond horizon"


def money_format(currency: str) -> str:
    """Excel number format of whole amounts in the currency, negatives with a minus sign and in red."""
    prefix, suffix = SYMBOLS.get(currency, ("", f' "{currency}"'))
    return f"{prefix}#,##0{suffix};[Red]-{prefix}#,##0{suffix}"


def write_workbook(folder: str | Path, target: str | Path, overwrite: bool = False) -> Path:
    """Write the workbook of a results folder to ``target`` (.xlsx); refuse to replace a file without ``overwrite``."""
    try:
        from openpyxl import Workbook
    except ImportError:
        raise UsageError("an Excel workbook needs openpyxl: pip install 'cxroi[excel]' (or pip install openpyxl)") from None
    folder, target = Path(folder), Path(target)
    if target.suffix.lower() != ".xlsx":
        raise UsageError(f"{target}: the workbook file must end in .xlsx")
    if target.exists() and not overwrite:
        raise UsageError(f"{target}: already exists; pass --overwrite to replace it or choose another file")
    summary, manifest = _read_json(folder, "summary.json"), _read_json(folder, "manifest.json")
    if "interventions" not in summary:
        raise UsageError(f"{folder}: not a results folder of `cxroi run` (its summary.json has no interventions)")
    book = Workbook(write_only=True)
    currency = summary["currency"]
    options = {"baseline": "Today (no change)", **summary.get("labels", {}).get("options", {}),
               **{name: entry["label"] for name, entry in summary["interventions"].items()}}
    _summary_sheet(book, summary, manifest, options)
    _assumptions_sheet(book, manifest)
    bands = _table(folder, "bands")
    if bands is not None:
        _bands_sheet(book, bands, options, currency)
    draws = _table(folder, "draws")
    if draws is not None:
        _draws_sheet(book, draws, summary, manifest)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.partial")
    book.save(staging)
    staging.replace(target)
    return target


def _read_json(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such results folder")
    if not path.is_file():
        raise UsageError(f"{folder}: not a results folder of `cxroi run` (missing {name})")
    return json.loads(path.read_text(encoding="utf-8"))


def _table(folder: Path, name: str) -> pd.DataFrame | None:
    if (folder / f"{name}.csv").is_file() or (folder / f"{name}.parquet").is_file():
        return read_table(folder, name)
    return None


def _cell(sheet, value: Any, number_format: str | None = None, bold: bool = False):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if isinstance(value, float) and math.isinf(value):
        value = BEYOND
    elif isinstance(value, float) and math.isnan(value):
        value = None
    cell = WriteOnlyCell(sheet, value=value)
    if number_format and isinstance(value, (int, float)):
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    return cell


def _summary_sheet(book, summary: dict, manifest: dict, options: dict[str, str]) -> None:
    sheet = book.create_sheet("Summary")
    sheet.column_dimensions["A"].width = 44
    for column in "BCDEFGH":
        sheet.column_dimensions[column].width = 24
    currency, money = summary["currency"], money_format(summary["currency"])
    entries = summary["interventions"]
    mode = "base case (every input at its base value)" if summary["mode"] == "base_case" else (
        f"{summary['draws']:,} draws, seed {summary['seed']}, {summary['sampling']} sampling")
    basis = "gross profit less support cost" if summary["roi_basis"] == "gross_profit" else "revenue"
    sheet.append([_cell(sheet, summary["scenario"], bold=True)])
    for label, value in (("Run", mode), ("Horizon", f"{summary['horizon']} {summary['period']}s"),
                         ("Discount rate a year", summary["discount_rate"]), ("Benefit", f"change in {basis}"),
                         ("Currency", currency), ("ROI", "(PV benefit − PV cost) / PV cost, as % of cost"),
                         ("Set on the command line", ", ".join(summary.get("overrides", [])) or "nothing"),
                         ("Scenario file", (manifest.get("scenario") or {}).get("file"))):
        sheet.append([_cell(sheet, label), _cell(sheet, value, SHARE if label.startswith("Discount") else None)])
    sheet.append([])
    sheet.append([_cell(sheet, "", bold=True), *(_cell(sheet, options.get(n, n), bold=True) for n in entries)])
    rows = [
        ("NPV, mean", lambda e: e["npv"]["mean"], money),
        ("NPV, 5th percentile", lambda e: e["npv"]["p05"], money),
        ("NPV, median", lambda e: e["npv"]["p50"], money),
        ("NPV, 95th percentile", lambda e: e["npv"]["p95"], money),
        ("ROI, mean", lambda e: e["roi"]["mean"], PERCENT),
        ("ROI, 5th percentile", lambda e: e["roi"]["p05"], PERCENT),
        ("ROI, median", lambda e: e["roi"]["p50"], PERCENT),
        ("ROI, 95th percentile", lambda e: e["roi"]["p95"], PERCENT),
        ("PV benefit, mean", lambda e: e["pv_benefit"]["mean"], money),
        ("PV cost, mean", lambda e: e["pv_cost"]["mean"], money),
        ("P(ROI > 0)", lambda e: e["prob_roi_positive"], SHARE),
        ("P(payback within the horizon)", lambda e: e["prob_payback_within_horizon"], SHARE),
        (f"Payback period, median ({summary['period']})", lambda e: _payback(e["payback_period"]["p50"]), COUNT),
        ("Average of the worst 10 % (NPV)", lambda e: e["npv_expected_shortfall_10"], money),
        ("Spreadsheet NPV (base case)", lambda e: e["base_case"]["npv"], money),
        ("Spreadsheet ROI (base case)", lambda e: e["base_case"]["roi"], PERCENT),
    ]
    for label, value, number_format in rows:
        sheet.append([_cell(sheet, label), *(_cell(sheet, value(e), number_format) for e in entries.values())])


def _payback(value: float | None) -> float | str:
    return BEYOND if value is None else value


def _assumptions_sheet(book, manifest: dict) -> None:
    sheet = book.create_sheet("Assumptions")
    for column, width in zip("ABCDE", (60, 48, 60, 14, 90)):
        sheet.column_dimensions[column].width = width
    sheet.append([_cell(sheet, h, bold=True) for h in ("input", "path", "value or range", "base value", "source")])
    for path, item in manifest.get("inputs", {}).items():
        sheet.append([_cell(sheet, item.get("label") or path), _cell(sheet, path), _cell(sheet, item.get("in_words")),
                      _cell(sheet, item.get("base"), PLAIN), _cell(sheet, item.get("source") or "")])


def _bands_sheet(book, bands: pd.DataFrame, options: dict[str, str], currency: str) -> None:
    sheet = book.create_sheet("Bands")
    sheet.column_dimensions["A"].width = 36
    sheet.column_dimensions["B"].width = 28
    columns = [c for c in bands.columns if c not in ("arm", "metric", "period")]
    sheet.append([_cell(sheet, h, bold=True) for h in ("option", "measure", "period", *columns)])
    money = money_format(currency)
    for row in _capped(bands, sheet, 1):
        number_format = money if row.metric in _MONEY_MEASURES else PLAIN
        sheet.append([_cell(sheet, options.get(row.arm, row.arm)), _cell(sheet, row.metric), _cell(sheet, int(row.period)),
                      *(_cell(sheet, float(getattr(row, c)), number_format) for c in columns)])


_MONEY_MEASURES = {"revenue", "gross_profit", "support_cost", "acquisition_spend", "capacity_cost",
                   "cumulative_discounted_net"}


def _draws_sheet(book, draws: pd.DataFrame, summary: dict, manifest: dict) -> None:
    sheet = book.create_sheet("Draws")
    names = {path: item.get("label") or path for path, item in manifest.get("inputs", {}).items()}
    options = {name: entry["label"] for name, entry in summary["interventions"].items()}
    frame = draws.reset_index() if "draw" not in draws.columns else draws
    headers = []
    for column in frame.columns:
        name, _, measure = column.rpartition(".")
        if name in options and measure in _OUTCOMES:
            headers.append(f"{options[name]}: {_OUTCOMES[measure]}")
        else:
            headers.append(names.get(column, column))
    sheet.append([_cell(sheet, h, bold=True) for h in headers])
    # Plain values (no per-cell style): a 10,000-draw table writes in a second, not a minute.
    for row in _capped(frame, sheet, 1):
        sheet.append([_plain(v) for v in row])


_OUTCOMES = {"npv": "NPV", "roi": "ROI", "pv_benefit": "PV benefit", "pv_cost": "PV cost",
             "payback_period": "payback period"}


def _plain(value: Any) -> Any:
    """A cell value: numbers as numbers, a payback beyond the horizon as text, NaN as an empty cell."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and not math.isfinite(value):
        return BEYOND if value > 0 else None
    return value


def _capped(frame: pd.DataFrame, sheet, header_rows: int):
    """The rows of ``frame`` that fit a sheet, then a last row that says how many were left out."""
    room = EXCEL_ROWS - header_rows - 1
    yield from frame.head(room).itertuples(index=False)
    if len(frame) > room:
        sheet.append([f"{len(frame) - room:,} more rows do not fit an Excel sheet; see the CSV or Parquet file"])
