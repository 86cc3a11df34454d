"""What support does to customers, estimated from a company's tickets, customers and (optionally) orders.

Tickets become experiences by their CSAT (default 4-5 good, 3 neutral, 1-2 bad;
a missing score counts as neutral) or an outcome column. Customers' lives are
cut into calendar months (a *customer-period*: a customer active in a month;
only months complete by the as-of date count). Per segment this module
estimates, each with a 95 % interval:

* **contacts** per active customer and period, and their overdispersion:
  negative binomial (NB2) by maximum likelihood;
* the **shares of good and bad contacts** (binomial, Wald);
* the **response curve**, satisfied share (CSAT good) against the wait:
  logistic regression on the log of the wait, as :mod:`sim.support.response`
  (statsmodels GLM, binomial family); all segments together, as a scenario has one curve;
* **walk-away**: the share of customer-periods with a bad contact that end the
  customer's life that period (the engine's walk-away: a customer who churns
  contacts no one that month), part of the joint churn likelihood below; without
  that fit, against customer-periods with a contact that was not bad
  (difference of proportions, scaled to those who would have stayed);
* the **state effects and their durations**, jointly by maximum likelihood in
  the customer model's own form: a discrete-time hazard model for churn
  (binomial per customer-period; walk-aways are not counted as churn) and a
  Poisson rate model for purchases (customer-periods' orders; quasi-Poisson
  standard errors), both with a separate baseline per tenure band (0-2, 3-5,
  6-11, 12-23, 24+ months) and per segment (every segment is fitted alone). A
  customer whose last good or bad experience was ``k`` periods ago is positive
  or negative with probability ``(1 - 1/duration)^(k - 1)``, so churn is
  ``h * (1 + negative_churn_increase * x_B - positive_churn_reduction * x_P)``
  and buying ``lambda * (1 + positive_uplift * x_P - negative_drop * x_B)``.
  The durations are shared by churn and buying.
* the **churn of neutral customers**, a Beta mix across customers, jointly with
  the churn multipliers and walk-away in one exact per-customer likelihood of
  the engine's form (:mod:`sim.fit.joint_churn`): the ``churn_mix`` that, with
  the effects written, reproduces the company's retention, so that support's
  churn is counted once (a customer list's churn already contains it).

**These are observational estimates.** Customers who contact support, or have
bad experiences, differ from those who do not: a customer who is already
drifting away may both complain more and leave more, which this model reads as
an effect of the experience. ``tests/fit/test_support.py`` measures the bias with
an injected confounder. A pilot (``cxroi fit pilot``) randomises and has no such
bias; see docs/fitting.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from sim.errors import Problem, ScenarioError, UsageError
from sim.fit import causal, checks, joint_churn
from sim.fit.mle import Z95, NotConverged, maximise

TENURE_BANDS = (0, 3, 6, 12, 24)
"""Lower edges of the tenure bands (months since the customer started) with their own baseline."""
FLOOR_MINUTES = 0.5
LONGEST_WAIT_MINUTES = 525_600.0
"""A year: a ticket's wait above it is a mistake in the data (and a number like 1e308 overflows the fits)."""
MIN_CUSTOMER_PERIODS = 200
MIN_EVENTS = 5
DISPERSION_REFIT = 1.05
"""Purchases more overdispersed than this (Pearson chi-square per degree of freedom) are refitted as quasi-Poisson."""
OBSERVATIONAL = ("all these are observational estimates: customers with bad or good contacts differ from those without "
                 "(e.g. customers already drifting away complain more), which biases the naive design; the "
                 "self-controlled design removes differences that are stable over a customer's life, the weighted "
                 "one the measured confounders, each under the assumptions printed; none removes a hidden "
                 "confounder that changes within a customer -- the E-value says how strong it would have to be, "
                 "and a pilot (cxroi fit pilot) randomises")
HAZARD_METHOD = ("discrete-time hazard model of monthly churn (binomial, the customer model's latent state "
                 "mixture, a baseline per tenure band), maximum likelihood")
PURCHASE_METHOD = "Poisson rate model of monthly purchases (quasi-Poisson errors, a baseline per tenure band), jointly"


# --- reading tickets ------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketColumns:
    """Column names of a tickets table; ``csat`` or ``outcome`` (good / neutral / bad) is needed."""

    customer_id: str = "customer_id"
    opened: str = "opened"
    channel: str | None = "channel"
    wait: str | None = "wait_minutes"
    csat: str | None = "csat"
    outcome: str | None = None
    category: str | None = "category"
    """Issue or product category (optional): a measured confounder for the weighting design."""


@dataclass(frozen=True)
class CsatRule:
    """How a CSAT score becomes an experience: scores from ``low`` to ``high``; ``good`` and ``bad`` at least / at most."""

    low: int = 1
    high: int = 5
    good_from: int = 4
    bad_to: int = 2

    def describe(self) -> str:
        def span(low: int, high: int) -> str:
            return f"{low}" if low == high else f"{low}-{high}"

        neutral = f"{span(self.bad_to + 1, self.good_from - 1)} neutral, " if self.good_from - self.bad_to > 1 else ""
        return f"CSAT {span(self.good_from, self.high)} good, {neutral}{span(self.low, self.bad_to)} bad; no score neutral"


GOOD, NEUTRAL, BAD = 1, 0, 2


