"""Numbers as people read them in a summary: money, percentages, ratios."""

from __future__ import annotations


def money(x: float | None) -> str:
    """Whole currency units with thousands separators: 1234567.8 -> '1,234,568'."""
    return "n/a" if x is None else f"{x:,.0f}"


def percent(x: float | None, digits: int = 1) -> str:
    """A share as a percentage: 0.623 -> '62.3%'."""
    return "n/a" if x is None else f"{100 * x:.{digits}f}%"


def ratio(x: float | None) -> str:
    """An ROI multiple with two decimals: 4.0 -> '4.00'."""
    return "n/a" if x is None else f"{x:.2f}"
