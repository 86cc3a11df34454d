"""Writing a run to a results folder: complete or not at all, never over another run.

The folder is built under a temporary name beside its destination and renamed
into place in one step, so a crash or Ctrl-C leaves no half-written folder that
looks like a result.
"""

from __future__ import annotations

import errno
import json
import math
import os
import platform
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from sim.errors import UsageError
from sim.shell.csv_table import write_columns

if TYPE_CHECKING:  # the model (and pandas) load when a run is written, not with the CLI
    from sim.compute.result import Result

SET_ON_COMMAND_LINE = "set on the command line"
"""The source of an input overridden with ``--set`` (the memo's assumptions table shows it)."""

FILES = {
    "summary.json": "per intervention: ROI, NPV, benefit and cost statistics, P(ROI > 0), payback (same as --json)",
    "manifest.json": "how to reproduce this run: scenario hash, resolved inputs, seed, draws, versions, time",
    "draws.csv": "one row per draw: sampled uncertain inputs and each intervention's NPV, ROI, PV benefit, PV cost, payback",
    "bands.csv": "per arm, metric and period: mean and 5/10/25/50/75/90/95th percentiles",
    "scenario.toml": "the scenario file exactly as it was read (overrides are listed in manifest.json)",
}
MEMO_FILES = {
    "memo.md": "the decision memo (Markdown; its figures are in memo_figures/)",
    "memo.html": "the decision memo as one self-contained HTML file",
    "memo_figures/": "a figure of memo.md: {}",
    "portfolio.json": "every admissible combination of the options (as cxroi portfolio --json): the memo's decision "
                      "frame and its value of information",
    "pilot.json": "the memo's pilot analysis of the recommended portfolio's largest part (as cxroi pilot --json)",
    "tornado.csv": "the memo's tornado: NPV and ROI with each input at its low and high value",
    "roi_draws.csv": "each option's ROI per draw (all the memo takes from the draws)",
}
"""What ``cxroi run --memo`` adds to a run's folder (``memo_figures/``: each file in that folder, by its name)."""


DEFAULT_ROOT = "results"

PLACED: list[Path] = []
"""Outputs (results folders, memos, workbooks, scenarios written with --into) this process has renamed into place,
complete: an interrupt after that names what it keeps (:func:`placing`)."""


@contextmanager
def placing():
    """Rename an output into place and record it in :data:`PLACED` as one step a signal cannot cut in two.

    Yields the recorder (``PLACED.append``); Ctrl-C and SIGTERM are held back until the block ends, so an
    interrupt comes before the rename (nothing written, and the command says so) or after the output is
    recorded (and the command names it), never between.
    """
    from sim.compute.parallel import signals_held

    with signals_held():
        yield PLACED.append


def interrupted_line(since: int = 0) -> str:
    """The one line of a command interrupted by Ctrl-C or SIGTERM: what it had put in place, whole, after the first
    ``since`` of :data:`PLACED` (a folder or file named here is complete), or that it wrote nothing."""
    from sim.shell.console import INTERRUPTED

    placed = list(dict.fromkeys(PLACED[since:]))
    if not placed:
        return INTERRUPTED
    names = " and ".join(f"{path}/" if path.is_dir() else str(path) for path in placed)
    return f"interrupted after writing {names} (complete); nothing else was written"


def default_folder(result_or_analysis, root: str | Path = DEFAULT_ROOT, now: datetime | None = None) -> Path:
    """``results/<scenario>[-<analysis>]-<YYYYmmdd-HHMMSS>[-base-case]``, with a suffix if that name is taken."""
    now = now or datetime.now()
    loaded = result_or_analysis.loaded
    stem = Path(loaded.file).stem if loaded else result_or_analysis.scenario.settings.name
    kind = getattr(result_or_analysis, "kind", None)
    name = _safe(stem) + (f"-{kind}" if kind else "") + f"-{now:%Y%m%d-%H%M%S}"
    name += "-base-case" if getattr(result_or_analysis, "base_case", False) else ""
    folder = _free_name(Path(root) / name)
    _CHOSEN_BY_US.add(folder)
    return folder


_CHOSEN_BY_US: set[Path] = set()
"""Default folders this process named: when another run takes one first, the next free name is used."""


