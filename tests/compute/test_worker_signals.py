"""Signals and the worker pool: Ctrl-C belongs to the main process, from the moment a worker exists (<2 s)."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from sim.compute import parallel

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="signal masks are POSIX")


def test_a_ctrl_c_that_reaches_a_worker_before_it_is_ready_is_dropped(monkeypatch):
    """A terminal's ^C goes to every process of the group, so it can reach a worker just forked, before its
    initializer has set Ctrl-C aside; there it must not run the main process's handler (a traceback from the
    worker and a broken pool, which left the main process waiting)."""
    ready = parallel._worker_signals

    def ctrl_c_first() -> None:
        os.kill(os.getpid(), signal.SIGINT)  # arrives between the fork and the worker's own signal set-up
        ready()

    monkeypatch.setattr(parallel, "_worker_signals", ctrl_c_first)
    pool = parallel.Pool(2)
    try:
        assert list(pool.map(abs, [-1, -2, -3, -4])) == [1, 2, 3, 4]
    finally:
        pool.close()


def test_a_signal_while_workers_start_reaches_the_main_process_after():
    """Held back while the workers fork, not lost: the main process gets its Ctrl-C as soon as they exist."""
    held = None
    with pytest.raises(KeyboardInterrupt):
        with parallel.signals_held():
            # To this thread, the one that holds it back: os.kill's is the process's, and another thread of the test
            # run (a Dask client's, say) that does not hold it back may take it and trip the handler only later.
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            held = signal.SIGINT in signal.sigpending()  # not reached if it was not held back
        pytest.fail("the held Ctrl-C was not delivered when the block ended")
    assert held


def test_a_ctrl_c_taken_by_another_thread_waits_for_the_block_to_end():
    """A signal sent to the process may reach any thread that does not block it; Python then runs the handler in
    the main thread at its next step, which the mask alone would not stop: the swapped handler notes it and the
    block ends before it is raised (a spinner's thread exists whenever a memo or workbook is put in place)."""
    go, sent = threading.Event(), threading.Event()

    def ctrl_c() -> None:  # started before the block: its mask lets the signal in, so the process's signal lands here
        go.wait()
        os.kill(os.getpid(), signal.SIGINT)
        sent.set()

    other = threading.Thread(target=ctrl_c)
    other.start()
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with parallel.signals_held():
            go.set()
            sent.wait()
            for _ in range(100_000):  # many steps of the main thread, at each of which a handler could run
                steps.append(None)
            steps.append("done")
    other.join()
    assert steps[-1] == "done"
