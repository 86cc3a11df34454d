"""Scenario schema: the validated, immutable description of one business case.

A scenario file (TOML) is checked once at the edge into these pydantic models;
everything downstream trusts them. Every numeric parameter is an
:class:`~sim.model.distributions.Uncertain`, fixed or not, so sampling, the base case
and the memo treat all inputs alike.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal


from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    model_validator,
)

from sim.model.distributions import (
    ANY,
    DURATION,
    NON_NEGATIVE,
    PROBABILITY,
    Domain,
    INF,
    Uncertain,
    _parse_range,
    parse,
)
from sim.support.operations import MAX_AGENTS
from sim.support.response import DEFAULT as DEFAULT_CURVE

COUNT = Domain(0.0, float("inf"), "a count")
CUSTOMERS = Domain(0.0, INF, "the starting count of customers", whole=True)
AGENTS = Domain(0.0, MAX_AGENTS, "a number of agents on duty")
MONEY = Domain(0.0, float("inf"), "an amount of money")
MIXING = Domain(0.0, INF, "a mixing distribution's parameter", above=True)
MINUTES = Domain(0.0, INF, "a time in minutes", above=True)
DAYS = Domain(0.0, INF, "a number of days", above=True)
RESOLUTION = Domain(0.0, 1.0, "a share of contacts solved", above=True)


def _uncertain(domain: Domain) -> Any:
    """An annotated field type that parses any uncertain-value spec within ``domain``."""

    def validate(value: Any) -> Uncertain:
        if isinstance(value, Uncertain):
            return value
        return parse(value, domain)

    # The Domain rides along in the metadata so sim.model.inputs can clip changed values to it.
    return Annotated[
        Uncertain,
        PlainValidator(validate),
        PlainSerializer(lambda u: u.spec(), return_type=Any),
        domain,
    ]


Probability = _uncertain(PROBABILITY)
NonNegative = _uncertain(NON_NEGATIVE)
Count = _uncertain(COUNT)
Agents = _uncertain(AGENTS)
Money = _uncertain(MONEY)
Duration = _uncertain(DURATION)
Number = _uncertain(ANY)
Customers = _uncertain(CUSTOMERS)
Mixing = _uncertain(MIXING)
Minutes = _uncertain(MINUTES)
Days = _uncertain(DAYS)
Resolution = _uncertain(RESOLUTION)
# Every rule on a numeric parameter's values lives in its Domain (not in a validator), so the
# same rule holds wherever a value comes from: the file, --set, an intervention's change, a sweep.


def _exactly_one(options: dict[str, Any], allowed: str) -> None:
    """Raise unless exactly one of ``options`` is given (not None)."""
    given = [name for name, value in options.items() if value is not None]
    if len(given) != 1:
        raise ValueError(f"give exactly one of {allowed}; found {', '.join(given) if given else 'none'}")


class _Strict(BaseModel):
    """Base for every table: unknown keys are errors, instances are immutable."""

    # Strict: a number is a TOML number (true, "1" and ["1"] are refused, not converted), and
    # NaN or infinity never passes; text is allowed only where a distribution string is.
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, populate_by_name=True,
        strict=True, allow_inf_nan=False,
    )


class Settings(_Strict):
    """Run-wide settings: currency, time grid, discounting and Monte Carlo defaults."""

    name: str = ""
    description: str = ""
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    period: Literal["month", "year"] = "month"
    horizon: int = Field(ge=1, le=1200)
    discount_rate: float = Field(0.0, ge=0.0, lt=1.0)
    roi_basis: Literal["gross_profit", "revenue"] = "gross_profit"
    draws: int = Field(10_000, ge=1, le=10_000_000)
    seed: int = Field(1, ge=0)
    sampling: Literal["random", "lhs"] = "random"

    @property
    def periods_per_year(self) -> int:
        """12 for monthly periods, 1 for annual ones."""
        return 12 if self.period == "month" else 1


class Experience(_Strict):
    """How support contacts turn into good or bad experiences and what those change.

    Every key defaults to "no effect", so a segment without this table behaves as
    if support had no influence on buying or churn.
    """

    good: Probability = 0.0
    bad: Probability = 0.0
    walk_away: Probability = 0.0
    positive_uplift: NonNegative = 0.0
    negative_drop: Probability = 0.0
    positive_churn_reduction: Probability = 0.0
    negative_churn_increase: NonNegative = 0.0
    positive_duration: Duration = 1.0
    negative_duration: Duration = 1.0
    negative_contact_increase: NonNegative = 0.0

    @model_validator(mode="after")
    def _good_and_bad_fit(self) -> "Experience":
        total = self.good.base + self.bad.base
        if total > 1.0 + 1e-12:
            raise ValueError(
                f"good + bad = {total:g} at their base values; the two probabilities "
                "must add up to at most 1"
            )
        return self


CHURN_KEYS = ("churn", "monthly_churn", "annual_churn")


class _Mix(_Strict):
    """A mixing distribution's table: two parameters above 0 and an optional source for both.

    A ``source`` on the table becomes the source of each parameter that has none
    of its own, so manifests and memos cite it beside every input.
    """

    source: str = ""
    _parameters: tuple[str, str] = ("", "")

    @model_validator(mode="before")
    @classmethod
    def _source_to_parameters(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("source"), str) or not data["source"]:
            return data
        data = dict(data)
        for key in cls._parameters.default:
            value = data.get(key)
            if isinstance(value, bool):
                continue
            if isinstance(value, (int, float)):
                data[key] = {"value": value, "source": data["source"]}
            elif isinstance(value, str):
                try:
                    low, high = _parse_range(value)
                except ValueError:
                    continue
                data[key] = {"dist": "interval", "low": low, "high": high, "source": data["source"]}
            elif isinstance(value, dict) and "source" not in value:
                data[key] = {**value, "source": data["source"]}
        return data


class ChurnMix(_Mix):
    """Churn probability per period ~ Beta(alpha, beta) across customers: shifted-beta-geometric retention."""

    alpha: Mixing
    beta: Mixing
    _parameters = ("alpha", "beta")


class PurchaseMix(_Mix):
    """Purchase rate per period ~ Gamma(shape, rate) across customers: counts are negative binomial (NBD)."""

    shape: Mixing
    rate: Mixing
    _parameters = ("shape", "rate")


class DropoutMix(_Mix):
    """Non-contractual dropout (BG/NBD): after each purchase a customer leaves with p ~ Beta(a, b)."""

    a: Mixing
    b: Mixing
    _parameters = ("a", "b")


class Segment(_Strict):
    """One group of customers with its own size, buying, churn and support use.

    Churn is one of churn / monthly_churn / annual_churn (the same for every
    customer) or churn_mix (differs between customers); with a dropout_mix the
    churn keys are optional (customers then leave by dropping out only).
    Buying is purchases (one rate) or purchase_mix (rates differ).
    """

    label: str = ""
    customers: Customers
    arrivals: Count = 0.0
    churn: Probability | None = None
    monthly_churn: Probability | None = None
    annual_churn: Probability | None = None
    churn_mix: ChurnMix | None = None
    purchases: NonNegative | None = None
    purchase_mix: PurchaseMix | None = None
    dropout_mix: DropoutMix | None = None
    value_per_purchase: Money
    fee: Money = 0.0
    margin: Probability
    contacts: NonNegative = 0.0
    acquisition_cost: Money = 0.0
    referrals: NonNegative = 0.0
    deterrals: NonNegative = 0.0
    experience: Experience = Experience()

    @model_validator(mode="after")
    def _one_churn_key(self) -> "Segment":
        churn = {key: getattr(self, key) for key in CHURN_KEYS + ("churn_mix",)}
        problems = []
        for options, allowed in ((churn, "churn (per period), monthly_churn, annual_churn, churn_mix"),
                                 ({"purchases": self.purchases, "purchase_mix": self.purchase_mix}, "purchases, purchase_mix")):
            if options is churn and self.dropout_mix is not None and all(value is None for value in churn.values()):
                continue  # with a dropout mix, customers may leave by dropping out only
            try:
                _exactly_one(options, allowed)
            except ValueError as error:
                problems.append(str(error))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def churn_key(self) -> str | None:
        """Which churn key the file uses (its unit is converted to the period later); None without one."""
        return next((key for key in CHURN_KEYS + ("churn_mix",) if getattr(self, key) is not None), None)

    @property
    def has_mix(self) -> bool:
        """Whether customers of this segment differ in churn, buying or dropout."""
        return any(mix is not None for mix in (self.churn_mix, self.purchase_mix, self.dropout_mix))


class Channel(_Strict):
    """A support channel: its share of contacts and what one contact costs."""

    share: NonNegative
    cost_per_contact: Money


class Support(_Strict):
    """Support operations. Contact cost is the share-weighted mean over channels."""

    channels: dict[str, Channel] = {}


class Change(_Strict):
    """One change an intervention makes to a baseline parameter: set, scale or add."""

    path: str
    set_: Number | None = Field(None, alias="set")
    scale: NonNegative | None = None
    add: Number | None = None
    source: str = ""
    label: str = ""
    """Name of the change's operand for people (default: built from the intervention and the target)."""

    @model_validator(mode="after")
    def _one_operation(self) -> "Change":
        _exactly_one({name: self.operand_of(name) for name in ("set", "scale", "add")}, "set, scale, add")
        return self

    def operand_of(self, operation: str) -> Uncertain | None:
        return {"set": self.set_, "scale": self.scale, "add": self.add}[operation]

    @property
    def operation(self) -> str:
        """'set', 'scale' or 'add'."""
        return next(name for name in ("set", "scale", "add") if self.operand_of(name) is not None)

    @property
    def operand(self) -> Uncertain:
        return self.operand_of(self.operation)


