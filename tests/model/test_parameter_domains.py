"""One rule for every numeric parameter, derived from the schema: a value its domain refuses is refused
wherever it comes from — the file or ``--set``, an intervention's set / scale / add, a swept value.

The schema is walked for every field that carries a Domain (present and future), and the two scenarios
below must cover each of them; every covered path is then moved just outside its domain by each route.
"""

from __future__ import annotations

import copy
import math
import re
import types
import typing

import pytest
from pydantic import BaseModel

from sim.errors import ScenarioError
from sim.model.distributions import Domain
from sim.model.domains import check_pinned
from sim.model.inputs import FIXED_BY_INTERVENTIONS, all_inputs, baseline_inputs
from sim.model.scenario import Scenario
from sim.model.validation import apply_overrides, validate

SETTINGS = {"name": "t", "currency": "EUR", "horizon": 12, "draws": 100, "seed": 1}
EXPERIENCE = {"good": 0.4, "bad": 0.2, "walk_away": 0.3, "positive_uplift": 0.1, "negative_drop": 0.3,
              "positive_churn_reduction": 0.2, "negative_churn_increase": 0.5, "positive_duration": 6.0,
              "negative_duration": 8.0, "negative_contact_increase": 0.4}
COSTS = {"one_off_cost": 1000.0, "recurring_cost": 50.0,
         "changes": [{"path": "segments.a.margin", "set": 0.5}, {"path": "segments.a.contacts", "scale": 0.9},
                     {"path": "segments.a.fee", "add": 1.0}]}
SEGMENT = {"customers": 1000, "arrivals": 10.0, "value_per_purchase": 30.0, "fee": 2.0, "margin": 0.4,
           "contacts": 0.2, "acquisition_cost": 20.0, "referrals": 0.01, "deterrals": 0.01, "experience": EXPERIENCE}
PLAIN = {
    "settings": SETTINGS,
    "segments": {
        "a": {**SEGMENT, "churn_mix": {"alpha": 2.0, "beta": 30.0}, "purchase_mix": {"shape": 2.0, "rate": 4.0},
              "dropout_mix": {"a": 1.0, "b": 20.0}},
        "b": {**SEGMENT, "churn": 0.03, "purchases": 0.5},
        "c": {**SEGMENT, "monthly_churn": 0.03, "purchases": 0.5},
        "d": {**SEGMENT, "annual_churn": 0.3, "purchases": 0.5},
    },
    "support": {"channels": {"phone": {"share": 0.6, "cost_per_contact": 5.0}}},
    "interventions": {"x": COSTS},
}
OPERATIONS = {
    "settings": SETTINGS,
    "segments": {"a": {**SEGMENT, "monthly_churn": 0.03, "purchases": 0.5,
                         "experience": {k: v for k, v in EXPERIENCE.items() if k not in ("good", "bad")}}},
    "operations": {
        "channels": {"phone": {"share": 1.0, "agents": 3.0, "days_per_period": 21.0, "handling_minutes": 6.0,
                               "patience_minutes": 5.0, "first_contact_resolution": 0.7, "cost_per_agent_hour": 30.0}},
        "self_service": {"deflection": 0.2, "resolution": 0.5, "cost_per_contact": 0.5, "licence_per_period": 100.0,
                         "good_when_resolved": 0.3, "bad_when_unresolved": 0.25},
        "response": {"intercept": -1.0, "slope": 0.5, "abandoned_bad": 0.9, "unresolved_bad": 0.5,
                     "dissatisfied_bad": 0.3},
        "proactive_prevention": 0.1, "proactive_cost_per_period": 100.0,
    },
    "interventions": {"x": {**COSTS, "changes": [{"path": "segments.a.margin", "set": 0.5}]}},
}


