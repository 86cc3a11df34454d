"""Figures for analyses and memos, drawn with matplotlib (Agg: no screen needed).

Each function takes an analysis table and returns a matplotlib Figure; writing
it to a file is the caller's business (:mod:`sim.shell.results_folder`).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

MAX_BARS = 15
"""Inputs shown in a ranking figure; the table keeps all of them."""

_money = FuncFormatter(lambda x, _: f"{x:,.0f}")


def _short(path: str) -> str:
    """A readable label for an input path: without the section name that every label would repeat."""
    for prefix in ("segments.", "interventions.", "support.channels."):
        if path.startswith(prefix):
            return path[len(prefix):].replace(".experience.", ".")
    return path


def _tick(value: float) -> str:
    """Axis tick text: thousands separated for money-sized numbers, 3 significant digits otherwise."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _panels(count: int, height: float = 3.2) -> tuple[Figure, list]:
    fig, axes = plt.subplots(count, 1, figsize=(8, height * count), squeeze=False)
    return fig, list(axes[:, 0])


def sweep_figure(table: pd.DataFrame, param: str, currency: str) -> Figure:
    """Median NPV with 50 % and 90 % bands against the swept value, one panel per intervention."""
    names = list(dict.fromkeys(table["intervention"]))
    fig, axes = _panels(len(names))
    for ax, name in zip(axes, names):
        rows = table[table["intervention"] == name].sort_values(param)
        x = rows[param]
        ax.fill_between(x, rows["npv_p05"], rows["npv_p95"], alpha=0.2, color="tab:blue", label="90 % band")
        ax.fill_between(x, rows["npv_p25"], rows["npv_p75"], alpha=0.35, color="tab:blue", label="50 % band")
        ax.plot(x, rows["npv_p50"], color="tab:blue", label="median")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_title(name)
        ax.set_xlabel(param)
        ax.set_ylabel(f"NPV ({currency})")
        ax.yaxis.set_major_formatter(_money)
        ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def heatmap_figure(table: pd.DataFrame, params: list[str], measure: str, title: str) -> Figure:
    """A two-way sweep: ``measure`` over the grid of two inputs, one panel per intervention."""
    names = list(dict.fromkeys(table["intervention"]))
    fig, axes = _panels(len(names), height=4.0)
    first, second = params
    for ax, name in zip(axes, names):
        grid = table[table["intervention"] == name].pivot(index=second, columns=first, values=measure)
        values = grid.to_numpy()
        if measure == "prob_roi_positive":
            scale = {"vmin": 0.0, "vmax": 1.0}
        else:  # money: centre the colours on zero so red always means a loss
            reach = max(float(np.nanmax(np.abs(values))), 1.0)
            scale = {"vmin": -reach, "vmax": reach}
        image = ax.imshow(values, origin="lower", aspect="auto", cmap="RdYlGn", **scale)
        for (row, column), value in np.ndenumerate(values):
            text = f"{value:.0%}" if measure == "prob_roi_positive" else f"{value:,.0f}"
            ax.text(column, row, text, ha="center", va="center", fontsize=7)
        ax.set_xticks(range(grid.shape[1]), [_tick(v) for v in grid.columns], rotation=45, fontsize=7)
        ax.set_yticks(range(grid.shape[0]), [_tick(v) for v in grid.index], fontsize=7)
        ax.set_xlabel(first)
        ax.set_ylabel(second)
        ax.set_title(f"{name}: {title}")
        fig.colorbar(image, ax=ax)
    fig.tight_layout()
    return fig


