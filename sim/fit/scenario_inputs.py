"""What the ``fit`` commands write into a scenario, as data: which keys, with what distribution, replacing what.

Per segment (the data's segment, or the scenario segment it is mapped to with
``--segment-map``, :func:`segment_targets`):

* ``fit customers``: ``churn_mix`` (sBG alpha, beta) replacing any churn key;
  when churn shows no heterogeneity, ``monthly_churn`` / ``annual_churn``
  (the geometric estimate) replacing ``churn_mix``.
* ``fit orders --customers FILE`` (contractual): ``purchase_mix`` (NBD shape r,
  rate alpha per period) replacing ``purchases``, or ``purchases`` (the Poisson
  rate) when rates do not differ; ``value_per_purchase`` from Gamma-Gamma.
* ``fit orders`` alone (non-contractual): ``purchase_mix`` and ``dropout_mix``
  (BG/NBD r, alpha, a, b), replacing ``purchases`` and any churn key (in the
  BG/NBD customers leave by dropping out); ``value_per_purchase``.

Every parameter is written as its sampling distribution: an ``interval`` of
95 % confidence between the Wald limits on the log scale, which the scenario
reads as the lognormal with median the estimate and log-sd se / estimate (the
asymptotic distribution the fits' intervals use). Where the two parameters of
one mix are correlated beyond ``STRONG_CORRELATION``, a ``[[correlations]]``
rank correlation is added: for a bivariate normal with correlation rho (here
the log-parameters, whose correlation equals the estimates' to first order)
Spearman's rank correlation is ``6 / pi * asin(rho / 2)`` (Pearson 1907,
Kruskal 1958), and ranks do not change under the exp to the lognormal.

The target scenario comes in as its parsed TOML (``scenario``, None when there
is none yet) and its name (``into``, for messages): nothing here reads a file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.errors import UsageError
from sim.fit.checks import ALL
from sim.fit.scenario_edit import InputUpdate

STRONG_CORRELATION = 0.3
"""|Pearson correlation| of two estimates above which --into adds their rank correlation."""

CHURN_KEYS = ("churn", "monthly_churn", "annual_churn", "churn_mix")
PER_PERIOD_CHURN = {"month": "monthly_churn", "year": "annual_churn"}


def spearman_from_pearson(rho: float) -> float:
    """Spearman rank correlation of a bivariate normal with Pearson correlation ``rho``: 6/pi asin(rho/2)."""
    return 6.0 / math.pi * math.asin(rho / 2.0)


def resolve_period(option: str | None, scenario: dict | None, into=None) -> str:
    """The period to fit in: ``option`` (--period), else the target scenario's settings.period, else month.

    A scenario in another period is refused rather than converted: a Beta mix of
    monthly churn is not a Beta mix of annual churn (nor a Gamma mix of monthly
    rates exactly one of annual rates once customers also leave), so there is no
    exact conversion.
    """
    scenario_period = scenario.get("settings", {}).get("period", "month") if scenario and "settings" in scenario else None
    if option is None:
        return scenario_period or "month"
    if scenario_period and scenario_period != option:
        raise UsageError(
            f"{into}: settings.period is '{scenario_period}' but --period is '{option}'; fit with --period {scenario_period} "
            f"(the fits cannot be converted exactly between months and years) or write into a scenario whose period is {option}"
        )
    return option


def segment_targets(names: list[str], segment_map: dict[str, str], scenario: dict | None, into=None) -> dict[str, str]:
    """Data segment -> scenario segment: ``segment_map``, else the same name; a table without segments ('all')
    goes to the scenario's only segment. Names the scenario does not have are refused when it has segments."""
    existing = list(scenario.get("segments", {})) if scenario else []
    unknown = sorted(set(segment_map) - set(names))
    if unknown:
        raise UsageError(f"--segment-map: the data have no segment '{unknown[0]}'; segments in the data: {', '.join(names)}")
    targets = {}
    for name in names:
        target = segment_map.get(name, name)
        if name == ALL and name not in segment_map and len(existing) == 1:
            target = existing[0]
        if existing and target not in existing:
            hint = "the data have no segment column; name" if name == ALL else f"map data segment '{name}' to"
            raise UsageError(f"{into}: the scenario has no segment '{target}' (it has: {', '.join(existing)}); {hint} "
                             f"one with --segment-map {name}=SEGMENT")
        targets[name] = target
    return targets


def written(x: float) -> float:
    """A fitted number as every fit writes it into a scenario: 6 significant digits.

    With 4, a limit such as 0.11346 was written 0.1135, which the memo and the review then showed as
    0.114 where the fit itself printed 0.113; at 6 the three-digit displays agree but where digits 4-6 are
    exactly 500.
    """
    return float(f"{x:.6g}")


def interval_spec(estimate: float, low: float, high: float, source: str | None = None) -> dict:
    """An uncertain input for an estimate: its 95 % interval (a lognormal through the two limits)."""
    spec = {"dist": "interval", "low": written(low), "high": written(high), "confidence": 0.95, "base": written(estimate)}
    if source:
        spec["source"] = source
    return spec


@dataclass
class Writes:
    """What a fit writes into a scenario: updates (None removes a key), correlations, and notes to print."""

    updates: list = field(default_factory=list)
    correlations: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def set(self, path: str, spec, comment: str | None = None) -> None:
        self.updates.append(InputUpdate(path, spec, comment))

    def remove(self, scenario: dict | None, segment: str, keys: tuple[str, ...], why: str) -> None:
        """Remove the keys of a segment the new ones replace (only those the scenario has; each said in a note)."""
        present = scenario.get("segments", {}).get(segment, {}) if scenario else {}
        for key in keys:
            if key in present:
                self.set(f"segments.{segment}.{key}", None)
                self.notes.append(f"segments.{segment}.{key} removed: {why}")

    def mix(self, prefix: str, names: tuple[str, str], estimates, source: str, comment: str) -> None:
        """A mix table's two parameters as intervals, its source, and their rank correlation when strong."""
        for name in names:
            low, high = estimates.interval(fit_name(name))
            self.set(f"{prefix}.{name}", interval_spec(estimates.value(fit_name(name)), low, high), comment if name == names[0] else None)
        self.set(f"{prefix}.source", source)
        index = [estimates.names.index(fit_name(name)) for name in names]
        rho = float(estimates.correlation[index[0], index[1]])
        if abs(rho) > STRONG_CORRELATION:
            self.correlations.append((f"{prefix}.{names[0]}", f"{prefix}.{names[1]}", round(spearman_from_pearson(rho), 3)))

    @property
    def written(self) -> list:
        """The updates that set something (what a fragment shows; removals only apply to an existing file)."""
        return [u for u in self.updates if u.spec is not None]

    def correlation_rows(self) -> list[dict]:
        """The correlations as the reports' JSON has them."""
        return [{"between": [a, b], "rank": r} for a, b, r in self.correlations]


def fit_name(name: str) -> str:
    """Scenario names of mix parameters -> the fits' names (purchase_mix shape/rate are the NBD's r/alpha)."""
    return {"shape": "r", "rate": "alpha"}.get(name, name)
