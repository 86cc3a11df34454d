"""Support estimates as scenario inputs: widened for being observational, within what each parameter allows.

Each estimate becomes ``{dist = "interval", low, high, confidence = 0.95, base, source}``
with its 95 % interval widened by a stated factor around the estimate (``widen``,
default 2): the intervals of :mod:`sim.fit.support` reflect sampling error only,
not the bias of comparing customers who had bad or good contacts with those who
did not. A widened end beyond the parameter's domain is truncated there
explicitly (``min`` / ``max`` in the table, shown in the memo's words). An
estimate outside the domain itself (say, a negative churn reduction) is not
written: it is reported with the reason, never clipped silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.fit.support import Estimate, ResponseFit, SupportFit
from sim.model.distributions import DURATION, NON_NEGATIVE, PROBABILITY, Domain

DEFAULT_WIDEN = 2.0
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


def widened(estimate: Estimate, widen: float, domain: Domain, source: str) -> dict:
    """The estimate as an interval table, widened ``widen`` times around the estimate.

    An end that the widening pushes past the parameter's domain is cut at the
    domain's edge and the distribution truncated there (``min`` / ``max``); the
    source says so.
    """
    low = estimate.value - widen * (estimate.value - estimate.low)
    high = estimate.value + widen * (estimate.high - estimate.value)
    cut = []
    if low < domain.low:
        low = domain.low
        cut.append(f"cut at {domain.low:g}")
    if high > domain.high:
        high = domain.high
        cut.append(f"cut at {domain.high:g}")
    spec = {"dist": "interval", "low": _round(low), "high": _round(high), "confidence": 0.95,
            "base": _round(estimate.value)}
    if low <= domain.low:
        spec["min"] = domain.low
    if high >= domain.high:
        spec["max"] = domain.high
    spec["source"] = source + (f"; widened interval {' and '.join(cut)}, the edge of what is allowed" if cut else "")
    return spec


def _round(x: float) -> float:
    return float(f"{x:.4g}")


def support_inputs(fits: dict[str, SupportFit], response: ResponseFit | None, *, evidence: str,
                   widen: float = DEFAULT_WIDEN, segment_map: dict[str, str] | None = None,
                   operations: bool = False) -> tuple[list[Suggested], list[str]]:
    """(inputs to write, notes on what was not written and why) for a scenario.

    With ``operations`` the shares of good and bad contacts come from the
    scenario's queues, so the response curve is written instead of them.
    """
    segment_map = segment_map or {}
    why = (f"observational, so the interval is widened x{widen:g} (customers with bad or good contacts differ from "
           "those without; a pilot is better evidence)")
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
            if key.endswith("duration") and not math.isfinite(estimate.high):
                notes.append(f"{path}: not written: the data cannot pin it down (the fit holds it at {estimate.value:.3g} "
                             "months); give orders (--orders) or a longer history")
                continue
            if key.endswith("duration") and estimate.high > UNIDENTIFIED * estimate.value:
                notes.append(f"{path}: not written: the data cannot pin it down (95 % interval {estimate.low:.3g} to "
                             f"{estimate.high:.3g} months); give orders (--orders) or a longer history")
                continue
            if not domain.contains(estimate.value):
                notes.append(f"{path}: not written: the estimate {estimate.value:.3g} is outside what it allows "
                             f"({domain.what} must be {domain.allowed()}); see the caveat on observational estimates")
                continue
            source = (f"cxroi fit support ({evidence}): {estimate.value:.3g} (95 % {estimate.low:.3g} to "
                      f"{estimate.high:.3g}), {estimate.method}; {why}")
            suggested.append(Suggested(path, widened(estimate, widen, domain, source), "fitted from tickets"))
    if operations and response is not None:
        for part in (response.intercept, response.slope):
            source = (f"cxroi fit support ({evidence}): {part.value:.4g} (95 % {part.low:.4g} to {part.high:.4g}), "
                      f"{part.method}")
            suggested.append(Suggested(f"operations.response.{part.name}", widened(part, 1.0, Domain(), source),
                                       "the company's own response curve (replaces the default fitted to ten Swedish companies)"))
    elif response is not None:
        notes.append("operations.response: not written: the scenario has no [operations] section "
                     "(its good and bad shares are written instead)")
    return suggested, notes
