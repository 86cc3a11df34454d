"""Errors a user can fix: each names the file, the parameter path and what is allowed."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located by its dotted parameter path."""

    path: str
    message: str

    def render(self, file: str | None) -> str:
        """One line: ``file: path: message`` (the path is left out when empty)."""
        parts = [part for part in (file, self.path) if part]
        return ": ".join(parts + [self.message])


class ScenarioError(Exception):
    """A scenario the user must fix; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem], file: str | None = None):
        self.problems = list(problems)
        self.file = file
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """The problems as one line each, ready to print."""
        return [problem.render(self.file) for problem in self.problems]

    def in_file(self, file: str) -> "ScenarioError":
        """The same problems, attributed to ``file``."""
        return ScenarioError(self.problems, file)


def problem(path: str, message: str, file: str | None = None) -> ScenarioError:
    """A ScenarioError with a single problem."""
    return ScenarioError([Problem(path, message)], file)


class UsageError(Exception):
    """A command-line or API argument the user must fix (not a scenario problem)."""


def did_you_mean(key: str, candidates) -> str:
    """"; did you mean 'x'?" for the closest candidate, or "" when none is close."""
    matches = difflib.get_close_matches(str(key), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f"; did you mean '{matches[0]}'?" if matches else ""


def finite_numbers(option: str, text: str, values) -> list[float]:
    """``values`` read from one command-line option's ``text``, or a UsageError naming the option when one
    is NaN or infinite: the one finite-number rule for numbers given on the command line as text
    (lists, ranges, pairs); a single number goes through :class:`sim.shell.options.FiniteRange`."""
    import math

    values = [float(value) for value in values]
    for value in values:
        if not math.isfinite(value):
            shown = "NaN" if math.isnan(value) else ("infinity" if value > 0 else "-infinity")
            raise UsageError(f"{option} '{text}': {shown} is not allowed: give finite numbers")
    return values