def _domain_fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every numeric parameter of the schema as a pattern (``segments.*.churn_mix.alpha``): each field whose
    type carries a Domain, found by walking the pydantic models from Scenario down."""
    found: set[str] = set()
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        found |= _walk(field.annotation, list(field.metadata), key)
    return found


def _walk(annotation, metadata, key: str) -> set[str]:
    if any(isinstance(item, Domain) for item in [*metadata, *getattr(annotation, "__metadata__", ())]):
        return {key}
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _domain_fields(annotation, f"{key}.")
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_walk(arg, [], key) for arg in args if arg is not type(None)))
    if origin is dict:
        return _walk(args[1], [], f"{key}.*")
    if origin is list:
        return _walk(args[0], [], f"{key}[*]")
    return set()


def _pattern(path: str, scenario: Scenario) -> str:
    steps = path.split(".")
    if steps[0] in ("segments", "interventions") or steps[:2] in (["support", "channels"], ["operations", "channels"]):
        at = 1 if steps[0] in ("segments", "interventions") else 2
        steps[at] = "*"
    return re.sub(r"\[\d+\]", "[*]", ".".join(steps))


def _scenarios():
    return [validate(copy.deepcopy(PLAIN), "t.toml"), validate(copy.deepcopy(OPERATIONS), "t.toml")]


def test_the_two_scenarios_cover_every_numeric_parameter_of_the_schema():
    schema = _domain_fields(Scenario)
    covered = {_pattern(path, scenario) for scenario in _scenarios() for path in all_inputs(scenario)}
    assert "segments.*.churn_mix.alpha" in schema and "operations.channels.*.handling_minutes" in schema
    assert schema - covered == set(), "add the new parameters to PLAIN or OPERATIONS"


PROBES = (-0.5, 0.0, 0.5, 1.5)
"""Values tried on every parameter besides those just outside its domain: refusing one must not depend on the route."""


def _outside(domain: Domain) -> list[float]:
    """Values just outside the domain: its lowest bound when that is not allowed, else a little below; a little above its highest."""
    values = []
    if math.isfinite(domain.low):
        values.append(domain.low if domain.above else domain.low - 0.5)
    if math.isfinite(domain.high):
        values.append(domain.high + 0.5)
    return values


def _refused(raw: dict, where: str) -> bool:
    try:
        validate(raw, "t.toml")
    except ScenarioError as error:
        return where in [problem.path for problem in error.problems]
    return False


def _cases():
    for raw in (PLAIN, OPERATIONS):
        scenario = validate(copy.deepcopy(raw), "t.toml")
        for path, item in baseline_inputs(scenario).items():
            for value in sorted({*_outside(item.domain), *PROBES}):
                yield pytest.param(raw, path, value, id=f"{'ops' if raw is OPERATIONS else 'plain'}:{path}={value:g}")


@pytest.mark.parametrize("raw, path, value", list(_cases()))
def test_a_parameter_value_is_refused_from_every_route_exactly_when_the_file_refuses_it(raw, path, value):
    """The file (--set), an intervention's set, scale and add, and a pinned (swept) value, all alike;
    and every value outside the parameter's domain is among the refused."""
    scenario = validate(copy.deepcopy(raw), "t.toml")
    domain = baseline_inputs(scenario)[path].domain
    in_file = _refused(apply_overrides(raw, [f"{path}={value!r}"], "t.toml"), path)
    assert in_file or domain.contains(value)
    base = baseline_inputs(scenario)[path].dist.base
    try:
        check_pinned(scenario, {path: value}, "--values")
        pinned = False
    except ScenarioError as error:
        pinned = True
        assert all("--values" in problem.message for problem in error.problems)
    assert pinned == in_file
    if path.rsplit(".", 1)[-1] in FIXED_BY_INTERVENTIONS:
        return
    operands = {"set": value, "add": value - base}
    if base > 0 and value / base >= 0:
        operands["scale"] = value / base
    for operation, operand in operands.items():
        changed = copy.deepcopy(raw)
        changed["interventions"]["x"]["changes"] = [{"path": path, operation: operand}]
        assert _refused(changed, f"interventions.x.changes[0].{operation}") == in_file, operation
