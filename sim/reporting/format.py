"""Numbers as a finance reader expects them, one style per scenario currency.

The same :class:`NumberStyle` writes the terminal tables, the memo, the Excel
workbook's texts and the figures' axes, so a number reads the same everywhere:

* money in whole units with the currency's symbol on its side and digits
  grouped (``1 234 567 €``, ``$1,234,567``); Nordic and euro-area groups are
  separated by a no-break space, so a decimal point is never mistaken for one;
* ROI as a percentage of cost (an ROI of 4.0 is ``400 %``);
* shares as percentages with one decimal (``62.3 %``); a share that would round
  to 0.0 % or 100.0 % without being 0 or 1 keeps the digits that show it
  (``0.03 %``, ``99.97 %``), so a rare event never reads as impossible;
* counts grouped like amounts (``10 000 draws``); statistics with a sign
  (``+0.42``, ``−0.19``) and intervals (``0.38 to 0.41``) through the same rules;
* every negative number with a true minus sign (``−12 000 €``), so a loss next to
  a gain cannot be misread;
* input values in plain decimals, never scientific notation (``15 000``, ``0.0012``);
  an input that is money is written as money (``21 255 €``, ``29.74 €``).

Babel (CLDR) was considered and not used: no CLDR locale writes this house style (English
text with a decimal point, digits grouped by a no-break space, the euro sign after the
amount); every currency would need its own hand-given pattern, which is these rules again,
plus a dependency with tens of megabytes of locale data loaded at start-up. The styles below
are the whole of it and are tested character for character.

Grouping and the space before ``%`` and a currency sign are no-break spaces: a terminal
wrapped with :func:`wrap` (which breaks only at ordinary spaces) never splits a number.
"""

from __future__ import annotations

import math
import re
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

    def money_value(self, x: float | None) -> str:
        """An input that is money: whole units from 100 up, cents below: 21254.8 -> '21 255 €', 29.74 -> '29.74 €'."""
        if x is None or not math.isfinite(x):
            return "n/a"
        if abs(x) >= 100 or float(x).is_integer():
            return self.money(x)
        sign = MINUS if round(x, 2) < 0 else ""
        return f"{sign}{self.prefix}{self._grouped(abs(x), 2)}{self.suffix}"

    def count(self, n: float | None) -> str:
        """A whole number of things, grouped: 10000 -> '10 000'."""
        if n is None or not math.isfinite(n):
            return "n/a"
        return self._grouped(n)

    def percent(self, x: float | None, digits: int = 1, signed: bool = False) -> str:
        """A share: 0.623 -> '62.3 %'; 0.0003 -> '0.03 %' and 0.9997 -> '99.97 %', never '0.0 %' or '100.0 %';
        ``signed``: a change with its sign always shown (0.427 -> '+42.7 %')."""
        if x is None or not math.isfinite(x):
            return "n/a"
        decimals = percent_decimals(x, digits)
        if x != 0 and round(100 * x, decimals) == 0:  # below what four decimals show: not '0.0000 %'
            return f"{'>' if x < 0 else '<'}{_NBSP}{MINUS if x < 0 else ''}0.0001{self.percent_space}%"
        if x < 1 and round(100 * x, decimals) == 100:  # likewise just below certainty: not '100.0000 %'
            return f">{_NBSP}99.9999{self.percent_space}%"
        text = self._grouped(100 * x, decimals)
        if signed and not text.startswith(MINUS):
            text = "+" + text
        return f"{text}{self.percent_space}%"

    def points(self, x: float | None, digits: int = 1) -> str:
        """A difference of shares in percentage points (an interval's half-width): 0.025 -> '2.5'."""
        if x is None or not math.isfinite(x):
            return "n/a"
        return self._grouped(100 * x, _share_digits(100 * x, digits))

    def signed(self, x: float | None, digits: int = 2) -> str:
        """A statistic with its sign always shown: 0.42 -> '+0.42', -0.19 -> '−0.19'."""
        if x is None or not math.isfinite(x):
            return "n/a"
        text = self._grouped(x, digits)
        return text if text.startswith(MINUS) else "+" + text

    def fixed(self, x: float | None, digits: int) -> str:
        """A measurement with a fixed number of decimals and a true minus: -1.194 -> '−1.194'."""
        if x is None or not math.isfinite(x):
            return "n/a"
        return self._grouped(x, digits)

    def estimate(self, x: float | None, significant: int = 4) -> str:
        """A fitted parameter to ``significant`` digits, never scientific: 0.032271 -> '0.03227', 17.53 -> '17.53'."""
        if x is None or not math.isfinite(x):
            return "n/a"
        if x == 0:
            return "0"
        decimals = max(0, significant - 1 - math.floor(math.log10(abs(x))))
        text = self._grouped(x, min(decimals, 12))
        return text.rstrip("0").rstrip(".") if "." in text else text

    def interval(self, low: float | None, high: float | None, each=None) -> str:
        """Two ends in one style: '0.383 to 0.412' (``each`` formats one end; default :meth:`value`)."""
        each = each or self.value
        return f"{each(low)} to {each(high)}"

    def restyle(self, text: str) -> str:
        """Text written by the model or a fit in plain ASCII (a note, a method, a source: ``share of 2,806
        contacts``, ``25% of``) with its comma-grouped numbers and percentages in this style (``share of 2 806
        contacts``, ``25 % of``)."""
        text = _COMMA_GROUPED.sub(lambda m: m.group().replace(",", self.group), text)
        return _TIGHT_PERCENT.sub(lambda m: m.group(1) + self.percent_space + "%", text)

    def words(self, description: dict, money: bool = False) -> str:
        """A model's description of an input ({"template", "numbers", "shares"}: :class:`sim.model.distributions.Words`)
        with its numbers in this style: '90 % between 700 and 1 400 (lognormal)', 'fixed at 1 500'; an input
        that is ``money``: 'between 15 000 € and 35 000 €'."""
        shares = set(description.get("shares", ()))
        value = self.money_value if money else self.value
        numbers = [f"{self.value(100 * x)}{self.percent_space}%" if i in shares else value(x)
                   for i, x in enumerate(description["numbers"])]
        return description["template"].format(*numbers)

    def p_value(self, p: float | None) -> str:
        """A p-value for people: '0.00016', or '< 0.0001' below that (never scientific notation)."""
        if p is None or not math.isfinite(p):
            return "n/a"
        return "< 0.0001" if p < 1e-4 else self.estimate(p, 2)

    def roi(self, x: float | None) -> str:
        """ROI (net return per unit of cost) as a percentage: 4.0 -> '400 %', 0.034 -> '3.4 %'."""
        if x is None or not math.isfinite(x):
            return "n/a"
        return self.percent(x, roi_digits(x))

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