def _row_problem(mask: np.ndarray, column: str, describe) -> Problem | None:
    positions = np.flatnonzero(mask)
    if positions.size == 0:
        return None
    more = positions.size - 1
    tail = f"; {more} more row{'s' if more != 1 else ''} like this" if more else ""
    return Problem(f"row {checks.row_number(int(positions[0]))}, column '{column}'", describe(int(positions[0])) + tail)


def check_tickets(frame: pd.DataFrame, customers: pd.DataFrame, *, columns: TicketColumns = TicketColumns(),
                  rule: CsatRule = CsatRule(), date_format: str = checks.ISO, as_of=None) -> pd.DataFrame:
    """A checked tickets table: code (row of ``customers``), opened, wait (NaN when absent), experience.

    ``customers`` is a checked customers table. Raises ScenarioError, one line per
    problem: missing columns, empty table, unknown customers, unreadable dates,
    tickets before a customer started or after they left, tickets opened on a day
    after ``as_of`` (when given), CSAT outside the scale, unknown outcomes, negative
    or unreadable waits.
    """
    score = columns.outcome or columns.csat
    if score is None:
        raise ScenarioError([Problem("", "tickets need a CSAT or an outcome column to tell good from bad contacts")])
    names = [columns.customer_id, columns.opened, score]
    if len(frame) == 0:
        raise ScenarioError([Problem("", "the table has no data rows")])
    problems = checks.missing_columns(frame, names)
    if problems:
        raise ScenarioError(problems)
    frame = frame.reset_index(drop=True)
    ids = frame[columns.customer_id]
    checks.check_ids(ids, columns.customer_id, problems, unique=False)
    code = pd.Index(customers["customer_id"]).get_indexer(ids)
    unknown = (code < 0) & ids.notna().to_numpy()
    found = _row_problem(unknown, columns.customer_id, lambda i: f"customer id '{ids.iloc[i]}' is not in the customers table")
    if found:
        problems.append(found)
    opened = checks.parse_dates(frame[columns.opened], columns.opened, date_format, "opening time", problems, required=True)
    checks.check_in_life(opened, code, ids, customers, columns.opened, "ticket opened", problems)
    if as_of is not None:
        checks.check_after(opened, as_of, columns.opened, "ticket opened", problems)
    experience = _experiences(frame, columns, rule, problems)
    wait = np.full(len(frame), np.nan)
    if columns.wait and columns.wait in frame.columns:
        raw = frame[columns.wait]
        wait = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, copy=True)
        unreadable = ~np.isfinite(wait) & raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
        wait[unreadable] = np.nan
        too_long = wait > LONGEST_WAIT_MINUTES
        for mask, text in ((unreadable, "cannot read '{}' as minutes"), (wait < 0, "wait {} is negative"),
                           (too_long, "wait {} is longer than a year: a wait must be between 0 and 525\u00a0600 minutes")):
            found = _row_problem(mask, columns.wait, lambda i, t=text: t.format(raw.iloc[i]))
            if found:
                problems.append(found)
    if problems:
        raise ScenarioError(problems)
    checked = pd.DataFrame({"code": code, "opened": opened.to_numpy(), "wait": wait, "experience": experience})
    if columns.category and columns.category in frame.columns:
        checked["category"] = frame[columns.category].astype("string").str.strip().fillna("").to_numpy()
    return checked


def customer_categories(tickets: pd.DataFrame, customers: int) -> np.ndarray | None:
    """Each customer's most frequent ticket category as an integer code (-1 without tickets), or None without one."""
    if "category" not in tickets.columns:
        return None
    names, category = np.unique(tickets["category"].to_numpy(dtype=str), return_inverse=True)
    counts = np.zeros((customers, names.size))
    np.add.at(counts, (tickets["code"].to_numpy(), category), 1.0)
    return np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), -1)


def _experiences(frame: pd.DataFrame, columns: TicketColumns, rule: CsatRule, problems: list[Problem]) -> np.ndarray:
    if columns.outcome:
        text = frame[columns.outcome].astype("string").str.strip().str.lower()
        mapping = {"good": GOOD, "neutral": NEUTRAL, "bad": BAD}
        wrong = ~text.isin(list(mapping)).fillna(False).to_numpy() & text.notna().to_numpy()
        found = _row_problem(wrong, columns.outcome, lambda i: f"'{frame[columns.outcome].iloc[i]}' is not allowed: "
                                                                 "an outcome is good, neutral or bad")
        if found:
            problems.append(found)
        return text.map(mapping).fillna(NEUTRAL).to_numpy(dtype=int)
    raw = frame[columns.csat]
    score = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    given = raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
    wrong = given & (np.isnan(score) | (score != np.round(score)) | (score < rule.low) | (score > rule.high))
    found = _row_problem(wrong, columns.csat, lambda i: f"{raw.iloc[i]} is not allowed: CSAT must be a whole number "
                                                         f"from {rule.low} to {rule.high}")
    if found:
        problems.append(found)
    return np.where(score >= rule.good_from, GOOD, np.where(score <= rule.bad_to, BAD, NEUTRAL))


# --- customer-periods ---------------------------------------------------------------------------


def month_index(dates) -> np.ndarray:
    """Calendar months since 1970-01 of datetime64 values."""
    return np.asarray(dates, dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)


def last_complete_month(as_of) -> int:
    """The last calendar month that is complete on the as-of date."""
    stamp = pd.Timestamp(as_of).normalize()
    month = int(month_index(np.array([stamp.to_datetime64()]))[0])
    return month if (stamp + pd.Timedelta(days=1)).day == 1 else month - 1