def _free_name(folder: Path) -> Path:
    """``folder``, or ``folder-2``, ``folder-3``, ... whichever does not exist yet."""
    name, suffix, found = folder.name, 2, folder
    while found.exists():
        found = folder.with_name(f"{name}-{suffix}")
        suffix += 1
    return found


def check_destination(folder: str | Path, overwrite: bool = False) -> None:
    """Refuse, before any work is done, a destination the results could not be written to.

    An existing non-empty folder (without ``overwrite``), a file, the current
    folder or one containing it, a path through an existing file, and a place
    the user may not write in are each refused with one line naming ``folder``.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: is a file, not a folder; choose another --out")
    if folder.exists() and not overwrite and any(folder.iterdir()):
        raise UsageError(f"{folder}: already exists; choose another --out or pass --overwrite to replace it")
    resolved, here = folder.resolve(), Path.cwd().resolve()
    if resolved == here or resolved in here.parents:
        raise UsageError(f"{folder}: is the current folder or contains it, which a results folder never replaces; "
                         "choose a new folder for --out")
    check_writable(folder, replacing=folder.exists())


def check_writable(path: str | Path, replacing: bool = False, option: str = "--out") -> None:
    """Refuse a path whose nearest existing ancestor is a file or not writable (UsageError naming ``path``)."""
    path = Path(path)
    for ancestor in path.absolute().parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise UsageError(f"{path}: {ancestor} is a file, not a folder; choose another {option}")
            if not os.access(ancestor, os.W_OK | os.X_OK):
                raise UsageError(f"{path}: cannot write in {ancestor} (permission denied); choose another {option}")
            break
    if replacing and not os.access(path, os.W_OK | (os.X_OK if path.is_dir() else 0)):
        raise UsageError(f"{path}: cannot replace it (permission denied); choose another {option}")


def check_default_root(root: str | Path = DEFAULT_ROOT) -> None:
    """Refuse, before any work, a default results folder that could not be written (no --out given)."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root}: is a file, so the default results folder cannot go there; give --out")
    check_writable(root, replacing=root.exists())


