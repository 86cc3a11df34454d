"""The Excel workbook: every Summary statistic is a formula over the Draws sheet whose value, evaluated here
independently of Excel and of the writer, equals summary.json; the cached values equal it too; payback stays
numeric with empty cells; human names, widths, frozen panes, filters and an A4 landscape print setup; ROI and
share cells show the house style's decimals. About 9 s (a 400-draw run; LibreOffice, where installed, twice)."""

import json
import math
import re
import zipfile

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from sim.reporting.workbook import MEASURES
from sim.shell.cli import main


@pytest.fixture(scope="module")
def book(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("workbook") / "run"
    target = folder.parent / "run.xlsx"
    result = CliRunner().invoke(main, ["run", str(request.config.rootpath / "scenarios" / "nordic_midsize.toml"),
                                       "--draws", "400", "--workers", "1", "--out", str(folder), "--xlsx", str(target)])
    assert result.exit_code == 0, result.output
    summary = json.loads((folder / "summary.json").read_text())
    return summary, target, openpyxl.load_workbook(target), openpyxl.load_workbook(target, data_only=True)


def column_values(sheet, letter: str, first: int, last: int) -> np.ndarray:
    """A Draws column as floats, an empty cell as NaN (what Excel's functions skip)."""
    cells = sheet[f"{letter}{first}:{letter}{last}"]
    return np.array([np.nan if row[0].value is None else float(row[0].value) for row in cells])


def evaluate(formula: str, draws) -> float | str:
    """The value of one of the workbook's formulas, computed with numpy from the Draws sheet's cells.

    Covers exactly the functions the Summary uses, with Excel's meaning: ranges skip empty cells, PERCENTILE.INC
    interpolates linearly (numpy's default), SMALL(r, k) is the k-th smallest, ROUNDUP / ROUNDDOWN to 0 digits.
    """
    def rng(match):
        return f'R("{match.group(1)}",{match.group(2)},{match.group(4)})'

    def finite(r):
        return r[~np.isnan(r)]

    functions = {
        "R": lambda letter, first, last: column_values(draws, letter, first, last),
        "AVERAGE": lambda r: finite(r).mean(),
        "PERCENTILE_INC": lambda r, q: np.percentile(finite(r), 100 * q),
        "COUNT": lambda r: finite(r).size,
        "COUNTIF": lambda r, criterion: int(np.sum(finite(r) > float(criterion.removeprefix(">")))),
        "SMALL": lambda r, k: np.sort(finite(r))[int(k) - 1] if k <= finite(r).size else math.nan,  # #NUM!
        "SUMPRODUCT": lambda a: float(np.nansum(a)),
        "ROUNDUP": lambda x, digits: math.ceil(x),
        "ROUNDDOWN": lambda x, digits: math.floor(x),
        "MAX": max,
        "IF": lambda condition, yes, no: yes if condition else no,
    }
    text = formula.removeprefix("=").replace("_xlfn.PERCENTILE.INC", "PERCENTILE_INC")
    text = re.sub(r"Draws!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", rng, text)
    with np.errstate(invalid="ignore"):
        return eval(text, {"__builtins__": {}}, functions)  # noqa: S307 - our own workbook's formulas


def summary_rows(sheet) -> dict[str, list]:
    return {row[0].value: [c.value for c in row[1:]] for row in sheet.iter_rows(min_row=5) if row[0].value}


def test_summary_formulas_and_cached_values_equal_summary_json(book):
    summary, _, formulas, cached = book
    entries = list(summary["interventions"].values())
    rows, values = summary_rows(formulas["Summary"]), summary_rows(cached["Summary"])
    assert [c.value for c in formulas["Summary"][4]][1:1 + len(entries)] == [e["label"] for e in entries]
    horizon = f"{summary['horizon']} months"
    merged = f"P(ROI > 0) = P(payback within {horizon})"
    assert all(e["prob_roi_positive"] == e["prob_payback_within_horizon"] for e in entries) and merged in rows
    expected = {
        "NPV, mean": lambda e: e["npv"]["mean"],
        "NPV, 5th percentile": lambda e: e["npv"]["p05"],
        "NPV, 10th percentile (9 draws in 10 do at least this well)": lambda e: e["npv"]["p10"],
        "NPV, median": lambda e: e["npv"]["p50"],
        "NPV, 95th percentile": lambda e: e["npv"]["p95"],
        "NPV, average of the worst 10\u00a0% of draws": lambda e: e["npv_expected_shortfall_10"],
        "ROI, mean": lambda e: e["roi"]["mean"],
        "ROI, 5th percentile": lambda e: e["roi"]["p05"],
        "ROI, median": lambda e: e["roi"]["p50"],
        "ROI, 95th percentile": lambda e: e["roi"]["p95"],
        "PV benefit, mean": lambda e: e["pv_benefit"]["mean"],
        "PV cost, mean": lambda e: e["pv_cost"]["mean"],
        merged: lambda e: e["prob_roi_positive"],
        "Payback period, median (months)": lambda e: e["payback_period"]["p50"],
    }
    assert set(expected) <= set(rows)
    beyond = 0
    for label, pick in expected.items():
        for i, entry in enumerate(entries):
            formula, want = rows[label][i], pick(entry)
            assert isinstance(formula, str) and formula.startswith("="), (label, formula)
            got = evaluate(formula, formulas["Draws"])
            if want is None:  # the median draw never pays back: the formula gives an empty text, the cell shows nothing
                beyond += 1
                assert got == "" and values[label][i] in (None, "")
                continue
            # draws.csv keeps 12 significant digits, so the sheet's statistics agree to about 1e-11
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9), (label, entry["label"])
            assert values[label][i] == pytest.approx(want, rel=1e-14), (label, entry["label"])
    assert beyond == 1  # the AI assistant's median payback lies beyond the horizon in this scenario
    assert values["Spreadsheet NPV (every input at its base value)"][0] == entries[0]["base_case"]["npv"]