@dataclass(frozen=True, eq=False)
class Panel:
    """One row per customer-period (customer active in a complete month), in customer then month order."""

    customer: np.ndarray
    tenure: np.ndarray
    contacts: np.ndarray
    bad: np.ndarray
    good: np.ndarray
    purchases: np.ndarray | None
    ended: np.ndarray
    since: np.ndarray
    last: np.ndarray
    """Months since the last period with a good or bad contact (0 when none) and its kind (GOOD, BAD, NEUTRAL = none)."""
    waited: np.ndarray | None = None
    log_wait: np.ndarray | None = None
    """Contacts with a wait in the period and the sum of their ln(wait) (the congestion instrument's, sim.fit.causal)."""


def build_panel(customers: pd.DataFrame, tickets: pd.DataFrame, order_codes: np.ndarray | None,
                order_times: np.ndarray | None, last_month: int) -> Panel:
    """Customer-periods with their contacts, experiences, purchases, end of life and time since the last experience."""
    first = month_index(customers["start"].to_numpy())
    has_end = customers["end"].notna().to_numpy()
    end_month = np.where(has_end, month_index(customers["end"].fillna(pd.Timestamp(0)).to_numpy()), np.iinfo(np.int64).max)
    ended = has_end & (end_month <= last_month)
    final = np.where(ended, end_month, last_month)
    lengths = np.maximum(final - first + 1, 0)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    rows = int(lengths.sum())
    customer = np.repeat(np.arange(len(customers)), lengths)
    tenure = np.arange(rows) - offsets[customer]

    def per_row(codes: np.ndarray, months: np.ndarray, weights=None, dtype=np.int64) -> np.ndarray:
        inside = (codes >= 0) & (months <= final[codes]) & (months >= first[codes])
        index = offsets[codes[inside]] + (months[inside] - first[codes[inside]])
        return np.bincount(index, weights=None if weights is None else weights[inside], minlength=rows).astype(dtype)

    ticket_month = month_index(tickets["opened"].to_numpy())
    codes = tickets["code"].to_numpy()
    experience = tickets["experience"].to_numpy()
    contacts = per_row(codes, ticket_month)
    bad = per_row(codes, ticket_month, (experience == BAD).astype(float))
    good = per_row(codes, ticket_month, (experience == GOOD).astype(float))
    purchases = per_row(order_codes, month_index(order_times)) if order_codes is not None else None
    is_end = np.zeros(rows, dtype=bool)
    is_end[(offsets + lengths - 1)[ended & (lengths > 0)]] = True
    kind = np.where(bad > 0, BAD, np.where(good > 0, GOOD, NEUTRAL))
    # Last row before this one (same customer) with an experience: a running maximum of such row numbers.
    marked = np.where(kind != NEUTRAL, np.arange(rows), -1)
    previous = np.concatenate([[-1], np.maximum.accumulate(marked)[:-1]]) if rows else marked
    previous = np.where(previous >= offsets[customer], previous, -1)
    since = np.where(previous >= 0, tenure - tenure[np.maximum(previous, 0)], 0)
    last = np.where(previous >= 0, kind[np.maximum(previous, 0)], NEUTRAL)
    wait = tickets["wait"].to_numpy(dtype=float) if "wait" in tickets else np.full(len(tickets), np.nan)
    given = np.isfinite(wait)
    waited = per_row(codes, ticket_month, given.astype(float))
    log_wait = per_row(codes, ticket_month, np.where(given, np.log(np.maximum(np.nan_to_num(wait), FLOOR_MINUTES)), 0.0), float)
    return Panel(customer, tenure, contacts, bad, good, purchases, is_end, since, last, waited, log_wait)


# --- the estimates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """One estimated input: value, 95 % interval, how it was estimated."""

    name: str
    value: float
    low: float
    high: float
    method: str
    no_interval: str = ""
    """Why there is no interval (a limit of the model, not an estimate with sampling error); empty when there is one."""

    def as_row(self, segment: str) -> dict:
        def number(x: float) -> float | None:
            return x if math.isfinite(x) else None

        row = {"segment": segment, "parameter": self.name, "estimate": self.value, "ci_low": number(self.low),
               "ci_high": number(self.high), "method": self.method}
        if self.no_interval:
            row["no_interval"] = self.no_interval
        return row


@dataclass(frozen=True, eq=False)
class SupportFit:
    """A segment's estimates (``estimates`` by scenario key) and the data behind them."""

    segment: str
    customers: int
    customer_periods: int
    tickets: int
    estimates: dict[str, Estimate] = field(default_factory=dict)
    designs: list = field(default_factory=list)
    """The experience effects by every design (:mod:`sim.fit.causal`), the naive joint fit's first."""
    observed_churn: float = math.nan
    """Share of customer-months that end the customer's life (walk-aways included): what a customer list shows."""
    neutral_churn: float = math.nan
    """The hazard model's churn of a neutral customer, averaged over the customer-months' tenure bands."""
    instrument: dict | str | None = None
    """The congestion instrument's contrasts by outcome (:func:`sim.fit.causal.congestion_instrument`), or why it does
    not apply; the model review compares them with the effects written."""
    churn: object = None
    """The neutral customers' churn mix fitted jointly with the effects and walk-away (:mod:`sim.fit.joint_churn`),
    or None when that fit did not converge (``churn_problem`` says why)."""
    churn_problem: str = ""

    def as_rows(self) -> list[dict]:
        return [e.as_row(self.segment) for e in self.estimates.values()]


