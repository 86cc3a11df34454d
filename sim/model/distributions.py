"""One vocabulary for uncertain inputs: every numeric parameter becomes an :class:`Uncertain`.

A scenario states a number as a plain value, a string ``"A to B"`` (a 90 %
interval) or a table with ``dist``. :func:`parse` turns any of them into an
object with one small surface — ``ppf`` from uniforms, ``base``, ``median``,
``interval``, ``describe`` in plain words, ``spec`` for the manifest — the families of
``scipy.stats`` computed with scipy.special's functions (:func:`_scaled`), truncated to what the
parameter allows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from scipy.special import betainc, betaincinv, gammainc, gammaincinv, ndtr, ndtri

from sim.errors import LARGEST as _LARGEST
from sim.errors import did_you_mean

INF = math.inf
LARGEST = _LARGEST
"""Largest size of any number a scenario states (a trillion, as on the command line: sim.errors.LARGEST)."""
LOWEST_QUANTILE = 1e-9
"""The quantile taken as the lowest value an uncertain input can take (where a bound admits no clipping)."""
MIN_MASS_INSIDE = 0.95
"""Least share of an unbounded distribution that must fall inside the parameter's domain."""


@dataclass(frozen=True)
class Domain:
    """Allowed values of a parameter, and how to name them in an error."""

    low: float = -INF
    high: float = INF
    what: str = "a number"
    above: bool = False
    """True: ``low`` itself is not allowed (a mixing distribution's parameter is more than 0). Such a
    parameter has no nearest allowed value to clip to, so it must stay inside at every value it can take."""

    whole: bool = False
    """True: a value stated as one number must be a whole number (the starting count of customers; an
    uncertain count may take any value in its range, and the engine rounds each draw)."""

    def allowed(self) -> str:
        """'between 0 and 1', '0 or more', 'more than 0', 'at most 5', 'any number' ('a whole number, ...')."""
        return ("a whole number, " if self.whole else "") + self._range()

    def _range(self) -> str:
        if self.above:
            return f"more than {_num(self.low)}" + (f" and at most {_num(self.high)}" if math.isfinite(self.high) else "")
        if math.isfinite(self.low) and math.isfinite(self.high):
            return f"between {_num(self.low)} and {_num(self.high)}"
        if math.isfinite(self.low):
            return f"{_num(self.low)} or more"
        if math.isfinite(self.high):
            return f"at most {_num(self.high)}"
        return "any number"

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies within the bounds (a value one draw may take)."""
        return (self.low < x if self.above else self.low <= x) and x <= self.high

    def allows(self, x: float) -> bool:
        """Whether the parameter may be fixed at ``x`` (stated as one number, set, or pinned by a sweep)."""
        return math.isfinite(x) and self.contains(x) and (not self.whole or x == round(x))

    def contains_all(self, x: np.ndarray) -> np.ndarray:
        """:meth:`contains` of every element (NaN is outside)."""
        x = np.asarray(x, dtype=float)
        return ((x > self.low) if self.above else (x >= self.low)) & (x <= self.high)

    @property
    def least(self) -> float:
        """The smallest value allowed (just above ``low`` when ``low`` itself is not)."""
        return math.nextafter(self.low, INF) if self.above else self.low

    def clip(self, x: np.ndarray) -> np.ndarray:
        """``x`` moved to the nearest allowed value where it lies outside."""
        return np.clip(x, self.least, self.high)


ANY = Domain()
PROBABILITY = Domain(0.0, 1.0, "a probability")
NON_NEGATIVE = Domain(0.0, INF, "a non-negative number")
POSITIVE = Domain(0.0, INF, "a positive number", above=True)
DURATION = Domain(1.0, INF, "a duration in periods")

COMMON_KEYS = ("min", "max", "base", "source", "label")
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required keys, optional keys) besides COMMON_KEYS
    "fixed": (("value",), ()),
    "uniform": (("low", "high"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "pert": (("low", "mode", "high"), ("shape",)),
    "normal": (("mean", "sd"), ()),
    "lognormal": (("mean", "sd"), ()),
    "beta": (("alpha", "beta"), ("low", "high")),
    "gamma": ((), ("shape", "scale", "mean", "sd")),
    "discrete": (("values",), ("weights",)),
    "interval": (("low", "high"), ("confidence",)),
    "percentiles": ((), ()),
}
_PERCENTILE_KEY = re.compile(r"^p(\d{1,2})$")
_RANGE = re.compile(r"^\s*(\S+?)\s*(%?)\s+to\s+(\S+?)\s*(%?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Words:
    """A distribution in plain words with its numbers apart: ``template`` has one ``{}`` per number, so
    a report writes the numbers in its own style (sim/reporting/format.py) and the model none of its own.

    ``shares`` are the positions of the numbers that are shares (0.9 for "90 %"); the others are values.
    """

    template: str
    numbers: tuple[float, ...] = ()
    shares: tuple[int, ...] = ()

    def text(self, value: Callable[[float], str] | None = None, share: Callable[[float], str] | None = None) -> str:
        """The words with each number written by ``value`` or, for a share, ``share`` (default: plain)."""
        value = value or _num
        share = share or (lambda x: f"{_num(100 * x)} %")
        return self.template.format(*(share(x) if i in self.shares else value(x) for i, x in enumerate(self.numbers)))

    def plus(self, template: str, *numbers: float) -> "Words":
        """These words followed by more."""
        return Words(self.template + template, self.numbers + tuple(float(x) for x in numbers), self.shares)

    def as_dict(self) -> dict[str, Any]:
        """For a manifest: {"template", "numbers", "shares"}."""
        return {"template": self.template, "numbers": list(self.numbers), "shares": list(self.shares)}

    def __str__(self) -> str:
        return self.text()


def _words(template: str, *numbers: float, shares: tuple[int, ...] = ()) -> Words:
    return Words(template, tuple(float(x) for x in numbers), shares)


class Uncertain:
    """An uncertain (or fixed) input: sample it with ``ppf``, read its base, describe it.

    ``ppf`` maps uniforms in (0, 1) to values within the truncation bounds, so
    Monte Carlo, Latin hypercube and correlated sampling all use one entry point.
    """

    def __init__(
        self,
        kind: str,
        spec: dict[str, Any],
        ppf: Callable[[np.ndarray], np.ndarray],
        cdf: Callable[[np.ndarray], np.ndarray] | None,
        words: Words,
        bounds: tuple[float, float] = (-INF, INF),
        base: float | None = None,
        source: str | None = None,
        domain: Domain = Domain(),
    ):
        self.kind = kind
        self.domain = domain
        self.source = source
        self.label: str | None = None
        """What a person reads for this input (the table's ``label``); None: named from its path."""
        self._spec = spec
        self._raw_ppf = ppf
        self._lo, self._hi = bounds
        self._words = words
        # Truncation: map u into [F(lo), F(hi)] before the ppf.
        self._u_lo = float(cdf(np.array([self._lo]))[0]) if cdf and math.isfinite(self._lo) else 0.0
        self._u_hi = float(cdf(np.array([self._hi]))[0]) if cdf and math.isfinite(self._hi) else 1.0
        self._base = base
        self._median: float | None = None

    @property
    def is_fixed(self) -> bool:
        return self.kind == "fixed"

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at uniforms ``u`` in (0, 1), never outside the truncation bounds."""
        u = np.asarray(u, dtype=float)
        x = self._raw_ppf(self._u_lo + u * (self._u_hi - self._u_lo))
        return np.clip(np.asarray(x, dtype=float), self._lo, self._hi)

    def median(self) -> float:
        """The 50th percentile, computed once (a scipy quantile costs ~0.1 ms; checks ask for it often)."""
        if self._median is None:
            self._median = float(self.ppf(np.array([0.5]))[0])
        return self._median

    @property
    def base(self) -> float:
        """The value the base case uses: the stated ``base``, else the median."""
        return self.median() if self._base is None else self._base

    def mean(self) -> float:
        """Mean of the (truncated) distribution, by the midpoint rule on its quantile function."""
        u = (np.arange(20_000) + 0.5) / 20_000
        return float(self.ppf(u).mean())

    def interval(self, confidence: float = 0.9) -> tuple[float, float]:
        tail = (1.0 - confidence) / 2.0
        low, high = self.ppf(np.array([tail, 1.0 - tail]))
        return float(low), float(high)

    def describe(self) -> str:
        """The distribution in plain words, numbers written plainly (an error message, a manifest)."""
        return self._words.text()

    def description(self) -> Words:
        """The distribution in words with its numbers apart, for a report to write in its own number style."""
        return self._words

    def spec(self) -> dict[str, Any]:
        """A JSON-able table that :func:`parse` turns back into the same distribution."""
        return dict(self._spec)

    def __repr__(self) -> str:
        return f"Uncertain({self._words.text()})"

    def __reduce__(self):
        # Rebuilt from its spec, so it pickles (to worker processes) despite holding closures.
        return parse, (self.spec(), self.domain)


def fixed(value: float, source: str | None = None) -> Uncertain:
    """A fixed value as an Uncertain."""
    spec = {"dist": "fixed", "value": value} | ({"source": source} if source else {})
    return Uncertain("fixed", spec, lambda u: np.full(np.shape(u), float(value)), None, _words("fixed at {}", value),
                     base=float(value), source=source)


def parse(spec: Any, domain: Domain = ANY) -> Uncertain:
    """Turn a number, an ``"A to B"`` string or a ``dist`` table into an Uncertain; ValueError if it is wrong."""
    if _is_number(spec):
        value = float(spec)
        _check_in(domain, value, fixed=True)
        return fixed(value)
    if isinstance(spec, str):
        low, high = _parse_range(spec)
        _check_in(domain, low, "")
        _check_in(domain, high, "")
        return _build({"dist": "interval", "low": low, "high": high}, domain)
    if isinstance(spec, dict):
        table = dict(spec)
        if "dist" not in table:
            if "value" in table:
                table["dist"] = "fixed"
            else:
                raise ValueError(
                    "a distribution table needs 'dist' (or 'value' for a fixed number); "
                    f"allowed dists: {', '.join(KINDS)}"
                )
        return _build(table, domain)
    raise ValueError(f"expected a number, a string like '0.01 to 0.03', or a table with 'dist'; got {spec!r}")


# --- building each kind ----------------------------------------------------------------


def _build(table: dict[str, Any], domain: Domain) -> Uncertain:
    kind = table["dist"]
    if kind not in KINDS:
        raise ValueError(f"unknown distribution {kind!r}{did_you_mean(str(kind), KINDS) or '.'} Allowed: {', '.join(KINDS)}")
    _check_keys(kind, table)
    source = table.get("source")
    if source is not None and not isinstance(source, str):
        raise ValueError(f"source must be a text string, got {source!r}")
    label = table.get("label")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise ValueError(f"label must be a non-empty text string, got {label!r}")
    for key in ("min", "max", "base"):
        if key in table:
            _check_in(domain, _number(table, key), key)
    builder = _BUILDERS[kind]
    ppf, cdf, words, support = builder(table, domain)
    lo = max(domain.least, float(table.get("min", -INF)))
    hi = min(domain.high, float(table.get("max", INF)))
    if lo > hi:
        raise ValueError(f"min = {_num(lo)} is above max = {_num(hi)}")
    user_truncation = "min" in table or "max" in table
    if cdf is not None:
        # Mass beyond what the parameter allows, on the sides the user did not truncate.
        below = float(cdf(np.array([domain.low]))[0]) if math.isfinite(domain.low) and "min" not in table else 0.0
        above = 1.0 - float(cdf(np.array([domain.high]))[0]) if math.isfinite(domain.high) and "max" not in table else 0.0
        if below + above > 1.0 - MIN_MASS_INSIDE:
            raise ValueError(
                f"{words} puts {100 * (below + above):.0f} % of its mass outside what is allowed "
                f"({domain.what} must be {domain.allowed()}): narrow it or add min/max"
            )
        inside = float(cdf(np.array([hi]))[0] - (cdf(np.array([lo]))[0] if math.isfinite(lo) else 0.0))
        if inside <= 0.0:
            raise ValueError(f"{words} has no mass between min and max")
    if user_truncation:
        words = words.plus(", truncated to {} .. {}", lo, hi)
    spec = {key: value for key, value in table.items()}
    base = _number(table, "base") if "base" in table else None
    result = Uncertain(kind, spec, ppf, cdf, words, (lo, hi), base, source, domain)
    result.label = label
    if base is not None and not (support[0] <= base <= support[1] and lo <= base <= hi):
        raise ValueError(f"base = {_num(base)} lies outside the distribution ({words})")
    lowest = float(result.ppf(np.array([LOWEST_QUANTILE]))[0])
    if domain.above and not domain.contains(lowest):
        raise ValueError(f"{words} can take {plain_number(lowest, domain)}: {domain.what} must be {domain.allowed()} "
                         "at every value it can take")
    return result


def _fixed(t, domain):
    value = _number(t, "value")
    _check_in(domain, value, "value", fixed=True)
    return (lambda u: np.full(np.shape(u), value)), None, _words("fixed at {}", value), (value, value)


def _scaled(standard_ppf, standard_cdf, loc: float, scale: float, support: tuple[float, float]):
    """ppf and cdf of ``loc + scale * X``, where X has ``standard_ppf`` and ``standard_cdf`` on ``support``.

    The arithmetic of scipy.stats' frozen distributions (ppf ``x * scale + loc``; cdf 0 at or below the
    support, 1 at or above it, NaN for NaN), bit for bit (tests/model/test_distribution_families.py), with the
    standard functions of scipy.special: importing scipy.stats takes about half a second, a third of a run.
    """
    a, b = support

    def ppf(q):
        return standard_ppf(np.asarray(q, dtype=float)) * scale + loc

    def cdf(x):
        z = np.atleast_1d((np.asarray(x, dtype=float) - loc) / scale)
        out = np.where(z >= b, 1.0, 0.0)
        inside = (a < z) & (z < b)
        out[inside] = standard_cdf(z[inside])
        out[np.isnan(z)] = np.nan
        return out.reshape(np.shape(x))

    return ppf, cdf


def _triangle_cdf(c: float):
    """scipy.stats.triang's standard cdf, case by case as it takes them (a mode at either end included)."""
    def cdf(x):
        if c == 0:
            return 2 * x - x * x
        if c == 1:
            return x * x
        return np.where(x < c, x * x / c, (x * x - 2 * x + c) / (c - 1))

    return cdf


