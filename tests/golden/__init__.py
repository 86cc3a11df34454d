"""Pinned outputs: golden results of every shipped scenario and of each command's ``--json``.

Why: a refactor that changes any number of a shipped scenario, or what a command prints
as JSON, must fail the suite, not only a byte-comparison someone remembered to run
(``benchmarks/outputs_identical.py`` is that comparison at full size, for engineers).

What is pinned (readable JSON under ``tests/golden/``, so a failure names the numbers that moved):

- ``scenarios/<file>.json``: for every ``scenarios/*.toml`` and ``benchmarks/*.toml``, a run of
  :data:`DRAWS` draws with seed :data:`SEED` through the Python API (``sim.run``, one worker, in
  this process): the whole ``summary_dict()`` (base case included), the first and last draw of
  ``draws`` and every column's mean, and per arm and metric the first and last period of ``bands``.
- ``commands/<name>.json``: the ``--json`` output of each command of :data:`COMMANDS` run through
  the real command group (click's runner, in this process, from the repository root so every
  file name in the output is relative; the day a fit ran, in its model review, reads 'fitted <day>').

How it compares (:func:`differences`): strings, booleans, ``None``, integers, keys and list lengths
exactly; floats within a relative tolerance :data:`RTOL` (plus :data:`ATOL` for values that are
zero): any real change of a number fails, while the last-bit differences of numpy's vectorised
maths on another CPU do not.

Updating is a deliberate step. When a change is *meant* to move numbers::

    PYTHONPATH=. python -m tests.golden --update            # every case
    PYTHONPATH=. python -m tests.golden --update run_nordic  # only the named cases
    PYTHONPATH=. python -m tests.golden                      # compare only, print what moved

then look at ``git diff tests/golden`` and say in the commit message which numbers changed and why
(see docs/testing.md). Never update to make a failing refactor pass: a refactor must leave them as
they are.
"""

from __future__ import annotations

import json
import math
import os
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DRAWS = 300
SEED = 11
RTOL = 1e-9
"""Relative tolerance for floats: far below any real change (one draw of 300 moves a mean by ~1e-3
relative), far above the ulp-level differences of SIMD maths between CPUs (~1e-15)."""
ATOL = 1e-9
"""Absolute tolerance, for floats whose golden value is (nearly) zero."""

SCENARIO_FILES = sorted([*ROOT.glob("scenarios/*.toml"), *ROOT.glob("benchmarks/*.toml")])
"""Every shipped scenario (and the benchmark workloads, which run in a fraction of a second at 300 draws)."""

NORDIC = "scenarios/nordic_midsize.toml"
SEED001 = "scenarios/seed001_churn_example.toml"
DATA = "scenarios/data"
RUN_OPTIONS = ["--draws", str(DRAWS), "--seed", str(SEED), "--workers", "1", "--no-save", "--json"]

