"""From an order log to the per-customer summaries the purchase models fit, and the holdout check.

Input is a *checked* orders frame (:func:`sim.fit.checks.check_orders`:
customer_id, time, amount, segment). Conventions:

* **A purchase** is one customer at one timestamp: orders of the same
  customer at the same exact time are one purchase, their amounts added.
  With date-only data that is one purchase per customer per day, as in Fader
  & Hardie's preparation of the CDNOW data.
* **Frequency** ``x`` is the number of *repeat* purchases (all but the
  first), **recency** ``t_x`` the time from the first purchase to the last,
  **age** ``T`` the time from the first purchase to the cut-off. Times are
  exact (nanosecond timestamps) divided by the unit's length in days (see
  :mod:`sim.fit.periods`: a month is 30.4375 days), never rounded to whole
  weeks or periods.
* **Calibration** orders are those at or before the cut-off (``time <=
  cutoff``; with times of day, pass the end of the day to include all of it);
  **holdout** orders are after the cut-off and at or before the holdout end.
  Customers whose first purchase is after the cut-off are not in the
  calibration summary.
* **Mean repeat spend** ``m_x`` is the mean amount of the repeat purchases
  (the first purchase is left out, as the Gamma-Gamma model expects); NaN
  for customers without repeat purchases.
* **Segment** of a customer is the segment on their first order.

Everything is vectorised: one sort of the orders, then bincounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.fit.periods import unit_days

GROUPS = 8
"""Frequency groups of the holdout report: 0, 1, ..., 6 and 7+."""

_NS_PER_DAY = 86_400e9


@dataclass(frozen=True, eq=False)
class Purchases:
    """Orders merged into purchases, sorted by customer then time.

    ``customer`` holds codes into ``ids``; ``first`` marks each customer's first purchase.
    """

    ids: np.ndarray
    customer: np.ndarray
    time: np.ndarray  # int64 nanoseconds
    amount: np.ndarray
    segment: np.ndarray  # per purchase (the order's segment)

    @property
    def first(self) -> np.ndarray:
        new = np.ones(self.customer.size, dtype=bool)
        new[1:] = self.customer[1:] != self.customer[:-1]
        return new


def purchases(orders: pd.DataFrame, *, ids=None) -> Purchases:
    """Merge a checked orders frame into purchases (one per customer and exact time), sorted.

    ``ids`` fixes the customer codes (e.g. a customers table's ids); orders of
    other customers are dropped.
    """
    if ids is None:
        codes, ids = pd.factorize(orders["customer_id"], sort=False)
        ids = np.asarray(ids)
    else:
        ids = np.asarray(ids)
        codes = pd.Index(ids).get_indexer(orders["customer_id"])
    time = orders["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    amount = orders["amount"].to_numpy(dtype=float)
    segment = orders["segment"].to_numpy()
    keep = codes >= 0
    codes, time, amount, segment = codes[keep], time[keep], amount[keep], segment[keep]
    order = np.lexsort((time, codes))
    codes, time, amount, segment = codes[order], time[order], amount[order], segment[order]
    new = np.ones(codes.size, dtype=bool)
    new[1:] = (codes[1:] != codes[:-1]) | (time[1:] != time[:-1])
    purchase = np.cumsum(new) - 1
    merged_amount = np.bincount(purchase, weights=np.nan_to_num(amount, nan=0.0), minlength=int(new.sum()))
    if np.isnan(amount).all():
        merged_amount = np.full(merged_amount.size, np.nan)
    return Purchases(ids, codes[new], time[new], merged_amount, segment[new])


def _cut(stamp) -> np.int64:
    return np.int64(pd.Timestamp(stamp).as_unit("ns").value)


def rfm(orders: pd.DataFrame, *, cutoff=None, time_unit: str | float = "month") -> pd.DataFrame:
    """Per-customer calibration summary, indexed by customer_id.

    Columns: segment, first_purchase (timestamp), x (repeat purchases),
    t_x and T (in ``time_unit``), purchases (x + 1), spend (total of all
    purchases) and m_x (mean repeat spend, NaN when x = 0). ``cutoff``
    defaults to the last order's time.
    """
    return rfm_of(purchases(orders), cutoff=cutoff, time_unit=time_unit)


def rfm_of(bought: Purchases, *, cutoff=None, time_unit: str | float = "month") -> pd.DataFrame:
    """:func:`rfm` of orders already merged into purchases (:func:`purchases`), for a caller that needs both."""
    end = _cut(cutoff) if cutoff is not None else (bought.time.max() if bought.time.size else np.int64(0))
    return _summarise(_select(bought, bought.time <= end), end, unit_days(time_unit))


def _select(bought: Purchases, mask: np.ndarray) -> Purchases:
    return Purchases(bought.ids, bought.customer[mask], bought.time[mask], bought.amount[mask], bought.segment[mask])


def _summarise(bought: Purchases, end: np.int64, days: float) -> pd.DataFrame:
    first = bought.first
    starts = np.flatnonzero(first)
    customer = bought.customer[starts]
    count = np.diff(np.append(starts, bought.customer.size))
    last = np.append(starts[1:], bought.customer.size) - 1
    unit = _NS_PER_DAY * days
    first_time = bought.time[starts]
    total = np.add.reduceat(bought.amount, starts) if starts.size else np.zeros(0)
    x = count - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        m_x = np.where(x > 0, (total - bought.amount[starts]) / x, np.nan)
    frame = pd.DataFrame(
        {
            "segment": bought.segment[starts],
            "first_purchase": first_time.astype("datetime64[ns]"),
            "x": x,
            "t_x": (bought.time[last] - first_time) / unit,
            "T": (end - first_time) / unit,
            "purchases": count,
            "spend": total,
            "m_x": m_x,
        },
        index=pd.Index(bought.ids[customer], name="customer_id"),
    )
    return frame


@dataclass(frozen=True, eq=False)
class CalibrationHoldout:
    """A calibration summary (:func:`rfm` columns plus ``x_holdout``, purchases in the holdout) and the holdout's length."""

    summary: pd.DataFrame
    duration: float
    time_unit: str | float


def split(orders: pd.DataFrame, *, cutoff, holdout_end=None, time_unit: str | float = "month") -> CalibrationHoldout:
    """Calibration summary up to ``cutoff`` and each calibration customer's purchases in (cutoff, holdout_end].

    ``holdout_end`` defaults to the last order's time. ``duration`` is the
    holdout's length in ``time_unit``.
    """
    bought = purchases(orders)
    cut = _cut(cutoff)
    end = _cut(holdout_end) if holdout_end is not None else bought.time.max()
    days = unit_days(time_unit)
    summary = _summarise(_select(bought, bought.time <= cut), cut, days)
    later = (bought.time > cut) & (bought.time <= end)
    counts = np.bincount(bought.customer[later], minlength=bought.ids.size)
    codes = pd.Index(bought.ids).get_indexer(summary.index)
    summary["x_holdout"] = counts[codes]
    return CalibrationHoldout(summary, float((end - cut) / (_NS_PER_DAY * days)), time_unit)


def frequency_group(x) -> np.ndarray:
    """Report group of each frequency: '0', '1', ..., '6', '7+'."""
    x = np.asarray(x, dtype=np.int64)
    labels = np.array([str(i) for i in range(GROUPS - 1)] + [f"{GROUPS - 1}+"])
    return labels[np.minimum(x, GROUPS - 1)]


def holdout_report(predicted: np.ndarray, summary: pd.DataFrame) -> pd.DataFrame:
    """Predicted vs actual holdout purchases per calibration frequency group (0..6, 7+) and in total.

    ``predicted`` is each customer's expected holdout purchases (e.g.
    :meth:`sim.fit.bgnbd.BGNBDFit.conditional_purchases`). Columns: group,
    customers, actual_mean, predicted_mean, actual_total, predicted_total,
    error_pct (predicted total against actual, in %).
    """
    frame = pd.DataFrame(
        {"group": frequency_group(summary["x"].to_numpy()), "actual": summary["x_holdout"].to_numpy(float), "predicted": predicted}
    )
    order = [str(i) for i in range(GROUPS - 1)] + [f"{GROUPS - 1}+"]
    grouped = frame.groupby("group").agg(customers=("actual", "size"), actual_total=("actual", "sum"), predicted_total=("predicted", "sum"))
    grouped = grouped.reindex([g for g in order if g in grouped.index])
    grouped.loc["all"] = [len(frame), frame["actual"].sum(), frame["predicted"].sum()]
    grouped["actual_mean"] = grouped["actual_total"] / grouped["customers"]
    grouped["predicted_mean"] = grouped["predicted_total"] / grouped["customers"]
    with np.errstate(divide="ignore", invalid="ignore"):
        grouped["error_pct"] = 100.0 * (grouped["predicted_total"] / grouped["actual_total"] - 1.0)
    grouped["customers"] = grouped["customers"].astype(np.int64)
    return grouped.reset_index()[["group", "customers", "actual_mean", "predicted_mean", "actual_total", "predicted_total", "error_pct"]]


def exposure(
    customers: pd.DataFrame, orders: pd.DataFrame, *, as_of, time_unit: str | float = "month", active_only: bool = True
) -> pd.DataFrame:
    """Purchases and time on the books per customer of a contractual business.

    ``customers`` and ``orders`` are checked frames. A customer is on the books
    for whole days, from the start date up to and including the end date
    (churned) or the ``as_of`` date (active): exposure ``t`` is that many days
    in ``time_unit``, and ``x`` counts their purchases in those days.
    ``active_only`` keeps the customers active at ``as_of``. Columns:
    customer_id, segment, x, t.
    """
    as_of_day = np.datetime64(pd.Timestamp(as_of).normalize().as_unit("ns").to_datetime64())
    start = customers["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    end = customers["end"].to_numpy(dtype="datetime64[ns]")
    active = np.isnat(end)
    close = (np.where(active, as_of_day, end) + np.timedelta64(1, "D")).astype(np.int64)  # end of the last day
    bought = purchases(orders, ids=customers["customer_id"].to_numpy())
    inside = (bought.time >= start[bought.customer]) & (bought.time < close[bought.customer])
    counts = np.bincount(bought.customer[inside], minlength=len(customers))
    t = (close - start) / (_NS_PER_DAY * unit_days(time_unit))
    frame = pd.DataFrame(
        {"customer_id": customers["customer_id"].to_numpy(), "segment": customers["segment"].to_numpy(), "x": counts, "t": t}
    )
    return frame[active].reset_index(drop=True) if active_only else frame
