"""Dates the fits rely on, one rule each: a row dated outside its customer's time on the books is refused
alike for orders and tickets, and a holdout's cut-off must come before the end of the data (about 3 s)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sim.errors import ScenarioError
from sim.fit import fit_purchase_rates, fit_spend, holdout_orders, holdout_purchase_rates, holdout_retention
from sim.fit.support import fit_support
from sim.fit.synthetic_support import SupportTruth, as_of, company
from sim.shell.cli import main

DATA = Path(__file__).resolve().parents[2] / "scenarios" / "data"


@pytest.fixture(scope="module")
def small():
    return company(np.random.default_rng(3), SupportTruth(arrivals=40), months=12)


def _lines(call) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        call()
    return caught.value.lines()


def test_a_row_dated_before_its_customer_started_is_refused_alike_for_orders_and_tickets(small):
    customers, tickets, orders = small
    late = customers.sort_values("start_date").iloc[-1]
    early = late["start_date"] - pd.Timedelta(days=5)
    orders, tickets = orders.copy(), tickets.copy()
    orders.loc[0, ["customer_id", "date"]] = [late["customer_id"], early]
    tickets.loc[0, ["customer_id", "opened"]] = [late["customer_id"], early]
    said = f"{early:%Y-%m-%d} is before customer '{late['customer_id']}' started ({late['start_date']:%Y-%m-%d})"
    order_line = f"row 2, column 'date': order dated {said}"
    for call in (lambda: fit_purchase_rates(customers, orders, as_of=as_of(12)),
                 lambda: fit_spend(orders, customers=customers, as_of=as_of(12))):
        assert _lines(call) == [order_line]
    assert _lines(lambda: fit_support(tickets, customers, orders, as_of=as_of(12))) == [
        f"tickets: row 2, column 'opened': ticket opened {said}"]
    assert _lines(lambda: fit_support(tickets.iloc[1:], customers, orders, as_of=as_of(12))) == [f"orders: {order_line}"]


def test_a_cutoff_outside_the_data_is_refused_by_every_holdout(small):
    customers, _, orders = small
    end, early = as_of(12), pd.Timestamp("2000-01-01")
    for cutoff, words in ((end, "must be before the end of the data"), (early, "must be after the first day of the data")):
        for call in (lambda: holdout_orders(orders, cutoff=cutoff, as_of=end),
                     lambda: holdout_retention(customers, cutoff=cutoff, as_of=end),
                     lambda: holdout_purchase_rates(customers, orders, cutoff=cutoff, as_of=end)):
            (line,) = _lines(call)
            assert line.startswith("cutoff: the cut-off ") and words in line


@pytest.mark.parametrize("args, first", [(["fit", "orders", str(DATA / "orders.csv")], "2023-01-06"),
                                         (["fit", "customers", str(DATA / "customers.csv")], "2023-01-01")])
def test_a_cutoff_option_outside_the_data_is_one_line_naming_it(args, first, tmp_path):
    for cutoff, words in (("2030-01-01", "must be before the end of the data (2025-12-31, the as-of day), or the "
                                         "holdout has nothing to predict"),
                          ("2020-01-01", f"must be after the first day of the data ({first}), or the holdout has "
                                         "nothing to fit")):
        result = CliRunner().invoke(main, [*args, "--cutoff", cutoff, "--out", str(tmp_path / "out")])
        assert result.exit_code == 2
        assert result.output == f"--cutoff {cutoff}: {words}\n"
        assert list(tmp_path.iterdir()) == []