COMMANDS: dict[str, list[str]] = {
    "run_nordic_set": ["run", NORDIC, *RUN_OPTIONS, "--set", "segments.b2b.monthly_churn=0.02"],
    "run_seed001_base_case": ["run", SEED001, "--base-case", "--no-save", "--json"],
    "sweep_nordic": ["sweep", NORDIC, *RUN_OPTIONS, "--param", "segments.b2b.experience.walk_away",
                     "--values", "0.1,0.3"],
    "sweep_nordic_two_way": ["sweep", NORDIC, "--draws", "100", "--seed", str(SEED), "--workers", "1", "--no-save",
                             "--json", "--param", "interventions.faster_response.recurring_cost", "--values", "15000,35000",
                             "--param", "segments.b2b.experience.walk_away", "--values", "0.1,0.5"],
    "tornado_nordic": ["tornado", NORDIC, *RUN_OPTIONS],
    "sensitivity_nordic": ["sensitivity", NORDIC, *RUN_OPTIONS, "--sobol-samples", "32"],
    "breakeven_nordic": ["breakeven", NORDIC, *RUN_OPTIONS, "--param", "interventions.faster_response.recurring_cost"],
    "voi_nordic": ["voi", NORDIC, *RUN_OPTIONS],
    "portfolio_nordic": ["portfolio", NORDIC, *RUN_OPTIONS, "--budget", "900000"],
    "pilot_nordic": ["pilot", NORDIC, *RUN_OPTIONS, "--intervention", "ai_self_service"],
    "pilot_sample_company": ["pilot", "scenarios/sample_company.toml", *RUN_OPTIONS, "--intervention", "first_contact"],
    "staffing_erlang_c": ["staffing", "--rate", "120", "--aht", "4", "--agents", "8:14", "--json"],
    "staffing_erlang_a_simulated": ["staffing", "--rate", "120", "--aht", "4", "--patience", "3", "--agents", "9,11",
                                    "--simulate", "--hours", "40", "--replications", "3", "--json"],
    "fit_customers": ["fit", "customers", f"{DATA}/customers.csv", "--json"],
    "fit_orders": ["fit", "orders", f"{DATA}/orders.csv", "--customers", f"{DATA}/customers.csv", "--json"],
    "fit_support": ["fit", "support", f"{DATA}/tickets.csv", "--customers", f"{DATA}/customers.csv",
                    "--orders", f"{DATA}/orders.csv", "--json"],
    "fit_pilot": ["fit", "pilot", f"{DATA}/pilot.csv", "--measure", "bad", "--json"],
    "fit_pilot_counts": ["fit", "pilot", "--measure", "churn", "--treated", "40/500", "--control", "60/500", "--json"],
    "fit_pilot_purchases": ["fit", "pilot", f"{DATA}/pilot.csv", "--measure", "purchases", "--json"],
}
"""Golden name -> the command's arguments (after ``cxroi``), run from the repository root."""


def scenario_case(file: Path) -> str:
    return f"{file.parent.name}/{file.stem}"


CASES = [*(scenario_case(file) for file in SCENARIO_FILES), *(f"commands/{name}" for name in COMMANDS)]
"""Every golden case by the name of its file under tests/golden/ (without .json)."""


def golden_file(case: str) -> Path:
    return HERE / f"{case}.json"


@contextmanager
def in_root():
    """Run with the repository root as working directory (relative file names in every output)."""
    before = os.getcwd()
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(before)


