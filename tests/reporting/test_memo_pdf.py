"""The printed memo: A4 by default and US Letter on request, no heading or short remnant stranded by a page
break, numbers right-aligned, fonts embedded. Built from the shipped example folder (no simulation): about 6 s."""

import io
import shutil

import matplotlib.pyplot as plt
import pytest
from click.testing import CliRunner

from sim.reporting import memo
from sim.reporting.memo_pdf import MIN_LINES, MIN_ROWS, paragraph_class, memo_styles, table_class, render_pdf
from sim.shell.cli import main

HEADINGS = {"h1", "h2", "h3", "h3_loose", "intro"}


@pytest.fixture(scope="module")
def example(request):
    record = memo.read_results(request.config.rootpath / "results" / "examples" / "nordic_midsize")
    built = memo.build(record)
    png = {}
    for name, figure in built.figures.items():
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=40)  # the layout, not the pixels, is under test
        png[name] = buffer.getvalue()
        plt.close(figure)
    return built, png


@pytest.mark.parametrize("paper, box", [("a4", b"595.2756 841.8898"), ("letter", b"612 792")])
def test_no_heading_ends_a_page_and_no_table_leaves_fewer_than_three_rows(example, paper, box):
    built, png = example
    trace = []
    pdf = render_pdf(built, png, paper, trace)
    assert pdf.startswith(b"%PDF") and box in pdf
    assert b"DejaVuSans" in pdf  # embedded: the true minus sign and € print on any machine
    pages = sorted({page for page, _, _ in trace})
    assert 4 <= len(pages) <= 9
    for page in pages:
        laid = [(kind, n) for p, kind, n in trace if p == page and kind != "other"]
        assert laid[-1][0] not in HEADINGS, (paper, page, laid[-3:])
    whole = {len(payload[1]) for kind, payload in built.blocks if kind in ("table", "assumptions")}
    for page, kind, rows in trace:
        if kind == "table":
            assert rows >= MIN_ROWS or rows in whole, (paper, page, rows)


def test_a_paragraph_breaks_with_three_lines_on_each_side_or_moves_whole():
    styles = memo_styles()
    paragraph = paragraph_class()
    text = " ".join(["word"] * 400)  # about 20 lines at this width
    leading = styles["body"].leading
    whole = paragraph(text, styles["body"])
    whole.wrap(300, 10_000)
    lines = len(whole.blPara.lines)
    assert lines >= 2 * MIN_LINES + 2
    assert paragraph(text, styles["body"]).split(300, 2.5 * leading) == []  # two lines would be stranded: move it
    first, rest = paragraph(text, styles["body"]).split(300, (lines - 1) * leading)  # would carry one line over
    first.wrap(300, 10_000), rest.wrap(300, 10_000)
    assert len(first.blPara.lines) == lines - MIN_LINES and len(rest.blPara.lines) == MIN_LINES


def test_a_long_table_breaks_with_three_rows_on_each_side_or_moves_whole():
    table = table_class(page_height=700)
    grid = table([["head", "value"]] + [[f"row {i}", str(i)] for i in range(10)], rowHeights=[10] * 11, repeatRows=1)
    grid.wrap(200, 700)
    assert grid.split(200, 31) == []  # header and two rows: move it whole
    first, rest = grid.split(200, 101)  # room for header and nine rows: carry three over
    assert len(first._cellvalues) - 1 == 10 - MIN_ROWS and len(rest._cellvalues) - 1 == MIN_ROWS


def test_headline_numbers_are_right_aligned_in_html_and_markdown(example):
    built, png = example
    html = memo.render_html(built, png)
    assert '<td class="num">568\u00a0379\u00a0€</td>' in html and "<td>Expected NPV</td>" in html
    assert "td.num, th.num { text-align: right; }" in html
    markdown = memo.render_markdown(built, {name: f"{name}.png" for name in png})
    assert "|  | Faster response (+4 agents) | First-contact resolution training | AI self-service assistant | " \
           "Faster response (+4 agents) + First-contact resolution training |\n| --- | ---: | ---: | ---: | ---: |" in markdown


def test_memo_command_writes_a_pdf_on_the_chosen_paper_and_refuses_paper_without_pdf(request, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(request.config.rootpath / "results" / "examples" / "nordic_midsize", folder)
    (folder / "memo.pdf").unlink()  # the example ships one
    result = CliRunner().invoke(main, ["memo", str(folder), "--format", "pdf", "--paper", "letter"])
    assert result.exit_code == 0, result.output
    assert result.output == f"Memo written to {folder / 'memo.pdf'}\n"
    assert b"612 792" in (folder / "memo.pdf").read_bytes()
    result = CliRunner().invoke(main, ["memo", str(folder), "--out", str(tmp_path / "board.pdf")])
    assert result.exit_code == 0 and b"595.2756 841.8898" in (tmp_path / "board.pdf").read_bytes()
    result = CliRunner().invoke(main, ["memo", str(folder), "--format", "html", "--paper", "a4"])
    assert result.exit_code == 2
    assert "--paper sets the paper of the PDF memo: add --format pdf (or --out FILE.pdf)" in result.output
