"""Compare or update the pinned outputs (see tests/golden/__init__.py and docs/testing.md).

    PYTHONPATH=. python -m tests.golden                    # compare every case, print what moved
    PYTHONPATH=. python -m tests.golden --update           # rewrite every golden file
    PYTHONPATH=. python -m tests.golden --update NAME ...  # only these cases (e.g. voi_nordic, nordic_midsize)

Updating is deliberate: the commit that changes a golden file says which numbers changed and why.
"""

from __future__ import annotations

import argparse
import sys
import time

from tests import golden


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="write the current outputs as the new golden files")
    parser.add_argument("cases", nargs="*", metavar="NAME",
                        help="cases by name (nordic_midsize, commands/voi_nordic or voi_nordic) [default: all]")
    args = parser.parse_args(argv)
    cases = golden.CASES
    if args.cases:
        wanted = set(args.cases)
        cases = [case for case in golden.CASES if case in wanted or case.rsplit("/", 1)[-1] in wanted]
        unknown = wanted - {name for case in cases for name in (case, case.rsplit("/", 1)[-1])}
        if unknown:
            print(f"unknown case(s): {', '.join(sorted(unknown))}; known: {', '.join(golden.CASES)}", file=sys.stderr)
            return 2
    moved = 0
    for case in cases:
        started = time.perf_counter()
        now = golden.compute(case)
        seconds = time.perf_counter() - started
        exists = golden.golden_file(case).exists()
        found = golden.differences(golden.load(case), now) if exists else ["(no golden file yet)"]
        if args.update:
            path = golden.save(case, now)
            state = "new" if not exists else "unchanged" if not found else f"{len(found)} value(s) changed"
            print(f"{path.relative_to(golden.ROOT)}: written ({state}, {seconds:.1f} s)")
        elif found:
            moved += 1
            print(golden.report(case, found))
        else:
            print(f"{case}: same ({seconds:.1f} s)")
    return 1 if moved else 0


if __name__ == "__main__":
    sys.exit(main())