@dataclass(frozen=True)
class ResponseFit:
    """The response curve fitted to the company's tickets: logit(satisfied) = intercept + slope ln(wait)."""

    intercept: Estimate
    slope: Estimate
    tickets: int


def _wald(name: str, value: float, se: float, method: str) -> Estimate:
    return Estimate(name, float(value), float(value - Z95 * se), float(value + Z95 * se), method)


def share_estimates(experience: np.ndarray) -> list[Estimate]:
    """Shares of good and bad contacts with Wald intervals."""
    n = max(experience.size, 1)
    out = []
    for key, kind in (("good", GOOD), ("bad", BAD)):
        p = float(np.mean(experience == kind)) if experience.size else 0.0
        out.append(_wald(key, p, math.sqrt(p * (1 - p) / n), f"share of {n:,} contacts"))
    return out


def contact_rate(counts: np.ndarray, label: str) -> list[Estimate]:
    """Contacts per customer-period: NB2 mean and overdispersion (1 / size) by maximum likelihood."""
    values, freq = np.unique(counts, return_counts=True)
    freq = freq.astype(float)
    mean = float(np.sum(values * freq) / freq.sum())
    variance = float(np.sum(freq * (values - mean) ** 2) / freq.sum())
    method = "negative binomial (NB2) per customer-period, maximum likelihood"
    if variance <= mean * 1.0001 or mean <= 0:
        se = math.sqrt(max(mean, 1e-12) / freq.sum())
        return [_wald("contacts", mean, se, "Poisson per customer-period (no overdispersion in the data)"),
                _no_overdispersion("the contacts' variance is at most their mean")]

    def loglik(params):
        mu, r = params
        y = values
        ll = freq * (gammaln(y + r) - gammaln(r) + r * np.log(r / (r + mu)) + y * np.log(mu / (r + mu)))
        d_mu = freq * (y - mu) * r / (mu * (r + mu))
        d_r = freq * (digamma(y + r) - digamma(r) + np.log(r / (r + mu)) + (mu - y) / (r + mu))
        return float(ll.sum()), np.array([d_mu.sum(), d_r.sum()])

    start = (mean, mean**2 / max(variance - mean, 1e-9))
    poisson_ll = float(np.sum(freq * (values * math.log(mean) - mean)))
    poisson = _wald("contacts", mean, math.sqrt(mean / freq.sum()), "Poisson per customer-period (NB2 not better: LR test)")
    try:
        fit = maximise(loglik, start, ("mu", "size"), int(freq.sum()))
    except NotConverged as stopped:
        if "size" in stopped.at_edge:  # the size runs to infinity: a Poisson
            return [poisson, _no_overdispersion("the NB2 fit runs to its Poisson limit (size -> infinity)")]
        ll = loglik(np.asarray(stopped.params, float))[0] if np.all(np.asarray(stopped.params) > 0) else math.nan
        if math.isfinite(ll) and 2 * (ll - poisson_ll) < 3.84:  # stopped where it is no better than the Poisson
            return [poisson, _no_overdispersion("the NB2 fit stops on its way to its Poisson limit (size -> "
                                                "infinity), no better than the Poisson by the likelihood-ratio test")]
        raise ScenarioError([Problem(label, f"the contact-count fit does not converge: {stopped.reason}")]) from None
    alpha = 1 / fit.value("size")
    if 2 * (fit.loglik - poisson_ll) < 3.84:
        se_alpha = alpha * fit.std_error("size") / fit.value("size")
        return [poisson, Estimate("contacts_overdispersion", alpha, 0.0, alpha + Z95 * se_alpha,
                                  "NB2 alpha; not distinguishable from 0 (Poisson) by the likelihood-ratio test")]
    mu_low, mu_high = fit.interval("mu")
    size_low, size_high = fit.interval("size")
    return [Estimate("contacts", fit.value("mu"), mu_low, mu_high, method),
            Estimate("contacts_overdispersion", alpha, 1 / size_high, 1 / size_low,
                     "NB2 overdispersion alpha = 1 / size (variance = mean + alpha mean^2)")]


def _no_overdispersion(why: str) -> Estimate:
    """Overdispersion 0 as the Poisson limit: degenerate, so no interval (a [0, 0] is not an estimate's interval)."""
    return Estimate("contacts_overdispersion", 0.0, math.nan, math.nan, "Poisson limit of the NB2",
                    f"degenerate: {why}, so the counts are Poisson and 0 is a limit, not an estimate")


def walk_away(panel: Panel, label: str) -> Estimate:
    """P(leave this period | bad contact) against customer-periods with a contact that was not bad."""
    with_bad = panel.bad > 0
    other = (panel.contacts > 0) & ~with_bad
    n_b, n_o = int(with_bad.sum()), int(other.sum())
    if n_b < MIN_EVENTS or n_o < MIN_EVENTS:
        raise ScenarioError([Problem(label, f"too few customer-periods with contacts ({n_b} with a bad one, {n_o} "
                                            f"without) to estimate walk-away; {checks.thin_data_advice(label)}")])
    p_b, p_o = panel.ended[with_bad].mean(), panel.ended[other].mean()
    value = (p_b - p_o) / (1 - p_o)
    se = math.sqrt(p_b * (1 - p_b) / n_b + p_o * (1 - p_o) / n_o) / (1 - p_o)
    return _wald("walk_away", value, se, f"share leaving in a month with a bad contact ({n_b:,}) against months with "
                                         f"a contact that was not bad ({n_o:,}), scaled to those who would have stayed")


