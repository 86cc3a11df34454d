"""The model review's checks of spend per purchase (``value_per_purchase``, ``cxroi fit orders``' Gamma-Gamma).

* **predictive** -- two parts, the check the worse of them (each at the review's p-value and gap rules, so about
  2 % of companies drawn from the model warn rather than 1 %):

  1. *between customers*: each customer's mean repeat spend against the fitted model given their number of repeat
     purchases, by its probability integral transform: under the Gamma-Gamma (Fader, Hardie & Lee 2005) a
     customer's total repeat spend ``x m_x`` is Gamma(p x, nu) with nu ~ Gamma(q, gamma), so
     ``x m_x / (gamma + x m_x)`` is Beta(p x, q) and its distribution function at the data is uniform; in the
     homogeneous limit (one nu) ``x m_x`` is Gamma(p x, p / mean). Customers by repeat purchases (1, 2-3, 4-7, 8+)
     and fifths of it against a fifth each (Pearson's chi-square, the groups' sizes and the fitted parameters taken
     off), so spend that goes with frequency shows. A tail heavier than a Gamma's in the single amounts mostly
     does not: the spread of nu across customers absorbs it.
  2. *within customers*: a customer's x >= 2 repeat amounts are Gamma(p, nu), so divided by their total they are
     Dirichlet(p, ..., p) whatever nu -- nu cancels, and with it the spread across customers. The first repeat
     purchase's share is Beta(p, (x - 1) p); its distribution function at the data is uniform, one independent draw
     per customer, in fifths against a fifth each. p is the shape of how the customer's other repeat amounts split
     among themselves (the Dirichlet's maximum likelihood), independent of the first's share under the model (the
     Dirichlet's neutrality), so the check is exact but for that estimate's noise and takes no degree of freedom off.
     (The Gamma-Gamma's own p, from the customers' means alone, is too loose for it when customers buy often.)
     Amounts with a heavier tail than a Gamma's (lognormal ones) or spend that drifts within a customer show here:
     on synthetic.sample_company with lognormal amounts of log-sd 1.2, this part flags 67 of 80 segments, the first
     9 (``benchmarks/spend_check_power.py``).
* **holdout** -- spend fitted again on the purchases up to the cut-off, the spend of each purchase after it
  predicted from its customer's history (the Gamma-Gamma's conditional mean, the population's for customers
  without repeat purchases before it), summed, against what was spent; the standard error is the amounts' own
  (the posterior of each customer's nu: ``Var = n p E[1/nu^2] + n^2 p^2 Var(1/nu)``) and, to first order, the
  calibration's mean spend's.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import betainc, gammainc, psi

from sim.errors import ScenarioError
from sim.fit import spend, summaries
from sim.fit.review import NA, WARN, Check, combined, holdout_check, predictive_check

FIFTHS = 5
REPEATS = (1, 2, 4, 8)
"""Lower edges of the groups of customers by repeat purchases: 1, 2-3, 4-7, 8+."""


def spend_review(table: pd.DataFrame, fits: dict, cutoff, as_of) -> dict[str, dict[str, Check]]:
    """Per segment with a spend fit (``fits``) its holdout and predictive checks (the predictive the worse of
    :func:`spend_predictive` and :func:`spend_shares`, those that cannot apply left out); ``table``: the checked orders
    (customer_id, time, amount, segment: the segment the spend fit gave the customer), ``cutoff`` the holdout's day
    (None or not a day: no holdout), ``as_of`` the end of the data."""
    bought = summaries.purchases(table)
    summary = summaries.rfm_of(bought, time_unit="month")
    first = bought.first
    owner = np.cumsum(first) - 1
    segment = bought.segment[first][owner]  # a customer's segment is the one on their first purchase, as in rfm
    found = {}
    for name, fit in fits.items():
        if fit is None:
            continue
        rows = (summary["segment"] == name).to_numpy()
        x, m = summary["x"].to_numpy()[rows], summary["m_x"].fillna(0.0).to_numpy()[rows]
        repeat = ~first & (segment == name)
        predictive = [spend_predictive(fit, x, m), spend_shares(owner[repeat], bought.amount[repeat])]
        applied = [c for c in predictive if c.status != NA]
        found[name] = {"predictive": combined(applied) if applied else Check(NA, "; ".join(c.reason for c in predictive)),
                       "holdout": spend_holdout(table, summary.index[rows], cutoff, as_of)}
    return found


def spend_predictive(fit, x: np.ndarray, m: np.ndarray) -> Check:
    """Customers by number of repeat purchases (:data:`REPEATS`) and fifths of their mean repeat spend's distribution
    function under the fitted model: each group should have a fifth in each. Grouping by purchases tests what the
    model says about how a customer's mean settles as their purchases add up (its spread falls as 1 / (p x)):
    spend that goes with frequency shows there (a heavy tail of single amounts, mostly, only in :func:`spend_shares`)."""
    keep = (x > 0) & (m > 0)
    x, m = x[keep].astype(float), m[keep]
    if x.size < 10 * FIFTHS:
        return Check(NA, f"too few customers with repeat purchases ({x.size}) to test the spread of their spend")
    if getattr(fit, "homogeneous", False):
        pit, parameters, model = gammainc(fit.p * x, x * m * fit.p / fit.mean_spend), 2, "one spend distribution"
    else:
        total = x * m
        pit, parameters, model = betainc(fit.p * x, fit.q, total / (fit.gamma + total)), 3, "the fitted Gamma-Gamma"
    group = np.searchsorted(np.asarray(REPEATS), x, side="right") - 1
    sizes = np.bincount(group, minlength=len(REPEATS)).astype(float)
    groups = np.flatnonzero(sizes >= 5 * FIFTHS)  # groups expecting at least 5 a cell; the rest join the one below
    group = groups[np.maximum(np.searchsorted(groups, group, side="right") - 1, 0)]
    cell = group * FIFTHS + np.minimum((pit * FIFTHS).astype(int), FIFTHS - 1)
    observed = np.bincount(cell, minlength=len(REPEATS) * FIFTHS).astype(float).reshape(len(REPEATS), FIFTHS)[groups]
    expected = np.repeat(observed.sum(axis=1, keepdims=True) / FIFTHS, FIFTHS, axis=1)
    gap = float(np.max(np.abs(observed - expected) / observed.sum(axis=1, keepdims=True))) * 100.0
    words = ", ".join(_repeat_words(groups))
    return predictive_check(f"customers' mean repeat spend by repeat purchases ({words}), in fifths of {model}'s "
                            f"distribution given them (each should hold a fifth)", observed.ravel(), expected.ravel(),
                            parameters + groups.size - 1, gap)


def spend_shares(customer: np.ndarray, amount: np.ndarray) -> Check:
    """Each customer's first repeat purchase as a share of their repeat spend, in fifths of its distribution under
    the Gamma-Gamma (:func:`share_pits`): each should hold a fifth, whatever the customers' nu."""
    pit, p, free = share_pits(customer, amount)
    left = f"; {free:,} with a free repeat purchase left out" if free else ""
    if pit.size < 10 * FIFTHS:
        return Check(NA, f"too few customers with two or more repeat purchases ({pit.size}{left}) to test how their "
                         f"spend spreads within a customer")
    if p is None:
        return Check(NA, "no customer with three or more repeat purchases to tell how spend spreads within a customer")
    observed = np.bincount(np.minimum((pit * FIFTHS).astype(int), FIFTHS - 1), minlength=FIFTHS).astype(float)
    expected = np.full(FIFTHS, pit.size / FIFTHS)
    gap = float(np.max(np.abs(observed - expected))) / pit.size * 100.0
    shape = f"p = {p:.3g}" if p < SHAPE_BOUNDS[1] else "p infinite (each customer's amounts alike)"
    return predictive_check(f"each customer's first repeat purchase as a share of their repeat spend ({pit.size:,} "
                            f"customers with two or more{left}), in fifths of its Beta(p, (x - 1) p) distribution "
                            f"with {shape} from how their other purchases split (each should hold a fifth)",
                            observed, expected, 0, gap)


