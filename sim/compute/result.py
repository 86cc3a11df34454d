"""What a run returns: per-draw tables, per-period bands and the summary, as pandas and JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from sim.model.finance import ROI_UNDEFINED, Appraisal
from sim.model.inputs import Input
from sim.model.labels import option_labels
from sim.model.scenario import Scenario

if TYPE_CHECKING:  # pandas loads when a table is built: worker processes and the simulation never need it
    import pandas as pd

    from sim.compute.spill import SeriesSpill
    from sim.model.validation import Loaded

PERCENTILES = (5, 10, 50, 90, 95)
BAND_PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
TAIL = 0.10
"""Share of worst draws averaged for the expected shortfall."""
BEYOND_HORIZON = float("inf")
"""The payback period of a draw (in ``Result.draws``) or a percentile (in ``Result.summary()``) that does
not pay back within the horizon: later than any period, so it sorts and compares as "never within it"."""


def _beyond(payback: np.ndarray) -> np.ndarray:
    """Payback periods with "no payback within the horizon" as :data:`BEYOND_HORIZON` instead of NaN."""
    return np.where(np.isnan(payback), BEYOND_HORIZON, payback)


def describe(x: np.ndarray) -> dict[str, float | None]:
    """Mean, sd, standard error of the mean and percentiles; None where undefined."""
    x = np.asarray(x, dtype=float)
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return {key: None for key in ("mean", "sd", "se_mean", *(f"p{p:02d}" for p in PERCENTILES))}
    sd = float(finite.std(ddof=1)) if finite.size > 1 else 0.0
    stats = {"mean": float(finite.mean()), "sd": sd, "se_mean": sd / np.sqrt(finite.size)}
    for p, value in zip(PERCENTILES, np.percentile(finite, PERCENTILES)):
        stats[f"p{p:02d}"] = float(value)
    return stats


def expected_shortfall(x: np.ndarray, tail: float = TAIL) -> float:
    """Mean of the worst ``tail`` share of draws (at least one draw)."""
    ordered = np.sort(np.asarray(x, dtype=float))
    return float(ordered[: max(1, int(np.floor(tail * len(ordered))))].mean())


def payback_percentiles(payback: np.ndarray) -> dict[str, float | None]:
    """p10 / p50 / p90 of the payback period; None where that share never pays back."""
    never_last = np.where(np.isnan(payback), np.inf, payback)
    values = np.percentile(never_last, (10, 50, 90), method="inverted_cdf")
    return {f"p{p}": (float(v) if np.isfinite(v) else None) for p, v in zip((10, 50, 90), values)}


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.zeros_like(numerator, dtype=float), where=denominator > 0)


SUPPORT_FLOWS = ("contacts", "answered", "answered_wait_minutes")


def support_totals(flows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each draw's contacts, answered contacts and their total wait over the horizon (what support levels need)."""
    return {name: flows[name].sum(axis=1) for name in SUPPORT_FLOWS}


def support_levels(totals: dict[str, np.ndarray], periods: int) -> dict[str, float]:
    """What customers meet in support over the horizon: answered share and mean wait (means over draws)."""
    contacts, answered = totals["contacts"], totals["answered"]
    return {
        "answered_share": float(_ratio(answered, contacts).mean()),
        "abandoned_share": float(1.0 - _ratio(answered, contacts).mean()),
        "mean_wait_minutes": float(_ratio(totals["answered_wait_minutes"], answered).mean()),
        "contacts_per_period": float(contacts.mean() / periods),
    }


def share_with_error(hits: np.ndarray) -> tuple[float, float]:
    """A proportion and its Monte Carlo standard error sqrt(p (1 - p) / n)."""
    p = float(np.mean(hits))
    return p, float(np.sqrt(p * (1.0 - p) / len(hits)))


def point_values(a: Appraisal) -> dict[str, float | None]:
    """The single-draw outcome of a base-case appraisal as plain numbers."""
    def number(x: np.ndarray) -> float | None:
        return float(x[0]) if np.isfinite(x[0]) else None

    return {
        "roi": number(a.roi),
        "roi_undefined_reason": None if np.isfinite(a.roi[0]) else ROI_UNDEFINED,
        "npv": number(a.npv),
        "pv_benefit": number(a.pv_benefit),
        "pv_cost": number(a.pv_cost),
        "payback_period": number(a.payback),
    }


