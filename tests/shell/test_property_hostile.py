"""Property: whatever a scenario or an override holds, `cxroi run` refuses it cleanly or writes only finite numbers.

Hypothesis generates scenarios from the schema's keys — valid, near-valid and
hostile values (NaN, infinity, booleans, numeric strings, reversed ranges,
broken distribution tables, huge and tiny numbers) in the file and in ``--set``
overrides — and asserts: exit 2 with one line per problem, each naming the
file, and no results folder; or exit 0 with only finite numbers in summary.json.

Budget: 100 examples, 16 draws of a 12-month one-segment scenario each: about 15 seconds.
Each run draws new examples (not derandomized: over many CI runs the property meets
far more than the same 100 inputs forever). A failing example is saved in the example
database under ``.hypothesis/`` (git-ignored) and replayed first by the next run on that
machine; the failure also prints a ``@reproduce_failure`` line that replays it anywhere.
To replay one seed: ``pytest tests/shell/test_property_hostile.py --hypothesis-seed=N``.
"""

import json
import math
import re
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from sim.shell.cli import main

SEGMENT_KEYS = ["customers", "arrivals", "monthly_churn", "purchases", "value_per_purchase", "fee", "margin",
                "contacts", "acquisition_cost"]
EXPERIENCE_KEYS = ["good", "bad", "walk_away", "positive_uplift", "negative_drop", "positive_churn_reduction",
                   "negative_churn_increase", "positive_duration", "negative_duration", "negative_contact_increase"]
INTERVENTION_KEYS = ["one_off_cost", "recurring_cost", "start", "ramp"]
SETTINGS_KEYS = ["horizon", "discount_rate", "currency", "period", "roi_basis", "sampling"]
TARGETS = [f"segments.retail.{key}" for key in SEGMENT_KEYS if key != "customers"] + \
          [f"segments.retail.experience.{key}" for key in EXPERIENCE_KEYS]

HOSTILE = st.sampled_from([
    math.nan, math.inf, -math.inf, True, False, "1", "0.4", "", "1% to 3%", "3% to 1%", "nan to 1", "1 to inf",
    "-5 to 5", [1, 2], {}, {"value": 2}, {"dist": "normal", "mean": 0.5, "sd": 10},
    {"dist": "normal", "mean": 0.5, "sd": math.nan}, {"dist": "uniform", "low": 0.1, "high": 0.9},
    {"dist": "pert", "low": 0.0, "mode": 0.1, "high": 0.3}, {"dist": "triangular", "low": 3, "mode": 2, "high": 1},
    {"dist": "discrete", "values": [0.1, 0.9], "weights": [1, math.inf]}, {"dist": "lognormal", "mean": 1e6, "sd": 1e7},
    0, 1, -1, 1.0000001, -1e-9, 0.5, 2, 1000.5, 1e300, -1e300, 5e-324, "EUR", "month", "week",
])
# Valid values are drawn as often as hostile ones, so many examples run the model to the end.
VALID = st.one_of(st.floats(min_value=0.0, max_value=1.0), st.floats(min_value=1.0, max_value=50.0),
                  st.integers(min_value=0, max_value=100), st.sampled_from(["5% to 20%", "0.1 to 0.3", "2 to 30"]))
WILD = st.one_of(HOSTILE, st.floats(min_value=-10.0, max_value=1e4), st.integers(min_value=-5, max_value=2000),
                 st.floats(allow_nan=True, allow_infinity=True))
VALUES = st.one_of(VALID, VALID, WILD)
EDITS = st.one_of(
    st.tuples(st.just("settings"), st.sampled_from(SETTINGS_KEYS), VALUES),
    st.tuples(st.just("segment"), st.sampled_from(SEGMENT_KEYS), VALUES),
    st.tuples(st.just("experience"), st.sampled_from(EXPERIENCE_KEYS), VALUES),
    st.tuples(st.just("intervention"), st.sampled_from(INTERVENTION_KEYS), VALUES),
    st.tuples(st.just("change"), st.sampled_from(["set", "scale", "add"]), st.tuples(st.sampled_from(TARGETS), VALUES)),
    st.tuples(st.just("correlate"), st.sampled_from(["segments.retail.experience.good", "segments.retail.purchases", *TARGETS]),
              st.one_of(st.floats(min_value=-1.0, max_value=1.0), st.floats(allow_nan=True, allow_infinity=True))),
)


