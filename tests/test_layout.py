"""The package's parts import one way only: kernels -> support -> model -> compute -> fit -> analyses -> reporting -> shell.

Every ``import`` and ``from ... import`` in every module of ``sim/`` (module level and
inside functions) is read with :mod:`ast`; a module of a lower part that imports a
higher part fails the test with the file, the line and the offending import.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sim"

# Lowest first. A part may import from the parts before it, from itself and from the
# foundation (sim.errors); never from a part after it.
PARTS = ["kernels", "support", "model", "compute", "fit", "analyses", "reporting", "shell"]
FOUNDATION = {"errors"}


def part_of(module: str) -> str | None:
    """'sim.model.engine' -> 'model'; 'sim.errors' -> None (foundation); '' for the facade."""
    steps = module.split(".")
    if steps[0] != "sim":
        return None
    if len(steps) == 1:
        return ""
    return None if steps[1] in FOUNDATION else steps[1]


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every sim import in one file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("sim")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("sim"):
            if node.module == "sim":  # from sim import model -> sim.model
                found += [(node.lineno, f"sim.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}:{node.lineno}: use absolute imports (from sim.… import …)")
    return found


def violations(package: Path = PACKAGE) -> list[str]:
    """Every import that runs against the direction of PARTS, as 'file:line: a imports b'."""
    problems = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        own = part_of(module)
        if own == "":
            continue  # sim/__init__.py is the public facade over every part
        for line, target in imported_modules(path):
            other = part_of(target)
            if other is None or other == own:
                continue
            if other == "" or own is None or other not in PARTS or own not in PARTS:
                problems.append(f"{relative}.py:{line}: {module} imports {target} (not in a known part)")
            elif PARTS.index(other) > PARTS.index(own):
                problems.append(f"{relative}.py:{line}: {module} ({own}) imports {target} ({other}), a higher part")
    return problems


def test_every_module_lives_in_a_part():
    loose = sorted(
        p.name for p in PACKAGE.glob("*.py") if p.stem not in FOUNDATION | {"__init__"}
    )
    assert loose == [], f"modules outside a part: {loose}; move them into one of {PARTS}"
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert set(folders) <= set(PARTS), f"unknown parts {set(folders) - set(PARTS)}: add them to PARTS in order"


def test_imports_run_one_way():
    assert violations() == []


def test_a_wrong_import_is_caught(tmp_path):
    """The check itself can fail: a model module importing the shell is reported."""
    fake = tmp_path / "sim"
    for part in ("model", "shell"):
        (fake / part).mkdir(parents=True)
        (fake / part / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "shell" / "cli.py").write_text("from sim.model import engine\n")
    (fake / "model" / "engine.py").write_text("def f():\n    from sim.shell.cli import main\n")
    assert violations(fake) == [
        "sim/model/engine.py:2: sim.model.engine (model) imports sim.shell.cli (shell), a higher part"
    ]


def test_every_part_is_described_in_the_readme():
    """The README's short list of parts and docs/architecture.md's table both name every part."""
    for page in ("README.md", "docs/architecture.md"):
        text = (PACKAGE.parent / page).read_text()
        missing = [part for part in PARTS if (PACKAGE / part).is_dir() and f"sim/{part}/" not in text]
        assert missing == [], f"{page}'s 'How the code is organised' lacks {missing}"


def imported_parts(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Per part, the other parts its modules import (module level and inside functions)."""
    found: dict[str, set[str]] = {part: set() for part in PARTS if (package / part).is_dir()}
    for part in found:
        for path in (package / part).rglob("*.py"):
            found[part] |= {other for _, target in imported_modules(path)
                            if (other := part_of(target)) not in (None, "", part)}
    return found


def test_the_architecture_table_says_what_each_part_imports():
    """docs/architecture.md's 'imports' column names exactly the parts each part's modules import (0.2 s)."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    said = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`sim/"):
            part = cells[0].strip("`").removeprefix("sim/").rstrip("/")
            said[part] = PARTS[:PARTS.index(part)] if cells[2] == "everything" else \
                [] if cells[2] == "nothing of ours" else [word.strip() for word in cells[2].split(",")]
    assert {part: set(parts) for part, parts in said.items()} == imported_parts()