def check_file_destination(path: str | Path, overwrite: bool = False, option: str = "--out") -> None:
    """Refuse, before any work, a file destination (a memo's ``--out``, a workbook's ``--xlsx``) that cannot
    be written: a folder, an existing file (without ``overwrite``), a path through a file or an unwritable place."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give a file name for {option}")
    if path.exists() and not overwrite:
        raise UsageError(f"{path}: already exists; pass --overwrite to replace it or choose another {option}")
    check_writable(path, replacing=path.exists(), option=option)


TABLE_FORMATS = ("csv", "parquet")
"""How a run's per-draw and band tables are written: CSV (default) or Parquet (pyarrow; smaller and
much faster to write and read for a million draws)."""


def write(result: Result, folder: str | Path, overwrite: bool = False, command: list[str] | None = None,
          extra: dict | None = None, tables: str = "csv", then: Callable[[Path], None] | None = None) -> Path:
    """Write a run's :data:`FILES` (and any ``extra`` {name: writer(path)}) into ``folder`` atomically.

    ``tables="parquet"`` writes ``draws.parquet`` and ``bands.parquet`` instead of the CSV files. ``then(staging)``
    adds files made from the folder's own (the memo: :data:`MEMO_FILES`) before it is renamed into place, so they
    are in the folder from its first moment, in the manifest's ``files``, or, after an error, nowhere.
    """
    if tables == "parquet":
        _need_pyarrow()
        table_writers = {
            "draws.parquet": lambda path: result.draws.to_parquet(path, engine="pyarrow"),
            "bands.parquet": lambda path: result.bands.to_parquet(path, engine="pyarrow", index=False),
        }
    else:  # from the columns, without pandas
        table_writers = {
            "draws.csv": lambda path: write_columns(csv_draw_columns(result.draw_columns), path, float_format="%.12g",
                                                    index="draw"),
            "bands.csv": lambda path: write_columns(result.band_columns, path),
        }
    writers = {
        **table_writers,
        "summary.json": lambda path: _dump(path, result.summary_dict()),
        **(extra or {}),
    }
    return write_files(folder, writers, result.loaded, overwrite, manifest=manifest(result, command, tables),
                       descriptions={**run_files(tables), **MEMO_FILES}, then=then)


def run_files(tables: str = "csv") -> dict[str, str]:
    """:data:`FILES` with the tables in their format (``draws.parquet`` with ``tables="parquet"``)."""
    return FILES if tables == "csv" else {name.replace(".csv", f".{tables}"): text for name, text in FILES.items()}


PAYBACK_COLUMN = ".payback_period"


def csv_draw_columns(columns: dict) -> dict:
    """The draws as draws.csv holds them: a payback beyond the horizon is an empty cell, not ``inf``.

    Excel and most CSV readers read the text ``inf`` as text (``AVERAGE`` skips it silently); an empty
    cell is read as missing everywhere. Parquet and the Python API keep :data:`sim.BEYOND_HORIZON`.
    """
    import numpy as np

    return {name: np.where(np.isinf(column), np.nan, column) if name.endswith(PAYBACK_COLUMN) else column
            for name, column in columns.items()}


MEMO_PILOT_SIZES = 3
"""Pilot sizes a memo compares (small, middle, large on a log scale): ``cxroi pilot`` compares five."""


def memo_combinations(scenario, draws: int | None = None) -> list:
    """The combinations of the options a memo's portfolios need, for the run to simulate beside its own arms
    (``run(combinations=...)``): then :func:`memo_inputs` simulates nothing more. (None when the portfolio
    analysis would simulate them in groups or by local search: it then does so itself.)"""
    from sim.analyses.portfolio import combination_arms

    return combination_arms(scenario, scenario.settings.draws if draws is None else draws)


def memo_inputs(result: Result, budget: float | None = None, pool=None) -> dict:
    """Writers for what a memo adds to a run's folder, from the run's own draws.

    ``portfolio.json``: every admissible combination of the options (:mod:`sim.analyses.portfolio`,
    on expected NPV, within ``budget`` on expected PV cost when given), the memo's decision frame
    and its value of information; the run's baseline and single options are reused, and so are the
    combinations when the run simulated them beside its arms (:func:`memo_combinations`; else only
    the combinations are simulated, none when the options cannot combine). ``tornado.csv``; ``pilot.json``,
    the pilot analysis of the recommended portfolio's largest part (left out when no pilot could
    measure what it changes), valued for the choice among portfolios, at :data:`MEMO_PILOT_SIZES` sizes;
    ``roi_draws.csv``. ``pool``: the run's open :class:`sim.compute.parallel.Pool`, reused for the
    combinations (else one of their own).
    """
    from sim.analyses.pilot import default_sizes, measured_changes, pilot_of
    from sim.analyses.portfolio import portfolio as run_portfolio
    from sim.analyses.tornado import one_at_a_time

    if not result.uncertain_paths:
        return {}  # nothing uncertain: the memo goes without a tornado and value of information
    combined = run_portfolio(result.loaded or result.scenario, result.n_draws, result.seed, budget=budget,
                             hurdle_rates=[], result=result, pool=pool)
    tornado = one_at_a_time(result.scenario)
    pilot = None
    chosen = next(e for e in combined.summary["portfolios"] if e["name"] == combined.summary["choice"])
    for name in focus_order(result, chosen["interventions"]):
        try:
            sizes = default_sizes(result.scenario, measured_changes(result.scenario, name), MEMO_PILOT_SIZES)
            pilot = pilot_of(result, name, sizes, portfolios=combined.tables["npv_draws"]).summary
            break
        except UsageError:
            continue  # nothing a customer pilot counts: the next part
    roi = {f"{name}.roi": a.roi for name, a in result.appraisals.items()}
    return {
        "portfolio.json": lambda path: _dump(path, combined.summary),
        "tornado.csv": lambda path: tornado.to_csv(path, index=False),
        **({"pilot.json": lambda path: _dump(path, pilot)} if pilot else {}),
        # The memo's ROI histogram needs only these columns: a folder shipped without the large
        # per-draw table can still be rendered again with `cxroi memo`.
        # (as draws.csv, from the columns: the same bytes as the frame's to_csv, without building the frame of every draw)
        "roi_draws.csv": lambda path: write_columns(roi, path, float_format="%.12g", index="draw"),
    }


def focus_order(result: Result, members: list[str]) -> list[str]:
    """The recommended portfolio's options (``members``) by expected NPV alone, highest first (every option
    when the choice is to do nothing): the first is the option a memo's tornado and pilot follow."""
    members = list(members) or list(result.appraisals)
    return sorted(members, key=lambda name: -result.appraisals[name].npv.mean())


