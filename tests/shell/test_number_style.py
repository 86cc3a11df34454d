"""Every command's terminal output on the shipped scenarios, scanned for the house number style at 80 columns.

One run of each command (small draws) is read line by line for: numbers of four or more digits
without grouping or grouped by commas (the shipped scenarios are in euros), a hyphen-minus before a number, money without its currency (an ISO code after
an amount, or a bare number where an amount is stated), ``%`` without the house no-break space,
and lines wider than 80 columns. Scenario fragments printed by ``fit`` (TOML for a file) and lines
naming a written file are not prose and are skipped. ``export`` and ``memo --format pdf`` run on a copy of
the shipped example folder (results/examples/nordic_midsize): what they say in the terminal is scanned, not
the workbook's or the PDF's own text. About 30 s (the fixture; the checks are instant).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.shell.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
DATA = SCENARIOS / "data"
NORDIC = str(SCENARIOS / "nordic_midsize.toml")
WIDTH = 80
SMALL = ["--draws", "200", "--workers", "1", "--no-save"]
EXAMPLE = ROOT / "results" / "examples" / "nordic_midsize"
COPY = "{example}"
"""Stands for a copy of :data:`EXAMPLE` in a temporary folder (export and memo write into it)."""

COMMANDS = {
    **{f"run {file.stem}": ["run", str(file), *SMALL] for file in sorted(SCENARIOS.glob("*.toml"))},
    "run --base-case": ["run", NORDIC, "--base-case", "--no-save"],
    "sweep one-way": ["sweep", NORDIC, "--param", "segments.b2b.experience.walk_away", "--range", "0.05:0.5:4", *SMALL],
    "sweep two-way": ["sweep", NORDIC, "--param", "interventions.faster_response.recurring_cost", "--values",
                      "15000,30000", "--param", "segments.b2b.monthly_churn", "--values", "0.008,0.016", *SMALL],
    "tornado": ["tornado", NORDIC, *SMALL],
    "sensitivity": ["sensitivity", NORDIC, "--sobol-samples", "16", *SMALL],
    "breakeven": ["breakeven", NORDIC, "--param", "interventions.faster_response.recurring_cost", *SMALL],
    "voi": ["voi", NORDIC, *SMALL],
    "pilot": ["pilot", NORDIC, "--intervention", "ai_self_service", *SMALL],
    "staffing": ["staffing", "--rate", "120", "--aht", "4", "--patience", "3", "--agents", "8:11", "--simulate",
                 "--hours", "5", "--replications", "2"],
    "staffing erlang c": ["staffing", "--rate", "120", "--aht", "4", "--agents", "7:10"],
    "validate": ["validate", NORDIC],
    "export": ["export", COPY, "--xlsx", f"{COPY}/book.xlsx"],
    "memo pdf": ["memo", COPY, "--format", "pdf", "--out", f"{COPY}/board.pdf"],
    "memo md": ["memo", COPY, "--out", f"{COPY}/scan.md"],
    "memo html": ["memo", COPY, "--out", f"{COPY}/scan.html"],
    "fit customers": ["fit", "customers", str(DATA / "customers.csv")],
    "fit orders": ["fit", "orders", str(DATA / "orders.csv"), "--customers", str(DATA / "customers.csv")],
    "fit support": ["fit", "support", str(DATA / "tickets.csv"), "--customers", str(DATA / "customers.csv"),
                    "--orders", str(DATA / "orders.csv")],
    "fit pilot": ["fit", "pilot", str(DATA / "pilot.csv"), "--measure", "bad", "--segment", "retail",
                  "--intervention", "first_contact"],
}

UNGROUPED = re.compile(r"(?<![\w.,/\-:#\[])\d{4,}(?![\w/\-:])")
NOT_AMOUNTS = re.compile(r"seed:?[ \u00a0]\d+|\b(?:19|20)\d\d-\d\d-\d\dT?[\d:+]*|sha256 \w+|SHA-256 \w+")
HYPHEN_MINUS = re.compile(r"(?<![\w)\]\-])-\d")
COMMA_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")  # EUR and the house style group by a no-break space
BAD_PERCENT = re.compile(r"\d ?%")  # the house style: digits, a no-break space, %
ISO_AFTER_AMOUNT = re.compile(r"\d[\s\u00a0]*(?:EUR|USD|GBP|SEK|NOK|DKK|CHF)\b")
AMOUNT_STATED = re.compile(r"(?:today's value|searched|falls short by|net gain|EVSI|EVPI|measures(?: is)?|NPV now|"
                           r"a cost of|between) (−?\d+(?:[\u00a0,]\d{3})*(?:\.\d+)?)(\u00a0€)?")
NOT_PROSE = ("Results written to", "Memo written to", "Workbook written to", "Written into", "Report folder")


def prose(output: str) -> list[str]:
    """The lines a person reads: up to a printed scenario fragment (TOML for a file), without file names."""
    lines = []
    for line in output.splitlines():
        if line.startswith("# ") and "scenario" in line:
            break
        if not line.startswith(NOT_PROSE):
            lines.append(line)
    return lines


def long_labels(lines: list[str]) -> list[str]:
    """Table rows whose label runs over more than two lines: in a table's body (after its rule), more than
    two lines in a row that hold only a label (no gap of two spaces before a further cell)."""
    found, in_body, run = [], False, []
    for line in lines:
        if re.fullmatch(r"\s*─+\s*", line):
            in_body, run = True, []
            continue
        if in_body and (not line.strip() or not line.startswith(" ")):
            in_body = False
        if not in_body:
            continue
        run = run + [line] if "  " not in line.strip() else []
        if len(run) == 3:
            found.append("a label over more than two lines: " + " / ".join(text.strip() for text in run))
    return found


def problems(output: str) -> list[str]:
    found = long_labels(prose(output))
    for line in prose(output):
        found += number_problems(line)
        if len(line) > WIDTH:
            found.append(f"{len(line)} columns: {line}")
    return found


def number_problems(line: str) -> list[str]:
    """What breaks the house number style in one line of text a person reads."""
    found = []
    text = NOT_AMOUNTS.sub("", line)
    found += [f"ungrouped {m.group()!r}: {line}" for m in UNGROUPED.finditer(text)]
    found += [f"grouped by commas {m.group()!r}: {line}" for m in COMMA_GROUPED.finditer(text)]
    found += [f"hyphen-minus {m.group()!r}: {line}" for m in HYPHEN_MINUS.finditer(text)]
    found += [f"% without a no-break space {m.group()!r}: {line}" for m in BAD_PERCENT.finditer(text)]
    found += [f"currency code after an amount {m.group()!r}: {line}" for m in ISO_AFTER_AMOUNT.finditer(text)]
    found += [f"amount without currency {m.group(1)!r}: {line}" for m in AMOUNT_STATED.finditer(text)
              if m.group(2) is None and re.match(r"−?\d{3}|−?\d{1,3}[\u00a0,]\d{3}", m.group(1))]  # 0.007 is no amount
    return found


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    """A copy of the shipped example folder, which export and memo write into."""
    folder = tmp_path_factory.mktemp("number_style") / "example"
    shutil.copytree(EXAMPLE, folder)
    return folder


@pytest.fixture(scope="module")
def outputs(example) -> dict[str, str]:
    runner = CliRunner(env={"COLUMNS": str(WIDTH), "LINES": "50"})
    shown = {}
    for name, args in COMMANDS.items():
        result = runner.invoke(main, [arg.replace(COPY, str(example)) for arg in args])
        assert result.exit_code == 0, f"{name}: {result.output}"
        shown[name] = result.output
    return shown


@pytest.mark.parametrize("name", list(COMMANDS))
def test_output_is_in_the_house_number_style_within_80_columns(outputs, name):
    assert problems(outputs[name]) == []


def test_the_scan_catches_what_the_old_output_had():
    old = ["today's value 21 254.8; searched 0 to 74 207.9",
           "Adjusted in 3 of 10,000 draws (0.0 %): x at y = 9275.98",
           "EVPPI of what it measures is 5,472 EUR; the best size falls short by 11,892)",
           "│ negative_churn_increase  │    0.476 │  -0.186 to 1.68 │ [5] │",
           "│      8 │    57.8%  | │",
           "x" * 81]
    assert len(problems("\n".join(old))) >= 7
    tornado = [" ──────────", " Faster response (+4 agents):      804 510 €     208 723 €",
               " factor on share of bad", " contacts, business customers", " (0.546 to 0.773)"]
    assert problems("\n".join(tornado)) == ["a label over more than two lines: factor on share of bad / contacts, "
                                            "business customers / (0.546 to 0.773)"]


def _quoted_sources(folder: Path) -> set[str]:
    """The scenario author's sources as the memo and workbook quote them: their words, not our numbers
    ('400-600 EUR a year' stays as written; only its comma groups and tight % are restyled)."""
    from sim.reporting.format import HOUSE

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {HOUSE.restyle(item["source"]) for item in manifest["inputs"].values() if item.get("source")}


def _markdown_text(md: str, quoted: set[str]) -> list[str]:
    """The memo's Markdown as a person reads it: table cells one by one, without the command in the code
    block (it is typed, not read) and without quoted sources."""
    lines, code = [], False
    for line in md.splitlines():
        if line.startswith("```"):
            code = not code
            continue
        if code or line.startswith("!["):
            continue
        if line.startswith("|"):
            lines += [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line.strip("|"))
                      if cell.strip().replace("\\|", "|") not in quoted]
        else:
            lines.append(line)
    return lines


def _html_text(page: str, quoted: set[str]) -> list[str]:
    """The text of the memo's HTML, element by element, without <pre> (the command) and quoted sources."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts, self.skip = [], 0

        def handle_starttag(self, tag, attrs):
            self.skip += tag in ("pre", "style", "title")

        def handle_endtag(self, tag):
            self.skip -= tag in ("pre", "style", "title")

        def handle_data(self, data):
            if not self.skip and data.strip() and data.strip() not in quoted:
                self.parts.append(data.strip())

    parser = Text()
    parser.feed(page)
    return parser.parts