class PatternChange(_Strict):
    """New opening-hour patterns for one channel (longer days, other staffing), from the start period."""

    arrival_pattern: list[float] | None = None
    staffing_pattern: list[float] | None = None
    weekday_pattern: list[float] | None = None


class Intervention(_Strict):
    """A named change to the baseline, with its timing and its own costs."""

    label: str = ""
    description: str = ""
    start: int = Field(1, ge=1)
    ramp: int = Field(1, ge=1)
    one_off_cost: Money = 0.0
    recurring_cost: Money = 0.0
    changes: list[Change] = []
    opening: dict[str, PatternChange] = {}


class OpsChannel(_Strict):
    """A human support channel: staffing by hour, handling, patience, resolution and agent cost."""

    share: NonNegative = 1.0
    agents: Agents
    arrival_pattern: list[float] = Field(default_factory=lambda: [1.0] * 8)
    staffing_pattern: list[float] | None = None
    weekday_pattern: list[float] = Field(default_factory=lambda: [1.0])
    days_per_period: Days | None = None
    handling_minutes: Minutes
    handling_cv: float = Field(1.0, gt=0.0, le=3.0)
    patience_minutes: NonNegative | None = None
    first_contact_resolution: Resolution = 1.0
    cost_per_agent_hour: Money

    @model_validator(mode="after")
    def _patterns_fit(self) -> "OpsChannel":
        if not self.arrival_pattern or min(self.arrival_pattern) < 0 or sum(self.arrival_pattern) <= 0:
            raise ValueError("arrival_pattern needs one non-negative weight per open hour, not all zero")
        if self.staffing_pattern is not None and (
            len(self.staffing_pattern) != len(self.arrival_pattern) or min(self.staffing_pattern) < 0
        ):
            raise ValueError(
                f"staffing_pattern needs {len(self.arrival_pattern)} non-negative numbers, one per open hour "
                "of arrival_pattern"
            )
        if not self.weekday_pattern or min(self.weekday_pattern) <= 0:
            raise ValueError("weekday_pattern needs one positive weight per open day of the week")
        return self

    def staffing(self) -> tuple[float, ...]:
        """Relative agents per open hour (all 1 when not given)."""
        return tuple(self.staffing_pattern or [1.0] * len(self.arrival_pattern))


