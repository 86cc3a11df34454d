"""The kernels built ahead of time give the just-in-time kernels' numbers, for every declared signature.

Runtime ~3 s (the module is built once per machine, ~10 s, by whichever test draws counts first).
"""

import hashlib
import json
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.kernels import aot_kernels, count_kernels

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(count_kernels.compiled() is None, reason="numba is not installed (pip install -e '.[fast]')")


def test_every_kernel_declares_its_signatures():
    assert set(count_kernels.SIGNATURES) == set(count_kernels._KERNELS)


def test_signature_strings_give_the_argument_types():
    types_ = aot_kernels._argument_types("Tuple((i8[:], f8[:]))(f8[::1], f4[:, :, ::1], f8[:, :], i8)")
    assert types_ == [(np.dtype("f8"), 1, True), (np.dtype("f4"), 3, True), (np.dtype("f8"), 2, False), (np.dtype("i8"),)]


def _fingerprint(loaded, draws: int) -> str:
    result = sim.run(loaded, draws=draws, seed=3, workers=1)
    digest = hashlib.sha256(json.dumps(result.summary_dict(), sort_keys=True).encode())
    digest.update(result.draws.to_numpy().tobytes())
    digest.update(result.bands.select_dtypes("number").to_numpy().tobytes())
    return digest.hexdigest()


def _mixed_reference() -> sim.Loaded:
    """The reference workload with churn, purchase and dropout mixes in every segment (every class kernel runs)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run_heterogeneity
    finally:
        sys.path.pop(0)
    text = (ROOT / "benchmarks" / "reference.toml").read_text()
    return run_heterogeneity._loaded(run_heterogeneity.heterogeneous(tomllib.loads(text), dropout=True))


def test_built_kernels_give_the_jit_kernels_numbers_and_every_call_is_declared(monkeypatch):
    """Runs with operations and with latent classes: each call must match a declared signature (strict)."""
    monkeypatch.setenv(aot_kernels.STRICT_ENV, "1")
    built = aot_kernels.load(count_kernels, count_kernels.jit_kernels)
    assert built is not None, "the ahead-of-time build failed: see the .failed file in " + str(aot_kernels.cache_folder())
    cases = [sim.load(ROOT / "benchmarks" / "reference_operations.toml"), _mixed_reference()]
    for loaded in cases:
        prints = []
        for kernels in (built, count_kernels.jit_kernels()):
            monkeypatch.setattr(count_kernels, "compiled", lambda kernels=kernels: kernels)
            prints.append(_fingerprint(loaded, 300))
        assert prints[0] == prints[1], loaded.scenario.settings.name


def test_an_undeclared_call_is_refused_in_strict_mode_and_compiled_just_in_time_otherwise():
    built = aot_kernels.load(count_kernels, count_kernels.jit_kernels)
    mean, z = np.array([1.0, 9.0]), np.array([0.3, 7.0, -0.2, 7.0], dtype=np.float32)[::2]  # scores not contiguous
    kernel = aot_kernels._Kernel("poisson_pass", built.poisson_pass._exports, count_kernels.jit_kernels, strict=True)
    with pytest.raises(TypeError, match=r"^poisson_pass\(float64\[1d, C\], float32\[1d\], float64\[1d, C\]\) matches no signature"):
        kernel(mean, z, np.empty(2))
    kernel._strict = False
    out, expected = np.empty(2), np.empty(2)
    assert list(kernel(mean, z, out)) == [0]  # the small mean is left to inversion
    count_kernels.jit_kernels().poisson_pass(mean, np.ascontiguousarray(z), expected)
    assert np.array_equal(out, expected)


def test_a_build_that_fails_is_remembered_and_the_jit_kernels_run(monkeypatch, tmp_path):
    """A module that cannot be compiled (here: no such module) leaves its reason, and is not tried again."""
    monkeypatch.setenv(aot_kernels.CACHE_ENV, str(tmp_path))
    broken = type(sys)("sim.model.no_such_kernels")
    broken.__file__ = count_kernels.__file__
    broken.SIGNATURES = count_kernels.SIGNATURES
    notices = []
    monkeypatch.setattr(aot_kernels, "build_notice", lambda: notices.append("building"))
    assert aot_kernels.load(broken, count_kernels.jit_kernels) is None
    assert notices == ["building"]  # the command line says why it pauses
    [failed] = tmp_path.glob("*.failed")
    assert "No module named 'sim.model.no_such_kernels'" in failed.read_text()
    monkeypatch.setattr(aot_kernels, "_build", lambda *args: pytest.fail("built again"))
    assert aot_kernels.load(broken, count_kernels.jit_kernels) is None
