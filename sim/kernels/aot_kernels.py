"""The compiled kernels built ahead of time, once per machine, so that a run never imports numba.

numba compiles :mod:`sim.kernels.count_kernels` just in time and caches the code
on disk, but loading that cache still imports numba and its typing and
lowering registries: about 0.35 s at the start of every command, a third of
the fixed cost of ``cxroi run`` (``python benchmarks/run_reference.py``).
numba's ahead-of-time compiler (``numba.pycc``) compiles the same functions,
through the same LLVM code generation for this machine's processor and with
the same ``error_model="numpy"``, into an ordinary extension module, which
imports in under a millisecond without numba. The module is built the first
time counts are drawn (about 10 s, in a separate process, so nothing it prints
reaches the user) and kept in the user's cache folder under a name that
changes with the kernels' source, numba, Python and the processor.

Each kernel is exported once per signature in ``count_kernels.SIGNATURES``;
:class:`_Kernel` picks the export whose argument types match a call, and hands
any other call to the just-in-time kernel, so a call that was not declared is
slower but never wrong (``CXROI_KERNELS_STRICT=1`` makes it an error, for the
tests). If the build fails (no C compiler, say), the reason is kept beside
where the module would be and the just-in-time kernels run as before, without
trying again. The kernels give the same numbers either way: the same IEEE
operations in the same order (``tests/model/test_aot_kernels.py``). numba marks
``pycc`` as pending deprecation (replacement announced, none released by
0.68): a numba without it fails the build once, and the kernels are then
compiled just in time as before.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import platform
import subprocess
import sys
import sysconfig
import tempfile
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np

STRICT_ENV = "CXROI_KERNELS_STRICT"
CACHE_ENV = "CXROI_CACHE_DIR"
_DTYPES = {"f8": "float64", "f4": "float32", "i8": "int64", "b1": "bool", "u1": "uint8"}
"""numba's type names in signatures, as numpy dtypes."""
_NDARRAY = np.ndarray
_SCALARS = (float, int, np.floating, np.integer, np.bool_)

build_notice: Callable[[], None] | None = None
"""Called when a build starts (it takes about 10 s, once per machine): the command line prints a line then."""


def compiled(module: types.ModuleType, fallback: Callable[[], types.SimpleNamespace]) -> types.SimpleNamespace | None:
    """``module``'s kernels compiled: the ahead-of-time build, else ``fallback()`` (just in time); None without
    numba or with CXROI_NUMBA=0 (the callers' numpy code runs). CXROI_AOT=0 skips the ahead-of-time build."""
    if os.environ.get("CXROI_NUMBA", "1") == "0" or importlib.util.find_spec("numba") is None:
        return None
    if os.environ.get("CXROI_AOT", "1") != "0":
        built = load(module, fallback)
        if built is not None:
            return built
    return fallback()


def just_in_time(module: types.ModuleType) -> types.SimpleNamespace:
    """``module``'s kernels compiled by numba as they are first called (cached on disk), its helpers first."""
    import numba

    jit = numba.njit(cache=True, nogil=True, error_model="numpy")
    _compile_helpers(module, jit)
    return types.SimpleNamespace(**{name: jit(getattr(module, name)) for name in module._KERNELS})


def _compile_helpers(module: types.ModuleType, jit) -> None:
    """The functions ``module``'s kernels call, compiled first under the same names (once)."""
    import numba

    for name in module._HELPERS:
        if not isinstance(getattr(module, name), numba.core.dispatcher.Dispatcher):
            setattr(module, name, jit(getattr(module, name)))


def load(module: types.ModuleType, fallback: Callable[[], types.SimpleNamespace]) -> types.SimpleNamespace | None:
    """``module``'s kernels from the ahead-of-time build (built now if missing), or None if it cannot be built.

    ``fallback()`` gives the just-in-time kernels, for calls no declared signature matches.
    """
    name = module_name(module)
    path = cache_folder() / f"{name}{sysconfig.get_config_var('EXT_SUFFIX')}"
    failed = path.with_suffix(".failed")
    try:
        if failed.exists():
            return None
        if not path.exists():
            if build_notice is not None:
                build_notice()
            if not _build(module, name, path, failed):
                return None
        loader = importlib.machinery.ExtensionFileLoader(name, str(path))
        built = importlib.util.module_from_spec(importlib.util.spec_from_file_location(name, path, loader=loader))
        loader.exec_module(built)
    except (OSError, ImportError):  # a cache folder that cannot be written, a damaged module: compile just in time
        return None
    strict = os.environ.get(STRICT_ENV, "0") == "1"
    return types.SimpleNamespace(**{
        kernel: _Kernel(kernel, [(getattr(built, f"{kernel}__{i}"), _argument_types(signature))
                                 for i, signature in enumerate(signatures)], fallback, strict)
        for kernel, signatures in module.SIGNATURES.items()})


