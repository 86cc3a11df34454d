"""Reading a results folder whole, or naming it damaged file by file: the one check `memo` and `export` share.

A folder is what `cxroi run` wrote only if its parts agree: summary.json and manifest.json are JSON
objects with every key a report reads, the per-draw table (draws.csv / draws.parquet, or roi_draws.csv)
has one complete row per draw the summary counts, and bands.csv one complete row per period for every
arm and measure. Anything else (a file cut short, truncated, binary, missing a key, edited by hand) is
one line naming the file and what is wrong, and nothing is written from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UsageError

AGAIN = "write the folder again with cxroi run"


@dataclass(frozen=True)
class Record:
    """What a results folder holds, read once and checked."""

    folder: Path
    summary: dict[str, Any]
    manifest: dict[str, Any]
    draws: pd.DataFrame | None
    bands: pd.DataFrame | None
    tornado: pd.DataFrame | None
    voi: dict[str, Any] | None
    pilot: dict[str, Any] | None = None
    portfolio: dict[str, Any] | None = None
    draws_name: str | None = None
    """'draws' (the whole per-draw table) or 'roi_draws' (the ROI columns a memo folder keeps), None without."""


_STATS = {"mean": None, "p05": None, "p10": None, "p50": None, "p95": None}
SUMMARY_KEYS = {key: None for key in ("scenario", "seed", "draws", "mode", "sampling", "currency", "period",
                                       "horizon", "discount_rate", "roi_basis", "interventions")}
INTERVENTION_KEYS = {"label": None, "npv": _STATS, "roi": _STATS, "pv_cost": {"mean": None}, "pv_benefit": {"mean": None},
                     "prob_roi_positive": None, "prob_payback_within_horizon": None,
                     "payback_period": {"p50": None}, "npv_expected_shortfall_10": None,
                     "base_case": {"roi": None, "npv": None}}
MANIFEST_KEYS = {"scenario": {}, "inputs": {}, "resolved_scenario": {"settings": {}, "interventions": {}}}
BAND_COLUMNS = ["arm", "metric", "period", "p05", "p25", "p50", "p75", "p95"]


def read_results(folder: str | Path, tables: bool = True, roi_only: bool = False) -> Record:
    """Read and check a run's results folder; a one-line UsageError naming the file that is missing or damaged.

    ``tables``: the per-draw and band tables must be there (a memo draws from them); otherwise they are
    checked when present (a workbook leaves out what the folder lacks). ``roi_only``: the per-draw ROI
    is all the reader needs, so ``roi_draws.csv`` is read where the folder has it (a memo: a tenth of
    the whole ``draws.csv``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such results folder")
    kind = _analysis_of(folder / "manifest.json")
    if kind:
        raise UsageError(f"{folder}: a `cxroi {kind}` folder, not a results folder of `cxroi run`")
    needed = ["summary.json", "manifest.json"] + (["draws.csv", "bands.csv"] if tables else [])
    alternatives = {"draws.csv": ["draws.parquet", "roi_draws.csv"], "bands.csv": ["bands.parquet"]}
    missing = [name for name in needed if not any((folder / n).is_file() for n in [name, *alternatives.get(name, [])])]
    if missing:
        raise UsageError(f"{folder}: not a results folder of `cxroi run` (missing {', '.join(missing)})")
    summary = read_json(folder / "summary.json", SUMMARY_KEYS)
    interventions = summary["interventions"]
    if not isinstance(interventions, dict) or not interventions:
        raise UsageError(f"{folder / 'summary.json'}: damaged: 'interventions' must be a non-empty object; {AGAIN}")
    for name, entry in interventions.items():
        require(entry, INTERVENTION_KEYS, folder / "summary.json", f"interventions.{name}")
    draws_count, horizon = summary["draws"], summary["horizon"]
    if not _whole(draws_count) or not _whole(horizon):
        raise UsageError(f"{folder / 'summary.json'}: damaged: 'draws' and 'horizon' must be whole numbers above 0; {AGAIN}")
    manifest = read_json(folder / "manifest.json", MANIFEST_KEYS)
    draws, draws_name = None, None
    for name in ("roi_draws", "draws") if roi_only else ("draws", "roi_draws"):
        path = _table_path(folder, name)
        if path is not None:
            draws = read_csv(path, [f"{option}.roi" for option in interventions])
            _require_rows(path, len(draws), draws_count, "draws", "summary.json")
            draws_name = name
            break
    bands = None
    path = _table_path(folder, "bands")
    if path is not None:
        bands = read_csv(path, BAND_COLUMNS)
        metrics = {arm: set(group) for arm, group in bands.groupby("arm", sort=False)["metric"]}
        expected = {"baseline": metrics.get("baseline", set()),
                    **{name: metrics.get("baseline", set()) | {"cumulative_discounted_net"} for name in interventions}}
        for arm, wanted in expected.items():
            lacking = sorted(wanted - metrics.get(arm, set()))
            if arm not in metrics or lacking:
                what = f"{arm} {lacking[0]}" if arm in metrics else arm
                raise UsageError(f"{path}: damaged: no rows for {what} (cut short?); {AGAIN}")
        counts = bands.groupby(["arm", "metric"], sort=False).size()
        short = counts[counts != horizon]
        if len(short):
            (arm, metric), rows = short.index[0], int(short.iloc[0])
            raise UsageError(f"{path}: damaged: {rows} rows for {arm} {metric} where summary.json's horizon is "
                             f"{horizon} periods; {AGAIN}")
    tornado = read_csv(folder / "tornado.csv", ["intervention", "input", "npv_at_low", "npv_at_high"]) \
        if (folder / "tornado.csv").is_file() else None
    voi = read_json(folder / "voi.json", {"evpi": None, "evppi": None}) if (folder / "voi.json").is_file() else None
    pilot = read_json(folder / "pilot.json", {"intervention": None, "sizes": None, "worth_running": None}) \
        if (folder / "pilot.json").is_file() else None
    portfolio = read_json(folder / "portfolio.json", {"portfolios": None, "frontier": None, "choice": None,
                                                       "choice_by_objective": None, "constraints": None}) \
        if (folder / "portfolio.json").is_file() else None
    return Record(folder, summary, manifest, draws, bands, tornado, voi, pilot, portfolio, draws_name)


def _analysis_of(path: Path) -> str | None:
    """The analysis (sweep, tornado, ...) whose folder this is, by its manifest; None for any other folder."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    kind = manifest.get("analysis") if isinstance(manifest, dict) else None
    return kind if isinstance(kind, str) else None


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _table_path(folder: Path, name: str) -> Path | None:
    return next((path for path in (folder / f"{name}.csv", folder / f"{name}.parquet") if path.is_file()), None)


def _require_rows(path: Path, rows: int, expected: int, what: str, source: str) -> None:
    if rows != expected:
        raise UsageError(f"{path}: damaged: {rows:,} rows where {source} counts {expected:,} {what} (cut short?); {AGAIN}")


def read_json(path: Path, keys: dict) -> dict[str, Any]:
    """A JSON object with the given (nested) keys; UsageError naming the file otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{path}: damaged: not valid JSON ({error}); {AGAIN}") from None
    require(data, keys, path, "")
    return data


def require(data: Any, keys: dict | None, path: Path, where: str) -> None:
    """Every (nested) key of ``keys`` in ``data``; UsageError naming the file and the first missing key."""
    if keys is None:
        return
    if not isinstance(data, dict):
        raise UsageError(f"{path}: damaged: {where or 'the file'} is not a JSON object; {AGAIN}")
    for key, inner in keys.items():
        if key not in data:
            raise UsageError(f"{path}: damaged: '{f'{where}.' if where else ''}{key}' is missing; {AGAIN}")
        require(data[key], inner or None, path, f"{where}.{key}" if where else key)


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """A results table (``bands``, ``draws``) from its CSV, or its Parquet file when the run wrote that instead."""
    path = _table_path(folder, name)
    if path is None:
        raise UsageError(f"{folder}: not a results folder of `cxroi run` (missing {name}.csv)")
    return read_csv(path, [])


def read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    """A CSV (or Parquet) table with at least one row, the given columns and a complete last row; UsageError
    naming the file otherwise (a CSV cut inside its last row would read as a row with missing cells)."""
    try:
        table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        complete = path.suffix == ".parquet" or _ends_a_line(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as error:
        raise UsageError(f"{path}: damaged: {str(error).splitlines()[0] or 'empty'}; {AGAIN}") from None
    lacking = [column for column in columns if column not in table.columns]
    if lacking:
        raise UsageError(f"{path}: damaged: no column {lacking[0]!r}; {AGAIN}")
    if table.empty:
        raise UsageError(f"{path}: damaged: no rows; {AGAIN}")
    if not complete:
        raise UsageError(f"{path}: damaged: the last row is cut short; {AGAIN}")
    return table


def _ends_a_line(path: Path) -> bool:
    with path.open("rb") as file:
        file.seek(-1, 2)
        return file.read(1) == b"\n"
