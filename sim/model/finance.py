"""Cash flows to present values, NPV, ROI and payback, per draw.

Conventions (docs/model.md, Finance): operating flows and recurring program costs
fall at the end of their period; a one-off cost is paid at the start of its
period. Benefit is the intervention's change against the baseline in gross
profit less support and acquisition spend (``gross_profit`` basis) or in
revenue (``revenue`` basis). ``ROI = (PV(benefit) - PV(cost)) / PV(cost)``.
All arrays are ``(draws, periods)`` or ``(draws,)``, in the scenario's currency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def period_rate(annual_rate: float, periods_per_year: int) -> float:
    """The per-period rate equivalent to an annual one: (1 + r)^(1/k) - 1."""
    return (1.0 + annual_rate) ** (1.0 / periods_per_year) - 1.0


def discount_factors(periods: int, annual_rate: float, periods_per_year: int) -> np.ndarray:
    """Factors for flows at the end of periods 1..T: (1 + r_p)^-t."""
    return (1.0 + period_rate(annual_rate, periods_per_year)) ** -np.arange(1, periods + 1)


def operating_result(flows: dict[str, np.ndarray], basis: str) -> np.ndarray:
    """What an arm earns per period on the chosen basis, before program costs and support capacity."""
    if basis == "revenue":
        return flows["revenue"]
    variable_support = flows["support_cost"] - flows["capacity_cost"]
    return flows["gross_profit"] - variable_support - flows["acquisition_spend"]


def benefit_and_capacity_cost(arm: dict[str, np.ndarray], baseline: dict[str, np.ndarray], basis: str):
    """(benefit, extra cost) per draw and period of an arm against the baseline.

    Support capacity (agents, licences, proactive outreach: the ``capacity_cost``
    of scenarios with operations) is a spending decision: what an intervention
    adds to it counts as the intervention's cost, what it saves as benefit. So
    an intervention that only adds agents has a defined ROI, and one that cuts
    them is not credited with a negative cost.
    """
    change = arm["capacity_cost"] - baseline["capacity_cost"]
    benefit = operating_result(arm, basis) - operating_result(baseline, basis) + np.maximum(-change, 0.0)
    return benefit, np.maximum(change, 0.0)


def program_costs(one_off: np.ndarray, recurring: np.ndarray, start: int, periods: int) -> tuple[np.ndarray, np.ndarray]:
    """(one-off, recurring) cost per draw and period: one-off in period ``start``, recurring from it on."""
    draws = len(one_off)
    active = (np.arange(1, periods + 1) >= start).astype(float)
    once = np.zeros((draws, periods))
    once[:, start - 1] = one_off
    return once, recurring[:, None] * active[None, :]


MIN_COST_FOR_ROI = 0.01
"""PV cost (in currency units) below which ROI is undefined: a hundredth of a unit is no cost to divide by."""
ROI_UNDEFINED = (
    "ROI is undefined: its PV cost is 0 (no programme cost and no added support capacity; capacity it saves "
    "counts as benefit), so there is nothing to divide by; judge it by NPV"
)
"""Why ROI is missing where PV cost is 0: the reason summary.json, the table and the memo give."""


@dataclass(frozen=True)
class Appraisal:
    """An intervention's financial outcome per draw."""

    pv_benefit: np.ndarray
    pv_cost: np.ndarray
    npv: np.ndarray
    roi: np.ndarray
    payback: np.ndarray
    """First period (1-based) at or after the start from which cumulative discounted net stays >= 0; NaN if none."""
    cumulative_net: np.ndarray | None
    """(draws, periods) cumulative discounted net cash flow (None where only per-draw results were kept)."""


def appraise(
    benefit: np.ndarray,
    one_off: np.ndarray,
    recurring: np.ndarray,
    factors: np.ndarray,
    start: int,
) -> Appraisal:
    """NPV, ROI and payback of an intervention from its per-period benefit and costs."""
    start_factors = np.concatenate([[1.0], factors[:-1]])
    discounted_benefit = benefit * factors
    discounted_cost = one_off * start_factors + recurring * factors
    pv_benefit = discounted_benefit.sum(axis=1)
    pv_cost = discounted_cost.sum(axis=1)
    npv = pv_benefit - pv_cost
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        roi = np.where(pv_cost >= MIN_COST_FOR_ROI, npv / pv_cost, np.nan)  # else undefined: see ROI_UNDEFINED
    cumulative = np.cumsum(discounted_benefit - discounted_cost, axis=1)
    return Appraisal(pv_benefit, pv_cost, npv, roi, payback_period(cumulative, start), cumulative)


def payback_period(cumulative: np.ndarray, start: int) -> np.ndarray:
    """First period >= ``start`` after which cumulative discounted net stays non-negative to the horizon; NaN if none.

    So a draw has paid back exactly when it ends at or above zero (NPV >= 0),
    and P(payback) agrees with the final outcome: a programme that is ahead in
    its first month and behind at the end has not paid back, and one that
    dips below zero again is paid back only from its last recovery on.
    """
    holds = cumulative[:, start - 1 :] >= 0.0
    # stays[:, t]: non-negative in period t and every later one.
    stays = np.flip(np.logical_and.accumulate(np.flip(holds, axis=1), axis=1), axis=1)
    first = np.argmax(stays, axis=1)
    return np.where(stays[:, -1], first + start, np.nan).astype(float)
