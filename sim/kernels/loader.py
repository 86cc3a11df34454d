"""Loading the numba kernels of a kernel module: from numba's on-disk cache, checked, or compiled once.

Each kernel module (:mod:`~sim.kernels.count_kernels`, :mod:`~sim.kernels.split_kernels`) is plain
Python; :class:`Kernels` gives its kernels compiled with numba (``cache=True``), each loaded on its
first call for that call's argument types (numba compiles further types if a later call brings them).
A run thus loads, or on a first run compiles, exactly the kernels its scenario calls.

numba keeps the compiled code in files under its cache directory. We choose that directory
(:func:`cache_folder`: one per copy of the source, under ``$NUMBA_CACHE_DIR`` when it is set, else
under ``~/.cache/cxroi``), so we know where the files are. numba does not check what it reads back,
so beside them a record lists each kernel's compiled code files with their SHA-256; a file that
changed since, or that numba cannot read, is compiled again with one line for the user (never a crash,
never code from a damaged file).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

COMPILE_SECONDS = 5
"""About how long a first run of the reference workload spends compiling (said in its notice)."""

notice: Callable[[str], None] | None = None
"""Given a line for the user when the kernels are compiled rather than loaded (the command line prints it)."""
notice_given = False
"""Whether the notice was given in this process (once per process; tests set it back to False)."""


def available() -> bool:
    """Whether the kernels can be compiled: numba installed and not switched off (``CXROI_NUMBA=0``)."""
    return os.environ.get("CXROI_NUMBA", "1") != "0" and importlib.util.find_spec("numba") is not None


class Kernels:
    """The kernels of ``module`` by name (``kernels.split``), each loaded by :func:`load` on its first call.

    ``helpers`` are the module's functions the kernels call: compiled first, under the same names,
    with the numba options ``helper_options``, so the kernels call the compiled ones.
    """

    def __init__(self, module: ModuleType, names: tuple[str, ...], helpers: tuple[str, ...], helper_options: dict):
        import numba
        from numba.extending import is_jitted

        for helper in helpers:
            function = getattr(module, helper)
            if not is_jitted(function):
                setattr(module, helper, numba.njit(**helper_options)(function))
        self._module, self._names = module, names

    def __getattr__(self, name: str):
        if name not in self._names:
            raise AttributeError(name)

        def first_call(*args):
            import numba

            kernel = load(self._module, name, tuple(numba.typeof(arg) for arg in args))
            setattr(self, name, kernel)  # later calls go straight to numba's dispatcher
            return kernel(*args)

        setattr(self, name, first_call)
        return first_call


def load(module: ModuleType, name: str, types: tuple):
    """The kernel ``name`` of ``module`` compiled for argument ``types``: from numba's cache when that is there
    and intact, else compiled now (and cached), with a line for the user saying why the run pauses."""
    import numba

    function = getattr(module, name)
    function = getattr(function, "py_func", function)  # a kernel that is also a helper: compiled on its own too
    record = _Record(cache_folder(module), module, name, numba.__version__)
    state = record.state()
    damaged = f"cxroi: the compiled kernels cached in {record.folder} were damaged; compiling them again..."
    if state == "damaged":
        _say(damaged)
    elif state in ("empty", "stale"):
        preferred = _preferred_folder(module)
        elsewhere = "" if record.folder == preferred else f"; {preferred} cannot be written, so in {record.folder}"
        _say(f"Compiling cxroi's kernels for this machine (once, about {COMPILE_SECONDS} s{elsewhere})...")
    if state in ("damaged", "stale"):
        record.clear()
    try:
        kernel = _compiled(function, record.folder, types)
    except Exception:  # noqa: BLE001 (numba reads its cache unchecked: any failure there is a damaged file)
        _say(damaged)
        record.clear()
        kernel = _compiled(function, record.folder, types)
    record.write()
    return kernel


def _compiled(function, folder: Path, types: tuple):
    """``function`` compiled for ``types`` with numba's cache in ``folder`` (read or written). numba takes the
    cache's place from its setting (NUMBA_CACHE_DIR's) when the kernel is made; the setting is then put back,
    so that others' numba functions in this process keep theirs."""
    import numba

    before, numba.config.CACHE_DIR = numba.config.CACHE_DIR, str(folder)
    try:
        kernel = numba.njit(cache=True, nogil=True, error_model="numpy")(function)  # no fast-math: IEEE as numpy
    finally:
        numba.config.CACHE_DIR = before
    kernel.compile(types)
    return kernel


