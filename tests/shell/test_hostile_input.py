"""Issue 9, one test per kind: every odd input gets its exact one-line message or a correct, explained result.

Small scenarios (one segment, 12 months, at most 300 draws, one worker): the whole
module runs in about 10 seconds.
"""

import json
import os
import shutil
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

from sim.errors import ScenarioError
from sim.model.inputs import churn_per_period
from sim.compute.simulation import run, sample
from sim.shell import results_folder
from sim.shell.cli import main
from tests.conftest import build, scenario_dict
from tests.shell.test_bad_input import write_scenario

PROBABILITY = "a probability must be between 0 and 1"


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _file(tmp_path, raw=None, name="s.toml"):
    return write_scenario(raw or scenario_dict(), tmp_path / name)


def _refused(result, lines, *not_written):
    """Exit 2, exactly these lines, no traceback, nothing written."""
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == lines
    for path in not_written:
        assert not path.exists()


# --- silent wrong answers ---------------------------------------------------------------


@pytest.mark.parametrize("change, message", [
    ({"path": "segments.retail.monthly_churn", "scale": 30.0},
     "interventions.program.changes[0].scale: scale 30 takes segments.retail.monthly_churn to 1.5 at base values; "
     + PROBABILITY),
    ({"path": "segments.retail.monthly_churn", "set": 1.5},
     "interventions.program.changes[0].set: 1.5 is not allowed: " + PROBABILITY),
    ({"path": "segments.retail.purchases", "add": -3.0},
     "interventions.program.changes[0].add: add -3 takes segments.retail.purchases to -1 at base values; "
     "a non-negative number must be 0 or more"),
    ({"path": "segments.retail.monthly_churn", "set": "50% to 150%"},
     "interventions.program.changes[0].set: high = 1.5 is not allowed: " + PROBABILITY),
])
def test_a_change_that_leaves_its_domain_is_refused(change, message, tmp_path):
    raw = scenario_dict()
    raw["interventions"]["program"]["changes"] = [change]
    file = _file(tmp_path, raw)
    _refused(_run("run", file, "--out", tmp_path / "o"), [f"{file}: {message}"], tmp_path / "o")


def test_pinned_values_outside_a_domain_are_refused_naming_the_option(tmp_path):
    file = _file(tmp_path)
    _refused(_run("sweep", file, "--param", "interventions.program.changes[0].scale", "--values", "0.5,30", "--out", tmp_path / "o"),
             [f"{file}: interventions.program.changes[0].scale: --values: scale 30 takes segments.retail.monthly_churn "
              f"to 1.5 at base values; {PROBABILITY}"], tmp_path / "o")
    _refused(_run("sweep", file, "--param", "segments.retail.margin", "--values", "0.2,1.2", "--out", tmp_path / "o"),
             [f"{file}: segments.retail.margin: --values: 1.2 is not allowed: {PROBABILITY}"], tmp_path / "o")
    _refused(_run("breakeven", file, "--param", "interventions.program.changes[0].scale", "--range", "0.5:40", "--out", tmp_path / "o"),
             [f"{file}: interventions.program.changes[0].scale: --range 0.5:40: scale 40 takes "
              f"segments.retail.monthly_churn to 2 at base values; {PROBABILITY}"], tmp_path / "o")
    _refused(_run("breakeven", file, "--param", "segments.retail.fe", "--out", tmp_path / "o"),
             [f"{file}: segments.retail.fe: --param: not an input of this scenario; did you mean 'segments.retail.fee'?"],
             tmp_path / "o")


def _uncertain_add(tmp_path):
    raw = scenario_dict(draws=300)
    raw["interventions"]["program"]["changes"] = [{"path": "segments.retail.monthly_churn", "add": "-0.06 to 0.01"}]
    return _file(tmp_path, raw)


def test_tornado_extreme_outside_the_domain_is_refused(tmp_path):
    file = _uncertain_add(tmp_path)
    _refused(_run("tornado", file, "--out", tmp_path / "o"),
             [f"{file}: interventions.program.changes[0].add: --low 0.1: add -0.0522695 takes segments.retail.monthly_churn "
              f"to -0.002269 at base values; {PROBABILITY}"], tmp_path / "o")