@dataclass(frozen=True, eq=False)
class Cells:
    """Customer-periods grouped by tenure band, kind of last experience and months since it."""

    band: np.ndarray
    x_kind: np.ndarray
    since: np.ndarray
    n: np.ndarray
    churned: np.ndarray
    exposure: np.ndarray
    purchases: np.ndarray
    purchases_sq: np.ndarray


def cells(panel: Panel) -> Cells:
    """Group the panel into cells; churn counts only those who left without a bad contact that month."""
    band = np.searchsorted(np.asarray(TENURE_BANDS), panel.tenure, side="right") - 1
    since = np.where(panel.last == NEUTRAL, 0, panel.since)
    width = int(since.max()) + 1 if since.size else 1
    key = (band * 3 + panel.last) * width + since
    unique, index = np.unique(key, return_inverse=True)
    churned = panel.ended & (panel.bad == 0)
    buys = panel.purchases if panel.purchases is not None else np.zeros(panel.tenure.size)
    exposure = ~churned  # a customer who leaves at the start of a month buys nothing in it
    return Cells(
        band=unique // (3 * width), x_kind=(unique // width) % 3, since=unique % width,
        n=np.bincount(index).astype(float), churned=np.bincount(index, weights=churned.astype(float)),
        exposure=np.bincount(index, weights=exposure.astype(float)),
        purchases=np.bincount(index, weights=buys * exposure), purchases_sq=np.bincount(index, weights=buys**2 * exposure))


def _states(c: Cells, d_neg: float, d_pos: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """P(negative), P(positive) at each cell and their derivatives in (duration - 1)."""
    k = np.maximum(c.since, 1).astype(float)
    out = []
    for kind, d in ((BAD, d_neg), (GOOD, d_pos)):
        r = d / (1.0 + d)  # 1 - 1/duration with duration = 1 + d
        x = np.where(c.x_kind == kind, r ** (k - 1), 0.0)
        dx = np.where(c.x_kind == kind, (k - 1) * r ** np.maximum(k - 2, 0) / (1.0 + d) ** 2, 0.0)
        out += [x, dx]
    return out[0], out[2], out[1], out[3]


DURATIONS = ("negative_duration_minus_1", "positive_duration_minus_1")
DURATION_GRID = (0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 11.0, 17.0, 23.0, 35.0, 47.0, 71.0)
"""Durations minus one tried when the data cannot pin a duration down (profile likelihood on this grid)."""


@dataclass(frozen=True, eq=False)
class EffectsFit:
    """The joint fit's estimates, with any duration the data could not pin down held at its profile-likelihood best."""

    estimates: object
    fixed: dict

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.estimates.names) + tuple(self.fixed)

    @property
    def loglik(self) -> float:
        return self.estimates.loglik

    def value(self, name: str) -> float:
        return float(self.fixed[name]) if name in self.fixed else self.estimates.value(name)

    def interval(self, name: str) -> tuple[float, float]:
        return (math.nan, math.nan) if name in self.fixed else self.estimates.interval(name)


def state_effects(c: Cells, with_purchases: bool, label: str, dispersion: float = 1.0,
                  fixed: dict[str, float] | None = None) -> EffectsFit:
    """Joint maximum likelihood of the churn hazard and purchase rate models (see the module docstring).

    ``fixed`` holds durations (minus one) at given values. When a duration runs to
    the edge of the parameter space (the data cannot pin it down), it is held at
    the best value of :data:`DURATION_GRID` by profile likelihood and reported as
    not identified; the other intervals are then conditional on it.
    """
    try:
        return _state_effects(c, with_purchases, dispersion, fixed or {})
    except NotConverged as stopped:
        loose = [name for name in DURATIONS if name in stopped.at_edge and name not in (fixed or {})]
        if not loose:
            raise ScenarioError([Problem(label, f"the experience-effect fit does not converge: {stopped.reason}; "
                                                f"{checks.thin_data_advice(label)}")]) from None
    best = None
    for value in DURATION_GRID:
        trial = {**(fixed or {}), loose[0]: value}
        try:
            fit = _state_effects(c, with_purchases, dispersion, trial)
        except NotConverged:
            continue
        if best is None or fit.loglik > best.loglik:
            best = fit
    if best is None:
        return state_effects(c, with_purchases, label, dispersion, {**(fixed or {}), loose[0]: DURATION_GRID[-1]})
    return best


