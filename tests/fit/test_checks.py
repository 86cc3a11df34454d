"""Bad data: every kind of problem gives exactly one line naming the column and the file row (header = row 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.errors import ScenarioError
from sim.fit import CustomerColumns, OrderColumns, fit_orders, fit_purchase_rates, fit_retention, spend
from sim.fit import bgnbd as bgnbd_module

AS_OF = "2024-12-31"


def customers(changes: dict | None = None) -> pd.DataFrame:
    """Twelve good customers (rows 2-13 of the file); ``changes`` maps (position, column) -> value."""
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:02d}" for i in range(12)],
            "start_date": ["2023-01-15"] * 12,
            "end_date": ["2023-03-20", "2023-05-02", "2023-08-30", "", "", "", "", "", "2024-02-01", "", "", ""],
        }
    )
    for (position, column), value in (changes or {}).items():
        frame.loc[position, column] = value
    return frame


def lines(call) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        call()
    return caught.value.in_file("customers.csv").lines()


def retention_lines(frame, **kwargs) -> list[str]:
    return lines(lambda: fit_retention(frame, as_of=kwargs.pop("as_of", AS_OF), **kwargs))


def test_good_customers_fit():
    assert fit_retention(customers(), as_of=AS_OF)["all"].n_customers == 12


def test_missing_column_suggests_the_closest_name():
    frame = customers().rename(columns={"end_date": "enddate"})
    assert retention_lines(frame) == ["customers.csv: column 'end_date': missing; did you mean 'enddate'?"]


def test_missing_column_without_a_close_name_lists_the_columns():
    frame = customers().rename(columns={"end_date": "left"})
    assert retention_lines(frame) == ["customers.csv: column 'end_date': missing (the table has: customer_id, start_date, left)"]


def test_named_segment_column_must_exist():
    frame = customers()
    frame["tier"] = "a"
    assert retention_lines(frame, columns=CustomerColumns(segment="teir")) == [
        "customers.csv: column 'teir': missing; did you mean 'tier'?"
    ]


def test_empty_table():
    assert retention_lines(customers().iloc[:0]) == ["customers.csv: the table has no data rows"]


def test_unparsable_dates_name_the_first_row_and_count_the_rest():
    frame = customers({(3, "start_date"): "2023-13-01", (5, "start_date"): "15/01/2023", (6, "start_date"): "soon"})
    assert retention_lines(frame) == [
        "customers.csv: row 5, column 'start_date': cannot read '2023-13-01' as a date (expected ISO 8601, e.g. 2024-01-31); 2 more rows like this"
    ]


def test_a_date_beyond_what_can_be_held_is_an_unreadable_date_not_an_overflow():
    """ISO 8601 reads '-1' as the year -1 and '99999-01-01' as a year past 2262, outside datetime64[ns]:
    one line naming the row, as any unreadable date (it was an OutOfBoundsDatetime traceback, exit 1)."""
    frame = customers({(2, "start_date"): "-1", (4, "end_date"): "99999-01-01"})
    assert retention_lines(frame) == [
        "customers.csv: row 4, column 'start_date': cannot read '-1' as a date (expected ISO 8601, e.g. 2024-01-31)",
        "customers.csv: row 6, column 'end_date': cannot read '99999-01-01' as a date (expected ISO 8601, e.g. 2024-01-31)",
    ]


def test_date_format_is_a_parameter():
    frame = customers()
    frame["start_date"] = "15/01/2023"
    frame["end_date"] = frame["end_date"].str.replace(r"(\d{4})-(\d{2})-(\d{2})", r"\3/\2/\1", regex=True)
    assert fit_retention(frame, as_of=AS_OF, date_format="%d/%m/%Y")["all"].n_customers == 12
    frame.loc[4, "end_date"] = "2024-02-01"
    assert retention_lines(frame, date_format="%d/%m/%Y") == [
        "customers.csv: row 6, column 'end_date': cannot read '2024-02-01' as a date (expected %d/%m/%Y)"
    ]


def test_empty_start_date():
    assert retention_lines(customers({(0, "start_date"): " "})) == ["customers.csv: row 2, column 'start_date': the start date is empty"]


def test_end_before_start():
    frame = customers({(1, "end_date"): "2023-01-14", (2, "end_date"): "2022-12-01"})
    assert retention_lines(frame) == [
        "customers.csv: row 3, column 'end_date': end date 2023-01-14 is before the start date 2023-01-15; 1 more row like this"
    ]


def test_dates_after_as_of():
    frame = customers({(4, "start_date"): "2025-01-02", (8, "end_date"): "2025-03-01"})
    assert retention_lines(frame) == [
        "customers.csv: row 6, column 'start_date': start date 2025-01-02 is after the as-of date 2024-12-31",
        "customers.csv: row 10, column 'end_date': end date 2025-03-01 is after the as-of date 2024-12-31",
    ]


def test_duplicate_and_empty_customer_ids():
    frame = customers({(5, "customer_id"): "C01", (7, "customer_id"): "C01", (9, "customer_id"): None})
    assert retention_lines(frame) == [
        "customers.csv: row 11, column 'customer_id': the customer id is empty",
        "customers.csv: row 7, column 'customer_id': customer id 'C01' appears again (first in row 3); 1 more row like this",
    ]


def test_empty_segment():
    frame = customers()
    frame["segment"] = ["a"] * 6 + ["b"] * 5 + [""]
    assert retention_lines(frame) == [
        "customers.csv: row 13, column 'segment': the segment is empty; name one or leave the whole column out"
    ]


def test_too_few_customers_and_no_churn():
    assert retention_lines(customers().iloc[:5]) == [
        "customers.csv: only 5 customers; a retention fit needs at least 10; give a longer history"
    ]
    quiet = customers()
    quiet["end_date"] = ""
    assert retention_lines(quiet) == [
        "customers.csv: no churn events among 12 customers; needs at least 2 churn events; give a longer history"
    ]


def test_several_problems_come_together_one_line_each():
    frame = customers({(0, "start_date"): "x", (1, "end_date"): "2023-01-01", (2, "customer_id"): "C00"})
    assert len(retention_lines(frame)) == 3


# --- orders --------------------------------------------------------------------------------------------------------


def orders(changes: dict | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"customer_id": ["C00", "C00", "C01", "C02", "C02"], "date": ["2024-01-05"] * 5, "amount": ["10.50", "3", "7", "12", "8"]}
    )
    for (position, column), value in (changes or {}).items():
        frame.loc[position, column] = value
    return frame


def order_lines(frame, **kwargs) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        fit_orders(frame, **kwargs)
    return caught.value.in_file("orders.csv").lines()


def test_amount_problems():
    frame = orders({(1, "amount"): "-3", (2, "amount"): "seven", (3, "amount"): None, (4, "amount"): "1,5"})
    assert order_lines(frame) == [
        "orders.csv: row 5, column 'amount': the amount is empty",
        "orders.csv: row 4, column 'amount': cannot read 'seven' as an amount; 1 more row like this",
        "orders.csv: row 3, column 'amount': amount -3 is negative",
    ]


def test_order_columns_are_parameters():
    frame = orders().rename(columns={"customer_id": "client", "date": "when", "amount": "value"})
    assert order_lines(frame) == [
        "orders.csv: column 'customer_id': missing (the table has: client, when, value)",
        "orders.csv: column 'date': missing (the table has: client, when, value)",
        "orders.csv: column 'amount': missing (the table has: client, when, value)",
    ]
    columns = OrderColumns(customer_id="client", date="when", amount="value")
    assert order_lines(frame, columns=columns) == [
        "orders.csv: only 3 customers with orders; a purchase fit needs at least 20; give a longer history",
        "orders.csv: only 0 customers with repeat purchases and positive spend; a spend fit needs at least 10; give a longer history",
    ]


def test_orders_of_unknown_customers_and_after_as_of():
    frame = orders({(2, "customer_id"): "X9", (4, "date"): "2025-01-01"})
    on_the_books = customers({(0, "end_date"): "", (1, "end_date"): "", (2, "end_date"): ""})  # orders in their time
    with pytest.raises(ScenarioError) as caught:
        fit_purchase_rates(on_the_books, frame, as_of=AS_OF)
    assert caught.value.in_file("orders.csv").lines() == [
        "orders.csv: row 4, column 'customer_id': customer id 'X9' is not in the customers table",
        "orders.csv: row 6, column 'date': order date 2025-01-01 is after the as-of date 2024-12-31",
    ]


# --- fits that cannot give an answer -------------------------------------------------------------------------------


def test_spend_with_q_at_most_one_is_refused():
    """Spend so heavy-tailed that the mean is infinite (q = 0.8): the fit says so instead of returning a number."""
    rng = np.random.default_rng(0)
    x = rng.integers(1, 6, 3000)
    nu = rng.gamma(0.8, 1 / 15.0, 3000)
    m = rng.gamma(6.0 * x, 1 / (nu * x))
    with pytest.raises(ScenarioError) as caught:
        spend.fit(x, m, label="segment 'web'")
    assert caught.value.lines() == [
        "segment 'web': the spend fit gives q = 0.797 <= 1, so the mean spend p*gamma/(q-1) is not finite: a few very large "
        "orders dominate; check the amounts for outliers or another currency, or model spend another way"
    ]


def test_bgnbd_that_cannot_converge_says_so():
    """Nobody ever drops out and everyone buys alike: a and b, r and alpha all run away."""
    n = 200
    x = np.full(n, 10.0)
    t_x = np.full(n, 9.9)
    T = np.full(n, 10.0)
    with pytest.raises(ScenarioError) as caught:
        bgnbd_module.fit(x, t_x, T, label="segment 'shop'")
    assert caught.value.lines() == [
        "segment 'shop': the BG/NBD purchase fit does not converge: r, alpha and a ran to the edge of the parameter space; "
        "pool it with another segment or give a longer history"
    ]
