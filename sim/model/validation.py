"""A parsed scenario table into a validated :class:`Scenario`, with errors a person can act on.

Works on data already read (a dict from TOML): ``--set`` overrides are applied to the
raw table, pydantic's errors become one line each naming the parameter path and what is
allowed, and cross-references are checked. Reading the file is the shell's job
(:mod:`sim.shell.loader`).
"""

from __future__ import annotations

import copy
import re
import tomllib
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError, did_you_mean, problem
from sim.model.distributions import plain_number
from sim.model.domains import base_value_problems
from sim.model.growth import population_problems
from sim.model.inputs import check_references, dropout_problems
from sim.model.scenario import Scenario


@dataclass(frozen=True)
class Loaded:
    """A validated scenario with where it came from (for the results manifest)."""

    scenario: Scenario
    file: str
    sha256: str
    text: str
    overrides: tuple[str, ...]


def validate(raw: dict, file: str | None = None, default_name: str = "scenario") -> Scenario:
    """Turn a parsed TOML table into a Scenario or raise ScenarioError with every problem."""
    raw = dict(raw)
    settings = raw.get("settings")
    if isinstance(settings, dict) and not settings.get("name"):
        raw["settings"] = {**settings, "name": default_name}
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_problems(exc), file) from None
    problems = check_references(scenario)
    problems = problems or base_value_problems(scenario)
    problems = problems or dropout_problems(scenario)
    problems = problems or population_problems(scenario)
    if problems:
        raise ScenarioError(problems, file)
    return scenario


# --- overrides -------------------------------------------------------------------------

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    """``interventions.x.changes[0].scale`` -> ['interventions', 'x', 'changes', 0, 'scale']."""
    steps: list[str | int] = []
    for part in path.split("."):
        for name, index in _STEP.findall(part):
            steps.append(int(index) if index else (int(name) if name.isdigit() else name))
    return steps


def parse_value(text: str) -> Any:
    """A ``--set`` value as TOML (number, string, inline table, array); else the bare text."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def apply_overrides(raw: dict, overrides: list[str] | tuple[str, ...], file: str) -> dict:
    """Apply ``PATH=VALUE`` overrides to the raw table (before validation, so they are checked too)."""
    raw = copy.deepcopy(raw)
    for override in overrides:
        path, sep, text = override.partition("=")
        path = path.strip()
        if not sep or not path:
            raise problem("--set", f"'{override}' is not PATH=VALUE, e.g. segments.b2b.margin=0.4", file)
        steps = split_path(path)
        node: Any = raw
        for depth, step in enumerate(steps[:-1]):
            where = ".".join(str(s) for s in steps[: depth + 1])
            if isinstance(node, dict) and isinstance(step, str):
                if step not in node:
                    prefix = where.rpartition(".")[0]
                    candidates = [f"{prefix}.{key}" if prefix else str(key) for key in node]
                    raise problem(path, f"--set: there is no '{where}' in the scenario{did_you_mean(where, candidates)}", file)
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and step < len(node):
                node = node[step]
            else:
                raise problem(path, f"--set: there is no '{where}' in the scenario", file)
        last = steps[-1]
        if isinstance(node, dict) and isinstance(last, str):
            node[last] = parse_value(text)
        elif isinstance(node, list) and isinstance(last, int) and last < len(node):
            node[last] = parse_value(text)
        else:
            raise problem(path, "--set: this path does not name a parameter", file)
    return raw


# --- pydantic errors -> one line each ---------------------------------------------------


def dotted(loc: tuple) -> str:
    """('interventions', 'x', 'changes', 0, 'scale') -> 'interventions.x.changes[0].scale'."""
    text = ""
    for step in loc:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += ("." if text else "") + str(step)
    return text


def _problems(exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc = tuple(step for step in error["loc"] if not _is_union_tag(step))
        problems.append(_one_problem(error, loc))
    return list(dict.fromkeys(problems))


def _is_union_tag(step: Any) -> bool:
    """pydantic puts member names of Optional[...] unions into locations; they are not keys."""
    return isinstance(step, str) and ("[" in step or step in {"function-plain", "none"})


_COMPARISONS = {
    "greater_than_equal": ("ge", "{} or more"),
    "greater_than": ("gt", "more than {}"),
    "less_than_equal": ("le", "{} or less"),
    "less_than": ("lt", "below {}"),
}


def _one_problem(error: dict, loc: tuple) -> Problem:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx", {})
    if kind == "missing":
        return Problem(dotted(loc[:-1]), f"missing required key '{loc[-1]}'")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        hint = did_you_mean(str(loc[-1]), allowed) or "."
        listing = f" Allowed: {', '.join(allowed)}" if allowed else ""
        return Problem(dotted(loc[:-1]), f"unknown key '{loc[-1]}'{hint}{listing}")
    if kind == "value_error":
        return Problem(dotted(loc), str(ctx.get("error", error["msg"])))
    if kind == "literal_error":
        shown = plain_number(value) if isinstance(value, float) else repr(value)
        return Problem(dotted(loc), f"{shown} is not allowed: must be {ctx.get('expected')}")
    if kind in _COMPARISONS:
        key, words = _COMPARISONS[kind]
        return Problem(dotted(loc), f"{value!r} is not allowed: must be {words.format(ctx.get(key))}")
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return Problem(dotted(loc), f"expected a whole number, got {value!r}")
    if kind == "finite_number":
        return Problem(dotted(loc), f"{plain_number(float(value))} is not allowed: must be a finite number")
    if kind in {"float_type", "float_parsing"}:
        return Problem(dotted(loc), f"expected a number, got {value!r}")
    if kind in {"string_type"}:
        return Problem(dotted(loc), f"expected a text string, got {value!r}")
    if kind == "string_pattern_mismatch" and loc and loc[-1] == "currency":
        return Problem(dotted(loc), f"{value!r} is not allowed: a currency is a three-letter ISO code such as EUR or SEK")
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return Problem(dotted(loc), f"expected a table, got {value!r}")
    if kind in {"list_type", "tuple_type"}:
        return Problem(dotted(loc), f"expected an array, got {value!r}")
    if kind == "too_short":
        return Problem(dotted(loc), f"needs at least {ctx.get('min_length', 1)} entry")
    if kind in {"too_long"}:
        return Problem(dotted(loc), f"has too many entries: at most {ctx.get('max_length')}")
    return Problem(dotted(loc), error["msg"])


def _allowed_keys(loc: tuple) -> list[str]:
    """The keys a table at ``loc`` accepts, found by walking the schema."""
    model: Any = Scenario
    for step in loc:
        model = _strip_optional(model)
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = _field_by_key(model, str(step))
            if field is None:
                return []
            model = field.annotation
        else:
            origin = typing.get_origin(model)
            args = typing.get_args(model)
            if origin in (dict, list) and args:
                model = args[-1]
            else:
                return []
    model = _strip_optional(model)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [field.alias or name for name, field in model.model_fields.items()]
    return []


def _field_by_key(model: type[BaseModel], key: str):
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _strip_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    if origin is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation
