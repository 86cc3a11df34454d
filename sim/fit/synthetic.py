"""Customer lists and order logs drawn customer by customer from KNOWN parameters.

For tests (does a fit recover the truth, do its intervals cover it?),
benchmarks, and the spend and small companies the tests fit (the shipped sample
company in ``scenarios/data/`` comes from :mod:`sim.fit.synthetic_support`,
which reuses :func:`gamma_gamma_amounts`). Every function
takes a ``numpy.random.Generator`` and returns data frames with the default
column names of :mod:`sim.fit.checks` (customers: customer_id, start_date,
end_date, segment; orders: customer_id, date, amount, segment). Everything is
vectorised over customers.

The models are the ones the fits assume:

* retention (:func:`customers`): churn probability per period ``theta ~
  Beta(alpha, beta)`` per customer, churn period ``T ~ Geometric(theta)``,
  the end date a uniformly drawn day of period T (after boundary T-1, on or
  before boundary T: the convention of :func:`sim.fit.retention.durations`);
  customers whose end falls after ``as_of`` are active (end NaT);
* purchases (:func:`orders`, :func:`contract_orders`): Poisson purchases at
  rate ``lambda ~ Gamma(r, rate alpha)`` per time unit, optionally with
  BG/NBD dropout (after each repeat purchase, gone with probability ``p ~
  Beta(a, b)``);
* spend: each purchase ``z ~ Gamma(p, rate nu)``, ``nu ~ Gamma(q, rate
  gamma)`` per customer, rounded to cents (at least 0.01).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.fit.periods import add_periods, unit_days, whole_periods

_NS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class RetentionTruth:
    """sBG parameters of a segment and its share of the customers."""

    alpha: float
    beta: float
    share: float = 1.0


@dataclass(frozen=True)
class PurchaseTruth:
    """Purchase-rate parameters (per ``time_unit``), optional BG/NBD dropout and Gamma-Gamma spend."""

    r: float
    alpha: float
    a: float | None = None
    b: float | None = None
    p: float = 6.0
    q: float = 4.0
    gamma: float = 15.0

    @property
    def mean_spend(self) -> float:
        """p gamma / (q - 1): the population's mean spend per purchase."""
        return self.p * self.gamma / (self.q - 1.0)


def _day(value) -> np.datetime64:
    return np.datetime64(pd.Timestamp(value).normalize().to_datetime64(), "D")


def _segment_codes(rng: np.random.Generator, n: int, shares: list[float]) -> np.ndarray:
    """Segment index of each of ``n`` customers, drawn with the given shares."""
    weights = np.asarray(shares, dtype=float)
    return rng.choice(weights.size, size=n, p=weights / weights.sum())


def customers(
    rng: np.random.Generator,
    n: int,
    *,
    history_start,
    as_of,
    period: str = "month",
    truth: RetentionTruth | Mapping[str, RetentionTruth] = RetentionTruth(0.7, 1.2),
) -> pd.DataFrame:
    """A customer list: start dates uniform over [history_start, as_of], sBG churn, a segment column.

    ``truth`` is one RetentionTruth (segment 'all') or a mapping of segment
    names to truths, whose shares split the customers.
    """
    truths = {"all": truth} if isinstance(truth, RetentionTruth) else dict(truth)
    code = _segment_codes(rng, n, [t.share for t in truths.values()])
    segment = np.array(list(truths), dtype=object)[code]
    first, last = _day(history_start), _day(as_of)
    start = first + rng.integers(0, int((last - first).astype(int)) + 1, size=n).astype("timedelta64[D]")
    alpha = np.array([t.alpha for t in truths.values()])[code]
    beta = np.array([t.beta for t in truths.values()])[code]
    theta = rng.beta(alpha, beta)
    horizon = int(whole_periods(first, last, period)) + 2  # no later churn can fall before as_of
    churn_period = np.minimum(rng.geometric(np.maximum(theta, 1e-12)), horizon + 1)
    before = add_periods(start, churn_period - 1, period)
    length = (add_periods(start, churn_period, period) - before).astype(np.int64)
    end = before + (1 + np.floor(rng.random(n) * length).astype(np.int64)).astype("timedelta64[D]")
    end = np.where(end > last, np.datetime64("NaT"), end)
    return pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1),
            "start_date": start.astype("datetime64[ns]"),
            "end_date": end.astype("datetime64[ns]"),
            "segment": segment,
        }
    )


def gamma_gamma_amounts(rng: np.random.Generator, owner: np.ndarray, n_customers: int, truth: PurchaseTruth) -> np.ndarray:
    """Amounts of purchases whose customer codes are ``owner``: Gamma-Gamma, rounded to cents."""
    nu = rng.gamma(truth.q, 1.0 / truth.gamma, size=n_customers)
    amount = rng.gamma(truth.p, 1.0 / nu[owner])
    return np.maximum(np.round(amount, 2), 0.01)


