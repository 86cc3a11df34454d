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
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator  # noqa: E402

from sim.reporting.format import style, tornado_words, wrap  # noqa: E402
from sim.reporting.pilot_power import power_by_measure  # noqa: E402

MAX_BARS = 15
"""Inputs shown in a ranking figure; the table keeps all of them."""
LABEL_WIDTH = 42
"""Characters per line of an input's name beside a bar (longer names wrap)."""
LOW_COLOUR, HIGH_COLOUR = "#9ecae1", "#08519c"
"""Neutral palette for an input at its low and at its high value (light and dark blue):
the colour says which end of the input's range, the bar's side says better or worse."""


def _names(summary: dict | None):
    """(input name, option name) functions from an analysis summary's labels."""
    labels = (summary or {}).get("labels", {})
    inputs, options = labels.get("inputs", {}), labels.get("options", {})
    return (lambda path: inputs.get(path, path)), (lambda name: options.get(name, name))


def _money_axis(axis, currency: str) -> None:
    """Amounts on an axis in the currency's grouping and minus sign, at most six ticks."""
    st = style(currency)
    axis.set_major_formatter(FuncFormatter(lambda x, _: st.number(x)))
    axis.set_major_locator(MaxNLocator(nbins=6))


def _value_axis(axis, currency: str) -> None:
    """Input values on an axis in plain decimals (never scientific notation), at most six ticks."""
    st = style(currency)
    axis.set_major_formatter(FuncFormatter(lambda x, _: st.value(x)))
    axis.set_major_locator(MaxNLocator(nbins=6))


def _panels(count: int, height: float = 3.2) -> tuple[Figure, list]:
    fig, axes = plt.subplots(max(count, 1), 1, figsize=(8, height * max(count, 1)), squeeze=False)
    return fig, list(axes[:, 0])


def _tight(fig: Figure, **kwargs) -> None:
    """``fig.tight_layout(**kwargs)``, leaving the figure without a layout engine.

    ``tight_layout`` lays the figure out once and leaves a placeholder engine behind, and
    ``savefig`` then lays out (draws without rendering) the whole figure again before it draws
    it, for an engine that changes nothing (the memo's four figures: 0.28 s to PNG with it,
    0.22 s without). Without the engine ``savefig`` draws once; the PNG files are the same bytes.
    """
    fig.tight_layout(**kwargs)
    fig.set_layout_engine(None)


def _mark_base(ax, base: float | None, currency: str) -> None:
    """A dotted vertical line at the input's value in the scenario."""
    if base is None:
        return
    ax.axvline(base, color="grey", linestyle=":", linewidth=1.2, label=f"today's value ({style(currency).value(base)})")


def _zero_crossings(x: np.ndarray, y: np.ndarray) -> list[float]:
    """Where a piecewise-linear curve crosses zero."""
    found = []
    for (x0, y0), (x1, y1) in zip(zip(x, y), zip(x[1:], y[1:])):
        if y0 == 0:
            found.append(float(x0))
        elif y0 * y1 < 0:
            found.append(float(x0 + (x1 - x0) * y0 / (y0 - y1)))
    return found


def sweep_figure(table: pd.DataFrame, param: str, currency: str, summary: dict | None = None) -> Figure:
    """Median NPV with 50 % and 90 % bands against the swept value, one panel per intervention;
    today's value and the break-even of the median are marked."""
    input_name, option_name = _names(summary)
    base = (summary or {}).get("base_values", {}).get(param)
    names = list(dict.fromkeys(table["intervention"]))
    fig, axes = _panels(len(names))
    for ax, name in zip(axes, names):
        rows = table[table["intervention"] == name].sort_values(param)
        x = rows[param].to_numpy()
        ax.fill_between(x, rows["npv_p05"], rows["npv_p95"], alpha=0.2, color="tab:blue", label="90 % band")
        ax.fill_between(x, rows["npv_p25"], rows["npv_p75"], alpha=0.35, color="tab:blue", label="50 % band")
        ax.plot(x, rows["npv_p50"], color="tab:blue", label="median")
        ax.axhline(0, color="black", linewidth=0.8)
        _mark_base(ax, base, currency)
        for i, at in enumerate(_zero_crossings(x, rows["npv_p50"].to_numpy())):
            ax.plot(at, 0, "o", color="tab:red", label="break-even of the median" if i == 0 else None)
            ax.annotate(style(currency).value(at), (at, 0), xytext=(4, 6), textcoords="offset points", fontsize=7,
                        color="tab:red")
        ax.set_title(wrap(option_name(name), 80), fontsize=10)
        ax.set_xlabel(wrap(input_name(param), 90), fontsize=8)
        ax.set_ylabel(f"NPV ({currency})")
        _money_axis(ax.yaxis, currency)
        _value_axis(ax.xaxis, currency)
        ax.legend(loc="best", fontsize=7)
    _tight(fig)
    return fig