def write_analysis(analysis, folder: str | Path, overwrite: bool = False, command: list[str] | None = None) -> Path:
    """Write an analysis: summary.json, manifest.json, one CSV per table and one PNG per figure."""
    import matplotlib.pyplot as plt

    from sim.reporting.figures import analysis_figures

    figures = analysis_figures(analysis)
    writers = {
        "summary.json": lambda path: _dump(path, analysis.summary),
        **{f"{name}.csv": (lambda path, t=table: t.to_csv(path, index=False)) for name, table in analysis.tables.items()},
        **{f"{name}.png": (lambda path, f=figure: f.savefig(path, dpi=120)) for name, figure in figures.items()},
    }
    descriptions = {
        "summary.json": f"the {analysis.kind} analysis's results (same as --json)",
        "manifest.json": FILES["manifest.json"], "scenario.toml": FILES["scenario.toml"],
        **{f"{name}.csv": f"table: {name}" for name in analysis.tables},
        **{f"{name}.png": f"figure: {name}" for name in figures},
    }
    made = _manifest(analysis.scenario, analysis.loaded, analysis.seed, analysis.draws, command,
                     {"analysis": analysis.kind, "files": {}})
    try:
        return write_files(folder, writers, analysis.loaded, overwrite, manifest=made, descriptions=descriptions)
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


def write_files(folder: str | Path, writers: dict, loaded, overwrite: bool = False, manifest: dict | None = None,
                descriptions: dict[str, str] | None = None, then: Callable[[Path], None] | None = None) -> Path:
    """Build every file under a temporary name beside ``folder``, then rename it into place.

    ``manifest`` (a dict with a ``files`` key) is written as manifest.json with ``files`` naming every file the
    folder holds, each with what it holds (``descriptions``, :func:`folder_files`): once the writers and
    scenario.toml are written, and again after ``then(staging)``, which may read the folder (the manifest
    included) and add files to it, so the list is complete when the folder is renamed into place.
    """
    folder = Path(folder)
    check_destination(folder, overwrite)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
    except OSError as error:
        raise UsageError(f"{folder}: cannot create the results folder ({error.strerror}); nothing was written") from None
    try:
        for name, write_one in writers.items():
            write_one(staging / name)
        if loaded:
            (staging / "scenario.toml").write_text(loaded.text, encoding="utf-8")
        if manifest is not None:
            _write_manifest(staging, manifest, descriptions or {})
        if then is not None:
            try:
                then(staging)
            except UsageError as error:  # name the folder asked for, never the staging folder (it is ours, and it goes)
                raise UsageError(f"{str(error).replace(str(staging), str(folder))}; nothing was written") from None
            if manifest is not None:
                _write_manifest(staging, manifest, descriptions or {})
        _respect_umask(staging)
        with placing() as placed:
            folder = _claim(staging, folder, overwrite)
            placed(folder)
    except OSError as error:
        # Never name the staging folder: it is ours, and it is gone.
        shutil.rmtree(staging, ignore_errors=True)
        raise UsageError(f"{folder}: cannot write the results folder ({error.strerror or error}); nothing was written") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _write_manifest(staging: Path, manifest: dict, descriptions: dict[str, str]) -> None:
    _dump(staging / "manifest.json", {**manifest, "files": folder_files(staging, descriptions)})


UNDESCRIBED = "(not described)"


def folder_files(folder: Path, descriptions: dict[str, str]) -> dict[str, str]:
    """Every file in ``folder`` (and its subfolders, as ``sub/name``) with what it holds, manifest.json among them
    even before it is written: in the order of ``descriptions``, then by name.

    A file in a subfolder is described by the entry ``"sub/"``, a template whose ``{}`` is the file's stem."""
    names = {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()} | {"manifest.json"}
    order = {name: index for index, name in enumerate(descriptions)}

    def describe(name: str) -> str:
        sub, _, rest = name.rpartition("/")
        if sub:
            return descriptions.get(f"{sub}/", UNDESCRIBED).format(Path(rest).stem)
        return descriptions.get(name, UNDESCRIBED)

    def place(name: str) -> tuple[int, str]:
        sub = name.rpartition("/")[0]
        return order.get(f"{sub}/" if sub else name, len(order)), name

    return {name: describe(name) for name in sorted(names, key=place)}


