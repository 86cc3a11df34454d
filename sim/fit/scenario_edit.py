"""Estimated inputs put into a scenario's text, keeping its comments and layout.

``cxroi fit ... --into FILE`` turns data into inputs (a number or an uncertain-input
table with its ``source``) and puts them where the scenario expects them. The text
is edited with tomlkit, so every comment, blank line and key order a person wrote
stays as it was; only the updated keys change, and new keys go to the end of
their table.

Paths are the scenario's dotted parameter paths (``segments.b2b.experience.bad``,
``interventions.x.changes[0].scale``). ``interventions.x.changes[+]`` adds an
intervention change, or replaces the change that already acts on the same
``path``, so writing a pilot's result twice never duplicates it. Correlations
(``[[correlations]]``) replace an entry for the same pair, in either order.

A result that is a complete scenario (it has ``settings``, ``segments`` and
``interventions``) is validated. This module only turns text into text;
reading the file and writing it back atomically is the shell's
(:mod:`sim.shell.scenario_writer`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import tomlkit
from tomlkit.items import AoT, InlineTable, Table
from tomlkit.toml_document import TOMLDocument

from sim.errors import did_you_mean, problem
from sim.model.validation import split_path, validate

ADD_OR_REPLACE = "[+]"
"""Path suffix of an array of tables: add this entry, or replace the one with the same ``path``."""
COMPLETE_SCENARIO = ("settings", "segments", "interventions")


@dataclass(frozen=True)
class InputUpdate:
    """One input to write: its dotted path, a number or an uncertain-input table, an optional comment.

    ``spec=None`` removes the key (if present): a fit that replaces one key by
    another (``monthly_churn`` by ``churn_mix``) must not leave both.
    """

    path: str
    spec: float | dict | str | None
    comment: str | None = None


def edited_text(
    text: str | None,
    updates: Sequence[InputUpdate],
    correlations: Sequence[tuple[str, str, float]] = (),
    *,
    file: str | None = None,
    default_name: str = "scenario",
) -> str:
    """The scenario text ``text`` (None: a new, empty file) with ``updates`` and ``correlations`` applied.

    A result that is a complete scenario is validated (problems name ``file``);
    nothing here reads or writes a file: :func:`sim.shell.scenario_writer.write_inputs` does.
    """
    if text is None:
        doc = tomlkit.document()
    else:
        try:
            doc = tomlkit.parse(text)
        except tomlkit.exceptions.ParseError as exc:
            raise problem("", f"not valid TOML: {exc}", file) from None
    apply_updates(doc, updates, correlations, file, complete=all(key in doc for key in COMPLETE_SCENARIO))
    new_text = tomlkit.dumps(doc)
    raw = tomllib.loads(new_text)
    if all(key in raw for key in COMPLETE_SCENARIO):
        validate(raw, file, default_name=default_name)
    return new_text


def fragment(updates: Sequence[InputUpdate], correlations: Sequence[tuple[str, str, float]] = ()) -> str:
    """The TOML these updates would write into an empty file (what ``fit`` prints without ``--into``)."""
    doc = tomlkit.document()
    apply_updates(doc, updates, correlations, None)
    return tomlkit.dumps(doc)


def apply_updates(
    doc: TOMLDocument,
    updates: Sequence[InputUpdate],
    correlations: Sequence[tuple[str, str, float]],
    file: str | None,
    complete: bool = False,
) -> None:
    """Apply every update and correlation to a parsed document, in place. In a ``complete`` scenario an
    update never starts a segment or an intervention (a typo would become a new, empty one)."""
    for update in updates:
        if update.path.startswith(REVIEW):
            _set_review(doc, update.path.removeprefix(REVIEW), update.spec)
            continue
        if complete:
            _require_named(doc, update.path, file)
        if update.spec is None:
            _set_review(doc, update.path, None)  # a removed input's review goes with it
        if update.path.endswith(ADD_OR_REPLACE):
            _add_or_replace(doc, update, file)
        else:
            _set(doc, update, file)
    for first, second, rank in correlations:
        _correlate(doc, first, second, rank, file)


NAMED = {"segments": "segment", "interventions": "intervention"}
REVIEW = "review."
"""Path prefix of a model review entry: ``review.segments.retail.churn_mix`` is the table
``[review."segments.retail.churn_mix"]`` (the input's whole path is one quoted key; :mod:`sim.fit.review`)."""


def _set_review(doc: TOMLDocument, path: str, spec: dict | None) -> None:
    """Write (or, with ``spec=None``, remove) the review of the input at ``path``: a table with its own header under
    ``[review]``, replacing an older review of the same input; an empty ``[review]`` goes."""
    if spec is None:
        if "review" in doc and path in doc["review"]:
            del doc["review"][path]
            if not doc["review"]:
                del doc["review"]
        return
    if "review" not in doc:
        doc.add(tomlkit.nl())
        doc.add(tomlkit.comment("The model review of fitted inputs (cxroi fit; docs/fitting.md#the-model-review); "
                                "cxroi run --memo reports it."))
        doc["review"] = tomlkit.table(is_super_table=True)
    table = tomlkit.table()
    for name, value in spec.items():
        table[name] = _plain(value)
    doc["review"][path] = table


def _require_named(doc: TOMLDocument, path: str, file: str | None) -> None:
    """Refuse a path through a segment or intervention the scenario does not have (with a suggestion)."""
    steps = split_path(path.removesuffix(ADD_OR_REPLACE))
    if len(steps) >= 2 and steps[0] in NAMED and steps[1] not in doc.get(steps[0], {}):
        names = list(doc.get(steps[0], {}))
        raise problem("", f"no {NAMED[steps[0]]} '{steps[1]}' in the scenario{did_you_mean(str(steps[1]), names)} "
                          f"(it has {', '.join(names)})", file)


def _set(doc: TOMLDocument, update: InputUpdate, file: str | None) -> None:
    steps = split_path(update.path)
    if not steps or not isinstance(steps[-1], str):
        raise problem(update.path, "this path does not name a parameter", file)
    node = _walk(doc, steps[:-1], update.path, file)
    if update.spec is None:
        node.pop(steps[-1], None)
        return
    node[steps[-1]] = _item(update.spec, update.comment)


def _add_or_replace(doc: TOMLDocument, update: InputUpdate, file: str | None) -> None:
    """``a.b.changes[+]``: append a table to the array, or replace the entry with the same ``path``."""
    if not isinstance(update.spec, dict) or "path" not in update.spec:
        raise problem(update.path, "an added entry must be a table with a 'path' key", file)
    steps = split_path(update.path.removesuffix(ADD_OR_REPLACE))
    parent = _walk(doc, steps[:-1], update.path, file, headers=False)
    key = steps[-1]
    if key not in parent:
        parent[key] = tomlkit.aot()
    entries = parent[key]
    if not isinstance(entries, AoT):
        raise problem(update.path, "this path is not an array of tables", file)
    table = tomlkit.table()
    if update.comment:
        table.add(tomlkit.comment(update.comment))
    for name, value in update.spec.items():
        table[name] = _item(value, None)
    for index, entry in enumerate(entries):
        if entry.get("path") == update.spec["path"]:
            entries[index] = table
            return
    entries.append(table)


def _correlate(doc: TOMLDocument, first: str, second: str, rank: float, file: str | None) -> None:
    if not -1.0 <= rank <= 1.0:
        raise problem("correlations", f"rank {rank} is not allowed: must be between -1 and 1", file)
    if "correlations" not in doc:
        doc["correlations"] = tomlkit.aot()
    entries = doc["correlations"]
    table = tomlkit.table()
    table["between"] = [first, second]
    table["rank"] = rank
    for index, entry in enumerate(entries):
        if sorted(entry.get("between", [])) == sorted([first, second]):
            entries[index] = table
            return
    entries.append(table)


def _walk(doc: TOMLDocument, steps: list, path: str, file: str | None, headers: bool = True) -> Any:
    """The table at ``steps``, creating missing tables on the way: only the last gets its own [a.b.c]
    header (none with ``headers=False``, for a table that holds just an array of tables)."""
    node: Any = doc
    for depth, step in enumerate(steps):
        where = ".".join(str(s) for s in steps[: depth + 1])
        if isinstance(step, int):
            if not isinstance(node, (list, AoT)) or step >= len(node):
                raise problem(path, f"there is no '{where}' in the file", file)
            node = node[step]
            continue
        if not isinstance(node, (TOMLDocument, Table, InlineTable, dict)):
            raise problem(path, f"'{where}' is not a table", file)
        if step not in node:
            last = depth == len(steps) - 1
            node[step] = tomlkit.table(is_super_table=not (last and headers))
        node = node[step]
    return node


def _item(spec: Any, comment: str | None) -> Any:
    """A TOML item for a number, text, list or (uncertain-input) table; tables are written inline."""
    if isinstance(spec, dict):
        item = tomlkit.inline_table()
        for name, value in spec.items():
            item[name] = _plain(value)
    else:
        item = tomlkit.item(_plain(spec))
    if comment:
        item.comment(comment)
    return item


def _plain(value: Any) -> Any:
    """numpy scalars and tuples as plain Python (tomlkit writes only those)."""
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        inline = tomlkit.inline_table()
        inline.update({k: _plain(v) for k, v in value.items()})
        return inline
    return value