def _state_effects(c: Cells, with_purchases: bool, dispersion: float, fixed: dict[str, float]) -> EffectsFit:
    bands = np.unique(c.band)
    band_of = np.searchsorted(bands, c.band)
    nb = bands.size
    names = [f"churn_band{b}" for b in bands] + ["churn_negative", "churn_positive", "negative_duration_minus_1",
                                                 "positive_duration_minus_1"]
    if with_purchases:
        names += [f"buy_band{b}" for b in bands] + ["buy_positive", "buy_negative"]

    def loglik(params):
        h = params[:nb][band_of]
        m_b, m_p, d_b, d_p = params[nb:nb + 4]
        x_b, x_p, dx_b, dx_p = _states(c, d_b, d_p)
        mult = 1 + (m_b - 1) * x_b + (m_p - 1) * x_p
        p = h * mult
        if np.any(p >= 1) or np.any(p <= 0):
            return -np.inf, np.zeros(params.size)
        g = c.churned / p - (c.n - c.churned) / (1 - p)
        ll = float(np.sum(c.churned * np.log(p) + (c.n - c.churned) * np.log1p(-p)))
        grad = np.zeros(params.size)
        grad[:nb] = np.bincount(band_of, weights=g * mult, minlength=nb)
        grad[nb] = np.sum(g * h * x_b)
        grad[nb + 1] = np.sum(g * h * x_p)
        grad[nb + 2] = np.sum(g * h * (m_b - 1) * dx_b)
        grad[nb + 3] = np.sum(g * h * (m_p - 1) * dx_p)
        if with_purchases:
            lam = params[nb + 4:2 * nb + 4][band_of]
            m_u, m_d = params[2 * nb + 4:]
            bmult = 1 + (m_u - 1) * x_p + (m_d - 1) * x_b
            mu = c.exposure * lam * bmult
            positive = mu > 0
            gp = np.where(positive, c.purchases / np.where(positive, mu, 1) - 1, 0.0) / dispersion
            ll += float(np.sum(np.where(positive, c.purchases * np.log(np.where(positive, mu, 1)) - mu, 0.0)) / dispersion)
            base = c.exposure * lam
            grad[nb + 4:2 * nb + 4] = np.bincount(band_of, weights=gp * c.exposure * bmult, minlength=nb)
            grad[2 * nb + 4] = np.sum(gp * base * x_p)
            grad[2 * nb + 5] = np.sum(gp * base * x_b)
            grad[nb + 2] += np.sum(gp * base * (m_d - 1) * dx_b)
            grad[nb + 3] += np.sum(gp * base * (m_u - 1) * dx_p)
        return ll, grad

    churn0 = [max(c.churned[band_of == i].sum() / c.n[band_of == i].sum(), 1e-4) for i in range(nb)]
    start = churn0 + [1.5, 0.8, 5.0, 3.0]
    if with_purchases:
        start += [max(c.purchases[band_of == i].sum() / max(c.exposure[band_of == i].sum(), 1), 1e-3)
                  for i in range(nb)] + [1.1, 0.8]
    free = [i for i, name in enumerate(names) if name not in fixed]
    full = np.array([fixed.get(name, value) for name, value in zip(names, start)], dtype=float)

    def free_loglik(params):
        values = full.copy()
        values[free] = params
        value, grad = loglik(values)
        return value, grad[free]

    estimates = maximise(free_loglik, full[free], [names[i] for i in free], int(c.n.sum()))
    return EffectsFit(estimates, dict(fixed))


def purchase_dispersion(c: Cells, fit, with_purchases: bool) -> float:
    """Pearson chi-square per degree of freedom of the purchase model, from per-customer-period sums (at least 1)."""
    if not with_purchases:
        return 1.0
    names = list(fit.names)
    bands = np.unique(c.band)
    band_of = np.searchsorted(bands, c.band)
    lam = np.array([fit.value(f"buy_band{b}") for b in bands])[band_of]
    d_b, d_p = fit.value("negative_duration_minus_1"), fit.value("positive_duration_minus_1")
    x_b, x_p, _, _ = _states(c, d_b, d_p)
    rate = lam * (1 + (fit.value("buy_positive") - 1) * x_p + (fit.value("buy_negative") - 1) * x_b)
    used = c.exposure > 0
    pearson = np.sum(c.purchases_sq[used] / rate[used] - 2 * c.purchases[used] + c.exposure[used] * rate[used])
    return max(float(pearson / max(c.exposure.sum() - len(names), 1)), 1.0)


def effect_estimates(fit, with_purchases: bool) -> list[Estimate]:
    """Scenario inputs from the multipliers: each a log-scale Wald interval of a positive parameter, transformed."""
    def interval(name):
        return fit.value(name), *fit.interval(name)

    out = []
    m, lo, hi = interval("churn_negative")
    out.append(Estimate("negative_churn_increase", m - 1, lo - 1, hi - 1, HAZARD_METHOD))
    m, lo, hi = interval("churn_positive")
    out.append(Estimate("positive_churn_reduction", 1 - m, 1 - hi, 1 - lo, HAZARD_METHOD))
    for key, name in (("negative_duration", "negative_duration_minus_1"), ("positive_duration", "positive_duration_minus_1")):
        d, lo, hi = interval(name)
        if name in fit.fixed:
            out.append(Estimate(key, 1 + d, lo, hi, "not identified by the data: the profile-likelihood best on a grid "
                                                    "(the other intervals are conditional on it)"))
        else:
            out.append(Estimate(key, 1 + d, 1 + lo, 1 + hi, "mean months in the state, shared by the churn and purchase models"))
    if with_purchases:
        m, lo, hi = interval("buy_positive")
        out.append(Estimate("positive_uplift", m - 1, lo - 1, hi - 1, PURCHASE_METHOD))
        m, lo, hi = interval("buy_negative")
        out.append(Estimate("negative_drop", 1 - m, 1 - hi, 1 - lo, PURCHASE_METHOD))
    return out


