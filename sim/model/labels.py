"""Names of inputs and options for people: "Share of bad contacts, business customers".

Every table, figure and memo shows an input by a name in words; the dotted path
(``segments.b2b.experience.bad``) stays the key in JSON, CSV and the Python API.
A name is the scenario's own ``label`` on the input's table or on an
intervention's change when it gives one, else built from the segment's,
channel's and intervention's labels and a readable name per key. Two inputs
never share a name: a name given twice gets its path appended.
"""

from __future__ import annotations

import re

from sim.model.inputs import all_inputs
from sim.model.scenario import Scenario

BASELINE = "Today (no change)"
"""How the arm without any intervention is shown."""

SEGMENT_KEYS = {
    "customers": "Customers at the start",
    "arrivals": "New customers per {period}",
    "churn": "Churn per {period}",
    "monthly_churn": "Monthly churn",
    "annual_churn": "Annual churn",
    "purchases": "Purchases per customer per {period}",
    "value_per_purchase": "Value per purchase",
    "fee": "Fee per customer per {period}",
    "margin": "Gross margin",
    "contacts": "Support contacts per customer per {period}",
    "acquisition_cost": "Acquisition cost per new customer",
    "experience.good": "Share of good contacts",
    "experience.bad": "Share of bad contacts",
    "experience.walk_away": "Walk-away after a bad contact",
    "experience.positive_uplift": "Extra buying while positive",
    "experience.negative_drop": "Less buying while negative",
    "experience.positive_churn_reduction": "Lower churn while positive",
    "experience.negative_churn_increase": "Higher churn while negative",
    "experience.positive_duration": "Periods a good experience lasts",
    "experience.negative_duration": "Periods a bad experience lasts",
    "experience.negative_contact_increase": "Extra contacts while negative",
    "churn_mix.alpha": "Churn spread across customers: Beta alpha",
    "churn_mix.beta": "Churn spread across customers: Beta beta",
    "purchase_mix.shape": "Purchase-rate spread across customers: Gamma shape",
    "purchase_mix.rate": "Purchase-rate spread across customers: Gamma rate per {period}",
    "dropout_mix.a": "Drop-out after a purchase: Beta a",
    "dropout_mix.b": "Drop-out after a purchase: Beta b",
    "referrals": "New customers referred per positive customer per {period}",
    "deterrals": "Prospects deterred per negative customer per {period}",
}
CHANNEL_KEYS = {
    "share": "Share of contacts by {channel}",
    "cost_per_contact": "Cost per {channel} contact",
}
OPERATIONS_CHANNEL_KEYS = {
    "share": "Share of human contacts by {channel}",
    "agents": "{Channel} agents on duty",
    "days_per_period": "{Channel} open days per {period}",
    "handling_minutes": "{Channel} handling time (minutes)",
    "patience_minutes": "{Channel} caller patience (minutes)",
    "first_contact_resolution": "{Channel} first-contact resolution",
    "cost_per_agent_hour": "{Channel} cost per agent hour",
}
OPERATIONS_KEYS = {
    "self_service.deflection": "Share of contacts self-service takes",
    "self_service.resolution": "Share of self-service contacts solved",
    "self_service.cost_per_contact": "Self-service cost per contact",
    "self_service.licence_per_period": "Self-service licence per {period}",
    "self_service.good_when_resolved": "Good experiences when self-service solves",
    "self_service.bad_when_unresolved": "Bad experiences when self-service fails",
    "response.intercept": "Response curve intercept",
    "response.slope": "Response curve slope",
    "response.abandoned_bad": "Bad experiences among abandoned contacts",
    "response.unresolved_bad": "Bad experiences among unresolved contacts",
    "response.dissatisfied_bad": "Bad experiences among dissatisfied contacts",
    "proactive_prevention": "Contacts prevented by proactive outreach",
    "proactive_cost_per_period": "Proactive outreach cost per {period}",
}
INTERVENTION_KEYS = {
    "one_off_cost": "one-off cost",
    "recurring_cost": "recurring cost per {period}",
}
MONEY_KEYS = frozenset({"value_per_purchase", "fee", "acquisition_cost", "cost_per_contact", "one_off_cost",
                        "recurring_cost", "cost_per_agent_hour", "licence_per_period", "proactive_cost_per_period"})
