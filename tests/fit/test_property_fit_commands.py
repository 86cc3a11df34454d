"""Property: whatever the data files, the scenario and the options hold, a `cxroi fit` command either succeeds
with finite numbers or refuses in lines that each name a file or an option, and then changes nothing.

Hypothesis builds a case folder (a small cut of the sample company: 500 customers, their orders and tickets,
the pilot table and sample_company.toml), mutates the data files (hostile cells, a dropped column, a file cut
inside a row, binary or empty files, rows dated outside their customer's time), the scenario (hostile values,
a dropped segment, a typo'd intervention, TOML cut short, read-only) and the options (cut-off and as-of days,
date formats, --widen, --prior), runs one fit command, and asserts the contract:

* exit 0: the JSON on stdout holds only finite numbers; nothing but the --into scenario changed, and that one
  still validates;
* exit 2: every line of the message starts with a file of the case or names an option, no traceback, and the
  case folder is byte for byte and mode for mode as it was (no file created);
* never any other exit code.

Not derandomized (each run tries new cases; a failure prints the case to reproduce it). Budget: 30 examples,
about 20 s.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.shell.cli import main
from sim.shell.loader import load

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "scenarios" / "data"
FILES = ("customers.csv", "orders.csv", "tickets.csv", "pilot.csv")


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> Path:
    """The small sample company every example starts from."""
    folder = tmp_path_factory.mktemp("case")
    customers = pd.read_csv(DATA / "customers.csv").groupby("segment").head(250)
    ids = set(customers["customer_id"])
    customers.to_csv(folder / "customers.csv", index=False)
    for name in ("orders.csv", "tickets.csv"):
        table = pd.read_csv(DATA / name)
        table[table["customer_id"].isin(ids)].to_csv(folder / name, index=False)
    shutil.copy(DATA / "pilot.csv", folder / "pilot.csv")
    shutil.copy(ROOT / "scenarios" / "sample_company.toml", folder / "company.toml")
    return folder


HOSTILE_CELLS = st.sampled_from(["", "nan", "inf", "-inf", "-1", "0", "1e308", "x", "2099-01-01", "1999-12-31",
                                 "2025-13-45", "retail-999999", "10", "3.5", "\"", "NaT", "1/2/2024"])
COLUMNS = {"customers.csv": ["customer_id", "start_date", "end_date", "segment"],
           "orders.csv": ["customer_id", "date", "amount"],
           "tickets.csv": ["customer_id", "opened", "channel", "wait_minutes", "csat"],
           "pilot.csv": ["arm", "enrolled", "customers", "churned", "contacts", "bad", "purchases", "customer_periods"]}
DATA_EDITS = st.one_of(
    st.tuples(st.just("cell"), st.sampled_from(FILES), st.integers(0, 400), st.integers(0, 6), HOSTILE_CELLS),
    st.tuples(st.just("drop column"), st.sampled_from(FILES), st.integers(0, 6)),
    st.tuples(st.just("cut"), st.sampled_from(FILES), st.floats(0.01, 0.99)),
    st.tuples(st.just("replace"), st.sampled_from(FILES), st.sampled_from([b"", b"\x00\xff\xfe binary \x89PNG", b"a,b\n1,2\n"])),
    st.tuples(st.just("early"), st.sampled_from(["orders.csv", "tickets.csv"]), st.integers(0, 400)),
)
SCENARIO_EDITS = st.one_of(
    st.tuples(st.just("value"), st.sampled_from(["margin", "contacts", "customers", "value_per_purchase"]),
              st.sampled_from(["nan", "-1", "1e300", '"x"', "0", "0.5", "{ dist = \"normal\", mean = 0, sd = 1 }"])),
    st.tuples(st.just("drop segment"), st.sampled_from(["retail", "business"])),
    st.tuples(st.just("cut toml"), st.floats(0.05, 0.95)),
    st.tuples(st.just("read-only")),
)
COMMANDS = st.sampled_from(["customers", "orders", "orders --customers", "support", "support --orders", "pilot"])
OPTIONS = st.lists(st.one_of(
    st.tuples(st.just("--cutoff"), st.sampled_from(["2024-06-30", "2025-12-31", "2030-01-01", "2020-01-01", "june"])),
    st.tuples(st.just("--as-of"), st.sampled_from(["2025-12-31", "2025-06-30", "2022-01-01", "2031-01-01"])),
    st.tuples(st.just("--date-format"), st.sampled_from(["%Y-%m-%d", "%Q", "%d/%m/%Y", "mixed"])),
    st.tuples(st.just("--widen"), st.sampled_from(["1", "2.5", "nan", "inf", "0.5"])),
    st.tuples(st.just("--prior"), st.sampled_from(["1,1", "0,1", "nan,1", "1e308,1e308", "1"])),
), max_size=2)


def _apply_data(folder: Path, edit) -> None:
    kind, name = edit[0], edit[1]
    path = folder / name
    text = path.read_bytes()
    if kind == "cut":
        path.write_bytes(text[: max(1, int(len(text) * edit[2]))])
    elif kind == "replace":
        path.write_bytes(edit[2])
    else:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
            return  # an earlier edit left no table to edit
        if frame.empty or len(frame.columns) < 2:
            return
        if kind == "cell":
            row, column = edit[2] % len(frame), frame.columns[edit[3] % len(frame.columns)]
            frame.loc[row, column] = edit[4]
        elif kind == "drop column":
            frame = frame.drop(columns=frame.columns[edit[2] % len(frame.columns)])
        elif kind == "early":
            row = edit[2] % len(frame)
            column = "date" if name == "orders.csv" else "opened"
            if column not in frame.columns:
                return
            frame.loc[row, column] = "2020-01-02"
        frame.to_csv(path, index=False)


def _apply_scenario(path: Path, edit) -> None:
    text = path.read_text()
    if edit[0] == "value":
        key, value = edit[1], edit[2]
        lines = text.splitlines(keepends=True)
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
        lines[at] = f"{key} = {value}\n"
        path.write_text("".join(lines))
    elif edit[0] == "drop segment":
        start = text.index(f"[segments.{edit[1]}]")
        rest = text.find("\n[", start + 1)
        while rest != -1 and text[rest + 2:].startswith(f"segments.{edit[1]}."):
            rest = text.find("\n[", rest + 1)
        path.write_text(text[:start] + (text[rest + 1:] if rest != -1 else ""))
    elif edit[0] == "cut toml":
        path.write_text(text[: int(len(text) * edit[1])])
    else:
        path.chmod(0o444)


def _arguments(folder: Path, command: str, into: bool, options) -> list[str]:
    f = {name: str(folder / name) for name in (*FILES, "company.toml")}
    args = {
        "customers": ["fit", "customers", f["customers.csv"]],
        "orders": ["fit", "orders", f["orders.csv"]],
        "orders --customers": ["fit", "orders", f["orders.csv"], "--customers", f["customers.csv"]],
        "support": ["fit", "support", f["tickets.csv"], "--customers", f["customers.csv"]],
        "support --orders": ["fit", "support", f["tickets.csv"], "--customers", f["customers.csv"], "--orders", f["orders.csv"]],
        "pilot": ["fit", "pilot", f["pilot.csv"], "--measure", "bad", "--segment", "retail", "--intervention", "first_contact"],
    }[command]
    accepted = {"customers": {"--cutoff", "--as-of", "--date-format"}, "orders": {"--cutoff", "--as-of", "--date-format"},
                "support": {"--cutoff", "--as-of", "--widen"}, "pilot": {"--prior"}}[command.split()[0]]
    for option, value in options:
        if option in accepted:
            args += [option, value]
    return args + (["--into", f["company.toml"]] if into else []) + ["--json"]


def _state(folder: Path) -> dict:
    return {p.name: (stat.S_IMODE(p.stat().st_mode), p.read_bytes()) for p in sorted(folder.iterdir())}


def _finite(data) -> bool:
    if isinstance(data, float):
        return math.isfinite(data)
    if isinstance(data, dict):
        return all(_finite(v) for v in data.values())
    if isinstance(data, list):
        return all(_finite(v) for v in data)
    return True


def _no_constants(name: str):
    raise ValueError(f"{name} in JSON")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(command=COMMANDS, into=st.booleans(), data_edits=st.lists(DATA_EDITS, max_size=2),
       scenario_edits=st.lists(SCENARIO_EDITS, max_size=1), options=OPTIONS)
def test_a_fit_command_succeeds_with_finite_numbers_or_refuses_naming_a_file_or_option_and_changes_nothing(
        case, command, into, data_edits, scenario_edits, options):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "case"
        shutil.copytree(case, folder)
        for edit in data_edits:
            _apply_data(folder, edit)
        for edit in scenario_edits:
            _apply_scenario(folder / "company.toml", edit)
        args = _arguments(folder, command, into, options)
        before = _state(folder)
        cwd = os.getcwd()
        os.chdir(folder)  # a default results folder or a stray file would show up here
        try:
            result = CliRunner().invoke(main, args)
        finally:
            os.chdir(cwd)
        shown = (args, result.stdout, result.stderr, result.exception)
        assert result.exit_code in (0, 2), shown
        assert "Traceback" not in result.output, shown
        after = _state(folder)
        if result.exit_code == 2:
            lines = result.stderr.splitlines()
            assert lines, shown
            names = [str(folder / name) for name in before] + ["tickets: ", "orders: "]
            assert all(line.startswith(tuple(names)) or "--" in line for line in lines), shown
            assert after == before, shown
            return
        summary = json.loads(result.stdout, parse_constant=_no_constants)
        assert _finite(summary), shown
        changed = {name for name in before if after.get(name) != before[name]} | (set(after) - set(before))
        assert changed <= ({"company.toml"} if into else set()), (changed, shown)
        complete = all(f"\n[{table}" in "\n" + before["company.toml"][1].decode(errors="replace")
                       for table in ("settings", "segments.", "interventions."))
        if "company.toml" in changed and complete:
            load(folder / "company.toml")  # a scenario written into still validates (a fragment may be partial)