def heatmap_figure(table: pd.DataFrame, params: list[str], measure: str, title: str, currency: str = "EUR",
                   summary: dict | None = None) -> Figure:
    """A two-way sweep: ``measure`` over the grid of two inputs, one panel per intervention."""
    input_name, option_name = _names(summary)
    st = style(currency)
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
            text = st.percent(value, 0) if measure == "prob_roi_positive" else st.number(value)
            ax.text(column, row, text, ha="center", va="center", fontsize=7)
        ax.set_xticks(range(grid.shape[1]), [st.value(v) for v in grid.columns], rotation=45, fontsize=7)
        ax.set_yticks(range(grid.shape[0]), [st.value(v) for v in grid.index], fontsize=7)
        ax.set_xlabel(wrap(input_name(first), 80), fontsize=8)
        ax.set_ylabel(wrap(input_name(second), 40), fontsize=8)
        ax.set_title(wrap(f"{option_name(name)}: {title}", 80), fontsize=10)
        bar = fig.colorbar(image, ax=ax)
        if measure != "prob_roi_positive":
            _money_axis(bar.ax.yaxis, currency)
    _tight(fig)
    return fig


def tornado_figure(table: pd.DataFrame, currency: str, title: str, bars: int = MAX_BARS,
                   summary: dict | None = None) -> Figure:
    """Horizontal bars from the base NPV to the NPV at each input's low and high value.

    Inputs are named by the table's ``label`` column (else the summary's labels, else the path).
    The two ends have neutral colours (low: light, high: dark blue); whether an end is better or
    worse for the decision reads from the side of the base line its bar lies on.
    """
    input_name, option_name = _names(summary)
    names = list(dict.fromkeys(table["intervention"]))
    shown = min(bars, max(3, len(table) // max(len(names), 1)))
    fig, axes = _panels(len(names), height=0.42 * shown + 1.6)
    for ax, name in zip(axes, names):
        rows = table[table["intervention"] == name].head(bars).iloc[::-1]
        base = rows["npv_base"].iloc[0] if "npv_base" in rows else (rows["npv_at_low"] + rows["npv_at_high"]).mean() / 2
        y = np.arange(len(rows))
        ax.barh(y, rows["npv_at_low"] - base, left=base, color=LOW_COLOUR, label="input at its low value")
        ax.barh(y, rows["npv_at_high"] - base, left=base, color=HIGH_COLOUR, label="input at its high value")
        ax.axvline(base, color="black", linewidth=0.8)
        names_shown = rows["label"] if "label" in rows else rows["input"].map(input_name)
        ax.set_yticks(y, [wrap(str(n), LABEL_WIDTH) for n in names_shown], fontsize=7)
        centre = "at base values" if "npv_base" in rows else "midway between the two ends"
        ax.set_xlabel(f"NPV ({currency}); left of the line worse, right of it better than {centre}", fontsize=8)
        _money_axis(ax.xaxis, currency)
        ax.set_title(wrap(f"{option_name(name)}: {title}", 70), fontsize=10)
        ax.legend(loc="best", fontsize=7)
    _tight(fig)
    return fig


def ranking_figure(table: pd.DataFrame, value: str, error: str | None, label: str, title: str,
                   summary: dict | None = None, money: str | None = None) -> Figure:
    """Bars of one measure per input (largest first), optionally with error bars, per intervention."""
    input_name, option_name = _names(summary)
    names = list(dict.fromkeys(table["intervention"])) if "intervention" in table else [""]
    most = max([int((table["intervention"] == n).sum()) if n else len(table) for n in names] or [1])
    fig, axes = _panels(len(names), height=0.4 * max(3, min(MAX_BARS, most)) + 1.5)
    for ax, name in zip(axes, names):
        rows = table[table["intervention"] == name] if name else table
        rows = rows.reindex(rows[value].abs().sort_values(ascending=False).index).head(MAX_BARS).iloc[::-1]
        y = np.arange(len(rows))
        ax.barh(y, rows[value], xerr=rows[error] if error else None, color="tab:blue", alpha=0.8)
        names_shown = rows["label"] if "label" in rows else rows["input"].map(input_name)
        ax.set_yticks(y, [wrap(str(n), LABEL_WIDTH) for n in names_shown], fontsize=7)
        ax.set_xlabel(label, fontsize=8)
        ax.axvline(0, color="black", linewidth=0.8)
        if money:
            _money_axis(ax.xaxis, money)
        ax.set_title(wrap(f"{option_name(name)}: {title}" if name else title, 70), fontsize=10)
    _tight(fig)
    return fig


def breakeven_figure(curve: pd.DataFrame, param: str, currency: str, summary: dict | None = None) -> Figure:
    """Mean NPV and P(ROI > 0) against the input, one panel per intervention the input affects;
    today's value and each break-even are marked."""
    input_name, option_name = _names(summary)
    outcomes = (summary or {}).get("outcomes", {})
    found = (summary or {}).get("breakeven", {})
    base = (summary or {}).get("base_value")
    st = style(currency)
    names = [n for n in dict.fromkeys(curve["intervention"])
             if "no effect" not in outcomes.get(n, {}).values()]
    fig, axes = _panels(len(names))
    if not names:
        axes[0].text(0.5, 0.5, f"{input_name(param)} does not affect any option", ha="center", va="center",
                     transform=axes[0].transAxes)
        axes[0].set_axis_off()
    for ax, name in zip(axes, names):
        rows = curve[curve["intervention"] == name].sort_values(param)
        ax.plot(rows[param], rows["npv_mean"], marker="o", markersize=3, color="tab:blue", label="mean NPV")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_ylabel(f"mean NPV ({currency})", color="tab:blue")
        _money_axis(ax.yaxis, currency)
        _value_axis(ax.xaxis, currency)
        _mark_base(ax, base, currency)
        twin = ax.twinx()
        twin.plot(rows[param], rows["prob_roi_positive"], marker=".", color="tab:orange", label="P(ROI > 0)")
        twin.axhline(0.5, color="tab:orange", linewidth=0.8, linestyle="--")
        twin.set_ylabel("P(ROI > 0)", color="tab:orange")
        twin.set_ylim(0, 1)
        twin.yaxis.set_major_formatter(FuncFormatter(lambda x, _: st.percent(x, 0)))
        at = (found.get(name) or {}).get("mean_npv_zero")
        if at is not None:
            ax.plot(at, 0, "D", color="tab:red", zorder=5, label=f"break-even: mean NPV = 0 at {st.value(at)}")
        median_at = (found.get(name) or {}).get("prob_roi_positive_50")
        if median_at is not None:
            twin.plot(median_at, 0.5, "s", color="tab:red", zorder=5, label=f"P(ROI > 0) = 50 % at {st.value(median_at)}")
        handles = ax.get_legend_handles_labels()
        more = twin.get_legend_handles_labels()
        ax.legend(handles[0] + more[0], handles[1] + more[1], loc="best", fontsize=7)
        ax.set_xlabel(wrap(input_name(param), 90), fontsize=8)
        ax.set_title(wrap(option_name(name), 80), fontsize=10)
    _tight(fig)
    return fig


def analysis_figures(analysis) -> dict[str, Figure]:
    """The figures that belong to an analysis, by file stem."""
    currency = analysis.scenario.settings.currency
    summary = analysis.summary
    tables = analysis.tables
    if analysis.kind == "sweep":
        params = list(summary["params"])
        if len(params) == 1:
            return {"sweep": sweep_figure(tables["sweep"], params[0], currency, summary)}
        return {
            "sweep_prob_roi_positive": heatmap_figure(tables["sweep"], params, "prob_roi_positive", "P(ROI > 0)",
                                                      currency, summary),
            "sweep_npv_mean": heatmap_figure(tables["sweep"], params, "npv_mean", f"mean NPV ({currency})",
                                             currency, summary),
        }
    if analysis.kind == "tornado":
        (low, high), share = tornado_words(summary)
        return {
            "tornado": tornado_figure(tables["tornado"], currency, f"one input at a time ({low} to {high} percentile)",
                                      summary=summary),
            "tornado_from_draws": tornado_figure(
                tables["tornado_from_draws"], currency, f"from the draws (lowest vs highest {share})", summary=summary),
        }
    if analysis.kind == "sensitivity":
        figures = {}
        if not tables["rank_measures"].empty:
            figures["rank_measures"] = ranking_figure(
                tables["rank_measures"], "prcc", None, "partial rank correlation with NPV", "what drives NPV", summary)
        if not tables["sobol"].empty:
            figures["sobol"] = ranking_figure(
                tables["sobol"], "total", "total_conf", "total Sobol index of NPV (95 % interval)",
                "share of NPV variance", summary)
        return figures
    if analysis.kind == "voi":
        table = tables["voi"].assign(intervention="decision")
        return {"voi": ranking_figure(table, "evppi", None, f"EVPPI ({currency}): most a study of this input is worth",
                                      f"value of information (EVPI {style(currency).money(summary['evpi'])})",
                                      {"labels": {**summary.get("labels", {}), "options": {"decision": "Decision"}}},
                                      money=currency)}
    if analysis.kind == "breakeven":
        return {"breakeven": breakeven_figure(tables["breakeven_curve"], summary["param"], currency, summary)}
    if analysis.kind == "pilot":
        return {"pilot": pilot_figure(tables["pilot"], summary)}
    if analysis.kind == "portfolio":
        return {"frontier": frontier_figure(summary), "acceptability": acceptability_figure(tables["acceptability"], summary),
                "acceptability_budget": budget_acceptability_figure(tables["acceptability_budget"], summary)}
    return {}


def frontier_figure(summary: dict) -> Figure:
    """Expected NPV against expected PV cost per portfolio, with its 90 % NPV interval as a band;
    the efficient frontier as a line, dominated portfolios hollow, the choice circled."""
    currency = summary["currency"]
    fig, (ax,) = _panels(1, height=4.6)
    letters = {name: chr(ord("A") + i) for i, name in enumerate(summary["interventions"])}
    for entry in summary["portfolios"]:
        x, y = entry["pv_cost"]["mean"], entry["npv"]["mean"]
        low, high = entry["npv"]["p05"], entry["npv"]["p95"]
        colour = "tab:blue" if entry["on_frontier"] else ("lightgrey" if not entry["within_budget"] else "grey")
        ax.errorbar([x], [y], yerr=[[y - low], [high - y]], fmt="o", color=colour, capsize=3,
                    markerfacecolor=colour if entry["on_frontier"] else "white")
        gap = 9 if entry["name"] == summary["choice"] else 5  # clear of the choice's circle
        ax.annotate(" + ".join(letters[m] for m in entry["interventions"]) or "nothing", (x, y),
                    textcoords="offset points", xytext=(gap, gap - 2), fontsize=7)
        if entry["name"] == summary["choice"]:
            ax.plot([x], [y], "o", markersize=14, markerfacecolor="none", markeredgecolor="tab:red",
                    label=f"choice ({summary['objective']})")
    if summary["frontier"]:
        points = sorted((row["pv_cost"], row["npv"]) for row in summary["frontier"])
        ax.plot(*zip(*points), color="tab:blue", linewidth=1.2, label="efficient frontier")
    budget = summary["constraints"]
    if budget["budget"] is not None and budget["budget_on"] == "pv-cost":
        ax.axvline(budget["budget"], color="tab:red", linestyle=":", label="budget")
    ax.axhline(0, color="black", linewidth=0.6)
    low, high = ax.get_xlim()
    ax.set_xlim(low, high + 0.08 * (high - low))  # room for the costliest portfolio's label inside the axes
    ax.set_xlabel(f"expected PV cost ({currency})")
    ax.set_ylabel(f"NPV ({currency}): mean and 90 % interval")
    _money_axis(ax.xaxis, currency)
    _money_axis(ax.yaxis, currency)
    ax.legend(loc="best", fontsize=7)
    ax.set_title("portfolios: expected NPV against cost (hollow: off the frontier)")
    key = "\n".join(wrap(f"{letter} = {summary['interventions'][name]}", 90) for name, letter in letters.items())
    fig.text(0.01, 0.01, key, fontsize=7, va="bottom")
    _tight(fig, rect=(0, 0.04 + 0.03 * len(letters), 1, 1))
    return fig


def acceptability_figure(table: pd.DataFrame, summary: dict) -> Figure:
    """Probability that each portfolio has the highest NPV, against the discount (hurdle) rate."""
    fig, (ax,) = _panels(1, height=3.8)
    labels = {entry["name"]: entry["label"] for entry in summary["portfolios"]}
    for name, rows in table.groupby("portfolio", sort=False):
        if rows["probability_best"].max() > 0.01:
            ax.plot(100 * rows["discount_rate"], rows["probability_best"], marker=".", label=wrap(labels.get(name, name), 40))
    ax.axvline(100 * summary["discount_rate"], color="grey", linestyle=":", label="the scenario's rate")
    ax.set_ylim(0, 1)
    ax.set_xlabel("discount rate (% a year)")
    ax.set_ylabel("probability of the highest NPV")
    ax.legend(loc="best", fontsize=6)
    ax.set_title("acceptability: which portfolio is best, draw by draw")
    _tight(fig)
    return fig


def pilot_figure(table: pd.DataFrame, summary: dict) -> Figure:
    """EVSI, cost and expected net gain against pilot size, with the EVPPI ceiling; on a second axis the chance it
    shows the effect (power) on each measure it counts, named in the legend."""
    currency = summary["currency"]
    fig, (ax,) = _panels(1, height=4.4)  # room for the legend below
    n = table["customers_per_arm"]
    ax.plot(n, table["evsi"], marker="o", label="EVSI (value of the pilot's result)")
    ax.plot(n, table["cost"], marker="s", label="pilot cost")
    ax.plot(n, table["net_gain"], marker="^", label="expected net gain")
    ax.axhline(summary["evppi"], color="grey", linestyle="--", label="EVPPI (the most it could be worth)")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xscale("log")
    ax.set_xticks(list(n), [style(currency).count(int(size)) for size in n])  # the sizes tried, in plain numbers
    ax.xaxis.set_minor_locator(NullLocator())  # not the log axis' '3 x 10^1' labels, which ran into each other
    ax.set_xlabel(f"customers per arm ({summary['periods']} periods)")
    ax.set_ylabel(currency)
    _money_axis(ax.yaxis, currency)
    twin = ax.twinx()
    shades = ("tab:purple", "tab:pink", "tab:olive", "tab:cyan", "tab:brown")  # apart from the money lines' colours
    for i, (name, column) in enumerate(power_by_measure(summary)):
        twin.plot(n, table[column], color=shades[i % len(shades)], linestyle=":", marker=".", label=f"power: {name}")
    twin.set_ylim(0, 1)
    twin.set_ylabel("chance it shows the effect (power, 5 % test)", color="tab:purple", fontsize=7)
    handles = [line for axis in (ax, twin) for line in axis.get_legend_handles_labels()[0]]
    # Below the picture, where it covers no line (inside it hid the cost line).
    twin.legend(handles, [h.get_label() for h in handles], loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2,
                fontsize=6, frameon=False)
    ax.set_title(f"pilot of {summary['label']}")
    _tight(fig)
    return fig


def roi_histogram(roi_by_intervention: dict[str, np.ndarray], labels: dict[str, str], currency: str = "EUR") -> Figure:
    """ROI distribution of each intervention (in % of cost), with the break-even line at ROI = 0."""
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
    ax.set_xlabel("ROI (net return as % of the programme's cost)")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: style(currency).percent(x, 0)))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8))
    ax.set_ylabel("density")
    ax.set_yticks([])
    ax.legend(fontsize=8)
    _tight(fig)
    return fig