"""The keys whose value is an amount of money (the fields typed ``Money`` in :mod:`sim.model.scenario`)."""
OPERATIONS = {"set": "new value of", "scale": "factor on", "add": "change to"}
"""How an intervention's change reads before the name of what it changes."""

_CHANNEL_NAMES = {"email": "e-mail", "sms": "SMS"}
_CHANGE = re.compile(r"^interventions\.([^.]+)\.changes\[(\d+)\]\.(set|scale|add)$")


def input_labels(scenario: Scenario) -> dict[str, str]:
    """Every input of the scenario by path -> its name for people; no two names alike."""
    names = {path: _label(scenario, path, item.dist.label) for path, item in all_inputs(scenario).items()}
    return _unique(names)


def label_of(scenario: Scenario, path: str) -> str:
    """The name of one input path (any path, even one the scenario does not have, gets a readable name)."""
    return input_labels(scenario).get(path) or _label(scenario, path, None)


def option_labels(scenario: Scenario) -> dict[str, str]:
    """Each arm by id -> its name: the baseline and every intervention (its ``label``, else its id in words)."""
    return {"baseline": BASELINE, "do nothing": "Do nothing",
            **{name: spec.label or humanise(name) for name, spec in scenario.interventions.items()}}


def is_money(path: str) -> bool:
    """Whether an input path holds an amount of money (so it is written with the currency)."""
    return path.rsplit(".", 1)[-1] in MONEY_KEYS


def humanise(key: str) -> str:
    """'faster_response' -> 'Faster response'."""
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _label(scenario: Scenario, path: str, given: str | None) -> str:
    if given:
        return given
    period = scenario.settings.period
    parts = path.split(".")
    try:
        if parts[0] == "segments":
            return _segment_input(scenario, parts[1], ".".join(parts[2:]))
        if parts[0] == "support" and parts[1] == "channels":
            return _template(CHANNEL_KEYS, parts[3], period, _channel(parts[2]))
        if parts[0] == "operations" and parts[1] == "channels":
            return _template(OPERATIONS_CHANNEL_KEYS, ".".join(parts[3:]), period, _channel(parts[2]))
        if parts[0] == "operations":
            return _template(OPERATIONS_KEYS, ".".join(parts[1:]), period)
        if parts[0] == "interventions":
            return _intervention_input(scenario, path, parts)
    except (KeyError, IndexError, ValueError):
        pass
    return path


def _segment_input(scenario: Scenario, segment: str, key: str) -> str:
    name = _template(SEGMENT_KEYS, key, scenario.settings.period)
    return f"{name}, {lower_first(scenario.segments[segment].label or segment)}"


def _intervention_input(scenario: Scenario, path: str, parts: list[str]) -> str:
    name = parts[1]
    option = scenario.interventions[name].label or humanise(name)
    match = _CHANGE.match(path)
    if match:
        change = scenario.interventions[name].changes[int(match.group(2))]
        if change.label:
            return change.label
        target = _label(scenario, change.path, None)
        return f"{option}: {OPERATIONS[match.group(3)]} {lower_first(target)}"
    return f"{option}: {_template(INTERVENTION_KEYS, '.'.join(parts[2:]), scenario.settings.period)}"


def _template(table: dict[str, str], key: str, period: str, channel: str = "") -> str:
    text = table.get(key) or humanise(key.rsplit(".", 1)[-1])
    return text.format(period=period, channel=channel, Channel=channel[:1].upper() + channel[1:])


def _channel(name: str) -> str:
    return _CHANNEL_NAMES.get(name, name.replace("_", " "))


def lower_first(text: str) -> str:
    """'Business customers' -> 'business customers', but 'B2B customers' and 'SMS' stay as they are."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _unique(names: dict[str, str]) -> dict[str, str]:
    """Append the path to every name that more than one input would show."""
    seen: dict[str, int] = {}
    for name in names.values():
        seen[name] = seen.get(name, 0) + 1
    return {path: (f"{name} ({path})" if seen[name] > 1 else name) for path, name in names.items()}
