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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats
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


def effect(measure: str, treated: Arm, control: Arm, prior: tuple[float, float] | None = None,
           level: float = LEVEL) -> Effect:
    """The posterior of the treated-to-control ratio of a pilot's rates (see the module docstring)."""
    kind = KINDS[measure][0]
    t, c = posterior(kind, treated, prior), posterior(kind, control, prior)
    tails = ((1 - level) / 2, (1 + level) / 2)
    if kind == "rate":
        # (lt / lc) * (bt a_c) / (bc a_t) ~ F(2 a_t, 2 a_c): the ratio of two scaled chi-squares.
        factor = (c.b * t.a) / (t.b * c.a)
        f = stats.f(2 * t.a, 2 * c.a, scale=factor)
        low, high = f.ppf(tails)
        log_mean, log_sd = _log_moments(t, c)
        return Effect(measure, t, c, float(f.mean()) if c.a > 1 else math.inf, float(f.median()), float(low), float(high),
                      float(f.cdf(1.0)), log_mean, log_sd, "gamma-Poisson; rate ratio as a scaled F distribution (exact)")
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
                 where: tuple[str, str] = ("treated", "control")) -> Effect:
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
    return effect(measure, treated, control, prior)