def test_draws_clipped_to_a_domain_are_counted_in_summary_manifest_and_table(tmp_path):
    file = _uncertain_add(tmp_path)
    out = tmp_path / "o"
    result = _run("run", file, "--out", out, "--workers", "1")
    assert result.exit_code == 0, result.output
    adjustments = json.loads((out / "summary.json").read_text())["adjustments"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["adjustments"] == adjustments
    values = sample(build(manifest["resolved_scenario"]), 300, 3)
    expected = int(np.sum(values["segments.retail.monthly_churn"] + values["interventions.program.changes[0].add"] < 0))
    assert expected > 0
    assert adjustments == [{"what": "interventions.program.changes[0].add on segments.retail.monthly_churn",
                            "label": "Program: change to monthly churn, retail", "arm": "program",
                            "draws": expected, "share": expected / 300, "rule": "clipped to between 0 and 1 (a probability)"}]
    assert (f"Adjusted in {expected} of 300 draws ({100 * expected / 300:.1f} %): Program: change to monthly churn, "
            "retail under Program: clipped to between 0 and 1 (a probability)") in " ".join(result.output.split())


def test_good_plus_bad_above_one_is_counted_with_its_rule(tmp_path):
    raw = scenario_dict(draws=300)
    raw["segments"]["retail"].update(contacts=0.5, experience={"good": "0.3 to 0.8", "bad": "0.1 to 0.4"})
    file = _file(tmp_path, raw)
    result = _run("run", file, "--json", "--no-save", "--workers", "1")
    assert result.exit_code == 0, result.output
    values = sample(build(raw), 300, 3)
    over = int(np.sum(values["segments.retail.experience.good"] + values["segments.retail.experience.bad"] > 1))
    entry = {"what": "segments.retail.experience good + bad above 1",
             "label": "shares of good and bad contacts above 1 in total, retail", "draws": over, "share": over / 300,
             "rule": "bad kept, good cut to 1 - bad"}
    assert over > 0
    assert json.loads(result.stdout)["adjustments"] == [{**entry, "arm": "baseline"}, {**entry, "arm": "program"}]


def test_a_correlation_pair_stated_twice_is_refused(tmp_path):
    raw = scenario_dict()
    raw["segments"]["retail"].update(purchases="1.5 to 2.5", margin="30% to 50%")
    file = tmp_path / "c.toml"
    file.write_text(_file(tmp_path, raw, "base.toml").read_text() + (
        '[[correlations]]\nbetween = ["segments.retail.purchases", "segments.retail.margin"]\nrank = 0.5\n'
        '[[correlations]]\nbetween = ["segments.retail.margin", "segments.retail.purchases"]\nrank = -0.5\n'))
    _refused(_run("validate", file), [
        f"{file}: correlations[1].between: 'segments.retail.margin' and 'segments.retail.purchases' are already "
        "correlated in correlations[0]; state each pair once"])


@pytest.mark.parametrize("edit, line", [
    ({"settings": {"horizon": True}}, "settings.horizon: expected a whole number, got True"),
    ({"settings": {"horizon": "1"}}, "settings.horizon: expected a whole number, got '1'"),
    ({"settings": {"discount_rate": "0.05"}}, "settings.discount_rate: expected a number, got '0.05'"),
    ({"segments": {"retail": {"margin": "0.4"}}},
     "segments.retail.margin: '0.4' is not a range; write it like '0.01 to 0.03' or '1% to 3%'"),
    ({"segments": {"retail": {"customers": 1000.5}}},
     "segments.retail.customers: 1000.5 is not allowed: the starting count of customers must be a whole number, 0 or more"),
    ({"segments": {"retail": {"customers": 1e153}}},  # found by the property test: it overflowed to infinity
     "segments.retail.customers: 1e+153 is not allowed: numbers in a scenario are limited to 1,000,000,000,000 in size"),
])
def test_one_strict_rule_for_numbers(edit, line, tmp_path):
    raw = scenario_dict()
    for section, content in edit.items():
        target = raw[section]
        for key, value in content.items():
            if isinstance(value, dict):
                target[key].update(value)
            else:
                target[key] = value
    file = _file(tmp_path, raw)
    _refused(_run("validate", file), [f"{file}: {line}"])


def test_strings_in_a_pattern_are_refused(tmp_path):
    file = tmp_path / "ops.toml"
    file.write_text(_file(tmp_path, name="base.toml").read_text() + (
        '[operations.channels.phone]\nagents = 3\narrival_pattern = ["1", 2]\nhandling_minutes = 5\ncost_per_agent_hour = 30\n'))
    _refused(_run("validate", file), [f"{file}: operations.channels.phone.arrival_pattern[0]: expected a number, got '1'"])


@pytest.mark.parametrize("text, line", [
    ("margin = nan", f"segments.retail.margin: NaN is not allowed: {PROBABILITY}"),
    ("margin = inf", f"segments.retail.margin: infinity is not allowed: {PROBABILITY}"),
    ("purchases = { dist = \"normal\", mean = 2.0, sd = nan }", "segments.retail.purchases: sd = NaN is not allowed: must be a finite number"),
    ("purchases = \"1 to inf\"", "segments.retail.purchases: '1 to inf': infinity is not allowed: both ends must be finite numbers"),
])
def test_nan_and_infinity_in_a_file_are_refused_by_name(text, line, tmp_path):
    base = _file(tmp_path, name="base.toml").read_text()
    key = text.split(" =")[0]
    file = tmp_path / "n.toml"
    file.write_text("\n".join(text if row.startswith(f"{key} =") else row for row in base.splitlines()) + "\n")
    _refused(_run("validate", file), [f"{file}: {line}"])


def test_nan_and_infinity_on_the_command_line_are_refused_by_name(tmp_path):
    file = _file(tmp_path)
    result = _run("run", file, "--set", "segments.retail.margin=nan", "--out", tmp_path / "o")
    _refused(result, [f"{file}: segments.retail.margin: NaN is not allowed: {PROBABILITY}"], tmp_path / "o")
    result = _run("sweep", file, "--param", "segments.retail.margin", "--values", "nan,0.2", "--out", tmp_path / "o")
    _refused(result, ["--values 'nan,0.2': NaN is not allowed: give finite numbers"], tmp_path / "o")
    for args, word in ((["staffing", "--rate", "nan", "--aht", "4", "--agents", "8:9"], "NaN"),
                       (["staffing", "--rate", "120", "--aht", "4", "--patience", "nan", "--agents", "8:9"], "NaN"),
                       (["staffing", "--rate", "120", "--aht", "4", "--agents", "8:9", "--simulate", "--hours", "inf"], "infinity"),
                       (["tornado", file, "--low", "nan"], "NaN")):
        result = _run(*args)
        option = next(a for a, b in zip(args, args[1:]) if b in ("nan", "inf"))
        assert result.exit_code == 2
        assert result.output.splitlines() == [
            f"cxroi {args[0]}: Invalid value for '{option}': {word} is not allowed: give a finite number "
            f"(see cxroi {args[0]} --help)"], result.output


def test_starting_customers_are_whole_in_the_base_case_as_in_monte_carlo():
    whole = build(scenario_dict())
    raw = scenario_dict()
    raw["segments"]["retail"]["customers"] = {"dist": "uniform", "low": 999.0, "high": 1001.0, "base": 1000.3}
    fractional = build(raw)
    assert run(fractional, base_case=True).spreadsheet["program"].npv[0] == run(whole, base_case=True).spreadsheet["program"].npv[0]


def test_memo_refuses_a_word_file(tmp_path):
    _refused(_run("memo", tmp_path, "--out", tmp_path / "board.docx"),
             [f"--out {tmp_path / 'board.docx'}: a memo is written as Markdown (.md), HTML (.html) or PDF (.pdf), "
              "not '.docx'"], tmp_path / "board.docx")


# --- definitions a CFO will probe --------------------------------------------------------


def test_roi_undefined_without_cost_says_why_and_gives_npv(tmp_path):
    raw = scenario_dict(draws=100)
    raw["interventions"]["program"]["one_off_cost"] = 0.0
    file = _file(tmp_path, raw)
    out = tmp_path / "o"
    result = _run("run", file, "--out", out, "--workers", "1", "--memo")
    assert result.exit_code == 0, result.output
    entry = json.loads((out / "summary.json").read_text())["interventions"]["program"]
    reason = ("ROI is undefined: its PV cost is 0 (no programme cost and no added support capacity; capacity it saves "
              "counts as benefit), so there is nothing to divide by; judge it by NPV")
    assert entry["roi_undefined"] == {"draws": 100, "share": 1.0, "reason": reason}
    assert entry["prob_roi_positive"] is None and entry["prob_npv_positive"] == 1.0
    assert entry["base_case"]["roi_undefined_reason"] == reason
    assert f"Program: {reason} (in 100.0 % of draws); P(NPV > 0) 100.0 %" in " ".join(result.output.split())
    assert f"**program**: {reason} (in 100\xa0% of outcomes)." in (out / "memo.md").read_text()
    raw["interventions"]["program"]["one_off_cost"] = 1.7e-231  # found by the property test: ROI overflowed
    tiny = _run("run", _file(tmp_path, raw, "tiny.toml"), "--json", "--no-save", "--workers", "1")
    assert tiny.exit_code == 0 and json.loads(tiny.stdout)["interventions"]["program"]["roi_undefined"]["share"] == 1.0


# --- crashes, hangs and misleading messages ------------------------------------------------


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("damaged") / "run"
    raw = scenario_dict(draws=50)
    raw["segments"]["retail"]["margin"] = "30% to 50%"
    file = write_scenario(raw, folder.parent / "s.toml")
    assert _run("run", file, "--out", folder, "--workers", "1").exit_code == 0
    return folder


@pytest.mark.parametrize("damage, line", [
    (lambda f: (f / "summary.json").write_text('{"scenario": "te'),
     "summary.json: damaged: not valid JSON (Unterminated string starting at: line 1 column 14 (char 13)); "
     "write the folder again with cxroi run"),
    (lambda f: (f / "summary.json").write_text("[1, 2]"),
     "summary.json: damaged: the file is not a JSON object; write the folder again with cxroi run"),
    (lambda f: (f / "draws.csv").write_text(""),
     "draws.csv: damaged: No columns to parse from file; write the folder again with cxroi run"),
    (lambda f: (f / "draws.csv").write_text("draw,program.roi\n"),
     "draws.csv: damaged: no rows; write the folder again with cxroi run"),
    (lambda f: (f / "manifest.json").write_text('{"scenario": {}}'),
     "manifest.json: damaged: 'inputs' is missing; write the folder again with cxroi run"),
])
def test_memo_on_a_damaged_folder_names_the_file(results, damage, line, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(results, folder)
    damage(folder)
    _refused(_run("memo", folder), [f"{folder}/{line}"], folder / "memo.md")


@pytest.mark.parametrize("command", ["tornado", "voi", "sensitivity"])
def test_nothing_uncertain_to_rank(command, tmp_path):
    file = _file(tmp_path)
    _refused(_run(command, file, "--out", tmp_path / "o"), [
        f"{file}: {command}: nothing uncertain to rank: every input is a fixed number; give some inputs a range "
        "(e.g. margin = \"30% to 40%\") to see which of them matter"], tmp_path / "o")


def test_staffing_says_when_load_exceeds_capacity():
    result = _run("staffing", "--rate", "120", "--aht", "4", "--agents", "7:9")
    assert result.exit_code == 0
    assert ("∞: with 7, 8 agents the offered load (8 erlangs) is at or above capacity, so the queue grows without "
            "limit; add agents, or give --patience for callers who hang up (Erlang A)") in " ".join(result.output.split())
    big = _run("staffing", "--rate", "120", "--aht", "4", "--agents", "9", "--simulate", "--hours", "1e9")
    assert big.exit_code == 2 and big.output.startswith("--simulate would follow about 960,000,000,000 callers")


def test_staffing_refuses_what_it_cannot_compute_in_seconds():
    assert _run("staffing", "--rate", "120", "--aht", "4", "--agents", "1:1000000").output == (
        "--agents '1:1000000': compare at most 500 agent counts of at most 10,000 agents\n")
    assert _run("staffing", "--rate", "1e11", "--aht", "4", "--agents", "10", "--patience", "3").output == (
        "--rate 1e+11 with --patience 3: about 5,000,000,010 callers in the system, more than the 2,000 Erlang A "
        "solves exactly; split the centre into smaller queues\n")


def test_breakeven_default_range_stays_where_every_intervention_is_defined(tmp_path):
    raw = scenario_dict(draws=50)
    raw["segments"]["retail"]["monthly_churn"] = 0.3
    raw["interventions"]["program"]["changes"][0]["scale"] = 3.0
    file = _file(tmp_path, raw)
    result = _run("breakeven", file, "--param", "interventions.program.changes[0].scale", "--json", "--no-save", "--workers", "1")
    assert result.exit_code == 0, result.output
    low, high = json.loads(result.stdout)["range"]  # widened towards the domain, never past 1 / churn
    assert 0 <= low <= 1.5 and high == pytest.approx(1 / 0.3) and high <= 1 / 0.3
    _refused(_run("breakeven", file, "--param", "segments.retail.fee", "--range", "nan:1"),
             ["--range 'nan:1': NaN is not allowed: give finite numbers"])


def test_out_problems_are_found_before_the_run_and_leave_nothing(tmp_path, monkeypatch):
    file = _file(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    _refused(_run("run", file, "--out", blocker / "sub"),
             [f"{blocker / 'sub'}: {blocker} is a file, not a folder; choose another --out"])
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    _refused(_run("run", file, "--out", ".", "--overwrite"),
             [".: is the current folder or contains it, which a results folder never replaces; choose a new folder for --out"])
    assert os.listdir(here) == [] and sorted(os.listdir(tmp_path)) == ["a-file", "here", "s.toml"]
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(results_folder.os, "access", lambda path, mode: str(path) != str(locked))
    _refused(_run("run", file, "--out", locked / "run"),
             [f"{locked / 'run'}: cannot write in {locked} (permission denied); choose another --out"])


def test_a_failed_write_names_the_destination_not_a_staging_folder(tmp_path, monkeypatch):
    file = _file(tmp_path)
    out = tmp_path / "o"

    def refuse(*args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(results_folder.os, "rename", refuse)
    _refused(_run("run", file, "--out", out, "--workers", "1"),
             [f"{out}: cannot write the results folder (Permission denied); nothing was written"], out)
    assert sorted(os.listdir(tmp_path)) == ["s.toml"]


def test_byte_order_mark_and_latin_1_are_explained(tmp_path):
    text = _file(tmp_path, name="base.toml").read_bytes()
    bom, latin = tmp_path / "bom.toml", tmp_path / "latin.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + text)
    latin.write_bytes(text.replace(b'name = "test"', b'name = "K\xf6ln"'))
    _refused(_run("validate", bom), [f"{bom}: starts with a UTF-8 byte-order mark (BOM); save the file as UTF-8 without BOM"])
    _refused(_run("validate", latin), [
        f"{latin}: not UTF-8 text (byte 0xf6 at line 2, column 10; perhaps Latin-1 or Windows-1252); save the file as UTF-8"])


def test_churn_of_one_gives_no_library_warning(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert churn_per_period(np.array([1.0]), "annual_churn", 12)[0] == 1.0
    raw = scenario_dict(draws=50)
    raw["segments"]["retail"].pop("monthly_churn")
    raw["segments"]["retail"]["annual_churn"] = 1.0
    raw["interventions"]["program"]["changes"][0]["path"] = "segments.retail.annual_churn"
    result = _run("run", _file(tmp_path, raw), "--no-save", "--workers", "1")
    assert result.exit_code == 0 and "Warning" not in result.output


@pytest.mark.parametrize("channel, line", [
    ({"agents": 1e12}, "operations.channels.phone.agents: 1e+12 is not allowed: a number of agents on duty must be between 0 and 10,000"),
    ({"handling_minutes": 1e-300},  # hung for minutes building queue tables
     "operations.channels.phone: 4 agents in the busiest hour with 1e-300-minute contacts and 3 minutes of patience make a "
     "queue of about 7.2e+301 callers, more than the 50,000 it can solve; split the channel or shorten the patience"),
])
def test_operations_that_would_hang_are_refused(channel, line):
    from tests.support.test_operations import _operations_raw

    with pytest.raises(ScenarioError) as error:
        build(_operations_raw(**channel))
    assert error.value.lines()[0] == f"test.toml: {line}"
