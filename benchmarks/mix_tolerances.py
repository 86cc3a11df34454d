"""Measure the mixes' tolerances of issue 17 against their closed forms, for this checkout (or any on PYTHONPATH).

Prints: the NPV mean and sd of a purchase mix with churn (3,000 customers, churn 0.05, purchase_mix
0.9 / 0.6, 36 months; exact mean 7,165.0, sd 204.0) at 4,000 draws, seeds 1-3; the largest error of an
aged cohort's expected retention against the exact rank-preserving curve for changes of a churn mix;
the largest error of BG/NBD expected retention over 60 months. Run it for two checkouts to compare::

    PYTHONPATH=. python benchmarks/mix_tolerances.py
    PYTHONPATH=/path/to/other/checkout python benchmarks/mix_tolerances.py

Runtime about 20 s of CPU.
"""

from __future__ import annotations

from tests.model.mix_cases import BGNBD, CHANGES, bgnbd_error, churn_change_error, exact_npv, npv  # the checkout on PYTHONPATH


def main() -> None:
    mean, sd = exact_npv()
    print(f"NPV of a purchase mix with churn, 4,000 draws (exact mean {mean:.1f}, sd {sd:.1f}):")
    for seed in (1, 2, 3):
        values = npv(4000, seed)
        print(f"  seed {seed}: mean {values.mean():8.1f}  sd {values.std(ddof=1):6.1f}")
    print("Aged cohort under a churn-mix change, largest error over 60 periods against the rank-preserving curve:")
    for mix, key, scale, start, ramp in CHANGES:
        print(f"  {mix} {key} x{scale} from period {start}, ramp {ramp}: {churn_change_error(mix, key, scale, start, ramp):.5f}")
    print("BG/NBD expected retention, largest error over 60 months:")
    for name, params in BGNBD.items():
        try:
            error = f"{bgnbd_error(*params):.5f}"
        except Exception as refusal:  # noqa: BLE001 - a refusal is a result here
            error = f"refused: {refusal}"
        print(f"  {name} {params}: {error}")

if __name__ == "__main__":
    main()
