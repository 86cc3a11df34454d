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


# How amounts are written in each currency: (prefix, suffix, thousands separator).
# Nordic and euro-area readers write the amount first and group digits with a space.
_NBSP = "\u00a0"
CURRENCY_STYLES = {
    "EUR": ("", f"{_NBSP}€", _NBSP),
    "SEK": ("", f"{_NBSP}kr", _NBSP),
    "NOK": ("", f"{_NBSP}kr", _NBSP),
    "DKK": ("", f"{_NBSP}kr.", "."),
    "ISK": ("", f"{_NBSP}kr.", "."),
    "USD": ("$", "", ","),
    "GBP": ("£", "", ","),
}


def amount(x: float | None, currency: str) -> str:
    """Money in the currency's own style: 1234567 EUR -> '1 234 567 €', USD -> '$1,234,567'."""
    if x is None:
        return "n/a"
    prefix, suffix, separator = CURRENCY_STYLES.get(currency, ("", f"{_NBSP}{currency}", ","))
    digits = f"{abs(x):,.0f}".replace(",", separator)
    sign = "−" if round(x) < 0 else ""
    return f"{sign}{prefix}{digits}{suffix}"