def _uniform(t, domain):
    low, high = _ordered(t, domain, "low", "high")
    ppf, cdf = _scaled(lambda q: q, lambda x: x, low, high - low, (0.0, 1.0))
    return ppf, cdf, _words("between {} and {}, every value equally likely (uniform)", low, high), (low, high)


def _triangular(t, domain):
    low, mode, high = _three_point(t, domain, "triangular")
    c = (mode - low) / (high - low)
    ppf, cdf = _scaled(lambda q: np.where(q < c, np.sqrt(c * q), 1 - np.sqrt((1 - c) * (1 - q))), _triangle_cdf(c),
                       low, high - low, (0.0, 1.0))
    return ppf, cdf, _words("between {} and {}, most likely {} (triangular)", low, high, mode), (low, high)


def _pert(t, domain):
    low, mode, high = _three_point(t, domain, "pert")
    shape = _number(t, "shape") if "shape" in t else 4.0
    if shape <= 0:
        raise ValueError(f"shape = {_num(shape)} is not allowed: must be more than 0")
    a = 1.0 + shape * (mode - low) / (high - low)
    b = 1.0 + shape * (high - mode) / (high - low)
    ppf, cdf = _scaled(lambda q: betaincinv(a, b, q), lambda x: betainc(a, b, x), low, high - low, (0.0, 1.0))
    return ppf, cdf, _words("between {} and {}, most likely {} (PERT)", low, high, mode), (low, high)


