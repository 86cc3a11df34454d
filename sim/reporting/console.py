"""Printing results for people in a terminal: one function per kind of result (rich tables).

Inputs and options appear by their names (``summary["labels"]``), or by their
dotted paths with ``paths=True`` (``--paths``). Every number is written by
:mod:`sim.reporting.format`; tables are laid out by :mod:`sim.reporting.layout` to
fit the terminal (80 columns and up): names wrap at spaces onto at most two
lines, numbers never wrap or get cut, and options beyond the width go to a
second table. Repeated notices are one line per kind (:mod:`sim.reporting.notices`).
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from sim.model.labels import lower_first
from sim.reporting.format import NumberStyle, lines, payback, periods, style, tornado_words
from sim.reporting.layout import Laid, column_groups, layout, narrowest
from sim.reporting.notices import adjustment_lines, input_value
from sim.reporting.pilot_power import POWER_WORDS, power_by_measure

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


def say(console: Console, text: str, bold: int = 0) -> None:
    """Print prose wrapped to the terminal at ordinary spaces only (a number's no-break spaces hold);
    the first ``bold`` characters in bold."""
    for i, line in enumerate(lines(text, console.width)):
        shown = Text(line)
        if i == 0 and bold:
            shown.stylize("bold", 0, bold)
        console.print(shown, soft_wrap=True, highlight=False)


def _show(console: Console, laid: Laid, title: str | None = None) -> None:
    """Print a laid-out table: its title, the header in bold, then the rule and rows."""
    console.print()
    if title:
        say(console, title, bold=len(title))
    for line in laid.header:
        console.print(Text(line, style="bold"), soft_wrap=True, highlight=False)
    for line in laid.body:
        console.print(Text(line), soft_wrap=True, highlight=False)


def show_table(console: Console, columns: list[str], rows: list[list[str]], title: str | None = None,
               text_columns: int = 1) -> None:
    """A table of labels and numbers within the terminal's width; a label that would need more than two
    lines goes on its own line above its numbers (stacked)."""
    width = console.width
    laid = layout(columns, rows, width, text_columns)
    if laid is None and text_columns:
        laid = layout(["", *columns[1:]], [["", *row[1:]] for row in rows], width, text_columns,
                      above=[row[0] for row in rows])
        title = f"{title} ({columns[0]} above each row)" if title and columns[0] else title
    if laid is None:  # too many number columns even alone: one row per paragraph, every value named
        laid = Laid([], [" " + text for row in rows for text in lines("; ".join(f"{c}: {v}" for c, v in zip(columns, row)),
                                                                         width - 1)])
    _show(console, laid, title)


def _header(console: Console, summary: dict, what: str) -> None:
    st = style(summary.get("currency"))
    say(console, f"{summary['scenario']}: {what}, {st.count(summary['draws'])} draws, seed\u00a0{summary['seed']}",
         bold=len(summary["scenario"]))
    _overrides(console, summary)


def _overrides(console: Console, summary: dict) -> None:
    if summary.get("overrides"):
        say(console, "set on the command line: " + ", ".join(summary["overrides"]))


def print_run(summary: dict, paths: bool = False) -> None:
    """The run summary: one column per intervention (a second table when they do not fit side by side)."""
    console = Console()
    st = style(summary["currency"])
    _, option_name = _names(summary, paths)
    currency = summary["currency"]
    base_case = summary["mode"] == "base_case"
    mode = "base case (every input at its base value, expected counts)" if base_case else (
        f"{st.count(summary['draws'])} draws, seed\u00a0{summary['seed']}, {summary['sampling']} sampling"
    )
    basis = "gross profit less support cost" if summary["roi_basis"] == "gross_profit" else "revenue"
    say(console, f"{summary['scenario']}: {mode}", bold=len(summary["scenario"]))
    _overrides(console, summary)
    say(console, f"horizon {periods(summary['horizon'], summary['period'])}, discount rate "
                  f"{st.percent(summary['discount_rate'])} a year, benefit measured as change in {basis}, amounts in "
                  f"{currency}, ROI = net return as % of cost")
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
        ("spreadsheet ROI", lambda e: st.roi(e["base_case"]["roi"])),
        ("spreadsheet NPV", lambda e: st.money(e["base_case"]["npv"])),
    ]
    if base_case:
        rows = [("ROI", rows[0][1]), ("NPV", rows[4][1]), ("PV benefit", lambda e: st.money(e["pv_benefit"]["mean"])),
                ("PV cost", lambda e: st.money(e["pv_cost"]["mean"])), ("payback period", rows[10][1])]
    elif all(e["prob_roi_positive"] == e["prob_payback_within_horizon"] for e in entries.values()):
        # Equal by construction (a draw has paid back exactly when its NPV is not negative): one row says both.
        rows = [row for row in rows if row[0] != "P(payback within horizon)"]
        rows = [("P(ROI > 0) = P(payback)", cell) if label == "P(ROI > 0)" else (label, cell) for label, cell in rows]
    names = [option_name(name) for name in entries]
    cells = [[cell(entry) for entry in entries.values()] for _, cell in rows]
    widths = [max([narrowest(names[i])] + [len(row[i]) for row in cells]) for i in range(len(names))]
    label_width = max(narrowest(label) for label, _ in rows)
    for group in column_groups(label_width, widths, console.width):
        show_table(console, ["", *(names[i] for i in group)], [[label, *(row[i] for i in group)]
                                                          for (label, _), row in zip(rows, cells)])
    if "support" in summary:
        support = [[option_name(arm), st.number(levels["contacts_per_period"]), st.percent(levels["answered_share"]),
                    st.fixed(levels["mean_wait_minutes"], 2)] for arm, levels in summary["support"].items()]
        show_table(console, ["option", f"contacts per {unit}", "answered or solved", "mean wait (min)"], support,
               title="What customers meet in support (means over the horizon)")
    for name, entry in entries.items():
        if entry.get("roi_undefined"):
            undefined = entry["roi_undefined"]
            say(console, f"{option_name(name)}: {undefined['reason']} (in {st.percent(undefined['share'])} of draws); "
                          f"P(NPV > 0) {st.percent(entry['prob_npv_positive'])}")
    print_adjustments(console, summary, paths)


def print_adjustments(console: Console, summary: dict, paths: bool = False, points: int | None = None) -> None:
    """One line per kind of draw the model had to adjust (clipped to a domain, good + bad cut to 1); the
    repeats of a sweep or break-even (one per point) collapsed into that line (``points``: how many were run)."""
    input_name, option_name = _names(summary, paths)
    st = style(summary.get("currency"))
    for sentence in adjustment_lines(summary.get("adjustments", []), summary["draws"], st, input_name, option_name,
                                     paths, points):
        say(console, sentence)


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
    options = _interventions(summary["points"])
    for name in options:
        rows = [[*(input_value(st, p, row[p]) for p in params), st.money(row["npv_p50"]), st.money(row["npv_p05"]),
                 st.money(row["npv_p95"]), st.roi(row["roi_p50"]), st.percent(row["prob_roi_positive"])]
                for row in summary["points"] if row["intervention"] == name]
        columns = [*(["A", "B"] if two else ["value"]), "NPV median", "NPV 5th pct", "NPV 95th pct", "ROI median",
                   "P(ROI > 0)"]
        show_table(console, columns, rows, title=option_name(name), text_columns=0)
    print_adjustments(console, summary, paths, points=len(summary["points"]) // max(1, len(options)))


def print_tornado(summary: dict, paths: bool = False) -> None:
    """Largest swings first, per intervention, with the swing read from the draws beside it."""
    console = Console()
    st = style(summary["currency"])
    input_name, option_name = _names(summary, paths)
    _header(console, summary, "tornado")
    oat = summary["one_at_a_time"]["rows"]
    drawn = {(r["intervention"], r["input"]): r for r in summary["from_draws"]["rows"]}
    for name in _interventions(oat):
        chosen = [r for r in oat if r["intervention"] == name][:TOP]
        numbers = [[st.money(row["npv_at_low"]), st.money(row["npv_at_high"]),
                    st.money(drawn[(name, row["input"])]["npv_swing"])] for row in chosen]
        ranges = [st.interval(row["low_value"], row["high_value"], lambda v, p=row["input"]: input_value(st, p, v))
                  for row in chosen]
        columns = ["NPV at low", "NPV at high", "swing in the draws"]
        (low, high), _ = tornado_words(summary)
        title = f"{option_name(name)}: NPV with one input at its {low} and at its {high} percentile, others at base"
        width = console.width
        laid = layout(["input (low to high)", *columns],
                      [[f"{input_name(row['input'])} ({span})", *cells] for row, span, cells in zip(chosen, ranges, numbers)],
                      width)
        if laid is None:  # stacked: the input's name on its own line, its range and NPVs below
            laid = layout(["input, then low to high", *columns], [[span, *cells] for span, cells in zip(ranges, numbers)],
                          width, above=[input_name(row["input"]) for row in chosen])
        _show(console, laid, title)
    print_adjustments(console, summary, paths)


def print_sensitivity(summary: dict, paths: bool = False) -> None:
    """Rank measures and Sobol indices side by side, strongest first, and the note on correlated inputs."""
    console = Console()
    st = style(summary.get("currency"))
    input_name, option_name = _names(summary, paths)
    _header(console, summary, "global sensitivity of NPV")
    sobol = {(r["intervention"], r["input"]): r for r in summary["sobol"]}
    ranks = summary["rank_measures"]
    for name in _interventions(ranks):
        chosen = sorted([r for r in ranks if r["intervention"] == name], key=lambda r: -abs(r["prcc"] or 0))[:TOP]
        rows = []
        for row in chosen:
            s = sobol.get((name, row["input"]))
            rows.append([input_name(row["input"]), st.signed(row["spearman"]), st.signed(row["prcc"]),
                         f"{st.fixed(s['first_order'], 2)} ± {st.fixed(s['first_order_conf'], 2)}" if s else "",
                         f"{st.fixed(s['total'], 2)} ± {st.fixed(s['total_conf'], 2)}" if s else ""])
        show_table(console, ["input", "Spearman", "PRCC", "Sobol first", "Sobol total"], rows, title=option_name(name))
    say(console, st.restyle(summary["note"]))
    print_adjustments(console, summary, paths)


def breakeven_cell(st: NumberStyle, outcome: str, value: float | None, path: str = "") -> str:
    """One break-even answer in words (``path``: the input moved, so an amount of money reads as money)."""
    if outcome == "break-even":
        return input_value(st, path, value)
    return {"always pays": "always pays", "never pays": "never pays", "no effect": "not affected"}.get(outcome, outcome)


def print_breakeven(summary: dict, paths: bool = False) -> None:
    """Per intervention, the two break-even values, or what it means that there is none."""
    console = Console()
    st = style(summary["currency"])
    input_name, option_name = _names(summary, paths)
    path = summary["param"]

    def shown(v):
        return input_value(st, path, v)

    low, high = summary["range"]
    if summary.get("range_given"):
        how = "the range given"
    elif summary.get("widened"):
        first = summary["first_range"]
        how = (f"its 1st to 99th percentile, {shown(first[0])} to {shown(first[1])}, widened towards what the "
               "input allows until each option crosses")
    else:
        how = "the input's 1st to 99th percentile, or half to twice a fixed value"
    _header(console, summary, f"break-even of {input_name(path)}")
    say(console, f"today's value {shown(summary['base_value'])}; searched {shown(low)} to {shown(high)}: {how}")
    outcomes = summary.get("outcomes", {})
    rows = []
    for name, found in summary["breakeven"].items():
        kinds = outcomes.get(name, {})
        rows.append([option_name(name), *(breakeven_cell(st, kinds.get(c, "break-even" if found[c] is not None else "never pays"),
                                                         found[c], path) for c in ("mean_npv_zero", "prob_roi_positive_50"))])
    show_table(console, ["option", "mean NPV = 0 at", f"P(ROI > 0) = {st.percent(0.5, 0)} at"], rows)
    say(console, "always / never pays: at every value searched; not affected: this input does not change that option.")
    errors = [(option_name(name), error) for name, by_criterion in summary.get("standard_error", {}).items()
              for error in by_criterion.values() if error is not None]
    if errors:
        name, error = max(errors, key=lambda pair: pair[1])
        say(console, f"Monte Carlo standard error of a break-even: up to {shown(error)} ({name}); "
                     "more draws narrow it, and the search stops within a quarter of it.")
    print_adjustments(console, summary, paths, points=summary.get("points_searched"))


def print_voi(summary: dict, paths: bool = False) -> None:
    """EVPI of the decision and the inputs most worth learning about."""
    console = Console()
    st = style(summary["currency"])
    input_name, option_name = _names(summary, paths)
    _header(console, summary, "value of information")
    best = summary["best_option_now"] if paths else summary.get("best_option_label") or option_name(summary["best_option_now"])
    say(console, f"Best option with today's knowledge: {best}; EVPI {st.money(summary['evpi'])} (the most any study "
                  "could be worth)")
    rows = [[input_name(row["input"]), st.money(row["evppi"]), st.percent(row["share_of_evpi"])] for row in summary["evppi"][:TOP]]
    show_table(console, ["input", "EVPPI", "share of EVPI"], rows)
    say(console, "EVPPI: the most a pilot or study that pins down that input exactly could be worth.")
    print_adjustments(console, summary, paths)


def pilot_verdict(summary: dict, st: NumberStyle) -> str:
    """The pilot's verdict in the house style, from the summary's numbers (its ``verdict`` says the same)."""
    best = summary.get("best")
    if summary.get("worth_running") and best:
        return (f"Run a pilot of {st.count(best['customers_per_arm'])} customers per arm for {periods(int(best['periods']), 'period')}: "
                f"expected net gain {st.money(best['net_gain'])} (EVSI {st.money(best['evsi'])} against a cost of "
                f"{st.money(best['cost'])})")
    if summary["evppi"] <= 0 or summary["evpi"] <= 0:
        return "No pilot: the decision would not change whatever the pilot showed (EVPI or EVPPI is zero)"
    shortfall = -max(row["net_gain"] for row in summary["sizes"])
    return (f"No pilot: at every size tried its cost exceeds what its result is worth (EVPPI of what it measures is "
            f"{st.money(summary['evppi'])}; the best size falls short by {st.money(shortfall)})")


def print_pilot(summary: dict, paths: bool = False) -> None:
    """Per pilot size: EVSI, cost and expected net gain; the chance it shows the effect (power) on each
    measure it counts, named; then the verdict."""
    console = Console()
    st = style(summary["currency"])
    _header(console, summary, f"pilot of {summary['label']}")
    say(console, f"Expected NPV now {st.money(summary['expected_npv_now'])}; EVPI {st.money(summary['evpi'])}, "
                  f"EVPPI of what the pilot measures {st.money(summary['evppi'])}")
    if paths:
        measured = [f"{m['counts']} in {m['segment']} ({m['change']})" for m in summary["measures"]]
    else:
        input_name, _ = _names(summary, paths)
        segments = summary.get("labels", {}).get("segments", {})
        measured = [f"{m['counts']}, {lower_first(segments.get(m['segment'], m['segment']))} ({input_name(m['change'])})"
                    for m in summary["measures"]]
    say(console, "Measures: " + "; ".join(measured))
    if summary.get("not_measured"):
        input_name, _ = _names(summary, paths)
        say(console, "Not counted by a customer pilot (what is known of them stays as it is): "
                     + "; ".join(input_name(path) for path in summary["not_measured"]))
    rows = [[st.count(row["customers_per_arm"]), st.count(row["periods"]), st.money(row["evsi"]), st.money(row["cost"]),
             st.money(row["net_gain"])] for row in summary["sizes"]]
    show_table(console, ["customers per arm", "periods", "EVSI", "cost", "net gain"], rows, text_columns=0)
    powers = power_by_measure(summary, None if not paths else {m["segment"]: m["segment"] for m in summary["measures"]})
    if powers:
        show_table(console, ["effect on", *(f"{st.count(row['customers_per_arm'])} per arm" for row in summary["sizes"])],
                   [[name, *(st.percent(row[column]) for row in summary["sizes"])] for name, column in powers],
                   title=f"Chance it shows the effect (power: {POWER_WORDS})")
    say(console, st.restyle(f"Costs: {summary['costs']['basis']}."))
    verdict = pilot_verdict(summary, st)
    say(console, verdict, bold=len(verdict))


STAFFING_COLUMNS = [("service level", "service_level", "share"), ("ASA (s)", "asa_seconds", "seconds"),
                    ("abandoned", "abandonment", "share"), ("occupancy", "occupancy", "share"), ("P(wait)", "prob_wait", "share")]


def print_staffing(summary: dict, paths: bool = False) -> None:
    """One row per agent count; with a simulation, a second row beneath it (``sim``) with the simulated
    values and their 95 % half-widths."""
    console = Console()
    st = style()
    patience = f", patience {st.value(summary['patience_minutes'])} min" if summary["patience_minutes"] else ""
    say(console, f"{summary['model']}: {st.value(summary['rate_per_hour'])} contacts an hour, handling "
                  f"{st.value(summary['aht_minutes'])} min{patience}; service level = answered within "
                  f"{st.value(summary['target_seconds'])} s", bold=len(summary["model"]))
    simulated = summary["simulation"] is not None

    def cell(value, kind, half_width=None):
        if value is None or value == float("inf"):
            return "∞"
        if kind == "seconds":
            return st.fixed(value, 1) if half_width is None else f"{st.fixed(value, 1)} ± {st.fixed(half_width, 1)}"
        if half_width is None:
            return st.percent(value)
        return f"{st.points(value)} ± {st.percent(half_width)}"

    def half(value, kind):
        return "" if value is None else "± " + (st.fixed(value, 1) if kind == "seconds" else st.percent(value))

    def table(split: bool) -> list[list[str]]:
        """Rows per agent count: the formulas; the simulation beneath (its ± on a third row when ``split``)."""
        rows = []
        for row in summary["rows"]:
            rows.append([st.count(row["agents"]), *(cell(row[key], kind) for _, key, kind in STAFFING_COLUMNS)])
            if not simulated or all(row.get(f"sim_{key}") is None for _, key, _ in STAFFING_COLUMNS):
                continue
            sims = [(row.get(f"sim_{key}"), row.get(f"sim_{key}_ci"), kind) for _, key, kind in STAFFING_COLUMNS]
            if split:
                rows.append(["sim", *("" if v is None else cell(v, kind) for v, _, kind in sims)])
                rows.append(["", *(half(ci, kind) for _, ci, kind in sims)])
            else:
                rows.append(["sim", *("" if v is None else cell(v, kind, ci) for v, ci, kind in sims)])
        return rows

    columns = ["agents", *(title for title, _, _ in STAFFING_COLUMNS)]
    rows = table(split=False)
    if layout(columns, rows, console.width, 0) is None:
        rows = table(split=True)
    show_table(console, columns, rows, text_columns=0)
    if simulated:
        say(console, f"sim: the simulation's mean ± its {st.percent(0.95, 0)} half-width, beneath the formulas' row")
    if summary.get("overloaded_agents"):
        say(console, f"∞: with {', '.join(map(str, summary['overloaded_agents']))} agents the offered load "
                      f"({st.estimate(summary['rows'][0]['offered_load'], 3)} erlangs) is at or above capacity, so the "
                      "queue grows without limit; add agents, or give --patience for callers who hang up (Erlang A)")


def print_portfolio(summary: dict, paths: bool = False) -> None:
    """Portfolios of interventions: outcomes, costs and the frontier, and the choice under each risk appetite.

    Portfolios are written with a letter per intervention (A + B), the key printed
    first, so that the tables fit the terminal; with ``--paths`` by their names.
    """
    console = Console()
    st = style(summary["currency"])
    _header(console, summary, "portfolios of interventions")
    search = summary["search"]
    say(console, f"{search['evaluated']} of {search['admissible']} admissible portfolios evaluated "
                 f"({search['method']}); {search['arms_simulated']} arms simulated. Budget: {_budget(summary, st)}.")
    entries = summary["portfolios"]
    options = summary["interventions"]
    letters = {name: chr(ord("A") + i) if i < 26 else name for i, name in enumerate(options)}
    if not paths:
        for name_, label in options.items():
            say(console, f"{letters[name_]} = {label}")

    def name(entry: dict) -> str:
        if paths:
            return entry["name"]
        return " + ".join(letters[member] for member in entry["interventions"]) or "nothing"

    rows = [[name(e), st.money(e["npv"]["mean"]), st.money(e["npv"]["p05"]), st.money(e["npv"]["p95"]),
             st.percent(e["prob_npv_positive"]), st.money(e["npv_expected_shortfall_10"])] for e in entries]
    show_table(console, ["portfolio", "E[NPV]", "5 %", "95 %", "P(NPV>0)", "worst 10 %"], rows)
    rows = []
    for e in entries:
        if not e["within_budget"]:
            mark = "over budget"
        elif e["on_frontier"]:
            mark = "frontier" + (f", +{st.roi(e['incremental_roi'])}" if e["incremental_roi"] is not None else "")
        else:
            mark = e["dominated"] or ""
        rows.append([name(e), st.money(e["pv_cost"]["mean"]), st.roi(e["roi"]["mean"]),
                     st.money(e["interaction"]["mean"]) if e["interaction"] else "", mark])
    show_table(console, ["portfolio", "PV cost", "ROI", "interaction", "frontier"], rows)
    say(console, "5 % / 95 %: the 90 % interval of NPV; worst 10 %: the mean NPV of the worst tenth of draws. "
                 "Interaction: the portfolio's NPV minus the sum of its options' NPVs. Frontier: expected NPV against "
                 "PV cost, with the incremental ROI of each step (extra NPV per extra cost); dominated: another costs "
                 "no more and earns no less; extendedly dominated: a mix of its neighbours would do better.")
    for e in entries:
        for note in e["set_wins"]:
            say(console, f"{name(e)}: {note}")
    labels = {e["name"]: (e["name"] if paths else e["label"]) for e in entries}
    others = "; ".join(f"{objective}: {labels[choice]}" for objective, choice in summary["choice_by_objective"].items()
                       if objective != summary["objective"])
    chosen = f"Choice ({summary['objective']}): {labels[summary['choice']]}."
    say(console, f"{chosen} Under the other risk appetites: {others}.", bold=len(chosen))
    crn = summary["crn"]
    if crn:
        a, b = (name(next(e for e in entries if e["name"] == n)) for n in crn["between"])
        say(console, f"Common random numbers: the difference in E[NPV] between {a} and {b} "
                     f"({st.money(crn['difference'])}) has standard error {st.money(crn['se_common_random_numbers'])}; "
                     f"independent draws would give {st.money(crn['se_independent_draws'])}"
                     + (f" ({st.estimate(crn['ratio'], 3)}x larger)." if crn["ratio"] else "."))
    say(console, f"EVPI of the choice among these portfolios: {st.money(summary['evpi'])}.")


def _budget(summary: dict, st) -> str:
    constraints = summary["constraints"]
    if constraints["budget"] is None:
        return "no limit"
    return f"{st.money(constraints['budget'])} on {constraints['budget_meaning']}"
