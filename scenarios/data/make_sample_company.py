"""Generate the sample company of ``cxroi fit``: scenarios/data/customers.csv and orders.csv.

A small subscription business drawn customer by customer (``sim.fit.synthetic``)
from KNOWN parameters, so a fit can be checked against the truth:

* 3,000 customers who started uniformly over the four years to 2025-12-31
  (the as-of date), in two segments:
  ``retail`` (70 %): monthly churn ~ Beta(0.8, 8) across customers (mean 9.1 %);
  ``business`` (30 %): monthly churn ~ Beta(1.5, 30) (mean 4.8 %).
* Orders while on the books: Poisson, rate per month ~ Gamma(shape 2, rate 2.5)
  across customers (mean 0.8 purchases a month), the same in both segments.
* Spend per purchase: Gamma-Gamma with p = 6, q = 4, gamma = 15
  (mean 6 * 15 / 3 = 30 per purchase).

Order dates are written without the time of day (one purchase per customer and
day, as in most order exports), which keeps the file under 1 MB. Run from the
repository's top folder:

    python scenarios/data/make_sample_company.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.fit.synthetic import PurchaseTruth, RetentionTruth, contract_orders, customers

SEED = 2026
AS_OF = "2025-12-31"
N_CUSTOMERS = 3_000
RETENTION = {"retail": RetentionTruth(0.8, 8.0, 0.7), "business": RetentionTruth(1.5, 30.0, 0.3)}
PURCHASES = PurchaseTruth(r=2.0, alpha=2.5, p=6.0, q=4.0, gamma=15.0)


def make(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The customers and orders tables (default column names of ``cxroi fit``)."""
    history_start = pd.Timestamp(AS_OF) - pd.DateOffset(years=4)
    customer_list = customers(rng, N_CUSTOMERS, history_start=history_start, as_of=AS_OF, period="month", truth=RETENTION)
    order_log = contract_orders(rng, customer_list, as_of=AS_OF, time_unit="month", truth=PURCHASES)
    order_log = order_log.assign(date=order_log["date"].dt.normalize())[["customer_id", "date", "amount"]]
    return customer_list, order_log


def main() -> None:
    folder = Path(__file__).resolve().parent
    customer_list, order_log = make(np.random.default_rng(SEED))
    customer_list.to_csv(folder / "customers.csv", index=False, date_format="%Y-%m-%d")
    order_log.to_csv(folder / "orders.csv", index=False, date_format="%Y-%m-%d")
    print(f"{len(customer_list):,} customers, {len(order_log):,} orders written to {folder}")


if __name__ == "__main__":
    main()
