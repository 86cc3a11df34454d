"""What every ``cxroi fit`` command shares at the edge: reading a data file, KEY=VALUE options, errors, JSON.

One module both the pilot/support commands (:mod:`sim.shell.fit_commands`) and the
customers/orders commands (:mod:`sim.shell.fit_customers`, :mod:`sim.shell.fit_orders`) import, so neither
imports the other.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pandas as pd

from sim.errors import Problem, ScenarioError, UsageError


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as a data frame; unreadable files are one-line problems."""
    if not path.is_file():
        raise ScenarioError([Problem("", "no such file")], str(path))
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise ScenarioError([Problem("", "the file is empty; a table starts with a header row of column names")],
                            str(path)) from None
    except pd.errors.ParserError as exc:
        raise ScenarioError([Problem("", _parser_problem(str(exc)))], str(path)) from None
    except (ValueError, OSError, ImportError) as exc:
        raise ScenarioError([Problem("", f"cannot read the table ({str(exc).splitlines()[0]})")], str(path)) from None


def _parser_problem(text: str) -> str:
    """pandas' tokenizer error in words: 'Expected 4 fields in line 6, saw 5' says which line has a cell too many."""
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if found is None:
        return f"cannot read the table ({text.splitlines()[0]})"
    expected, line, saw = found.groups()
    return (f"line {line} has {saw} cells where the header has {expected}; a comma inside a value needs the value in "
            f"double quotes, or the line has a cell too many")


def user_errors(path):
    """The CLI's one-line handling of a user's mistake (exit 2), for ``path``."""
    from sim.shell.cli import _user_errors as shared

    return shared(path)


def echo_json(data: dict) -> None:
    """A result as indented JSON on stdout; NaN is never written."""
    click.echo(json.dumps(data, indent=2, allow_nan=False))


def key_values(pairs: tuple[str, ...], option: str, allowed: tuple[str, ...] | None = None) -> dict[str, str]:
    """KEY=VALUE options as a dict; unknown keys are a usage error naming what is allowed."""
    found = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise UsageError(f"{option} '{pair}' is not KEY=VALUE")
        if allowed is not None and key not in allowed:
            raise UsageError(f"{option} '{pair}': unknown key '{key}'; allowed: {', '.join(allowed)}")
        found[key] = value
    return found


def scenario_or_none(path: Path | None) -> dict | None:
    """The target scenario's raw TOML, or None when there is none or it cannot be read (its writer then says why)."""
    import tomllib

    if path is None or not path.is_file():
        return None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None


def echo_wrapped(text: str) -> None:
    """Prose for people, wrapped to the terminal at ordinary spaces (a number's no-break spaces hold)."""
    from sim.reporting.fit_console import echo

    echo(text)