def _normal(t, domain):
    mean, sd = _number(t, "mean"), _positive(t, "sd")
    ppf, cdf = _scaled(ndtri, ndtr, mean, sd, (-INF, INF))
    return ppf, cdf, _words("normal with mean {} and sd {}", mean, sd), (-INF, INF)


def _lognormal(t, domain):
    mean, sd = _positive(t, "mean"), _positive(t, "sd")
    sigma = math.sqrt(math.log1p((sd / mean) ** 2))
    ppf, cdf = _scaled(lambda q: np.exp(sigma * ndtri(q)), lambda x: ndtr(np.log(x) / sigma), 0.0,
                       mean * math.exp(-sigma**2 / 2), (0.0, INF))
    return ppf, cdf, _words("lognormal with mean {} and sd {}", mean, sd), (0.0, INF)


def _beta(t, domain):
    a, b = _positive(t, "alpha"), _positive(t, "beta")
    low = _number(t, "low") if "low" in t else 0.0
    high = _number(t, "high") if "high" in t else 1.0
    if not low < high:
        raise ValueError(f"beta needs low < high, got low={_num(low)}, high={_num(high)}")
    _check_in(domain, low, "low")
    _check_in(domain, high, "high")
    ppf, cdf = _scaled(lambda q: betaincinv(a, b, q), lambda x: betainc(a, b, x), low, high - low, (0.0, 1.0))
    return ppf, cdf, _words("beta({}, {}) between {} and {}", a, b, low, high), (low, high)


