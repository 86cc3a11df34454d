"""The same numbers on a Dask cluster as on the process pool, even when a worker dies.

Runtime about 6 s on this 2-core machine when quiet (80 s when heavily loaded), mostly one LocalCluster of
two worker processes (shared by the tests of this module and always closed).
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.compute import dask_pool, parallel
from sim.shell.cli import main

pytest.importorskip("distributed", reason="Dask is not installed: pip install -e '.[dask]' (the test extra has it)")

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "benchmarks" / "reference_operations.toml"


@pytest.fixture(scope="module")
def cluster():
    with parallel.scheduler("local:2") as chosen:
        yield chosen


@pytest.fixture(scope="module")
def loaded():
    return sim.load(SCENARIO)


def test_a_run_on_a_local_cluster_has_the_process_pools_numbers(cluster, loaded):
    with parallel.scheduler("processes"):
        on_processes = sim.run(loaded, draws=500, seed=5, workers=2)
    on_dask = sim.run(loaded, draws=500, seed=5)
    assert isinstance(cluster.pool(), dask_pool.DaskPool)
    assert json.dumps(on_dask.summary_dict()) == json.dumps(on_processes.summary_dict())
    assert on_dask.bands.equals(on_processes.bands)


def test_a_sweep_on_a_local_cluster_has_the_process_pools_numbers(cluster, loaded):
    grid = {"interventions.training.recurring_cost": [0.0, 5_000.0]}
    on_dask = sim.sweep(loaded, grid, draws=250, seed=5)
    with parallel.scheduler("processes"):  # inside the cluster's context, back to the process pool
        on_processes = sim.sweep(loaded, grid, draws=250, seed=5, workers=2)
    assert json.dumps(on_dask.summary) == json.dumps(on_processes.summary)


def test_a_worker_killed_mid_run_changes_no_number(cluster, loaded):
    with parallel.scheduler("processes"):
        expected = sim.run(loaded, draws=1000, seed=9, workers=1, chunk_draws=250)
    client = cluster.pool().client
    killed = []

    def kill_one_worker(done: int, total: int) -> None:
        if done and not killed:  # after a first chunk (a run also reports 0 done when it starts)
            pid = next(iter(client.run(os.getpid).values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    result = sim.run(loaded, draws=1000, seed=9, chunk_draws=250, progress=kill_one_worker)
    assert killed
    assert json.dumps(result.summary_dict()) == json.dumps(expected.summary_dict())


def test_ctrl_c_stays_the_main_processs_after_a_worker_is_started_again(cluster, loaded):
    """A terminal's ^C reaches every process of the group: the workers leave it to this process, also a worker the
    Nanny starts again after one died (it used to take ^C and print a traceback), and this process's own handler is
    the one it had (a run, a lost worker and its replacement leave it as it was)."""
    ours = signal.getsignal(signal.SIGINT)
    client = cluster.pool().client
    killed = next(iter(client.run(os.getpid).values()))
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:  # until the Nanny's new worker has joined
        pids = set(client.run(os.getpid, on_error="ignore").values())
        if len(pids) == 2 and killed not in pids or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(pids) == 2 and killed not in pids
    assert list(client.run(_ctrl_c_handler).values()) == ["SIG_IGN", "SIG_IGN"]
    assert signal.getsignal(signal.SIGINT) is ours


def _ctrl_c_handler() -> str:
    """A worker's SIGINT handler by name (asyncio's, in a worker started again, is a partial that does not pickle)."""
    handler = signal.getsignal(signal.SIGINT)
    return getattr(handler, "name", None) or repr(handler)


def test_an_unreachable_scheduler_is_one_line_and_exit_2(monkeypatch, tmp_path):
    monkeypatch.setattr(dask_pool, "CONNECT_TIMEOUT", "1s")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(SCENARIO), "--draws", "300", "--out", str(out),
                                       "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("--scheduler tcp://127.0.0.1:9: no Dask scheduler answered within 1s")
    assert not out.exists()


def test_without_dask_the_message_names_the_extra(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)  # import distributed now fails
    result = CliRunner().invoke(main, ["run", str(SCENARIO), "--draws", "300", "--no-save", "--scheduler", "local:2"])
    assert result.exit_code == 2
    assert result.output.strip() == ('--scheduler local:2 needs Dask\'s distributed scheduler: pip install "cxroi[dask]" '
                                     '(from a checkout: pip install -e ".[dask]")')


def test_dask_log_records_stay_out_of_the_terminal_while_a_pool_is_open(cluster, capfd):
    """What Dask logs about a lost worker ("Couldn't gather keys") or a cut connection (CommClosedError) is
    handled by cxroi (the chunks run again; an interrupt ends in one line), so none of it reaches stderr: not
    from this process's loggers, not from a worker's. After the pool closes, the loggers have their levels back."""
    import logging

    for name in ("distributed.scheduler", "distributed.client", "distributed.comm", "tornado.application",
                 "asyncio"):
        logging.getLogger(name).error("Couldn't gather keys {'chunk-1': []}")
    cluster.pool().client.run(lambda: logging.getLogger("distributed.worker").error("CommClosedError"))
    captured = capfd.readouterr()
    assert "Couldn't gather" not in captured.err + captured.out
    assert "CommClosedError" not in captured.err + captured.out

    own = logging.getLogger("distributed.cxroi_test")
    own.setLevel(logging.WARNING)  # a logger with a level of its own, as Dask's configuration gives some
    quiet = dask_pool._LibraryLogsQuiet()
    assert own.level > logging.CRITICAL
    quiet.end()
    assert own.level == logging.WARNING
