"""Progress on stderr for work that takes longer than a moment, never on stdout (a --json summary stays clean).

:func:`progress` is a bar in the work's own units (draws, agent counts) for work that reports its
steps; :func:`working` a spinner with the time taken for work that does not (writing a workbook, a
memo's figures, a break-even search, a fit). Both appear only on a terminal and only once the work
has taken over :data:`PROGRESS_AFTER` seconds, so short commands stay quiet.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from sim.compute.parallel import signals_held

PROGRESS_AFTER = 1.0
"""Seconds work must take before a progress bar or spinner appears (short work stays quiet)."""


@contextmanager
def progress(enabled: bool, unit: str = "draws", meanwhile=None, action: str = "simulating"):
    """A progress callback that shows a bar on stderr once the work has taken over a second.

    The bar reads ``action`` then done and total in ``unit`` in the house number style
    ("writing the workbook ... 5 000 of 100 000 draws"; "simulating ... 3 of 12 agent counts").

    rich loads on the first report, once the work has started (a run reports 0 done
    as soon as its worker processes have their chunks). ``meanwhile`` runs at that
    first report too: work for this process while the workers simulate, such as
    importing what the output needs.
    """
    started = time.monotonic()
    bar: dict[str, object] = {}

    def report(done: int, total: int) -> None:
        if "console" not in bar:
            if meanwhile is not None:
                meanwhile()
            from rich.console import Console

            bar["console"] = Console(stderr=True)
        if not enabled or not bar["console"].is_terminal:
            return
        if "progress" not in bar and time.monotonic() - started < PROGRESS_AFTER and done < total:
            return
        if "progress" not in bar:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            progress = Progress(
                TextColumn(action), BarColumn(), TextColumn(f"{{task.fields[shown_done]}} of {{task.fields[shown_total]}} {unit}"),
                TimeRemainingColumn(), console=bar["console"], transient=True,
            )
            from sim.reporting.format import style

            bar["count"] = style().count
            task = progress.add_task("run", total=total, shown_done=bar["count"](done), shown_total=bar["count"](total))
            bar["progress"], bar["task"] = progress, task  # before it starts: the clean-up below must erase it
            with signals_held():  # drawn whole, or a Ctrl-C here would leave a bar that nothing erases
                progress.start()
        bar["progress"].update(bar["task"], completed=done, shown_done=bar["count"](done), shown_total=bar["count"](total))

    try:
        yield report
    finally:
        if "progress" in bar:
            with signals_held():  # erased whole: rich erases a bar in several writes
                bar["progress"].stop()


@contextmanager
def working(what: str, enabled: bool = True):
    """A spinner with the time taken on stderr ("writing the workbook  0:00:12") for work that reports no
    steps, shown once it has taken over :data:`PROGRESS_AFTER` seconds and only on a terminal; stdout
    (a --json summary) is untouched."""
    lock = threading.Lock()
    shown: dict[str, object] = {}

    def start() -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        if not console.is_terminal:
            return
        with lock:
            if shown.get("done"):
                return
            progress = Progress(SpinnerColumn(), TextColumn(what), TimeElapsedColumn(), console=console, transient=True)
            progress.add_task(what, total=None)
            progress.start()
            shown["progress"] = progress

    timer = threading.Timer(PROGRESS_AFTER, start) if enabled else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()
        with lock:
            shown["done"] = True
            if "progress" in shown:
                with signals_held():  # erased whole: rich erases a bar in several writes
                    shown["progress"].stop()
