"""A parameter the data hardly pin down has a log-scale Wald interval unbounded above: +inf, reached without an
overflow warning, and every finite end the same float as before (about 3 s: one support fit of the sample company's
business customers)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import sim
from sim.fit.mle import Estimates

DATA = "scenarios/data/"


def test_an_upper_end_beyond_the_largest_float_is_inf_without_a_warning():
    # The sample company's business customers: negative_duration - 1 is 0.00081 with a standard error of 0.527,
    # so exp(1.96 * se / estimate) = exp(1275), far beyond the largest float (exp(709.78)).
    estimates = Estimates(("edge", "plain"), np.array([0.0008107265123316639, 2.0]),
                          np.diag([0.5272402963931945, 0.1]) ** 2, 0.0, 100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert estimates.interval("edge") == (0.0, float("inf"))
        spread = 1.959963984540054 * 0.1 / 2.0
        assert estimates.interval("plain") == (float(2.0 * np.exp(-spread)), float(2.0 * np.exp(spread)))


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_the_python_apis_support_report_warns_of_no_overflow(root):
    """`sim.support_report(...)` as docs/python.md calls it once printed 'RuntimeWarning: overflow encountered in
    exp' (sim/fit/mle.py, the interval of the business customers' negative duration)."""
    customers = pd.read_csv(root / DATA / "customers.csv")
    tickets = pd.read_csv(root / DATA / "tickets.csv")
    business = customers[customers["segment"] == "business"]
    report = sim.support_report(tickets[tickets["customer_id"].isin(business["customer_id"])], business)
    duration = report.fits["business"].estimates["negative_duration"]
    assert duration.low == 1.0 and duration.high == float("inf") and 1.0 < duration.value < 1.01
