"""Text tables that fit a terminal's width: no clipping, no number broken, a label on at most two lines.

rich's tables wrap at any space, the no-break space inside ``1 971.5`` included, and
clip what does not fit. These tables are laid out here instead and printed as plain
lines: number columns are as wide as their widest cell, a header wraps onto two lines
where that makes its column narrower, and the label column gets what is left. When a
label would need more than :data:`LABEL_LINES` lines, :func:`layout` returns None and the
caller chooses a stacked layout (the label on its own line above its numbers, ``above``)
or splits its columns (:func:`column_groups`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.reporting.format import lines

GAP = 2
"""Spaces between two columns."""
INDENT = 1
"""Spaces before the first column (as rich's tables)."""
LABEL_LINES = 2
"""The most lines a label may take."""
RULE = "─"


@dataclass(frozen=True)
class Laid:
    """A table as lines: ``header`` (print in bold), then ``body`` (the rule is the first body line)."""

    header: list[str]
    body: list[str]

    @property
    def width(self) -> int:
        return max(map(len, self.header + self.body), default=0)


def narrowest(text: str, most_lines: int = LABEL_LINES) -> int:
    """The narrowest width at which ``text`` wraps onto at most ``most_lines`` lines (at spaces)."""
    longest = max((len(word) for word in text.split(" ")), default=0)
    for width in range(max(1, longest), len(text) + 1):
        if len(lines(text, width)) <= most_lines:
            return width
    return max(1, len(text))


def layout(headers: list[str], rows: list[list[str]], width: int, text_columns: int = 1,
           above: list[str | None] | None = None, most_lines: int = LABEL_LINES) -> Laid | None:
    """Lay out ``rows`` under ``headers`` within ``width`` characters, or None if a label needs more lines.

    The first ``text_columns`` columns are left-aligned labels (the first of them wraps, the others keep
    their width); the others are right-aligned and never wrap. ``above[i]``, when given, is printed across the whole table
    above row ``i`` (a stacked layout: a long name, then its numbers)."""
    count = len(headers)
    first = min(text_columns, 1)
    number_widths = [max([len(row[i]) for row in rows] + [narrowest(headers[i])]) for i in range(first, count)]
    taken = INDENT + sum(number_widths) + GAP * (count - 1)
    if text_columns:
        label_width = width - taken
        needed = max([narrowest(row[0], most_lines) for row in rows] + [narrowest(headers[0])])
        longest = max([len(row[0]) for row in rows] + [len(headers[0])])
        if label_width < needed:
            return None
        label_width = min(label_width, longest)
        widths = [label_width, *number_widths]
    else:
        if taken > width:
            return None
        widths = number_widths
    header_cells = [lines(h, w) for h, w in zip(headers, widths)]
    depth = max(map(len, header_cells))
    header = [_line([[""] * (depth - len(cell)) + cell for cell in header_cells], widths, text_columns, j)
              for j in range(depth)]
    total = INDENT + sum(widths) + GAP * (count - 1)
    body = [" " + RULE * (total - INDENT)]
    for i, row in enumerate(rows):
        if above and above[i]:
            body += [" " * INDENT + text for text in lines(above[i], width - INDENT)]
        cells = [lines(cell, w) if c < first else [cell] for c, (cell, w) in enumerate(zip(row, widths))]
        height = max(map(len, cells))
        body += [_line([cell + [""] * (height - len(cell)) for cell in cells], widths, text_columns, j) for j in range(height)]
    return Laid(header, body)


def _line(cells: list[list[str]], widths: list[int], text_columns: int, j: int) -> str:
    parts = [cell[j].ljust(w) if c < text_columns else cell[j].rjust(w) for c, (cell, w) in enumerate(zip(cells, widths))]
    return (" " * INDENT + (" " * GAP).join(parts)).rstrip()


def column_groups(label_width: int, column_widths: list[int], width: int) -> list[list[int]]:
    """Indices of number columns split into consecutive groups that fit beside a label column of
    ``label_width`` within ``width`` (one column per group at the least)."""
    groups: list[list[int]] = [[]]
    used = INDENT + label_width
    for i, w in enumerate(column_widths):
        if groups[-1] and used + GAP + w > width:
            groups.append([])
            used = INDENT + label_width
        groups[-1].append(i)
        used += GAP + w
    return groups
