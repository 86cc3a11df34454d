"""Causal designs for support's experience effects, side by side with the naive regression.

The naive estimates of :mod:`sim.fit.support` compare customer-periods after a
bad or good contact with all others, so anything that makes a customer both
contact support (or have bad contacts) and leave or stop buying -- a customer
already drifting away, a product problem -- is read as an effect of the
experience. Two recognised designs remove such confounding under weaker,
stated assumptions:

* **self-controlled** (each customer against themselves, which removes every
  stable difference between customers, measured or not): for buying, a
  fixed-effects (conditional) Poisson regression of a customer's monthly
  purchases in the month just after a bad or good contact (the state is then
  certain) against their own months before any good or bad experience (certainly
  neutral), with tenure bands, so the rate ratio is the state's multiplier itself;
  for churn, which happens once, a case-crossover design -- the month a customer
  left (the case) against the same customer's monthly experiences in every other
  order (the controls), the exposure being the probability of being negative or
  positive in the leaving month, as the customer model's states carry over
  (:func:`case_crossover_states`) -- so only customers who left inform it;
* **weighted** (adjustment for measured confounders): the month after a bad
  (good) contact against months after neither, the latter weighted by the odds
  of being exposed given tenure band, the customer's contacts per month before
  the month of the contact and, where the tickets carry one, their main issue
  category (inverse-probability weights for the effect on the exposed, ATT),
  then a Poisson regression of the outcome on the exposure *and* the same
  confounders (doubly robust: consistent if either the exposure model or the
  outcome model is right); errors clustered by customer.

The weighting's control months ("after neither") are a mix of states: some
customers are still negative or positive from an older experience. Its odds
ratios are expressed against a neutral month with that mix, as the customer model
has it with the naive fit's durations (:func:`_reference_multiplier`). The
case-crossover borrows the same durations for each month's state probabilities.
Rate ratios become the scenario's inputs: ``negative_churn_increase = RR - 1``,
``positive_churn_reduction = 1 - RR``, ``positive_uplift = RR - 1``,
``negative_drop = 1 - RR`` (intervals transformed from the log-scale Wald interval).

**Sensitivity to unmeasured confounding** (VanderWeele & Ding 2017): each rate
ratio's E-value is the minimum strength of association, on the risk-ratio scale,
that a hidden confounder would need with both the exposure and the outcome to
explain the effect away; the E-value of the interval's end nearest 1 is how
strong it would need to be to move the interval to include no effect.

The regressions are statsmodels' models (conditional Poisson, GLM with
cluster-robust errors), written out here with Newton's method
(:func:`conditional_poisson`, :func:`glm_newton`) and checked against statsmodels
in ``tests/fit/test_causal.py`` (the case-crossover over orders,
:func:`case_crossover_states`, is no library's model: its expected states are
checked there against every order enumerated): statsmodels' own take about 25 s
a segment of 40,000 customers (its conditional models loop over customers in
Python, its IRLS solves least squares each step), these well under a second,
which is what lets every design run by default and the coverage test replicate
40 companies. DoWhy and EconML would add
graph and learner machinery (and large dependencies) for two regressions that
statsmodels fits directly, and lifelines' Cox model is a continuous-time model
where the customer model is monthly and discrete.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from sim.fit.mle import Z95

NAIVE, SELF_CONTROLLED, WEIGHTED = "naive", "self-controlled", "weighted"
ORDER = (SELF_CONTROLLED, WEIGHTED, NAIVE)
"""Most robust first: the rule for --into takes the first design here that applies and is informative."""
INFORMATIVE_SPAN = 4.0
"""A rate ratio whose 95 % interval spans more than this factor (high / low) is not informative enough to write."""
MIN_CASES = 20
"""Fewest informative customers (self-controlled) or exposed customer-periods (weighted) for a design to run."""

ASSUMES = {
    NAIVE: ("customers with and without bad or good contacts are alike in everything else that drives churn and "
            "buying (no confounding at all); the state decays as the customer model's 1 - 1/duration"),
    SELF_CONTROLLED: ("whatever differs between customers is stable over their life (it cancels within a customer); "
                      "no trend within a customer's life beyond the tenure bands (buying); for churn, a customer's "
                      "monthly experiences are alike from month to month (the case-crossover compares the order they "
                      "came in with every other order) and the states fade as the customer model has it with the "
                      "naive fit's durations; nothing that changes within a customer causes both the contact and the "
                      "outcome (a sudden product problem would); churn is rare in a month (surviving the months "
                      "before leaving barely depends on the order of the experiences)"),
    WEIGHTED: ("the measured confounders -- tenure band, the customer's contact rate over their observed life and "
               "their main issue category where the tickets carry one (segments are fitted one by one) -- are all "
               "that makes customers with bad or good contacts differ; every exposed customer-period has "
               "comparable unexposed ones (overlap); either the exposure model or the outcome model is right; the "
               "months after neither, a mix of states, are expressed against a neutral month with the naive fit's "
               "durations (confounding that biases those durations biases this design too)"),
}
RULE = ("the design written is, per effect, the first of self-controlled, weighted, naive that applies and whose 95 % "
        f"interval of the rate ratio spans less than a factor of {INFORMATIVE_SPAN:g}")


@dataclass(frozen=True)
class RateRatio:
    """One design's rate ratio of an outcome after an experience, with its 95 % interval and what it rests on."""

    value: float
    low: float
    high: float
    used: int
    """Customers (self-controlled) or customer-periods (weighted) that inform it."""

    @property
    def informative(self) -> bool:
        return all(math.isfinite(x) for x in (self.value, self.low, self.high)) and self.low > 0 and \
            self.high / self.low < INFORMATIVE_SPAN

    @property
    def e_value(self) -> float:
        return e_value(self.value)

    @property
    def e_value_interval(self) -> float:
        """E-value of the interval's end nearest 1 (1 when the interval includes 1)."""
        if self.low <= 1.0 <= self.high:
            return 1.0
        return e_value(self.low if self.low > 1.0 else self.high)


