"""Validation of a company's customer list and order log before any fit, one line per problem.

Every problem is a :class:`sim.errors.Problem` whose *path* locates it in the
table: ``column 'end_date'`` for a whole column, ``row 7, column 'end_date'``
for a value. **Rows are numbered as a person counts them in the file: the
header is row 1, so the first data row is row 2** (data-frame position ``i``
is row ``i + 2``). When many rows share a problem, the line names the first
one and says how many more there are, so a million-row file with one bad
column still gives one line. All problems found are raised together as one
:class:`sim.errors.ScenarioError`; the caller attributes them to a file with
``error.in_file("customers.csv")``.

Dates are read with ``date_format`` (default ISO 8601: ``2024-01-31``, with
an optional time). Data frames whose date columns are already datetimes are
taken as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError, UsageError, did_you_mean

ALL = "all"
"""The segment name used when the table has no segment column."""

DEFAULT_SEGMENT = "segment"
"""Segment column used when the table has one and none was named."""

ISO = "ISO8601"


@dataclass(frozen=True)
class CustomerColumns:
    """Column names of a customers table; ``segment=None`` uses a 'segment' column when there is one."""

    customer_id: str = "customer_id"
    start: str = "start_date"
    end: str = "end_date"
    segment: str | None = None


@dataclass(frozen=True)
class OrderColumns:
    """Column names of an orders table; ``amount=None`` for counts only, ``segment`` as for customers."""

    customer_id: str = "customer_id"
    date: str = "date"
    amount: str | None = "amount"
    segment: str | None = None


class Homogeneous(ScenarioError):
    """A mixture fit that runs to its homogeneous limit: every customer alike, so the one-rate model is the answer.

    Raised (a ScenarioError, so callers that do not look for it see the usual
    one-line problem) with the homogeneous model's estimate: ``kind`` is
    ``"churn"`` (geometric churn probability per period) or ``"rate"``
    (Poisson purchases per time unit); ``low`` and ``high`` are its 95 %
    interval; ``customers`` how many customers it rests on. Callers that can
    use the simpler model (``cxroi fit ... --into`` writes ``monthly_churn`` or
    ``purchases``) catch it instead of failing. ``table`` (churn only) is the
    observed survival per period beside the geometric's.
    """

    def __init__(self, problems: list[Problem], *, kind: str, estimate: float, se: float, low: float, high: float, customers: int,
                 table: pd.DataFrame | None = None):
        super().__init__(problems)
        self.kind, self.estimate, self.se, self.low, self.high, self.customers = kind, estimate, se, low, high, customers
        self.table = table

    def in_file(self, file: str) -> ScenarioError:
        return ScenarioError(self.problems, file)


def thin_data_advice(label: str) -> str:
    """What to do about a segment (or a whole table, label "") with too little data to fit."""
    return "pool it with another segment or give a longer history" if label else "give a longer history"


def row_number(position) -> np.ndarray | int:
    """File row of a 0-based data-frame position: the header is row 1, the first data row is row 2."""
    return np.asarray(position) + 2 if np.ndim(position) else int(position) + 2


def _more(count: int) -> str:
    return "" if count <= 0 else f"; {count} more row{'s' if count != 1 else ''} like this"


def _row_problem(mask: np.ndarray, column: str, describe) -> Problem | None:
    """One problem for the rows where ``mask`` holds: the first such row, described, and how many more."""
    positions = np.flatnonzero(mask)
    if positions.size == 0:
        return None
    first = int(positions[0])
    return Problem(f"row {row_number(first)}, column '{column}'", describe(first) + _more(positions.size - 1))


def _date_text(value) -> str:
    stamp = pd.Timestamp(value)
    return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.strftime("%Y-%m-%d %H:%M:%S")


def check_cutoff(cutoff, as_of, first=None) -> None:
    """A holdout's cut-off must fall inside the data: after its first day (or there is nothing to fit) and
    before its end, the as-of day (or there is nothing to predict). The one rule of every holdout
    (customers, orders, purchase rates); ScenarioError naming it."""
    day = pd.Timestamp(cutoff).normalize()
    if day >= pd.Timestamp(as_of).normalize():
        raise ScenarioError([Problem("cutoff", f"the cut-off {day:%Y-%m-%d} must be before the end of "
                                                f"the data ({pd.Timestamp(as_of):%Y-%m-%d}), or there is nothing to predict")])
    if first is not None and pd.notna(first) and day <= pd.Timestamp(first).normalize():
        raise ScenarioError([Problem("cutoff", f"the cut-off {day:%Y-%m-%d} must be after the first day of the data "
                                                f"({pd.Timestamp(first):%Y-%m-%d}), or there is nothing to fit")])


def check_date_format(date_format: str) -> None:
    """Refuse a date format pandas cannot use at all (an unknown directive such as %Q, a stray %):
    a UsageError naming --date-format, before any cell is read. A format that merely does not match
    some cells is reported per cell by :func:`parse_dates`."""
    if date_format in (ISO, "mixed"):
        return
    try:
        pd.to_datetime(pd.Series(["2001-02-03"]), format=date_format)
    except ValueError as error:
        text = str(error).splitlines()[0]
        if "directive" in text or "stray %" in text:
            raise UsageError(f"--date-format '{date_format}': {text}; use strftime codes such as %d/%m/%Y, "
                             "or ISO8601") from None


def _format_hint(date_format: str) -> str:
    return "ISO 8601, e.g. 2024-01-31" if date_format == ISO else date_format


def _blank(values: pd.Series) -> np.ndarray:
    """Missing or whitespace-only cells."""
    missing = values.isna().to_numpy()
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        text = values.astype("string").str.strip()
        missing = missing | (text == "").fillna(True).to_numpy(dtype=bool)
    return missing


def missing_columns(frame: pd.DataFrame, required: list[str]) -> list[Problem]:
    """A problem per required column the table lacks, with the closest present name as a suggestion."""
    present = [str(c) for c in frame.columns]
    if len(present) == 1 and any(name not in frame.columns for name in required):
        separator = next((mark for mark in (";", "\t", "|") if mark in present[0]), None)
        if separator is not None:  # one problem, not one per column: every column is in that one
            shown = "tab" if separator == "\t" else f"'{separator}'"
            return [Problem("", f"the columns are separated by {shown}, not commas; save the table as CSV "
                                "with commas between the columns")]
    problems = []
    for name in required:
        if name in frame.columns:
            continue
        same = [column for column in present if column.strip().lower() == name.lower()]
        hint = (f"; did you mean '{same[0]}'?" if same else did_you_mean(name, present)) \
            or f" (the table has: {', '.join(present) if present else 'no columns'})"
        problems.append(Problem(f"column '{name}'", f"missing{hint}"))
    return problems


def parse_dates(values: pd.Series, column: str, date_format: str, what: str, problems: list[Problem], *, required: bool) -> pd.Series:
    """Dates as datetime64[ns]; unreadable cells (and empty ones when ``required``) become problems and NaT."""
    check_date_format(date_format)
    blank = _blank(values)
    read = values if pd.api.types.is_datetime64_any_dtype(values.dtype) else \
        pd.to_datetime(values, format=date_format, errors="coerce")
    # ISO 8601 reads '-1' as the year -1: a date no company's data holds, and beyond what datetime64[ns] can
    # (1677 to 2262), so it is an unreadable cell like any other rather than an overflow.
    parsed = read.mask((read < pd.Timestamp.min) | (read > pd.Timestamp.max)).astype("datetime64[ns]")
    bad = parsed.isna().to_numpy() & ~blank
    problem = _row_problem(bad, column, lambda i: f"cannot read '{values.iloc[i]}' as a date (expected {_format_hint(date_format)})")
    if problem:
        problems.append(problem)
    if required:
        problem = _row_problem(blank, column, lambda i: f"the {what} is empty")
        if problem:
            problems.append(problem)
    return parsed


def check_in_life(when: pd.Series, code: np.ndarray, ids: pd.Series, customers: pd.DataFrame, column: str, what: str,
                  problems: list[Problem]) -> None:
    """Rows dated before their customer started or after they left (by day), one problem per kind: the one
    rule for orders and support tickets. ``code`` is each row's position in the checked ``customers`` table
    (-1 for an unknown customer, reported elsewhere)."""
    day = pd.Series(when).dt.normalize().to_numpy()
    known = code >= 0
    start = np.where(known, customers["start"].to_numpy()[np.maximum(code, 0)], np.datetime64("NaT"))
    end = np.where(known, customers["end"].to_numpy()[np.maximum(code, 0)], np.datetime64("NaT"))
    before = known & ~np.isnat(day) & (day < start)
    after = known & ~np.isnat(day) & ~np.isnat(end) & (day > end)
    for mask, words, dates in ((before, "before customer '{}' started ({})", start),
                               (after, "after customer '{}' left ({})", end)):
        found = _row_problem(mask, column, lambda i, w=words, d=dates: (
            f"{what} {pd.Timestamp(day[i]):%Y-%m-%d} is {w.format(ids.iloc[i], f'{pd.Timestamp(d[i]):%Y-%m-%d}')}"))
        if found:
            problems.append(found)


def check_ids(ids: pd.Series, column: str, problems: list[Problem], *, unique: bool) -> np.ndarray:
    """Empty ids, and (when ``unique``) ids that appear more than once; returns which ids are empty."""
    blank = _blank(ids)
    problem = _row_problem(blank, column, lambda i: "the customer id is empty")
    if problem:
        problems.append(problem)
    if not unique:
        return blank
    repeated = ids.duplicated(keep="first").to_numpy() & ~blank
    if repeated.any():
        first_seen = pd.Series(np.arange(len(ids)), index=ids.to_numpy()).groupby(level=0).first()

        def describe(i: int) -> str:
            value = ids.iloc[i]
            return f"customer id '{value}' appears again (first in row {row_number(int(first_seen[value]))})"

        problems.append(_row_problem(repeated, column, describe))
    return blank


def check_after(dates: pd.Series, limit, column: str, what: str, problems: list[Problem],
                limit_words: str | None = None) -> None:
    """Dates on a day after the as-of date (any time on the as-of day itself is allowed); ``limit_words`` says where
    that day came from when the user gave none ('2025-12-31, the last day of the tickets and customers')."""
    limit = pd.Timestamp(limit).normalize()
    late = (dates.dt.normalize() > limit).to_numpy(dtype=bool)
    after = f"the as-of date {_date_text(limit)}" if limit_words is None else f"{_date_text(limit)}, {limit_words}"
    problem = _row_problem(late, column, lambda i: f"{what} {_date_text(dates.iloc[i])} is after {after}")
    if problem:
        problems.append(problem)


AS_OF_ADVICE = "correct the date, or give --as-of to say when the data end"
"""What to do about a date after today in a fit that takes its as-of day from the data."""


def data_end(dates: dict[str, pd.Series], today=None, advice: str = AS_OF_ADVICE) -> pd.Timestamp:
    """The as-of day a fit takes when none is given: the last day in ``dates`` (each column's parsed dates by its
    name, in file order; NaT where empty), NaT when there is none.

    Every fit command whose as-of day defaults to the data's latest date takes it from here, so one rule holds
    for all: a date after ``today`` cannot be in data extracted today. It is a typing mistake (2099 for 2009),
    and as the as-of day it would have every active customer survive to it, so it is refused: a ScenarioError
    with a line per column naming its first such row. ``today`` is the caller's (the shell reads the clock once;
    the fit does not, so tests pass a fixed day); None checks nothing. ``advice`` ends the line (a table without an
    as-of day, the pilot's enrolment dates, says only to correct the date). Dates after a given as-of day are
    :func:`check_after`'s."""
    problems, ends = [], []
    limit = None if today is None else pd.Timestamp(today).normalize()
    for column, values in dates.items():
        day = pd.Series(values).dt.normalize()
        if limit is not None:
            late = np.flatnonzero((day > limit).to_numpy(dtype=bool))
            if late.size:
                first = int(late[0])
                problems.append(Problem(f"row {row_number(first)}, column '{column}'",
                                        f"{_date_text(day.iloc[first])} is after today ({limit:%Y-%m-%d}){_more(late.size - 1)}; {advice}"))
        if day.notna().any():
            ends.append(day.max())
    _raise(problems)
    return max(ends) if ends else pd.NaT


def segments(frame: pd.DataFrame, column: str | None, problems: list[Problem]) -> pd.Series:
    """The segment of each row as text; ``ALL`` when the table has no segment column."""
    name = column or DEFAULT_SEGMENT
    if name not in frame.columns:
        return pd.Series(ALL, index=frame.index, dtype=object)
    values = frame[name]
    problem = _row_problem(_blank(values), name, lambda i: "the segment is empty; name one or leave the whole column out")
    if problem:
        problems.append(problem)
    return values.astype(str)


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise ScenarioError(problems)


def _required_columns(frame: pd.DataFrame, names: list[str]) -> None:
    """Raise at once for an empty table or missing columns: nothing else can be checked without them."""
    problems = missing_columns(frame, names)
    if len(frame) == 0:
        problems.insert(0, Problem("", "the table has no data rows"))
    _raise(problems)


def check_customers(frame: pd.DataFrame, *, as_of, columns: CustomerColumns = CustomerColumns(), date_format: str = ISO) -> pd.DataFrame:
    """A checked customers table: customer_id, start, end (NaT while active; dates, no time), segment.

    Raises ScenarioError listing every problem: missing columns, empty table,
    unreadable or empty dates, end before start, dates after ``as_of``,
    duplicate or empty customer ids, empty segments.
    """
    names = [columns.customer_id, columns.start, columns.end] + ([columns.segment] if columns.segment else [])
    _required_columns(frame, names)
    frame = frame.reset_index(drop=True)
    problems: list[Problem] = []
    ids = frame[columns.customer_id]
    check_ids(ids, columns.customer_id, problems, unique=True)
    start = parse_dates(frame[columns.start], columns.start, date_format, "start date", problems, required=True).dt.normalize()
    end = parse_dates(frame[columns.end], columns.end, date_format, "end date", problems, required=False).dt.normalize()
    backwards = (end < start).to_numpy(dtype=bool)
    problem = _row_problem(
        backwards, columns.end, lambda i: f"end date {_date_text(end.iloc[i])} is before the start date {_date_text(start.iloc[i])}"
    )
    if problem:
        problems.append(problem)
    check_after(start, as_of, columns.start, "start date", problems)
    check_after(end, as_of, columns.end, "end date", problems)
    segment = segments(frame, columns.segment, problems)
    _raise(problems)
    return pd.DataFrame({"customer_id": ids.to_numpy(), "start": start.to_numpy(), "end": end.to_numpy(), "segment": segment.to_numpy()})


def parse_amounts(values: pd.Series, column: str, problems: list[Problem]) -> np.ndarray:
    """Amounts as float64: empty, unreadable and negative ones become problems."""
    blank = _blank(values)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    unreadable = ~np.isfinite(numbers) & ~blank
    for mask, describe in (
        (blank, lambda i: "the amount is empty"),
        (unreadable, lambda i: f"cannot read '{values.iloc[i]}' as an amount"),
        (numbers < 0, lambda i: f"amount {values.iloc[i]} is negative"),
    ):
        problem = _row_problem(mask, column, describe)
        if problem:
            problems.append(problem)
    return numbers


def check_orders(
    frame: pd.DataFrame, *, columns: OrderColumns = OrderColumns(), date_format: str = ISO, as_of=None, customers=None,
    as_of_words: str | None = None,
) -> pd.DataFrame:
    """A checked orders table: customer_id, time (exact, datetime64[ns]), amount (NaN without one), segment, and
    with ``customers`` each order's customer as a row of that table (``code``). ``as_of_words``: where ``as_of``
    came from, when not from the user (:func:`check_after`).

    Raises ScenarioError for missing columns, an empty table, empty ids,
    unreadable or empty dates, dates after ``as_of`` (when given), empty,
    unreadable or negative amounts, empty segments and (when the checked
    ``customers`` table is given) customer ids that are not in it and orders
    dated outside their customer's time on the books (:func:`check_in_life`).
    """
    names = [columns.customer_id, columns.date] + [c for c in (columns.amount, columns.segment) if c]
    _required_columns(frame, names)
    frame = frame.reset_index(drop=True)
    problems: list[Problem] = []
    ids = frame[columns.customer_id]
    blank = check_ids(ids, columns.customer_id, problems, unique=False)
    if customers is not None:
        code = pd.Index(customers["customer_id"]).get_indexer(ids)
        unknown = (code < 0) & ~blank
        problem = _row_problem(unknown, columns.customer_id, lambda i: f"customer id '{ids.iloc[i]}' is not in the customers table")
        if problem:
            problems.append(problem)
    time = parse_dates(frame[columns.date], columns.date, date_format, "order date", problems, required=True)
    if customers is not None:
        check_in_life(time, code, ids, customers, columns.date, "order dated", problems)
    if as_of is not None:
        check_after(time, as_of, columns.date, "order date", problems, as_of_words)
    amount = parse_amounts(frame[columns.amount], columns.amount, problems) if columns.amount else np.full(len(frame), np.nan)
    segment = segments(frame, columns.segment, problems)
    _raise(problems)
    checked = pd.DataFrame({"customer_id": ids.to_numpy(), "time": time.to_numpy(), "amount": amount, "segment": segment.to_numpy()})
    if customers is not None:
        checked["code"] = code
    return checked