EXAMPLES = DirectoryBasedExampleDatabase(Path(__file__).resolve().parents[2] / ".hypothesis" / "examples")
"""Failing examples, replayed first on the next run (the repository's .hypothesis/, whatever the working directory)."""

PROBLEM = re.compile(r"^[a-z_]+(\.[a-z_]+|\[\d+\])*: \S")
"""A problem line after the file: a parameter path, then the message."""


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value)


def _scenario(edits) -> tuple[str, list[str]]:
    """TOML text of the base scenario with ``edits`` applied, and --set overrides for every second edit."""
    settings_ = {"currency": "EUR", "horizon": 12, "discount_rate": 0.05, "draws": 16, "seed": 3}
    segment = {"customers": 1000, "monthly_churn": 0.05, "purchases": "1.5 to 2.5", "value_per_purchase": 50.0,
               "margin": 0.4, "contacts": 0.5}
    experience = {"good": "0.3 to 0.8", "bad": "0.1 to 0.4", "walk_away": 0.2}
    intervention = {"one_off_cost": 1000.0}
    change = {"path": "segments.retail.experience.bad", "scale": 0.8}
    correlations = []
    overrides = []
    tables = {"settings": (settings_, "settings"), "segment": (segment, "segments.retail"),
              "experience": (experience, "segments.retail.experience"), "intervention": (intervention, "interventions.program")}
    for index, (where, key, value) in enumerate(edits):
        if where == "change":
            change = {"path": value[0], key: value[1]}
        elif where == "correlate":
            correlations.append({"between": ["segments.retail.experience.bad", key], "rank": value})
        elif index % 2 and key in tables[where][0]:
            overrides.append(f"{tables[where][1]}.{key}={_toml(value)}")
        else:
            tables[where][0][key] = value
    lines = []
    for header, table in (("settings", settings_), ("segments.retail", segment), ("segments.retail.experience", experience),
                          ("interventions.program", intervention)):
        lines.append(f"[{header}]")
        lines += [f"{k} = {_toml(v)}" for k, v in table.items()]
    lines += ["[[interventions.program.changes]]"] + [f"{k} = {_toml(v)}" for k, v in change.items()]
    for correlation in correlations:
        lines += ["[[correlations]]"] + [f"{k} = {_toml(v)}" for k, v in correlation.items()]
    return "\n".join(lines) + "\n", overrides


def _finite_numbers(data) -> bool:
    if isinstance(data, float):
        return math.isfinite(data)
    if isinstance(data, dict):
        return all(_finite_numbers(v) for v in data.values())
    if isinstance(data, list):
        return all(_finite_numbers(v) for v in data)
    return True


@settings(max_examples=100, deadline=None, print_blob=True, database=EXAMPLES,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EDITS, min_size=1, max_size=3))
def test_run_refuses_cleanly_or_writes_only_finite_numbers(edits):
    text, overrides = _scenario(edits)
    with tempfile.TemporaryDirectory() as tmp:
        file, out = Path(tmp) / "s.toml", Path(tmp) / "out"
        file.write_text(text)
        args = ["run", str(file), "--workers", "1", "--out", str(out)] + [a for o in overrides for a in ("--set", o)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code in (0, 2), (text, overrides, result.output, result.exception)
        if result.exit_code == 2:
            lines = result.output.splitlines()
            assert lines and all(PROBLEM.match(line.removeprefix(f"{file}: ")) for line in lines if line.startswith(f"{file}: ")), \
                (text, overrides, result.output)
            assert all(line.startswith(f"{file}: ") for line in lines), (text, overrides, result.output)
            assert not out.exists()
        else:
            summary = json.loads((out / "summary.json").read_text())
            assert _finite_numbers(summary), (text, overrides, summary)
