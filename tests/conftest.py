"""Shared test helpers: small scenarios built in code, so each test states what it depends on."""

from __future__ import annotations

import copy
import signal
from pathlib import Path

import pytest

from sim.model.validation import validate

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    """Python's own Ctrl-C handler for the test run, however it was started.

    A command started with ``&`` by a non-interactive shell (a CI script, ``pytest ... &``) begins with SIGINT
    ignored, and Python then leaves it ignored (it installs its handler only over the default), so the tests that
    signal this process and expect ``KeyboardInterrupt`` failed in such a run and passed from a terminal: that was
    the Ctrl-C "left aside" after the Dask tests (no test leaves it so). A whole run hid it for the tests after
    tests/reporting/test_notebook.py: nbclient adds and removes an asyncio SIGINT handler, and asyncio's
    remove_signal_handler puts Python's handler in place, whatever was there before. Subprocesses then start as from
    a terminal too.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


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
