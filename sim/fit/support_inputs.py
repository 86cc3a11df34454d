"""Support estimates as scenario inputs: each experience effect from the design a stated rule picks.

Each estimate becomes ``{dist = "interval", low, high, confidence = 0.95, base, source}``
with its own 95 % interval. The four experience effects (churn while negative or
positive, buying while positive or negative) come from the causal design that
:func:`sim.fit.causal.choose` picks (:data:`sim.fit.causal.RULE`: the most robust
design that applies and is informative), with that design's interval -- no
widening factor -- and a source that names the design and the effect's E-value
(how strong a hidden confounder would have to be to explain it away). An end
beyond the parameter's domain is truncated there explicitly (``min`` / ``max``
in the table, shown in the memo's words). An estimate outside the domain itself
(say, a negative churn reduction) is not written: it is reported with the
reason, never clipped silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.fit import causal
from sim.fit.scenario_inputs import interval_spec
from sim.fit.support import Estimate, ResponseFit, SupportFit
from sim.model.distributions import DURATION, NON_NEGATIVE, PROBABILITY, Domain

UNIDENTIFIED = 10.0
"""A duration whose 95 % upper end is more than this many times its estimate is not written: the data do not pin it down."""
EXPERIENCE_KEYS = {
    "walk_away": PROBABILITY, "negative_churn_increase": NON_NEGATIVE, "positive_churn_reduction": PROBABILITY,
    "negative_drop": PROBABILITY, "positive_uplift": NON_NEGATIVE, "negative_duration": DURATION,
    "positive_duration": DURATION, "good": PROBABILITY, "bad": PROBABILITY,
}


@dataclass(frozen=True)
class Suggested:
    """One input to write: path, spec (number or table), comment."""

    path: str
    spec: dict
    comment: str


def interval_input(estimate: Estimate, domain: Domain, source: str) -> dict:
    """The estimate as an interval table with its own 95 % interval.

    An end past the parameter's domain is cut at the domain's edge and the
    distribution truncated there (``min`` / ``max``); the source says so.
    """
    low, high = estimate.low, estimate.high
    cut = []
    if low < domain.low:
        low = domain.low
        cut.append(f"cut at {domain.low:g}")
    if high > domain.high:
        high = domain.high
        cut.append(f"cut at {domain.high:g}")
    spec = interval_spec(estimate.value, low, high)
    if low <= domain.low:
        spec["min"] = domain.low
    if high >= domain.high:
        spec["max"] = domain.high
    spec["source"] = source + (f"; interval {' and '.join(cut)}, the edge of what is allowed" if cut else "")
    return spec


def chosen_estimate(fit: SupportFit, key: str) -> tuple[Estimate | None, str]:
    """The experience effect ``key`` from the design the rule picks, or (None, why not)."""
    design = causal.choose(fit.designs, key) if fit.designs else None
    if design is None:
        if not fit.designs:
            return fit.estimates.get(key), ""
        return None, (f"no design gives an informative estimate (a 95 % interval of the rate ratio narrower than a factor "
                      f"of {causal.INFORMATIVE_SPAN:g}); give more history, or run a pilot")
    ratio = design.ratios[key]
    value, low, high = causal.as_input(key, ratio)
    method = (f"{design.name} design, rate ratio {ratio.value:.3g} (95 % {ratio.low:.3g} to {ratio.high:.3g}); "
              f"E-value {ratio.e_value:.2f} ({ratio.e_value_interval:.2f} for the interval): a hidden confounder would "
              f"need a risk ratio of at least {ratio.e_value:.2f} with both the experience and the outcome to explain "
              f"the effect away; the most robust design that applies and is informative (docs/causal-support.md)")
    return Estimate(key, value, low, high, method), ""


def support_inputs(fits: dict[str, SupportFit], response: ResponseFit | None, *, evidence: str,
                   segment_map: dict[str, str] | None = None,
                   operations: bool = False) -> tuple[list[Suggested], list[str]]:
    """(inputs to write, notes on what was not written and why) for a scenario.

    With ``operations`` the shares of good and bad contacts come from the
    scenario's queues, so the response curve is written instead of them.
    """
    segment_map = segment_map or {}
    suggested, notes = [], []
    for name, fit in fits.items():
        segment = segment_map.get(name, name)
        wanted = {"contacts": NON_NEGATIVE, **{k: d for k, d in EXPERIENCE_KEYS.items()
                                                if not (operations and k in ("good", "bad"))}}
        for key, domain in wanted.items():
            if key not in fit.estimates:
                continue
            estimate = fit.estimates[key]
            path = f"segments.{segment}.{key}" if key == "contacts" else f"segments.{segment}.experience.{key}"
            if key in causal.EFFECTS:
                estimate, why_not = chosen_estimate(fit, key)
                if estimate is None:
                    notes.append(f"{path}: not written: {why_not}")
                    continue
            if key.endswith("duration") and not math.isfinite(estimate.high):
                notes.append(f"{path}: not written: the data cannot pin it down (the fit holds it at {estimate.value:.3g} "
                             "months); give orders (--orders) or a longer history")
                continue
            if key.endswith("duration") and estimate.high > UNIDENTIFIED * estimate.value:
                notes.append(f"{path}: not written: the data cannot pin it down (95 % interval {estimate.low:.3g} to "
                             f"{estimate.high:.3g} months); give orders (--orders) or a longer history")
                continue
            if not domain.contains(estimate.value):
                shown = f"{estimate.value:.3g}".replace("-", "\u2212")
                notes.append(f"{path}: not written: the estimate {shown} is outside what it allows "
                             f"({domain.what} must be {domain.allowed()}); see the caveat on observational estimates")
                continue
            source = (f"cxroi fit support ({evidence}): {estimate.value:.3g} (95 % {estimate.low:.3g} to "
                      f"{estimate.high:.3g}), {estimate.method}")
            if key == "walk_away" or key.endswith("duration"):
                source += "; naive: no causal design for it yet (see docs/causal-support.md)"
            suggested.append(Suggested(path, interval_input(estimate, domain, source), "fitted from tickets"))
    if operations and response is not None:
        for part in (response.intercept, response.slope):
            source = (f"cxroi fit support ({evidence}): {part.value:.4g} (95 % {part.low:.4g} to {part.high:.4g}), "
                      f"{part.method}")
            suggested.append(Suggested(f"operations.response.{part.name}", interval_input(part, Domain(), source),
                                       "the company's own response curve (replaces the default fitted to ten Swedish companies)"))
    elif response is not None:
        notes.append("operations.response: not written: the scenario has no [operations] section "
                     "(its good and bad shares are written instead)")
    return suggested, notes


CHURN_KEYS = ("churn", "monthly_churn", "annual_churn", "churn_mix")


def churn_writes(fits: dict[str, SupportFit], writes, *, evidence: str, segment_map: dict[str, str] | None = None,
                 scenario: dict | None = None) -> None:
    """Add to ``writes`` each segment's neutral churn from the joint fit (:mod:`sim.fit.joint_churn`): ``churn_mix``
    (or ``monthly_churn`` when churn does not differ between customers), replacing any other churn key.

    The mix goes with the experience effects and walk-away written beside it, so together they reproduce the
    company's retention. When the churn it replaces came from the customer list (``cxroi fit customers``), which
    contains the churn support causes, one line says so; any other churn key replaced is named too. A segment
    whose joint fit did not converge keeps its churn, with a line that says the effects may count churn twice.
    Its model review entry (``[review."segments.NAME.churn_mix"]``, replacing the customer list's) comes with the
    other inputs' from :func:`sim.fit.review.review_support`.
    """
    segment_map = segment_map or {}
    for name, fit in fits.items():
        segment = segment_map.get(name, name)
        present = ((scenario or {}).get("segments") or {}).get(segment) or {}
        old = [key for key in CHURN_KEYS if key in present]
        from_list = [key for key in old if "cxroi fit customers" in str(present[key])]
        churn = fit.churn
        if churn is None:
            if from_list:
                writes.notes.append(f"segments.{segment}.{from_list[0]}: fitted from the customer list, whose churn "
                                    f"already contains the churn support causes, and not replaced: {fit.churn_problem}; "
                                    f"with the experience effects on top the scenario counts that churn twice")
            else:
                writes.notes.append(f"segments.{segment}: churn not written: {fit.churn_problem}")
            continue
        key = "monthly_churn" if churn.homogeneous else "churn_mix"
        source = (f"cxroi fit support ({evidence}): churn of neutral customers, {joint_method(churn)}; with walk-away "
                  f"{churn.walk_away[0]:.3g}, the churn multipliers held at the effects written ({held_words(churn)}) "
                  f"and durations {churn.durations[1]:.3g} (negative) and {churn.durations[0]:.3g} (positive) months; "
                  f"95 % intervals from the observed information given the multipliers, with the written effects' own "
                  f"uncertainty carried through (delta method)")
        for other in old:
            if other != key:
                writes.set(f"segments.{segment}.{other}", None)
        if churn.homogeneous:
            low, high = churn.written.interval("p")
            writes.set(f"segments.{segment}.monthly_churn", interval_spec(churn.written.value("p"), low, high, source),
                       "neutral customers' churn, fitted jointly with the experience effects")
        else:
            writes.mix(f"segments.{segment}.churn_mix", ("alpha", "beta"), churn.written, source,
                       f"neutral customers' churn, fitted jointly with the experience effects: mean "
                       f"{churn.mean_churn:.4g} a month at the start")
        said = (f"mean {churn.mean_churn * 100:.2f}\u00a0% a month for a new neutral customer, against "
                f"{fit.observed_churn * 100:.2f}\u00a0% of customer-months ending in the data")
        if "dropout_mix" in present:
            writes.notes.append(f"segments.{segment}.dropout_mix: kept, but its dropouts count as churn on top of the "
                                f"churn written here, which the customer list's ends already hold: fit the orders with "
                                f"--customers (no dropout) or remove it")
        if from_list:
            writes.notes.append(f"segments.{segment}.{key}: the customer list's churn (cxroi fit customers, "
                                f"{', '.join(from_list)}), which contains the churn support causes, is replaced by the "
                                f"neutral customers' churn fitted jointly with the experience effects and walk-away "
                                f"({said}): support's churn is counted once")
        elif old:
            writes.notes.append(f"segments.{segment}.{key}: replaces {', '.join(old)}: the neutral customers' churn, "
                                f"fitted jointly with the experience effects and walk-away ({said})")


def held_words(churn, times: str = "x") -> str:
    """The multipliers the written mix goes with, in words: 'x2.09 while negative, x0.739 while positive'; an effect
    not written is held at none, and the mix then absorbs it."""
    parts = []
    for value, state in zip(churn.held[::-1], ("negative", "positive")):
        parts.append(f"{times}{value:.3g} while {state}" if value != 1.0 else
                     f"none while {state}: not written, the mix absorbs it")
    return ", ".join(parts)


def joint_method(churn) -> str:
    """How the joint churn was fitted, in a phrase."""
    form = ("one churn probability (churn does not differ between customers: the Beta's limit)" if churn.homogeneous
            else "Beta-mixed across customers")
    return (f"{form}, a discrete-time hazard with the experience states' multipliers and walk-away in the engine's "
            f"form, exact per-customer likelihood of {churn.customers:,} customers (Gauss-Jacobi over the Beta, the "
            f"latent states summed by a forward recursion), maximum likelihood")
