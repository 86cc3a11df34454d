"""The decision memo as a PDF that prints: A4 by default (US Letter on request), laid out by reportlab.

reportlab rather than a browser or fpdf2: it installs from PyPI alone (pure Python; no
system libraries, no headless browser), and its page-layout engine (Platypus) already
keeps a heading with what follows it, repeats a table's header row on a new page and
aligns each table cell, so this module only says what to keep together. Text is set in
DejaVu Sans, which matplotlib ships (so it is always there) and which has every
character the memo uses (the true minus sign, €, no-break spaces); the standard PDF
fonts lack the minus.

Page breaks never strand anything: a heading, and a sentence ending in a colon, stay
with the block after them; a paragraph breaks only with at least :data:`MIN_LINES`
lines on each page; a short table moves whole, and a long one (the assumptions)
breaks with at least :data:`MIN_ROWS` rows on each page, its header repeated.
Numbers are right-aligned in their columns; figures are embedded at print resolution.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

MIN_LINES = 3
"""Fewest lines of a paragraph left at the foot of a page or carried to the next."""
MIN_ROWS = 3
"""Fewest body rows of a table left on a page or carried to the next."""
PAPERS = ("a4", "letter")


def render_pdf(memo, figure_png: dict[str, bytes], paper: str = "a4", trace: list | None = None) -> bytes:
    """The memo's blocks (see :class:`sim.reporting.memo.Memo`) as the bytes of a PDF on ``paper``.

    ``trace``, when given, receives ``(page, kind, lines)`` for every flowable laid out, in order:
    ``kind`` is a paragraph's style name (``h2``, ``body``, ...), ``table`` or ``other``; ``lines``
    a paragraph's line count, a table's body rows. The tests check the page breaks with it.
    """
    from reportlab.lib.pagesizes import A4, LETTER
    from reportlab.lib.units import mm
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    styles = memo_styles()
    buffer = io.BytesIO()
    doc = _document_class()(buffer, pagesize=A4 if paper == "a4" else LETTER, leftMargin=20 * mm, rightMargin=20 * mm,
                            topMargin=18 * mm, bottomMargin=20 * mm, title=memo.title, author="cxroi",
                            subject="Decision memo", creator="cxroi")
    doc.trace = trace
    story = _story(memo, figure_png, doc.width, doc.height, styles)

    def footer(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont("DejaVuSans", 7.5)
        canvas.setFillGray(0.4)
        canvas.drawString(document.leftMargin, 11 * mm, memo.title)
        canvas.drawRightString(document.leftMargin + document.width, 11 * mm, f"page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _document_class():
    """reportlab's SimpleDocTemplate that records the layout in ``trace`` when it is given one."""
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    class Document(SimpleDocTemplate):
        trace: list | None = None

        def afterFlowable(self, flowable) -> None:
            if self.trace is None:
                return
            if isinstance(flowable, Paragraph):
                self.trace.append((self.page, flowable.style.name, len(getattr(flowable.blPara, "lines", []))))
            elif isinstance(flowable, Table):
                self.trace.append((self.page, "table", len(flowable._cellvalues) - flowable.repeatRows))
            else:
                self.trace.append((self.page, "other", 0))

    return Document


