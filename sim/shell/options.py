"""Command-line option types. The one finite-number rule for numeric command-line options: NaN and infinity are refused in one line
naming the option, for every command (click's own FLOAT and FloatRange let them through).

A single number is a :class:`FiniteRange` option; numbers given as text (``A,B``, ``EVENTS/EXPOSURE``,
lists and ranges) are read with :func:`sim.errors.finite_numbers`. tests/shell/test_finite_options.py
walks every command's options and holds each to this rule.
"""

from __future__ import annotations

import click


class FiniteRange(click.FloatRange):
    """A float option within a range that refuses NaN, infinity and numbers beyond a trillion by name."""

    name = "finite number"

    def convert(self, value, param, ctx):
        from sim.errors import number_problem

        number = super().convert(value, param, ctx)
        problem = number_problem(number)
        if problem:
            self.fail(problem, param, ctx)
        return number


DASK_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")
"""Address schemes Dask's distributed scheduler speaks."""


class SchedulerAddress(click.ParamType):
    """``--scheduler``: 'processes', 'local:N' or a Dask scheduler address SCHEME://HOST:PORT, whose form is
    checked here, before any work (a wrong scheme or a missing port used to end in a library traceback)."""

    name = "scheduler"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        if text == "processes" or text.startswith("local:") or "://" not in text:
            return text  # checked by sim.model.parallel.scheduler, with the count of local workers
        scheme, _, rest = text.partition("://")
        host, colon, port = rest.rstrip("/").rpartition(":")
        if scheme not in DASK_SCHEMES:
            self.fail(f"'{text}': unknown address scheme '{scheme}'; a Dask scheduler's address starts with "
                      f"{', '.join(s + '://' for s in DASK_SCHEMES)}, e.g. tcp://host:8786", param, ctx)
        if scheme != "inproc" and (not colon or not host or not port.isdigit() or not 0 < int(port) < 65536):
            self.fail(f"'{text}': give the scheduler's host and port, e.g. {scheme}://host:8786", param, ctx)
        return text


class PathGiven(click.Path):
    """A file or folder option or argument that refuses an empty text, which pathlib would read as ``.`` (the
    current folder: ``--out ''`` said '.: already exists', ``run ''`` '.: cannot read the file')."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail("is empty; give a file or folder name", param, ctx)
        return super().convert(value, param, ctx)

