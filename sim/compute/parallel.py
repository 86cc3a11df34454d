"""Worker processes for chunks of draws: one pool, reused across the runs of an analysis.

Results never depend on the number of workers (see :mod:`sim.model.streams`), so this
module only decides who shares the work: this machine's processes (the default), or
a Dask cluster chosen with :func:`scheduler` (:mod:`sim.compute.dask_pool`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sim.errors import UsageError

PROCESSES = "processes"

MAX_WORKERS = 256
"""Most worker processes one run starts (``--workers``, ``local:N``). A process pool forks all its workers at
once, so --workers 100000 used to fork until the machine ran out of processes; a run is CPU-bound, and more
workers than any one machine's cores only cost memory."""
_scheduler: ContextVar[Any] = ContextVar("scheduler", default=None)


class Pool:
    """Maps a function over jobs in ``size`` processes (in this process when size is 1)."""

    def __init__(self, size: int):
        self.size = size
        context = _context()
        self._executor = ProcessPoolExecutor(size, mp_context=context, initializer=_worker_signals) if size > 1 else None
        self.forks = self._executor is not None and context.get_start_method() == "fork"
        """Whether the workers start as copies of this process (and inherit what it loaded before they start)."""
        self.started = False
        """Whether the worker processes exist yet: they start on the first :meth:`map`."""

    def map(self, function: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        """Results in job order, as they become available."""
        if self._executor is None:
            return map(function, jobs)
        self.started = True
        with signals_held():  # the workers start here (as the jobs are submitted)
            return self._executor.map(function, jobs)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)


_HELD = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def signals_held():
    """Hold Ctrl-C and SIGTERM back for a moment that must not be cut in two, and deliver them after.

    Two layers, because a signal sent to the process may reach any of its threads (a spinner's, a Dask
    client's) while Python runs the handler in the main thread at its next step: this thread's signal mask
    blocks them (a worker process forked now starts with that mask, so a Ctrl-C that reaches it before
    :func:`_worker_signals` has run stays pending instead of running this process's handler, which would
    print a traceback from the worker and break the pool), and in the main thread the handlers are swapped
    for one that only notes the signal; when the block ends the old handlers are back and the first signal
    noted is raised again to them. Uses: workers starting; an output renamed into place and recorded as
    written (:func:`sim.shell.results_folder.placing`: an interrupt comes before, nothing written, or after,
    written and named, never between); a progress bar drawn or erased whole (:mod:`sim.shell.progress`).
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks (and no fork)
        yield
        return
    came: list[int] = []
    handlers = {}
    if threading.current_thread() is threading.main_thread():  # only the main thread may set handlers
        handlers = {which: signal.signal(which, lambda signum, frame: came.append(signum)) for which in _HELD}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a signal pending here is noted now
        for which, handler in handlers.items():
            signal.signal(which, handler)
        if came:
            signal.raise_signal(came[0])


def _worker_signals() -> None:
    """In each worker: Ctrl-C is the main process's to handle (a terminal sends it to the whole process group;
    a worker stopped in the middle of writing its result would leave the main process waiting for it), and
    SIGTERM ends the worker, as the main process's own handlers (inherited by a fork) must not. The worker
    starts with both held back (:func:`signals_held`): a Ctrl-C that came meanwhile is dropped, a SIGTERM
    ends it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)


def worker_count(workers: int | None) -> int:
    """The requested number of workers (at most :data:`MAX_WORKERS`), or every core (up to that)."""
    if workers is not None and workers > MAX_WORKERS:
        raise UsageError(f"--workers {workers}: at most {MAX_WORKERS} worker processes")
    return max(1, workers if workers is not None else min(os.cpu_count() or 1, MAX_WORKERS))


@contextmanager
def pool(workers: int | None):
    """A :class:`Pool` of ``workers`` processes (default: all cores), shut down on exit.

    Inside :func:`scheduler` with a Dask cluster, the cluster's pool instead
    (``workers`` is then the cluster's business).
    """
    chosen = _scheduler.get()
    if chosen is not None:
        yield chosen.pool()
        return
    shared = Pool(worker_count(workers))
    try:
        yield shared
    finally:
        shared.close()


@contextmanager
def scheduler(spec: str | None):
    """Run every pool opened inside on ``spec``: 'processes' (or None: this machine's
    process pool), 'local:N' (a Dask LocalCluster of N workers) or a Dask scheduler
    address such as 'tcp://host:8786'. One cluster serves every run inside."""
    if spec not in (None, PROCESSES) and not (spec.startswith("local:") or "://" in spec):
        raise UsageError(f"--scheduler {spec}: use 'processes', 'local:N' or a scheduler address such as tcp://host:8786")
    chosen = None if spec in (None, PROCESSES) else _Cluster(spec)
    token = _scheduler.set(chosen)
    try:
        yield chosen
    finally:
        _scheduler.reset(token)
        if chosen is not None:
            chosen.close()


class _Cluster:
    """A Dask cluster connected on first use (so a bad scenario fails before any cluster starts)."""

    def __init__(self, spec: str):
        self.spec = spec
        self._pool = None

    def pool(self):
        if self._pool is None:
            from sim.compute.dask_pool import DaskPool

            self._pool = DaskPool(self.spec)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


def _context():
    """fork where the platform has it (fast start, nothing to re-import), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")
