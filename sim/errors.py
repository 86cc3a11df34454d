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


LARGEST = 1e12
"""Largest size of any number a user states, in a scenario or on the command line (a trillion): far beyond
any business case, and small enough that products of several such numbers stay finite."""


def number_problem(value: float, plural: bool = False) -> str | None:
    """Why ``value`` is not a number cxroi takes (NaN, infinity, beyond :data:`LARGEST` in size), else None."""
    import math

    finite = "give finite numbers" if plural else "give a finite number"
    if math.isnan(value):
        return f"NaN is not allowed: {finite}"
    if math.isinf(value):
        return f"{'infinity' if value > 0 else '-infinity'} is not allowed: {finite}"
    if abs(value) > LARGEST:
        return f"{value:g} is not allowed: numbers are limited to {LARGEST:,.0f} in size"
    return None


def finite_numbers(option: str, text: str, values) -> list[float]:
    """``values`` read from one command-line option's ``text``, or a UsageError naming the option when one
    is NaN, infinite or beyond :data:`LARGEST`: the one finite-number rule for numbers given on the command
    line as text (lists, ranges, pairs); a single number goes through :class:`sim.shell.options.FiniteRange`."""
    values = [float(value) for value in values]
    for value in values:
        problem_ = number_problem(value, plural=True)
        if problem_:
            raise UsageError(f"{option} '{text}': {problem_}")
    return values