def cash_flow_fan(bands: pd.DataFrame, labels: dict[str, str], currency: str, period: str,
                  payback: dict[str, float | None]) -> Figure:
    """Cumulative discounted net cash flow per intervention: median, 50 % and 90 % bands, median payback marked.

    The panels share one y-axis, so a loss of 60 000 is drawn smaller than a gain of 1.2 million.
    """
    names = list(dict.fromkeys(bands["arm"]))
    fig, grid = plt.subplots(1, len(names), figsize=(8, 2.9), squeeze=False, sharey=True)
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
        ax.set_title(wrap(labels.get(name, name), 30), fontsize=8)
        ax.set_xlabel(f"{period}", fontsize=8)
        ax.tick_params(labelsize=7)
        _money_axis(ax.yaxis, currency)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
        if when is not None:
            ax.annotate(f"payback {period} {when:g}", (when, 0), xytext=(4, -12), textcoords="offset points", fontsize=7)
    grid[0][0].set_ylabel(f"cumulative ({currency})", fontsize=8)
    _tight(fig)
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
    _tight(fig)
    return fig


def budget_acceptability_figure(table: pd.DataFrame, summary: dict) -> Figure:
    """Probability that each portfolio has the highest NPV among those affordable, against a budget on expected PV cost."""
    currency = summary["currency"]
    fig, (ax,) = _panels(1, height=3.8)
    labels = {entry["name"]: entry["label"] for entry in summary["portfolios"]}
    for name, rows in table.groupby("portfolio", sort=False):
        if rows["probability_best"].max() > 0.01:
            ax.step(rows["budget"], rows["probability_best"], where="post", label=wrap(labels.get(name, name), 40))
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"budget on expected PV cost ({currency})")
    _money_axis(ax.xaxis, currency)
    ax.set_ylabel("probability of the highest NPV")
    ax.legend(loc="best", fontsize=6)
    ax.set_title("acceptability by budget: which affordable portfolio is best, draw by draw")
    _tight(fig)
    return fig
