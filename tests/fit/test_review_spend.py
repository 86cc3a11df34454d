"""The model review of spend per purchase (issue 19): a holdout check and a predictive check of the customers' mean
spend against the Gamma-Gamma; companies drawn from the model pass, spend that rises after the cut-off fails the
holdout, spend that goes with how often a customer buys fails the predictive check's customers' means, amounts with
a heavy tail or spend that drifts within a customer its first shares. About 8 s (20 order logs of 2,000 customers,
spend only, and 200 small ones of spend alone)."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import betainc

from sim.fit import fit_spend, synthetic
from sim.fit.checks import check_orders
from sim.fit.spend_checks import share_pits, spend_review, spend_shares

AS_OF = pd.Timestamp("2025-12-31")
CUTOFF = pd.Timestamp("2024-12-31")


def test_a_customers_share_of_spend_over_the_gamma_gamma_scale_is_beta():
    """Total repeat spend x m of x Gamma(p, nu) amounts, nu ~ Gamma(q, rate gamma): x m / (gamma + x m) is
    Beta(p x, q), the transform the predictive check uses. Monte Carlo with 200,000 customers, seed 0."""
    rng = np.random.default_rng(0)
    p, q, gamma, x = 6.0, 4.0, 15.0, 3
    nu = rng.gamma(q, 1.0 / gamma, 200_000)
    total = rng.gamma(p * x, 1.0 / nu)
    u = total / (gamma + total)
    for level in (0.1, 0.25, 0.5, 0.75, 0.9):
        share = float(np.mean(u <= np.quantile(u, level)))
        assert abs(betainc(p * x, q, np.quantile(u, level)) - share) < 4 * np.sqrt(level * (1 - level) / u.size)


def _checks(customers, orders, cutoff=CUTOFF):
    checked = check_orders(orders, as_of=AS_OF, customers=None)
    segment = pd.Series(customers["segment"].to_numpy(), index=customers["customer_id"].to_numpy())
    checked = checked.assign(segment=segment.reindex(checked["customer_id"].to_numpy()).to_numpy())
    fits = fit_spend(orders, as_of=AS_OF, customers=customers)
    return spend_review(checked, fits, cutoff, AS_OF)


def test_order_logs_drawn_from_the_gamma_gamma_fail_no_spend_check():
    """Seeds 0-19, two segments each. Measured: holdout 38 of 40 ok, one warn at 2.0 standard errors and one whose
    calibration spend fit did not converge (warn); predictive 38 ok, 2 warn (p 0.004 and 0.008), no failure."""
    found = []
    for seed in range(20):
        customers, orders = synthetic.sample_company(np.random.default_rng(seed), 2000, as_of=str(AS_OF.date()))
        for name, checks in _checks(customers, orders).items():
            found += [(seed, name, key, check) for key, check in checks.items()]
    assert not [f for f in found if f[3].status == "fail"]
    assert sum(f[3].status == "warn" for f in found) <= 4, [f for f in found if f[3].status != "ok"]


@pytest.fixture(scope="module")
def company():
    return synthetic.sample_company(np.random.default_rng(0), 2000, as_of=str(AS_OF.date()))


def test_spend_that_rises_after_the_cut_off_fails_the_holdout(company):
    customers, orders = company
    orders = orders.copy()
    orders.loc[orders["date"] > CUTOFF, "amount"] *= 1.3
    check = _checks(customers, orders)["retail"]["holdout"]
    assert check.status == "fail", check
    assert check.reason.startswith("spend of the ") and "purchases after the cut-off (each customer's expected spend " \
                                                         "given their purchases before it): " in check.reason


def test_spend_that_goes_with_frequency_fails_the_predictive_check(company):
    """Customers with four purchases or fewer spend twice as much per purchase, the others half: the Gamma-Gamma
    assumes a customer's spend does not depend on how often they buy."""
    customers, orders = company
    factor = orders.groupby("customer_id").size().map(lambda n: 2.0 if n <= 4 else 0.5)
    orders = orders.assign(amount=orders["amount"] * orders["customer_id"].map(factor))
    check = _checks(customers, orders)["retail"]["predictive"]
    assert check.status == "fail", check
    assert check.reason.startswith("customers' mean repeat spend by repeat purchases (1, 2-3, 4-7, 8+), in fifths of "
                                   "the fitted Gamma-Gamma's distribution given them")