def _gamma(t, domain):
    if {"shape", "scale"} <= t.keys() and not ({"mean", "sd"} & t.keys()):
        shape, scale = _positive(t, "shape"), _positive(t, "scale")
    elif {"mean", "sd"} <= t.keys() and not ({"shape", "scale"} & t.keys()):
        mean, sd = _positive(t, "mean"), _positive(t, "sd")
        shape, scale = (mean / sd) ** 2, sd**2 / mean
    else:
        raise ValueError("gamma needs either shape and scale, or mean and sd")
    ppf, cdf = _scaled(lambda q: gammaincinv(shape, q), lambda x: gammainc(shape, x), 0.0, scale, (0.0, INF))
    return ppf, cdf, _words("gamma with mean {} and sd {}", shape * scale, math.sqrt(shape) * scale), (0.0, INF)


def _discrete(t, domain):
    values = t["values"]
    if not isinstance(values, list) or not values or not all(_is_number(v) for v in values):
        raise ValueError(f"values must be a non-empty array of numbers, got {values!r}")
    weights = t.get("weights", [1.0] * len(values))
    for weight in weights if isinstance(weights, list) else ():
        if _is_number(weight) and not math.isfinite(weight):
            raise ValueError(f"weights: {_num(weight)} is not allowed: weights must be finite numbers")
    if not isinstance(weights, list) or len(weights) != len(values) or not all(_is_number(w) and math.isfinite(w) and w >= 0 for w in weights):
        raise ValueError(f"weights must be an array of {len(values)} non-negative numbers, got {weights!r}")
    if sum(weights) <= 0:
        raise ValueError("weights must not all be zero")
    for value in values:
        _check_in(domain, float(value), "")
    order = np.argsort(values)
    xs = np.asarray(values, dtype=float)[order]
    cum = np.cumsum(np.asarray(weights, dtype=float)[order])
    cum /= cum[-1]

    def ppf(u):
        return xs[np.minimum(np.searchsorted(cum, u, side="left"), len(xs) - 1)]

    def cdf(x):
        return np.concatenate([[0.0], cum])[np.searchsorted(xs, x, side="right")]

    total = sum(weights)
    words = _words("one of " + ", ".join("{} ({})" for _ in values),
                   *(n for x, w in zip(values, weights) for n in (x, w / total)),
                   shares=tuple(range(1, 2 * len(values), 2)))
    return ppf, cdf, words, (float(xs[0]), float(xs[-1]))


