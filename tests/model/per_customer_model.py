"""A slow, literal per-customer simulation of the customer model, for equivalence tests.

Every customer and every contact is drawn individually with numpy's own
samplers; nothing is shared with ``sim/``. It follows the five steps of
docs/model.md (section 2.3) for one segment. All draws run at once: each
customer carries the index of its draw and per-draw totals are sums over a
draw's customers (``np.bincount``), so thousands of draws take seconds, but no
count is ever drawn for a group of customers.

Parameters are the engine's, per period (``churn`` per period, ``purchases``
per customer and period, ...), as plain numbers. ``params`` is a dict, or a
function of the period index t = 0 .. periods - 1 returning one: that is how an
intervention's changes enter (see :func:`ramped`).

Customers may differ (docs/model.md 2.5): with ``churn_mix`` = (alpha, beta)
each customer draws its own churn probability from Beta(alpha, beta) when it
arrives, with ``purchase_mix`` = (shape, rate) its own purchase rate from
Gamma(shape, rate), and with ``dropout_mix`` = (a, b) its own dropout
probability q from Beta(a, b): after each of its purchases it tosses a coin
with probability q and becomes inactive if any comes up (so it drops out in a
period with probability 1 - exp(-rate x buying multiplier x q), as documented);
it has made that period's purchases and leaves before contacting support.
Mixes are taken from the first period's parameters (this model does not move
customers between mixes).

With support operations (docs/model.md section 3) ``support(t, wanted)`` gives,
for the contacts each draw's customers want in period t (the expected number,
sum over customers of contacts x state multiplier, after churn), the contact
centre's outcome per draw: ``good`` and ``bad`` shares of a contact, the share
``happening`` (the rest prevented by outreach), ``cost`` and ``capacity``. The
queue is the caller's; the customers, their contacts and experiences are drawn
here one by one as without operations.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

N, P, B = 0, 1, 2

OUTPUTS = ("arrivals", "churned", "active", "purchases", "revenue", "contacts", "walked", "positive", "negative",
           "support_cost", "capacity_cost")
"""Per-draw, per-period totals returned: ``positive`` / ``negative`` are the counts at the end of the period;
the costs only with ``support``."""

Params = dict[str, float] | Callable[[int], dict[str, float]]


def ramped(base: dict[str, float], target: dict[str, float], start: int, ramp: int) -> Callable[[int], dict[str, float]]:
    """Parameters of period t (0-based): ``base + share_t (target - base)`` with share_t = clip((t + 1 - start + 1) / ramp, 0, 1).

    That is docs/model.md section 4: nothing before period ``start`` (1-based),
    1/ramp of the change in period ``start``, the full change from start + ramp - 1.
    """
    def at(t: int) -> dict[str, float]:
        share = min(max((t + 1 - start + 1) / ramp, 0.0), 1.0)
        return {k: v if k not in target else v + share * (target[k] - v) for k, v in base.items()}
    return at


def simulate_population(params: Params, periods: int, draws: int, rng: np.random.Generator,
                        support: Callable | None = None) -> dict[str, np.ndarray]:
    """Simulate ``draws`` independent populations for ``periods`` periods; per-period totals, each (draws, periods)."""
    at = params if callable(params) else (lambda t: params)
    first = at(0)
    out = {name: np.zeros((draws, periods)) for name in OUTPUTS}

    def total(draw: np.ndarray, x) -> np.ndarray:
        return np.bincount(draw, weights=np.asarray(x, dtype=float) * np.ones(draw.size), minlength=draws)

    def own(size: int) -> np.ndarray:
        """New customers' churn probability, purchase rate and dropout probability (NaN: no mix, the period's value)."""
        churn = rng.beta(*first["churn_mix"], size) if "churn_mix" in first else np.full(size, np.nan)
        shape_rate = first.get("purchase_mix")
        buying = rng.gamma(shape_rate[0], 1.0 / shape_rate[1], size) if shape_rate else np.full(size, np.nan)
        dropout = rng.beta(*first["dropout_mix"], size) if "dropout_mix" in first else np.zeros(size)
        return np.column_stack([churn, buying, dropout])

    draw = np.repeat(np.arange(draws), int(first["customers"]))
    state = np.full(draw.size, N)
    who = own(draw.size)
    for t in range(periods):
        p = at(t)
        churn_mult = np.array([1.0, 1.0 - p["positive_churn_reduction"], 1.0 + p["negative_churn_increase"]])
        buy_mult = np.array([1.0, 1.0 + p["positive_uplift"], 1.0 - p["negative_drop"]])
        back_to_neutral = np.array([0.0, 1.0 / p["positive_duration"], 1.0 / p["negative_duration"]])
        contact_mult = np.array([1.0, 1.0, 1.0 + p.get("negative_contact_increase", 0.0)])
        # 1. Arrivals join in the neutral state.
        arrivals = rng.poisson(p["arrivals"], draws)
        new = np.repeat(np.arange(draws), arrivals)
        draw, state, who = np.concatenate([draw, new]), np.concatenate([state, np.full(new.size, N)]), np.concatenate([who, own(new.size)])
        # 2. Churn, one coin per customer.
        churn = np.where(np.isnan(who[:, 0]), p.get("churn", 0.0), who[:, 0])
        leaves = rng.random(draw.size) < np.minimum(1.0, churn * churn_mult[state])
        churned = total(draw[leaves], 1.0)
        draw, state, who = draw[~leaves], state[~leaves], who[~leaves]
        # 3. Activity: each customer's purchases, Poisson at its own rate.
        active = total(draw, 1.0)
        rate = np.where(np.isnan(who[:, 1]), p.get("purchases", 0.0), who[:, 1]) * buy_mult[state]
        bought = rng.poisson(rate)
        purchases = total(draw, bought)
        if "dropout_mix" in first:
            # BG/NBD: a coin after each purchase; who drops out leaves before contacting support.
            coins = rng.random(bought.sum()) < np.repeat(who[:, 2], bought)
            dropped = np.bincount(np.repeat(np.arange(draw.size), bought), weights=coins, minlength=draw.size) > 0
            churned += total(draw[dropped], 1.0)
            draw, state, who = draw[~dropped], state[~dropped], who[~dropped]
        # 4. Contacts, each good, bad or neutral; one bad contact may make the customer walk away.
        wants = p["contacts"] * contact_mult[state]
        if support is None:
            bad_share, good_share = p["bad"], p["good"]
        else:
            outcome = support(t, total(draw, wants))
            wants = wants * np.broadcast_to(outcome.happening, (draws,))[draw]
            bad_share, good_share = outcome.bad[draw], outcome.good[draw]
            out["support_cost"][:, t] = outcome.cost
            out["capacity_cost"][:, t] = outcome.capacity
        contacts = rng.poisson(wants)
        owner = np.repeat(np.arange(draw.size), contacts)
        kinds = rng.random(owner.size)
        if support is not None:
            bad_share, good_share = bad_share[owner], good_share[owner]  # the shares of each contact's draw
        bad = np.bincount(owner, weights=kinds < bad_share, minlength=draw.size)
        good = np.bincount(owner, weights=(kinds >= bad_share) & (kinds < bad_share + good_share), minlength=draw.size)
        walks = (bad > 0) & (rng.random(draw.size) < p["walk_away"])
        # 5. State update: bad -> B, good -> P, else P and B drift back to N.
        decays = rng.random(draw.size) < back_to_neutral[state]
        state = np.where(bad > 0, B, np.where(good > 0, P, np.where(decays, N, state)))
        out["arrivals"][:, t] = arrivals
        out["churned"][:, t] = churned
        out["active"][:, t] = active
        out["purchases"][:, t] = purchases
        out["revenue"][:, t] = purchases * p["value_per_purchase"] + active * p.get("fee", 0.0)
        out["contacts"][:, t] = total(draw, contacts)
        out["walked"][:, t] = total(draw[walks], 1.0)
        draw, state, who = draw[~walks], state[~walks], who[~walks]
        out["positive"][:, t] = total(draw[state == P], 1.0)
        out["negative"][:, t] = total(draw[state == B], 1.0)
    return out
