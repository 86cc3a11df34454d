"""A results folder whose parts disagree is named damaged, file by file, by `export` and `memo` alike (one
check, sim.reporting.results_files), with nothing written (about 4 s)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.shell.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "r"
    result = CliRunner().invoke(main, ["run", str(ROOT / "scenarios" / "seed001_churn_example.toml"), "--draws", "200",
                                       "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    return out


def _cut_lines(path: Path, keep: int) -> None:
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:keep]))


def _cut_bytes(path: Path, share: float) -> None:
    data = path.read_bytes()
    cut = int(len(data) * share)
    if data[cut - 1:cut] == b"\n":
        cut -= 1
    path.write_bytes(data[:cut])


def _drop(path: Path, *keys: str) -> None:
    data = json.loads(path.read_text())
    node = data
    for key in keys[:-1]:
        node = node[key] if key != "*" else next(iter(node.values()))
    del node[keys[-1]]
    path.write_text(json.dumps(data))


DAMAGE = {
    "draws.csv cut at a row": ("draws.csv", lambda p: _cut_lines(p, 110), "rows where summary.json counts 200 draws"),
    "draws.csv cut inside a row": ("draws.csv", lambda p: _cut_bytes(p, 0.5), "the last row is cut short"),
    "draws.csv empty": ("draws.csv", lambda p: p.write_text(""), "damaged"),
    "bands.csv cut at a row": ("bands.csv", lambda p: _cut_lines(p, 4), "no rows for"),
    "summary.json truncated": ("summary.json", lambda p: _cut_bytes(p, 0.3), "not valid JSON"),
    "summary.json binary": ("summary.json", lambda p: p.write_bytes(bytes(range(256))), "not valid JSON"),
    "summary.json without currency": ("summary.json", lambda p: _drop(p, "currency"), "'currency' is missing"),
    "summary.json without an option's NPV": ("summary.json", lambda p: _drop(p, "interventions", "*", "npv"), ".npv' is missing"),
    "summary.json draws not a count": ("summary.json", lambda p: p.write_text(p.read_text().replace('"draws": 200', '"draws": "x"')),
                                       "whole numbers"),
    "manifest.json truncated": ("manifest.json", lambda p: _cut_bytes(p, 0.5), "not valid JSON"),
    "manifest.json binary": ("manifest.json", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" * 10), "not valid JSON"),
    "manifest.json without inputs": ("manifest.json", lambda p: _drop(p, "inputs"), "'inputs' is missing"),
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_folder_whose_parts_disagree_is_named_damaged_file_by_file_by_export_and_memo(folder, tmp_path, kind):
    name, damage, words = DAMAGE[kind]
    damaged = tmp_path / "damaged"
    shutil.copytree(folder, damaged)
    damage(damaged / name)
    before = sorted(p.name for p in damaged.iterdir())
    lines = []
    for args in (["export", str(damaged), "--xlsx", str(tmp_path / "book.xlsx")],
                 ["memo", str(damaged), "--out", str(tmp_path / "memo.md")]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        assert result.output.count("\n") == 1 and result.output.startswith(f"{damaged / name}: damaged"), result.output
        assert words in result.output
        lines.append(result.output)
    assert lines[0] == lines[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged"]
    assert sorted(p.name for p in damaged.iterdir()) == before


def test_an_analysis_folder_is_named_as_what_it_is_not_as_damaged(folder, tmp_path):
    other = tmp_path / "sweep"
    shutil.copytree(folder, other)
    manifest = json.loads((other / "manifest.json").read_text())
    (other / "manifest.json").write_text(json.dumps({**manifest, "analysis": "sweep"}))
    for args in (["export", str(other), "--xlsx", str(tmp_path / "book.xlsx")], ["memo", str(other)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and result.output == f"{other}: a `cxroi sweep` folder, not a results folder of `cxroi run`\n"
