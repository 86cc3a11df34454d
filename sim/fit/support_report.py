"""``cxroi fit support`` as a library call: what support does to customers, estimated from tickets (observational).

:func:`support_report` checks that the data's segments exist in the target
scenario, checks the data once and fits it (:func:`sim.fit.support.fit_checked`), turns the estimates into
scenario inputs from the designs a stated rule picks (:func:`sim.fit.support_inputs.support_inputs`) and
returns them with the JSON summary; each problem is put on the file it is in.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import pandas as pd

from sim.errors import Problem, ScenarioError, UsageError
from sim.fit.checks import ISO, CustomerColumns, OrderColumns
from sim.fit.reports import NO_HOLDOUT, DataFile, Folder, cutoff_or_default
from sim.fit.scenario_edit import InputUpdate
from sim.fit.scenario_inputs import Writes
from sim.fit.support import OBSERVATIONAL, CsatRule, TicketColumns, checked_data, fit_checked
from sim.fit import causal, joint_churn
from sim.fit.support_checks import predictive_checks
from sim.fit.support_inputs import churn_writes, support_inputs


@dataclass
class SupportReport:
    """What ``cxroi fit support`` prints and writes: the fits per segment, the response curve, the support inputs
    (``updates``; the churn mix is in ``writes`` only), the estimates not written and why
    (``notes``), and the ``--json`` summary."""

    fits: dict
    response: object | None
    rule: CsatRule
    updates: list[InputUpdate]
    notes: list[str]
    summary: dict
    writes: Writes
    folder: Folder
    holdout: dict = field(default_factory=dict)
    """Per segment the holdout check's outcomes (:class:`sim.fit.support_holdout.SupportHoldout`)."""
    holdout_problem: str = ""
    """Why a holdout was asked for but could not be fitted ('' when it was, or with --no-holdout)."""
    holdout_response: tuple | str | None = None
    """The response curve's holdout outcomes (all segments' tickets together), or why there are none; None without a
    holdout."""
    predictive: dict = field(default_factory=dict)
    """Per data segment the predictive checks of its contacts, shares and durations by key, under None the response
    curve's (:func:`sim.fit.support_checks.predictive_checks`)."""


