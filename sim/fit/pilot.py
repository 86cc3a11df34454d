"""A pilot's result as the posterior distribution of the intervention's effect.

A pilot has a treated and a control arm. Per arm it reports events out of an
exposure: customers who churned out of the customers followed, bad experiences
out of the contacts handled, or purchases over the customer-periods observed.
Each arm's rate gets a conjugate posterior (Gelman et al., *Bayesian Data
Analysis*, 3rd ed., sections 2.4 and 2.6):

* a proportion (churn, bad experiences): beta-binomial, prior Beta(a, b),
  posterior Beta(a + events, b + exposure - events); default prior Jeffreys'
  Beta(1/2, 1/2);
* a rate (purchases): gamma-Poisson, prior Gamma(shape a, rate b), posterior
  Gamma(a + events, b + exposure); default prior Gamma(1/2, 0) (Jeffreys',
  improper but proper after one observation period).

The effect is the ratio treated / control: a risk ratio for proportions, a rate
ratio for rates. The rate ratio of two gamma posteriors is a scaled F
distribution (exact quantiles); the risk ratio of two betas has no closed form
and is summarised from independent posterior draws (a fixed seed, 400,000
draws: quantiles to about 0.1 %). Either is written into a scenario as the
intervention's ``scale`` of the parameter, a lognormal with the posterior's
mean and sd on the log scale (so its median is the posterior median).

Customers buy at rates that differ (the scenario's own ``purchase_mix``: Gamma
rates, so a customer's purchases are negative binomial), which one Poisson rate
per arm ignores: its interval is then too narrow. When a pilot's table has a row
per customer (or per site, week or group), :func:`negative_binomial` fits each
arm's rows by maximum likelihood as NB2 counts with the row's customer-periods
as exposure -- mean ``rate * exposure``, variance ``mean + alpha * mean^2``
(Lawless 1987, *Negative binomial and mixed Poisson regression*, Canadian
Journal of Statistics 15; Cameron & Trivedi, *Regression Analysis of Count
Data*, 2nd ed., 2013, section 3.3) -- and the arm's gamma posterior keeps its
form with *effective counts*: the events that carry the same information about
the log rate as the negative binomial likelihood at its maximum (its Fisher
information ``sum(mu / (1 + alpha mu))``; the rate and ``alpha`` are
orthogonal, so not knowing ``alpha`` costs the rate nothing to first order,
Lawless 1987), over the exposure that keeps the fitted rate. The rate ratio is
then the same scaled F with fewer degrees of freedom. Why the negative binomial
rather than a quasi-Poisson dispersion: it is the law the simulator uses for a
``purchase_mix`` (Gamma rates), it weighs rows of unequal exposure as that law
does (a quasi-Poisson dispersion assumes variance proportional to the mean,
which Gamma-mixed rates break when customers are followed for different
times), and it gives the model review a law to test the rows against. With
``alpha`` = 0 (no more spread than Poisson: the overdispersion score
``sum((y - mu)^2 - y)`` is 0 or less) the effective counts are the arm's totals
and the result is the gamma-Poisson one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy import optimize
from scipy.special import digamma, polygamma

from sim.errors import LARGEST, Problem, ScenarioError, number_problem
from sim.fit.scenario_inputs import written

KINDS = {
    "churn": ("proportion", "customers", "churned", "risk ratio of churn"),
    "bad": ("proportion", "contacts", "bad", "risk ratio of bad experiences per contact"),
    "purchases": ("rate", "customer_periods", "purchases", "rate ratio of purchases per customer-period"),
}
"""What a pilot measures: (kind of rate, exposure column, events column, the effect's name)."""
PRIORS = {"proportion": (0.5, 0.5), "rate": (0.5, 0.0)}
"""Default priors: Jeffreys' Beta(1/2, 1/2) for a proportion, Gamma(1/2, rate 0) for a Poisson rate."""
POSTERIOR_DRAWS = 400_000
SEED = 20_150
LEVEL = 0.95


@dataclass(frozen=True)
class Arm:
    """One arm's result: ``events`` out of ``exposure`` (customers, contacts or customer-periods)."""

    events: float
    exposure: float


@dataclass(frozen=True)
class Dispersion:
    """One arm's rows as negative binomial counts (:func:`negative_binomial`): purchases per customer-period
    ``rate``, ``alpha`` = 1 / the Gamma shape of the rows' rates (0: Poisson), and the effective counts that carry
    the likelihood's information about the log rate (``arm``)."""

    rate: float
    alpha: float
    rows: int
    arm: Arm
    """Effective purchases and customer-periods: the gamma-Poisson update that matches the fit."""
    events: float
    """The arm's purchases (its rows' sum)."""

    @property
    def factor(self) -> float:
        """How many times a Poisson count's variance the arm's total has (the purchases per effective purchase)."""
        return self.events / self.arm.events if self.arm.events > 0 else 1.0


MAX_ALPHA = 1e3
"""The largest ``alpha`` searched (a Gamma shape of 0.001: rates spread over many orders of magnitude)."""


def negative_binomial(events, exposure) -> Dispersion:
    """One arm's rows (``events`` over ``exposure`` each) fitted as NB2 counts by maximum likelihood, with
    ``alpha`` = 0 when the overdispersion score ``sum((y - mu)^2 - y)`` at the Poisson fit is 0 or less (see the
    module docstring). Rows without exposure carry nothing and are left out; an arm with fewer than two other
    rows, or no events, has no spread to estimate and stays Poisson (``alpha`` 0, its totals as they are)."""
    y = np.asarray(events, float)
    e = np.asarray(exposure, float)
    keep = e > 0
    y, e = y[keep], e[keep]
    total = Arm(float(y.sum()), float(e.sum()))
    poisson = Dispersion(total.events / total.exposure if total.exposure > 0 else 0.0, 0.0, int(y.size), total,
                         total.events)
    if y.size < 2 or total.events <= 0 or np.sum((y - poisson.rate * e) ** 2 - y) <= 0:
        return poisson
    ratios = y / e
    low, high = float(ratios.min()), float(ratios.max())

    def rate_at(alpha: float) -> float:
        """The rate's maximum likelihood given ``alpha``: the root of sum((y - rate e) / (1 + alpha rate e))."""
        def score(rate: float) -> float:
            return float(np.sum((y - rate * e) / (1.0 + alpha * rate * e)))
        if score(low) <= 0:  # every row's rate is the same (the score at the lowest is at most 0)
            return low
        if score(high) >= 0:
            return high
        return optimize.brentq(score, low, high, xtol=1e-14 * high, rtol=1e-13)

    def minus_loglik(log_alpha: float) -> float:
        alpha = math.exp(log_alpha)
        mu = rate_at(alpha) * e
        size = 1.0 / alpha
        return -float(np.sum(stats.nbinom.logpmf(y, size, size / (size + mu))))

    found = optimize.minimize_scalar(minus_loglik, bounds=(math.log(1e-8), math.log(MAX_ALPHA)), method="bounded",
                                     options={"xatol": 1e-6})
    alpha = math.exp(float(found.x))
    rate = rate_at(alpha)
    mu = rate * e
    information = float(np.sum(mu / (1.0 + alpha * mu)))  # Fisher information of log(rate)
    return Dispersion(rate, alpha, int(y.size), Arm(information, information / rate), total.events)


@dataclass(frozen=True)
class Posterior:
    """A conjugate posterior of one arm's rate: Beta(a, b) or Gamma(shape a, rate b)."""

    kind: str
    a: float
    b: float

    @property
    def frozen(self):
        return stats.beta(self.a, self.b) if self.kind == "proportion" else stats.gamma(self.a, scale=1 / self.b)

    def describe(self) -> str:
        return f"Beta({self.a:g}, {self.b:g})" if self.kind == "proportion" else f"Gamma(shape {self.a:g}, rate {self.b:g})"


def posterior(kind: str, arm: Arm, prior: tuple[float, float] | None = None) -> Posterior:
    """The conjugate update of ``prior`` (default :data:`PRIORS`) by one arm's events and exposure."""
    a, b = prior or PRIORS[kind]
    if kind == "proportion":
        return Posterior(kind, a + arm.events, b + arm.exposure - arm.events)
    return Posterior(kind, a + arm.events, b + arm.exposure)


@dataclass(frozen=True)
class Effect:
    """The posterior of treated / control: mean, median, interval, P(effect < 1) and log-scale moments."""

    measure: str
    treated: Posterior
    control: Posterior
    mean: float
    median: float
    low: float
    high: float
    prob_below_one: float
    log_mean: float
    log_sd: float
    method: str
    dispersion: tuple[Dispersion, Dispersion] | None = None
    """(treated, control) negative binomial fits when the rows allowed them (purchases), else None."""

    @property
    def name(self) -> str:
        return KINDS[self.measure][3]

    def scale_spec(self, source: str, inverse: bool = False) -> dict:
        """The effect as an uncertain ``scale``: lognormal with the posterior's log-scale mean and sd.

        ``inverse``: the scale of 1 / ratio instead, lognormal with the log-scale mean negated and the same sd,
        its base 1 / median (the median of 1 / x): what a Gamma mix's ``rate`` is scaled by so that every
        customer's rate is scaled by the ratio (``purchase_mix.rate``; docs/scenario-reference.md).
        """
        log_mean, median = (-self.log_mean, 1 / self.median) if inverse else (self.log_mean, self.median)
        mean = math.exp(log_mean + self.log_sd**2 / 2)
        sd = mean * math.sqrt(math.expm1(self.log_sd**2))
        return {"dist": "lognormal", "mean": written(mean), "sd": written(sd), "base": written(median), "source": source}


NB_METHOD = ("negative binomial per arm by maximum likelihood (customers' rates differ), its effective counts in the "
             "gamma posterior; rate ratio as a scaled F distribution")


def effect(measure: str, treated: Arm, control: Arm, prior: tuple[float, float] | None = None,
           level: float = LEVEL, dispersion: tuple[Dispersion, Dispersion] | None = None) -> Effect:
    """The posterior of the treated-to-control ratio of a pilot's rates (see the module docstring); with
    ``dispersion`` (purchases: each arm's :func:`negative_binomial` fit) each arm's posterior takes the fit's
    effective counts instead of ``treated`` and ``control``."""
    kind = KINDS[measure][0]
    if dispersion is not None:
        treated, control = dispersion[0].arm, dispersion[1].arm
    t, c = posterior(kind, treated, prior), posterior(kind, control, prior)
    tails = ((1 - level) / 2, (1 + level) / 2)
    if kind == "rate":
        # (lt / lc) * (bt a_c) / (bc a_t) ~ F(2 a_t, 2 a_c): the ratio of two scaled chi-squares.
        factor = (c.b * t.a) / (t.b * c.a)
        f = stats.f(2 * t.a, 2 * c.a, scale=factor)
        low, high = f.ppf(tails)
        log_mean, log_sd = _log_moments(t, c)
        method = NB_METHOD if dispersion is not None else "gamma-Poisson; rate ratio as a scaled F distribution (exact)"
        return Effect(measure, t, c, float(f.mean()) if c.a > 1 else math.inf, float(f.median()), float(low), float(high),
                      float(f.cdf(1.0)), log_mean, log_sd, method, dispersion)
    rng = np.random.default_rng(SEED)
    ratio = t.frozen.rvs(POSTERIOR_DRAWS, random_state=rng) / c.frozen.rvs(POSTERIOR_DRAWS, random_state=rng)
    low, median, high = np.quantile(ratio, [tails[0], 0.5, tails[1]])
    log_mean, log_sd = _log_moments(t, c)
    # Mean exactly: E[p_t] E[1 / p_c] = a_t / (a_t + b_t) * (a_c + b_c - 1) / (a_c - 1).
    mean = t.a / (t.a + t.b) * (c.a + c.b - 1) / (c.a - 1) if c.a > 1 else math.inf
    return Effect(measure, t, c, mean, float(median), float(low), float(high), float(np.mean(ratio < 1)),
                  log_mean, log_sd, f"beta-binomial; risk ratio quantiles from {POSTERIOR_DRAWS:,} posterior draws (seed {SEED})")


def _log_moments(t: Posterior, c: Posterior) -> tuple[float, float]:
    """Exact mean and sd of log(treated / control): digamma and trigamma of the posteriors' parameters.

    log Beta(a, b) has mean psi(a) - psi(a + b) and variance psi'(a) - psi'(a + b);
    log Gamma(a, rate b) has mean psi(a) - log b and variance psi'(a).
    """
    def moments(p: Posterior) -> tuple[float, float]:
        if p.kind == "proportion":
            return digamma(p.a) - digamma(p.a + p.b), polygamma(1, p.a) - polygamma(1, p.a + p.b)
        return digamma(p.a) - math.log(p.b), polygamma(1, p.a)

    (mt, vt), (mc, vc) = moments(t), moments(c)
    return float(mt - mc), float(math.sqrt(vt + vc))


def check_arm(measure: str, arm: Arm, where: str) -> list[Problem]:
    """Problems with one arm's numbers: negative or non-finite values, more events than exposure for a proportion.

    ``where`` locates the arm: a table row ('row 2': the column is added), an option ('--treated') or ''.
    """
    kind, exposure_name, events_name, _ = KINDS[measure]

    def at(column: str) -> str:
        return f"{where}, column '{column}'" if where.startswith("row") else (where or column)

    problems = []
    for name, value in ((events_name, arm.events), (exposure_name, arm.exposure)):
        if not math.isfinite(value) or value < 0:
            problems.append(Problem(at(name), f"{value:g} {name} is not allowed: must be 0 or more"))
        elif number_problem(value):
            problems.append(Problem(at(name), f"{name}: {number_problem(value)}"))
    if problems:
        return problems
    if arm.exposure <= 0 and where.startswith("row"):  # a row of no exposure is fine without events: these have some
        exposure_words = exposure_name.replace("_", "-")
        problems.append(Problem(at(events_name), (
            f"{arm.events:g} {events_name} of 0 {exposure_name}: {events_name} must be at most {exposure_name}"
            if kind == "proportion" else
            f"{arm.events:g} {events_name} in 0 {exposure_words}: a row with {events_name} needs {exposure_words}")))
    elif arm.exposure <= 0:
        problems.append(Problem(at(exposure_name),
                                f"{arm.exposure:g} is not allowed: an arm needs some {exposure_name.replace('_', '-')}"))
    elif kind == "proportion" and arm.events > arm.exposure:
        problems.append(Problem(at(events_name), f"{arm.events:g} {events_name} of {arm.exposure:g} {exposure_name}: "
                                                 f"{events_name} must be at most {exposure_name}"))
    if kind == "proportion" and arm.events != int(arm.events):
        problems.append(Problem(at(events_name), f"{arm.events:g} is not allowed: a count must be a whole number"))
    return problems


def pilot_effect(measure: str, treated: Arm, control: Arm, prior: tuple[float, float] | None = None,
                 where: tuple[str, str] = ("treated", "control"),
                 dispersion: tuple[Dispersion, Dispersion] | None = None) -> Effect:
    """Check both arms (one line per problem, raised together) and return :func:`effect`."""
    if measure not in KINDS:
        raise ScenarioError([Problem("measure", f"'{measure}' is not allowed: must be one of {', '.join(KINDS)}")])
    problems = check_arm(measure, treated, where[0]) + check_arm(measure, control, where[1])
    if prior is not None:
        a, b = prior
        if number_problem(a) or number_problem(b) or not a > 0 or not b >= 0:
            problems.append(Problem("prior", f"{a:g},{b:g} is not allowed: A must be more than 0 and B at least 0, "
                                             f"both at most {LARGEST:,.0f}"))
    if problems:
        raise ScenarioError(problems)
    return effect(measure, treated, control, prior, dispersion=dispersion)
