"""Calendar arithmetic for the fits: whole periods between dates, and time in fractional periods.

Two different clocks, on purpose:

* **Contract periods** (retention, :func:`whole_periods`, :func:`add_periods`)
  are calendar months or years counted from each customer's own start date:
  the k-th period boundary of a customer who started on 2024-01-15 is
  2024-02-15, 2024-03-15, ... for months (2024-01-31 gives 2024-02-29,
  2024-03-31: a day past the end of a month is clipped to its last day).
  Renewals happen on those dates, so churn is counted in whole periods.
* **Continuous time** (purchases, :func:`elapsed`) is measured in days and
  divided by the length of the unit: a month is ``365.25 / 12`` = 30.4375
  days and a year 365.25 days, so rates per month are rates per day times
  30.4375. Purchase models need exact exposure times, not whole periods.

All functions are vectorised over numpy ``datetime64`` arrays.
"""

from __future__ import annotations

import numpy as np

PERIODS = ("month", "year")
"""Contract periods a retention fit can count."""

DAYS_PER_UNIT = {"day": 1.0, "week": 7.0, "month": 365.25 / 12.0, "year": 365.25}
"""Length of each continuous time unit in days."""


def unit_days(unit: str | float) -> float:
    """Days in a time unit given by name (day, week, month, year) or as a number of days."""
    if isinstance(unit, str):
        if unit not in DAYS_PER_UNIT:
            raise ValueError(f"unknown time unit {unit!r}; allowed: {', '.join(DAYS_PER_UNIT)} or a number of days")
        return DAYS_PER_UNIT[unit]
    days = float(unit)
    if not days > 0:
        raise ValueError(f"a time unit must be a positive number of days, not {unit!r}")
    return days


def to_days(dates) -> np.ndarray:
    """Dates (anything numpy or pandas can read) as ``datetime64[D]`` (the time of day dropped)."""
    return np.asarray(dates, dtype="datetime64[ns]").astype("datetime64[D]")


def elapsed(start, end, unit: str | float) -> np.ndarray:
    """Exact time from ``start`` to ``end`` (datetime64 of any resolution) in units; float64."""
    delta = np.asarray(end, dtype="datetime64[ns]") - np.asarray(start, dtype="datetime64[ns]")
    return delta.astype("int64") / (86_400e9 * unit_days(unit))


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Month index (months since 1970-01) and day of month (1-based) of datetime64[D] values, plus days in that month."""
    months = days.astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    day = (days - first).astype(np.int64) + 1
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    return months.astype(np.int64), day, length


def _months_in_period(period: str) -> int:
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; allowed: {', '.join(PERIODS)}")
    return 1 if period == "month" else 12


def whole_periods(start, date, period: str) -> np.ndarray:
    """How many period boundaries ``start + k periods`` (k >= 1) fall on or before ``date``; int64, >= 0.

    With ``period="month"``, start 2024-01-15 and date 2024-03-15 give 2,
    date 2024-03-14 gives 1. Dates before ``start`` give 0.
    """
    start_month, start_day, _ = _ymd(to_days(start))
    date_month, date_day, date_length = _ymd(to_days(date))
    months = date_month - start_month
    boundary_day = np.minimum(start_day, date_length)  # the boundary's day in the date's month
    months = months - (date_day < boundary_day)
    return np.maximum(months, 0) // _months_in_period(period)


def add_periods(start, count, period: str) -> np.ndarray:
    """The date ``count`` whole periods after ``start`` (days past a month's end clipped); datetime64[D]."""
    start_month, start_day, _ = _ymd(to_days(start))
    target = (start_month + np.asarray(count, dtype=np.int64) * _months_in_period(period)).astype("datetime64[M]")
    first = target.astype("datetime64[D]")
    length = ((target + 1).astype("datetime64[D]") - first).astype(np.int64)
    return first + (np.minimum(start_day, length) - 1)