def share_pits(customer: np.ndarray, amount: np.ndarray) -> tuple[np.ndarray, float | None, int]:
    """(the probability integral transform of each first share, p, customers left out) of the repeat purchases'
    ``customer`` (grouped, each customer's in time order) and ``amount``.

    A customer's x >= 2 repeat amounts are Gamma(p, nu): divided by their total they are Dirichlet(p, ..., p)
    whatever nu, so the first's share is Beta(p, (x - 1) p) and its distribution function at the data is uniform,
    one independent draw per customer. p is the shape of how the other x - 1 amounts split among themselves
    (:func:`within_shape`), which under the model is independent of the first's share (the Dirichlet's neutrality),
    so no degree of freedom goes to it. Customers with a repeat amount of zero (which no Gamma gives) are left out
    and counted; the transform is empty with fewer than two repeat purchases, p None when no customer has three."""
    start = np.ones(customer.size, dtype=bool)
    start[1:] = customer[1:] != customer[:-1]
    owner = np.cumsum(start) - 1
    n = np.bincount(owner)
    free = np.bincount(owner, weights=~(amount > 0), minlength=n.size) > 0
    keep = (n >= 2) & ~free
    left = int(np.sum(free & (n >= 2)))
    rows = keep[owner]
    owner, amount, start = owner[rows], amount[rows], start[rows]
    if not rows.any():
        return np.zeros(0), None, left
    share = amount[start] / np.bincount(owner, weights=amount, minlength=n.size)[keep]
    p = within_shape(owner, amount, start)
    pit = betainc(p, (n[keep] - 1) * p, share) if p is not None else np.full(share.size, np.nan)
    return pit, p, left