def _interval(t, domain):
    low, high = _number(t, "low"), _number(t, "high")
    if not low < high:
        raise ValueError(f"interval needs low < high, got low={_num(low)}, high={_num(high)}")
    _check_in(domain, low, "low")
    _check_in(domain, high, "high")
    confidence = _number(t, "confidence") if "confidence" in t else 0.9
    if not 0 < confidence < 1:
        raise ValueError(f"confidence = {_num(confidence)} is not allowed: must be between 0 and 1")
    tail = (1 - confidence) / 2
    ppf, cdf, family = _through_two_points((tail, low), (1 - tail, high))
    words = _words(f"{{}} between {{}} and {{}} ({family})", confidence, low, high, shares=(0,))
    return ppf, cdf, words, ((0.0, INF) if family == "lognormal" else (-INF, INF))


def _percentiles(t, domain):
    points = []
    for key, value in t.items():
        if key in COMMON_KEYS or key == "dist":
            continue
        match = _PERCENTILE_KEY.match(key)
        if not match or not 1 <= int(match.group(1)) <= 99:
            raise ValueError(
                f"unknown key {key!r} for a percentiles distribution; use p1 .. p99 (e.g. p10 = 0.01), min, max, base, source"
            )
        points.append((int(match.group(1)) / 100.0, _number(t, key), key))
    if len(points) < 2:
        raise ValueError("percentiles needs at least two points, e.g. p10 = 0.01 and p90 = 0.04")
    points.sort()
    for (_, x0, k0), (_, x1, k1) in zip(points, points[1:]):
        if not x0 < x1:
            raise ValueError(f"percentile values must rise with the percentile: {k0} = {_num(x0)} but {k1} = {_num(x1)}")
    for _, x, key in points:
        _check_in(domain, x, key)
    ps = np.array([p for p, _, _ in points])
    xs = np.array([x for _, x, _ in points])
    tail_ppf, tail_cdf, family = _through_two_points((ps[0], xs[0]), (ps[-1], xs[-1]))

    def ppf(u):
        u = np.asarray(u, dtype=float)
        inner = np.interp(u, ps, xs)
        return np.where((u < ps[0]) | (u > ps[-1]), tail_ppf(u), inner)

    def cdf(x):
        x = np.asarray(x, dtype=float)
        inner = np.interp(x, xs, ps)
        return np.where((x < xs[0]) | (x > xs[-1]), tail_cdf(x), inner)

    words = _words(", ".join(f"{_ordinal(round(100 * p))} percentile {{}}" for p in ps), *xs)
    support = (0.0, INF) if family == "lognormal" else (-INF, INF)
    return ppf, cdf, words, support