_COMMA_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
_TIGHT_PERCENT = re.compile(r"(\d) ?%")


def roi_digits(x: float) -> int:
    """The decimals :meth:`NumberStyle.roi` asks of :meth:`NumberStyle.percent`: none from 10 % up, one below."""
    return 0 if abs(x) >= 0.1 else 1


def percent_decimals(x: float, digits: int = 1) -> int:
    """The decimals :meth:`NumberStyle.percent` writes the share ``x`` with: ``digits``, more where that would
    show 0.0 % or 100.0 % (at most 4; beyond them it writes '< 0.0001 %' or '> 99.9999 %' instead)."""
    return _share_digits(100 * x, digits)


def _share_digits(percent: float, digits: int) -> int:
    """Decimals that keep a share off 0.0 % and 100.0 % unless it is exactly 0 or 1 (at most 4)."""
    if percent == 0 or percent == 100:
        return digits
    shown = round(percent, digits)
    if shown == 0:
        return min(4, max(digits, -math.floor(math.log10(abs(percent)))))
    if shown == 100 and percent < 100:
        return min(4, max(digits, -math.floor(math.log10(100 - percent))))
    return digits


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


HOUSE = CURRENCY_STYLES["EUR"]
"""The style of what has no currency (staffing, fitted parameters): grouped by a no-break space."""


def style(currency: str | None = None) -> NumberStyle:
    """The number style of a currency (the house style without one); others get grouped digits and the ISO
    code after the amount."""
    if currency is None:
        return HOUSE
    return CURRENCY_STYLES.get(currency, NumberStyle("", f"{_NBSP}{currency}", ","))


def input_words(item: dict, st: NumberStyle = HOUSE, money: bool = False) -> str:
    """An input's distribution in words with its numbers in the style ``st`` (as amounts when it is ``money``):
    from the manifest's ``words`` (template and numbers), or, in a folder written before it had them, its
    ``in_words`` text restyled (comma groups, a tight ``%`` and ungrouped numbers of four digits or more)."""
    if isinstance(item.get("words"), dict):
        return st.words(item["words"], money)
    text = st.restyle(item["in_words"])
    return _UNGROUPED.sub(lambda m: st.value(float(m.group())), text)


_UNGROUPED = re.compile(r"(?<![\d.,])\d{4,}(?![\d,])(?!\.\d)")


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


def percentile_name(quantile: float) -> str:
    """0.1 -> '10th', 0.01 -> '1st', 0.025 -> '2.5th': a quantile as the percentile people name."""
    number = f"{round(quantile * 100, 6):g}"
    whole = number.split(".")[0]
    suffix = "th" if "." in number or whole[-2:] in ("11", "12", "13") else {"1": "st", "2": "nd", "3": "rd"}.get(whole[-1], "th")
    return number + suffix


def tornado_words(summary: dict) -> tuple[str, str]:
    """The two tornado readings' quantiles and share in words: ('10th', '90th') and 'fifth' at the defaults."""
    oat = summary.get("one_at_a_time", {})
    ends = percentile_name(oat.get("low_quantile", 0.1)), percentile_name(oat.get("high_quantile", 0.9))
    share = summary.get("from_draws", {}).get("share", 0.2)
    return ends, "fifth" if share == 0.2 else f"{round(share * 100, 6):g} %"


def wrap(text: str, width: int) -> str:
    """Break a name into lines of at most ``width`` characters at spaces (figure labels)."""
    return "\n".join(lines(text, width, long_words=True)) or text


def lines(text: str, width: int, long_words: bool = False) -> list[str]:
    """``text`` broken into lines of at most ``width`` characters at ordinary spaces only: the no-break
    spaces inside a number (``1 971.5``, ``62.3 %``, ``568 379 €``) never break."""
    import textwrap

    # textwrap breaks at ASCII whitespace only, so a no-break space holds.
    return textwrap.wrap(text, max(1, width), break_long_words=long_words, break_on_hyphens=False) or [""]
