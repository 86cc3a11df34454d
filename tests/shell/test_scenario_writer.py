"""Writing inputs into scenario files: comments kept, round trip, replace vs add, nothing written on error (< 1 s).

The text itself is :mod:`sim.fit.scenario_edit` (tests/fit/test_scenario_inputs.py); these go through the file."""

import shutil
import tomllib
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.shell.loader import load
from sim.shell.scenario_writer import InputUpdate, write_inputs

NORDIC = Path(__file__).resolve().parents[2] / "scenarios" / "nordic_midsize.toml"
WALK_AWAY = "segments.b2b.experience.walk_away"
SPEC = {"dist": "normal", "mean": 0.22, "sd": 0.04, "base": 0.22, "source": "cxroi fit support: tickets 2025"}


@pytest.fixture
def scenario(tmp_path):
    target = tmp_path / "nordic.toml"
    shutil.copy(NORDIC, target)
    return target


def test_updating_one_input_keeps_every_comment_and_other_line(scenario):
    before = scenario.read_text().splitlines()
    write_inputs(scenario, [InputUpdate(WALK_AWAY, SPEC, "estimated from tickets")], create=False)
    after = scenario.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and len(changed) == 1
    assert changed[0][0].startswith("walk_away = ") and changed[0][1].startswith("walk_away = {dist = \"normal\"")
    assert changed[0][1].endswith("# estimated from tickets")


def test_round_trip_reads_back_the_written_distribution(scenario):
    write_inputs(scenario, [InputUpdate(WALK_AWAY, SPEC), InputUpdate("segments.b2c.contacts", 0.07)], create=False)
    loaded = load(scenario).scenario
    walk_away = loaded.segments["b2b"].experience.walk_away
    assert walk_away.spec()["dist"] == "normal" and walk_away.base == 0.22
    assert walk_away.source == SPEC["source"]
    assert loaded.segments["b2c"].contacts.base == 0.07


def test_an_added_change_is_appended_once_then_replaced(scenario):
    change = {"path": "segments.b2b.experience.bad", "scale": {"dist": "lognormal", "mean": 0.7, "sd": 0.1},
              "source": "pilot 2026"}
    update = InputUpdate("interventions.ai_self_service.changes[+]", change, "from the pilot")
    write_inputs(scenario, [update], create=False)
    write_inputs(scenario, [InputUpdate(update.path, {**change, "scale": 0.8})], create=False)
    changes = load(scenario).scenario.interventions["ai_self_service"].changes
    added = [c for c in changes if c.path == "segments.b2b.experience.bad"]
    assert len(changes) == 4 and len(added) == 1 and added[0].scale.base == 0.8


def test_correlations_for_the_same_pair_are_replaced_not_duplicated(scenario):
    pair = ("segments.b2c.experience.walk_away", "segments.b2b.experience.walk_away")
    write_inputs(scenario, [], [(*pair, 0.3)], create=False)
    raw = tomllib.loads(scenario.read_text())
    walk_aways = [c for c in raw["correlations"] if sorted(c["between"]) == sorted(pair)]
    assert len(raw["correlations"]) == 2 and walk_aways == [{"between": list(pair), "rank": 0.3}]


def test_a_new_input_and_a_new_table_are_added(scenario):
    write_inputs(scenario, [InputUpdate("segments.b2b.experience.negative_contact_increase", 0.4)], create=False)
    assert load(scenario).scenario.segments["b2b"].experience.negative_contact_increase.base == 0.4


def test_an_invalid_result_writes_nothing(scenario):
    before = scenario.read_bytes()
    with pytest.raises(ScenarioError) as error:
        write_inputs(scenario, [InputUpdate(WALK_AWAY, 1.7)], create=False)
    assert error.value.lines() == [
        f"{scenario}: segments.b2b.experience.walk_away: 1.7 is not allowed: a probability must be between 0 and 1"
    ]
    assert scenario.read_bytes() == before
    assert sorted(p.name for p in scenario.parent.iterdir()) == [scenario.name]


def test_a_missing_file_is_created_only_when_asked(tmp_path):
    target = tmp_path / "fit.toml"
    with pytest.raises(ScenarioError, match="no such file"):
        write_inputs(target, [InputUpdate(WALK_AWAY, 0.2)], create=False)
    assert not target.exists()
    text = write_inputs(target, [InputUpdate(WALK_AWAY, 0.2, "fitted")], create=True)
    assert text == target.read_text() == "[segments.b2b.experience]\nwalk_away = 0.2 # fitted\n"