def test_payback_is_numeric_with_empty_cells_and_every_name_is_in_words(book):
    summary, _, formulas, _ = book
    draws = formulas["Draws"]
    header = [c.value for c in draws[1]]
    label = summary["interventions"]["ai_self_service"]["label"]
    column = header.index(f"{label}: payback period (months; empty: not within the horizon)") + 1
    cells = [draws.cell(row, column).value for row in range(2, summary["draws"] + 2)]
    assert all(v is None or isinstance(v, (int, float)) for v in cells)
    assert 0 < sum(v is None for v in cells) < len(cells)
    assert not any("_" in str(h) and "." in str(h) for h in header)  # no dotted paths or snake_case keys
    bands = formulas["Bands"]
    measures = {bands.cell(row, 2).value for row in range(2, bands.max_row + 1)}
    assert measures <= {name for name, _ in MEASURES.values()}
    assert "Customers who walked away after a bad contact" in measures
    assert "Cumulative discounted net cash flow" in measures
    assert [c.value for c in bands[1]][:5] == ["Option", "Measure", "Month", "Mean", "5th percentile"]


def test_widths_panes_filters_formats_and_print_setup(book):
    summary, target, formulas, _ = book
    for name in ("Summary", "Assumptions", "Bands", "Draws"):
        sheet = formulas[name]
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9, name
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth in (None, 1), name
        assert sheet.freeze_panes, name
        assert sheet.print_title_rows, name
    for name in ("Assumptions", "Bands", "Draws"):
        assert formulas[name].auto_filter.ref, name
    bands = formulas["Bands"]
    # every column of Bands has a width (the old sheet showed ### in C onwards)
    assert all(bands.column_dimensions[c].width >= 8 for c in "ABCDEFGHIJK")
    money = bands.cell(2, 4).number_format
    row = next(r for r in range(2, bands.max_row + 1) if bands.cell(r, 2).value == "Revenue")
    assert "€" in bands.cell(row, 4).number_format
    assert money  # every number cell carries a format
    rows = {r[0].value: r[1] for r in formulas["Summary"].iter_rows(min_row=5) if r[0].value}
    assert rows["NPV, mean"].number_format == '#,##0"\u00a0€";[Red]"\u2212"#,##0"\u00a0€"'  # the house style
    assert rows["ROI, mean"].number_format == '#,##0"\u00a0"%;[Red]"\u2212"#,##0"\u00a0"%'
    assert rows[f"P(ROI > 0) = P(payback within {summary['horizon']} months)"].number_format == '#,##0.0"\u00a0"%'
    with zipfile.ZipFile(target) as archive:  # the draws' columns are formatted by column, not per cell
        assert b'<cols>' in archive.read("xl/worksheets/sheet4.xml")[:5000]