def _workbook_text(book: Path, quoted: set[str]) -> list[str]:
    """Every text cell of the workbook (shared and inline strings), without quoted sources."""
    import html
    import zipfile

    with zipfile.ZipFile(book) as archive:
        xml = "".join(archive.read(name).decode("utf-8") for name in archive.namelist()
                      if name.startswith("xl/") and name.endswith(".xml") and "styles" not in name)
    texts = [html.unescape(text) for text in re.findall(r"<t(?:\s[^>]*)?>([^<]*)</t>", xml)]
    return [text for text in texts if text.strip() and text not in quoted]


def test_the_memo_and_the_workbook_read_in_the_house_number_style(outputs, example):
    """Every text a person reads in the memo (Markdown and HTML) and the workbook's text cells: the same
    scan as the terminal's, without the width (documents wrap). Sources are the author's quoted words."""
    quoted = _quoted_sources(example)
    texts = {"memo.md": _markdown_text((example / "scan.md").read_text(encoding="utf-8"), quoted),
             "memo.html": _html_text((example / "scan.html").read_text(encoding="utf-8"), quoted),
             "book.xlsx": _workbook_text(example / "book.xlsx", quoted)}
    for name, lines in texts.items():
        assert len(lines) > 50, name
        assert [problem for line in lines for problem in number_problems(line)] == [], name


def test_the_memo_scan_catches_the_old_memo_s_numbers():
    old = ["| Customers at the start, business customers | fixed at 1500 | assumption |",
           "the mean over all 10,000 simulated outcomes is 79 %",
           "| Value per purchase | between 15,000 and 35,000, most likely 20,000 (PERT) | — |"]
    found = [problem for line in _markdown_text("\n".join(old), set()) for problem in number_problems(line)]
    assert len(found) >= 5
