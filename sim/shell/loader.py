"""Reading a scenario file: bytes, TOML, ``--set`` overrides, validation.

Everything a user can get wrong in a file ends here as a :class:`ScenarioError`
whose lines name the file, the parameter path and what is allowed.
"""

from __future__ import annotations

import codecs
import hashlib
import tomllib
from pathlib import Path

from sim.errors import problem
from sim.model.validation import Loaded, apply_overrides, validate


def load(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Loaded:
    """Read, override and validate a scenario file; raise ScenarioError listing every problem."""
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise problem("", "no such file", file) from None
    except OSError as exc:
        raise problem("", f"cannot read the file ({exc.strerror})", file) from None
    text = decode(data, file)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise problem("", f"not valid TOML: {exc}", file) from None
    raw = apply_overrides(raw, overrides, file)
    scenario = validate(raw, file, default_name=Path(path).stem)
    return Loaded(scenario, file, hashlib.sha256(data).hexdigest(), text, tuple(overrides))


def decode(data: bytes, file: str) -> str:
    """The file's text; a plain message for a byte-order mark or text that is not UTF-8 (TOML is UTF-8)."""
    if data.startswith(codecs.BOM_UTF8):
        raise problem("", "starts with a UTF-8 byte-order mark (BOM); save the file as UTF-8 without BOM", file)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise problem("", (
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, column {column}; perhaps Latin-1 or "
            "Windows-1252); save the file as UTF-8"), file) from None