def shown(code: str, value: float, group: str = "\u00a0") -> str:
    """What a spreadsheet shows for ``value`` under the workbook's percentage formats (sections by sign, [Red]
    dropped, a literal-only section as its text, grouping with the style's ``group``), to compare with the house
    style's text."""
    sections = code.split(";")
    section = (sections[1] if value < 0 and len(sections) > 1 else sections[0]).replace("[Red]", "")
    literal = re.fullmatch(r'"([^"]*)"', section)
    if literal:
        return literal.group(1)
    match = re.fullmatch(r'(?:"([^"]*)")?(#,##0|0)(?:\.(0+))?(?:"([^"]*)")?(%)', section)
    assert match, code
    prefix, whole, decimals, space, _ = match.groups()
    number = abs(value) if len(sections) > 1 else value  # a negative section writes its own sign
    text = f"{100 * number:,.{len(decimals or '')}f}"
    return (prefix or "") + (text.replace(",", group) if whole.startswith("#") else text.replace(",", "")) + (space or "") + "%"


def test_roi_and_share_cells_show_the_decimals_the_house_style_writes(book):
    """Every ROI and share cell of the workbook as read back (Summary, Bands, Draws) shows what the terminal and the
    memo write for its value: an ROI of −5.9 % with one decimal (it showed −6 %), 81 % with none; the cell keeps
    the full value."""
    from sim.reporting.format import HOUSE

    summary, _, _, values = book
    checked = {"roi": 0, "share": 0}
    sheet = values["Summary"]
    for row in sheet.iter_rows(min_row=5, max_col=len(summary["interventions"]) + 1):
        label = row[0].value or ""
        kind = "roi" if label.startswith(("ROI", "Spreadsheet ROI")) else "share" if label.startswith("P(") else None
        if kind is None:
            continue
        for cell in row[1:]:
            if isinstance(cell.value, float):
                want = HOUSE.roi(cell.value) if kind == "roi" else HOUSE.percent(cell.value)
                assert shown(cell.number_format, cell.value) == want, (label, cell.value, cell.number_format)
                checked[kind] += 1
    rate = next(r[1] for r in sheet.iter_rows(min_row=5) if r[0].value == "Discount rate a year")
    assert shown(rate.number_format, rate.value) == HOUSE.percent(rate.value) == "8.0\u00a0%"
    p05 = {cell.value: cell for cell in next(r for r in sheet.iter_rows(min_row=5) if r[0].value == "ROI, 5th percentile")[1:]}
    faster = summary["interventions"]["faster_response"]["roi"]["p05"]
    assert -0.1 < faster < 0 and p05[faster].number_format == '#,##0.0"\u00a0"%;[Red]"\u2212"#,##0.0"\u00a0"%'
    draws = values["Draws"]
    header = [c.value for c in draws[1]]
    for j in [i for i, h in enumerate(header) if h and h.endswith(": ROI")]:  # one column, one style: one decimal
        for (cell,) in draws.iter_rows(min_row=2, max_row=summary["draws"] + 1, min_col=j + 1, max_col=j + 1):
            if cell.value is not None:
                text = f"{100 * abs(cell.value):,.1f}".replace(",", "\u00a0")
                assert shown(cell.number_format, cell.value) == ("\u2212" if cell.value < 0 else "") + text + "\u00a0%"
                checked["draws"] = checked.get("draws", 0) + 1
    assert checked == {"roi": 3 * 5, "share": 3, "draws": 3 * 400}


def test_percentage_formats_near_zero_certainty_and_beyond_four_decimals():
    """The per-cell choice for values where the house style keeps more digits, or writes a bound."""
    from sim.reporting.format import HOUSE, style
    from sim.reporting.workbook import percent_cell_code

    cases = {("roi", -0.059): "−5.9\u00a0%", ("roi", 0.81): "81\u00a0%", ("roi", 12.346): "1\u00a0235\u00a0%",
             ("roi", 0.0003): "0.03\u00a0%", ("roi", 0.9996): "99.96\u00a0%", ("roi", -2e-9): ">\u00a0−0.0001\u00a0%",
             ("share", 0.9997): "99.97\u00a0%", ("share", 1e-9): "<\u00a00.0001\u00a0%", ("share", 0.0): "0.0\u00a0%",
             ("share", 1 - 1e-9): ">\u00a099.9999\u00a0%"}
    for (kind, value), text in cases.items():
        assert (HOUSE.roi(value) if kind == "roi" else HOUSE.percent(value)) == text
        assert shown(percent_cell_code(kind, value), value) == text, (kind, value)
    assert shown(percent_cell_code("roi", 0.059, style("USD")), 0.059, ",") == style("USD").roi(0.059) == "5.9%"


