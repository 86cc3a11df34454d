"""The ``cxroi`` console script's first moment: Ctrl-C and SIGTERM are the command's before anything loads.

This module imports nothing but :mod:`signal` and :mod:`sys`, so the handlers are in place within the
interpreter's own start-up; the commands (:mod:`sim.shell.cli`, 60 ms of imports: click, the worker pool)
load after. A signal while they load ended the command with Python's own handler: a ``KeyboardInterrupt``
traceback (SIGINT) or no word at all (SIGTERM); it now ends with the command's one line, as at any later moment.
"""

from __future__ import annotations

import signal
import sys

INTERRUPTED = "interrupted; nothing was written"
"""The line of a command interrupted before any output was in place (:func:`sim.shell.results_folder.interrupted_line`)."""

EXIT_INTERRUPTED = 130
"""A command's exit code after Ctrl-C or SIGTERM (128 + SIGINT, as a shell reports a Ctrl-C)."""


_TAKEN: list[int] = []
"""The signals the console script handles (those it was not started ignoring)."""
_CAME: list[int] = []
"""The signals :func:`interrupt` has turned into KeyboardInterrupt, in order."""


def interrupt(signum, frame) -> None:
    """SIGINT and SIGTERM: stop the work with KeyboardInterrupt (its clean-up runs as the stack unwinds); any
    further signal is ignored, so the clean-up is never cut short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _CAME.append(signum)
    raise KeyboardInterrupt


def take_signals() -> None:
    """Handle Ctrl-C and SIGTERM with :func:`interrupt`, but a signal the command was started ignoring (a
    non-interactive shell starts a job run with ``&`` with Ctrl-C ignored, ``nohup``-like wrappers do the same)
    stays ignored, as Python itself leaves it.

    An interrupt that lands where Python cannot raise it (a garbage-collector callback, such as Dask's, or a
    ``__del__``) was printed as "Exception ignored in ..." with a traceback, and lost: the command ran on. Python
    hands it to :data:`sys.unraisablehook`, which now sends it again to the main thread from another thread a
    moment later, to be raised at the next ordinary step.
    """
    for which in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(which) != signal.SIG_IGN:
            signal.signal(which, interrupt)
            _TAKEN.append(which)
    sys.unraisablehook = _interrupt_again(sys.unraisablehook)


def _send_later(thread: int, which: int) -> None:
    import time

    time.sleep(0.01)
    signal.pthread_kill(thread, which)


def _interrupt_again(hook):
    def unraisable(report) -> None:
        if not isinstance(report.exc_value, KeyboardInterrupt) or not _TAKEN:
            return hook(report)
        import threading

        if threading.current_thread() is not threading.main_thread():
            return hook(report)
        for which in _TAKEN:
            signal.signal(which, interrupt)
        main, which = threading.main_thread().ident, _CAME[-1] if _CAME else _TAKEN[0]
        # From another thread, a moment later: raised here (by any means), Python would report it as ignored again.
        try:
            threading.Thread(target=_send_later, args=(main, which), daemon=True).start()
        except RuntimeError:  # the interpreter is shutting down: the command is ending anyway
            pass
    return unraisable


def interrupted_by(error: BaseException) -> bool:
    """Whether ``error`` is Ctrl-C or SIGTERM, or was raised because of one: a C extension being imported when
    the signal came turns it into "ImportError: initialization failed" (pybind11's, scipy.optimize's HiGHS) with
    the KeyboardInterrupt as its cause."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def entry() -> None:
    """The ``cxroi`` console script (pyproject.toml's ``[project.scripts]``): the handlers, then the commands.

    The commands report an interrupt themselves (:meth:`sim.shell.cli.LazyGroup.invoke`); one that comes
    outside them (while they load, or as they exit) is reported here, by the same rule (:func:`take_signals`).
    """
    take_signals()
    try:
        from sim.shell import cli

        cli.commands()
    except BaseException as error:
        if isinstance(error, SystemExit) or not interrupted_by(error):  # an exit (a command's own 130 among them)
            raise
        written = sys.modules.get("sim.shell.results_folder")
        sys.stderr.write((written.interrupted_line() if written else INTERRUPTED) + "\n")
        sys.exit(EXIT_INTERRUPTED)
