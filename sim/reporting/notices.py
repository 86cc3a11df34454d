"""What the model had to adjust, in words: one line per kind, however many points repeat it.

A draw is adjusted when an input lands outside what it allows (clipped to a domain)
or when good + bad contacts exceed 1 (both cut). A sweep or a break-even search runs
the scenario at many values of an input and may adjust the same kind of draw at every
one of them; those repeats are one line naming how many points and which::

    Adjusted in up to 3 of 10 000 draws (0.03 %) at 22 of 22 points: ...: clipped to ...

Counts are summary.json's ``adjustments`` entries, unchanged.
"""

from __future__ import annotations

from sim.model.labels import is_money
from sim.reporting.format import NumberStyle

SHOWN_POINTS = 6
"""Affected points listed by value before the rest are counted ("and 9 more")."""


def describe_adjustment(entry: dict, total: int, st: NumberStyle, input_name=str, option_name=str,
                        paths: bool = False) -> str:
    """One adjustment for a person: how many draws, what happened (in words, or by path) and by which rule."""
    arm = "" if entry["arm"] == "baseline" else f" under {option_name(entry['arm'])}"
    if "point" in entry:
        arm += " at " + ", ".join(f"{input_name(path)} = {input_value(st, path, v)}" for path, v in entry["point"].items())
    what = entry["what"] if paths else entry.get("label", entry["what"])
    return f"{st.count(entry['draws'])} of {st.count(total)} draws ({st.percent(entry['share'])}): {what}{arm}: {entry['rule']}"


def input_value(st: NumberStyle, path: str, value: float | None) -> str:
    """An input's value: as money when the input is an amount (``21 255 €``), else a plain decimal."""
    return st.money_value(value) if is_money(path) else st.value(value)


def adjustment_lines(adjustments: list[dict], total: int, st: NumberStyle, input_name=str, option_name=str,
                     paths: bool = False, points: int | None = None) -> list[str]:
    """One sentence per kind of adjustment (what, option and rule); entries of a sweep or break-even that
    differ only by their point are one sentence with the largest count and the points listed.
    ``points`` is how many points were run (None: not known)."""
    kinds: dict[tuple, list[dict]] = {}
    for entry in adjustments:
        kinds.setdefault((entry["what"], entry["arm"], entry["rule"]), []).append(entry)
    sentences = []
    for group in kinds.values():
        if len(group) == 1 and "point" not in group[0]:
            sentences.append("Adjusted in " + describe_adjustment(group[0], total, st, input_name, option_name, paths))
            continue
        sentences.append(_collapsed(group, total, st, input_name, option_name, paths, points))
    return sentences


def _collapsed(group: list[dict], total: int, st: NumberStyle, input_name, option_name, paths: bool,
               points: int | None) -> str:
    first = group[0]
    most = max(group, key=lambda entry: entry["draws"])
    up_to = "" if all(entry["draws"] == most["draws"] for entry in group) else "up to "
    arm = "" if first["arm"] == "baseline" else f" under {option_name(first['arm'])}"
    what = first["what"] if paths else first.get("label", first["what"])
    where = f"{st.count(len(group))} of {st.count(points)} points" if points else \
        f"{st.count(len(group))} point{'' if len(group) == 1 else 's'}"
    text = (f"Adjusted in {up_to}{st.count(most['draws'])} of {st.count(total)} draws ({st.percent(most['share'])}) "
            f"at {where}: {what}{arm}: {first['rule']}")
    if points is None or len(group) < points:
        params = list(first["point"])
        shown = [", ".join(input_value(st, p, entry["point"][p]) for p in params) for entry in group[:SHOWN_POINTS]]
        values = "; ".join(f"({v})" if len(params) > 1 else v for v in shown)
        rest = f" and {st.count(len(group) - SHOWN_POINTS)} more" if len(group) > SHOWN_POINTS else ""
        names = ", ".join(input_name(p) for p in params)
        text += f"; at {'(' + names + ')' if len(params) > 1 else names} = {values}{rest}"
    return text