def test_a_spreadsheet_program_shows_roi_and_shares_as_the_terminal_does(book, tmp_path):
    """LibreOffice (when installed) exports the Summary as shown: each ROI and share reads as the house style
    writes it (about 2.5 s)."""
    import csv
    import shutil
    import subprocess

    from sim.reporting.format import HOUSE

    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip("no LibreOffice on this machine; the formats are read back with openpyxl above")
    summary, target, _, _ = book
    profile = tmp_path / "profile"
    subprocess.run([office, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,1", "--outdir",
                    str(tmp_path), str(target)], check=True, capture_output=True, timeout=300)
    rows = {r[0]: r[1:4] for r in csv.reader((tmp_path / f"{target.stem}-Summary.csv").open(encoding="utf-8")) if r}

    def same(text: str, house: str, value: float) -> bool:
        """The same digits, or, at a tie, the same shape with the last digit one up: a spreadsheet rounds 19.25 %
        half away from zero (19.3 %) where Python, and so the house style, rounds to even (19.2 %)."""
        if text == house:
            return True
        decimals = len(house.split(".")[1].split("\u00a0")[0]) if "." in house else 0
        shown = float(text.replace("\u00a0", "").replace("\u2212", "-").rstrip("%"))
        tie = abs(abs(100 * value) * 10**decimals % 1 - 0.5) < 1e-9
        return tie and re.sub(r"\d", "9", text) == re.sub(r"\d", "9", house) and abs(shown - 100 * value) <= 0.5 * 10**-decimals + 1e-9

    for i, entry in enumerate(summary["interventions"].values()):
        for label, key in (("ROI, mean", "mean"), ("ROI, 5th percentile", "p05"), ("ROI, median", "p50"),
                           ("ROI, 95th percentile", "p95")):
            assert same(rows[label][i], HOUSE.roi(entry["roi"][key]), entry["roi"][key]), (label, entry["label"])
        base = entry["base_case"]["roi"]
        assert same(rows["Spreadsheet ROI (every input at its base value)"][i], HOUSE.roi(base), base)
        gain = f"P(ROI > 0) = P(payback within {summary['horizon']} months)"
        assert same(rows[gain][i], HOUSE.percent(entry["prob_roi_positive"]), entry["prob_roi_positive"])
    assert rows["ROI, 5th percentile"][0].startswith("\u2212") and "." in rows["ROI, 5th percentile"][0]  # −7.7 %


def test_a_spreadsheet_program_recalculates_the_summary_to_summary_json(book, tmp_path):
    """LibreOffice (when installed) recalculates every formula, cached values zeroed first, to summary.json."""
    import csv
    import shutil
    import subprocess

    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip("no LibreOffice on this machine; the formulas are still evaluated by the test above")
    summary, target, _, _ = book
    zeroed = tmp_path / "zeroed.xlsx"
    with zipfile.ZipFile(target) as source, zipfile.ZipFile(zeroed, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"(<f>[^<]*</f>)<v>[^<]*</v>", rb"\1<v>0</v>", data)
            out.writestr(info, data)
    profile = tmp_path / "profile" / "user"
    profile.mkdir(parents=True)
    (profile / "registrymodifications.xcu").write_text(  # recalculate on load, always
        '<?xml version="1.0" encoding="UTF-8"?><oor:items xmlns:oor="http://openoffice.org/2001/registry">'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">'
        "<value>0</value></prop></item></oor:items>")
    subprocess.run([office, f"-env:UserInstallation={profile.parent.as_uri()}", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,1", "--outdir",
                    str(tmp_path), str(zeroed)], check=True, capture_output=True, timeout=300)
    rows = {r[0]: r[1:4] for r in csv.reader((tmp_path / "zeroed-Summary.csv").open(encoding="utf-8")) if r}

    def number(text: str) -> float | None:
        text = text.replace("\u00a0", "").replace("\u2212", "-").strip()
        return None if not text else float(text[:-1]) / 100 if text.endswith("%") else float(text)

    entries = list(summary["interventions"].values())
    for i, entry in enumerate(entries):
        assert number(rows["NPV, mean"][i]) == pytest.approx(entry["npv"]["mean"], rel=1e-9)
        assert number(rows["NPV, 5th percentile"][i]) == pytest.approx(entry["npv"]["p05"], rel=1e-9)
        assert number(rows["NPV, average of the worst 10\u00a0% of draws"][i]) == pytest.approx(
            entry["npv_expected_shortfall_10"], rel=1e-9)
        assert number(rows["ROI, median"][i]) == pytest.approx(entry["roi"]["p50"], rel=1e-9)
        median = entry["payback_period"]["p50"]
        assert number(rows["Payback period, median (months)"][i]) == median
