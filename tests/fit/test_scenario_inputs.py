"""What the fit commands write into a scenario, as data and as TOML text, without files (< 1 s).

The rank correlation written beside a mix, the routing of data segments to scenario segments,
the period refused when the scenario has another, and the TOML a fragment holds.
"""

import tomllib

import numpy as np
import pandas as pd
import pytest

from sim.errors import ScenarioError, UsageError
from sim.fit.scenario_edit import InputUpdate, edited_text, fragment
from sim.fit.scenario_inputs import resolve_period, segment_targets, spearman_from_pearson

WALK_AWAY = "segments.b2b.experience.walk_away"
TWO_SEGMENTS = {"settings": {"period": "month"}, "segments": {"retail": {}, "business": {}}}


def test_spearman_of_a_bivariate_normal():
    rng = np.random.default_rng(1)
    z = rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], size=200_000)
    ranks = pd.DataFrame(np.exp(z)).rank().corr().iloc[0, 1]
    assert spearman_from_pearson(0.8) == pytest.approx(ranks, abs=0.005)


def test_fragment_is_the_text_without_writing():
    text = fragment([InputUpdate(WALK_AWAY, {"dist": "beta", "alpha": 20, "beta": 80})],
                    [("segments.b2b.experience.walk_away", "segments.b2c.experience.walk_away", 0.5)])
    assert tomllib.loads(text) == {
        "segments": {"b2b": {"experience": {"walk_away": {"dist": "beta", "alpha": 20, "beta": 80}}}},
        "correlations": [{"between": ["segments.b2b.experience.walk_away", "segments.b2c.experience.walk_away"],
                          "rank": 0.5}],
    }


def test_edited_text_keeps_comments_and_names_the_file_of_a_bad_text():
    text = "# kept\n[segments.b2b.experience]\nwalk_away = 0.1 # old\n"
    assert edited_text(text, [InputUpdate(WALK_AWAY, 0.2, "new")]) == "# kept\n[segments.b2b.experience]\nwalk_away = 0.2 # new\n"
    with pytest.raises(ScenarioError) as error:
        edited_text("[segments\n", [], file="my.toml")
    assert error.value.lines()[0].startswith("my.toml: not valid TOML: ")


def test_data_segments_go_to_the_scenarios_segments():
    assert segment_targets(["retail"], {}, TWO_SEGMENTS, "s.toml") == {"retail": "retail"}
    assert segment_targets(["all"], {}, {"segments": {"b2c": {}}}, "s.toml") == {"all": "b2c"}  # the only segment
    assert segment_targets(["all"], {"all": "business"}, TWO_SEGMENTS, "s.toml") == {"all": "business"}
    assert segment_targets(["x"], {}, None, None) == {"x": "x"}  # a new fragment takes the data's names
    with pytest.raises(UsageError) as error:
        segment_targets(["all"], {}, TWO_SEGMENTS, "s.toml")
    assert str(error.value) == ("s.toml: the scenario has no segment 'all' (it has: retail, business); the data have no "
                                "segment column; name one with --segment-map all=SEGMENT")
    with pytest.raises(UsageError, match="^--segment-map: the data have no segment 'web'; segments in the data: retail$"):
        segment_targets(["retail"], {"web": "retail"}, TWO_SEGMENTS, "s.toml")


def test_the_period_is_the_scenarios_and_another_is_refused():
    assert resolve_period(None, TWO_SEGMENTS) == "month"
    assert resolve_period(None, {"settings": {"period": "year"}}) == "year"
    assert resolve_period(None, None) == "month" and resolve_period("year", None) == "year"
    with pytest.raises(UsageError, match="^s.toml: settings.period is 'month' but --period is 'year'; fit with --period month"):
        resolve_period("year", TWO_SEGMENTS, "s.toml")