def _plain(value):
    """A JSON-ready copy: numpy scalars to Python, infinities as the strings 'inf' / '-inf'."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def scenario_result(file: Path) -> dict:
    """The pinned numbers of one scenario: a run of DRAWS draws, seed SEED, through the Python API."""
    import numpy as np

    import sim

    with in_root():
        result = sim.run(sim.load(file.relative_to(ROOT)), draws=DRAWS, seed=SEED, workers=1)
        draws = result.draws
        means = {}
        for column in draws.columns:
            values = draws[column].to_numpy(dtype=float)
            finite = np.isfinite(values)
            means[column] = {"mean_of_finite": float(values[finite].mean()) if finite.any() else None,
                             "not_finite": int((~finite).sum())}
        bands = result.bands
        numbers = ["mean", "p05", "p50", "p95"]
        band_ends = {}
        for (arm, metric), rows in bands.groupby(["arm", "metric"], sort=True):
            rows = rows.sort_values("period")
            band_ends[f"{arm} {metric}"] = {
                f"period {int(row['period'])}": {name: float(row[name]) for name in numbers}
                for _, row in rows.iloc[[0, -1]].iterrows()}
        return _plain({
            "file": str(file.relative_to(ROOT)),
            "draws": DRAWS,
            "seed": SEED,
            "summary": result.summary_dict(),
            "draws_table": {
                "columns": list(draws.columns),
                "first_draw": draws.iloc[0].to_dict(),
                "last_draw": draws.iloc[-1].to_dict(),
                "column_means": means,
            },
            "bands_first_and_last_period": band_ends,
        })


def command_result(name: str) -> dict:
    """The --json output of command ``name`` of :data:`COMMANDS`, run through the ``cxroi`` command group."""
    from click.testing import CliRunner

    from sim.shell.cli import main

    args = COMMANDS[name]
    with in_root():
        outcome = CliRunner().invoke(main, args)
    if outcome.exit_code != 0:
        raise AssertionError(f"cxroi {' '.join(args)} exited {outcome.exit_code}: {outcome.output}{outcome.exception!r}")
    return {"command": ["cxroi", *args], "output": undated(json.loads(outcome.stdout))}


def undated(value):
    """The output with the day a fit ran ('..., fitted 2026-12-06' in a model review's ``fit``) as 'fitted <day>',
    so that a golden file does not change with the calendar."""
    import re

    if isinstance(value, dict):
        return {key: undated(item) for key, item in value.items()}
    if isinstance(value, list):
        return [undated(item) for item in value]
    if isinstance(value, str):
        return re.sub(r"fitted \d{4}-\d{2}-\d{2}", "fitted <day>", value)
    return value


def compute(case: str) -> dict:
    """The current value of a golden case."""
    if case.startswith("commands/"):
        return command_result(case.removeprefix("commands/"))
    (file,) = [file for file in SCENARIO_FILES if scenario_case(file) == case]
    return scenario_result(file)


def load(case: str) -> dict:
    return json.loads(golden_file(case).read_text(encoding="utf-8"))


def save(case: str, value: dict) -> Path:
    path = golden_file(case)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    return path


def differences(golden, now, where: str = "") -> list[str]:
    """Every place ``now`` differs from ``golden``, as 'path: golden -> now' lines (empty when they agree).

    Floats agree within RTOL relative (ATOL absolute near zero); integers, strings, booleans and
    None must be equal; dicts must have the same keys and lists the same length.
    """
    here = where or "(top)"
    if isinstance(golden, bool) or isinstance(now, bool) or golden is None or now is None:
        return [] if golden is now else [f"{here}: {golden!r} -> {now!r}"]
    if isinstance(golden, (int, float)) and isinstance(now, (int, float)):
        if isinstance(golden, int) and isinstance(now, int):
            return [] if golden == now else [f"{here}: {golden} -> {now}"]
        if math.isclose(golden, now, rel_tol=RTOL, abs_tol=ATOL):
            return []
        relative = abs(now - golden) / abs(golden) if golden else math.inf
        return [f"{here}: {golden!r} -> {now!r} (relative change {relative:.3g})"]
    if type(golden) is not type(now):
        return [f"{here}: {type(golden).__name__} {golden!r} -> {type(now).__name__} {now!r}"]
    if isinstance(golden, dict):
        found = []
        for key in golden.keys() - now.keys():
            found.append(f"{where}.{key}: no longer present")
        for key in now.keys() - golden.keys():
            found.append(f"{where}.{key}: new (not in the golden file)")
        for key in golden.keys() & now.keys():
            found.extend(differences(golden[key], now[key], f"{where}.{key}" if where else str(key)))
        return sorted(found)
    if isinstance(golden, list):
        if len(golden) != len(now):
            return [f"{here}: {len(golden)} items -> {len(now)} items"]
        return [line for i, (a, b) in enumerate(zip(golden, now)) for line in differences(a, b, f"{where}[{i}]")]
    return [] if golden == now else [f"{here}: {golden!r} -> {now!r}"]


def report(case: str, found: list[str], limit: int = 40) -> str:
    shown = "\n  ".join(found[:limit])
    more = f"\n  ... and {len(found) - limit} more" if len(found) > limit else ""
    return (f"{golden_file(case).relative_to(ROOT)}: {len(found)} value(s) moved (golden -> now):\n  {shown}{more}\n"
            "If the change is intended: PYTHONPATH=. python -m tests.golden --update "
            f"{case.rsplit('/', 1)[-1]}, and say in the commit message which numbers changed and why.")
