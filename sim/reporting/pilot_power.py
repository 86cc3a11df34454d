"""The pilot's power, measure by measure, named for a reader (terminal table, memo, figure).

A pilot counts every measure its intervention changes (bad contacts among business
customers, among consumers, ...) and has a chance of showing the effect on each: its
summary gives one power column per measure (``measures[i].power_column`` names it in
``sizes``). Power is never shown without the measure it belongs to: a single number
called "power" left a reader to guess which measure it was (and the one the analysis
used to pick changed with the number of draws).
"""

from __future__ import annotations

from typing import Any

from sim.model.labels import lower_first

POWER_WORDS = ("the chance that its two-sided 5\u00a0% test finds a difference between the arms, "
               "averaged over what is known now")
"""What 'chance it shows the effect' (power) means, in one phrase for a reader."""


def power_by_measure(summary: dict[str, Any], segments: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(what the effect is on, for a reader; the column of ``sizes`` with its power) for each measure.

    Names read 'share of bad contacts, business customers' (the segment's label from ``segments``, else from
    the summary's ``labels.segments``, else its id).
    A pilot.json written before power was given per measure has one ``power`` column, of the measure
    its ``primary_measure`` names: that measure alone is listed, by what it counts.
    """
    segments = segments or summary.get("labels", {}).get("segments", {})
    found = []
    for m in summary.get("measures", []):
        column = m.get("power_column") or ("power" if m.get("change") == summary.get("primary_measure") else None)
        if column:
            segment = segments.get(m["segment"], m["segment"])
            found.append((f"{m.get('name') or m['counts']}, {lower_first(segment)}", column))
    return found
