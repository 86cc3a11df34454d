"""Reading a scenario file: bytes, TOML, ``--set`` overrides, validation.

Everything a user can get wrong in a file ends here as a :class:`ScenarioError`
whose lines name the file, the parameter path and what is allowed.
"""

from __future__ import annotations

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
    text = data.decode("utf-8", errors="replace")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise problem("", f"not valid TOML: {exc}", file) from None
    raw = apply_overrides(raw, overrides, file)
    scenario = validate(raw, file, default_name=Path(path).stem)
    return Loaded(scenario, file, hashlib.sha256(data).hexdigest(), text, tuple(overrides))
