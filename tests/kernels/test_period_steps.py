"""The engine's compiled period steps against their numpy reference, bit for bit."""

import tomllib
from pathlib import Path

import numpy as np
import pytest

from sim.kernels import count_kernels, numpy_only
from sim.model import engine
from tests.conftest import build

ROWS = 300
BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


@pytest.fixture
def kernels():
    if count_kernels.compiled() is None:
        pytest.skip("numba is not installed or CXROI_NUMBA=0: only the numpy steps run here")
    return count_kernels.compiled()


def _experiences(seed: int):
    """Counts by state with empty states, whole and fractional (expected) counts, contact rates down to 0 and 1e-13."""
    rng = np.random.default_rng(seed)
    n = np.round(np.exp(rng.uniform(-1, 10, (3, ROWS, 3)))) * (rng.random((3, ROWS, 3)) > 0.1)
    n[:, ::7] *= rng.random((3, 1, 3))  # the base case's expected counts are not whole
    c = rng.uniform(0, 2, (3, ROWS, 3)) * rng.choice([0.0, 1e-13, 1.0], (3, ROWS, 3), p=[0.05, 0.05, 0.9])
    bad = rng.uniform(0, 0.3, (ROWS, 3))
    good = np.minimum(rng.uniform(0, 0.9, (ROWS, 3)), 1.0 - bad)
    rates = engine.ContactRates.of(c, good, bad)
    had_bad = np.floor(n * rates.had_bad * rng.uniform(0.5, 1.5, n.shape).clip(0, 1))
    had_good = np.floor((n - had_bad) * rates.had_good)
    return n, had_bad, had_good, c, rates


def test_compiled_contact_chances_give_the_numpy_chances_bit_for_bit(kernels):
    """Chances of a bad and a good contact and their excess contacts, with mean contacts 0 and below 1e-12
    (where the excess is mu / 2) (runtime ~0.01 s)."""
    n, had_bad, had_good, c, _ = _experiences(4)
    rng = np.random.default_rng(4)
    bad = rng.uniform(0, 0.3, (ROWS, 3))
    good = np.minimum(rng.uniform(0, 0.9, (ROWS, 3)), 1.0 - bad)
    compiled, reference = engine.ContactRates.of(c, good, bad), engine.ContactRates.of_numpy(c, good, bad)
    for name, mine, theirs in zip(engine.ContactRates._fields, compiled, reference, strict=True):
        assert mine.tobytes() == theirs.tobytes(), name
    assert np.any(c == 0.0) and np.any((c * bad > 0.0) & (c * bad <= 1e-12))  # both kinds of tiny mean


@pytest.mark.parametrize("seed", range(3))
def test_compiled_experience_tallies_give_the_numpy_tallies_bit_for_bit(kernels, seed):
    """Who had neither, the bad and good totals and the further contacts' mean (runtime ~0.01 s, ~1 s compiling)."""
    n, had_bad, had_good, c, rates = _experiences(seed)
    compiled = engine.tally_experiences(n, had_bad, had_good, c, rates)
    reference = engine.tally_experiences_numpy(n, had_bad, had_good, c, rates)
    for mine, theirs in zip(compiled, reference, strict=True):
        assert mine.tobytes() == theirs.tobytes()
    assert np.mean(reference[3] > 0) > 0.9  # most rows bring further contacts


def test_compiled_state_update_gives_the_numpy_update_bit_for_bit(kernels):
    """Step 5, with nobody decaying or walking in places (runtime ~0.01 s)."""
    n, had_bad, had_good, c, rates = _experiences(7)
    had_none, bad_total, good_total, _ = engine.tally_experiences_numpy(n, had_bad, had_good, c, rates)
    rng = np.random.default_rng(7)
    decayed = np.floor(had_none[1:] * rng.random((2, ROWS, 3)) * (rng.random((2, ROWS, 3)) < 0.8))
    walked = np.floor(bad_total * rng.random((ROWS, 3)))
    compiled = engine.next_states(had_none, decayed, good_total, bad_total, walked)
    reference = engine.next_states_numpy(had_none, decayed, good_total, bad_total, walked)
    assert compiled.tobytes() == reference.tobytes()
    assert np.allclose(compiled.sum(axis=0), n.sum(axis=0) - walked, rtol=1e-12)  # customers are only moved, or walk


@pytest.mark.parametrize("segments", [1, 2, 3, 5, 7, 9])
def test_sums_over_segments_are_left_to_right_as_numpys_over_fewer_than_eight(segments):
    """Compiled and numpy sums of every output over segments, bit for bit; ``values.sum(axis=-1)`` too below 8
    segments, where numpy adds left to right (from 8 on it adds eight partial sums) (runtime ~0.01 s)."""
    rng = np.random.default_rng(segments)
    values = rng.standard_normal((15, ROWS, segments)) * 10.0 ** rng.integers(-8, 9, (15, ROWS, segments))
    totals = np.empty((15, 4, ROWS))
    engine.sum_segments_numpy(values, totals[:, 1])
    if segments < 8:
        assert totals[:, 1].tobytes() == values.sum(axis=-1).tobytes()
    if count_kernels.compiled() is not None:
        engine.sum_segments(values, totals[:, 2])
        assert totals[:, 2].tobytes() == totals[:, 1].tobytes()


def _mixed_reference():
    """The reference workload with churn and purchase mixes on every segment, and dropout on one."""
    raw = tomllib.loads((BENCHMARKS / "reference.toml").read_text())
    for name, segment in raw["segments"].items():
        del segment["monthly_churn"], segment["purchases"]
        segment["churn_mix"] = {"alpha": 0.7, "beta": 50.0}
        segment["purchase_mix"] = {"shape": 0.8, "rate": 1.0}
    raw["segments"]["b2b"]["dropout_mix"] = {"a": 0.8, "b": 40.0}
    raw["interventions"]["training"]["changes"].append({"path": "segments.smb.churn_mix.beta", "scale": 1.3})
    raw["settings"]["horizon"] = 12  # the numpy class steps are slow; a year covers the ramps
    return build(raw)


@pytest.mark.parametrize("scenario", ["reference.toml", "reference_operations.toml", "mixed"])
def test_a_run_with_the_compiled_steps_gives_the_numpy_runs_flows_bit_for_bit(kernels, scenario):
    """Every arm's every flow, all steps compiled or all in numpy; with support operations, and with
    latent classes (runtime ~0.2 s each, ~0.8 s with classes)."""
    import sim
    from sim.compute.simulation import evaluate, sample

    scenario = _mixed_reference() if scenario == "mixed" else sim.load(BENCHMARKS / scenario).scenario
    values = sample(scenario, 250, 3)
    compiled = evaluate(scenario, values, seed=3)
    with numpy_only() as switch:
        reference = evaluate(scenario, values, seed=3)
    assert switch.refused > 0  # the run asked for the kernels and took the numpy steps
    for arm, flows in reference.items():
        for name, series in flows.items():
            assert compiled[arm][name].tobytes() == series.tobytes(), (arm, name)