class SelfServiceSpec(_Strict):
    """An automated first line: the share it takes, the share it solves, what it costs."""

    deflection: Probability = 0.0
    resolution: Probability = 0.0
    cost_per_contact: Money = 0.0
    licence_per_period: Money = 0.0
    good_when_resolved: Probability = 0.3
    bad_when_unresolved: Probability = 0.25


class ResponseSpec(_Strict):
    """How waiting and resolution become good and bad experiences (defaults: fitted to the ten companies of "Hur viktig är kundsupport…")."""

    intercept: Number = DEFAULT_CURVE.intercept
    slope: Number = DEFAULT_CURVE.slope
    abandoned_bad: Probability = 1.0
    unresolved_bad: Probability = 0.5
    dissatisfied_bad: Probability = 0.3


class OperationsSpec(_Strict):
    """Support operations that set the good and bad experience shares and the support cost."""

    channels: dict[str, OpsChannel] = Field(min_length=1)
    self_service: SelfServiceSpec = SelfServiceSpec()
    response: ResponseSpec = ResponseSpec()
    proactive_prevention: Probability = 0.0
    proactive_cost_per_period: Money = 0.0


class Correlation(_Strict):
    """A rank (Spearman) correlation between two uncertain inputs."""

    between: tuple[str, str] = Field(strict=False)  # a TOML array of two paths
    rank: float = Field(ge=-1.0, le=1.0)