def _fonts() -> None:
    """Register DejaVu Sans (regular, bold, italic, bold italic) and DejaVu Sans Mono from matplotlib's fonts, once."""
    from matplotlib import get_data_path
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(get_data_path()) / "fonts" / "ttf"
    for name, file in (("DejaVuSans", "DejaVuSans.ttf"), ("DejaVuSans-Bold", "DejaVuSans-Bold.ttf"),
                       ("DejaVuSans-Oblique", "DejaVuSans-Oblique.ttf"),
                       ("DejaVuSans-BoldOblique", "DejaVuSans-BoldOblique.ttf"), ("DejaVuSansMono", "DejaVuSansMono.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    addMapping("DejaVuSans", 0, 0, "DejaVuSans")
    addMapping("DejaVuSans", 1, 0, "DejaVuSans-Bold")
    addMapping("DejaVuSans", 0, 1, "DejaVuSans-Oblique")
    addMapping("DejaVuSans", 1, 1, "DejaVuSans-BoldOblique")
    addMapping("DejaVuSansMono", 0, 0, "DejaVuSansMono")
    addMapping("DejaVuSansMono", 1, 0, "DejaVuSansMono")
    addMapping("DejaVuSansMono", 0, 1, "DejaVuSansMono")
    addMapping("DejaVuSansMono", 1, 1, "DejaVuSansMono")


def memo_styles() -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    _fonts()
    body = ParagraphStyle("body", fontName="DejaVuSans", fontSize=9.5, leading=13.5, spaceAfter=6, alignment=TA_LEFT)
    return {
        "body": body,
        "intro": ParagraphStyle("intro", parent=body, keepWithNext=1, spaceAfter=3),
        "h1": ParagraphStyle("h1", parent=body, fontName="DejaVuSans-Bold", fontSize=16, leading=20, spaceAfter=10,
                             keepWithNext=1),
        "h2": ParagraphStyle("h2", parent=body, fontName="DejaVuSans-Bold", fontSize=12, leading=15, spaceBefore=10,
                             spaceAfter=5, keepWithNext=1),
        "h3": ParagraphStyle("h3", parent=body, fontName="DejaVuSans-Bold", fontSize=9.5, leading=12, spaceBefore=6,
                             spaceAfter=3, keepWithNext=1),
        "h3_loose": ParagraphStyle("h3_loose", parent=body, fontName="DejaVuSans-Bold", fontSize=9.5, leading=12,
                                   spaceBefore=6, spaceAfter=3),
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=12, bulletIndent=2, spaceAfter=2),
        "code": ParagraphStyle("code", parent=body, fontName="DejaVuSansMono", fontSize=8, leading=10.5,
                               backColor=colors.HexColor("#F2F2F2"), borderPadding=4, spaceBefore=2, spaceAfter=8),
        "caption": ParagraphStyle("caption", parent=body, fontSize=8, leading=10.5, textColor=colors.HexColor("#555555"),
                                  spaceAfter=8),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0),
        "cell_right": ParagraphStyle("cell_right", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0,
                                     alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=body, fontName="DejaVuSans-Bold", fontSize=8.5, leading=10.5, spaceAfter=0),
        "head_right": ParagraphStyle("head_right", parent=body, fontName="DejaVuSans-Bold", fontSize=8.5, leading=10.5,
                                     spaceAfter=0, alignment=TA_RIGHT),
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, spaceAfter=0),
        "small_head": ParagraphStyle("small_head", parent=body, fontName="DejaVuSans-Bold", fontSize=7.5, leading=9.5,
                                     spaceAfter=0),
    }


def _markup(text: str) -> str:
    """The memo's inline markup (**bold**, `code`) as reportlab's paragraph markup, everything else escaped."""
    escaped = html.escape(text, quote=False)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escaped)
    return re.sub(r"`(.+?)`", r'<font face="DejaVuSansMono">\1</font>', escaped)


def _story(memo, figure_png: dict[str, bytes], width: float, height: float, styles: dict[str, Any]) -> list:
    """The flowables of the memo, in order."""
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import CondPageBreak, Image

    para, table = paragraph_class(), table_class(height)
    width -= 12  # the frame's padding: what a table may fill
    story: list = []
    blocks = memo.blocks
    for index, (kind, payload) in enumerate(blocks):
        following = blocks[index + 1][0] if index + 1 < len(blocks) else None
        if kind == "h3" and following == "assumptions":
            # A long table breaks across pages; its heading needs room for the header and MIN_ROWS rows below it.
            story.append(_room_for(table, blocks[index + 1][1], width, height, styles))
            story.append(para(_markup(payload), styles["h3_loose"]))
        elif kind in ("h1", "h2", "h3"):
            story.append(para(_markup(payload), styles[kind]))
        elif kind == "appendix":  # on a new page, unless a good part of this one is still free
            story += [CondPageBreak(0.4 * height), para(_markup(payload), styles["h2"])]
        elif kind == "p":
            story.append(para(_markup(payload), styles["intro" if payload.rstrip().endswith(":") else "body"]))
        elif kind == "list":
            story += [para(_markup(item), styles["bullet"], bulletText="•") for item in payload]
        elif kind == "code":
            story.append(para(html.escape(payload, quote=False), styles["code"]))
        elif kind == "figure":
            name, caption = payload
            data = figure_png[name]
            w, h = ImageReader(io.BytesIO(data)).getSize()
            scale = min(width / w, 0.45 * height / h)
            image = Image(io.BytesIO(data), width=w * scale, height=h * scale)
            image.keepWithNext = 1  # with its caption (and a heading before it with both)
            story += [image, para(_markup(caption), styles["caption"])]
        elif kind in ("table", "assumptions"):
            header, rows = payload
            grid = _grid(table, kind, header, rows, width, styles)
            grid.keep_whole = kind != "assumptions"
            story.append(grid)
            story.append(_gap())
    return story