def _through_two_points(first: tuple[float, float], second: tuple[float, float]):
    """Normal (or lognormal, when both values are positive) with quantiles exactly at two points."""
    (p1, x1), (p2, x2) = first, second
    log = x1 > 0 and x2 > 0
    g1, g2 = (math.log(x1), math.log(x2)) if log else (x1, x2)
    z1, z2 = ndtri(p1), ndtri(p2)
    sigma = (g2 - g1) / (z2 - z1)
    mu = g1 - sigma * z1
    if log:
        return (lambda u: np.exp(mu + sigma * ndtri(u))), (
            lambda x: ndtr((np.log(np.maximum(x, 1e-300)) - mu) / sigma) * (np.asarray(x) > 0)
        ), "lognormal"
    return (lambda u: mu + sigma * ndtri(u)), (lambda x: ndtr((np.asarray(x) - mu) / sigma)), "normal"


_BUILDERS = {
    "fixed": _fixed,
    "uniform": _uniform,
    "triangular": _triangular,
    "pert": _pert,
    "normal": _normal,
    "lognormal": _lognormal,
    "beta": _beta,
    "gamma": _gamma,
    "discrete": _discrete,
    "interval": _interval,
    "percentiles": _percentiles,
}


# --- small checks ------------------------------------------------------------------------


def _check_keys(kind: str, table: dict[str, Any]) -> None:
    required, optional = KINDS[kind]
    if kind == "percentiles":
        return
    allowed = ("dist", *required, *optional, *COMMON_KEYS)
    for key in table:
        if key not in allowed:
            listing = ", ".join(k for k in allowed if k != "dist")
            raise ValueError(f"unknown key {key!r} for a {kind} distribution{did_you_mean(key, allowed) or '.'} Allowed: {listing}")
    for key in required:
        if key not in table:
            raise ValueError(f"missing key {key!r} for a {kind} distribution")