class PortfolioSpec(_Strict):
    """Which interventions may be chosen together (``cxroi portfolio``).

    ``combinable`` names the interventions that may be combined with others
    (default: every one); one not named may still be chosen alone.
    ``exclusive`` lists groups of which at most one may be chosen (e.g. two sizes
    of the same team). Names are checked against ``[interventions]``
    (:func:`sim.model.inputs.check_references`).
    """

    combinable: list[str] | None = None
    exclusive: list[list[str]] = []


REVIEW_CHECKS = ("holdout", "predictive", "estimate", "designs")
"""The model review's checks of a fitted input (:mod:`sim.fit.review`), in the order they are shown."""
_CHECK_TEXT = r"^(ok|warn|fail|n/a): \S"


class InputReview(_Strict):
    """What ``cxroi fit``'s model review found for one fitted input (``[review."segments.retail.churn_mix"]``):
    the fit it came from, and per check its status (ok, warn, fail, n/a) and why, as ``"warn: ..."``.
    ``cxroi run --memo`` reports it under "How much to trust the inputs"."""

    fit: str = Field(min_length=1)
    holdout: str = Field(pattern=_CHECK_TEXT)
    predictive: str = Field(pattern=_CHECK_TEXT)
    estimate: str = Field(pattern=_CHECK_TEXT)
    designs: str = Field(pattern=_CHECK_TEXT)


class Scenario(_Strict):
    """A whole business case: settings, segments, support, interventions, correlations."""

    settings: Settings
    segments: dict[str, Segment] = Field(min_length=1)
    support: Support = Support()
    operations: OperationsSpec | None = None
    interventions: dict[str, Intervention] = Field(min_length=1)
    correlations: list[Correlation] = []
    portfolio: PortfolioSpec | None = None
    review: dict[str, InputReview] | None = None

    @model_validator(mode="after")
    def _reviews_name_inputs_of_this_scenario(self) -> "Scenario":
        for path in self.review or {}:
            parts = path.split(".")
            if parts[0] not in ("segments", "operations", "interventions", "support") or len(parts) < 2:
                raise ValueError(f"review.{path}: not an input's path (e.g. segments.retail.churn_mix)")
            if parts[0] in ("segments", "interventions") and parts[1] not in getattr(self, parts[0]):
                raise ValueError(f"review.{path}: the scenario has no {parts[0][:-1]} '{parts[1]}'")
        return self

    @model_validator(mode="after")
    def _operations_replace_stated_experiences(self) -> "Scenario":
        if self.operations is None:
            for name, intervention in self.interventions.items():
                if intervention.opening:
                    raise ValueError(f"interventions.{name}.opening: opening-hour changes need an [operations] section")
            return self
        for name, segment in self.segments.items():
            stated = [key for key in ("good", "bad") if key in segment.experience.model_fields_set]
            if stated:
                raise ValueError(
                    f"segments.{name}.experience.{stated[0]}: with an [operations] section the shares of good and "
                    "bad contacts come from waiting and resolution; remove this key"
                )
        for name, intervention in self.interventions.items():
            for channel, change in intervention.opening.items():
                if channel not in self.operations.channels:
                    raise ValueError(f"interventions.{name}.opening.{channel}: no such channel in [operations.channels]")
                merged = {**self.operations.channels[channel].model_dump(), **change.model_dump(exclude_none=True)}
                if "staffing_pattern" not in change.model_fields_set and change.arrival_pattern is not None:
                    merged["staffing_pattern"] = None  # new hours, staffed evenly unless stated
                try:
                    OpsChannel.model_validate(merged)
                except ValidationError as error:
                    raise ValueError(f"interventions.{name}.opening.{channel}: {error.errors()[0]['msg'].removeprefix('Value error, ')}") from None
        if self.support.channels:
            raise ValueError(
                "support.channels: with an [operations] section support cost comes from operations.channels; "
                "remove [support.channels]"
            )
        return self

    @property
    def segment_names(self) -> list[str]:
        return list(self.segments)

    @property
    def intervention_names(self) -> list[str]:
        return list(self.interventions)
