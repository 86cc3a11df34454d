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
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sim.errors import UsageError

CONNECT_TIMEOUT = "5s"
"""How long to wait for a scheduler to answer before giving up with one line."""

INSTALL = 'pip install "cxroi[dask]" (from a checkout: pip install -e ".[dask]")'


class DaskPool:
    """The :class:`sim.model.parallel.Pool` interface over a ``distributed.Client``."""

    def __init__(self, spec: str):
        """``spec`` is 'local:N' (start a LocalCluster of N single-threaded worker processes) or a scheduler address."""
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise UsageError(f"--scheduler {spec} needs Dask's distributed scheduler: {INSTALL}") from None
        self.spec = spec
        self.cluster = None
        if spec.startswith("local:"):
            self.cluster = LocalCluster(n_workers=_local_workers(spec), threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(spec, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as error:
                raise UsageError(
                    f"--scheduler {spec}: no Dask scheduler answered within {CONNECT_TIMEOUT} ({_reason(error)}); "
                    "start one with `dask scheduler` and workers with `dask worker ADDRESS`"
                ) from None
        self.size = max(1, sum(self.client.nthreads().values()))

    def map(self, function: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        """Results in job order, as they become available; a result leaves the cluster once read."""
        futures = self.client.map(function, list(jobs), pure=False)
        futures.reverse()
        while futures:
            future = futures.pop()
            yield future.result()
            future.release()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _local_workers(spec: str) -> int:
    try:
        count = int(spec.removeprefix("local:"))
    except ValueError:
        count = 0
    if count < 1:
        raise UsageError(f"--scheduler {spec}: give the number of local workers, e.g. local:4")
    return count


def _reason(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:160]
