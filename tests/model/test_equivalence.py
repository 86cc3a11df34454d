"""The count engine against a slow per-customer simulation of the same model, both arms and the finance.

``tests/model/per_customer_model.py`` draws every customer and every contact
with numpy's own samplers and shares nothing with ``sim/``. Both simulate one
segment (80 customers, 3 arrivals a period, every experience effect on,
negative customers contacting more) for 12 months, 5,000 draws a side, fixed
seeds. Three arms:

* the baseline;
* ``program``: a change of each kind, set (``bad`` 0.2 -> 0.08), scale (``churn`` x 0.7,
  ``contacts`` x 0.8) and add (``good`` + 0.15, ``positive_duration`` + 2), from period 3
  over a 3-period ramp: the per-customer model moves each engine parameter by the ramp
  share clip((t - start + 1) / ramp, 0, 1) itself (:func:`ramped`), in the engine's units
  (a duration ramps, not its inverse);
* ``pricing``: value per purchase x 1.1 and fee + 1 from period 2 over 2 periods, a change
  that touches no customer: its customers are the baseline's (the per-customer model runs
  it on the baseline's seed), so its NPV and ROI *distributions* are comparable.

The engine's arms share random numbers (common random numbers); the per-customer
model's ``program`` arm is independent of its baseline, so for ``program`` each arm's
distribution and the NPV / ROI *mean* are compared, not the spread of the NPV.
NPV and ROI of the per-customer model are computed here from docs/model.md section 5
(gross-profit basis, 10 % a year, one-off cost at the start of the first period,
recurring costs at the ends of periods), not with ``sim.model.finance``.

Each total is compared by :func:`tests.model.equivalence_check.compare` (KS, AD, mean
and variance, each at 0.1 %). Power: with 5,000 draws a side the log variance ratio has a
standard error of sqrt(2 (2 / 4999 + k / 5000)) = 0.027-0.031 for the totals' excess kurtosis
k (measured -0.14 to 0.43 over the three arms), so a standard deviation 10 % too large
(2 log 1.1 = 0.191) is z = 6.1-7.0 and fails with probability 0.9977-0.9999 (one 10 % too
small, 2 log 0.9 = -0.211: at least 0.9997);
:func:`test_the_variance_check_can_see_a_ten_percent_error_in_the_spread` recomputes
it from the draws. A mean off by a tenth of a standard deviation is z = 5.0 (caught
with probability 0.96). With about 90 checks at 0.1 % (many dependent: the pricing arm's
customers are the baseline's) the chance that a correct engine fails one is at most about
9 % per choice of seeds; the seeds are fixed, so the suite is
deterministic, and at these seeds every |z| is below 2.1 and every p-value above 0.2
(the program arm's NPV mean: z = +1.86).

Deliberately wrong engines must fail, and do (the mutant tests): walk-aways at
their expected number instead of a binomial draw, and an intervention's change
applied one period late.

Support operations: tests/model/test_equivalence_operations.py (the same customers
with a contact centre; the queue's outcome there is sim.support's, and why).

Runtime about 7 s of CPU (the per-customer model 1-1.5 s an arm at 5,000 draws, the
engine under 0.5 s a run); 20-25 s on a busy two-core machine.
"""

import numpy as np
import pytest
from scipy import stats

import sim
from sim.model import engine
from tests.conftest import build, scenario_dict
from tests.model.equivalence_check import TOTALS, compare, segment, totals, variance_power
from tests.model.per_customer_model import ramped, simulate_population

DRAWS, PERIODS, SEED = 5000, 12, 17
ANNUAL_RATE, MARGIN, CONTACT_COST, ACQUISITION_COST = 0.1, 0.6, 4.0, 30.0

PARAMS = {
    "customers": 80,
    "arrivals": 3.0,
    "churn": 0.04,
    "purchases": 1.5,
    "value_per_purchase": 20.0,
    "fee": 5.0,
    "contacts": 0.6,
    "good": 0.5,
    "bad": 0.2,
    "walk_away": 0.35,
    "positive_uplift": 0.4,
    "negative_drop": 0.6,
    "positive_churn_reduction": 0.5,
    "negative_churn_increase": 1.0,
    "positive_duration": 3.0,
    "negative_duration": 5.0,
    "negative_contact_increase": 0.8,
}

