"""The memo's "How much to trust the inputs": the model review the fitted inputs carry, in a table and a few lines.

``cxroi fit ... --into`` writes each fitted input's review into the scenario
(``[review."segments.retail.churn_mix"]``: :mod:`sim.fit.review`); the run's
manifest keeps it in ``resolved_scenario.review``, so the memo reads it from the
results folder like every other number. An input is *fitted* when its source
starts with ``cxroi fit`` (the stamp every fit writes). Three cases:

* reviewed inputs: one row each (holdout, predictive check, estimate, causal
  designs, verdict), then one line per warning or failure with its reason;
* fitted inputs without a review (fitted by an older cxroi, or whose review was
  removed by hand; a pilot's result among them): a line each, naming them;
* nothing fitted: one line saying the inputs are stated assumptions, not fits.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sim.reporting.format import style

FITTED = "cxroi fit "
"""How the source of every input a fit wrote begins."""
CHECKS = ("holdout", "predictive", "estimate", "designs")
HEADER = ["inputs", "holdout", "predictive check", "estimate", "causal designs", "verdict"]
WHAT = {"customers": "churn", "orders": "purchases and spend", "support": "support's effects", "pilot": "pilot result"}
"""What each fit command's inputs are, for the table's rows."""
RANK = {"n/a": -1, "ok": 0, "warn": 1, "fail": 2}


def status_and_reason(text: str) -> tuple[str, str]:
    """'warn: the data ...' -> ('warn', 'the data ...')."""
    status, _, reason = text.partition(": ")
    return status, reason


def verdict(entry: dict[str, str]) -> str:
    """An input's verdict: its worst check (ok when every check is n/a)."""
    worst = max((RANK.get(status_and_reason(entry.get(c, "n/a: "))[0], -1) for c in CHECKS), default=0)
    return {0: "ok", 1: "warn", 2: "fail"}[max(worst, 0)]


def fitted_inputs(manifest: dict[str, Any]) -> list[str]:
    """The run's inputs whose source is a ``cxroi fit`` stamp."""
    return [path for path, item in manifest.get("inputs", {}).items() if str(item.get("source") or "").startswith(FITTED)]


def reviewed(path: str, review: dict[str, Any]) -> bool:
    """Whether an input (``segments.retail.churn_mix.alpha``) is covered by a review entry (``...churn_mix``)."""
    return any(path == key or path.startswith(key + ".") for key in review)


def input_words(path: str, resolved: dict[str, Any]) -> str:
    """'retail customers: churn mix' for ``segments.retail.churn_mix``; 'Better first contact: its change of
    `segments.retail.experience.bad`' for a pilot's ``interventions.first_contact.changes[0]``; other paths as they
    are, in code style."""
    parts = path.split(".")
    if parts[0] == "segments" and len(parts) > 2:
        what = ".".join(p for p in parts[2:] if p != "experience").replace("_", " ")
        return f"{_owner(path, resolved)}: {what}"
    if parts[0] == "interventions" and len(parts) > 2 and parts[2].startswith("changes["):
        changes = (resolved.get("interventions", {}).get(parts[1]) or {}).get("changes") or []
        index = parts[2][len("changes["):-1]
        if index.isdigit() and int(index) < len(changes) and changes[int(index)].get("path"):
            return f"{_owner(path, resolved)}: its change of `{changes[int(index)]['path']}`"
    return f"`{path}`"


def _owner(path: str, resolved: dict[str, Any]) -> str:
    """Whose input it is: the segment's or the intervention's label (or name), else the path's first part."""
    parts = path.split(".")
    if parts[0] in ("segments", "interventions") and len(parts) > 2:
        return (resolved.get(parts[0], {}).get(parts[1]) or {}).get("label") or parts[1]
    return parts[0]