def e_value(rr: float) -> float:
    """VanderWeele & Ding (2017): RR + sqrt(RR (RR - 1)) for RR >= 1, of 1 / RR below 1."""
    if not math.isfinite(rr) or rr <= 0:
        return math.nan
    rr = rr if rr >= 1 else 1.0 / rr
    return rr + math.sqrt(rr * (rr - 1.0))


EFFECTS = {
    # scenario key: (outcome, experience, sign): input = sign * (RR - 1)
    "negative_churn_increase": ("churn", "bad", 1.0),
    "positive_churn_reduction": ("churn", "good", -1.0),
    "negative_drop": ("purchases", "bad", -1.0),
    "positive_uplift": ("purchases", "good", 1.0),
}


def as_input(key: str, ratio: RateRatio) -> tuple[float, float, float]:
    """(value, low, high) of the scenario input ``key`` from its rate ratio."""
    sign = EFFECTS[key][2]
    ends = sorted(sign * (x - 1.0) for x in (ratio.low, ratio.high))
    return sign * (ratio.value - 1.0), ends[0], ends[1]


@dataclass(frozen=True)
class Design:
    """A design's rate ratios by scenario key, or why it does not apply (one line)."""

    name: str
    ratios: dict[str, RateRatio] = field(default_factory=dict)
    not_applied: dict[str, str] = field(default_factory=dict)
    """Scenario key -> why this design gives no estimate of it."""
    churn_correlation: float = 0.0
    """Correlation of the two churn effects' log rate ratios when one likelihood estimates both (the case-crossover:
    they share each leaver's orders), so that a fit holding both carries their joint uncertainty; 0 otherwise."""

    @property
    def assumes(self) -> str:
        return ASSUMES[self.name]


@dataclass(frozen=True, eq=False)
class Rows:
    """The customer-periods the designs use: the panel's columns they need, and the confounders."""

    customer: np.ndarray
    tenure: np.ndarray
    last: np.ndarray
    since: np.ndarray
    churned: np.ndarray
    purchases: np.ndarray | None
    bad_before: np.ndarray
    """A bad contact in the customer's previous month."""
    good_before: np.ndarray
    """A good (and no bad) contact in the customer's previous month."""
    prior_rate: np.ndarray
    """Contacts per month in the customer's months before the previous one (0 when there are none)."""
    category: np.ndarray | None
    """Each row's customer's main issue category (an integer code, -1 without tickets), or None."""
    x_bad: np.ndarray
    x_good: np.ndarray
    """P(negative), P(positive) in the customer model's form with the naive fit's durations."""
    durations: tuple[float, float] = (6.0, 4.0)
    """The durations (negative, positive; months) ``x_bad`` and ``x_good`` use."""


def rows_of(panel, customer_category: np.ndarray | None, durations: tuple[float, float] = (6.0, 4.0)) -> Rows:
    """The designs' view of a :class:`sim.fit.support.Panel`; ``customer_category`` is per customer code (or None);
    ``durations`` (negative, positive; months) express the case-crossover's reference months as states."""
    from sim.fit.support import BAD, GOOD

    n = panel.customer.size
    has_previous = panel.tenure >= 1
    bad_before = has_previous & (_previous(panel.bad) > 0)
    good_before = has_previous & ~bad_before & (_previous(panel.good) > 0)
    # contacts in the months before the previous one: a running sum per customer, lagged by two rows
    running = np.cumsum(panel.contacts) - panel.contacts
    start = running[np.flatnonzero(panel.tenure == 0)][np.cumsum(panel.tenure == 0) - 1] if n else running
    lag = np.r_[0, running[:-1]][:n] if n else running  # contacts in the rows before the previous one
    before = np.where(panel.tenure >= 2, lag - start, 0.0)
    prior_rate = np.where(panel.tenure >= 2, before / np.maximum(panel.tenure - 1, 1), 0.0)
    k = np.maximum(panel.since, 1).astype(float)
    x_bad = np.where(panel.last == BAD, (1 - 1 / durations[0]) ** (k - 1), 0.0)
    x_good = np.where(panel.last == GOOD, (1 - 1 / durations[1]) ** (k - 1), 0.0)
    return Rows(panel.customer, panel.tenure, panel.last, panel.since, panel.ended & (panel.bad == 0), panel.purchases,
                bad_before, good_before, prior_rate, None if customer_category is None else customer_category[panel.customer],
                x_bad, x_good, tuple(durations))


