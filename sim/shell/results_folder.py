"""Writing a run to a results folder: complete or not at all, never over another run.

The folder is built under a temporary name beside its destination and renamed
into place in one step, so a crash or Ctrl-C leaves no half-written folder that
looks like a result.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import UsageError
from sim.shell.csv_table import write_csv

if TYPE_CHECKING:  # the model (and pandas) load when a run is written, not with the CLI
    from sim.model.result import Result

FILES = {
    "summary.json": "per intervention: ROI, NPV, benefit and cost statistics, P(ROI > 0), payback (same as --json)",
    "manifest.json": "how to reproduce this run: scenario hash, resolved inputs, seed, draws, versions, time",
    "draws.csv": "one row per draw: sampled uncertain inputs and each intervention's NPV, ROI, PV benefit, PV cost, payback",
    "bands.csv": "per arm, metric and period: mean and 5/10/25/50/75/90/95th percentiles",
    "scenario.toml": "the scenario file exactly as it was read (overrides are listed in manifest.json)",
}


def default_folder(result_or_analysis, root: str | Path = "results", now: datetime | None = None) -> Path:
    """``results/<scenario>[-<analysis>]-<YYYYmmdd-HHMMSS>[-base-case]``, with a suffix if that name is taken."""
    now = now or datetime.now()
    loaded = result_or_analysis.loaded
    stem = Path(loaded.file).stem if loaded else result_or_analysis.scenario.settings.name
    kind = getattr(result_or_analysis, "kind", None)
    name = _safe(stem) + (f"-{kind}" if kind else "") + f"-{now:%Y%m%d-%H%M%S}"
    name += "-base-case" if getattr(result_or_analysis, "base_case", False) else ""
    folder = Path(root) / name
    suffix = 2
    while folder.exists():
        folder = Path(root) / f"{name}-{suffix}"
        suffix += 1
    return folder


def check_destination(folder: str | Path, overwrite: bool = False) -> None:
    """Refuse, before any work is done, to write over an existing non-empty folder."""
    folder = Path(folder)
    if folder.exists() and not overwrite and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"{folder}: already exists; choose another --out or pass --overwrite to replace it")


def write(result: Result, folder: str | Path, overwrite: bool = False, command: list[str] | None = None,
          extra: dict | None = None) -> Path:
    """Write a run's :data:`FILES` (and any ``extra`` {name: writer(path)}) into ``folder`` atomically."""
    writers = {
        "summary.json": lambda path: _dump(path, result.summary_dict()),
        "manifest.json": lambda path: _dump(path, manifest(result, command)),
        "draws.csv": lambda path: write_csv(result.draws, path, float_format="%.12g"),
        "bands.csv": lambda path: write_csv(result.bands, path, index=False),
        **(extra or {}),
    }
    return write_files(folder, writers, result.loaded, overwrite)


def memo_inputs(result: Result) -> dict:
    """Writers for what a memo adds to a run's folder: the tornado and value of information."""
    from sim.analyses.tornado import one_at_a_time
    from sim.analyses.voi import voi_of

    tornado = one_at_a_time(result.scenario)
    voi = voi_of(result).summary
    return {
        "tornado.csv": lambda path: tornado.to_csv(path, index=False),
        "voi.json": lambda path: _dump(path, voi),
    }


def write_analysis(analysis, folder: str | Path, overwrite: bool = False, command: list[str] | None = None) -> Path:
    """Write an analysis: summary.json, manifest.json, one CSV per table and one PNG per figure."""
    import matplotlib.pyplot as plt

    from sim.reporting.figures import analysis_figures

    figures = analysis_figures(analysis)
    writers = {
        "summary.json": lambda path: _dump(path, analysis.summary),
        "manifest.json": lambda path: _dump(path, _manifest(
            analysis.scenario, analysis.loaded, analysis.seed, analysis.draws, command,
            {"analysis": analysis.kind, "files": {
                **{f"{name}.csv": f"table: {name}" for name in analysis.tables},
                **{f"{name}.png": f"figure: {name}" for name in figures}}})),
        **{f"{name}.csv": (lambda path, t=table: t.to_csv(path, index=False)) for name, table in analysis.tables.items()},
        **{f"{name}.png": (lambda path, f=figure: f.savefig(path, dpi=120)) for name, figure in figures.items()},
    }
    try:
        return write_files(folder, writers, analysis.loaded, overwrite)
    finally:
        for figure in figures.values():
            plt.close(figure)


def write_table_folder(folder: str | Path, name: str, summary: dict, table, overwrite: bool = False) -> Path:
    """A folder for a result without a scenario (e.g. staffing): summary.json, <name>.csv and <name>.png."""
    import matplotlib.pyplot as plt

    from sim.reporting.figures import staffing_figure

    figure = staffing_figure(table)
    try:
        return write_files(folder, {
            "summary.json": lambda path: _dump(path, summary),
            f"{name}.csv": lambda path: table.to_csv(path, index=False),
            f"{name}.png": lambda path: figure.savefig(path, dpi=120),
        }, None, overwrite)
    finally:
        plt.close(figure)


def write_files(folder: str | Path, writers: dict, loaded, overwrite: bool = False) -> Path:
    """Build every file under a temporary name beside ``folder``, then rename it into place."""
    folder = Path(folder)
    check_destination(folder, overwrite)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
    try:
        for name, write_one in writers.items():
            write_one(staging / name)
        if loaded:
            (staging / "scenario.toml").write_text(loaded.text, encoding="utf-8")
        _replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _replace(staging: Path, folder: Path) -> None:
    """Rename ``staging`` to ``folder``; an existing folder is moved aside first and removed after."""
    if folder.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old-", dir=folder.parent))
        os.rename(folder, retired / folder.name)
        os.rename(staging, folder)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(staging, folder)


def manifest(result: Result, command: list[str] | None = None) -> dict[str, Any]:
    """Everything needed to reproduce a run and to see what it assumed."""
    return _manifest(
        result.scenario, result.loaded, result.seed, result.n_draws, command,
        {"mode": "base_case" if result.base_case else "monte_carlo", "files": FILES},
    )


def _manifest(scenario, loaded, seed: int, draws: int, command, extra: dict[str, Any]) -> dict[str, Any]:
    from sim.model.inputs import all_inputs

    return {
        "cxroi_version": _version("cxroi"),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "scenario": {
            "name": scenario.settings.name,
            "file": loaded.file if loaded else None,
            "sha256": loaded.sha256 if loaded else None,
            "overrides": list(loaded.overrides) if loaded else [],
        },
        "seed": seed,
        "draws": draws,
        "sampling": scenario.settings.sampling,
        **extra,
        "inputs": {
            path: {
                "distribution": item.dist.spec(),
                "in_words": item.dist.describe(),
                "base": item.dist.base,
                "source": item.dist.source,
            }
            for path, item in all_inputs(scenario).items()
        },
        "resolved_scenario": scenario.model_dump(mode="json", by_alias=True),
        "versions": {
            "python": platform.python_version(),
            **{name: _version(name) for name in ("numpy", "scipy", "pandas", "pydantic")},
        },
    }


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name) or "scenario"
