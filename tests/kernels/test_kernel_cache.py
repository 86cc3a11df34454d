"""numba's on-disk cache of the kernels: a first compile says why it pauses, a damaged cache is compiled again with
one line, never a crash or a wrong number (runtime ~4 s CPU: one small kernel compiled seven times)."""

import numpy as np
import pytest

from sim.kernels import count_kernels

numba = pytest.importorskip("numba", reason="numba is not installed: the numpy kernels have no cache")


@pytest.fixture
def lines(monkeypatch, tmp_path):
    """The lines the kernels say, with numba's cache in an empty folder."""
    said: list[str] = []
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(count_kernels, "notice", said.append)
    monkeypatch.setattr(count_kernels, "notice_given", False)
    return said


def _sums_right() -> bool:
    """sum_segments from the cache (or compiled now) gives numpy's sums."""
    values = np.arange(24.0).reshape(2, 3, 4)
    total = np.zeros((2, 3))
    count_kernels.compiled_kernel("sum_segments")(values, total)
    return np.array_equal(total, values.sum(axis=-1))


def _files(tmp_path):
    return sorted(tmp_path.rglob("count_kernels.sum_segments-*.nb[ic]"))


def _again(monkeypatch) -> None:
    monkeypatch.setattr(count_kernels, "notice_given", False)


def test_a_first_compile_says_so_and_a_cached_load_says_nothing(lines, tmp_path, monkeypatch):
    assert _sums_right()
    assert lines == [f"Compiling cxroi's kernels for this machine (once, about {count_kernels.COMPILE_SECONDS} s)..."]
    assert _files(tmp_path)
    _again(monkeypatch)
    assert _sums_right()
    assert len(lines) == 1


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "garbage without the record"])
def test_a_damaged_cache_is_compiled_again_with_one_line(lines, tmp_path, monkeypatch, damage):
    assert _sums_right()
    data = [path for path in _files(tmp_path) if path.suffix == ".nbc"][0]
    if damage == "flip a byte":
        text = bytearray(data.read_bytes())
        text[len(text) // 2] ^= 0xFF
        data.write_bytes(bytes(text))
    elif damage == "truncate":
        data.write_bytes(data.read_bytes()[:100])
    else:  # numba reads it unchecked, and fails
        data.write_bytes(b"\x80\x04not a pickle" * 50)
        next(tmp_path.rglob("count_kernels.sum_segments.*.sha256")).unlink()
    _again(monkeypatch)
    assert _sums_right()
    assert len(lines) == 2 and lines[1].startswith("cxroi: the compiled kernels cached in ")
    assert lines[1].endswith(" were damaged; compiling them again...")
    _again(monkeypatch)
    assert _sums_right() and len(lines) == 2  # rebuilt: loaded quietly from now on
