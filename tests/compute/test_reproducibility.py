"""Same scenario and seed give the same numbers, however the draws are split; arms share randomness."""


import numpy as np

from sim.model.finance import operating_result
from sim.compute.simulation import evaluate, run, sample
from tests.conftest import build, scenario_dict


def _uncertain_scenario():
    raw = scenario_dict(horizon=12, draws=600, seed=21)
    segment = raw["segments"]["retail"]
    segment.update(contacts=0.4, purchases="1.5 to 2.5", monthly_churn={"dist": "pert", "low": 0.02, "mode": 0.04, "high": 0.08})
    segment["experience"] = {"good": 0.5, "bad": 0.15, "walk_away": "10% to 40%", "positive_uplift": 0.2}
    raw["interventions"]["program"]["changes"] = [{"path": "segments.retail.experience.bad", "scale": "0.5 to 0.8"}]
    return build(raw)


def test_same_seed_gives_identical_summary():
    scenario = _uncertain_scenario()
    first = run(scenario, seed=21, workers=1).summary_dict()
    second = run(scenario, seed=21, workers=1).summary_dict()
    assert first == second


def test_chunk_size_and_workers_do_not_change_any_number():
    scenario = _uncertain_scenario()
    reference = run(scenario, draws=600, seed=21, workers=1, chunk_draws=600)
    for workers, chunk in ((1, 250), (2, 250), (2, 500)):
        other = run(scenario, draws=600, seed=21, workers=workers, chunk_draws=chunk)
        assert other.summary_dict() == reference.summary_dict()
        assert other.draws.equals(reference.draws)


def test_a_different_seed_gives_different_numbers():
    scenario = _uncertain_scenario()
    assert run(scenario, seed=1, workers=1).summary_dict() != run(scenario, seed=2, workers=1).summary_dict()


def test_common_random_numbers_shrink_the_spread_of_the_difference():
    """With every input fixed, all spread is customer-level; sharing it between arms should cancel most."""
    raw = scenario_dict(horizon=24, draws=400, seed=8)
    raw["segments"]["retail"].update(contacts=0.4, arrivals=20)
    raw["segments"]["retail"]["experience"] = {"good": 0.5, "bad": 0.15, "walk_away": 0.3, "positive_uplift": 0.2, "negative_drop": 0.4}
    raw["interventions"]["program"]["changes"] = [{"path": "segments.retail.experience.bad", "scale": 0.7}]
    scenario = build(raw)
    values = sample(scenario, 400, 8)
    shared = evaluate(scenario, values, seed=8)
    other = evaluate(scenario, values, seed=9)
    gain = lambda arm, base: (operating_result(arm, "gross_profit") - operating_result(base, "gross_profit")).sum(axis=1)
    sd_shared = gain(shared["program"], shared["baseline"]).std(ddof=1)
    sd_independent = gain(other["program"], shared["baseline"]).std(ddof=1)
    assert sd_shared < 0.25 * sd_independent


def test_customers_who_differ_give_the_same_numbers_however_the_draws_are_split():
    """Latent classes draw from their own keyed streams; the number of classes is a property of the scenario."""
    raw = scenario_dict(horizon=12, draws=500, seed=4)
    segment = raw["segments"]["retail"]
    del segment["monthly_churn"], segment["purchases"]
    segment.update(contacts=0.4, arrivals=10, churn_mix={"alpha": "0.5 to 0.9", "beta": 12.0},
                   purchase_mix={"shape": 0.8, "rate": "0.3 to 0.5"}, dropout_mix={"a": 1.0, "b": 20.0})
    segment["experience"] = {"good": 0.5, "bad": 0.15, "walk_away": 0.3}
    raw["interventions"]["program"]["changes"] = [{"path": "segments.retail.churn_mix.beta", "scale": "1.1 to 1.3"}]
    scenario = build(raw)
    reference = run(scenario, draws=500, seed=4, workers=1, chunk_draws=500)
    other = run(scenario, draws=500, seed=4, workers=2, chunk_draws=250)
    assert other.summary_dict() == reference.summary_dict()
    assert other.draws.equals(reference.draws)
    assert np.isfinite(reference.draws.filter(like="npv").to_numpy()).all()


def test_every_flow_is_the_same_from_shared_memory_pipes_or_one_process():
    """Forked workers write a run's flows into memory shared with the parent (a fresh pool), a started
    pool sends them back pickled, one process computes them itself: every per-period array is
    identical, layout included (sums over periods round by layout). About 1.5 s."""
    from sim.compute import parallel

    scenario = _uncertain_scenario()
    reference = run(scenario, draws=600, seed=21, workers=1, chunk_draws=250)
    with parallel.pool(2) as shared:
        written = run(scenario, draws=600, seed=21, workers_pool=shared, chunk_draws=250)  # starts the workers
        assert shared.started
        pickled = run(scenario, draws=600, seed=21, workers_pool=shared, chunk_draws=250)
    for other in (written, pickled):
        assert list(other.flows) == list(reference.flows)
        for arm, flows in reference.flows.items():
            assert list(other.flows[arm]) == list(flows)
            for name, array in flows.items():
                assert other.flows[arm][name].strides == array.strides
                np.testing.assert_array_equal(other.flows[arm][name], array)