def test_within_customers_the_first_repeat_purchases_share_is_uniform_under_the_model_whatever_nu():
    """The predictive check's second part (spend_shares): 200 order logs of 500 customers with Gamma-Gamma amounts
    (p 2, customers' nu ~ Gamma(2.5, 20): far apart), 0 to about 30 repeat purchases each. Pooled, the 73,180 first
    shares' transforms hold a fifth in each fifth within 4 Monte Carlo standard errors (0.59 points; the estimate
    of p from the other purchases included); per log the part warns in at most 5 of 200 (2 expected at its 1 %;
    P(6 or more) = 0.016). Measured: 19.97 / 19.97 / 19.69 / 20.06 / 20.32 %, 3 warnings, p 2.007 (sd 0.058)."""
    rng = np.random.default_rng(7)
    pits, flagged = [], 0
    for _ in range(200):
        repeats = rng.poisson(rng.gamma(1.0, 6.0, 500))
        customer = np.repeat(np.arange(500), repeats)
        nu = rng.gamma(2.5, 1.0 / 20.0, 500)
        amount = rng.gamma(2.0, 1.0 / nu[customer])
        pit, p, left = share_pits(customer, amount)
        pits.append(pit)
        flagged += spend_shares(customer, amount).status != "ok"
    pit = np.concatenate(pits)
    share = np.bincount(np.minimum((pit * 5).astype(int), 4), minlength=5) / pit.size
    assert np.all(np.abs(share - 0.2) < 4 * np.sqrt(0.2 * 0.8 / pit.size)), share
    assert flagged <= 5


def _lognormal(orders, rng, sigma):
    """Amounts lognormal with log-sd ``sigma`` about each customer's Gamma-Gamma mean p / nu (p 6, nu ~ Gamma(4, 15))."""
    ids, owner = np.unique(orders["customer_id"].to_numpy(), return_inverse=True)
    nu = rng.gamma(4.0, 1.0 / 15.0, ids.size)
    amount = 6.0 / nu[owner] * np.exp(sigma * rng.standard_normal(owner.size) - sigma ** 2 / 2)
    return orders.assign(amount=np.maximum(np.round(amount, 2), 0.01))


def _drifting(orders, monthly):
    """Each customer's amounts growing by ``monthly`` a month since their first order."""
    months = (orders["date"] - orders.groupby("customer_id")["date"].transform("min")).dt.days / 30.4375
    return orders.assign(amount=np.round(orders["amount"] * (1.0 + monthly) ** months, 2))


@pytest.mark.parametrize("change", ["lognormal", "drift"])
def test_a_heavy_tail_or_a_drift_within_customers_fails_the_shares_not_the_means(company, change):
    """Lognormal amounts (log-sd 1.2) of the Gamma-Gamma's means, or amounts growing 1 % a month of a customer's
    life: the spread of nu across customers absorbs both in the customers' means (that part is ok, so the reason
    names only the shares), the first repeat purchase's share of a customer's spend is off. Over 40 such companies
    (benchmarks/spend_check_power.py 40 1.2) the shares flag 67 of 80 segments, the means 9."""
    customers, orders = company
    orders = _lognormal(orders, np.random.default_rng(0), 1.2) if change == "lognormal" else _drifting(orders, 0.01)
    check = _checks(customers, orders)["retail"]["predictive"]
    assert check.status == "fail", check
    assert check.reason.startswith("each customer's first repeat purchase as a share of their repeat spend (1,080 "
                                   "customers with two or more), in fifths of its Beta(p, (x - 1) p) distribution "
                                   "with p = "), check
