"""Every kind of bad input: one line naming file, path and what is allowed; exit 2; nothing written."""

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.shell.cli import main
from tests.conftest import scenario_dict


def _toml(value) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def write_scenario(raw: dict, path: Path) -> Path:
    """Write a raw scenario dict as TOML (tables for sections, inline tables below)."""
    lines = []
    for section, content in raw.items():
        if section in ("segments", "interventions"):
            for name, table in content.items():
                lines.append(f"[{section}.{name}]")
                lines += [f"{k} = {_toml(v)}" for k, v in table.items()]
        else:
            lines.append(f"[{section}]")
            lines += [f"{k} = {_toml(v)}" for k, v in content.items()]
    path.write_text("\n".join(lines) + "\n")
    assert tomllib.loads(path.read_text()) == raw
    return path


def _run(args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _segment(raw):
    return raw["segments"]["retail"]


CASES = {
    "missing required key": (
        lambda raw: _segment(raw).pop("purchases"),
        "segments.retail: give exactly one of purchases, purchase_mix; found none",
    ),
    "unknown key with a suggestion": (
        lambda raw: _segment(raw).update(purchses=2.0),
        "segments.retail: unknown key 'purchses'; did you mean 'purchases'? Allowed: label, customers, arrivals, "
        "churn, monthly_churn, annual_churn, churn_mix, purchases, purchase_mix, dropout_mix, value_per_purchase, "
        "fee, margin, contacts, acquisition_cost, referrals, deterrals, experience",
    ),
    "probability above one": (
        lambda raw: _segment(raw).update(monthly_churn=1.7),
        "segments.retail.monthly_churn: 1.7 is not allowed: a probability must be between 0 and 1",
    ),
    "negative count": (
        lambda raw: _segment(raw).update(customers=-5),
        "segments.retail.customers: -5 is not allowed: the starting count of customers must be a whole number, 0 or more",
    ),
    "triangular with low above high": (
        lambda raw: _segment(raw).update(purchases={"dist": "triangular", "low": 3.0, "mode": 2.0, "high": 1.0}),
        "segments.retail.purchases: triangular needs low <= mode <= high, got low=3, mode=2, high=1",
    ),
    "a to b with a above b": (
        lambda raw: _segment(raw).update(margin="0.5 to 0.3"),
        "segments.retail.margin: '0.5 to 0.3': the first number must be below the second",
    ),
    "unknown change path": (
        lambda raw: raw["interventions"]["program"]["changes"][0].update(path="segments.retail.monthly_chrun"),
        "interventions.program.changes[0].path: 'segments.retail.monthly_chrun' is not a parameter of the "
        "baseline; did you mean 'segments.retail.monthly_churn'?",
    ),
    "period that is not month or year": (
        lambda raw: raw["settings"].update(period="week"),
        "settings.period: 'week' is not allowed: must be 'month' or 'year'",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_input_gets_one_clear_line_and_exit_code_2(case, command, tmp_path):
    mutate, message = CASES[case]
    raw = scenario_dict()
    mutate(raw)
    file = write_scenario(raw, tmp_path / "bad.toml")
    out = tmp_path / "out"
    args = [command, file] + (["--out", out] if command == "run" else [])
    result = _run(args)
    assert result.exit_code == 2
    assert result.output == f"{file}: {message}\n"
    assert "Traceback" not in result.output
    assert not out.exists()


def test_malformed_toml_names_the_file_and_the_line(tmp_path):
    file = tmp_path / "broken.toml"
    file.write_text('[settings\ncurrency = "EUR"\n')
    result = _run(["run", file, "--out", tmp_path / "out"])
    assert result.exit_code == 2
    assert result.output == f"{file}: not valid TOML: Expected ']' at the end of a table declaration (at line 1, column 10)\n"
    assert not (tmp_path / "out").exists()


def test_missing_file(tmp_path):
    result = _run(["validate", tmp_path / "nope.toml"])
    assert result.exit_code == 2
    assert result.output == f"{tmp_path / 'nope.toml'}: no such file\n"


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    raw = scenario_dict()
    _segment(raw).update(margin=1.5, customers=-1)
    file = write_scenario(raw, tmp_path / "two.toml")
    result = _run(["validate", file])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"{file}: segments.retail.customers: -1 is not allowed: the starting count of customers must be a whole number, 0 or more",
        f"{file}: segments.retail.margin: 1.5 is not allowed: a probability must be between 0 and 1",
    ]


def test_bad_override_is_reported_like_a_bad_file(tmp_path):
    file = write_scenario(scenario_dict(), tmp_path / "ok.toml")
    result = _run(["run", file, "--set", "segments.retail.margin=1.2", "--out", tmp_path / "out"])
    assert result.exit_code == 2
    assert result.output == f"{file}: segments.retail.margin: 1.2 is not allowed: a probability must be between 0 and 1\n"
    result = _run(["run", file, "--set", "segments.retal.margin=0.2", "--out", tmp_path / "out"])
    assert result.exit_code == 2
    assert result.output == f"{file}: segments.retal.margin: --set: there is no 'segments.retal' in the scenario; did you mean 'segments.retail'?\n"
    assert not (tmp_path / "out").exists()


def test_existing_results_folder_is_not_overwritten_silently(tmp_path):
    file = write_scenario(scenario_dict(draws=50), tmp_path / "ok.toml")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = _run(["run", file, "--out", out])
    assert result.exit_code == 2
    assert result.output == f"{out}: already exists; choose another --out or pass --overwrite to replace it\n"
    assert (out / "keep.txt").read_text() == "mine"
