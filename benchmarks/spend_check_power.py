"""Size and power of the spend review's predictive check (sim.fit.spend_checks): Gamma-Gamma amounts against
lognormal amounts of the same mean.

    PYTHONPATH=. python benchmarks/spend_check_power.py [COMPANIES] [SIGMA]

Each company is synthetic.sample_company's (2,000 contract customers over four years, two purchases a month, seeds
0..COMPANIES-1, both segments), its amounts Gamma-Gamma (p 6, q 4, gamma 15: the truth) or, per customer with the
same nu ~ Gamma(q, gamma), lognormal with the same mean p / nu and log-sd SIGMA, rounded to cents as synthetic's.
Per segment the two parts of the predictive check -- customers' mean repeat spend (spend_predictive) and the first
repeat purchase's share of it (spend_shares) -- are run on the purchases as the review sees them (one per customer
and time, repeat purchases only); printed: how many segments each part flags (warn or fail) and the p-values.
"""

from __future__ import annotations

import sys
from collections import Counter

import numpy as np
import pandas as pd

from sim.fit import spend, synthetic
from sim.fit.spend_checks import spend_predictive, spend_shares

TRUTH = synthetic.PurchaseTruth(2.0, 1.0)


def lognormal(rng: np.random.Generator, orders: pd.DataFrame, sigma: float) -> pd.DataFrame:
    """The orders' amounts replaced: per customer nu ~ Gamma(q, gamma), amounts lognormal with mean p / nu."""
    ids, owner = np.unique(orders["customer_id"].to_numpy(), return_inverse=True)
    nu = rng.gamma(TRUTH.q, 1.0 / TRUTH.gamma, ids.size)
    z = TRUTH.p / nu[owner] * np.exp(sigma * rng.standard_normal(owner.size) - sigma ** 2 / 2)
    return orders.assign(amount=np.maximum(np.round(z, 2), 0.01))


def checks(orders: pd.DataFrame) -> dict:
    """Per segment (means, shares): the two parts of the predictive check."""
    orders = orders.sort_values(["customer_id", "date"], kind="stable")
    key = orders["customer_id"].to_numpy()
    time = orders["date"].to_numpy()
    new = np.ones(key.size, dtype=bool)
    new[1:] = (key[1:] != key[:-1]) | (time[1:] != time[:-1])
    purchase = np.cumsum(new) - 1
    amount = np.bincount(purchase, weights=orders["amount"].to_numpy())
    customer, segment = key[new], orders["segment"].to_numpy()[new]
    first = np.ones(customer.size, dtype=bool)
    first[1:] = customer[1:] != customer[:-1]
    found = {}
    for name in np.unique(segment):
        rows = segment == name
        owner = np.cumsum(first[rows]) - 1
        repeat = ~first[rows]
        x = np.bincount(owner, weights=repeat)
        m = np.divide(np.bincount(owner, weights=amount[rows] * repeat), x, out=np.zeros(x.size), where=x > 0)
        fit = spend.fit(x, m)
        found[name] = (spend_predictive(fit, x, m), spend_shares(owner[repeat], amount[rows][repeat]))
    return found


def p_value(check) -> str:
    text = check.reason.split("(p ", 1)
    return text[1].split(")", 1)[0] if len(text) > 1 else check.status


def main(companies: int, sigma: float | None) -> None:
    flagged, values = Counter(), {"means": [], "shares": []}
    for seed in range(companies):
        rng = np.random.default_rng(seed)
        _, orders = synthetic.sample_company(rng, 2000)
        if sigma:
            orders = lognormal(rng, orders, sigma)
        for name, parts in checks(orders).items():
            for part, check in zip(("means", "shares"), parts):
                flagged[part] += check.status in ("warn", "fail")
                flagged[f"{part} fail"] += check.status == "fail"
                values[part].append(p_value(check))
            flagged["either"] += any(c.status in ("warn", "fail") for c in parts)
            flagged["segments"] += 1
    amounts = f"lognormal amounts, log-sd {sigma}" if sigma else "Gamma-Gamma amounts (the model)"
    print(f"{companies} companies, {flagged['segments']} segments, {amounts}")
    for part in ("means", "shares"):
        print(f"  {part}: {flagged[part]} flagged ({flagged[part + ' fail']} fail); p {', '.join(values[part])}")
    print(f"  either part: {flagged['either']} flagged")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40, float(sys.argv[2]) if len(sys.argv) > 2 else None)