def cache_folder(module: ModuleType) -> Path:
    """Where the kernels of ``module`` are cached: one folder per copy of the source (two checkouts, or two
    installs, never share files), under ``$NUMBA_CACHE_DIR`` when it is set, else ``~/.cache/cxroi``
    (``$XDG_CACHE_HOME/cxroi``). Deleting it is safe: the kernels are compiled again.

    When that folder cannot be written (a read-only home, a container), a folder of this user's in the
    temporary directory: numba would otherwise cache where it chooses, unchecked, and every run would say
    it compiles."""
    preferred = _preferred_folder(module)
    if _writable(preferred):
        return preferred
    user = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"cxroi-{user}" / preferred.name


def _preferred_folder(module: ModuleType) -> Path:
    import numba

    root = numba.config.CACHE_DIR or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cxroi"
    source = str(Path(module.__file__).resolve().parent)
    return Path(root) / f"kernels-{hashlib.sha256(source.encode()).hexdigest()[:12]}"


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def _say(line: str) -> None:
    """Give ``line`` to :data:`notice`, once per process (forked workers inherit that it was said)."""
    global notice_given
    if notice is not None and not notice_given:
        notice(line)
        notice_given = True


class _Record:
    """One kernel's compiled code files in the cache folder, for this Python, and a record of them that numba
    does not keep.

    The record (``MODULE.KERNEL.pyXY.sha256``) starts with what the files were compiled from (the SHA-256
    of the module's source, numba's version) and lists the SHA-256 of each code file (``.nbc``). numba's
    index (``.nbi``) is left out: numba rewrites it when a call brings new argument types, and reads it
    only to find the code files, failing when it is damaged. The record is written when the files change:
    a run that only loads them writes nothing.
    """

    def __init__(self, folder: Path, module: ModuleType, name: str, numba_version: str):
        stem = Path(module.__file__).stem
        tag = f"py{sys.version_info.major}{sys.version_info.minor}{getattr(sys, 'abiflags', '')}"
        self.folder, self.pattern = folder, f"{stem}.{name}-*.{tag}.*nb[ic]"
        self.path = folder / f"{stem}.{name}.{tag}.sha256"
        source = hashlib.sha256(Path(module.__file__).read_bytes()).hexdigest()
        self.header = f"compiled from {stem}.py of SHA-256 {source} by numba {numba_version}"

    def files(self) -> list[Path]:
        """The kernel's files (index and code), wherever numba put them in the folder."""
        return sorted(self.folder.rglob(self.pattern))

    def state(self) -> str:
        """'empty' (nothing cached), 'stale' (cached from another source or numba), 'damaged' (a code file
        changed since it was recorded) or 'intact' (also: files without a record, which numba then reads as it can)."""
        files = self.files()
        if not files:
            return "empty"
        try:
            header, *lines = self.path.read_text().splitlines()
            recorded = {name: digest for digest, name in (line.split("  ", 1) for line in lines)}
        except (OSError, ValueError):
            return "intact"
        if header != self.header:
            return "stale"
        changed = any(path.name in recorded and _sha256(path) != recorded[path.name] for path in files)
        return "damaged" if changed else "intact"

    def write(self) -> None:
        code = [path for path in self.files() if path.suffix == ".nbc"]
        text = "".join(f"{line}\n" for line in [self.header, *(f"{_sha256(path)}  {path.name}" for path in code)])
        try:
            if not self.path.exists() or self.path.read_text() != text:
                temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}")
                temporary.write_text(text)
                os.replace(temporary, self.path)  # whole, for a worker reading it at the same time
        except OSError:  # a folder numba could not write either: nothing was cached
            pass

    def clear(self) -> None:
        for path in [*self.files(), self.path]:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