def _respect_umask(staging: Path) -> None:
    """Give the folder (a private temporary directory so far) the permissions a new folder gets."""
    mask = os.umask(0)
    os.umask(mask)
    for path in [staging, *staging.rglob("*")]:
        if path.is_dir():
            path.chmod(0o777 & ~mask)


def _claim(staging: Path, folder: Path, overwrite: bool) -> Path:
    """Rename the finished ``staging`` folder to ``folder``, the one step that claims the destination; the folder used.

    Without ``overwrite`` the rename itself is the check: the system renames a folder only onto a
    missing or empty one, in one step, so of two runs writing to the same ``--out`` one succeeds and
    the other is refused (checking first and renaming after would let both through, the later
    silently replacing the earlier). A default folder another run took meanwhile gets the next free name.
    """
    if overwrite:
        _replace(staging, folder)
        return folder
    while True:
        try:
            os.rename(staging, folder)
            return folder
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR) or not folder.exists():
                raise
            if folder not in _CHOSEN_BY_US:
                shutil.rmtree(staging, ignore_errors=True)
                raise UsageError(f"{folder}: another run wrote this folder while this one was running; pass "
                                 "--overwrite to replace it or choose another --out; nothing was written") from None
            folder = _free_name(folder)
            _CHOSEN_BY_US.add(folder)


def _replace(staging: Path, folder: Path) -> None:
    """Rename ``staging`` to ``folder``; an existing folder is moved aside first and removed after."""
    if folder.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old-", dir=folder.parent))
        try:
            os.rename(folder, retired / folder.name)
            os.rename(staging, folder)
        except OSError:
            if (retired / folder.name).exists() and not folder.exists():
                os.rename(retired / folder.name, folder)  # put the old folder back
            raise
        finally:
            shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(staging, folder)


def manifest(result: Result, command: list[str] | None = None, tables: str = "csv") -> dict[str, Any]:
    """Everything needed to reproduce a run and to see what it assumed. ``files`` here is :data:`FILES`;
    :func:`write_files` replaces it by what the folder holds (with ``--memo``, :data:`MEMO_FILES` too)."""
    files = run_files(tables)
    return _manifest(
        result.scenario, result.loaded, result.seed, result.n_draws, command,
        {"mode": "base_case" if result.base_case else "monte_carlo", "files": files,
         "adjustments": list(result.adjustments)},
    )


def _need_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise UsageError("--tables parquet needs pyarrow: pip install 'cxroi[parquet]' (or pip install pyarrow)") from None


def _manifest(scenario, loaded, seed: int, draws: int, command, extra: dict[str, Any]) -> dict[str, Any]:
    from sim.model.inputs import all_inputs
    from sim.model.labels import input_labels

    names = input_labels(scenario)
    overridden = {o.partition("=")[0].strip() for o in (loaded.overrides if loaded else ())}

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
                "label": names[path],
                "distribution": item.dist.spec(),
                "in_words": item.dist.describe(),
                "words": item.dist.description().as_dict(),
                "base": item.dist.base,
                "source": SET_ON_COMMAND_LINE if path in overridden else item.dist.source,
            }
            for path, item in all_inputs(scenario).items()
        },
        "resolved_scenario": scenario.model_dump(mode="json", by_alias=True,
                                                 exclude={k for k in ("portfolio", "review") if getattr(scenario, k) is None}),
        "versions": {
            "python": platform.python_version(),
            **{name: _version(name) for name in ("numpy", "scipy", "pandas", "pydantic")},
        },
    }


def require_finite(data: Any, what: str) -> None:
    """Last line of defence: refuse to print or write NaN or infinity (inputs are checked long before)."""
    def finite(x: Any) -> bool:
        if isinstance(x, float):
            return math.isfinite(x)
        if isinstance(x, dict):
            return all(finite(v) for v in x.values())
        if isinstance(x, (list, tuple)):
            return all(finite(v) for v in x)
        return True

    if not finite(data):
        raise UsageError(f"{what}: the results hold NaN or infinity, which cxroi never reports; the inputs are "
                         "too extreme to compute with (please report this with the scenario)")


def _dump(path: Path, data: Any) -> None:
    require_finite(data, path.name)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")


def _version(package: str) -> str | None:
    from importlib import metadata  # 10 ms to import: when a folder is written, not when the command starts

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name) or "scenario"
