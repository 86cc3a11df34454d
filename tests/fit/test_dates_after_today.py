"""Without an as-of day a fit takes the latest date in the data; a date after today is a mistake, not the end of
the data, and every fit refuses it through one check (:func:`sim.fit.checks.data_end`) with a line naming the
row, the column and today -- a fixed day here: the fit reads no clock (about 1 s in all, reading the sample data).

A customers.csv with one start_date typed as 2099-01-01 used to be fitted 'as of 2099-01-01': every active
customer survived 900 months, and cxroi fit customers --into wrote that churn into the scenario.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from sim.errors import ScenarioError, UsageError
from sim.fit.checks import data_end
from sim.fit.customers_report import customers_report
from sim.fit.orders_report import orders_report
from sim.fit.reports import DataFile
from sim.fit.support_report import support_report

DATA = Path(__file__).resolve().parents[2] / "scenarios" / "data"
TODAY = date(2026, 12, 7)
ADVICE = "is after today (2026-12-07); correct the date, or give --as-of to say when the data end"


@pytest.fixture(scope="module")
def data():
    return {name: pd.read_csv(DATA / f"{name}.csv", dtype=str, keep_default_na=False)
            for name in ("customers", "orders", "tickets")}


def _edited(frame: pd.DataFrame, row: int, column: str, value: str) -> pd.DataFrame:
    """The table with file row ``row`` (the header is row 1) of ``column`` set to ``value``."""
    frame = frame.copy()
    frame.loc[row - 2, column] = value
    return frame


def _lines(call) -> list[str]:
    """The lines of the error ``call`` raises (fit support puts its problems on their files as a UsageError)."""
    with pytest.raises((ScenarioError, UsageError)) as caught:
        call()
    error = caught.value
    return error.lines() if isinstance(error, ScenarioError) else str(error).splitlines()


def test_the_data_end_is_the_latest_day_and_none_may_be_after_today():
    start = pd.Series(pd.to_datetime(["2024-01-02", "2026-12-07 23:59", "2024-03-01"], format="ISO8601"))
    end = pd.Series(pd.to_datetime([None, "2025-05-05", None]))
    assert data_end({"start_date": start, "end_date": end}, TODAY) == pd.Timestamp("2026-12-07")
    assert data_end({"end_date": pd.Series(pd.to_datetime([None, None]))}, TODAY) is pd.NaT
    late = pd.Series(pd.to_datetime(["2024-01-02", "2099-01-01", "2026-12-08"]))
    assert _lines(lambda: data_end({"start_date": late, "end_date": end}, TODAY)) == [
        "row 3, column 'start_date': 2099-01-01 is after today (2026-12-07); 1 more row like this; correct the date, "
        "or give --as-of to say when the data end"]
    assert data_end({"start_date": late}, None) == pd.Timestamp("2099-01-01")  # no today: nothing to check against


def test_every_fit_without_as_of_refuses_a_date_after_today(data):
    customers, orders, tickets = data["customers"], data["orders"], data["tickets"]
    customer_file, order_file = DataFile("customers.csv"), DataFile("orders.csv")
    start_2099 = _edited(customers, 17, "start_date", "2099-01-01")
    assert _lines(lambda: customers_report(start_2099, file=customer_file, today=TODAY)) == [
        f"customers.csv: row 17, column 'start_date': 2099-01-01 {ADVICE}"]
    end_2099 = _edited(customers, 17, "end_date", "2099-01-01")  # retail-16, active until then
    end_line = f"customers.csv: row 17, column 'end_date': 2099-01-01 {ADVICE}"
    assert _lines(lambda: customers_report(end_2099, file=customer_file, today=TODAY)) == [end_line]
    order_2099 = _edited(orders, 7, "date", "2099-01-01")  # business-11, still a customer
    order_line = f"orders.csv: row 7, column 'date': 2099-01-01 {ADVICE}"
    assert _lines(lambda: orders_report(order_2099, file=order_file, today=TODAY)) == [order_line]
    assert _lines(lambda: orders_report(order_2099, file=order_file, customers=customers, customers_file=customer_file,
                                        today=TODAY)) == [order_line]
    assert _lines(lambda: orders_report(orders, file=order_file, customers=end_2099, customers_file=customer_file,
                                        today=TODAY)) == [end_line]
    ticket_2099 = _edited(tickets, 2, "opened", "2099-01-01 10:00")  # retail-16's ticket
    support = {"tickets_file": DataFile("tickets.csv"), "customers_file": customer_file,
               "columns": {"wait": "wait_minutes"}, "today": TODAY}
    assert _lines(lambda: support_report(ticket_2099, customers, **support)) == [
        f"tickets.csv: row 2, column 'opened': 2099-01-01 {ADVICE}"]
    assert _lines(lambda: support_report(tickets, end_2099, **support)) == [end_line]


def test_with_as_of_a_later_ticket_is_refused_like_a_later_order_or_customer(data):
    customers, orders, tickets = data["customers"], data["orders"], data["tickets"]
    as_of = pd.Timestamp("2025-12-31")
    ticket_2099 = _edited(tickets, 2, "opened", "2099-01-01 10:00")
    assert _lines(lambda: support_report(ticket_2099, customers, tickets_file=DataFile("tickets.csv"),
                                         columns={"wait": "wait_minutes"}, as_of=as_of, today=TODAY)) == [
        "tickets.csv: row 2, column 'opened': ticket opened 2099-01-01 10:00:00 is after the as-of date 2025-12-31"]
    assert _lines(lambda: orders_report(_edited(orders, 7, "date", "2099-01-01"), file=DataFile("orders.csv"),
                                        as_of=as_of, today=TODAY)) == [
        "orders.csv: row 7, column 'date': order date 2099-01-01 is after the as-of date 2025-12-31"]
    assert _lines(lambda: customers_report(_edited(customers, 17, "start_date", "2099-01-01"),
                                           file=DataFile("customers.csv"), as_of=as_of, today=TODAY)) == [
        "customers.csv: row 17, column 'start_date': start date 2099-01-01 is after the as-of date 2025-12-31"]


def test_a_pilot_enrolled_after_today_is_refused():
    from sim.fit.pilot_report import pilot_rows

    pilot = pd.read_csv(DATA / "pilot.csv")
    assert len(pilot_rows(pilot, "bad", TODAY)) == len(pilot)
    assert _lines(lambda: pilot_rows(_edited(pilot, 5, "enrolled", "2099-01-01"), "bad", TODAY)) == [
        "row 5, column 'enrolled': 2099-01-01 is after today (2026-12-07); correct the date"]
