"""A slow, literal per-customer simulation of the v1 customer model, for equivalence tests.

Every customer and every contact is drawn individually with numpy's own
samplers; nothing is shared with ``sim/``. It follows the five steps of docs/model.md
for one segment with constant parameters.
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
    state = np.full(int(params["customers"]), N)
    for t in range(periods):
        # 1. Arrivals join in the neutral state.
        arrivals = rng.poisson(params["arrivals"])
        state = np.concatenate([state, np.full(arrivals, N)])
        # 2. Churn, one coin per customer.
        leaves = rng.random(state.size) < np.minimum(1.0, params["churn"] * churn_mult[state])
        churned = leaves.sum()
        state = state[~leaves]
        # 3. Activity: each customer's contacts and purchases.
        contacts = rng.poisson(params["contacts"] * contact_mult[state])
        purchases = rng.poisson(params["purchases"] * buy_mult[state])
        revenue = purchases.sum() * params["value_per_purchase"] + state.size * params["fee"]
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
        out["active"][t] = state.size
        out["purchases"][t] = purchases.sum()
        out["revenue"][t] = revenue
        out["contacts"][t] = contacts.sum()
        out["bad_contacts"][t] = bad.sum()
        out["good_contacts"][t] = good.sum()
        out["walked"][t] = walks.sum()
        state = new_state[~walks]
        for name, code in (("end_N", N), ("end_P", P), ("end_B", B)):
            out[name][t] = np.sum(state == code)
    return out
