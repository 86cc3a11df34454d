"""Write the sample company's customers, orders, support tickets and a pilot (fixed seed, stated true effects).

    python scenarios/data/support_sample/make_sample.py

The company has the segments of scenarios/nordic_midsize.toml (b2b, b2c) and three
years of history (2023-2025), simulated customer by customer with
sim.fit.synthetic_support. The true values `cxroi fit support` should find:

    segment  churn/month  contacts  walk_away  neg. churn +  pos. churn -  neg. drop  pos. uplift  neg./pos. duration
    b2b      0.010        0.40      0.20       0.80          0.25          0.50       0.15         8 / 5 months
    b2c      0.025        0.15      0.30       1.00          0.20          0.40       0.10         6 / 4 months

Response curve: logit(satisfied) = 4.0 - 1.2 ln(minutes); half of the dissatisfied contacts are bad.
Churn varies between customers (frailty sd 0.5, unrelated to contacts), so the customer list also suits an sBG fit.

pilot.csv: a six-month pilot of faster_response in b2c, 2,000 customers per arm: bad experiences per contact
fall to 0.65 of the control arm's (the true risk ratio), churn to 0.85 of it, purchases unchanged.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from sim.fit.synthetic_support import SupportTruth, company
from sim.support.response import ResponseCurve

HERE = Path(__file__).resolve().parent
SEED = 2026
CURVE = ResponseCurve(4.0, -1.2)
TRUTHS = {
    "b2b": SupportTruth(churn=0.010, contacts=0.40, purchases=1.0, walk_away=0.20, negative_churn_increase=0.8,
                        positive_churn_reduction=0.25, negative_drop=0.5, positive_uplift=0.15, negative_duration=8,
                        positive_duration=5, curve=CURVE, arrivals=40, share_of_spend=1000, frailty_sd=0.5, contact_link=0.0),
    "b2c": SupportTruth(churn=0.025, contacts=0.15, purchases=0.5, walk_away=0.30, negative_churn_increase=1.0,
                        positive_churn_reduction=0.20, negative_drop=0.4, positive_uplift=0.10, negative_duration=6,
                        positive_duration=4, curve=CURVE, arrivals=250, share_of_spend=50, frailty_sd=0.5, contact_link=0.0),
}
PILOT = {"customers": 2000, "months": 6, "bad_ratio": 0.65, "churn_ratio": 0.85}


def pilot(rng: np.random.Generator) -> pd.DataFrame:
    """Both arms of the pilot: customers followed, churned, contacts, bad contacts, purchases, customer-periods."""
    truth, n, months = TRUTHS["b2c"], PILOT["customers"], PILOT["months"]
    bad_share = 0.093  # b2c share of bad contacts at the sample's waits (see `cxroi fit support` on the sample)
    rows = []
    for arm, bad_ratio, churn_ratio in (("treated", PILOT["bad_ratio"], PILOT["churn_ratio"]), ("control", 1.0, 1.0)):
        leave = 1 - (1 - truth.churn * churn_ratio) ** months
        churned = int(rng.binomial(n, leave))
        periods = int(n * months - churned * months / 2)
        contacts = int(rng.poisson(truth.contacts * periods))
        rows.append({"arm": arm, "customers": n, "churned": churned, "contacts": contacts,
                     "bad": int(rng.binomial(contacts, bad_share * bad_ratio)),
                     "purchases": int(rng.poisson(truth.purchases * periods)), "customer_periods": periods})
    return pd.DataFrame(rows)


def main() -> None:
    rng = np.random.default_rng(SEED)
    customers, tickets, orders = company(rng, TRUTHS, months=36, start="2023-01-01")
    customers.to_csv(HERE / "customers.csv", index=False, date_format="%Y-%m-%d")
    tickets.to_csv(HERE / "tickets.csv", index=False, date_format="%Y-%m-%d %H:%M")
    orders.to_csv(HERE / "orders.csv", index=False, date_format="%Y-%m-%d %H:%M")
    pilot(rng).to_csv(HERE / "pilot.csv", index=False)
    print(f"{len(customers):,} customers, {len(tickets):,} tickets, {len(orders):,} orders written to {HERE}")


if __name__ == "__main__":
    main()
