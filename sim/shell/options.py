"""The one finite-number rule for numeric command-line options: NaN and infinity are refused in one line
naming the option, for every command (click's own FLOAT and FloatRange let them through).

A single number is a :class:`FiniteRange` option; numbers given as text (``A,B``, ``EVENTS/EXPOSURE``,
lists and ranges) are read with :func:`sim.errors.finite_numbers`. tests/shell/test_finite_options.py
walks every command's options and holds each to this rule.
"""

from __future__ import annotations

import math

import click


class FiniteRange(click.FloatRange):
    """A float option within a range that refuses NaN and infinity by name."""

    name = "finite number"

    def convert(self, value, param, ctx):
        from sim.model.distributions import plain_number

        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{plain_number(number)} is not allowed: give a finite number", param, ctx)
        return number
