"""A company's customers, support tickets and orders drawn customer by customer from KNOWN experience effects.

For the recovery and bias tests of :mod:`sim.fit.support`, its benchmark and the
sample company in ``scenarios/data/`` (``make_sample_company.py``). Customers follow the customer model's
five steps per calendar month (the same steps as ``tests/model/per_customer_model.py``):
arrive neutral; churn with the monthly churn times their state's multiplier;
contact support (Poisson) and buy (Poisson, times the state's buying multiplier);
each contact waits a lognormal time, is *satisfied* with the response curve's
share at that wait (CSAT 4-5), otherwise *bad* with probability
``bad_when_dissatisfied`` (CSAT 1-2) or neutral (CSAT 3); a customer with a bad
contact walks away with probability ``walk_away``; then bad -> negative,
satisfied -> positive, otherwise back to neutral with probability 1 / duration.

The columns are those :mod:`sim.fit.checks` and :mod:`sim.fit.support` read by
default: customers (customer_id, start_date, end_date, segment), tickets
(customer_id, opened, channel, wait_minutes, csat) and orders (customer_id,
date, amount, segment).

``frailty_sd`` adds the confounder the observational estimates cannot remove: each
customer's base churn and contact rate are multiplied by ``exp(z)`` and
``exp(contact_link * z)``, ``z ~ Normal(0, frailty_sd)``, so customers who churn
more also contact support more (and so have more bad contacts).

``problem_share`` adds a second, *product-problem* confounder: that share of
customers has a problem with the product for their whole life, which multiplies
their base churn by ``problem_churn``, their satisfied share by
``problem_satisfied`` and makes a dissatisfied contact bad with probability
``problem_bad`` -- so they have more bad contacts *and* leave more, whatever the
contacts do. Tickets then carry a ``category``: a problem customer's ticket is
``product`` with probability ``problem_label``, the others ``billing`` or ``other``
(a customer without the problem files ``product`` with probability 0.1). With
``problem_share = 0`` (the default) no category is drawn and the random stream is
the one without it.

Customers who differ in the forms the other fits assume (all optional, off by
default): ``churn_mix = (alpha, beta)`` draws each customer's base churn from
Beta(alpha, beta) instead of ``churn`` (sBG, Fader & Hardie 2007);
``purchase_shape`` draws each customer's base purchase rate from a Gamma with
that shape and mean ``purchases`` (NBD); ``spend = (p, q, gamma)`` draws the
amounts as :mod:`sim.fit.synthetic` does (Gamma-Gamma, Fader, Hardie & Lee 2005)
instead of Gamma(4) with mean ``share_of_spend``. The experience multipliers act
on these base rates as on the constant ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.fit.synthetic import PurchaseTruth, gamma_gamma_amounts
from sim.support.response import ResponseCurve

N, P, B = 0, 1, 2
CHANNELS = ("phone", "chat", "email")


@dataclass(frozen=True)
class SupportTruth:
    """The known parameters of one segment (per month)."""

    churn: float = 0.02
    contacts: float = 0.4
    purchases: float = 1.0
    walk_away: float = 0.25
    negative_churn_increase: float = 1.0
    positive_churn_reduction: float = 0.3
    negative_drop: float = 0.4
    positive_uplift: float = 0.2
    negative_duration: float = 6.0
    positive_duration: float = 4.0
    curve: ResponseCurve = ResponseCurve(4.0, -1.2)
    wait_median_minutes: float = 6.0
    wait_sigma: float = 1.0
    bad_when_dissatisfied: float = 0.5
    arrivals: float = 400.0
    share_of_spend: float = 50.0
    frailty_sd: float = 0.0
    contact_link: float = 1.0
    churn_mix: tuple[float, float] | None = None
    purchase_shape: float | None = None
    spend: tuple[float, float, float] | None = None
    problem_share: float = 0.0
    problem_churn: float = 3.0
    problem_satisfied: float = 0.6
    problem_bad: float = 0.9
    problem_label: float = 0.8


def company(rng: np.random.Generator, truths: SupportTruth | Mapping[str, SupportTruth], *, months: int = 36,
            start="2023-01-01") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(customers, tickets, orders) of ``months`` calendar months from ``start``, per segment of ``truths``.

    The as-of date is the last day of the last month: customers still active then have no end date.
    """
    truths = {"all": truths} if isinstance(truths, SupportTruth) else dict(truths)
    parts = [_segment(rng, name, truth, months, pd.Timestamp(start)) for name, truth in truths.items()]
    customers, tickets, orders = (pd.concat([p[i] for p in parts], ignore_index=True) for i in range(3))
    return customers, tickets.sort_values("opened", kind="stable").reset_index(drop=True), \
        orders.sort_values("date", kind="stable").reset_index(drop=True)


