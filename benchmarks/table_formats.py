"""Benchmark: writing and reading a run's per-draw table as CSV and as Parquet, and the Excel workbook.

Runs the worked-example scenario (cheap per draw) with many draws, then prints for
draws.csv and draws.parquet the write time, read time and size, and their ratios
(measured in one run, so the ratios hold on a loaded machine), and the time to write
the workbook of a 10,000-draw folder. Usage::

    python benchmarks/table_formats.py [--draws 1000000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd
from timing import timed

import sim
from sim.reporting.workbook import write_workbook

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "seed001_churn_example.toml"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    loaded = sim.load(SCENARIO)
    draws = sim.run(loaded, args.draws, workers=1).draws
    with tempfile.TemporaryDirectory() as folder:
        csv, parquet = Path(folder) / "draws.csv", Path(folder) / "draws.parquet"
        write_csv = timed(lambda: draws.to_csv(csv, float_format="%.12g"))
        write_parquet = timed(lambda: draws.to_parquet(parquet, engine="pyarrow"))
        read_csv = timed(lambda: pd.read_csv(csv, index_col="draw"))
        read_parquet = timed(lambda: pd.read_parquet(parquet))
        size_csv, size_parquet = csv.stat().st_size, parquet.stat().st_size
        print(f"{args.draws:,} draws x {draws.shape[1]} columns ({SCENARIO.name})")
        print(f"{'':10} {'write s':>9} {'read s':>9} {'MB':>9}")
        print(f"{'CSV':10} {write_csv:9.2f} {read_csv:9.2f} {size_csv / 1e6:9.1f}")
        print(f"{'Parquet':10} {write_parquet:9.2f} {read_parquet:9.2f} {size_parquet / 1e6:9.1f}")
        print(f"{'CSV/Parquet':10} {write_csv / write_parquet:8.1f}x {read_csv / read_parquet:8.1f}x "
              f"{size_csv / size_parquet:8.1f}x")
        run = Path(folder) / "run"
        sim.write_results(sim.run(loaded, 10_000, workers=1), run)
        book = timed(lambda: write_workbook(run, Path(folder) / "run.xlsx"))
        print(f"workbook of a 10,000-draw run: {book:.2f} s, {(Path(folder) / 'run.xlsx').stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
