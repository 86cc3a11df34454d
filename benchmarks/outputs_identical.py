"""Show that a refactor is byte-identical: every scenario's summary.json, draws.csv and bands.csv, before and after.

``write`` runs every shipped scenario (``scenarios/*.toml`` and ``benchmarks/*.toml``) at 2,000
draws with seed 11 and keeps, per scenario, the three files whose bytes are the model's answer
(``manifest.json`` is left out: it holds the time and package versions). ``compare`` checks two
such folders byte by byte and names every file that differs, with its first differing line.

Usage (from the repository root)::

    git worktree add ../before HEAD; (cd ../before && PYTHONPATH=. python benchmarks/outputs_identical.py write ../before-out)
    PYTHONPATH=. python benchmarks/outputs_identical.py write ../after-out
    python benchmarks/outputs_identical.py compare ../before-out ../after-out   # exit 0: identical, 1: not

``write`` options: ``--draws`` (2000), ``--seed`` (11), ``--workers`` (all cores; the numbers do not
depend on it), ``--only NAME`` (repeatable, e.g. nordic_midsize). The small pinned version of the same
check runs in the suite: tests/golden (docs/testing.md).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ("summary.json", "draws.csv", "bands.csv")


def scenario_files() -> list[Path]:
    return sorted([*ROOT.glob("scenarios/*.toml"), *ROOT.glob("benchmarks/*.toml")])


def write(out: Path, draws: int, seed: int, workers: int | None, only: list[str]) -> int:
    import sim

    out.mkdir(parents=True, exist_ok=True)
    for file in scenario_files():
        if only and file.stem not in only:
            continue
        name = f"{file.parent.name}-{file.stem}"
        started = time.perf_counter()
        result = sim.run(sim.load(file), draws=draws, seed=seed, workers=workers)
        with tempfile.TemporaryDirectory(dir=out) as staging:
            folder = sim.write_results(result, Path(staging) / name)
            target = out / name
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            for kept in FILES:
                shutil.copyfile(folder / kept, target / kept)
        print(f"{target}: {', '.join(FILES)} ({time.perf_counter() - started:.1f} s)")
    return 0


def _first_difference(a: bytes, b: bytes) -> str:
    lines_a, lines_b = a.splitlines(), b.splitlines()
    for number, (x, y) in enumerate(zip(lines_a, lines_b), start=1):
        if x != y:
            return f"line {number}:\n      before {x.decode(errors='replace')[:300]}\n      after  {y.decode(errors='replace')[:300]}"
    return f"{len(lines_a)} lines before, {len(lines_b)} after"


def compare(before: Path, after: Path) -> int:
    names = sorted({p.relative_to(before) for p in before.glob("*/*")} | {p.relative_to(after) for p in after.glob("*/*")})
    if not names:
        print(f"nothing to compare in {before} and {after}", file=sys.stderr)
        return 2
    different = 0
    for name in names:
        a, b = before / name, after / name
        if not a.exists() or not b.exists():
            different += 1
            print(f"{name}: only in {after if b.exists() else before}")
        elif a.read_bytes() != b.read_bytes():
            different += 1
            print(f"{name}: differs at {_first_difference(a.read_bytes(), b.read_bytes())}")
    print(f"{len(names) - different} of {len(names)} files byte-identical"
          + ("" if not different else f"; {different} differ"))
    return 1 if different else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    writing = commands.add_parser("write", help="write every scenario's summary.json, draws.csv, bands.csv into OUT")
    writing.add_argument("out", type=Path)
    writing.add_argument("--draws", type=int, default=2000)
    writing.add_argument("--seed", type=int, default=11)
    writing.add_argument("--workers", type=int)
    writing.add_argument("--only", action="append", default=[], metavar="NAME")
    comparing = commands.add_parser("compare", help="compare two folders written by 'write' byte by byte")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "write":
        return write(args.out, args.draws, args.seed, args.workers, args.only)
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
