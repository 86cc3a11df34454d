"""Printing results for people in a terminal: one function per kind of result (rich tables).

Inputs and options appear by their names (``summary["labels"]``), or by their
dotted paths with ``paths=True`` (``--paths``). Tables fit an 80-column
terminal: names wrap at spaces, numbers never wrap or get cut.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from sim.model.domains import describe_adjustment
from sim.reporting.format import NumberStyle, payback, periods, style

TOP = 10
"""Rows per intervention in ranking tables printed to the terminal (files keep all)."""


def _names(summary: dict, paths: bool):
    """(input name, option name) functions for one summary."""
    labels = summary.get("labels", {})
    inputs, options = labels.get("inputs", {}), labels.get("options", {})
    entries = summary.get("interventions", {})

    def input_name(path: str) -> str:
        return path if paths else inputs.get(path, path)

    def option_name(name: str) -> str:
        if paths:
            return name
        return options.get(name) or entries.get(name, {}).get("label") or name

    return input_name, option_name


def _table(columns: list[str], rows: list[list[str]], title: str | None = None, text_columns: int = 1) -> Table:
    """A table whose first ``text_columns`` wrap and whose number columns keep their full width."""
    table = Table(title=title, header_style="bold", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for i, column in enumerate(columns):
        if i < text_columns:
            table.add_column(column, justify="left", overflow="fold")
        else:
            widest = max([len(row[i]) for row in rows] or [1])
            table.add_column(column, justify="right", min_width=widest, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def _header(console: Console, summary: dict, what: str) -> None:
    mode = f"{summary['draws']:,} draws, seed {summary['seed']}"
    console.print(f"[bold]{summary['scenario']}[/bold]: {what}, {mode}")
    _overrides(console, summary)


def _overrides(console: Console, summary: dict) -> None:
    if summary.get("overrides"):
        console.print("set on the command line: " + ", ".join(summary["overrides"]), highlight=False)


def print_run(summary: dict, paths: bool = False) -> None:
    """The run summary: one column per intervention."""
    console = Console()
    st = style(summary["currency"])
    _, option_name = _names(summary, paths)
    currency = summary["currency"]
    base_case = summary["mode"] == "base_case"
    mode = "base case (every input at its base value, expected counts)" if base_case else (
        f"{summary['draws']:,} draws, seed {summary['seed']}, {summary['sampling']} sampling"
    )
    basis = "gross profit less support cost" if summary["roi_basis"] == "gross_profit" else "revenue"
    console.print(f"[bold]{summary['scenario']}[/bold]: {mode}")
    _overrides(console, summary)
    console.print(
        f"horizon {periods(summary['horizon'], summary['period'])}, discount rate {st.percent(summary['discount_rate'])} "
        f"a year, benefit measured as change in {basis}, amounts in {currency}, ROI = net return as % of cost",
        highlight=False,
    )
    entries = summary["interventions"]
    unit = summary["period"]
    rows = [
        ("ROI, mean", lambda e: st.roi(e["roi"]["mean"])),
        ("ROI, 5th percentile", lambda e: st.roi(e["roi"]["p05"])),
        ("ROI, median", lambda e: st.roi(e["roi"]["p50"])),
        ("ROI, 95th percentile", lambda e: st.roi(e["roi"]["p95"])),
        ("NPV, mean", lambda e: st.money(e["npv"]["mean"])),
        ("NPV, 5th percentile", lambda e: st.money(e["npv"]["p05"])),
        ("NPV, median", lambda e: st.money(e["npv"]["p50"])),
        ("NPV, 95th percentile", lambda e: st.money(e["npv"]["p95"])),
        ("P(ROI > 0)", lambda e: st.percent(e["prob_roi_positive"])),
        ("P(payback within horizon)", lambda e: st.percent(e["prob_payback_within_horizon"])),
        ("payback period, median", lambda e: _payback(e["payback_period"]["p50"], unit)),
        ("spreadsheet ROI (base case)", lambda e: st.roi(e["base_case"]["roi"])),
        ("spreadsheet NPV", lambda e: st.money(e["base_case"]["npv"])),
    ]
    if base_case:
        rows = [("ROI", rows[0][1]), ("NPV", rows[4][1]), ("PV benefit", lambda e: st.money(e["pv_benefit"]["mean"])),
                ("PV cost", lambda e: st.money(e["pv_cost"]["mean"])), ("payback period", rows[10][1])]
    cells = [[label, *(cell(entry) for entry in entries.values())] for label, cell in rows]
    console.print(_table(["", *(option_name(name) for name in entries)], cells))
    if "support" in summary:
        support = [[option_name(arm), st.number(levels["contacts_per_period"]), st.percent(levels["answered_share"]),
                    f"{levels['mean_wait_minutes']:.2f}"] for arm, levels in summary["support"].items()]
        console.print(_table(["option", f"contacts per {unit}", "answered or solved", "mean wait (min)"], support,
                             title="What customers meet in support (means over the horizon)"))
    for name, entry in entries.items():
        if entry.get("roi_undefined"):
            undefined = entry["roi_undefined"]
            console.print(f"{option_name(name)}: {undefined['reason']} (in {st.percent(undefined['share'])} of draws); "
                          f"P(NPV > 0) {st.percent(entry['prob_npv_positive'])}", highlight=False)
    print_adjustments(console, summary, paths)


def print_adjustments(console: Console, summary: dict, paths: bool = False) -> None:
    """One line per kind of draw the model had to adjust (clipped to a domain, good + bad cut to 1)."""
    input_name, option_name = _names(summary, paths)
    for entry in summary.get("adjustments", []):
        console.print(f"Adjusted in {describe_adjustment(entry, summary['draws'], input_name, option_name, paths)}",
                      highlight=False)


def _payback(value: float | None, unit: str) -> str:
    text = payback(value, unit)
    return "beyond horizon" if text == "beyond the horizon" else text


def periods_text(count: int, unit: str) -> str:
    """'36 months', '1 year' (for the CLI's validate message)."""
    return periods(count, unit)


def _interventions(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(row["intervention"] for row in rows))


def print_sweep(summary: dict, paths: bool = False) -> None:
    """Per option, one row per sweep point: NPV median and 90 % band, ROI median, P(ROI > 0)."""
    console = Console()
    st = style(summary["currency"])
    input_name, option_name = _names(summary, paths)
    params = list(summary["params"])
    two = len(params) > 1
    _header(console, summary, "sweep of " + " and ".join(f"{input_name(p)} ({'AB'[i]})" if two else input_name(p)
                                                        for i, p in enumerate(params)))
    for name in _interventions(summary["points"]):
        rows = [[*(st.value(row[p]) for p in params), st.money(row["npv_p50"]), st.money(row["npv_p05"]),
                 st.money(row["npv_p95"]), st.roi(row["roi_p50"]), st.percent(row["prob_roi_positive"])]
                for row in summary["points"] if row["intervention"] == name]
        columns = [*(["A", "B"] if two else ["value"]), "NPV median", "NPV 5th pct", "NPV 95th pct", "ROI median",
                   "P(ROI > 0)"]
        console.print(_table(columns, rows, title=option_name(name), text_columns=0))
    print_adjustments(console, summary, paths)


def print_tornado(summary: dict, paths: bool = False) -> None:
    """Largest swings first, per intervention, with the swing read from the draws beside it."""
    console = Console()
    st = style(summary["currency"])
    input_name, option_name = _names(summary, paths)
    _header(console, summary, "tornado")
    oat = summary["one_at_a_time"]["rows"]
    drawn = {(r["intervention"], r["input"]): r for r in summary["from_draws"]["rows"]}
    for name in _interventions(oat):
        rows = [[f"{input_name(row['input'])} [dim]({st.value(row['low_value'])} to {st.value(row['high_value'])})[/dim]",
                 st.money(row["npv_at_low"]), st.money(row["npv_at_high"]), st.money(drawn[(name, row["input"])]["npv_swing"])]
                for row in [r for r in oat if r["intervention"] == name][:TOP]]
        title = (f"{option_name(name)}: NPV with one input at its 10th and at its 90th percentile (values in brackets), "
                 "others at base")
        console.print(_table(["input (low to high)", "NPV at low", "NPV at high", "swing in the draws"], rows, title=title))
    print_adjustments(console, summary, paths)


def print_sensitivity(summary: dict, paths: bool = False) -> None:
    """Rank measures and Sobol indices side by side, strongest first, and the note on correlated inputs."""
    console = Console()
    input_name, option_name = _names(summary, paths)
    _header(console, summary, "global sensitivity of NPV")
    sobol = {(r["intervention"], r["input"]): r for r in summary["sobol"]}
    ranks = summary["rank_measures"]
    for name in _interventions(ranks):
        chosen = sorted([r for r in ranks if r["intervention"] == name], key=lambda r: -abs(r["prcc"] or 0))[:TOP]
        rows = []
        for row in chosen:
            s = sobol.get((name, row["input"]))
            rows.append([input_name(row["input"]), _signed(row["spearman"]), _signed(row["prcc"]),
                         f"{s['first_order']:.2f} ± {s['first_order_conf']:.2f}" if s else "",
                         f"{s['total']:.2f} ± {s['total_conf']:.2f}" if s else ""])
        console.print(_table(["input", "Spearman", "PRCC", "Sobol first", "Sobol total"], rows, title=option_name(name)))
    console.print(summary["note"])
    print_adjustments(console, summary, paths)


def _signed(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.2f}".replace("-", "\u2212")


def breakeven_cell(st: NumberStyle, outcome: str, value: float | None) -> str:
    """One break-even answer in words."""
    if outcome == "break-even":
        return st.value(value)
    return {"always pays": "always pays", "never pays": "never pays", "no effect": "not affected"}.get(outcome, outcome)


def print_breakeven(summary: dict, paths: bool = False) -> None:
    """Per intervention, the two break-even values, or what it means that there is none."""
    console = Console()
    st = style(summary["currency"])
    input_name, option_name = _names(summary, paths)
    low, high = summary["range"]
    if summary.get("range_given"):
        how = "the range given"
    elif summary.get("widened"):
        first = summary["first_range"]
        how = (f"its 1st to 99th percentile, {st.value(first[0])} to {st.value(first[1])}, widened towards what the "
               "input allows until each option crosses")
    else:
        how = "the input's 1st to 99th percentile, or half to twice a fixed value"
    _header(console, summary, f"break-even of {input_name(summary['param'])}")
    console.print(f"today's value {st.value(summary['base_value'])}; searched {st.value(low)} to {st.value(high)}: "
                  f"{how}", highlight=False)
    outcomes = summary.get("outcomes", {})
    rows = []
    for name, found in summary["breakeven"].items():
        kinds = outcomes.get(name, {})
        rows.append([option_name(name), *(breakeven_cell(st, kinds.get(c, "break-even" if found[c] is not None else "never pays"),
                                                         found[c]) for c in ("mean_npv_zero", "prob_roi_positive_50"))])
    console.print(_table(["option", "mean NPV = 0 at", "P(ROI > 0) = 50 % at"], rows))
    console.print("always / never pays: at every value searched; not affected: this input does not change that option.",
                  highlight=False)
    print_adjustments(console, summary, paths)


def print_voi(summary: dict, paths: bool = False) -> None:
    """EVPI of the decision and the inputs most worth learning about."""
    console = Console()
    st = style(summary["currency"])
    input_name, option_name = _names(summary, paths)
    _header(console, summary, "value of information")
    best = summary["best_option_now"] if paths else summary.get("best_option_label") or option_name(summary["best_option_now"])
    console.print(f"Best option with today's knowledge: [bold]{best}[/bold]; "
                  f"EVPI {st.money(summary['evpi'])} (the most any study could be worth)", highlight=False)
    rows = [[input_name(row["input"]), st.money(row["evppi"]), st.percent(row["share_of_evpi"])] for row in summary["evppi"][:TOP]]
    console.print(_table(["input", "EVPPI", "share of EVPI"], rows))
    console.print("EVPPI: the most a pilot or study that pins down that input exactly could be worth.")
    print_adjustments(console, summary, paths)


def print_pilot(summary: dict, paths: bool = False) -> None:
    """Per pilot size: EVSI, cost, expected net gain and power; then the verdict."""
    console = Console()
    st = style(summary["currency"])
    _header(console, summary, f"pilot of {summary['label']}")
    console.print(f"Expected NPV now {st.money(summary['expected_npv_now'])}; EVPI {st.money(summary['evpi'])}, "
                  f"EVPPI of what the pilot measures {st.money(summary['evppi'])}", highlight=False)
    console.print("Measures: " + "; ".join(f"{m['counts']} in {m['segment']} ({m['change']})" for m in summary["measures"]),
                  highlight=False)
    rows = [[st.number(row["customers_per_arm"]), str(row["periods"]), st.money(row["evsi"]), st.money(row["cost"]),
             st.money(row["net_gain"]), st.percent(row["power"])] for row in summary["sizes"]]
    console.print(_table(["customers per arm", "periods", "EVSI", "cost", "net gain", "power"], rows, text_columns=0))
    console.print(f"Costs: {summary['costs']['basis']}.", highlight=False)
    console.print(f"[bold]{summary['verdict'][0].upper() + summary['verdict'][1:]}[/bold]", highlight=False)


def print_staffing(summary: dict, paths: bool = False) -> None:
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
    if summary.get("overloaded_agents"):
        console.print(f"∞: with {', '.join(map(str, summary['overloaded_agents']))} agents the offered load "
                      f"({summary['rows'][0]['offered_load']:.3g} erlangs) is at or above capacity, so the queue grows "
                      "without limit; add agents, or give --patience for callers who hang up (Erlang A)", highlight=False)
