"""`cxroi fit pilot --measure purchases` when customers buy at rates that differ: each arm's rows fitted as negative
binomial counts (sim.fit.pilot.negative_binomial) widen the rate ratio's interval to what the spread allows.

Simulated pilots (numpy, fixed seeds) with a known rate ratio: customers' rates Gamma(shape 2) around the arm's
rate, each followed 1-6 customer-periods, purchases Poisson given the rate. The new 95 % interval must hold the
truth at 95 % (within three binomial standard errors of the coverage) where one Poisson rate per arm holds it far
less often; on Poisson customers (no mixing) the two intervals are about as wide. About 4.5 s in all.
"""

import math

import numpy as np
import pandas as pd
import pytest

import sim
from sim.fit.pilot import Arm, effect, negative_binomial
from sim.fit.pilot_report import ONE_RATE, arm_totals, pilot_report, pilot_rows
from sim.fit.pilot_review import review_pilot

TRUE_RATIO = 1.2
REPLICATIONS = 200
CUSTOMERS = 300
"""Per arm."""


def purchase_pilot(rng, shape: float | None, n: int = CUSTOMERS, early: float = TRUE_RATIO,
                   late: float = TRUE_RATIO, buyers: float | None = None) -> pd.DataFrame:
    """A pilot of ``n`` customers per arm, one row each, enrolled over 60 days: purchases Poisson given the
    customer's rate, 0.8 per customer-period in the control arm times the rate ratio (``early`` for those enrolled
    before day 30, ``late`` after) in the treated, times a Gamma(``shape``, mean 1) draw per customer (None: no
    mixing) or, with ``buyers``, that share of customers buying at 1 / ``buyers`` times the rate and the rest never."""
    arm = np.repeat(["treated", "control"], n)
    periods = rng.integers(1, 7, 2 * n)
    day = rng.integers(0, 60, 2 * n)
    rate = 0.8 * np.where(arm == "treated", np.where(day >= 30, late, early), 1.0)
    if shape:
        rate = rate * rng.gamma(shape, 1.0 / shape, 2 * n)
    if buyers:
        rate = rate * np.where(rng.random(2 * n) < buyers, 1.0 / buyers, 0.0)
    return pd.DataFrame({"arm": arm, "enrolled": day, "customer_periods": periods,
                         "purchases": rng.poisson(rate * periods)})


def old_and_new(frame: pd.DataFrame):
    """(one Poisson rate per arm, negative binomial per arm) effects of one simulated pilot."""
    arms = [frame[frame["arm"] == name] for name in ("treated", "control")]
    totals = [Arm(float(a["purchases"].sum()), float(a["customer_periods"].sum())) for a in arms]
    fits = tuple(negative_binomial(a["purchases"].to_numpy(), a["customer_periods"].to_numpy()) for a in arms)
    return effect("purchases", *totals), effect("purchases", *totals, dispersion=fits)


def coverage(shape: float | None, seed: int):
    """(old coverage, new coverage, mean new / old log-width ratio, mean fitted alpha) over the replications."""
    rng = np.random.default_rng(seed)
    held_old = held_new = 0
    widths, alphas = [], []
    for _ in range(REPLICATIONS):
        old, new = old_and_new(purchase_pilot(rng, shape))
        held_old += old.low < TRUE_RATIO < old.high
        held_new += new.low < TRUE_RATIO < new.high
        widths.append(math.log(new.high / new.low) / math.log(old.high / old.low))
        alphas.append(np.mean([d.alpha for d in new.dispersion]))
    return held_old / REPLICATIONS, held_new / REPLICATIONS, float(np.mean(widths)), float(np.mean(alphas))


def test_gamma_mixed_customers_the_new_interval_holds_the_truth_at_95_percent_the_old_far_less():
    """Measured (seed 1): old 0.745, new 0.945, the new interval 1.64 times as wide on the log scale, alpha 0.50."""
    old, new, width, alpha = coverage(2.0, seed=1)
    se = math.sqrt(0.95 * 0.05 / REPLICATIONS)  # 1.5 points
    assert abs(new - 0.95) < 3 * se, new
    assert old < 0.95 - 3 * math.sqrt(old * (1 - old) / REPLICATIONS) - 3 * se, old
    assert width > 1.4
    assert alpha == pytest.approx(0.5, abs=0.05)  # 1 / the Gamma shape, by maximum likelihood


