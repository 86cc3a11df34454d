"""What the ``fit`` commands' reports share: the data file's name and digest, dates, the holdout cut-off, JSON-ready values.

A report (:mod:`sim.fit.customers_report`, :mod:`sim.fit.orders_report`,
:mod:`sim.fit.support_report`, :mod:`sim.fit.pilot_report`) is built from data
frames and numbers; the file a table came from enters only as a
:class:`DataFile` (its name for messages and sources, its SHA-256 for the
record), which the command line computes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

import numpy as np
import pandas as pd

from sim.errors import ScenarioError, UsageError

HOLDOUT_SHARE = 1.0 / 3.0
"""Default holdout: the last third of the history (from the first date in the data to the as-of date)."""

NO_HOLDOUT = pd.NaT
"""The cut-off of a run without a holdout check (--no-holdout)."""


@dataclass(frozen=True)
class DataFile:
    """Where a table came from: its path as given (named in problems and reports) and its SHA-256 (None: not known)."""

    path: str = "data"
    sha256: str | None = None

    @property
    def name(self) -> str:
        return PurePath(self.path).name

    def describe(self, *notes: str) -> str:
        """'customers.csv (customer list, sha256 0123456789ab)': the file as a written input's source names it."""
        parts = [*notes, *([f"sha256 {self.sha256[:12]}"] if self.sha256 else [])]
        return f"{self.name} ({', '.join(parts)})" if parts else self.name

    def record(self) -> dict:
        """The file as a manifest lists it."""
        return {"file": self.path, "sha256": self.sha256}


def fit_stamp(kind: str, file: DataFile, as_of, today: date | None = None) -> str:
    """The start of every source a fit writes: command, file, as-of day and the day of the fit."""
    return f"cxroi fit {kind} on {file.describe()} as of {day_text(as_of)}, fitted {today or date.today():%Y-%m-%d}"


def day_text(day) -> str:
    return pd.Timestamp(day).strftime("%Y-%m-%d")


def in_file(error: ScenarioError, file: DataFile) -> ScenarioError:
    """The error located in ``file`` unless it already names one."""
    return error if error.file else error.in_file(file.path)


def json_ready(value):
    """JSON-safe: NaN and infinities as None, numpy scalars as Python."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return day_text(value)
    return value


def table_records(table: pd.DataFrame) -> list[dict]:
    return json_ready(table.to_dict(orient="records"))


def tagged(segment: str, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with a first column naming its segment (the reports' CSV files hold every segment)."""
    return table.assign(segment=segment)[["segment", *table.columns]]


def parsed_columns(frame: pd.DataFrame, checked: pd.DataFrame, columns: dict[str, str | None]) -> pd.DataFrame:
    """``frame`` with its checked columns already parsed ({checked column: frame column}), so the fits, which check
    their input again, need not parse a million dates twice more (datetime columns are taken as they are)."""
    parsed = frame.reset_index(drop=True).copy(deep=False)
    for source, column in columns.items():
        if column:
            parsed[column] = checked[source].to_numpy()
    return parsed


def cutoff_or_default(cutoff, first, as_of):
    """The holdout's cut-off: the one given (which must fall inside the data, after its first day and
    before as-of; else a UsageError naming --cutoff), or :func:`default_cutoff`; NO_HOLDOUT stays."""
    if cutoff is None:
        return default_cutoff(first, as_of)
    if cutoff is NO_HOLDOUT:
        return cutoff
    day = pd.Timestamp(cutoff).normalize()
    if day >= pd.Timestamp(as_of).normalize():
        raise UsageError(f"--cutoff {day:%Y-%m-%d}: must be before the end of the data "
                         f"({pd.Timestamp(as_of):%Y-%m-%d}, the as-of day), or the holdout has nothing to predict")
    if day <= pd.Timestamp(first).normalize():
        raise UsageError(f"--cutoff {day:%Y-%m-%d}: must be after the first day of the data "
                         f"({pd.Timestamp(first):%Y-%m-%d}), or the holdout has nothing to fit")
    return cutoff


def default_cutoff(first, as_of) -> pd.Timestamp:
    """The holdout's cut-off: :data:`HOLDOUT_SHARE` of the history before ``as_of``."""
    first, as_of = pd.Timestamp(first).normalize(), pd.Timestamp(as_of).normalize()
    return (as_of - (as_of - first) * HOLDOUT_SHARE).normalize()


def fit_manifest(files: list[DataFile], options: dict, *, version: str | None, created: str, command: list[str]) -> dict:
    """A fit's manifest.json: what ran (version, time, command line, given by the caller), on which files, with which options."""
    return {
        "cxroi_version": version,
        "created": created,
        "command": command,
        "inputs": [file.record() for file in files],
        "options": json_ready(options),
    }


@dataclass(frozen=True)
class Folder:
    """What a report's ``--out`` folder holds besides its figures: tables (CSV) and the options its manifest records."""

    tables: dict
    options: dict
