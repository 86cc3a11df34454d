"""Chunks of draws on a Dask cluster: a LocalCluster on this machine or a scheduler elsewhere.

The work unit is the same as in the process pool — one chunk of draws (a sweep
point x chunk for sweeps), seeded from the run's seed and the chunk's first
draw (:mod:`sim.model.streams`) — so a run gives bit-identical numbers on the
process pool, a LocalCluster and a remote cluster, for any number of workers.
A worker that dies mid-run loses only its chunks in flight, which the scheduler
runs again elsewhere: the same chunks, the same numbers.

Dask is an optional extra (``pip install -e ".[dask]"``).
"""

from __future__ import annotations

import logging
import shutil
import signal
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any

from sim.errors import UsageError

CONNECT_TIMEOUT = "5s"
"""How long to wait for a scheduler to answer before giving up with one line."""

IN_FLIGHT_PER_WORKER = 3
"""Chunks submitted ahead per worker thread: enough to keep workers busy, few enough to bound memory."""

INSTALL = 'pip install "cxroi[dask]" (from a checkout: pip install -e ".[dask]")'


class DaskPool:
    """The :class:`sim.compute.parallel.Pool` interface over a ``distributed.Client``."""

    def __init__(self, spec: str):
        """``spec`` is 'local:N' (start a LocalCluster of N single-threaded worker processes) or a scheduler address."""
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise UsageError(f"--scheduler {spec} needs Dask's distributed scheduler: {INSTALL}") from None
        self.spec = spec
        self.cluster = None
        self.scratch = None
        """Local workers' scratch folder: Dask's default, ``$TMPDIR/dask-scratch-space``, was left behind by
        every run (interrupted or not); this one is the run's own, removed when the pool closes."""
        workers = _local_workers(spec) if spec.startswith("local:") else None
        self._quiet = _LibraryLogsQuiet()
        try:
            if workers:
                import dask

                self.scratch = tempfile.mkdtemp(prefix="cxroi-dask-")
                # the scheduler's scratch folder comes from the configuration, the workers' from local_directory
                with _workers_ignore_ctrl_c(), dask.config.set({"temporary-directory": self.scratch}):
                    self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                dashboard_address=None, silence_logs=logging.CRITICAL,
                                                local_directory=self.scratch,
                                                preload=[*_configured_preloads(dask), __name__])
                self.client = Client(self.cluster)
            else:
                self.client = _connect(Client, spec)
        except BaseException:
            try:
                if self.cluster is not None:
                    self.cluster.close()
            finally:
                self._remove_scratch()
                self._quiet.end()
            raise
        self.size = max(1, sum(self.client.nthreads().values()))

    def map(self, function: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        """Results in job order, as they become available.

        At most :data:`IN_FLIGHT_PER_WORKER` jobs per worker thread are on the
        cluster at a time, and a result leaves it once read: neither the
        scheduler nor this process holds a long run's inputs or outputs at once.
        """
        pending = iter(jobs)
        window = deque(self.client.submit(function, job, pure=False)
                       for job in islice(pending, IN_FLIGHT_PER_WORKER * self.size))
        while window:
            future = window.popleft()
            result = future.result()
            future.release()
            for job in islice(pending, 1):
                window.append(self.client.submit(function, job, pure=False))
            yield result

    def close(self) -> None:
        try:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            self._remove_scratch()
            self._quiet.end()

    def _remove_scratch(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


class _LibraryLogsQuiet:
    """Keep Dask's own log records out of the user's terminal while a pool is open and while it closes.

    A worker that dies, or the connections an interrupt cuts, make the scheduler and client log errors
    ("Couldn't gather keys", ``CommClosedError`` tracebacks) about things cxroi already handles: the chunks
    are run again elsewhere with the same numbers, or the command stops with its one line. Anything that does
    stop the run reaches the user through the run's own error, not through these records. Local workers get
    the same level through ``LocalCluster(silence_logs=...)``; this covers this process's handlers (Dask's
    stream handlers and Python's last-resort handler, which prints asyncio's unretrieved task errors).
    """

    ROOTS = ("distributed", "tornado", "asyncio", "bokeh")

    def __init__(self):
        names = [*self.ROOTS, *(name for name, logger in logging.root.manager.loggerDict.items()
                                if name.split(".")[0] in self.ROOTS and getattr(logger, "level", logging.NOTSET))]
        self._levels = {name: logging.getLogger(name).level for name in names}
        for name in names:  # a logger with a level of its own (Dask's configuration gives some) is set too
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)

    def end(self) -> None:
        """Give each logger back the level it had."""
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)
        self._levels = {}


def _connect(Client, spec: str):
    try:
        return Client(spec, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as error:
        raise UsageError(
            f"--scheduler {spec}: no Dask scheduler answered within {CONNECT_TIMEOUT} ({_reason(error)}); "
            "start one with `dask scheduler` and workers with `dask worker ADDRESS`"
        ) from None


@contextmanager
def _workers_ignore_ctrl_c():
    """Start local workers with SIGINT ignored (they inherit it), so Ctrl-C reaches only
    this process, which closes the cluster and prints one line, instead of every worker
    printing a traceback. A Ctrl-C during these seconds of start-up is ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def dask_setup(worker) -> None:
    """Dask's preload hook, run in each local worker as it starts (``LocalCluster(preload=[this module])``): Ctrl-C
    is ignored there, as :func:`_workers_ignore_ctrl_c` arranges for the first workers. A worker the Nanny starts
    again after one died starts outside that block, with Python's handler, which asyncio's runner replaces by its
    own (a terminal's ^C then cancelled the new worker's task and stopped it, besides interrupting this process).
    Between that worker's exec and this hook (its imports, under a second) a ^C still reaches it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _configured_preloads(dask) -> list[str]:
    """The workers' preloads in the user's Dask configuration (``preload=`` replaces them, so they are passed on)."""
    configured = dask.config.get("distributed.worker.preload", default=None) or []
    return [configured] if isinstance(configured, str) else list(configured)


def _local_workers(spec: str) -> int:
    from sim.compute.parallel import MAX_WORKERS

    try:
        count = int(spec.removeprefix("local:"))
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_WORKERS:
        raise UsageError(f"--scheduler {spec}: give the number of local workers, 1 to {MAX_WORKERS}, e.g. local:4")
    return count


def _reason(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:160]
