"""numba's on-disk cache of both kernel modules (sim/kernels/loader.py): a first compile says why it pauses, a cached
load says nothing, a damaged cache is compiled again with one line, never a crash or a wrong number (runtime ~6 s
CPU: one small kernel of each module compiled five times)."""

import shutil

import numpy as np
import pytest

from sim.kernels import count_kernels, loader, split_kernels
from sim.model import splits

numba = pytest.importorskip("numba", reason="numba is not installed: the numpy kernels have no cache")

COMPILING = f"Compiling cxroi's kernels for this machine (once, about {loader.COMPILE_SECONDS} s)..."


def _sum_segments(kernel) -> bool:
    values = np.arange(24.0).reshape(2, 3, 4)
    total = np.zeros((2, 3))
    kernel(values, total)
    return np.array_equal(total, values.sum(axis=-1))


def _dropout_step(kernel) -> bool:
    rng = np.random.default_rng(3)
    posterior, prior, stay = rng.random((2, 3, 4)), rng.random((2, 3, 4)), rng.random((2, 3, 3, 4))
    joined, buy, n = rng.random((2, 4)) * 0.1, rng.random((2, 4)), rng.random((3, 4))
    used = np.array([3, 2])
    outputs = []
    for step in (kernel, splits.dropout_step_numpy):
        learnt, mean, narrow, chance = posterior.copy(), np.empty((3, 4)), np.empty((3, 4)), np.empty((2, 4))
        learnt[1, 2] = 0.0
        step(learnt, np.where(np.arange(3)[:, None] < used[:, None, None], prior, 0.0), joined, stay, used, buy, n,
             mean, narrow, chance)
        outputs.append(b"".join(a.tobytes() for a in (learnt, mean, narrow, chance)))
    return outputs[0] == outputs[1]


KERNELS = {"count_kernels": (count_kernels, "sum_segments", _sum_segments),
           "split_kernels": (split_kernels, "dropout_step", _dropout_step)}


def _right(module, name, check) -> bool:
    """The kernel loaded as a run's first call loads it (from the cache, or compiled now) gives the numpy numbers."""
    kernels = loader.Kernels(module, (name,), (), {})
    return check(getattr(kernels, name))


@pytest.fixture(scope="module", params=list(KERNELS))
def compiled(request, tmp_path_factory):
    """(kernel, a cache root where it was just compiled, the lines said meanwhile): compiled once per module."""
    root = tmp_path_factory.mktemp(request.param)
    said: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(numba.config, "CACHE_DIR", str(root))
        patch.setattr(loader, "notice", said.append)
        patch.setattr(loader, "notice_given", False)
        assert _right(*KERNELS[request.param])
    return KERNELS[request.param], root, said


@pytest.fixture
def lines(compiled, monkeypatch, tmp_path):
    """The lines the loader says, with numba's cache in a copy of the freshly compiled one."""
    said: list[str] = []
    shutil.copytree(compiled[1], tmp_path, dirs_exist_ok=True)
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(loader, "notice", said.append)
    monkeypatch.setattr(loader, "notice_given", False)
    return said


def _files(tmp_path, module, name, suffix):
    return sorted(tmp_path.rglob(f"{module.__name__.rsplit('.', 1)[1]}.{name}-*{suffix}"))


def test_a_first_compile_says_so_and_a_cached_load_says_nothing(compiled, lines, tmp_path, monkeypatch):
    (module, name, check), _, said_while_compiling = compiled
    assert said_while_compiling == [COMPILING]
    assert _files(tmp_path, module, name, ".nbc") and list(tmp_path.rglob("*.sha256"))
    assert _right(module, name, check)
    assert lines == []
    assert numba.config.CACHE_DIR == str(tmp_path)  # numba's own setting as it was, for others' functions


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "garbage without the record", "truncated index"])
def test_a_damaged_cache_is_compiled_again_with_one_line(compiled, lines, tmp_path, monkeypatch, damage):
    module, name, check = compiled[0]
    data = _files(tmp_path, module, name, ".nbc")[0]
    if damage == "flip a byte":
        text = bytearray(data.read_bytes())
        text[len(text) // 2] ^= 0xFF
        data.write_bytes(bytes(text))
    elif damage == "truncate":
        data.write_bytes(data.read_bytes()[:100])
    elif damage == "garbage without the record":  # numba reads it unchecked, and fails
        data.write_bytes(b"\x80\x04not a pickle" * 50)
        next(tmp_path.rglob("*.sha256")).unlink()
    else:  # numba's index, which the record leaves out: numba fails to read it
        index = _files(tmp_path, module, name, ".nbi")[0]
        index.write_bytes(index.read_bytes()[:20])
    assert _right(module, name, check)
    assert len(lines) == 1 and lines[0].startswith("cxroi: the compiled kernels cached in ")
    assert lines[0].endswith(" were damaged; compiling them again...")
    monkeypatch.setattr(loader, "notice_given", False)
    assert _right(module, name, check) and len(lines) == 1  # rebuilt: loaded quietly from now on


def test_an_unwritable_cache_home_falls_back_to_a_folder_in_the_temporary_directory(compiled, monkeypatch, tmp_path):
    """A cache home that cannot be written (here: a path under a file; a read-only home or container) gives a folder
    of this user's in the temporary directory: the first load says where it compiles and why, later loads are
    quiet and checked. (Before, numba cached where it chose, unchecked, and every run said it was compiling.)"""
    import tempfile

    module, name, check = compiled[0]
    blocked = tmp_path / "a file"
    blocked.write_text("")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(blocked / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    said: list[str] = []
    monkeypatch.setattr(loader, "notice", said.append)
    monkeypatch.setattr(loader, "notice_given", False)
    assert _right(module, name, check)
    folder = loader.cache_folder(module)
    assert folder.parent.parent == tmp_path / "tmp" and _files(folder, module, name, ".nbc")
    assert said == [f"Compiling cxroi's kernels for this machine (once, about {loader.COMPILE_SECONDS} s; "
                    f"{blocked / 'cache' / folder.name} cannot be written, so in {folder})..."]
    monkeypatch.setattr(loader, "notice_given", False)
    assert _right(module, name, check) and len(said) == 1
