"""From waiting to experience: the response curve, fitted to a table of ten companies.

The Swedish article "Hur viktig är kundsupport för att öka användarretention och nöjda kunder?" lists for ten companies the
response time in minutes and the share of customers satisfied after a year.
A logistic curve in the logarithm of the response time fits those ten points
well (largest error under 4 percentage points), falls steadily with waiting,
and stays below 1 for instant answers. It is the default that turns an
operations outcome (how long answered customers waited) into the share of good
experiences; scenarios may state their own intercept and slope.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEED_004 = (
    # (company, response time in minutes, share satisfied after one year)
    ("FlexiTech", 5, 0.92),
    ("QuickServe", 15, 0.80),
    ("HelpWave", 30, 0.70),
    ("ClientFirst", 10, 0.88),
    ("EasySupport", 3, 0.95),
    ("SmartAssist", 12, 0.82),
    ("SecureHelp", 25, 0.68),
    ("ServicePlus", 8, 0.90),
    ("FastHelp", 6, 0.93),
    ("ClientCare", 20, 0.75),
)
FLOOR_MINUTES = 0.5
"""Waits shorter than this count as this long: the table has no instant answers to fit."""


@dataclass(frozen=True)
class ResponseCurve:
    """Share satisfied = 1 / (1 + exp(-(intercept + slope * ln(minutes))))."""

    intercept: float
    slope: float

    def satisfied(self, minutes: np.ndarray) -> np.ndarray:
        """Share of customers satisfied after waiting ``minutes`` for an answer."""
        waited = np.maximum(np.asarray(minutes, dtype=float), FLOOR_MINUTES)
        return 1.0 / (1.0 + np.exp(-(self.intercept + self.slope * np.log(waited))))


def fit(points=SEED_004) -> ResponseCurve:
    """Least squares on the logit of the satisfied share against the log of the response time."""
    minutes = np.array([p[1] for p in points], dtype=float)
    share = np.array([p[2] for p in points], dtype=float)
    design = np.column_stack([np.ones_like(minutes), np.log(minutes)])
    intercept, slope = np.linalg.lstsq(design, np.log(share / (1 - share)), rcond=None)[0]
    return ResponseCurve(float(intercept), float(slope))


DEFAULT = fit()