def roi_undefined(a: Appraisal) -> dict[str, Any] | None:
    """How many draws have no ROI (PV cost 0) and why; None when ROI is defined in every draw."""
    missing = int(np.count_nonzero(~np.isfinite(a.roi)))
    if not missing:
        return None
    return {"draws": missing, "share": missing / len(a.roi), "reason": ROI_UNDEFINED}


def band_columns(series, threads: int = 1) -> dict[str, list | np.ndarray]:
    """bands.csv's columns from ``(arm, metric, load)`` triples, ``load()`` giving that series' (draws, periods) values.

    One series is loaded at a time, so a caller whose values live on disk holds
    only one series in memory; with ``threads`` > 1 that many series are loaded and
    reduced at once (numpy sorts outside the GIL, so they use that many cores).
    Mean and exact percentiles over the draws, per period.
    A measure that is zero in every arm, draw and period (walk-aways in a scenario
    without experience effects, answered contacts without operations) is left out.
    """
    series = list(series)
    arms, metrics, periods, numbers = [], [], [], []
    present: set[str] = set()
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            reduced = list(pool.map(band_numbers, [load for _, _, load in series]))
    else:
        reduced = (band_numbers(load) for _, _, load in series)
    for (arm, metric, _), (nonzero, count, table) in zip(series, reduced):
        if nonzero:
            present.add(metric)
        numbers.append(table)
        arms += [arm] * count
        metrics += [metric] * count
        periods.append(np.arange(1, count + 1))
    table = np.vstack(numbers) if numbers else np.empty((0, 1 + len(BAND_PERCENTILES)))
    kept = np.array([metric in present for metric in metrics], dtype=bool)
    table = table[kept]
    columns = {"arm": [arm for arm, keep in zip(arms, kept) if keep],
               "metric": [metric for metric, keep in zip(metrics, kept) if keep],
               "period": np.concatenate(periods)[kept] if periods else np.array([], dtype=int),
               "mean": table[:, 0]}
    columns.update({f"p{p:02d}": table[:, 1 + i] for i, p in enumerate(BAND_PERCENTILES)})
    return columns


def band_numbers(load) -> tuple[bool, int, np.ndarray]:
    """(any value not 0, periods, the (periods, 1 + percentiles) table of mean and percentiles) of one series."""
    values = load()
    if not values.any() and not np.signbit(values).any():  # every value +0.0: so are its mean and percentiles
        return False, values.shape[1], np.zeros((values.shape[1], 1 + len(BAND_PERCENTILES)))
    return bool(np.any(values != 0)), values.shape[1], np.vstack([values.mean(axis=0), _percentiles(values)]).T


