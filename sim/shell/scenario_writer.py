"""Writing estimated inputs into a scenario file: read it, edit the text, write it back atomically.

What the new text is (comments and layout kept, a complete scenario validated)
is :func:`sim.fit.scenario_edit.edited_text`; this module is the file around it.
The write goes through a temporary file renamed into place, so on any error the
file is untouched; :func:`check_into` refuses a read-only file before any work and
follows a symbolic link, so the link stays.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sim.errors import problem
from sim.fit.scenario_edit import InputUpdate, edited_text, fragment
from sim.shell.results_folder import placing

__all__ = ["InputUpdate", "check_into", "fragment", "write_inputs"]


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
    check_into(target, create)
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


def check_into(target: Path, create: bool) -> None:
    """Refuse, before any work, an ``--into`` file that cannot be written in place: a folder, a missing file
    (unless a fragment may be started), a read-only file (its permissions say: do not change me; replacing
    it by a rename would ignore them) or a place that cannot be written. A symbolic link is followed: the
    file it points to is the one written, and the link stays."""
    target = Path(target)
    real = target.resolve()
    if real.is_dir():
        raise problem("", "is a folder; --into takes a scenario file", str(target))
    if not real.exists():
        if not create:
            raise problem("", "no such file (the scenario to write into must exist)", str(target))
        folder = real.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise problem("", f"cannot create the file in {folder} (no such folder, or permission denied)", str(target))
        return
    if not real.stat().st_mode & 0o222 or not os.access(real, os.W_OK):
        raise problem("", "is read-only; make it writable (chmod u+w) to write into it, or copy it and pass the copy",
                      str(target))
    if not os.access(real.parent, os.W_OK | os.X_OK):
        raise problem("", f"cannot write in {real.parent} (permission denied)", str(target))


def _atomic_write(target: Path, text: str) -> None:
    """Write through a temporary file beside the real file (a symbolic link is followed, so it stays a link)
    and rename it into place, with the file's permissions and, where allowed, its owner."""
    named, target = target, target.resolve()
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        if target.exists():
            status = target.stat()
            os.chmod(temp, status.st_mode & 0o7777)
            if (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
                try:
                    os.chown(temp, status.st_uid, status.st_gid)
                except PermissionError:
                    pass  # another user's file we may write: it becomes ours, as any editor's save would
        with placing() as placed:
            os.replace(temp, target)
            placed(named)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
