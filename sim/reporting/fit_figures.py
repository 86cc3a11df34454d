"""Figures of ``cxroi fit customers`` and ``cxroi fit orders``: fitted curves against the company's own data.

Each function takes the report tables (one per segment) and returns a
matplotlib Figure; :func:`customers_figures` and :func:`orders_figures` give a report's
figures by name, which the command line saves into the `--out` folder.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.reporting.figures import _panels


def survival_figure(tables: dict[str, pd.DataFrame], period: str, title: str) -> Figure:
    """Observed (Kaplan-Meier) survival against the sBG and geometric fits, one panel per segment.

    Each table has ``period``, ``observed``, ``geometric`` and (unless churn is
    homogeneous) ``sbg``; a ``calibration`` column shades the tenures the fit
    did not see (the holdout).
    """
    fig, axes = _panels(len(tables), height=3.0)
    for ax, (segment, table) in zip(axes, tables.items()):
        t = np.concatenate([[0], table["period"].to_numpy()])

        def curve(column: str, table: pd.DataFrame = table) -> np.ndarray:
            return np.concatenate([[1.0], table[column].to_numpy(float)])

        ax.plot(t, curve("observed"), "o", color="black", markersize=3, label="observed (Kaplan-Meier)")
        if "sbg" in table:
            ax.plot(t, curve("sbg"), color="tab:blue", label="sBG fit (customers differ)")
        ax.plot(t, curve("geometric"), color="tab:orange", linestyle="--", label="geometric fit (all alike)")
        if "calibration" in table and (~table["calibration"]).any():
            first = table.loc[~table["calibration"], "period"].min()
            ax.axvspan(first - 1, t.max(), color="grey", alpha=0.15, label="holdout: not used by the fit")
        ax.set_ylim(0, 1.02)
        ax.set_xlim(0, t.max())
        ax.set_xlabel(f"{period}s since start")
        ax.set_ylabel("share still a customer")
        ax.set_title(f"{title}: segment {segment}", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def holdout_purchases_figure(reports: dict[str, pd.DataFrame], period: str, durations: dict[str, float]) -> Figure:
    """Mean purchases in the holdout, actual against predicted, per calibration frequency group; one panel per segment."""
    fig, axes = _panels(len(reports), height=3.0)
    for ax, (segment, report) in zip(axes, reports.items()):
        rows = report[report["group"] != "all"]
        x = np.arange(len(rows))
        ax.bar(x - 0.2, rows["actual_mean"], width=0.4, color="grey", label="actual")
        ax.bar(x + 0.2, rows["predicted_mean"], width=0.4, color="tab:blue", label="predicted by the fit")
        ax.set_xticks(x, [f"{g}\n({n:,})" for g, n in zip(rows["group"], rows["customers"])], fontsize=8)
        ax.set_xlabel("purchases before the cut-off (repeat purchases without --customers); customers in brackets")
        ax.set_ylabel(f"mean purchases\nin {durations[segment]:.1f} {period}s")
        ax.set_title(f"holdout purchases: segment {segment}", fontsize=10)
        ax.grid(alpha=0.3, axis="y")
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def customers_figures(report) -> dict[str, Figure]:
    """The figures of a :class:`~sim.fit.customers_report.CustomersReport`'s folder: survival, and the holdout's."""
    figures = {"survival": survival_figure({r.name: r.table for r in report.segments}, report.period,
                                           "survival, fitted on all the data")}
    held = {r.name: r.holdout.table for r in report.segments if r.holdout is not None}
    if held:
        figures["holdout"] = survival_figure(held, report.period, "holdout: fitted before the cut-off")
    return figures


def orders_figures(report) -> dict[str, Figure]:
    """The figures of an :class:`~sim.fit.orders_report.OrdersReport`'s folder: the holdout's purchases, if checked."""
    result = report.result
    if not result.holdout:
        return {}
    return {"holdout_purchases": holdout_purchases_figure(result.holdout, report.period, result.durations)}