PROGRAM = {"start": 3, "ramp": 3, "one_off_cost": 300.0, "recurring_cost": 50.0, "changes": [
    {"path": "segments.small.experience.bad", "set": 0.08},
    {"path": "segments.small.churn", "scale": 0.7},
    {"path": "segments.small.experience.good", "add": 0.15},
    {"path": "segments.small.experience.positive_duration", "add": 2.0},
    {"path": "segments.small.contacts", "scale": 0.8},
]}
PRICING = {"start": 2, "ramp": 2, "recurring_cost": 20.0, "changes": [
    {"path": "segments.small.value_per_purchase", "scale": 1.1},
    {"path": "segments.small.fee", "add": 1.0},
]}
INTERVENTIONS = {"program": PROGRAM, "pricing": PRICING}


def target(params: dict, changes: list[dict]) -> dict:
    """The per-customer model's parameters at full effect: set / scale / add as docs/model.md section 4 states them."""
    out = dict(params)
    for change in changes:
        key = change["path"].rsplit(".", 1)[-1]
        if "set" in change:
            out[key] = change["set"]
        elif "scale" in change:
            out[key] = out[key] * change["scale"]
        else:
            out[key] = out[key] + change["add"]
    return out


def scenario():
    raw = scenario_dict(horizon=PERIODS, draws=DRAWS, seed=SEED, discount_rate=ANNUAL_RATE)
    table = segment(PARAMS) | {"margin": MARGIN, "acquisition_cost": ACQUISITION_COST}
    raw["segments"] = {"small": table}
    raw["support"] = {"channels": {"phone": {"share": 1.0, "cost_per_contact": CONTACT_COST}}}
    raw["interventions"] = INTERVENTIONS
    return build(raw)


def run_engine():
    """The engine through the public API, in this process (so a test's monkeypatch reaches it)."""
    return sim.run(scenario(), draws=DRAWS, seed=SEED, workers=1)


def per_customer_arms() -> dict[str, dict[str, np.ndarray]]:
    arms = {"baseline": simulate_population(PARAMS, PERIODS, DRAWS, np.random.default_rng(2024))}
    for name, spec in INTERVENTIONS.items():
        # pricing touches no customer: on the baseline's seed its customers are the baseline's
        rng = np.random.default_rng(2024 if name == "pricing" else 2025)
        arms[name] = simulate_population(ramped(PARAMS, target(PARAMS, spec["changes"]), spec["start"], spec["ramp"]),
                                         PERIODS, DRAWS, rng)
    return arms


def appraise(arm: dict, baseline: dict, spec: dict) -> tuple[np.ndarray, np.ndarray]:
    """NPV and ROI per draw by docs/model.md section 5 (gross-profit basis)."""
    def operating(flows):
        return MARGIN * flows["revenue"] - CONTACT_COST * flows["contacts"] - ACQUISITION_COST * flows["arrivals"]
    ends = (1.0 + ANNUAL_RATE) ** -(np.arange(1, PERIODS + 1) / 12)  # flows at the end of month t
    pv_benefit = ((operating(arm) - operating(baseline)) * ends).sum(axis=1)
    start = spec["start"]
    pv_cost = spec.get("one_off_cost", 0.0) * (1.0 + ANNUAL_RATE) ** -((start - 1) / 12) + spec["recurring_cost"] * ends[start - 1:].sum()
    return pv_benefit - pv_cost, (pv_benefit - pv_cost) / pv_cost


@pytest.fixture(scope="module")
def engine_run():
    return run_engine()


@pytest.fixture(scope="module")
def slow():
    return per_customer_arms()


@pytest.mark.parametrize("arm", ["baseline", "program", "pricing"])
@pytest.mark.parametrize("name", TOTALS)
def test_each_arm_agrees_with_the_per_customer_model(engine_run, slow, arm, name):
    result = compare(totals(engine_run.flows[arm])[name], totals(slow[arm])[name])
    assert not result.failures(), f"{arm} {name}: {result}"


@pytest.mark.parametrize("measure", ["npv", "roi"])
def test_npv_and_roi_distributions_agree_for_a_change_that_touches_no_customer(engine_run, slow, measure):
    npv, roi = appraise(slow["pricing"], slow["baseline"], PRICING)
    result = compare(getattr(engine_run.appraisals["pricing"], measure), npv if measure == "npv" else roi)
    assert not result.failures(), f"pricing {measure}: {result}"