def _grid(table, kind: str, header: list[str], rows: list[list[Any]], width: float, styles: dict[str, Any]):
    """A table of paragraphs: numeric columns right-aligned (not in the assumptions, whose values are words)."""
    from sim.reporting.memo import numeric_columns

    para = paragraph_class()
    small = kind == "assumptions"
    right = [r and not small for r in numeric_columns(rows)]
    cell, head = (styles["small"], styles["small_head"]) if small else (styles["cell"], styles["head"])
    data = [[para(_markup(str(h)), styles["head_right"] if r else head) for h, r in zip(header, right)]]
    data += [[para(_markup(str(c)), styles["cell_right"] if r else cell) for c, r in zip(row, right)] for row in rows]
    grid = table(data, colWidths=_widths(kind, len(header), width), repeatRows=1, hAlign="LEFT")
    grid.setStyle(_table_style())
    return grid


def _room_for(table, payload, width: float, height: float, styles: dict[str, Any]):
    """A conditional page break: a new page unless a heading, the table's header and MIN_ROWS rows fit, or the
    whole table when it is too short to break (fewer than 2 x MIN_ROWS rows: the table then moves whole, and the
    heading would be left alone at the foot of the page)."""
    from reportlab.platypus import CondPageBreak

    header, rows = payload
    grid = _grid(table, "assumptions", header, rows, width, styles)
    grid.wrap(width, height)
    heading = styles["h3_loose"]
    kept = len(rows) if len(rows) < 2 * MIN_ROWS else MIN_ROWS
    return CondPageBreak(heading.leading + heading.spaceBefore + heading.spaceAfter
                         + sum(grid._rowHeights[:1 + kept]) + 2)


def _widths(kind: str, columns: int, width: float) -> list[float]:
    if kind == "assumptions" and columns == 3:
        return [0.3 * width, 0.3 * width, 0.4 * width]
    first = 0.34 * width if columns > 2 else 0.55 * width
    return [first] + [(width - first) / (columns - 1)] * (columns - 1)


def _table_style():
    from reportlab.lib import colors
    from reportlab.platypus import TableStyle

    return TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#BBBBBB")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F2F2F2")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ])


def _gap():
    from reportlab.platypus import Spacer

    return Spacer(1, 6)


def paragraph_class():
    """A reportlab Paragraph that never leaves fewer than :data:`MIN_LINES` lines on either side of a page break."""
    from reportlab.platypus import Paragraph

    class KeptParagraph(Paragraph):
        def split(self, availWidth, availHeight):
            self.wrap(availWidth, availHeight)
            lines = len(getattr(self.blPara, "lines", []))
            leading = self.style.leading
            fit = int((availHeight + 1e-6) // leading)
            if lines < 2 * MIN_LINES or fit < MIN_LINES:
                return []  # move it whole to the next page
            if lines - fit < MIN_LINES:  # keep MIN_LINES for the next page
                availHeight = (lines - MIN_LINES) * leading + 1e-3
            return super().split(availWidth, availHeight)

    return KeptParagraph


def table_class(page_height: float):
    """A reportlab Table that breaks only with :data:`MIN_ROWS` body rows on each page (header repeated).

    Not wrapped in a KeepTogether: reportlab keeps a heading (``keepWithNext``) only with a plain
    flowable after it, never with a container.
    """
    from reportlab.platypus import Table

    class KeptTable(Table):
        _page_height = page_height
        keep_whole = False
        """A short table (the headline figures) moves whole rather than break at all."""

        def split(self, availWidth, availHeight):
            if self.keep_whole and availHeight < 0.95 * self._page_height:
                return []
            parts = super().split(availWidth, availHeight)
            if len(parts) != 2 or availHeight >= 0.95 * self._page_height:
                return parts  # no break, or a table longer than a page: break where it must
            first, rest = (len(part._cellvalues) - self.repeatRows for part in parts)  # body rows on each side
            if first < MIN_ROWS or first + rest < 2 * MIN_ROWS:
                return []  # move it whole to the next page
            if rest < MIN_ROWS:  # carry MIN_ROWS rows over
                keep = len(self._cellvalues) - MIN_ROWS
                return super().split(availWidth, sum(self._rowHeights[:keep]) + 0.01)
            return parts

    return KeptTable
