"""Writing estimated inputs into a scenario file: read it, edit the text, write it back atomically.

What the new text is (comments and layout kept, a complete scenario validated)
is :func:`sim.fit.scenario_edit.edited_text`; this module is the file around it.
The write goes through a temporary file renamed into place, so on any error the
file is untouched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sim.errors import problem
from sim.fit.scenario_edit import InputUpdate, edited_text, fragment

__all__ = ["InputUpdate", "fragment", "write_inputs"]


def write_inputs(
    target: Path,
    updates: Sequence[InputUpdate],
    correlations: Sequence[tuple[str, str, float]] = (),
    *,
    create: bool,
) -> str:
    """Write ``updates`` and ``correlations`` into ``target``; return the file's new text.

    ``create`` allows a missing file to be started (a scenario fragment). A complete
    scenario is validated first; nothing is written when anything is wrong.
    """
    target = Path(target)
    file = str(target)
    if target.exists():
        try:
            text = target.read_text(encoding="utf-8")
        except OSError as exc:
            raise problem("", f"cannot read the file ({exc.strerror})", file) from None
    elif create:
        text = None
    else:
        raise problem("", "no such file (the scenario to write into must exist)", file)
    new_text = edited_text(text, updates, correlations, file=file, default_name=target.stem)
    _atomic_write(target, new_text)
    return new_text


def _atomic_write(target: Path, text: str) -> None:
    """Write through a temporary file in the same folder and rename it into place."""
    folder = target.parent if str(target.parent) else Path(".")
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        if target.exists():
            os.chmod(temp, target.stat().st_mode & 0o777)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
