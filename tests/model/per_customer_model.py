"""A slow, literal per-customer simulation of the v1 customer model, for equivalence tests.

Every customer and every contact is drawn individually with numpy's own
samplers; nothing is shared with ``sim/``. It follows the five steps of docs/model.md
for one segment with constant parameters. Customers may differ: with
``churn_mix`` = (alpha, beta) each customer draws its own churn probability
from Beta(alpha, beta) when it arrives, with ``purchase_mix`` = (shape, rate)
its own purchase rate from Gamma(shape, rate), and with ``dropout_mix`` = (a, b)
its own dropout probability p from Beta(a, b): after buying, it becomes
inactive with probability 1 - exp(-rate x buying multiplier x p) and makes no
contacts in that period.
"""

from __future__ import annotations

import numpy as np

N, P, B = 0, 1, 2


def simulate_customers(params: dict[str, float], periods: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Simulate one population for ``periods`` periods; per-period totals as float arrays."""
    churn_mult = np.array([1.0, 1.0 - params["positive_churn_reduction"], 1.0 + params["negative_churn_increase"]])
    buy_mult = np.array([1.0, 1.0 + params["positive_uplift"], 1.0 - params["negative_drop"]])
    back_to_neutral = np.array([0.0, 1.0 / params["positive_duration"], 1.0 / params["negative_duration"]])
    contact_mult = np.array([1.0, 1.0, 1.0 + params.get("negative_contact_increase", 0.0)])
    names = ("arrivals", "churned", "active", "purchases", "revenue", "contacts", "bad_contacts",
             "good_contacts", "walked", "end_N", "end_P", "end_B")
    out = {name: np.zeros(periods) for name in names}

    def own(size: int) -> np.ndarray:
        """New customers' churn probability, purchase rate and dropout probability (columns); no draws without mixes."""
        churn = rng.beta(*params["churn_mix"], size) if "churn_mix" in params else np.full(size, params.get("churn", 0.0))
        shape, rate = params.get("purchase_mix", (None, None))
        buying = rng.gamma(shape, 1.0 / rate, size) if shape else np.full(size, params.get("purchases", 0.0))
        dropout = rng.beta(*params["dropout_mix"], size) if "dropout_mix" in params else np.zeros(size)
        return np.column_stack([churn, buying, dropout])

    state = np.full(int(params["customers"]), N)
    who = own(state.size)
    for t in range(periods):
        # 1. Arrivals join in the neutral state.
        arrivals = rng.poisson(params["arrivals"])
        state = np.concatenate([state, np.full(arrivals, N)])
        who = np.concatenate([who, own(arrivals)])
        # 2. Churn, one coin per customer.
        leaves = rng.random(state.size) < np.minimum(1.0, who[:, 0] * churn_mult[state])
        churned = leaves.sum()
        state, who = state[~leaves], who[~leaves]
        # 3. Activity: each customer's contacts and purchases.
        contacts = rng.poisson(params["contacts"] * contact_mult[state])
        purchases = rng.poisson(who[:, 1] * buy_mult[state])
        revenue = purchases.sum() * params["value_per_purchase"] + state.size * params["fee"]
        active = state.size
        if "dropout_mix" in params:
            # BG/NBD dropout after buying: the customer leaves before contacting support.
            dropped = rng.random(state.size) < -np.expm1(-who[:, 1] * buy_mult[state] * who[:, 2])
            churned += dropped.sum()
            state, who, contacts = state[~dropped], who[~dropped], contacts[~dropped]
        # 4. Each contact is good, bad or neutral; one bad contact may make the customer walk away.
        bad = np.zeros(state.size, dtype=int)
        good = np.zeros(state.size, dtype=int)
        for i, k in enumerate(contacts):
            kinds = rng.random(k)
            bad[i] = np.sum(kinds < params["bad"])
            good[i] = np.sum((kinds >= params["bad"]) & (kinds < params["bad"] + params["good"]))
        walks = (bad > 0) & (rng.random(state.size) < params["walk_away"])
        # 5. State update of those who stay.
        decays = rng.random(state.size) < back_to_neutral[state]
        new_state = np.where(bad > 0, B, np.where(good > 0, P, np.where(decays, N, state)))
        out["arrivals"][t] = arrivals
        out["churned"][t] = churned
        out["active"][t] = active
        out["purchases"][t] = purchases.sum()
        out["revenue"][t] = revenue
        out["contacts"][t] = contacts.sum()
        out["bad_contacts"][t] = bad.sum()
        out["good_contacts"][t] = good.sum()
        out["walked"][t] = walks.sum()
        state, who = new_state[~walks], who[~walks]
        for name, code in (("end_N", N), ("end_P", P), ("end_B", B)):
            out[name][t] = np.sum(state == code)
    return out