def response_curve(wait: np.ndarray, experience: np.ndarray) -> ResponseFit | None:
    """Logistic regression of satisfied (good) contacts on ln(wait), waits under half a minute counted as half a minute."""
    try:
        import statsmodels.api as sm
    except ImportError:
        raise UsageError("cxroi fit support needs statsmodels for the response curve: pip install 'cxroi[fit]'") from None

    given = np.isfinite(wait)
    if given.sum() < MIN_CUSTOMER_PERIODS:
        return None
    x = np.log(np.maximum(np.round(wait[given], 1), FLOOR_MINUTES))
    good = (experience[given] == GOOD).astype(float)
    values, index = np.unique(x, return_inverse=True)
    successes = np.bincount(index, weights=good)
    totals = np.bincount(index).astype(float)
    model = sm.GLM(np.column_stack([successes, totals - successes]), sm.add_constant(values), family=sm.families.Binomial())
    result = model.fit()
    (a, b), (sa, sb) = result.params, result.bse
    method = f"logistic regression of satisfied contacts on ln(wait) (statsmodels GLM, {int(given.sum()):,} tickets)"
    return ResponseFit(_wald("intercept", a, sa, method), _wald("slope", b, sb, method), int(given.sum()))


def fit_support(tickets: pd.DataFrame, customers: pd.DataFrame, orders: pd.DataFrame | None = None, *, as_of=None,
                today=None, ticket_columns: TicketColumns = TicketColumns(),
                customer_columns: checks.CustomerColumns = checks.CustomerColumns(),
                order_columns: checks.OrderColumns = checks.OrderColumns(amount=None),
                rule: CsatRule = CsatRule(), date_format: str = checks.ISO,
                causal_designs: bool = True, joint_churn_fit: bool = True) -> tuple[dict[str, SupportFit], ResponseFit | None]:
    """Per segment: contacts, shares, walk-away and state effects (see the module docstring); and the response curve.

    With ``causal_designs`` (the default) every design of :mod:`sim.fit.causal` also runs (``SupportFit.designs``);
    tests of the naive fit alone turn it off. With ``joint_churn_fit`` (the default) the neutral customers' churn
    is fitted jointly with the effects and walk-away (:mod:`sim.fit.joint_churn`, ``SupportFit.churn``), and
    walk-away is that likelihood's; tests of the designs alone turn it off.

    ``as_of`` defaults to the latest date in the data, which must not be after ``today`` (the caller's clock;
    None checks nothing). Raises ScenarioError (one line per problem, not yet attributed to a file: the caller
    adds which table).
    """
    checked = checked_data(tickets, customers, orders, as_of=as_of, today=today, ticket_columns=ticket_columns,
                           customer_columns=customer_columns, order_columns=order_columns, rule=rule,
                           date_format=date_format)
    return fit_checked(checked, causal_designs, joint_churn_fit)


def fit_checked(checked: tuple, causal_designs: bool = True,
                joint_churn_fit: bool = True) -> tuple[dict[str, SupportFit], ResponseFit | None]:
    """:func:`fit_support` of data already checked by :func:`checked_data` (whose result ``checked`` is), so a
    caller that also needs the checked data (the holdout) checks it once."""
    people, table, order_codes, order_times, as_of = checked
    fits = fit_segments(people, table, order_codes, order_times, last_complete_month(as_of), causal_designs,
                        joint_churn_fit)
    return fits, response_curve(table["wait"].to_numpy(), table["experience"].to_numpy())


def checked_data(tickets: pd.DataFrame, customers: pd.DataFrame, orders: pd.DataFrame | None, *, as_of,
                 ticket_columns: TicketColumns, customer_columns: checks.CustomerColumns,
                 order_columns: checks.OrderColumns, rule: CsatRule, date_format: str, today=None):
    """(customers, tickets, orders' customer codes, orders' times, as-of day) checked and parsed; ScenarioError with
    one line per problem ('tickets: ...', 'orders: ...' for theirs). Without ``as_of``, the latest date of the
    tickets and customers (:func:`_latest`), none of them after ``today``."""
    given = as_of is not None
    if not given:
        as_of = _latest(tickets, customers, ticket_columns, customer_columns, date_format, today)
    people = checks.check_customers(customers, as_of=as_of, columns=customer_columns, date_format=date_format)
    try:
        # A default as-of day is the tickets' own last day or later: only a given one can have tickets after it.
        table = check_tickets(tickets, people, columns=ticket_columns, rule=rule, date_format=date_format,
                              as_of=as_of if given else None)
    except ScenarioError as error:
        raise _of_tickets(error) from None
    order_codes = order_times = None
    if orders is not None:
        try:
            order_table = checks.check_orders(
                orders, columns=order_columns, date_format=date_format, as_of=as_of, customers=people,
                as_of_words=None if given else "the last day of the tickets and customers (no --as-of given)")
        except ScenarioError as error:
            raise ScenarioError([Problem(f"orders: {p.path}" if p.path else "orders", p.message) for p in error.problems]) from None
        order_codes = order_table["code"].to_numpy()
        order_times = order_table["time"].to_numpy()
    return people, table, order_codes, order_times, as_of


