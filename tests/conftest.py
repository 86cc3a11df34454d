"""Shared test helpers: small scenarios built in code, so each test states what it depends on."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from sim.model.validation import validate

ROOT = Path(__file__).resolve().parent.parent


def scenario_dict(**settings) -> dict:
    """A one-segment, one-intervention scenario as a raw TOML-like dict."""
    raw = {
        "settings": {"name": "test", "currency": "EUR", "period": "month", "horizon": 12, "discount_rate": 0.0, "draws": 200, "seed": 3},
        "segments": {
            "retail": {
                "customers": 1000,
                "monthly_churn": 0.05,
                "purchases": 2.0,
                "value_per_purchase": 50.0,
                "margin": 0.4,
            }
        },
        "interventions": {"program": {"one_off_cost": 1000.0, "changes": [{"path": "segments.retail.monthly_churn", "scale": 0.8}]}},
    }
    raw["settings"].update(settings)
    return raw


def build(raw: dict):
    """Validate a raw dict into a Scenario (raises ScenarioError like a file would)."""
    return validate(copy.deepcopy(raw), "test.toml")


@pytest.fixture
def root() -> Path:
    return ROOT