def _previous(column: np.ndarray) -> np.ndarray:
    """Each row's previous row's value (the first row's own): the month before, where the row has one."""
    return np.concatenate([column[:1], column[:-1]])


def _kept(rows: Rows) -> np.ndarray:
    """Months with a certain state: just after a good or bad experience, or before any."""
    from sim.fit.support import NEUTRAL

    return (rows.last == NEUTRAL) | (rows.since == 1)


def _exposures(rows: Rows, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from sim.fit.support import BAD, GOOD

    after = rows.since[mask] == 1
    return (after & (rows.last[mask] == BAD)).astype(float), (after & (rows.last[mask] == GOOD)).astype(float)


def _ratio(params, cov, i: int, used: int, scale: float = 1.0) -> RateRatio:
    b, se = float(params[i]), float(math.sqrt(max(cov[i, i], 0.0)))
    if not (math.isfinite(b) and math.isfinite(se)) or se == 0:
        return RateRatio(math.nan, math.nan, math.nan, used)
    return RateRatio(scale * math.exp(b), scale * math.exp(b - Z95 * se), scale * math.exp(b + Z95 * se), used)


def _reference_multiplier(params, a: float, b: float) -> float:
    """The weighting's reference months are a mix of states (a negative, b positive on average): their churn is
    ``R = 1 + (m_B - 1) a + (m_P - 1) b`` times a neutral month's, with ``m = OR R``, so ``R = (1 - a - b) /
    (1 - OR_B a - OR_P b)``; the odds ratios times R are the multipliers against a neutral customer."""
    or_b, or_p = math.exp(float(params[0])), math.exp(float(params[1]))
    denominator = 1.0 - or_b * a - or_p * b
    return (1.0 - a - b) / denominator if denominator > 0 else math.nan


def _band(tenure: np.ndarray) -> np.ndarray:
    """Each row's tenure band (an index into :data:`sim.fit.support.TENURE_BANDS`)."""
    from sim.fit.support import TENURE_BANDS

    return np.searchsorted(np.asarray(TENURE_BANDS), tenure, side="right") - 1


def group_codes(groups: np.ndarray) -> np.ndarray:
    """``np.unique(groups, return_inverse=True)[1]`` (each row's group as 0, 1, ... in sorted order), without the
    sort when the rows come sorted by group (a panel's rows are in customer order)."""
    if _in_order(groups):
        return np.cumsum(np.r_[False, groups[1:] != groups[:-1]])[:groups.size]
    return np.unique(groups, return_inverse=True)[1]


def _in_order(groups: np.ndarray) -> bool:
    return bool(np.all(groups[1:] >= groups[:-1]))


def _tenure_bands(tenure: np.ndarray) -> np.ndarray:
    """Dummies of the tenure bands after the first (the first is the reference)."""
    band = _band(tenure)
    present = np.unique(band)
    return np.column_stack([(band == b).astype(float) for b in present[1:]]) if present.size > 1 else np.zeros((tenure.size, 0))


def conditional_poisson(y: np.ndarray, exog: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(coefficients, covariance) of the fixed-effects Poisson regression, conditioning the group effects out.

    The log-likelihood ``sum_it y_it x_it b - sum_i Y_i log sum_t exp(x_it b)`` (Hausman, Hall & Griliches 1984),
    by Newton's method, vectorised over groups with bincount. With one event per group it is the conditional
    logistic likelihood of a case-crossover (the case's row against the group's rows). It equals statsmodels'
    ``ConditionalPoisson`` and ``ConditionalLogit`` (tests/fit/test_causal.py), which loop over groups in Python:
    about 15 s a segment on 40,000 customers, against well under one here.
    """
    g = group_codes(groups)
    totals = np.bincount(g, weights=y)
    sizes = np.bincount(g)[g]
    weight = totals[g]
    constant = exog.T @ y
    columns = np.ascontiguousarray(exog.T)
    beta = np.zeros(exog.shape[1])
    for _ in range(50):
        eta = exog @ beta
        eta -= np.bincount(g, weights=eta)[g] / sizes  # centre within group (the group effect cancels)
        w = np.exp(eta)
        share = w / np.bincount(g, weights=w)[g]
        mean_x = np.column_stack([np.bincount(g, weights=share * column) for column in columns])
        grad = constant - totals @ mean_x
        centred = np.take(mean_x, g, axis=0)  # exog - mean_x[g], with one row-sized array
        np.subtract(exog, centred, out=centred)
        hessian = (centred * (weight * share)[:, None]).T @ centred
        step = np.linalg.solve(hessian, grad)
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta, np.linalg.inv(hessian)


def expected_states(months: np.ndarray, n_bad: np.ndarray, n_good: np.ndarray, first_bad: np.ndarray,
                    first_good: np.ndarray, durations: tuple[float, float]) -> np.ndarray:
    """(customers, 2): the expected P(negative), P(positive) at the leaving month over every order of the ``months``
    months before it after the first (``n_bad`` bad, ``n_good`` good, the rest neutral), the first month's experience
    (``first_bad``, ``first_good``) kept in place; ``durations`` = (negative, positive).

    The state probability is ``s^(k - 1)`` when the last experience was k months before (``s = 1 - 1/duration``); in a
    random order the last experience is bad and k months back with probability ``prod_{j < k-1} (n_N - j) / (T - j) *
    n_B / (T - k + 1)`` (the k - 1 months after it neutral), and it is the first month's when all ``T`` are neutral.
    """
    n_neutral = months - n_bad - n_good
    stay = (1.0 - 1.0 / durations[0], 1.0 - 1.0 / durations[1])
    expected = np.zeros((months.size, 2))
    neutral_run = np.ones(months.size)  # P(the k - 1 months before the leaving month are all neutral)
    for k in range(1, int(months.max()) + 1 if months.size else 1):
        left = months - k + 1
        inside = left > 0
        share = np.where(inside, neutral_run / np.where(inside, left, 1.0), 0.0)
        expected[:, 0] += stay[0] ** (k - 1) * share * n_bad
        expected[:, 1] += stay[1] ** (k - 1) * share * n_good
        neutral_run = np.where(inside, neutral_run * np.clip(n_neutral - (k - 1), 0, None) / np.where(inside, left, 1.0), 0.0)
    alone = n_neutral == months  # no experience after the first month: the first month's is the last
    expected[:, 0] += np.where(alone, stay[0] ** months * first_bad, 0.0)
    expected[:, 1] += np.where(alone, stay[1] ** months * first_good, 0.0)
    return expected


def case_crossover_states(case: np.ndarray, x_bad: np.ndarray, x_good: np.ndarray, bad_before: np.ndarray,
                          good_before: np.ndarray, groups: np.ndarray,
                          durations: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """(log m_B, log m_P) and their covariance: the case-crossover against the same months in every order.

    Rows are the months of customers who left (not by walking away), the month after their first on, ``case`` 1 in
    the leaving month; ``bad_before`` / ``good_before`` the experience of the month before each row, ``x_bad`` /
    ``x_good`` the probabilities of being negative / positive in it in the customer model's form (1 just after a bad
    or good contact, ``(1 - 1/duration)^(k - 1)`` k months after it, ``durations`` = (negative, positive)).

    The leaving month's churn is ``p_i r`` with ``r = 1 + (m_B - 1) x_bad + (m_P - 1) x_good``. A customer's months'
    experiences are exchangeable (each month's contacts drawn alike, whatever the customer's own rates), so given
    the leaving month and the experiences that came before it, their order is what the effect shows in: with rare
    churn, P(this order) = r(this order) / sum over orders of r. Conditioning on the multiset removes ``p_i``, as a
    case-crossover does; the expected ``x_bad`` over orders of ``T`` months with ``n_B`` bad, ``n_G`` good and
    ``n_N`` neutral ones is :func:`expected_states`. The customer's first month is a part month (fewer contacts), so
    it is not reordered: it is the last experience only when every later month is neutral. Maximised by BFGS on the log
    multipliers (the likelihood is not concave everywhere) with the analytic gradient; the covariance is the inverse
    observed information (analytic) carried to the log scale; no interior maximum (a tiny segment) is not estimable.

    Why not the classic case-crossover (the leaving month's 0/1 exposure against the earlier months', as before): a
    customer starts neutral and the states carry over, so the control months early in a life are more often truly
    neutral than the leaving month that is not just after an experience: a trend within the customer that the
    design assumes away. One average state mix of the control months did not undo it: rate ratios 1.80 and 0.756 for
    a truth of 2 and 0.7 (3,000 arrivals a month, 24 months, durations 6 and 4), 1.67 and 0.724 over 40 companies of
    150 a month (benchmarks/design_coverage.py); with durations of one month (no carry-over) it was unbiased.
    """
    g = group_codes(groups)
    first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]][:g.size]) if _in_order(groups) else \
        np.unique(groups, return_index=True)[1]
    at = np.flatnonzero(case > 0)
    # the first month (a part month: fewer contacts) stays in its place; the months after it are reordered
    first_bad, first_good = bad_before[first][g[at]].astype(float), good_before[first][g[at]].astype(float)
    months = np.bincount(g).astype(float)[g[at]] - 1.0
    n_bad = np.bincount(g, weights=bad_before.astype(float))[g[at]] - first_bad
    n_good = np.bincount(g, weights=good_before.astype(float))[g[at]] - first_good
    expected = expected_states(months, n_bad, n_good, first_bad, first_good, durations)
    z_case = np.column_stack([x_bad[at], x_good[at]]).astype(float)

    def parts(theta):
        m = np.exp(theta)
        r_case, r_all = 1.0 + z_case @ (m - 1.0), 1.0 + expected @ (m - 1.0)
        return m, r_case, r_all, z_case / r_case[:, None], expected / r_all[:, None]

    def negative(theta):  # the negative log-likelihood and its gradient on the log scale (not concave: BFGS)
        m, r_case, r_all, a, b = parts(theta)
        if np.any(r_case <= 0) or np.any(r_all <= 0):
            return np.inf, np.zeros(2)
        return -float(np.sum(np.log(r_case) - np.log(r_all))), -m * (a.sum(axis=0) - b.sum(axis=0))

    theta = optimize.minimize(negative, np.zeros(2), jac=True, method="BFGS", options={"gtol": 1e-9}).x
    m, _, _, a, b = parts(theta)
    hessian = b.T @ b - a.T @ a  # of the log-likelihood in (m_B, m_P)
    if np.max(np.abs(theta)) > math.log(1e3) or not np.all(np.linalg.eigvalsh(hessian) < 0):
        return np.full(2, np.nan), np.full((2, 2), np.nan)  # no interior maximum: not estimable
    return theta, np.linalg.inv(-hessian) / np.outer(m, m)


def self_controlled(rows: Rows) -> Design:
    """Case-crossover for churn, fixed-effects Poisson for purchases (see the module docstring)."""
    ratios, missing, correlation = {}, {}, 0.0
    kept = _kept(rows)
    # churn: customers who left (not by walking away), their months after the first; the case is the leaving month
    left = np.bincount(rows.customer, weights=rows.churned) > 0 if rows.customer.size else np.zeros(0, dtype=bool)
    mask = left[rows.customer] & (rows.tenure >= 1)
    x_bad, x_good = rows.bad_before[mask].astype(float), rows.good_before[mask].astype(float)
    case = rows.churned[mask].astype(float)
    groups = rows.customer[mask]
    informative = _informative_groups(groups, case, x_bad, x_good)
    if informative < MIN_CASES:
        why = (f"does not apply: {informative} customers who left have a leaving month and an earlier month that differ "
               f"in experience (needs {MIN_CASES})")
        missing.update({"negative_churn_increase": why, "positive_churn_reduction": why})
    else:
        params, cov = case_crossover_states(case, rows.x_bad[mask], rows.x_good[mask], x_bad, x_good, groups,
                                            rows.durations)
        ratios["negative_churn_increase"] = _ratio(params, cov, 0, informative)
        ratios["positive_churn_reduction"] = _ratio(params, cov, 1, informative)
        if np.all(np.isfinite(cov)) and cov[0, 0] > 0 and cov[1, 1] > 0:
            correlation = float(cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1]))
    if rows.purchases is None:
        why = "does not apply: no orders (give --orders)"
        missing.update({"negative_drop": why, "positive_uplift": why})
        return Design(SELF_CONTROLLED, ratios, missing, correlation)
    mask = kept & ~rows.churned
    x_bad, x_good = _exposures(rows, mask)
    groups = rows.customer[mask]
    y = rows.purchases[mask].astype(float)
    informative = _informative_groups(groups, y, x_bad, x_good)
    if informative < MIN_CASES:
        why = f"does not apply: {informative} customers buy and have months both before and just after an experience"
        missing.update({"negative_drop": why, "positive_uplift": why})
    else:
        exog = np.column_stack([x_bad, x_good, _tenure_bands(rows.tenure[mask])])
        params, cov = conditional_poisson(y, exog, groups)
        ratios["negative_drop"] = _ratio(params, cov, 0, informative)
        ratios["positive_uplift"] = _ratio(params, cov, 1, informative)
    return Design(SELF_CONTROLLED, ratios, missing, correlation)


def _informative_groups(groups, y, x_bad, x_good) -> int:
    """Customers with some outcome whose months differ in exposure (the only ones a conditional model learns from)."""
    if not _in_order(groups):
        order = np.argsort(groups, kind="stable")
        groups, y, x_bad, x_good = groups[order], y[order], x_bad[order], x_good[order]
    g = groups
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ys = np.add.reduceat(y, starts) if g.size else np.zeros(0)
    exposure = x_bad + 2 * x_good
    lo = np.minimum.reduceat(exposure, starts) if g.size else np.zeros(0)
    hi = np.maximum.reduceat(exposure, starts) if g.size else np.zeros(0)
    return int(np.sum((ys > 0) & (hi > lo)))


def weighted(rows: Rows) -> Design:
    """Doubly robust weighting for measured confounders, per outcome (see the module docstring).

    Customer-periods after the first: the month after a bad (good) contact against months after neither, the
    latter weighted by the odds of exposure given the confounders; the odds ratios are then expressed against a
    neutral month with the reference months' state mix (:func:`_reference_multiplier`).
    """
    ratios, missing = {}, {}
    pattern, table = _patterns(rows)
    for outcome, keys in (("churn", ("negative_churn_increase", "positive_churn_reduction")),
                          ("purchases", ("negative_drop", "positive_uplift"))):
        if outcome == "purchases" and rows.purchases is None:
            missing.update({k: "does not apply: no orders (give --orders)" for k in keys})
            continue
        base = rows.tenure >= 1
        if outcome == "purchases":
            base &= ~rows.churned
        reference = base & ~rows.bad_before & ~rows.good_before
        found = {}
        for key, exposed in zip(keys, (rows.bad_before, rows.good_before)):
            mask = reference | (base & exposed)
            treated = exposed[mask]
            if treated.sum() < MIN_CASES:
                missing[key] = f"does not apply: {int(treated.sum())} customer-periods just after such a contact"
                continue
            y = (rows.churned[mask] if outcome == "churn" else rows.purchases[mask]).astype(float)
            found[key] = _doubly_robust(y, treated, pattern[mask], table, rows.customer[mask])
        if len(found) == 2:
            params = [math.log(found[k].value) if found[k].value > 0 else math.nan for k in keys]
            scale = _reference_multiplier(params, rows.x_bad[reference].mean(), rows.x_good[reference].mean())
            found = {k: RateRatio(r.value * scale, r.low * scale, r.high * scale, r.used) for k, r in found.items()}
        ratios.update(found)
    return Design(WEIGHTED, ratios, missing)


def _patterns(rows: Rows) -> tuple[np.ndarray, tuple]:
    """Each row's confounder pattern (a code) and the codes' (tenure band, ln(1 + prior contact rate), category or
    None): the rows of a segment take a few thousand distinct confounder values, so the weighting's regressions are
    fitted on them (:func:`glm_newton` with ``rows``). Codes need not all be used (the fits keep those they see)."""
    band = _band(rows.tenure)
    rates, rate = np.unique(np.log1p(rows.prior_rate), return_inverse=True)
    categories, category = (np.zeros(1, dtype=int), 0) if rows.category is None else _compact(rows.category + 1)
    size = (int(band.max(initial=0)) + 1) * rates.size * categories.size
    code = (band * rates.size + rate) * categories.size + category
    present = np.arange(size)
    if size > max(code.size, 1_000_000):  # too many codes to count them: keep the ones used
        present, code = np.unique(code, return_inverse=True)
    return code, (present // (rates.size * categories.size), rates[present // categories.size % rates.size],
                  None if rows.category is None else categories[present % categories.size] - 1)


def _confounders(band: np.ndarray, log_rate: np.ndarray, category: np.ndarray | None) -> list[np.ndarray]:
    """The weighting's confounder columns of some patterns: dummies of the tenure bands present after the first,
    ln(1 + prior contact rate), dummies of the categories present after the first (when there are categories)."""
    columns = [(band == b).astype(float) for b in np.unique(band)[1:]] + [log_rate]
    if category is not None:
        columns += [(category == c).astype(float) for c in np.unique(category)[1:]]
    return columns


def _compact(codes: np.ndarray, size: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(the codes present, in order; each row's index among them): ``np.unique(codes, return_inverse=True)`` of
    codes from 0 to ``size``, by counting."""
    used = np.bincount(codes, minlength=size) > 0
    return np.flatnonzero(used), (np.cumsum(used) - 1)[codes]


def _doubly_robust(y, treated, pattern, table, clusters) -> RateRatio:
    """The doubly robust rate ratio of some rows (``pattern``: each row's confounder pattern in ``table``, see
    :func:`_patterns`), both regressions fitted pattern by pattern (the same likelihoods as row by row)."""
    kept, confounder = _compact(pattern, table[0].size)
    design = np.column_stack([np.ones(kept.size), *_confounders(*(None if v is None else v[kept] for v in table))])
    gamma, _ = glm_newton(treated.astype(float), design, np.ones(kept.size), logistic=True, rows=confounder)
    e = np.clip(1.0 / (1.0 + np.exp(-(design @ gamma))), 1e-6, 0.99)
    cells, cell = _compact(confounder * 2 + treated, 2 * kept.size)  # the outcome model's patterns: confounders, exposure
    of, exposed = cells // 2, (cells % 2).astype(float)
    exog = np.column_stack([np.ones(cells.size), exposed, design[of, 1:]])
    weights = np.where(exposed > 0, 1.0, e[of] / (1.0 - e[of]))  # effect on the exposed (ATT)
    beta, cov = glm_newton(y, exog, weights, logistic=False, clusters=clusters, rows=cell)
    return _ratio(beta, cov, 1, int(treated.sum()))


def glm_newton(y, exog, weights, *, logistic: bool, clusters=None, rows=None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted logistic or Poisson (log link) regression by Newton's method: (coefficients, covariance).

    The covariance is the cluster-robust sandwich (by ``clusters``) when given, else the inverse information.
    Equals statsmodels' ``GLM(..., var_weights=weights)`` with ``cov_type="cluster"`` up to its small-sample factor
    (tests/fit/test_causal.py); written out because statsmodels' IRLS takes seconds per fit on 100,000 rows.

    With ``rows`` (each observation's covariate pattern) ``exog`` and ``weights`` are per pattern and ``y`` per
    observation: the likelihood is the same, summed pattern by pattern from the patterns' counts and sums of ``y``
    (sufficient statistics), so a Newton step costs the patterns, not the observations; only the sandwich goes back
    to the observations, once.
    """
    if rows is None:
        counts, sums = np.ones(y.size), y
    else:
        counts = np.bincount(rows, minlength=len(exog)).astype(float)
        sums = np.bincount(rows, weights=y, minlength=len(exog))
    beta = np.zeros(exog.shape[1])
    if not logistic:
        beta[0] = math.log(max(np.sum(weights * sums) / np.sum(weights * counts), 1e-12))
    for _ in range(100):
        eta = np.clip(exog @ beta, -30, 30)
        mean = 1.0 / (1.0 + np.exp(-eta)) if logistic else np.exp(eta)
        variance = mean * (1.0 - mean) if logistic else mean
        grad = exog.T @ (weights * (sums - counts * mean))
        hessian = (exog * (weights * counts * variance)[:, None]).T @ exog
        step = np.linalg.solve(hessian + 1e-12 * np.eye(beta.size), grad)
        beta += step
        if np.max(np.abs(step)) < 1e-9:
            break
    bread = np.linalg.inv(hessian)
    if clusters is None:
        return beta, bread
    if rows is None:
        rows = np.arange(y.size)
    g = group_codes(clusters)
    residual = weights[rows] * (y - mean[rows])
    summed = np.column_stack([np.bincount(g, weights=column[rows] * residual) for column in exog.T])
    return beta, bread @ (summed.T @ summed) @ bread


def designs(panel, customer_category: np.ndarray | None = None, durations: tuple[float, float] = (6.0, 4.0)) -> list[Design]:
    """Every causal design that applies to a segment's panel (the naive one is the joint fit of :mod:`sim.fit.support`);
    ``durations`` are the naive fit's (negative, positive), which the case-crossover borrows."""
    rows = rows_of(panel, customer_category, durations)
    return [self_controlled(rows), weighted(rows)]


def naive_design(estimates: dict) -> Design:
    """The naive joint fit's effects as rate ratios (from the scenario inputs it estimated)."""
    ratios = {}
    for key, (_, _, sign) in EFFECTS.items():
        if key in estimates:
            e = estimates[key]
            ends = sorted(1.0 + sign * x for x in (e.low, e.high))
            ratios[key] = RateRatio(1.0 + sign * e.value, ends[0], ends[1], 0)
    return Design(NAIVE, ratios, {})


def choose(all_designs: list[Design], key: str) -> Design | None:
    """The design :data:`RULE` picks for ``key``: the most robust one that applies and is informative."""
    by_name = {d.name: d for d in all_designs}
    for name in ORDER:
        design = by_name.get(name)
        if design is not None and key in design.ratios and design.ratios[key].informative:
            return design
    return None


def disagreements(all_designs: list[Design]) -> list[tuple[str, str, str]]:
    """(effect, design, design) whose 95 % intervals of the rate ratio do not overlap: their assumptions cannot all
    hold (part of the model review before the memo)."""
    found = []
    for key in EFFECTS:
        have = [d for d in all_designs if key in d.ratios and math.isfinite(d.ratios[key].low)]
        for i, a in enumerate(have):
            for b in have[i + 1:]:
                ra, rb = a.ratios[key], b.ratios[key]
                if ra.high < rb.low or rb.high < ra.low:
                    found.append((key, a.name, b.name))
    return found


# --- the congestion instrument ---------------------------------------------------------------------------------------

INSTRUMENT = "congestion instrument"
ASSUMES[INSTRUMENT] = (
    "a contact's wait is set by the queue (staffing against arrivals), not by the customer, so it moves churn and "
    "buying only through whether the contact satisfies (exclusion) and is unrelated to whatever else drives them (no "
    "priority queue for customers about to leave, no slower queue for harder problems); the effect of a satisfying "
    "contact is the same for the customers whose satisfaction the wait decides as for the others")
MIN_STRENGTH = 10.0
"""A first stage weaker than this F statistic (the wait barely moves satisfaction) gives no estimate (Staiger & Stock)."""


@dataclass(frozen=True)
class Contrast:
    """The instrument's estimate for one outcome: how much a satisfying contact, against an unsatisfying one,
    changes the next month's outcome (churn probability, or purchases), with its 95 % interval; ``base`` is the
    outcome in months after contacts that were neither (the reference), ``strength`` the first stage's F."""

    outcome: str
    value: float
    low: float
    high: float
    base: float
    strength: float
    used: int


def congestion_instrument(panel) -> dict | str:
    """The wait as an instrument for a satisfying contact (two-stage least squares), per outcome; or why it does not apply.

    One wait per contact moves good and bad experiences together (a satisfied contact is not bad), so it cannot
    separate the four effects; it estimates one contrast per outcome -- next month's churn (or purchases) after a
    month whose contacts satisfied (good) against one whose did not -- which the effects the other designs give
    imply as ``base ((m_P - 1) - q (m_B - 1))`` (:func:`implied_contrast`). Customer-months after a month with
    contacts that have a wait; the instrument is their mean ln(wait), the controls tenure bands and ln(contacts
    that month); errors clustered by customer. Walk-aways (leaving in a month with a bad contact) are left out of
    churn, customers leaving out of purchases.
    """
    if panel.waited is None or not np.any(panel.waited > 0):
        return "does not apply: the tickets carry no wait times"
    waits = _previous(panel.waited)
    waited = (panel.tenure >= 1) & (waits > 0)
    bad_before = waited & (_previous(panel.bad) > 0)
    good_before = waited & ~bad_before & (_previous(panel.good) > 0)
    z = np.where(waited, _previous(panel.log_wait) / np.maximum(waits, 1), 0.0)
    walked = panel.ended & (panel.bad > 0)
    found = {}
    outcomes = [("churn", (panel.ended & (panel.bad == 0)).astype(float), waited & ~walked)]
    if panel.purchases is not None:
        outcomes.append(("purchases", panel.purchases.astype(float), waited & ~panel.ended))
    for outcome, y, mask in outcomes:
        if mask.sum() < 50 * MIN_CASES or good_before[mask].all() or not good_before[mask].any():
            return f"does not apply: {int(mask.sum()):,} customer-months follow a month with waits (needs {50 * MIN_CASES:,})"
        controls = np.column_stack([_tenure_bands(panel.tenure[mask]), np.log(waits[mask])])
        value, se, strength = two_stage(y[mask], good_before[mask].astype(float), z[mask], controls, panel.customer[mask])
        if not strength >= MIN_STRENGTH:
            return f"does not apply: the wait barely moves satisfaction (first-stage F {strength:.1f}, needs {MIN_STRENGTH:g})"
        reference = mask & ~good_before & ~bad_before
        found[outcome] = Contrast(outcome, value, value - Z95 * se, value + Z95 * se, float(y[reference].mean()),
                                  strength, int(mask.sum()))
    return found


def two_stage(y, d, z, controls, clusters) -> tuple[float, float, float]:
    """(effect of ``d``, its cluster-robust standard error, first-stage F) of two-stage least squares with one
    instrument ``z`` and exogenous ``controls`` (as statsmodels' IV2SLS / linearmodels with clustered errors)."""
    ones = np.ones_like(y)
    instruments = np.column_stack([ones, z, controls])
    gamma, *_ = np.linalg.lstsq(instruments, d, rcond=None)
    fitted = instruments @ gamma
    regressors = np.column_stack([ones, fitted, controls])
    beta, *_ = np.linalg.lstsq(regressors, y, rcond=None)
    residual = y - np.column_stack([ones, d, controls]) @ beta
    g = group_codes(clusters)

    def sandwich(x, u):
        bread = np.linalg.pinv(x.T @ x)
        scores = np.column_stack([np.bincount(g, weights=x[:, j] * u) for j in range(x.shape[1])])
        return bread @ (scores.T @ scores) @ bread

    first = sandwich(instruments, d - fitted)
    strength = gamma[1] ** 2 / first[1, 1] if first[1, 1] > 0 else 0.0
    return float(beta[1]), float(math.sqrt(max(sandwich(regressors, residual)[1, 1], 0.0))), float(strength)


CONTRASTS = {"churn": ("positive_churn_reduction", "negative_churn_increase"),
             "purchases": ("positive_uplift", "negative_drop")}


def implied_contrast(fit, outcome: str, contrast: Contrast) -> tuple[float, float, float] | None:
    """The contrast the written effects imply, ``base ((m_P - 1) - q (m_B - 1))`` at their estimates and its range over
    their 95 % intervals; ``q`` is the share of unsatisfied contacts that are bad. None when either effect is not
    written (no design is informative) or the shares are not estimated."""
    good_key, bad_key = CONTRASTS[outcome]
    chosen = [choose(fit.designs, key) for key in (good_key, bad_key)]
    if None in chosen or "good" not in fit.estimates or "bad" not in fit.estimates:
        return None
    unsatisfied = 1.0 - fit.estimates["good"].value
    q = fit.estimates["bad"].value / unsatisfied if unsatisfied > 0 else 0.0
    good, bad = chosen[0].ratios[good_key], chosen[1].ratios[bad_key]

    def at(m_p, m_b):
        return contrast.base * ((m_p - 1.0) - q * (m_b - 1.0))

    ends = [at(p, b) for p in (good.low, good.high) for b in (bad.low, bad.high)]
    return at(good.value, bad.value), min(ends), max(ends)
