"""Numbers as a finance reader expects them, one style per scenario currency.

The same :class:`NumberStyle` writes the terminal tables, the memo, the Excel
workbook's texts and the figures' axes, so a number reads the same everywhere:

* money in whole units with the currency's symbol on its side and digits
  grouped (``1 234 567 €``, ``$1,234,567``); Nordic and euro-area groups are
  separated by a no-break space, so a decimal point is never mistaken for one;
* ROI as a percentage of cost (an ROI of 4.0 is ``400 %``);
* shares as percentages with one decimal (``62.3 %``);
* every negative number with a true minus sign (``−12 000 €``), so a loss next to
  a gain cannot be misread;
* input values in plain decimals, never scientific notation (``15 000``, ``0.0012``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MINUS = "\u2212"
_NBSP = "\u00a0"


@dataclass(frozen=True)
class NumberStyle:
    """How one currency's amounts and percentages are written."""

    prefix: str
    suffix: str
    group: str
    percent_space: str = _NBSP

    def _grouped(self, x: float, decimals: int = 0) -> str:
        text = f"{abs(x):,.{decimals}f}".replace(",", self.group)
        return (MINUS if round(x, decimals) < 0 else "") + text

    def money(self, x: float | None) -> str:
        """Whole currency units: -1234567.4 EUR -> '−1 234 567 €'."""
        if x is None or not math.isfinite(x):
            return "n/a"
        sign = MINUS if round(x) < 0 else ""
        return f"{sign}{self.prefix}{self._grouped(abs(x))}{self.suffix}"

    def number(self, x: float | None) -> str:
        """A plain amount without symbol (axis ticks, counts): 15000 -> '15 000'."""
        if x is None or not math.isfinite(x):
            return "n/a"
        return self._grouped(x)

    def percent(self, x: float | None, digits: int = 1) -> str:
        """A share: 0.623 -> '62.3 %'."""
        if x is None or not math.isfinite(x):
            return "n/a"
        return f"{self._grouped(100 * x, digits)}{self.percent_space}%"

    def roi(self, x: float | None) -> str:
        """ROI (net return per unit of cost) as a percentage: 4.0 -> '400 %', 0.034 -> '3.4 %'."""
        if x is None or not math.isfinite(x):
            return "n/a"
        return self.percent(x, 0 if abs(x) >= 0.1 else 1)

    def value(self, x: float | None) -> str:
        """An input's value: grouped above 1,000, else three significant digits; never scientific."""
        if x is None or not math.isfinite(x):
            return "n/a"
        if abs(x) >= 1000:
            return self._grouped(x, 0 if float(x).is_integer() or abs(x) >= 100_000 else 1)
        if x == 0:
            return "0"
        decimals = min(10, max(0, 2 - math.floor(math.log10(abs(x)))))
        text = f"{abs(x):.{decimals}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return (MINUS if x < 0 and text != "0" else "") + text


# prefix, suffix, digit group. The decimal mark is a point in every style: the documents are in English.
CURRENCY_STYLES = {
    "EUR": NumberStyle("", f"{_NBSP}€", _NBSP),
    "SEK": NumberStyle("", f"{_NBSP}kr", _NBSP),
    "NOK": NumberStyle("", f"{_NBSP}kr", _NBSP),
    "DKK": NumberStyle("", f"{_NBSP}kr.", _NBSP),
    "ISK": NumberStyle("", f"{_NBSP}kr.", _NBSP),
    "CHF": NumberStyle("CHF", "", _NBSP, _NBSP),
    "USD": NumberStyle("$", "", ",", ""),
    "GBP": NumberStyle("£", "", ",", ""),
}


def style(currency: str) -> NumberStyle:
    """The number style of a currency; others get grouped digits and the ISO code after the amount."""
    return CURRENCY_STYLES.get(currency, NumberStyle("", f"{_NBSP}{currency}", ","))


def amount(x: float | None, currency: str) -> str:
    """Money in the currency's own style: 1234567 EUR -> '1 234 567 €', USD -> '$1,234,567'."""
    return style(currency).money(x)


def roi(x: float | None, currency: str) -> str:
    """ROI as a percentage in the currency's style."""
    return style(currency).roi(x)


def percent(x: float | None, digits: int = 1, currency: str = "EUR") -> str:
    """A share as a percentage: 0.623 -> '62.3 %'."""
    return style(currency).percent(x, digits)


def value(x: float | None, currency: str = "EUR") -> str:
    """An input's value in plain decimals (no scientific notation)."""
    return style(currency).value(x)


def periods(count: int, unit: str) -> str:
    """'36 months', '1 year'."""
    return f"{count} {unit}{'' if count == 1 else 's'}"


def payback(value: float | None, unit: str) -> str:
    """'month 14', or 'beyond the horizon' when it never pays back within it."""
    return "beyond the horizon" if value is None or not math.isfinite(value) else f"{unit} {value:g}"


def wrap(text: str, width: int) -> str:
    """Break a name into lines of at most ``width`` characters at spaces (figure labels)."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False)) or text
