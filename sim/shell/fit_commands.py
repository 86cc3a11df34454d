"""``cxroi fit ...``: estimate scenario inputs from a company's own data (the command-line edge).

Each subcommand reads its files (CSV or Parquet), maps their columns, calls a
fit in :mod:`sim.fit` (which takes data frames and numbers) and prints the
estimates; with ``--into FILE`` it writes them into a scenario with
:mod:`sim.shell.scenario_writer`, otherwise it prints the TOML it would write.
Every user mistake is one line naming the file, the row or column and what is
allowed, exit code 2, nothing written.
"""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from sim.errors import Problem, ScenarioError, UsageError
from sim.shell.fit_customers import customers_command
from sim.shell.fit_io import echo_json as _echo_json
from sim.shell.fit_io import echo_wrapped
from sim.shell.progress import working
from sim.shell.fit_io import key_values as _mapping
from sim.shell.fit_io import read_table
from sim.shell.fit_io import user_errors as _user_errors
from sim.shell.fit_orders import orders_command


@click.group("fit")
def fit_group() -> None:
    """Estimate scenario inputs from your own data: customers, orders, support tickets, pilots.

    \b
      customers  churn from a customer list (shifted-beta-geometric)
      orders     purchases and spend from an order log (NBD or BG/NBD, Gamma-Gamma)
      support    contacts and experience effects from support tickets
      pilot      an intervention's effect from a pilot's treated and control arms

    \b
    Examples (the sample company in scenarios/data/):
      cp scenarios/sample_company.toml my_company.toml
      cxroi fit customers scenarios/data/customers.csv --into my_company.toml
      cxroi fit orders scenarios/data/orders.csv --customers scenarios/data/customers.csv --into my_company.toml
      cxroi fit support scenarios/data/tickets.csv --customers scenarios/data/customers.csv \\
          --orders scenarios/data/orders.csv --into my_company.toml
      cxroi fit pilot scenarios/data/pilot.csv --measure bad --segment retail \\
          --intervention first_contact --into my_company.toml
      cxroi fit pilot --measure churn --treated 40/500 --control 60/500
    """


# --- cxroi fit pilot -------------------------------------------------------------------


def parse_arm(text: str, option: str):
    """'40/500' -> Arm(40, 500); a clear UsageError otherwise."""
    from sim.fit.pilot import Arm

    events, sep, exposure = text.partition("/")
    try:
        if not sep:
            raise ValueError
        return Arm(float(events), float(exposure))
    except ValueError:
        raise UsageError(f"{option} '{text}' is not EVENTS/EXPOSURE, e.g. 40/500 (40 churned of 500 customers)") from None


def pilot_arms_from_table(frame: pd.DataFrame, measure: str):
    """(treated, control, where) from a pilot table: an 'arm' column (treated / control) and the measure's columns."""
    from sim.fit.checks import missing_columns, row_number
    from sim.fit.pilot import KINDS, Arm

    _, exposure, events, _ = KINDS[measure]
    problems = missing_columns(frame, ["arm", exposure, events])
    if problems:
        raise ScenarioError(problems)
    arms = frame["arm"].astype(str).str.strip().str.lower()
    found = {}
    for name in ("treated", "control"):
        rows = [int(i) for i in (arms == name).to_numpy().nonzero()[0]]
        if len(rows) != 1:
            raise ScenarioError([Problem("column 'arm'", f"needs exactly one '{name}' row, found {len(rows)}")])
        row = rows[0]
        values = []
        for column in (events, exposure):
            value = pd.to_numeric(frame[column].iloc[row], errors="coerce")
            if pd.isna(value):
                raise ScenarioError([Problem(f"row {row_number(row)}, column '{column}'",
                                             f"cannot read '{frame[column].iloc[row]}' as a number")])
            values.append(float(value))
        found[name] = (Arm(*values), f"row {row_number(row)}")
    return found["treated"][0], found["control"][0], (found["treated"][1], found["control"][1])