@pytest.mark.parametrize("measure", ["npv", "roi"])
def test_npv_and_roi_means_agree_for_set_scale_and_add_with_a_ramp(engine_run, slow, measure):
    npv, roi = appraise(slow["program"], slow["baseline"], PROGRAM)
    result = compare(getattr(engine_run.appraisals["program"], measure), npv if measure == "npv" else roi)
    assert abs(result.mean_z) < 3.29, f"program {measure}: {result}"
    # the arms' common random numbers at work: the engine's NPV spreads far less than independent arms'
    assert result.variance_ratio < 0.2


def test_the_variance_check_can_see_a_ten_percent_error_in_the_spread(slow):
    for arm, flows in slow.items():
        for name, draws in totals(flows).items():
            kurtosis = stats.kurtosis(draws)
            assert variance_power(DRAWS, kurtosis, 1.1) > 0.997, (arm, name)
            assert variance_power(DRAWS, kurtosis, 0.9) > 0.999, (arm, name)


# --- deliberately wrong engines: the checks above must catch them ------------------------------


def test_the_check_catches_walk_aways_at_their_expected_number(slow, monkeypatch):
    """Mutant: the walk-away count replaced by its expectation (no binomial draw). Caught by the
    variance of walk-aways (ratio 0.42, z = -30 at the fixed seeds), of negative customers at the end
    (0.69, z = -13) and of active ones (0.83, z = -6.7), and by KS and AD on all three."""
    drawn = engine.RandomCounts.binomial
    calls = []

    def walk_expected(self, n, p, slot):
        if slot == engine.WALK:
            calls.append(np.shape(n)[0])
            return np.asarray(n, dtype=float) * p
        return drawn(self, n, p, slot)

    monkeypatch.setattr(engine.RandomCounts, "binomial", walk_expected)
    mutant = run_engine()
    assert sum(calls) == PERIODS * 3 * DRAWS  # the patched draw ran, in every period, for every row of the three arms
    fast, per_customer = totals(mutant.flows["baseline"]), totals(slow["baseline"])
    for name in ("walked", "negative_at_end", "active_at_end"):
        result = compare(fast[name], per_customer[name])
        assert result.variance_z < -3.29 and result.ks_p < 0.001, f"{name}: {result}"


def test_the_check_catches_a_change_applied_one_period_late(slow, monkeypatch):
    """Mutant: every arm's ramp shifted one period later. Caught by the program arm's means (revenue
    z = -22.9, walk-aways +21.0, churn +8.2, active at the end -17.4; KS p < 1e-9 for each), its NPV
    mean (z = -26.3), and the pricing arm's revenue (z = -7.8) and NPV (z = -75), at the fixed seeds."""
    simulate = engine.simulate
    calls = []

    def one_period_late(base, target, ramp, source, *args, **kwargs):
        ramp = np.asarray(ramp, dtype=float)
        late = np.zeros_like(ramp)
        late[1:] = ramp[:-1]
        if isinstance(source, engine.RandomCounts):  # (not the base case's expected counts)
            calls.append(ramp.shape[1])
        return simulate(base, target, late, source, *args, **kwargs)

    monkeypatch.setattr(engine, "simulate", one_period_late)
    mutant = run_engine()
    assert sum(calls) == 3 * DRAWS  # the patched engine ran every draw of the three stacked arms (chunks and all)
    fast, per_customer = totals(mutant.flows["program"]), totals(slow["program"])
    for name in ("revenue", "walked", "churned", "active_at_end"):
        result = compare(fast[name], per_customer[name])
        assert abs(result.mean_z) > 3.29 and result.ks_p < 0.001, f"program {name}: {result}"
    npv, _ = appraise(slow["program"], slow["baseline"], PROGRAM)
    assert compare(mutant.appraisals["program"].npv, npv).mean_z < -3.29
    npv, _ = appraise(slow["pricing"], slow["baseline"], PRICING)
    assert compare(mutant.appraisals["pricing"].npv, npv).failures()
    assert compare(totals(mutant.flows["pricing"])["revenue"], totals(slow["pricing"])["revenue"]).failures()
