"""staffing: a reversed or empty --agents and a --patience too short to compute get a line naming the fix (0.1 s).

--agents 14:8 and --agents '' used to say 'agent counts must be 1 or more' (they were not below 1: the range was
empty); --patience 1e-100 printed a service level of '∞' (null in JSON), and 1e-307 did not end in 10 minutes.
"""

import json
import math

import pytest
from click.testing import CliRunner

from sim.shell.cli import main


@pytest.mark.parametrize("args, line", [
    (["--agents", "14:8"], "--agents '14:8': LOW must not be above HIGH, e.g. 8:14"),
    (["--agents", ""], "--agents '' gives no agent counts; give LOW:HIGH or a list like 8,10,12"),
    (["--agents", "8", "--patience", "1e-307"],
     "cxroi staffing: Invalid value for '--patience': 1e-307 is not in the range x>=0.01. (see cxroi staffing --help)"),
])
def test_a_staffing_mistake_is_one_line(args, line, tmp_path):
    result = CliRunner().invoke(main, ["staffing", "--rate", "120", "--aht", "4", *args, "--out", str(tmp_path / "o")])
    assert (result.exit_code, result.output) == (2, line + "\n")
    assert not (tmp_path / "o").exists()


def test_the_shortest_patience_allowed_gives_finite_numbers():
    result = CliRunner().invoke(main, ["staffing", "--rate", "120", "--aht", "4", "--agents", "8", "--patience", "0.01", "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["rows"]
    assert all(isinstance(row[key], float) and math.isfinite(row[key]) for key in ("service_level", "asa_seconds"))