def change_path(measure: str, segment: str, scenario_file: Path | None) -> str:
    """The parameter the pilot's effect scales: the segment's churn key, experience.bad or purchases."""
    if measure == "bad":
        return f"segments.{segment}.experience.bad"
    if measure == "purchases":
        return f"segments.{segment}.purchases"
    if scenario_file is not None and scenario_file.is_file():
        import tomllib

        try:
            raw = tomllib.loads(scenario_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            raw = {}
        keys = raw.get("segments", {}).get(segment, {})
        for key in ("churn", "monthly_churn", "annual_churn"):
            if key in keys:
                return f"segments.{segment}.{key}"
    return f"segments.{segment}.monthly_churn"


@fit_group.command("pilot")
@click.argument("table", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--measure", type=click.Choice(["churn", "bad", "purchases"]), required=True,
              help="What the pilot counted: churned customers, bad experiences per contact, or purchases per customer-period.")
@click.option("--treated", metavar="EVENTS/EXPOSURE", help="Treated arm without a table, e.g. 40/500.")
@click.option("--control", metavar="EVENTS/EXPOSURE", help="Control arm without a table, e.g. 60/500.")
@click.option("--prior", metavar="A,B", help="Prior of each arm's rate: Beta(A, B) for churn and bad, Gamma(shape A, rate B) for purchases [default: 0.5,0.5 and 0.5,0].")
@click.option("--segment", help="Segment the pilot ran in (needed for --into).")
@click.option("--intervention", metavar="NAME", help="Intervention whose change the result becomes (needed for --into).")
@click.option("--path", "target_path", metavar="PATH", help="Parameter the effect scales [default: the segment's churn, experience.bad or purchases].")
@click.option("--into", type=click.Path(dir_okay=False, path_type=Path), help="Scenario to write the change into (added, or replacing the change of the same parameter).")
@click.option("--label", default="pilot", show_default=True, help="Name of the pilot in the source text.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON and nothing else on stdout.")
def pilot_command(table, measure, treated, control, prior, segment, intervention, target_path, into, label, as_json):
    """A pilot's result as the posterior distribution of the intervention's effect.

    Per arm: churned of customers (--measure churn), bad experiences of contacts
    (bad), or purchases over customer-periods (purchases), from TABLE (CSV or
    Parquet with an 'arm' column, treated / control, and the columns customers,
    churned / contacts, bad / customer_periods, purchases) or from --treated and
    --control. Conjugate posteriors (beta-binomial, gamma-Poisson) give the risk or
    rate ratio treated / control; --into writes it as the intervention's scale of
    the parameter, a lognormal with its source.

    \b
    Examples:
      cxroi fit pilot --measure churn --treated 40/500 --control 60/500
      cxroi fit pilot scenarios/data/pilot.csv --measure bad --segment retail --intervention first_contact \\
          --into my_company.toml
    """
    from sim.fit.pilot import pilot_effect
    from sim.shell.scenario_writer import InputUpdate, fragment, write_inputs

    with _user_errors(table or ""):
        if (table is None) == (treated is None or control is None) or (table and (treated or control)):
            raise UsageError("give a pilot TABLE or both --treated and --control, not both")
        if into and not (intervention and (segment or target_path)):
            raise UsageError("--into needs --intervention and --segment (or --path)")
        prior_ab = _parse_prior(prior)
        if table is not None:
            try:
                arms = pilot_arms_from_table(read_table(table), measure)
                result = pilot_effect(measure, arms[0], arms[1], prior_ab, where=arms[2])
            except ScenarioError as error:
                raise error.in_file(str(table)) from None
            evidence = f"{table}"
        else:
            result = pilot_effect(measure, parse_arm(treated, "--treated"), parse_arm(control, "--control"), prior_ab,
                                  where=("--treated", "--control"))
            evidence = f"treated {treated}, control {control}"
        source = (f"cxroi fit pilot ({label}: {evidence}): {result.name} {result.median:.3g} "
                  f"(95 % {result.low:.3g} to {result.high:.3g}), {result.method}; prior "
                  f"{_prior_words(measure, prior_ab)}")
        path = target_path or (change_path(measure, segment, into) if segment else None)
        updates = []
        if intervention and path:
            updates = [InputUpdate(f"interventions.{intervention}.changes[+]",
                                   {"path": path, "scale": result.scale_spec(source),
                                    "source": f"cxroi fit pilot ({label}: {evidence})"},
                                   f"from {label}")]
        written = None
        overlap = _double_counting(into, intervention, measure, segment) if into else None
        if into:
            write_inputs(into, updates, create=False)
            written = str(into)
        summary = {
            "measure": measure, "effect": result.name, "method": result.method,
            "treated_posterior": result.treated.describe(), "control_posterior": result.control.describe(),
            "median": result.median, "mean": result.mean, "interval_95": [result.low, result.high],
            "prob_effect_below_1": result.prob_below_one, "scale": result.scale_spec(source),
            "change_path": path, "written_into": written, "warning": overlap,
        }
        if as_json:
            _echo_json(summary)
            return
        from sim.reporting.format import style

        st = style()
        echo_wrapped(f"{result.name}: median {st.fixed(result.median, 3)}, {st.percent(0.95, 0)} interval "
                   f"{st.fixed(result.low, 3)} to {st.fixed(result.high, 3)}, P(below 1) {st.percent(result.prob_below_one)}")
        echo_wrapped(st.restyle(f"posteriors: treated {result.treated.describe()}, control {result.control.describe()} "
                                f"({result.method})"))
        if written:
            click.echo(f"Written into {written}: interventions.{intervention}.changes (scale of {path})")
        if overlap:
            echo_wrapped(overlap)
        elif updates:
            click.echo("# add to the scenario (or pass --into):")
            click.echo(fragment(updates).rstrip())


def _double_counting(into: Path, intervention: str | None, measure: str, segment: str | None) -> str | None:
    """A warning when a pilot's total effect on churn or buying joins changes that reach it through experiences."""
    import tomllib

    if measure == "bad" or not intervention or not into.is_file():
        return None
    try:
        raw = tomllib.loads(into.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    changes = raw.get("interventions", {}).get(intervention, {}).get("changes", [])
    through = [c.get("path", "") for c in changes if f".{segment}.experience." in c.get("path", "")]
    if not through:
        return None
    return (f"Note: the pilot measured the whole effect on {measure}, which includes what {intervention} does through "
            f"{', '.join(through)}; keep those changes only if the pilot's effect is on top of them, or it is counted twice.")


def _parse_prior(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        a, b = (float(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"--prior '{text}' is not A,B, e.g. 1,1") from None
    if a <= 0 or b < 0:
        raise UsageError(f"--prior '{text}': A must be more than 0 and B at least 0")
    return a, b


def _prior_words(measure: str, prior: tuple[float, float] | None) -> str:
    from sim.fit.pilot import KINDS, PRIORS, Posterior

    kind = KINDS[measure][0]
    a, b = prior or PRIORS[kind]
    return Posterior(kind, a, b).describe() + (" (Jeffreys)" if prior is None else "")


# --- cxroi fit support -------------------------------------------------------------------


def _csat_rule(scale: str, good_from: int | None, bad_to: int | None):
    from sim.fit.support import CsatRule

    try:
        low, high = (int(part) for part in scale.split("-"))
    except ValueError:
        raise UsageError(f"--csat-scale '{scale}' is not LOW-HIGH, e.g. 1-5") from None
    good = good_from if good_from is not None else high - 1
    bad = bad_to if bad_to is not None else low + 1
    if not low <= bad < good <= high:
        raise UsageError(f"--csat-scale {scale} with bad up to {bad} and good from {good}: need "
                         f"{low} <= bad < good <= {high}")
    return CsatRule(low, high, good, bad)


def _read_named(path: Path) -> pd.DataFrame:
    try:
        return read_table(path)
    except ScenarioError as error:
        raise error.in_file(str(path)) from None


@fit_group.command("support")
@click.argument("tickets", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--customers", "customers_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Customers table: customer_id, start_date, end_date (empty while active), segment.")
@click.option("--orders", "orders_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Orders table (customer_id, date): adds the buying effects.")
@click.option("--as-of", help="Date the data were extracted [default: the latest date in the data].")
@click.option("--column", "columns", multiple=True, metavar="KEY=NAME",
              help="Ticket column names: customer_id, opened, channel, wait, csat, outcome (good/neutral/bad instead of CSAT). Repeatable.")
@click.option("--csat-scale", default="1-5", show_default=True, help="Lowest and highest CSAT score.")
@click.option("--good-from", type=int, help="Lowest CSAT that is a good experience [default: second highest score].")
@click.option("--bad-to", type=int, help="Highest CSAT that is a bad experience [default: second lowest score].")
@click.option("--into", type=click.Path(dir_okay=False, path_type=Path), help="Scenario (or new fragment) to write the estimates into.")
@click.option("--widen", type=click.FloatRange(1.0), default=2.0, show_default=True,
              help="Widen the 95 % intervals written with --into by this factor (observational estimates may be biased).")
@click.option("--segment-map", "segment_pairs", multiple=True, metavar="DATA=SCENARIO", help="Segment of the data -> segment of the scenario. Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the estimates as JSON and nothing else on stdout.")
def support_command(tickets, customers_file, orders_file, as_of, columns, csat_scale, good_from, bad_to, into, widen,
                    segment_pairs, as_json):
    """What support does to customers, estimated from your tickets (observational).

    Per segment, with 95 % intervals: contacts per active customer and month (and
    their overdispersion), shares of good and bad contacts, walk-away after a bad
    contact, churn and buying while positive or negative and how long each state
    lasts (discrete-time hazard and Poisson models in the customer model's form,
    with tenure bands), and the response curve (satisfied share against wait).
    These are observational estimates: --into widens their intervals (--widen)
    and says why in each source.

    \b
    Examples:
      cxroi fit support scenarios/data/tickets.csv --customers scenarios/data/customers.csv --orders scenarios/data/orders.csv
      cxroi fit support scenarios/data/tickets.csv --customers scenarios/data/customers.csv --into my_company.toml
      cxroi fit support tickets.csv --customers customers.csv --column opened=created_at --column csat=rating \\
          --into scenarios/my_company.toml --segment-map retail=b2c
    """
    from sim.fit.checks import CustomerColumns, OrderColumns
    from sim.fit.support import OBSERVATIONAL, TicketColumns, fit_support
    from sim.fit.support_inputs import support_inputs
    from sim.shell.scenario_writer import InputUpdate, fragment, write_inputs

    with _user_errors(tickets):
        mapped = _mapping(columns, "--column", ("customer_id", "opened", "channel", "wait", "csat", "outcome"))
        ticket_columns = TicketColumns(**{key: value for key, value in mapped.items()})
        if "outcome" in mapped:
            ticket_columns = TicketColumns(**{**ticket_columns.__dict__, "csat": None})
        rule = _csat_rule(csat_scale, good_from, bad_to)
        segment_map = _mapping(segment_pairs, "--segment-map")
        if as_of is not None:
            try:
                as_of = pd.Timestamp(as_of)
            except ValueError:
                raise UsageError(f"--as-of '{as_of}' is not a date, e.g. 2025-12-31") from None
        ticket_table = _read_named(tickets)
        customer_table = _read_named(customers_file)
        order_table = _read_named(orders_file) if orders_file else None
        data_segments = (customer_table["segment"].dropna().astype(str).unique() if "segment" in customer_table.columns
                         else ["all"])
        _check_segments(into, [segment_map.get(name, name) for name in data_segments])
        try:
            with working("fitting what support does to customers"):
                fits, response = fit_support(ticket_table, customer_table, order_table, as_of=as_of,
                                             ticket_columns=ticket_columns, customer_columns=CustomerColumns(),
                                             order_columns=OrderColumns(amount=None), rule=rule)
        except ScenarioError as error:
            raise _attribute(error, tickets, customers_file, orders_file) from None
        operations = _has_operations(into)
        evidence = f"{tickets.name}, {sum(f.tickets for f in fits.values()):,} tickets, {rule.describe()}"
        suggested, notes = support_inputs(fits, response, evidence=evidence, widen=widen, segment_map=segment_map,
                                          operations=operations)
        updates = [InputUpdate(s.path, s.spec, s.comment) for s in suggested]
        if into:
            write_inputs(into, updates, create=True)
        summary = {
            "caveat": OBSERVATIONAL, "csat_rule": rule.describe(),
            "segments": {name: {"customers": f.customers, "customer_periods": f.customer_periods, "tickets": f.tickets,
                                "estimates": f.as_rows()} for name, f in fits.items()},
            "response_curve": None if response is None else {
                "intercept": response.intercept.__dict__, "slope": response.slope.__dict__, "tickets": response.tickets},
            "written_into": str(into) if into else None, "widen": widen, "not_written": notes,
        }
        if as_json:
            _echo_json(summary)
            return
        _print_support(fits, response, notes)
        echo_wrapped(f"Caveat: {OBSERVATIONAL}.")
        if into:
            echo_wrapped(f"Written into {into}: {len(updates)} inputs, 95\u00a0% intervals widened x{widen:g}.")
        else:
            click.echo(f"# the inputs for a scenario (intervals widened x{widen:g}; pass --into to write them):")
            click.echo(fragment(updates).rstrip())


def _print_support(fits, response, notes) -> None:
    """Per segment, each fitted input by its name with its estimate, 95 % interval and method note."""
    from rich.console import Console

    from sim.model.labels import SEGMENT_KEYS, humanise
    from sim.reporting.console import say, show_table
    from sim.reporting.format import style

    st = style()
    console = Console()
    methods: dict[str, int] = {}

    def name_of(key: str) -> str:
        name = SEGMENT_KEYS.get(key) or SEGMENT_KEYS.get(f"experience.{key}") or humanise(key)
        return name.replace("{period}", "month")

    for name, fit in fits.items():
        rows = []
        for estimate in fit.estimates.values():
            note = methods.setdefault(estimate.method, len(methods) + 1)
            interval = st.interval(estimate.low, estimate.high, st.value) if estimate.low == estimate.low else "not identified"
            rows.append([name_of(estimate.name), st.value(estimate.value), interval, f"[{note}]"])
        show_table(console, ["input", "estimate", f"{st.percent(0.95, 0)} interval", "how"], rows,
                   title=f"segment {name}: {st.count(fit.customers)} customers, {st.count(fit.customer_periods)} "
                         f"customer-months, {st.count(fit.tickets)} tickets")
    for method, note in methods.items():
        say(console, st.restyle(f"[{note}] {method}"))
    if response is not None:
        slope = response.slope.value
        say(console, f"Response curve (all segments, {st.count(response.tickets)} tickets with a wait): logit(satisfied) = "
                     f"{st.fixed(response.intercept.value, 3)} {'−' if slope < 0 else '+'} {st.fixed(abs(slope), 3)} "
                     f"ln(minutes); {st.percent(0.95, 0)} intervals {st.fixed(response.intercept.low, 3)} to "
                     f"{st.fixed(response.intercept.high, 3)} and {st.fixed(response.slope.low, 3)} to "
                     f"{st.fixed(response.slope.high, 3)}")
    for note in notes:
        say(console, st.restyle(note))


def _check_segments(path: Path | None, segments: list[str]) -> None:
    """Refuse to write segments a complete scenario does not have (before any work is written)."""
    import tomllib

    if path is None or not path.is_file():
        return
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return  # the writer reports the file itself
    known = raw.get("segments", {})
    if "settings" not in raw or not known:
        return
    for name in segments:
        if name not in known:
            raise UsageError(f"{path}: segments: the data's segment '{name}' is not in the scenario (it has "
                             f"{', '.join(known)}); map it with --segment-map {name}=SEGMENT")


def _has_operations(path: Path | None) -> bool:
    import tomllib

    if path is None or not path.is_file():
        return False
    try:
        return "operations" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False


def _attribute(error: ScenarioError, tickets: Path, customers: Path, orders: Path | None) -> ScenarioError:
    """Put each problem on its file: 'tickets: ...' and 'orders: ...' prefixes name the table, the rest is customers'."""
    lines = []
    for problem in error.problems:
        for prefix, file in (("tickets", tickets), ("orders", orders)):
            if problem.path.startswith(prefix):
                lines.append(f"{file}: " + ": ".join(p for p in (problem.path.removeprefix(prefix).lstrip(": "), problem.message) if p))
                break
        else:
            lines.append(Problem(problem.path, problem.message).render(str(customers) if not problem.path.startswith("segment") else str(tickets)))
    return UsageError("\n".join(lines))


fit_group.add_command(customers_command)
fit_group.add_command(orders_command)
