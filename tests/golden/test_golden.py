"""Every shipped scenario and each command's --json output against its pinned golden file.

26 tests: 7.5 s on an idle machine (``python -m tests.golden``), 28 s at a load average of 4.

A failure lists each number that moved (golden -> now). A refactor must not move any; a change that
is meant to move them updates the files deliberately, with the reason in the commit message::

    PYTHONPATH=. python -m tests.golden --update [NAME ...]

(see tests/golden/__init__.py for what is pinned and how it is compared, and docs/testing.md).
"""

import pytest

from tests import golden


@pytest.mark.parametrize("case", golden.CASES)
def test_output_is_the_pinned_one(case):
    assert golden.golden_file(case).exists(), f"no golden file for {case}: run python -m tests.golden --update {case}"
    found = golden.differences(golden.load(case), golden.compute(case))
    assert not found, golden.report(case, found)


def test_every_shipped_scenario_and_command_is_pinned():
    """A new scenario file or a new command gets a golden file too (a stale file is not left behind)."""
    import click

    from sim.shell.cli import main

    files = {str(path.relative_to(golden.HERE).with_suffix("")) for path in golden.HERE.glob("*/*.json")}
    assert files == set(golden.CASES)
    commands = set(main.list_commands(click.Context(main))) - {"validate", "memo", "export", "fit"}
    fit = {"customers", "orders", "support", "pilot"}
    pinned = {args[0] for args in golden.COMMANDS.values()} | {args[1] for args in golden.COMMANDS.values() if args[0] == "fit"}
    assert commands | fit <= pinned


def test_a_moved_number_is_reported_with_its_path():
    """The comparison itself can fail: one draw's worth of change in a mean is caught and named."""
    case = "scenarios/seed001_churn_example"
    pinned = golden.load(case)
    moved = golden.load(case)
    roi = moved["summary"]["interventions"]["faster_response"]["roi"]
    roi["mean"] *= 1 + 1e-6
    moved["summary"]["currency"] = "SEK"
    found = golden.differences(pinned, moved)
    assert len(found) == 2
    assert found[0] == "summary.currency: 'EUR' -> 'SEK'"
    assert found[1].startswith("summary.interventions.faster_response.roi.mean: ")
    ulp = golden.load(case)
    ulp["summary"]["interventions"]["faster_response"]["npv"]["mean"] *= 1 + 4e-16
    assert golden.differences(pinned, ulp) == []