def support_report(
    tickets: pd.DataFrame,
    customers: pd.DataFrame,
    orders: pd.DataFrame | None = None,
    *,
    tickets_file: DataFile = DataFile("tickets"),
    customers_file: DataFile = DataFile("customers"),
    orders_file: DataFile | None = None,
    columns: dict[str, str] | None = None,
    rule: CsatRule = CsatRule(1, 5, 4, 2),
    as_of: pd.Timestamp | None = None,
    segment_map: dict[str, str] | None = None,
    segment_column: str | None = None,
    date_format: str = ISO,
    scenario: dict | None = None,
    into: str | None = None,
    cutoff: pd.Timestamp | None = None,
    today: date | None = None,
) -> SupportReport:
    """Support's effects per segment from tickets (customer_id, opened, channel, wait, csat or outcome), the customer
    list and optionally the orders (adds the buying effects).

    Every causal design whose data requirements are met runs (:mod:`sim.fit.causal`); the inputs written are the
    designs :data:`sim.fit.causal.RULE` picks, with their own intervals. ``columns`` renames columns: the tickets' (customer_id, opened, channel, wait, csat, outcome, category;
    customer_id also in the customers and orders), the customers' start and end, the orders' date;
    ``segment_column`` is the customers' segment column; ``rule`` says which CSAT scores are good and bad.
    ``scenario`` (parsed) and ``into`` (its name):
    a complete scenario must have every data segment (after ``segment_map``), and one with ``[operations]`` gets
    the response curve's inputs. ``cutoff`` is the holdout check's (:mod:`sim.fit.support_holdout`; None: a third of
    the history before the as-of day, :data:`sim.fit.reports.NO_HOLDOUT`: none). ``today`` is the day of the fit
    (the caller's clock): without ``as_of`` no ticket or customer date may be after it (None checks nothing).
    """
    mapped = dict(columns or {})
    segment_map = dict(segment_map or {})
    ticket_keys = ("customer_id", "opened", "channel", "wait", "csat", "outcome", "category")
    ticket_columns = TicketColumns(**{k: v for k, v in mapped.items() if k in ticket_keys})
    if "outcome" in mapped:
        ticket_columns = TicketColumns(**{**ticket_columns.__dict__, "csat": None})
    customer_columns = CustomerColumns(customer_id=mapped.get("customer_id", "customer_id"),
                                       start=mapped.get("start", "start_date"), end=mapped.get("end", "end_date"),
                                       segment=segment_column)
    order_columns = OrderColumns(customer_id=mapped.get("customer_id", "customer_id"), date=mapped.get("date", "date"),
                                 amount=None)
    segment_name = segment_column or "segment"
    data_segments = (customers[segment_name].dropna().astype(str).unique() if segment_name in customers.columns else ["all"])
    check_segments(scenario, [segment_map.get(name, name) for name in data_segments], into)
    try:
        checked = checked_data(tickets, customers, orders, as_of=as_of, today=today, ticket_columns=ticket_columns,
                               customer_columns=customer_columns, order_columns=order_columns, rule=rule,
                               date_format=date_format)
    except ScenarioError as error:
        raise attribute(error, tickets_file, customers_file, orders_file) from None
    if cutoff is not NO_HOLDOUT:  # a bad --cutoff is refused before the fit, not after it
        cutoff = cutoff_or_default(cutoff, checked[0]["start"].min(), checked[4])
    holdout = _Beside(_holdout, checked, cutoff)  # the holdout's fit needs nothing of the main fit: both at once
    try:
        fits, response = fit_checked(checked)
    except ScenarioError as error:
        raise attribute(error, tickets_file, customers_file, orders_file) from None
    evidence = f"{tickets_file.name}, {sum(f.tickets for f in fits.values()):,} tickets, {rule.describe()}"
    suggested, notes = support_inputs(fits, response, evidence=evidence, segment_map=segment_map,
                                      operations=bool(scenario) and "operations" in scenario)
    updates = [InputUpdate(s.path, s.spec, s.comment) for s in suggested]
    writes = Writes(updates=list(updates))
    churn_writes(fits, writes, evidence=evidence, segment_map=segment_map, scenario=scenario)
    held, held_problem, cutoff = holdout.result()
    held_response = held.pop(None, None)
    predictive = predictive_checks(checked, fits, response)
    disagree = disagreement_notes(fits)
    notes = disagree + writes.notes + notes
    writes.notes = list(notes)
    summary = {
        "caveat": OBSERVATIONAL, "csat_rule": rule.describe(),
        "segments": {name: {"customers": f.customers, "customer_periods": f.customer_periods, "tickets": f.tickets,
                            "estimates": f.as_rows(), "designs": design_summary(f), "observed_churn": f.observed_churn,
                            "neutral_churn": f.neutral_churn, "joint_churn": joint_churn_summary(f)}
                     for name, f in fits.items()},
        "design_rule": causal.RULE, "design_disagreements": disagree,
        "response_curve": None if response is None else {
            "intercept": _plain(response.intercept), "slope": _plain(response.slope), "tickets": response.tickets},
        "written_into": str(into) if into else None, "not_written": notes,
        "holdout": {"cutoff": None if cutoff is None or cutoff is NO_HOLDOUT else str(pd.Timestamp(cutoff).date()),
                    "problem": held_problem or None,
                    "segments": {name: {"cutoff_month_end": str(found.cutoff.date()), "months": found.months,
                                        "outcomes": {key: outcome_summary(o) for key, o in found.outcomes.items()}}
                                 for name, found in held.items()},
                    "response": None if held_response is None else outcome_summary(held_response.outcomes["response"])},
    }
    estimates = pd.DataFrame([row for f in fits.values() for row in f.as_rows() + churn_rows(f)])
    by_design = pd.DataFrame([{"segment": name, **row} for name, f in fits.items() for row in design_rows(f)])
    folder = Folder({"estimates": estimates, "designs": by_design}, {"period": "month", "as_of": None if as_of is None else str(as_of.date()),
                                               "csat_rule": rule.describe(), "cutoff": summary["holdout"]["cutoff"]})
    return SupportReport(fits, response, rule, updates, notes, summary, writes, folder, held, held_problem,
                         None if held_response is None else held_response.outcomes["response"], predictive)


def outcome_summary(outcome):
    """A holdout outcome as the JSON summary has it: its fields, a list of them (a check of several), or why none."""
    if isinstance(outcome, tuple):
        return [o.__dict__ for o in outcome]
    return outcome if isinstance(outcome, str) else outcome.__dict__


class _Beside:
    """``function(*args)`` in a thread of its own, beside the caller's work; :meth:`result` waits for it (and raises
    what it raised). The fits' heavy parts (the joint churn's compiled recursion, numpy's array work) let go of the
    interpreter's lock, so on two cores the holdout's calibration fit runs while the main fit does. The thread is a
    daemon: a Ctrl-C in the main thread ends the command without waiting for it (its result is not needed then)."""

    def __init__(self, function, *args):
        self._outcome: dict = {}
        self._thread = threading.Thread(target=self._run, args=(function, args), daemon=True, name="cxroi-holdout")
        self._thread.start()

    def _run(self, function, args) -> None:
        try:
            self._outcome["value"] = function(*args)
        except BaseException as error:  # noqa: BLE001 (given to the caller in result())
            self._outcome["error"] = error

    def result(self):
        self._thread.join()
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["value"]


def _holdout(checked: tuple, cutoff) -> tuple[dict, str, object]:
    """(per segment the holdout's outcomes, why there are none, the cut-off used) -- none with --no-holdout.
    ``checked``: the data as :func:`sim.fit.support.checked_data` checked it for the main fit."""
    from sim.fit.support_holdout import support_holdout

    if cutoff is NO_HOLDOUT:
        return {}, "", cutoff
    people, table, order_codes, order_times, as_of = checked
    cutoff = cutoff_or_default(cutoff, people["start"].min(), as_of)
    held, problem = support_holdout(people, table, order_codes, order_times, cutoff=cutoff, as_of=as_of)
    return held, problem, cutoff