def cache_folder() -> Path:
    """Where built kernels are kept: $CXROI_CACHE_DIR, else $XDG_CACHE_HOME/cxroi, else ~/.cache/cxroi."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cxroi"


def module_name(module: types.ModuleType) -> str:
    """The built module's name: changes with the kernels' source, this builder, numba, Python and the processor."""
    from importlib import metadata

    digest = hashlib.sha256()
    for part in (Path(module.__file__).read_bytes(), Path(__file__).read_bytes(), metadata.version("numba").encode(),
                 sys.version.encode(), platform.machine().encode(), _processor().encode()):
        digest.update(part)
    return f"cxroi_kernels_{digest.hexdigest()[:16]}"


def _processor() -> str:
    """What code compiled for this processor depends on: its model and instruction-set flags."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return platform.processor()
    first = text.split("\n\n", 1)[0]
    return "\n".join(line for line in first.splitlines() if line.split(":")[0].strip() in ("model name", "flags", "Features"))


def _build(module: types.ModuleType, name: str, path: Path, failed: Path) -> bool:
    """Build the extension module into ``path`` in another process; on failure keep the reason in ``failed``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".build-") as staging:
        package_root = Path(module.__file__).resolve().parents[len(module.__name__.split(".")) - 1]
        done = subprocess.run([sys.executable, "-m", __name__, module.__name__, name, staging],  # this very checkout
                              capture_output=True, text=True, cwd=package_root)
        built = Path(staging) / path.name
        if done.returncode != 0 or not built.exists():
            reason = (done.stderr or done.stdout or "no module was written").strip().splitlines()
            failed.write_text("\n".join(reason[-20:]) + "\n")
            return False
        os.replace(built, path)  # atomic: a concurrent build of the same module writes the same file
    return True


def _compile(module_path: str, name: str, folder: str) -> None:
    """In the build process: compile every kernel of ``module_path`` for each of its signatures with numba.pycc."""
    import importlib
    import warnings

    warnings.simplefilter("ignore")  # numba.pycc is pending deprecation; distutils is deprecated
    import numba
    from numba.pycc import CC, compiler

    module = importlib.import_module(module_path)
    _compile_helpers(module, numba.njit(error_model="numpy"))

    class NumpyErrors(compiler.Flags):
        """Division by zero gives inf or nan as in numpy (and the just-in-time kernels), not an exception."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.error_model = "numpy"

    compiler.Flags = NumpyErrors
    cc = CC(name)
    cc.output_dir = folder
    cc.target_cpu = "host"  # as the just-in-time kernels; the module's name includes the processor
    for kernel, signatures in module.SIGNATURES.items():
        for i, signature in enumerate(signatures):
            cc.export(f"{kernel}__{i}", signature)(getattr(module, kernel))
    cc.compile()


def _argument_types(signature: str) -> list[tuple]:
    """The argument types of a numba signature string, as (dtype, dimensions, contiguous) or (dtype,) for a scalar."""
    depth, start = 0, None
    for i in range(len(signature) - 1, -1, -1):  # the argument list: the last top-level parentheses
        depth += {")": 1, "(": -1}.get(signature[i], 0)
        if depth == 0:
            start = i
            break
    arguments, part, depth = [], "", 0
    for char in signature[start + 1 : -1]:
        depth += {"[": 1, "(": 1, "]": -1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            arguments.append(part.strip())
            part = ""
        else:
            part += char
    arguments.append(part.strip())
    types_ = []
    for argument in arguments:
        if "[" in argument:
            dtype, dims = argument[:-1].split("[")
            axes = [axis.strip() for axis in dims.split(",")]
            types_.append((np.dtype(_DTYPES[dtype.strip()]), len(axes), axes[-1] == "::1"))
        else:
            types_.append((np.dtype(_DTYPES[argument]),))
    return types_


def _matches(arguments: tuple, types_: list[tuple]) -> bool:
    """Whether the arguments have a signature's types (called for every kernel call: kept to plain checks)."""
    if len(arguments) != len(types_):
        return False
    for value, expected in zip(arguments, types_):
        if len(expected) == 1:
            if not isinstance(value, _SCALARS):
                return False
        elif not (type(value) is _NDARRAY and value.ndim == expected[1]
                  and (value.dtype is expected[0] or value.dtype == expected[0])
                  and (not expected[2] or value.flags.c_contiguous)):
            return False
    return True


class _Kernel:
    """One kernel: the built export whose signature matches the call's argument types, else the just-in-time kernel."""

    def __init__(self, name: str, exports: list, fallback: Callable[[], types.SimpleNamespace], strict: bool):
        self.name, self._exports, self._fallback, self._strict = name, exports, fallback, strict

    def __call__(self, *arguments):
        for function, types_ in self._exports:
            if _matches(arguments, types_):
                return function(*arguments)
        if self._strict:
            described = ", ".join(f"{a.dtype}[{a.ndim}d{', C' if a.flags.c_contiguous else ''}]"
                                  if isinstance(a, _NDARRAY) else type(a).__name__ for a in arguments)
            raise TypeError(f"{self.name}({described}) matches no signature in SIGNATURES")
        return getattr(self._fallback(), self.name)(*arguments)


if __name__ == "__main__":  # the build process: python -m sim.kernels.aot_kernels MODULE NAME FOLDER
    _compile(*sys.argv[1:4])