def as_of(months: int = 36, start="2023-01-01") -> pd.Timestamp:
    """The last day of the simulated history."""
    return pd.Timestamp(start) + pd.DateOffset(months=months) - pd.Timedelta(days=1)


def _segment(rng, name: str, truth: SupportTruth, months: int, start: pd.Timestamp):
    churn_mult = np.array([1.0, 1.0 - truth.positive_churn_reduction, 1.0 + truth.negative_churn_increase])
    buy_mult = np.array([1.0, 1.0 + truth.positive_uplift, 1.0 - truth.negative_drop])
    back = np.array([0.0, 1.0 / truth.positive_duration, 1.0 / truth.negative_duration])
    month_starts = pd.date_range(start, periods=months + 1, freq="MS").to_numpy().astype("datetime64[s]").astype(np.int64)
    state = np.zeros(0, dtype=int)
    ident = np.zeros(0, dtype=np.int64)
    frailty = np.zeros(0)
    problem = np.zeros(0, dtype=bool)
    base_churn = np.zeros(0)
    base_buy = np.zeros(0)
    start_s = np.zeros(0, dtype=np.int64)
    born, ended = [], {}
    tickets, orders = [], []
    next_id = 1
    for t in range(months):
        begin, end = month_starts[t], month_starts[t + 1]
        # 1. arrivals: neutral, start at a random second of the month
        k = rng.poisson(truth.arrivals)
        new_start = begin + (rng.random(k) * (end - begin)).astype(np.int64)
        new_start -= new_start % 86_400
        ids = np.arange(next_id, next_id + k)
        next_id += k
        born.append((ids, new_start))
        state = np.concatenate([state, np.zeros(k, dtype=int)])
        ident = np.concatenate([ident, ids])
        frailty = np.concatenate([frailty, rng.normal(0.0, truth.frailty_sd, k) if truth.frailty_sd else np.zeros(k)])
        start_s = np.concatenate([start_s, new_start])
        new_problem = rng.random(k) < truth.problem_share if truth.problem_share else np.zeros(k, dtype=bool)
        problem = np.concatenate([problem, new_problem])
        new_churn = rng.beta(*truth.churn_mix, k) if truth.churn_mix else np.full(k, truth.churn)
        base_churn = np.concatenate([base_churn, np.where(new_problem, new_churn * truth.problem_churn, new_churn)])
        base_buy = np.concatenate([base_buy, rng.gamma(truth.purchase_shape, truth.purchases / truth.purchase_shape, k)
                                   if truth.purchase_shape else np.full(k, truth.purchases)])
        # 2. churn on the state at the start of the month; end on a random day of the month (after the start)
        leaves = rng.random(state.size) < np.minimum(1.0, base_churn * np.exp(frailty) * churn_mult[state])
        lo = np.maximum(start_s[leaves], begin)
        day = lo + (rng.random(leaves.sum()) * (end - lo)).astype(np.int64)
        for i, d in zip(ident[leaves], day - day % 86_400):
            ended[int(i)] = d
        keep = ~leaves
        state, ident, frailty, start_s, problem = state[keep], ident[keep], frailty[keep], start_s[keep], problem[keep]
        base_churn, base_buy = base_churn[keep], base_buy[keep]
        lo = np.maximum(start_s, begin)
        # 3. contacts and purchases within the customer's days of the month
        rate = truth.contacts * np.exp(truth.contact_link * frailty) if truth.frailty_sd else np.full(state.size, truth.contacts)
        n_contacts = rng.poisson(rate)
        n_buys = rng.poisson(base_buy * buy_mult[state])
        owner = np.repeat(np.arange(state.size), n_contacts)
        wait = np.exp(np.log(truth.wait_median_minutes) + truth.wait_sigma * rng.standard_normal(owner.size))
        if truth.problem_share:
            hit = problem[owner]
            satisfied = rng.random(owner.size) < truth.curve.satisfied(wait) * np.where(hit, truth.problem_satisfied, 1.0)
            bad = ~satisfied & (rng.random(owner.size) < np.where(hit, truth.problem_bad, truth.bad_when_dissatisfied))
        else:
            satisfied = rng.random(owner.size) < truth.curve.satisfied(wait)
            bad = ~satisfied & (rng.random(owner.size) < truth.bad_when_dissatisfied)
        csat = np.where(satisfied, rng.integers(4, 6, owner.size), np.where(bad, rng.integers(1, 3, owner.size), 3))
        opened = lo[owner] + (rng.random(owner.size) * (end - lo[owner])).astype(np.int64)
        frame = pd.DataFrame({"customer_id": ident[owner], "opened": opened, "channel": rng.choice(CHANNELS, owner.size),
                              "wait_minutes": np.round(wait, 2), "csat": csat})
        if truth.problem_share:
            product = rng.random(owner.size) < np.where(problem[owner], truth.problem_label, 0.1)
            frame["category"] = np.where(product, "product", rng.choice(["billing", "other"], owner.size))
        tickets.append(frame)
        buyer = np.repeat(np.arange(state.size), n_buys)
        orders.append((ident[buyer], lo[buyer] + (rng.random(buyer.size) * (end - lo[buyer])).astype(np.int64)))
        # 4. walk away after a bad contact: the customer leaves at the end of the month
        any_bad = np.bincount(owner[bad], minlength=state.size) > 0
        any_good = np.bincount(owner[satisfied], minlength=state.size) > 0
        walks = any_bad & (rng.random(state.size) < truth.walk_away)
        for i in ident[walks]:
            ended[int(i)] = end - 86_400
        # 5. state update of those who stay
        decays = rng.random(state.size) < back[state]
        state = np.where(any_bad, B, np.where(any_good, P, np.where(decays, N, state)))
        keep = ~walks
        state, ident, frailty, start_s, problem = state[keep], ident[keep], frailty[keep], start_s[keep], problem[keep]
        base_churn, base_buy = base_churn[keep], base_buy[keep]
    ids = np.concatenate([b[0] for b in born])
    starts = np.concatenate([b[1] for b in born])
    ends = np.array([ended.get(int(i), -1) for i in ids], dtype=np.int64)
    customers = pd.DataFrame({
        "customer_id": [f"{name}-{i}" for i in ids],
        "start_date": pd.to_datetime(starts, unit="s"),
        "end_date": pd.Series(pd.to_datetime(np.where(ends >= 0, ends, 0), unit="s")).where(ends >= 0),
        "segment": name,
    })
    ticket_frame = pd.concat(tickets, ignore_index=True)
    ticket_frame["customer_id"] = [f"{name}-{i}" for i in ticket_frame["customer_id"]]
    ticket_frame["opened"] = pd.to_datetime(ticket_frame["opened"], unit="s")
    order_owner = np.concatenate([o[0] for o in orders])
    order_time = np.concatenate([o[1] for o in orders])
    order_frame = pd.DataFrame({
        "customer_id": [f"{name}-{i}" for i in order_owner],
        "date": pd.to_datetime(order_time, unit="s"),
        "amount": _amounts(rng, truth, order_owner, next_id),
        "segment": name,
    })
    return customers, ticket_frame, order_frame


def _amounts(rng, truth: SupportTruth, owner: np.ndarray, n_ids: int) -> np.ndarray:
    """Spend per order: Gamma-Gamma per customer (``truth.spend``) or Gamma(4) with mean ``share_of_spend``."""
    if truth.spend is None:
        return np.round(rng.gamma(4.0, truth.share_of_spend / 4.0, owner.size) + 0.01, 2)
    p, q, gamma = truth.spend
    return gamma_gamma_amounts(rng, owner, n_ids, PurchaseTruth(r=1.0, alpha=1.0, p=p, q=q, gamma=gamma))