def fit_segments(people: pd.DataFrame, table: pd.DataFrame, order_codes, order_times, last_month: int,
                 causal_designs: bool = True, joint_churn_fit: bool = True, cut: bool = False) -> dict[str, SupportFit]:
    """Per segment the fit of the calendar months up to ``last_month`` (:func:`month_index`). With ``cut`` (the
    holdout check's calibration, :mod:`sim.fit.support_holdout`) the tickets after it count in neither the shares of
    good and bad contacts nor the customers' categories; without, every ticket does (the as-of month's too)."""
    panel = build_panel(people, table, order_codes, order_times, last_month)
    segment_of_row = people["segment"].to_numpy()[panel.customer]
    segment_of_ticket = people["segment"].to_numpy()[table["code"].to_numpy()]
    seen = month_index(table["opened"].to_numpy()) <= last_month if cut else np.ones(len(table), dtype=bool)
    categories = customer_categories(table[seen], len(people))
    names = sorted(pd.unique(people["segment"]), key=str)
    segmented = not (len(names) == 1 and names[0] == checks.ALL)
    fits, problems = {}, []
    for name in names:
        label = f"segment '{name}'" if segmented else ""
        rows = segment_of_row == name
        part = _subset(panel, rows)
        try:
            fits[name] = _fit_segment(name, label, part,
                                      table["experience"].to_numpy()[(segment_of_ticket == name) & seen],
                                      int((people["segment"] == name).sum()), order_codes is not None, categories,
                                      causal_designs, joint_churn_fit)
        except ScenarioError as error:
            problems.extend(error.problems)
    if problems:
        raise ScenarioError(problems)
    return fits


def _fit_segment(name: str, label: str, panel: Panel, experience: np.ndarray, customers: int, with_purchases: bool,
                 categories: np.ndarray | None = None, causal_designs: bool = True,
                 joint_churn_fit: bool = True) -> SupportFit:
    if panel.tenure.size < MIN_CUSTOMER_PERIODS or panel.ended.sum() < MIN_EVENTS:
        raise ScenarioError([Problem(label, f"too little history ({panel.tenure.size:,} customer-periods, "
                                            f"{int(panel.ended.sum())} customers leaving); {checks.thin_data_advice(label)}")])
    stayed = ~(panel.ended & (panel.bad == 0))  # in the model, a customer who leaves at a month's start contacts no one
    estimates = contact_rate(panel.contacts[stayed], label) + share_estimates(experience) + [walk_away(panel, label)]
    grouped = cells(panel)
    fit = state_effects(grouped, with_purchases, label)
    dispersion = purchase_dispersion(grouped, fit, with_purchases)
    if dispersion > DISPERSION_REFIT:
        fit = state_effects(grouped, with_purchases, label, dispersion, fit.fixed or None)
    estimates += effect_estimates(fit, with_purchases)
    by_name = {e.name: e for e in estimates}
    durations = (by_name["negative_duration"].value, by_name["positive_duration"].value)
    designs = [causal.naive_design(by_name), *causal.designs(panel, categories, durations)] if causal_designs else []
    bands = np.unique(grouped.band)
    base = np.array([fit.value(f"churn_band{b}") for b in bands])[np.searchsorted(bands, grouped.band)]
    neutral = float(np.sum(grouped.n * base) / np.sum(grouped.n))
    churn, churn_problem = _joint_churn(panel, designs, by_name) if joint_churn_fit else (None, "not fitted")
    if churn is not None:
        by_name["walk_away"] = Estimate("walk_away", *churn.walk_away, joint_churn.WALK_METHOD.format(
            walks=churn.walks, months=churn.bad_months))
    return SupportFit(name, customers, int(panel.tenure.size), int(experience.size), by_name, designs,
                      float(panel.ended.mean()), neutral,
                      causal.congestion_instrument(panel) if causal_designs else None, churn, churn_problem)


def _joint_churn(panel: Panel, designs: list, by_name: dict) -> tuple[object, str]:
    """The neutral customers' churn mix with walk-away and the effects (one likelihood), or (None, why not)."""
    history = joint_churn.histories(panel.customer, panel.tenure, panel.bad, panel.good, panel.ended)
    held, held_se = joint_churn.held_multipliers(designs, by_name)
    durations = (by_name["positive_duration"].value, by_name["negative_duration"].value)
    try:
        return joint_churn.fit_joint(history, durations, held, held_se), ""
    except NotConverged as stopped:
        return None, f"the joint churn fit does not converge: {stopped.reason}"


def _subset(panel: Panel, rows: np.ndarray) -> Panel:
    return Panel(*(None if value is None else value[rows] for value in (
        panel.customer, panel.tenure, panel.contacts, panel.bad, panel.good, panel.purchases, panel.ended, panel.since,
        panel.last, panel.waited, panel.log_wait)))


def _of_tickets(error: ScenarioError) -> ScenarioError:
    """The tickets' problems, each marked 'tickets: ' (the caller puts them on the tickets file)."""
    return ScenarioError([Problem(f"tickets: {p.path}" if p.path else "tickets", p.message) for p in error.problems])


def _latest(tickets, customers, ticket_columns, customer_columns, date_format, today):
    """The latest date in the tickets and customers (the default as-of date; NaT when none can be read, which
    the checks then report), by :func:`sim.fit.checks.data_end`: a date after ``today`` is refused."""
    def read(frame, names):
        return {column: frame[column] if pd.api.types.is_datetime64_any_dtype(frame[column]) else
                pd.to_datetime(frame[column], format=date_format, errors="coerce")
                for column in names if column in frame.columns}

    ends, problems = [], []
    try:
        ends.append(checks.data_end(read(customers, (customer_columns.start, customer_columns.end)), today))
    except ScenarioError as error:
        problems += error.problems
    try:
        ends.append(checks.data_end(read(tickets, (ticket_columns.opened,)), today))
    except ScenarioError as error:
        problems += _of_tickets(error).problems
    if problems:
        raise ScenarioError(problems)
    return max((end for end in ends if pd.notna(end)), default=pd.NaT)