def _poisson_times(rng, begin_ns: np.ndarray, length_units: np.ndarray, rate: np.ndarray, days: float, keep: np.ndarray | None):
    """Purchase times of Poisson processes on [begin, begin + length), sorted per customer.

    ``keep`` caps the number kept per customer (the first ``keep``: BG/NBD
    dropout after that many). Returns (owner codes, times in ns).
    """
    counts = rng.poisson(rate * length_units)
    owner = np.repeat(np.arange(counts.size), counts)
    offset_ns = rng.random(owner.size) * (length_units[owner] * days * _NS_PER_DAY)
    times = begin_ns[owner] + offset_ns.astype(np.int64)
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    if keep is not None:
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rank = np.arange(owner.size) - starts[owner]
        mask = rank < keep[owner]
        owner, times = owner[mask], times[mask]
    return owner, times


def orders(
    rng: np.random.Generator,
    n: int,
    *,
    history_start,
    end,
    time_unit: str | float = "month",
    truth: PurchaseTruth = PurchaseTruth(0.25, 1.0),
    first_purchase_by=None,
    segment: str = "all",
) -> pd.DataFrame:
    """A non-contractual order log: first purchases uniform over [history_start, first_purchase_by], then repeats to ``end``.

    Times are exact (seconds). Rates are per ``time_unit``; with
    ``truth.a``/``truth.b`` set, customers drop out as in the BG/NBD.
    """
    days = unit_days(time_unit)
    begin = pd.Timestamp(history_start).as_unit("ns").value
    stop = pd.Timestamp(end).as_unit("ns").value
    last_first = pd.Timestamp(first_purchase_by).as_unit("ns").value if first_purchase_by is not None else stop
    birth = begin + (rng.random(n) * (last_first - begin)).astype(np.int64)
    birth -= birth % 10**9  # whole seconds
    age_units = (stop - birth) / (days * _NS_PER_DAY)
    rate = rng.gamma(truth.r, 1.0 / truth.alpha, size=n)
    keep = None
    if truth.a is not None and truth.b is not None:
        keep = rng.geometric(rng.beta(truth.a, truth.b, size=n))
    owner, times = _poisson_times(rng, birth, age_units, rate, days, keep)
    owner = np.concatenate([np.arange(n), owner])
    times = np.concatenate([birth, times - times % 10**9])
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    return pd.DataFrame(
        {
            "customer_id": owner + 1,
            "date": times.astype("datetime64[ns]"),
            "amount": gamma_gamma_amounts(rng, owner, n, truth),
            "segment": np.full(owner.size, segment, dtype=object),
        }
    )


def contract_orders(
    rng: np.random.Generator,
    customer_list: pd.DataFrame,
    *,
    as_of,
    time_unit: str | float = "month",
    truth: PurchaseTruth = PurchaseTruth(2.0, 1.0),
) -> pd.DataFrame:
    """Orders of contract customers while on the books (start day to end day or ``as_of`` day, inclusive); no dropout."""
    days = unit_days(time_unit)
    start = customer_list["start_date"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    end = customer_list["end_date"].to_numpy(dtype="datetime64[ns]")
    close = np.where(np.isnat(end), np.datetime64(pd.Timestamp(as_of).normalize().as_unit("ns").to_datetime64()), end)
    close = (close + np.timedelta64(1, "D")).astype(np.int64)
    n = len(customer_list)
    rate = rng.gamma(truth.r, 1.0 / truth.alpha, size=n)
    owner, times = _poisson_times(rng, start, (close - start) / (days * _NS_PER_DAY), rate, days, None)
    times -= times % 10**9
    return pd.DataFrame(
        {
            "customer_id": customer_list["customer_id"].to_numpy()[owner],
            "date": times.astype("datetime64[ns]"),
            "amount": gamma_gamma_amounts(rng, owner, n, truth),
            "segment": customer_list["segment"].to_numpy()[owner],
        }
    )


def sample_company(rng: np.random.Generator, n: int = 2_000, *, as_of="2025-12-31") -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small subscription company for the tests: four years of monthly customers in two segments, and their orders.

    Truth: 'retail' churn Beta(0.8, 8) per month, 'business' Beta(1.5, 30);
    two purchases a month on average (r = 2, alpha = 1 per month); mean spend
    6 * 15 / 3 = 30 per purchase.
    """
    history_start = pd.Timestamp(as_of) - pd.DateOffset(years=4)
    truth = {"retail": RetentionTruth(0.8, 8.0, 0.7), "business": RetentionTruth(1.5, 30.0, 0.3)}
    customer_list = customers(rng, n, history_start=history_start, as_of=as_of, period="month", truth=truth)
    return customer_list, contract_orders(rng, customer_list, as_of=as_of, time_unit="month", truth=PurchaseTruth(2.0, 1.0))
