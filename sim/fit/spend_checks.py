"""The model review's checks of spend per purchase (``value_per_purchase``, ``cxroi fit orders``' Gamma-Gamma).

* **predictive** -- each customer's mean repeat spend against the fitted model given their number of repeat
  purchases, by its probability integral transform: under the Gamma-Gamma (Fader, Hardie & Lee 2005) a customer's
  total repeat spend ``x m_x`` is Gamma(p x, nu) with nu ~ Gamma(q, gamma), so ``x m_x / (gamma + x m_x)`` is
  Beta(p x, q) and its distribution function at the data is uniform; in the homogeneous limit (one nu) ``x m_x`` is
  Gamma(p x, p / mean). Customers by repeat purchases (1, 2-3, 4-7, 8+) and fifths of it against a fifth each
  (Pearson's chi-square, the groups' sizes and the fitted parameters taken off), so a spread of spends the model
  cannot make (a tail heavier than a Gamma's, spend that goes with frequency) shows.
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
from scipy.special import betainc, gammainc

from sim.errors import ScenarioError
from sim.fit import spend, summaries
from sim.fit.review import NA, WARN, Check, holdout_check, predictive_check

FIFTHS = 5
REPEATS = (1, 2, 4, 8)
"""Lower edges of the groups of customers by repeat purchases: 1, 2-3, 4-7, 8+."""


def spend_review(table: pd.DataFrame, fits: dict, cutoff, as_of) -> dict[str, dict[str, Check]]:
    """Per segment with a spend fit (``fits``) its holdout and predictive checks; ``table``: the checked orders
    (customer_id, time, amount, segment: the segment the spend fit gave the customer), ``cutoff`` the holdout's day
    (None or not a day: no holdout), ``as_of`` the end of the data."""
    summary = summaries.rfm(table, time_unit="month")
    found = {}
    for name, fit in fits.items():
        if fit is None:
            continue
        rows = (summary["segment"] == name).to_numpy()
        x, m = summary["x"].to_numpy()[rows], summary["m_x"].fillna(0.0).to_numpy()[rows]
        found[name] = {"predictive": spend_predictive(fit, x, m),
                       "holdout": spend_holdout(table, summary.index[rows], cutoff, as_of)}
    return found


def spend_predictive(fit, x: np.ndarray, m: np.ndarray) -> Check:
    """Customers by number of repeat purchases (:data:`REPEATS`) and fifths of their mean repeat spend's distribution
    function under the fitted model: each group should have a fifth in each. Grouping by purchases tests what the
    model says about how a customer's mean settles as their purchases add up (its spread falls as 1 / (p x)): a
    tail of purchases heavier than a Gamma's, or spend that goes with frequency, shows there."""
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