def tornado_figure(table: pd.DataFrame, currency: str, title: str, bars: int = MAX_BARS) -> Figure:
    """Horizontal bars from the base NPV to the NPV at each input's low and high value."""
    names = list(dict.fromkeys(table["intervention"]))
    fig, axes = _panels(len(names), height=0.3 * min(bars, max(3, len(table) // max(len(names), 1))) + 1.4)
    for ax, name in zip(axes, names):
        rows = table[table["intervention"] == name].head(bars).iloc[::-1]
        base = rows["npv_base"].iloc[0] if "npv_base" in rows else (rows["npv_at_low"] + rows["npv_at_high"]).mean() / 2
        y = np.arange(len(rows))
        ax.barh(y, rows["npv_at_low"] - base, left=base, color="tab:red", label="input at its low value")
        ax.barh(y, rows["npv_at_high"] - base, left=base, color="tab:green", label="input at its high value")
        ax.axvline(base, color="black", linewidth=0.8)
        ax.set_yticks(y, [_short(p) for p in rows["input"]], fontsize=8)
        ax.set_xlabel(f"NPV ({currency}) when the input moves from its low to its high value, others at base")
        ax.xaxis.set_major_formatter(_money)
        ax.set_title(f"{name}: {title}")
        ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    return fig


def ranking_figure(table: pd.DataFrame, value: str, error: str | None, label: str, title: str) -> Figure:
    """Bars of one measure per input (largest first), optionally with error bars, per intervention."""
    names = list(dict.fromkeys(table["intervention"])) if "intervention" in table else [""]
    fig, axes = _panels(len(names), height=0.3 * MAX_BARS + 1.5)
    for ax, name in zip(axes, names):
        rows = table[table["intervention"] == name] if name else table
        rows = rows.reindex(rows[value].abs().sort_values(ascending=False).index).head(MAX_BARS).iloc[::-1]
        y = np.arange(len(rows))
        ax.barh(y, rows[value], xerr=rows[error] if error else None, color="tab:blue", alpha=0.8)
        ax.set_yticks(y, [_short(p) for p in rows["input"]], fontsize=8)
        ax.set_xlabel(label)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(f"{name}: {title}" if name else title)
    fig.tight_layout()
    return fig


def breakeven_figure(curve: pd.DataFrame, param: str, currency: str) -> Figure:
    """Mean NPV and P(ROI > 0) against the input, one panel per intervention."""
    names = list(dict.fromkeys(curve["intervention"]))
    fig, axes = _panels(len(names))
    for ax, name in zip(axes, names):
        rows = curve[curve["intervention"] == name].sort_values(param)
        ax.plot(rows[param], rows["npv_mean"], marker="o", color="tab:blue")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_ylabel(f"mean NPV ({currency})", color="tab:blue")
        ax.yaxis.set_major_formatter(_money)
        twin = ax.twinx()
        twin.plot(rows[param], rows["prob_roi_positive"], marker=".", color="tab:orange")
        twin.axhline(0.5, color="tab:orange", linewidth=0.8, linestyle="--")
        twin.set_ylabel("P(ROI > 0)", color="tab:orange")
        twin.set_ylim(0, 1)
        ax.set_xlabel(param)
        ax.set_title(name)
    fig.tight_layout()
    return fig


def analysis_figures(analysis) -> dict[str, Figure]:
    """The figures that belong to an analysis, by file stem."""
    currency = analysis.scenario.settings.currency
    tables = analysis.tables
    if analysis.kind == "sweep":
        params = list(analysis.summary["params"])
        if len(params) == 1:
            return {"sweep": sweep_figure(tables["sweep"], params[0], currency)}
        return {
            "sweep_prob_roi_positive": heatmap_figure(tables["sweep"], params, "prob_roi_positive", "P(ROI > 0)"),
            "sweep_npv_mean": heatmap_figure(tables["sweep"], params, "npv_mean", f"mean NPV ({currency})"),
        }
    if analysis.kind == "tornado":
        return {
            "tornado": tornado_figure(tables["tornado"], currency, "one input at a time (10th to 90th percentile)"),
            "tornado_from_draws": tornado_figure(
                tables["tornado_from_draws"], currency, "from the draws (lowest vs highest fifth)"),
        }
    if analysis.kind == "sensitivity":
        figures = {}
        if not tables["rank_measures"].empty:
            figures["rank_measures"] = ranking_figure(
                tables["rank_measures"], "prcc", None, "partial rank correlation with NPV", "what drives NPV")
        if not tables["sobol"].empty:
            figures["sobol"] = ranking_figure(
                tables["sobol"], "total", "total_conf", "total Sobol index of NPV (95 % interval)", "share of NPV variance")
        return figures
    if analysis.kind == "voi":
        table = tables["voi"].assign(intervention="decision")
        return {"voi": ranking_figure(table, "evppi", None, f"EVPPI ({currency}): most a study of this input is worth",
                                      f"value of information (EVPI {analysis.summary['evpi']:,.0f} {currency})")}
    if analysis.kind == "breakeven":
        return {"breakeven": breakeven_figure(tables["breakeven_curve"], analysis.summary["param"], currency)}
    if analysis.kind == "pilot":
        return {"pilot": pilot_figure(tables["pilot"], analysis.summary)}
    return {}


def pilot_figure(table: pd.DataFrame, summary: dict) -> Figure:
    """EVSI, cost and expected net gain against pilot size, with the EVPPI ceiling; power on a second axis."""
    currency = summary["currency"]
    fig, (ax,) = _panels(1, height=3.6)
    n = table["customers_per_arm"]
    ax.plot(n, table["evsi"], marker="o", label="EVSI (value of the pilot's result)")
    ax.plot(n, table["cost"], marker="s", label="pilot cost")
    ax.plot(n, table["net_gain"], marker="^", label="expected net gain")
    ax.axhline(summary["evppi"], color="grey", linestyle="--", label="EVPPI (the most it could be worth)")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xscale("log")
    ax.set_xlabel(f"customers per arm ({summary['periods']} periods)")
    ax.set_ylabel(currency)
    ax.yaxis.set_major_formatter(lambda value, _: _tick(value))
    twin = ax.twinx()
    twin.plot(n, table["power"], color="tab:purple", linestyle=":", marker=".", label="power (5 % test)")
    twin.set_ylim(0, 1)
    twin.set_ylabel("power", color="tab:purple")
    ax.legend(loc="upper left", fontsize=7)
    ax.set_title(f"pilot of {summary['label']}")
    fig.tight_layout()
    return fig


def roi_histogram(roi_by_intervention: dict[str, np.ndarray], labels: dict[str, str]) -> Figure:
    """ROI distribution of each intervention, with the break-even line at ROI = 0."""
    fig, ax = plt.subplots(figsize=(8, 2.7))
    finite = [v[np.isfinite(v)] for v in roi_by_intervention.values()]
    if any(len(v) for v in finite):
        everything = np.concatenate(finite)
        low, high = np.percentile(everything, [0.5, 99.5])
        bins = np.linspace(min(low, -0.1), max(high, 0.1), 60)
        for (name, values), ok in zip(roi_by_intervention.items(), finite):
            # The outermost 0.5 % on each side fall outside the bins and are left out of the picture.
            ax.hist(ok, bins=bins, histtype="step", linewidth=1.6, density=True, label=labels.get(name, name))
    ax.axvline(0, color="black", linewidth=1.2, linestyle="--", label="break-even (ROI = 0)")
    ax.set_xlabel("ROI (net return per unit of programme cost)")
    ax.set_ylabel("density")
    ax.set_yticks([])
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def cash_flow_fan(bands: pd.DataFrame, labels: dict[str, str], currency: str, period: str,
                  payback: dict[str, float | None]) -> Figure:
    """Cumulative discounted net cash flow per intervention: median, 50 % and 90 % bands, median payback marked."""
    names = list(dict.fromkeys(bands["arm"]))
    fig, grid = plt.subplots(1, len(names), figsize=(8, 2.6), squeeze=False)
    for ax, name in zip(grid[0], names):
        rows = bands[bands["arm"] == name].sort_values("period")
        x = rows["period"].to_numpy()
        ax.fill_between(x, rows["p05"], rows["p95"], alpha=0.2, color="tab:green", label="90 % band")
        ax.fill_between(x, rows["p25"], rows["p75"], alpha=0.35, color="tab:green", label="50 % band")
        ax.plot(x, rows["p50"], color="tab:green", label="median")
        ax.axhline(0, color="black", linewidth=0.8)
        when = payback.get(name)
        if when is not None:
            at = rows[rows["period"] == when]["p50"]
            ax.plot(when, at.iloc[0] if len(at) else 0.0, "o", color="black")
        ax.set_title(labels.get(name, name), fontsize=8)
        ax.set_xlabel(f"{period}", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.yaxis.set_major_formatter(_money)
        if when is not None:
            ax.annotate(f"payback {period} {when:g}", (when, 0), xytext=(4, -12), textcoords="offset points", fontsize=7)
    grid[0][0].set_ylabel(f"cumulative ({currency})", fontsize=8)
    fig.tight_layout()
    return fig


def staffing_figure(table: pd.DataFrame) -> Figure:
    """Service level and abandonment against agents: formula lines, simulation points with 95 % intervals."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    ax.plot(table["agents"], table["service_level"], marker="o", color="tab:blue", label="service level (formula)")
    ax.plot(table["agents"], table["abandonment"], marker="o", color="tab:red", label="abandonment (formula)")
    if "sim_service_level" in table:
        ax.errorbar(table["agents"], table["sim_service_level"], yerr=table.get("sim_service_level_ci"), fmt="s",
                    color="tab:blue", alpha=0.6, label="service level (simulated, 95 %)")
        ax.errorbar(table["agents"], table["sim_abandonment"], yerr=table.get("sim_abandonment_ci"), fmt="s",
                    color="tab:red", alpha=0.6, label="abandonment (simulated, 95 %)")
    ax.set_xlabel("agents")
    ax.set_ylabel("share of contacts")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
