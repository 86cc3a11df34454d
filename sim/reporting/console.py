"""Printing results for people in a terminal: one function per kind of result (rich tables)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from sim.reporting.format import money, percent, ratio

TOP = 10
"""Rows per intervention in ranking tables printed to the terminal (files keep all)."""


def print_run(summary: dict) -> None:
    """The run summary: one column per intervention."""
    console = Console()
    currency = summary["currency"]
    mode = "base case (every input at its base value, expected counts)" if summary["mode"] == "base_case" else (
        f"{summary['draws']:,} draws, seed {summary['seed']}, {summary['sampling']} sampling"
    )
    basis = "gross profit less support cost" if summary["roi_basis"] == "gross_profit" else "revenue"
    console.print(f"[bold]{summary['scenario']}[/bold]: {mode}")
    console.print(
        f"horizon {_periods(summary['horizon'], summary['period'])}, discount rate {percent(summary['discount_rate'])} a year, "
        f"benefit measured as change in {basis}, amounts in {currency}"
    )
    entries = summary["interventions"]
    table = Table(show_header=True, header_style="bold")
    table.add_column("")
    for entry in entries.values():
        table.add_column(entry["label"], justify="right")
    rows = [
        ("ROI, mean", lambda e: ratio(e["roi"]["mean"])),
        ("ROI, 5th percentile", lambda e: ratio(e["roi"]["p05"])),
        ("ROI, median", lambda e: ratio(e["roi"]["p50"])),
        ("ROI, 95th percentile", lambda e: ratio(e["roi"]["p95"])),
        (f"NPV, mean ({currency})", lambda e: money(e["npv"]["mean"])),
        ("NPV, 5th percentile", lambda e: money(e["npv"]["p05"])),
        ("NPV, median", lambda e: money(e["npv"]["p50"])),
        ("NPV, 95th percentile", lambda e: money(e["npv"]["p95"])),
        ("P(ROI > 0)", lambda e: percent(e["prob_roi_positive"])),
        ("P(payback within horizon)", lambda e: percent(e["prob_payback_within_horizon"])),
        ("payback period, median", lambda e: _period(e["payback_period"]["p50"], summary["period"])),
        ("spreadsheet ROI (base case)", lambda e: ratio(e["base_case"]["roi"])),
        (f"spreadsheet NPV ({currency})", lambda e: money(e["base_case"]["npv"])),
    ]
    if summary["mode"] == "base_case":
        rows = [rows[0], rows[4], ("PV benefit", lambda e: money(e["pv_benefit"]["mean"])),
                ("PV cost", lambda e: money(e["pv_cost"]["mean"])), rows[10]]
        rows[0], rows[1], rows[4] = ("ROI", rows[0][1]), (f"NPV ({currency})", rows[1][1]), ("payback period", rows[4][1])
    for label, cell in rows:
        table.add_row(label, *(cell(entry) for entry in entries.values()))
    console.print(table)
    if "support" in summary:
        support = Table(title="What customers meet in support (means over the horizon)", header_style="bold",
                        title_justify="left")
        for column in ("arm", "contacts / period", "answered or solved", "mean wait (min)"):
            support.add_column(column, justify="left" if column == "arm" else "right")
        for arm, levels in summary["support"].items():
            support.add_row(arm, f"{levels['contacts_per_period']:,.0f}", percent(levels["answered_share"]),
                            f"{levels['mean_wait_minutes']:.2f}")
        console.print(support)


def _periods(count: int, unit: str) -> str:
    """'36 months', '1 year'."""
    return f"{count} {unit}{'' if count == 1 else 's'}"


def _period(value: float | None, unit: str) -> str:
    return "beyond horizon" if value is None else f"{unit} {value:g}"


def periods(count: int, unit: str) -> str:
    """'36 months', '1 year' (public for the CLI's validate message)."""
    return _periods(count, unit)


def _header(console: Console, summary: dict, what: str) -> None:
    console.print(f"[bold]{summary['scenario']}[/bold]: {what}, {summary['draws']:,} draws, seed {summary['seed']}")


def _interventions(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(row["intervention"] for row in rows))


def print_sweep(summary: dict) -> None:
    """One row per sweep point and intervention: NPV median and 90 % band, P(ROI > 0)."""
    console = Console()
    params = list(summary["params"])
    _header(console, summary, f"sweep of {' and '.join(params)}")
    table = Table(header_style="bold")
    for param in params:
        table.add_column(param.rsplit(".", 1)[-1], justify="right")
    for column in ("intervention", f"NPV median ({summary['currency']})", "NPV 5% .. 95%", "ROI median", "P(ROI > 0)"):
        table.add_column(column, justify="left" if column == "intervention" else "right")
    for row in summary["points"]:
        table.add_row(
            *(f"{row[p]:.4g}" for p in params), row["intervention"], money(row["npv_p50"]),
            f"{money(row['npv_p05'])} .. {money(row['npv_p95'])}", ratio(row["roi_p50"]), percent(row["prob_roi_positive"]),
        )
    console.print(table)


def print_tornado(summary: dict) -> None:
    """Largest swings first, per intervention, with the swing read from the draws beside it."""
    console = Console()
    _header(console, summary, "tornado")
    oat = summary["one_at_a_time"]["rows"]
    drawn = {(r["intervention"], r["input"]): r for r in summary["from_draws"]["rows"]}
    currency = summary["currency"]
    for name in _interventions(oat):
        table = Table(title=f"{name}: NPV swing ({currency}) when an input moves from its 10th to 90th percentile",
                      header_style="bold", title_justify="left")
        for column in ("input", "low .. high", "NPV at low", "NPV at high", "swing", "swing in the draws"):
            table.add_column(column, justify="left" if column == "input" else "right")
        for row in [r for r in oat if r["intervention"] == name][:TOP]:
            table.add_row(row["input"], f"{row['low_value']:.4g} .. {row['high_value']:.4g}", money(row["npv_at_low"]),
                          money(row["npv_at_high"]), money(row["npv_swing"]),
                          money(drawn[(name, row["input"])]["npv_swing"]))
        console.print(table)


def print_sensitivity(summary: dict) -> None:
    """Rank measures and Sobol indices side by side, strongest first, and the note on correlated inputs."""
    console = Console()
    _header(console, summary, "global sensitivity of NPV")
    sobol = {(r["intervention"], r["input"]): r for r in summary["sobol"]}
    ranks = summary["rank_measures"]
    for name in _interventions(ranks):
        table = Table(title=name, header_style="bold", title_justify="left")
        for column in ("input", "Spearman", "PRCC", "Sobol first", "Sobol total"):
            table.add_column(column, justify="left" if column == "input" else "right")
        rows = sorted([r for r in ranks if r["intervention"] == name], key=lambda r: -abs(r["prcc"] or 0))[:TOP]
        for row in rows:
            s = sobol.get((name, row["input"]))
            table.add_row(row["input"], f"{row['spearman']:+.2f}", f"{row['prcc']:+.2f}",
                          f"{s['first_order']:.2f} ± {s['first_order_conf']:.2f}" if s else "",
                          f"{s['total']:.2f} ± {s['total_conf']:.2f}" if s else "")
        console.print(table)
    console.print(summary["note"])


def print_breakeven(summary: dict) -> None:
    """Per intervention, the two break-even values or 'never within the range'."""
    console = Console()
    low, high = summary["range"]
    _header(console, summary, f"break-even of {summary['param']} (range {low:.4g} .. {high:.4g}, base {summary['base_value']:.4g})")
    table = Table(header_style="bold")
    for column in ("intervention", "mean NPV = 0 at", "P(ROI > 0) = 50 % at"):
        table.add_column(column, justify="left" if column == "intervention" else "right")
    for name, found in summary["breakeven"].items():
        cells = [f"{found[c]:.4g}" if found[c] is not None else "never within the range"
                 for c in ("mean_npv_zero", "prob_roi_positive_50")]
        table.add_row(name, *cells)
    console.print(table)


def print_voi(summary: dict) -> None:
    """EVPI of the decision and the inputs most worth learning about."""
    console = Console()
    currency = summary["currency"]
    _header(console, summary, "value of information")
    console.print(f"Best option with today's knowledge: [bold]{summary['best_option_now']}[/bold]; "
                  f"EVPI {money(summary['evpi'])} {currency} (the most any study could be worth)")
    table = Table(header_style="bold")
    for column in ("input", f"EVPPI ({currency})", "share of EVPI"):
        table.add_column(column, justify="left" if column == "input" else "right")
    for row in summary["evppi"][:TOP]:
        table.add_row(row["input"], money(row["evppi"]), percent(row["share_of_evpi"]))
    console.print(table)
    console.print("EVPPI: the most a pilot or study that pins down that input exactly could be worth.")


def print_pilot(summary: dict) -> None:
    """Per pilot size: EVSI, cost, expected net gain and power; then the verdict."""
    console = Console()
    currency = summary["currency"]
    _header(console, summary, f"pilot of {summary['label']}")
    console.print(f"Expected NPV now {money(summary['expected_npv_now'])} {currency}; EVPI {money(summary['evpi'])}, "
                  f"EVPPI of what the pilot measures {money(summary['evppi'])}")
    console.print("Measures: " + "; ".join(f"{m['counts']} in {m['segment']} ({m['change']})" for m in summary["measures"]))
    table = Table(header_style="bold")
    for column in ("customers per arm", "periods", f"EVSI ({currency})", "cost", "net gain", "power"):
        table.add_column(column, justify="right")
    for row in summary["sizes"]:
        table.add_row(f"{row['customers_per_arm']:,}", str(row["periods"]), money(row["evsi"]), money(row["cost"]),
                      money(row["net_gain"]), percent(row["power"]))
    console.print(table)
    console.print(f"Costs: {summary['costs']['basis']}.")
    console.print(f"[bold]{summary['verdict'][0].upper() + summary['verdict'][1:]}[/bold]")


def print_staffing(summary: dict) -> None:
    """One row per agent count; simulated values with their 95 % half-width when present."""
    console = Console()
    patience = f", patience {summary['patience_minutes']:g} min" if summary["patience_minutes"] else ""
    console.print(f"[bold]{summary['model']}[/bold]: {summary['rate_per_hour']:g} contacts an hour, handling "
                  f"{summary['aht_minutes']:g} min{patience}; service level = answered within {summary['target_seconds']:g} s")
    simulated = summary["simulation"] is not None
    table = Table(header_style="bold")
    columns = [("agents", "agents", "{:d}"), ("service level", "service_level", "{:.1%}"), ("ASA (s)", "asa_seconds", "{:.1f}"),
               ("abandoned", "abandonment", "{:.1%}"), ("occupancy", "occupancy", "{:.1%}"), ("P(wait)", "prob_wait", "{:.1%}")]
    for title, _, _ in columns:
        table.add_column(title, justify="right")
    for row in summary["rows"]:
        cells = []
        for _, key, fmt in columns:
            value = row[key]
            text = "∞" if value is None or value == float("inf") else fmt.format(value)
            if simulated and key != "agents" and row.get(f"sim_{key}") is not None:
                text += f"  | sim {fmt.format(row[f'sim_{key}'])} ± {fmt.format(row[f'sim_{key}_ci'])}"
            cells.append(text)
        table.add_row(*cells)
    console.print(table)
