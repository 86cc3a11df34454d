"""Generate the sample company: scenarios/data/customers.csv, orders.csv, tickets.csv and pilot.csv.

One small subscription business, simulated customer by customer for three years
(2023-01-01 to 2025-12-31, the as-of date) by ``sim.fit.synthetic_support`` from
KNOWN parameters, so every ``cxroi fit`` can be checked against the truth. Two
segments, as in scenarios/sample_company.toml; rates are per month:

    segment   arrivals  base churn        purchases (rate ~ Gamma)  spend (Gamma-Gamma p, q, gamma)  contacts
    retail    60        Beta(0.8, 16)     mean 0.8, shape 2         6, 4, 15 (mean 30)               0.15
    business  15        Beta(1.5, 50)     mean 1.0, shape 3         6, 4, 40 (mean 80)               0.40

Base churn is each customer's churn while neutral (sBG); what the customer list
shows also carries the churn that support experiences cause (below), so
``cxroi fit customers`` finds a Beta mix with a somewhat higher mean churn.

Support experiences (the customer model's form; ``cxroi fit support`` should find):

    segment   walk_away  neg. churn +  pos. churn -  neg. drop  pos. uplift  neg. / pos. duration
    retail    0.30       1.00          0.20          0.40       0.10         6 / 4 months
    business  0.20       0.80          0.25          0.50       0.15         8 / 5 months

Each contact waits a lognormal time (median 6 minutes, log-sd 1); it is
satisfied (CSAT 4-5) with the response curve logit = 4.0 - 1.2 ln(minutes),
otherwise bad (CSAT 1-2) with probability 0.5, else neutral (CSAT 3).

pilot.csv: a six-month pilot of the scenario's ``first_contact`` in retail,
600 customers per arm (the retail base split at random): bad experiences per
contact fall to 0.70 of the control arm's (the true risk ratio); churn and
purchases follow the control arm's rates. One row per customer, with the day
they enrolled (over the first eight weeks of 2026): each arm's totals are drawn
first, then spread over its customers (:func:`pilot_customers`, its own random
stream) -- churned customers at random, each followed for three months; contacts
in proportion to the months followed, bad contacts among them at random;
purchases in proportion to the months followed times the customer's own rate
(Gamma with the segment's shape 2, so purchases differ between customers more
than one Poisson rate per arm allows, as the model review of ``--measure
purchases`` says).

Dates of orders are written without the time of day (each file < 1 MB). Run
from the repository's top folder:

    python scenarios/data/make_sample_company.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.fit.synthetic_support import SupportTruth, company
from sim.support.response import ResponseCurve

SEED = 2026
START, MONTHS = "2023-01-01", 36
CURVE = ResponseCurve(4.0, -1.2)
TRUTHS = {
    "retail": SupportTruth(churn_mix=(0.8, 16.0), purchases=0.8, purchase_shape=2.0, spend=(6.0, 4.0, 15.0),
                           contacts=0.15, walk_away=0.30, negative_churn_increase=1.0, positive_churn_reduction=0.20,
                           negative_drop=0.40, positive_uplift=0.10, negative_duration=6, positive_duration=4,
                           curve=CURVE, arrivals=60),
    "business": SupportTruth(churn_mix=(1.5, 50.0), purchases=1.0, purchase_shape=3.0, spend=(6.0, 4.0, 40.0),
                             contacts=0.40, walk_away=0.20, negative_churn_increase=0.80, positive_churn_reduction=0.25,
                             negative_drop=0.50, positive_uplift=0.15, negative_duration=8, positive_duration=5,
                             curve=CURVE, arrivals=15),
}
PILOT = {"segment": "retail", "customers": 600, "months": 6, "bad_ratio": 0.70}


def bad_share(truth: SupportTruth, n: int = 400_000) -> float:
    """The share of a segment's contacts that are bad at its waits (Monte Carlo on a fixed stream)."""
    wait = np.exp(np.log(truth.wait_median_minutes) + truth.wait_sigma * np.random.default_rng(0).standard_normal(n))
    return float(np.mean(1.0 - truth.curve.satisfied(wait)) * truth.bad_when_dissatisfied)


def pilot(rng: np.random.Generator, customers: pd.DataFrame) -> pd.DataFrame:
    """Both arms of the pilot: customers followed, churned, contacts, bad contacts, purchases, customer-periods.

    Monthly churn in both arms is the segment's observed churn over the last year of the history.
    """
    truth, n, months = TRUTHS[PILOT["segment"]], PILOT["customers"], PILOT["months"]
    seg = customers[customers["segment"] == PILOT["segment"]]
    churn = 1 - (1 - seg["end_date"].ge("2025-01-01").sum() / max(1, (seg["start_date"] < "2025-12-01").sum())) ** (1 / 12)
    share = bad_share(truth)
    rows = []
    for arm, ratio in (("treated", PILOT["bad_ratio"]), ("control", 1.0)):
        churned = int(rng.binomial(n, 1 - (1 - churn) ** months))
        periods = int(n * months - churned * months / 2)
        contacts = int(rng.poisson(truth.contacts * periods))
        rows.append({"arm": arm, "customers": n, "churned": churned, "contacts": contacts,
                     "bad": int(rng.binomial(contacts, share * ratio)),
                     "purchases": int(rng.poisson(truth.purchases * periods)), "customer_periods": periods})
    return pd.DataFrame(rows)


def pilot_customers(totals: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Each arm's totals (:func:`pilot`) spread over its customers, one row each, with the day they enrolled; every
    total stays as it was (see the module docstring)."""
    truth, months = TRUTHS[PILOT["segment"]], PILOT["months"]
    rows = []
    for arm in totals.itertuples():
        n = int(arm.customers)
        churned = np.zeros(n, int)
        churned[rng.choice(n, int(arm.churned), replace=False)] = 1
        periods = np.where(churned == 1, months // 2, months)  # the totals' convention: a leaver stays half the time
        assert periods.sum() == arm.customer_periods
        contacts = rng.multinomial(int(arm.contacts), periods / periods.sum())
        bad = rng.multivariate_hypergeometric(contacts, int(arm.bad))
        rate = periods * rng.gamma(truth.purchase_shape, 1.0, n)
        purchases = rng.multinomial(int(arm.purchases), rate / rate.sum())
        day = pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 56, n), unit="D")
        rows.append(pd.DataFrame({"arm": arm.arm, "enrolled": day, "customers": 1, "churned": churned,
                                  "contacts": contacts, "bad": bad, "purchases": purchases, "customer_periods": periods}))
    frame = pd.concat(rows, ignore_index=True)
    return frame.iloc[np.lexsort((rng.random(len(frame)), frame["enrolled"].to_numpy()))].reset_index(drop=True)


def make(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """The four tables, in the default column names of ``cxroi fit``."""
    customers, tickets, orders = company(rng, TRUTHS, months=MONTHS, start=START)
    orders = orders.assign(date=orders["date"].dt.normalize())[["customer_id", "date", "amount"]]
    totals = pilot(rng, customers)
    return {"customers": customers, "orders": orders, "tickets": tickets,
            "pilot": pilot_customers(totals, np.random.default_rng(SEED + 1))}


def main() -> None:
    folder = Path(__file__).resolve().parent
    tables = make(np.random.default_rng(SEED))
    formats = {"customers": "%Y-%m-%d", "orders": "%Y-%m-%d", "tickets": "%Y-%m-%d %H:%M", "pilot": "%Y-%m-%d"}
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, date_format=formats[name])
    print(", ".join(f"{len(frame):,} {name}" for name, frame in tables.items()) + f" written to {folder}")


if __name__ == "__main__":
    main()
