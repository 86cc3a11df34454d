"""One finite-number rule for every numeric option of every command: NaN, infinity and numbers beyond a
trillion are refused with one line naming the option, exit code 2, before any work (about 6 s).

The commands are walked, so an option added later is held to the rule: a single number must be a
FiniteRange (or a whole number), and a text option either names things (TEXT) or carries numbers and is
listed in NUMBERS_AS_TEXT with a command line that reaches it.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sim.shell.cli import main
from sim.shell.options import FiniteRange, SchedulerAddress

ROOT = Path(__file__).resolve().parents[2]
NORDIC = str(ROOT / "scenarios" / "nordic_midsize.toml")
DATA = ROOT / "scenarios" / "data"

TEXT = {"--set", "--param", "--include", "--exclude", "--column", "--date-format", "--segment-column", "--as-of", "--cutoff",
        "--segment-map", "--segment", "--intervention", "--path", "--label", "--title"}
"""Options whose text names things (paths, keys, dates, addresses), not numbers."""

NUMBERS_AS_TEXT = {
    ("sweep", "--values"): ["sweep", NORDIC, "--no-save", "--param", "segments.b2b.margin", "--values", "0.3,{}"],
    ("sweep", "--range"): ["sweep", NORDIC, "--no-save", "--param", "segments.b2b.margin", "--range", "0.3:{}"],
    ("breakeven", "--range"): ["breakeven", NORDIC, "--no-save", "--param", "segments.b2b.margin", "--range", "{}:0.5"],
    ("staffing", "--agents"): ["staffing", "--rate", "100", "--aht", "4", "--agents", "8:{}"],
    ("pilot", "--sizes"): ["pilot", NORDIC, "--no-save", "--intervention", "ai_self_service", "--sizes", "100,{}"],
    ("fit pilot", "--treated"): ["fit", "pilot", "--measure", "churn", "--treated", "{}/500", "--control", "40/500"],
    ("fit pilot", "--control"): ["fit", "pilot", "--measure", "churn", "--treated", "40/500", "--control", "40/{}"],
    ("fit pilot", "--prior"): ["fit", "pilot", "--measure", "churn", "--treated", "4/50", "--control", "4/50", "--prior", "{},1"],
    ("portfolio", "--objective"): ["portfolio", NORDIC, "--no-save", "--objective", "cvar:{}"],
    ("fit support", "--csat-scale"): ["fit", "support", str(DATA / "tickets.csv"), "--customers",
                                      str(DATA / "customers.csv"), "--csat-scale", "1-{}"],
}
BAD = ("nan", "inf", "-inf", "1e308")


def _options():
    """(command words, option) for every option of every command that takes a value."""
    def walk(command, words):
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                yield from walk(command.get_command(ctx, name), [*words, name])
            return
        for param in command.params:
            if isinstance(param, click.Option) and not param.is_flag and not isinstance(param.type, (click.Path, click.Choice)):
                yield words, param

    return list(walk(main, []))


def test_every_option_with_a_number_is_held_to_the_finite_rule():
    for words, param in _options():
        name = param.opts[0]
        if isinstance(param.type, click.types.FloatParamType):
            assert isinstance(param.type, FiniteRange), f"{' '.join(words)} {name}: use sim.shell.options.FiniteRange"
        elif isinstance(param.type, click.types.StringParamType):
            assert name in TEXT or (" ".join(words), name) in NUMBERS_AS_TEXT, (
                f"{' '.join(words)} {name}: list it in TEXT or in NUMBERS_AS_TEXT")
        else:
            assert isinstance(param.type, (click.types.IntParamType, SchedulerAddress)), (words, name, param.type)


@pytest.mark.parametrize("bad", BAD)
def test_nan_and_infinity_in_a_single_number_option_are_one_line_naming_it(bad):
    runner = CliRunner()
    for words, param in _options():
        if isinstance(param.type, (click.types.FloatParamType, click.types.IntParamType)):
            name = param.opts[0]
            result = runner.invoke(main, [*words, f"{name}={bad}"])
            assert result.exit_code == 2, (words, name, result.output)
            assert result.output.count("\n") == 1 and f"'{name}'" in result.output, result.output


@pytest.mark.parametrize("where", sorted(NUMBERS_AS_TEXT))
@pytest.mark.parametrize("bad", BAD)
def test_nan_and_infinity_in_numbers_given_as_text_are_one_line_naming_the_option(where, bad, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [word.replace("{}", bad) for word in NUMBERS_AS_TEXT[where]])
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and where[1] in result.output, result.output
    assert list(tmp_path.iterdir()) == []