def _percentiles(values: np.ndarray, block_bytes: int = 64 * 2**20) -> np.ndarray:
    """:data:`BAND_PERCENTILES` of each column (period), a few columns at a time.

    Each block of columns is sorted (a copy that stays small for a million draws)
    and the percentiles are read off the sorted columns by
    :func:`sorted_percentiles`, numpy's own arithmetic without its selection:
    the numbers of ``np.percentile(values, BAND_PERCENTILES, axis=0)``, at 60 %
    of its time (its selection re-partitions the sorted columns).
    """
    if values.shape[0] == 0 or values.shape[1] == 0:
        return np.percentile(values, BAND_PERCENTILES, axis=0)
    step = max(1, block_bytes // max(1, values.shape[0] * values.itemsize))
    blocks = range(0, values.shape[1], step)
    return np.hstack([sorted_percentiles(np.sort(values[:, start : start + step], axis=0), BAND_PERCENTILES)
                      for start in blocks])


def sorted_percentiles(ordered: np.ndarray, percentiles) -> np.ndarray:
    """``np.percentile(ordered, percentiles, axis=0)`` of columns already sorted ascending (NaN last, as np.sort
    puts it), by numpy's default 'linear' method operation for operation: the virtual index (n - 1) q, its
    floor, and the two-sided interpolation of ``numpy.lib._function_base_impl._lerp``; a column with NaN gives
    NaN. ``tests/model/test_bands.py`` compares it with np.percentile bit for bit (but for the sign of a zero
    percentile where +0.0 and -0.0 both occur: equal values, which the sort and numpy's selection may order
    differently)."""
    n = ordered.shape[0]
    virtual = (n - 1) * np.true_divide(np.asarray(percentiles), 100)
    previous = np.floor(virtual)
    following = previous + 1
    above = virtual >= n - 1  # at or past the last value: take the last value
    previous[above], following[above] = -1, -1
    previous, following = previous.astype(np.intp), following.astype(np.intp)
    gamma = np.asarray(virtual - previous, dtype=virtual.dtype).reshape((-1,) + (1,) * (ordered.ndim - 1))
    low, high = ordered[previous], ordered[following]
    difference = high - low
    result = np.add(low, difference * gamma)
    np.subtract(high, difference * (1 - gamma), out=result, where=gamma >= 0.5, casting="unsafe")
    with_nan = np.isnan(ordered[-1])
    if np.any(with_nan):
        result[..., with_nan] = np.nan
    return result


@dataclass(frozen=True)
class Result:
    """A finished run. ``draws``, ``bands`` and ``summary()`` are pandas; ``summary_dict()`` is JSON-ready."""

    scenario: Scenario
    loaded: "Loaded | None"
    seed: int
    n_draws: int
    base_case: bool
    inputs: dict[str, Input]
    values: dict[str, np.ndarray]
    flows: dict[str, dict[str, np.ndarray]]
    appraisals: dict[str, Appraisal]
    spreadsheet: dict[str, Appraisal]
    """The same interventions with every input at its base value and expected counts."""
    adjustments: tuple = ()
    """Draws in which a value was clipped to its domain or good + bad cut to 1 (:func:`sim.model.domains.adjustments`)."""
    support: dict[str, dict[str, np.ndarray]] | None = None
    """Per arm, each draw's :func:`support_totals` (scenarios with operations)."""
    spill: "SeriesSpill | None" = None
    """Where a streamed run keeps its per-period series (then ``flows`` is empty and
    each appraisal's ``cumulative_net`` is None): the bands read them from disk."""
    combinations: dict = field(default_factory=dict)
    """Flows of the combinations of interventions simulated beside the run (``run(combinations=...)``,
    for ``cxroi run --memo``'s portfolios), by arm (a tuple of names): only what an appraisal reads
    (:data:`sim.compute.simulation.APPRAISED_OUTPUTS`); not part of the run's outputs."""

    @property
    def uncertain_paths(self) -> list[str]:
        return [path for path, item in self.inputs.items() if not item.dist.is_fixed]

    @cached_property
    def draws(self) -> pd.DataFrame:
        """One row per draw (index ``draw``): the sampled uncertain inputs, then each intervention's outcomes."""
        import pandas as pd

        frame = pd.DataFrame(self.draw_columns, copy=False)  # columns stay the arrays they are: no second copy of a long run
        frame.index.name = "draw"
        return frame

    @cached_property
    def draw_columns(self) -> dict[str, np.ndarray]:
        """:attr:`draws` as a dict of columns (no pandas: what the results folder writes)."""
        columns: dict[str, np.ndarray] = {path: self.values[path] for path in self.uncertain_paths}
        for name, a in self.appraisals.items():
            columns.update(
                {
                    f"{name}.npv": a.npv,
                    f"{name}.roi": a.roi,
                    f"{name}.pv_benefit": a.pv_benefit,
                    f"{name}.pv_cost": a.pv_cost,
                    f"{name}.payback_period": _beyond(a.payback),
                }
            )
        return columns

    @cached_property
    def bands(self) -> pd.DataFrame:
        """Per-period mean and percentile bands of every flow per arm, and of each
        intervention's benefit and cumulative discounted net cash flow. Series held in
        memory are reduced on every core (up to 4); spilled ones one at a time, to
        keep memory bounded."""
        import pandas as pd

        return pd.DataFrame(self.band_columns)

    @cached_property
    def band_columns(self) -> dict[str, list | np.ndarray]:
        """:attr:`bands` as a dict of columns (no pandas: what the results folder writes)."""
        return band_columns(self._band_series(), threads=min(os.cpu_count() or 1, 4) if self.spill is None else 1)

    def _band_series(self):
        """(arm, metric, load) of every band, in bands.csv's order; ``load`` reads memory or the spill."""
        if self.spill is None:
            keys = [(arm, metric) for arm, flows in self.flows.items() for metric in flows]
            keys += [(name, "cumulative_discounted_net") for name in self.appraisals]

            def get(arm: str, metric: str) -> np.ndarray:
                if metric == "cumulative_discounted_net":
                    return self.appraisals[arm].cumulative_net
                return self.flows[arm][metric]
        else:
            keys, get = list(self.spill.keys), lambda arm, metric: self.spill.load((arm, metric))
        series = [(arm, metric, lambda a=arm, m=metric: get(a, m)) for arm, metric in keys]
        if self.scenario.operations is not None:
            for arm in dict.fromkeys(arm for arm, metric in keys if metric == "contacts"):
                series.append((arm, "answered_share", lambda a=arm: _ratio(get(a, "answered"), get(a, "contacts"))))
                series.append((arm, "mean_wait_minutes",
                               lambda a=arm: _ratio(get(a, "answered_wait_minutes"), get(a, "answered"))))
        return series

    def summary_dict(self) -> dict[str, Any]:
        """The run's summary as plain JSON types (the content of summary.json and ``--json``)."""
        s = self.scenario.settings
        interventions = {}
        for name, a in self.appraisals.items():
            spec = self.scenario.interventions[name]
            p_roi, p_roi_se = share_with_error(a.npv > 0)
            p_pay, p_pay_se = share_with_error(~np.isnan(a.payback))
            undefined = roi_undefined(a)
            no_roi = undefined is not None and undefined["draws"] == len(a.roi)
            interventions[name] = {
                "label": spec.label or name,
                "roi": describe(a.roi),
                "roi_undefined": undefined,
                "prob_npv_positive": p_roi,
                "npv": describe(a.npv),
                "pv_benefit": describe(a.pv_benefit),
                "pv_cost": describe(a.pv_cost),
                "prob_roi_positive": None if no_roi else p_roi,
                "prob_roi_positive_se": None if no_roi else p_roi_se,
                "prob_payback_within_horizon": p_pay,
                "prob_payback_within_horizon_se": p_pay_se,
                "payback_period": payback_percentiles(a.payback),
                "npv_expected_shortfall_10": expected_shortfall(a.npv),
                "base_case": point_values(self.spreadsheet[name]),
            }
        summary = {
            "scenario": s.name,
            "seed": self.seed,
            "draws": self.n_draws,
            "mode": "base_case" if self.base_case else "monte_carlo",
            "sampling": "none" if self.base_case else s.sampling,
            "currency": s.currency,
            "period": s.period,
            "horizon": s.horizon,
            "discount_rate": s.discount_rate,
            "roi_basis": s.roi_basis,
            "overrides": list(self.loaded.overrides) if self.loaded else [],
            "labels": {"options": option_labels(self.scenario)},
            "interventions": interventions,
            "adjustments": list(self.adjustments),
        }
        if self.scenario.operations is not None:
            support = self.support or {arm: support_totals(flows) for arm, flows in self.flows.items()}
            summary["support"] = {arm: support_levels(totals, s.horizon) for arm, totals in support.items()}
        return summary

    def summary(self) -> pd.DataFrame:
        """One row per intervention: ROI and NPV statistics, P(ROI > 0), payback."""
        rows = {}
        for name, entry in self.summary_dict()["interventions"].items():
            row: dict[str, Any] = {"label": entry["label"]}
            for measure in ("roi", "npv", "pv_benefit", "pv_cost"):
                row.update({f"{measure}_{key}": value for key, value in entry[measure].items()})
            row["prob_roi_positive"] = entry["prob_roi_positive"]
            row["prob_payback_within_horizon"] = entry["prob_payback_within_horizon"]
            row.update({f"payback_{key}": BEYOND_HORIZON if value is None else value
                        for key, value in entry["payback_period"].items()})
            row["npv_expected_shortfall_10"] = entry["npv_expected_shortfall_10"]
            rows[name] = row
        import pandas as pd

        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "intervention"
        return frame