def _three_point(t, domain, kind):
    low, mode, high = (_number(t, k) for k in ("low", "mode", "high"))
    if not (low <= mode <= high and low < high):
        raise ValueError(f"{kind} needs low <= mode <= high, got low={_num(low)}, mode={_num(mode)}, high={_num(high)}")
    for key, value in (("low", low), ("mode", mode), ("high", high)):
        _check_in(domain, value, key)
    return low, mode, high


def _ordered(t, domain, a, b):
    low, high = _number(t, a), _number(t, b)
    if not low < high:
        raise ValueError(f"needs {a} < {b}, got {a}={_num(low)}, {b}={_num(high)}")
    _check_in(domain, low, a)
    _check_in(domain, high, b)
    return low, high


def _number(t: dict, key: str) -> float:
    value = t[key]
    if not _is_number(value):
        raise ValueError(f"{key} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{key} = {_num(value)} is not allowed: must be a finite number")
    check_size(float(value), f"{key} = ")
    return float(value)


def check_size(value: float, label: str = "") -> None:
    """Refuse a number larger in size than :data:`LARGEST` (ValueError naming it)."""
    if abs(value) > LARGEST:
        raise ValueError(f"{label}{plain_number(value)} is not allowed: numbers in a scenario are limited to "
                         f"{LARGEST:,.0f} in size")


def _positive(t: dict, key: str) -> float:
    value = _number(t, key)
    if value <= 0:
        raise ValueError(f"{key} = {_num(value)} is not allowed: must be more than 0")
    return value


def _check_in(domain: Domain, value: float, key: str = "", fixed: bool = False) -> None:
    if not math.isfinite(value) or not (domain.allows(value) if fixed else domain.contains(value)):
        label = f"{key} = {plain_number(value, domain)}" if key else plain_number(value, domain)
        if domain == ANY:
            raise ValueError(f"{label} is not allowed: must be a finite number")
        raise ValueError(f"{label} is not allowed: {domain.what} must be {domain.allowed()}")
    check_size(value, f"{key} = " if key else "")


def _parse_range(text: str) -> tuple[float, float]:
    match = _RANGE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a range; write it like '0.01 to 0.03' or '1% to 3%'")
    values = []
    for number, percent in ((match.group(1), match.group(2)), (match.group(3), match.group(4))):
        if number.endswith("%"):
            number, percent = number[:-1], "%"
        try:
            value = float(number.replace("_", "").replace(",", ""))
        except ValueError:
            raise ValueError(f"{text!r} is not a range; write it like '0.01 to 0.03' or '1% to 3%'") from None
        if not math.isfinite(value):
            raise ValueError(f"{text!r}: {_num(value)} is not allowed: both ends must be finite numbers")
        check_size(value, f"{text!r}: ")
        values.append(value / 100.0 if percent else value)
    if not values[0] < values[1]:
        raise ValueError(f"{text!r}: the first number must be below the second")
    return values[0], values[1]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _num(x: float) -> str:
    """A number for people: up to 4 significant digits, thousands separated when large."""
    if math.isnan(x):
        return "NaN"
    if not math.isfinite(x):
        return "infinity" if x > 0 else "-infinity"
    if abs(x) >= 10_000:
        return f"{x:,.0f}"
    text = f"{x:.4g}"
    if "e" in text:  # never scientific notation: 0.00005, not 5e-05
        text = f"{x:.12f}".rstrip("0").rstrip(".")
    return text


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plain_number(x: float, domain: Domain | None = None, exact: bool = False) -> str:
    """A number as an error message names it, "NaN" and "infinity" spelled out.

    Six significant digits; with ``domain``, as many more as it takes for the
    shown number to lie on the same side of the domain's bounds as ``x`` (1.0000001
    is never shown as an allowed 1); with ``exact``, until it reads back as ``x``.
    """
    if not math.isfinite(x):
        return _num(x)
    for digits in (4, 6, 10, 17):
        text = f"{x:.{digits}g}"
        shown = float(text)
        if shown == x:
            return text
        if exact or domain is None and digits < 6:
            continue
        if domain is None or (domain.allows(shown) == domain.allows(x) and shown not in (domain.low, domain.high)):
            return text
    return repr(float(x))