SHAPE_BOUNDS = (1e-3, 1e6)
"""Where the within-customer shape p is searched; at the upper bound a customer's amounts do not vary at all."""


def within_shape(owner: np.ndarray, amount: np.ndarray, start: np.ndarray) -> float | None:
    """The Gamma's shape p from how each customer's repeat amounts after the first (``start``) split among themselves:
    under the model Dirichlet(p, ..., p) whatever nu. The maximum of ``sum_i [log Gamma(k_i p) - k_i log Gamma(p)] + (p - 1) sum_ij log w_ij`` over the customers with
    ``k_i >= 2`` of them (shares ``w_ij``); None without any."""
    rest = ~start
    k = np.bincount(owner[rest], minlength=owner[-1] + 1)
    rows = rest & (k[owner] >= 2)
    if not rows.any():
        return None
    total = np.bincount(owner[rows], weights=amount[rows], minlength=k.size)
    logs = float(np.sum(np.log(amount[rows] / total[owner[rows]])))
    sizes, counts = np.unique(k[k >= 2], return_counts=True)

    def score(p: float) -> float:
        return float(np.sum(counts * sizes * (psi(sizes * p) - psi(p)))) + logs

    low, high = SHAPE_BOUNDS
    if score(high) >= 0:
        return high
    return float(brentq(score, low, high, xtol=1e-12, rtol=1e-10)) if score(low) > 0 else low


def _repeat_words(groups: np.ndarray) -> list[str]:
    """The groups (indices of :data:`REPEATS`) as '1', '2-3', '4+'."""
    words = []
    for i, g in enumerate(groups):
        low, high = REPEATS[g], (REPEATS[groups[i + 1]] - 1 if i + 1 < groups.size else None)
        words.append(f"{low}+" if high is None else (f"{low}" if high == low else f"{low}-{high}"))
    return words


def spend_holdout(table: pd.DataFrame, customers, cutoff, as_of) -> Check:
    """The spend of the purchases after the cut-off predicted by spend fitted on those up to it (module docstring)."""
    if cutoff is None or not isinstance(cutoff, pd.Timestamp):
        return Check(NA, "no holdout was run (--no-holdout)")
    end = pd.Timestamp(cutoff).normalize() + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    table = table[table["customer_id"].isin(customers)]
    before = summaries.rfm(table, cutoff=end, time_unit="month")
    x, m = before["x"].to_numpy(), before["m_x"].fillna(0.0).to_numpy()
    try:
        fit = spend.fit(x, m, label="")
    except ScenarioError as error:
        return Check(WARN, f"the spend fit of the purchases up to the cut-off failed: {'; '.join(error.lines())}")
    bought = summaries.purchases(table)
    after = (bought.time > np.int64(end.value)) & (bought.time <= np.int64(pd.Timestamp(as_of).as_unit("ns").value)
                                                     + 86_400 * 10**9 - 1)
    if not after.any():
        return Check(NA, "no purchase after the cut-off to predict")
    codes, index = np.unique(bought.customer[after], return_inverse=True)
    n = np.bincount(index).astype(float)
    spent = np.bincount(index, weights=bought.amount[after])
    history = pd.DataFrame({"x": x, "m": m}, index=before.index).reindex(bought.ids[codes]).fillna(0.0)
    hx, hm = history["x"].to_numpy(float), history["m"].to_numpy(float)
    hx = np.where(hm > 0, hx, 0.0)
    if getattr(fit, "homogeneous", False):
        mean = np.full(n.size, fit.mean_spend)
        variance = n * fit.mean_spend ** 2 / fit.p
    else:
        a, b = fit.q + fit.p * hx, fit.gamma + hx * hm
        mean = fit.p * b / (a - 1.0)
        inverse_sq = np.where(a > 2, b ** 2 / np.maximum((a - 1.0) * (a - 2.0), 1e-300), np.inf)
        variance = n * fit.p * inverse_sq + n ** 2 * fit.p ** 2 * (inverse_sq - (b / (a - 1.0)) ** 2)
        if not np.all(np.isfinite(variance)):  # q + p x <= 2: no finite variance; the amounts' own spread instead
            variance = np.full(n.size, float(np.var(bought.amount[after]))) * n
    predicted = float(n @ mean)
    relative = fit.se_mean_spend / fit.mean_spend if fit.mean_spend > 0 else 0.0
    se = math.sqrt(float(variance.sum()) + (relative * predicted) ** 2)
    return holdout_check(f"spend of the {int(n.sum()):,} purchases after the cut-off (each customer's expected spend "
                         f"given their purchases before it)", predicted, float(spent.sum()), se)