def joint_churn_summary(fit) -> dict | None:
    """The joint churn fit as the JSON summary has it: the mix written, the joint fit's own estimates, walk-away."""
    churn = fit.churn
    if churn is None:
        return {"problem": fit.churn_problem}

    def rows(estimates):
        return {name: {"estimate": estimates.value(name), "ci_low": estimates.interval(name)[0],
                       "ci_high": estimates.interval(name)[1]} for name in estimates.names}

    return {"model": "geometric" if churn.homogeneous else "beta-mixed", "written": rows(churn.written),
            "held_multipliers": {"positive": churn.held[0], "negative": churn.held[1]},
            "joint": rows(churn.joint), "mean_churn": churn.mean_churn,
            "walk_away": dict(zip(("estimate", "ci_low", "ci_high"), churn.walk_away)),
            "durations": {"positive": churn.durations[0], "negative": churn.durations[1]},
            "intervals": "observed information of the joint fit (multipliers free), Wald on the log scale"}


def churn_rows(fit) -> list[dict]:
    """The written churn mix (or monthly churn) as rows of estimates.csv."""
    churn = fit.churn
    if churn is None:
        return []
    key = "monthly_churn" if churn.homogeneous else "churn_mix"
    return [{"segment": fit.segment, "parameter": key if churn.homogeneous else f"{key}.{name}",
             "estimate": churn.written.value(name), "ci_low": churn.written.interval(name)[0],
             "ci_high": churn.written.interval(name)[1], "method": joint_churn.METHOD} for name in churn.written.names]


def disagreement_notes(fits: dict) -> list[str]:
    """One line per effect where two designs' intervals do not overlap (they cannot all be right)."""
    lines = []
    for name, fit in fits.items():
        for key, a, b in causal.disagreements(fit.designs):
            ra, rb = (next(d for d in fit.designs if d.name == n).ratios[key] for n in (a, b))
            lines.append(f"segment {name}, {key.replace('_', ' ')}: the {a} and {b} designs disagree beyond their "
                         f"intervals (rate ratio {ra.value:.3g}, 95 % {ra.low:.3g} to {ra.high:.3g}, against {rb.value:.3g}, "
                         f"{rb.low:.3g} to {rb.high:.3g}): their assumptions cannot all hold; a pilot settles it")
    return lines


def _plain(estimate) -> dict:
    return {k: v for k, v in estimate.__dict__.items() if k != "no_interval" or v}


def design_rows(fit) -> list[dict]:
    """One row per effect and design: the input, its interval, the rate ratio, its E-values; or why it does not apply."""
    rows = []
    for key in causal.EFFECTS:
        chosen = causal.choose(fit.designs, key)
        for design in fit.designs:
            if key in design.ratios:
                ratio = design.ratios[key]
                value, low, high = causal.as_input(key, ratio)
                row = {"effect": key, "design": design.name, "estimate": value, "ci_low": low, "ci_high": high,
                       "rate_ratio": ratio.value, "e_value": ratio.e_value, "e_value_interval": ratio.e_value_interval}
                row = {k: (v if math.isfinite(v) else None) if isinstance(v, float) else v for k, v in row.items()}
                note = "" if row["estimate"] is not None else "not estimable: the fit did not give a finite rate ratio"
                rows.append({**row, "written": chosen is design, "note": note})
            elif key in design.not_applied:
                rows.append({"effect": key, "design": design.name, "estimate": None, "ci_low": None, "ci_high": None,
                             "rate_ratio": None, "e_value": None, "e_value_interval": None, "written": False,
                             "note": design.not_applied[key]})
    return rows


def design_summary(fit) -> dict:
    """The designs as the JSON summary has them: what each assumes, and its rows."""
    return {"assumptions": {d.name: d.assumes for d in fit.designs}, "effects": design_rows(fit)}


def check_segments(scenario: dict | None, segments: list[str], into=None) -> None:
    """Refuse to write segments a complete scenario does not have (before any work is done)."""
    if not scenario:
        return
    known = scenario.get("segments", {})
    if "settings" not in scenario or not known:
        return
    for name in segments:
        if name not in known:
            raise UsageError(f"{into}: segments: the data's segment '{name}' is not in the scenario (it has "
                             f"{', '.join(known)}); map it with --segment-map {name}=SEGMENT")


def attribute(error: ScenarioError, tickets: DataFile, customers: DataFile, orders: DataFile | None) -> UsageError:
    """Put each problem on its file: 'tickets: ...' and 'orders: ...' prefixes name the table, the rest is customers'."""
    lines = []
    for problem in error.problems:
        for prefix, file in (("tickets", tickets.path), ("orders", orders.path if orders else None)):
            if problem.path.startswith(prefix):
                lines.append(f"{file}: " + ": ".join(p for p in (problem.path.removeprefix(prefix).lstrip(": "), problem.message) if p))
                break
        else:
            lines.append(Problem(problem.path, problem.message).render(customers.path if not problem.path.startswith("segment")
                                                                       else tickets.path))
    return UsageError("\n".join(lines))