def grouped_rows(review: dict[str, Any], resolved: dict[str, Any]) -> list[list[str]]:
    """One row per segment and fit command (a short table): each check's worst status over its inputs, '—' where no
    input has it, and the verdict."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for path, entry in review.items():
        owner = _owner(path, resolved)
        command = str(entry.get("fit", "")).removeprefix(FITTED.strip()).split()[0:1] or ["fit"]
        groups.setdefault((owner, command[0]), []).append(entry)
    rows = []
    for (owner, command), entries in groups.items():
        cells = []
        for check in CHECKS:
            worst = max((status_and_reason(e.get(check, "n/a: "))[0] for e in entries), key=lambda s: RANK.get(s, -1))
            cells.append("—" if worst == "n/a" else worst)
        overall = max((verdict(e) for e in entries), key=lambda s: RANK[s])
        count = f", {len(entries)} inputs" if len(entries) > 1 else ""
        rows.append([f"{owner}: {WHAT.get(command, command)} (fit {command}{count})", *cells, f"**{overall}**"])
    return rows


def trust_section(memo, manifest: dict[str, Any]) -> None:
    """Add "How much to trust the inputs" to ``memo`` (a :class:`sim.reporting.memo.Memo`) from a run's manifest."""
    resolved = manifest.get("resolved_scenario", {})
    review = resolved.get("review") or {}
    fitted = fitted_inputs(manifest)
    memo.add("h2", "How much to trust the inputs")
    if not review and not fitted:
        memo.add("p", "The inputs were not fitted from data: they are the scenario's stated assumptions, each with its "
                      "source in the appendix, so there is no model review to report.")
        return
    if review:
        verdicts = {path: verdict(entry) for path, entry in review.items()}
        counts = {s: sum(v == s for v in verdicts.values()) for s in ("ok", "warn", "fail")}
        words = {"ok": "pass{} every check", "warn": "draw{} a warning", "fail": "fail{} a check"}
        parts = [f"{n} " + words[s].format(("es" if s == "ok" else "s") if n == 1 else "") for s, n in counts.items() if n]
        summary = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
        memo.add("p", f"Each input fitted from the company's data was reviewed before this memo (`cxroi fit`): does the "
                      f"fit predict the history it was not shown (holdout), does it reproduce the data's own summaries "
                      f"(predictive check), is the estimate inside what it allows with a proper interval, and do the "
                      f"causal designs agree. Of {len(review)} input{'s' if len(review) != 1 else ''}, {summary}:")
        memo.add("table", (HEADER, grouped_rows(review, resolved)))
        st = style()  # the review's sentences keep plain numbers; restyled here, at the edge
        flagged = [f"{input_words(path, resolved)}, {dict(zip(CHECKS, HEADER[1:]))[check]} "
                   f"({status_and_reason(entry[check])[0]}): {st.restyle(status_and_reason(entry[check])[1])}."
                   for path, entry in review.items() for check in CHECKS
                   if status_and_reason(entry.get(check, "n/a: "))[0] in ("warn", "fail")]
        if flagged:
            memo.add("list", flagged)
        else:
            memo.add("p", "Every check that applies passes.")
    unreviewed = [path for path in fitted if not reviewed(path, review)]
    pilots = [path for path in unreviewed if path.startswith("interventions.")]
    others = [path for path in unreviewed if path not in pilots]
    names = partial(_names, manifest, resolved)
    if pilots:
        memo.add("p", f"From a pilot, not reviewed: {names(pilots)} (fitted before the pilot's review existed); fit it "
                      f"again with `--into` to have its halves and arms checked.")
    if others:
        memo.add("p", f"Fitted from data but not reviewed: {names(others)} (fitted before the review existed); fit them "
                      f"again with `--into` to have them checked.")


def _names(manifest: dict[str, Any], resolved: dict[str, Any], paths: list[str]) -> str:
    """Inputs by the names the run gave them (the manifest's labels), four at most and how many more."""
    shown = [manifest.get("inputs", {}).get(path, {}).get("label") or input_words(path, resolved) for path in paths[:4]]
    return ", ".join(shown) + (f" and {len(paths) - 4} more" if len(paths) > 4 else "")