def test_poisson_customers_the_new_interval_is_about_as_wide_as_the_old():
    """No mixing: alpha is 0 in about half the arms (the overdispersion score), small otherwise. Measured (seed 2):
    the new interval 1.016 times as wide on average, coverage 0.98 both."""
    old, new, width, _ = coverage(None, seed=2)
    assert 1.0 <= width < 1.05
    se = math.sqrt(0.95 * 0.05 / REPLICATIONS)
    assert abs(new - 0.95) < 3 * se and abs(old - 0.95) < 3 * se


def test_no_more_spread_than_poisson_gives_the_gamma_poisson_result_exactly():
    fit = negative_binomial([2, 2, 2, 2], [2, 2, 3, 1])  # as even as counts come: the score is negative
    assert fit.alpha == 0 and fit.arm == Arm(8.0, 8.0) and fit.factor == 1.0
    few = negative_binomial([9], [3])  # one row: nothing to estimate a spread from
    assert few.alpha == 0 and few.arm == Arm(9.0, 3.0)
    plain = effect("purchases", Arm(8, 8), Arm(9, 3))
    assert effect("purchases", Arm(8, 8), Arm(9, 3), dispersion=(fit, few)).low == plain.low


def reviewed(frame: pd.DataFrame):
    rows = pilot_rows(frame, "purchases")
    treated, control, where = arm_totals(rows)
    report = pilot_report("purchases", treated, control, where=where, rows=rows)
    return report, review_pilot(report, "cxroi fit pilot on pilot.csv, fitted 2026-12-07").inputs[0].checks


def test_the_review_passes_gamma_mixed_customers_and_fails_data_the_law_does_not_describe():
    """Gamma(shape 1) customers (the old test's failing case) now pass the predictive check, and the interval holds
    the truth; customers of whom 30 % buy and the rest never fail it (the negative binomial's shape is wrong); an
    effect that moves from 0.6 to 1.8 half-way through enrolment fails the holdout. Measured over 20 pilots each
    (seed 7): the two-point customers failed the predictive check in 20 of 20, the moving effect the holdout in 20."""
    report, checks = reviewed(purchase_pilot(np.random.default_rng(4), 1.0, n=1000))
    assert checks["predictive"].status == "ok" and checks["holdout"].status == "ok"
    assert report.result.low < TRUE_RATIO < report.result.high
    assert "against each arm's negative binomial fit" in checks["predictive"].reason
    _, two_point = reviewed(purchase_pilot(np.random.default_rng(7), None, buyers=0.3))
    assert two_point["predictive"].status == "fail"
    assert "rows of each arm by their number of purchases" in two_point["predictive"].reason
    _, moving = reviewed(purchase_pilot(np.random.default_rng(7), 2.0, early=0.6, late=1.8))
    assert moving["holdout"].status == "fail"


def test_totals_keep_one_rate_and_say_so():
    report = sim.pilot_report("purchases", sim.Arm(1200, 1000), sim.Arm(1000, 1000))
    assert report.result.dispersion is None
    assert report.result.method == "gamma-Poisson; rate ratio as a scaled F distribution (exact)"
    assert report.summary["overdispersion"] is None and report.summary["interval_note"] == ONE_RATE
    assert report.summary["scale"]["source"].endswith("; assumes every customer buys at one rate (the arms came as totals)")
    assert "overdispersion" not in sim.pilot_report("bad", sim.Arm(40, 500), sim.Arm(60, 500)).summary


def test_the_sample_company():
    """scenarios/data/pilot.csv: customers' rates Gamma(shape 2) (alpha 0.5), true rate ratio 1. One Poisson rate per
    arm gave 1.001 (0.949 to 1.056); the negative binomial gives 1.003 (0.907 to 1.109). The holdout warns (2.2
    standard errors: the first half's ratio is 0.909) and the predictive check passes."""
    from pathlib import Path

    frame = pd.read_csv(Path(__file__).parents[2] / "scenarios" / "data" / "pilot.csv")
    report, checks = reviewed(frame)
    result = report.result
    assert (round(result.median, 3), round(result.low, 3), round(result.high, 3)) == (1.003, 0.907, 1.109)
    assert [round(d.alpha, 3) for d in result.dispersion] == [0.571, 0.559]
    assert {name: check.status for name, check in checks.items()} == {
        "holdout": "warn", "predictive": "ok", "estimate": "ok", "designs": "n/a"}
