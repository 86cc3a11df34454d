"""Every simulating command writes the same files, byte for byte, whatever the workers and the chunking.

Each command runs in-process twice on the Nordic scenario with customer mixes in one segment (latent
classes draw from their own streams): one worker with chunks of 500 draws, and two forked workers with
chunks of 250 (the default for 600 draws). Only the manifest's ``created`` time and ``command``
(which names --workers) and that time where the memo prints it may differ, and an Excel file's
creation time. The Dask scheduler is left to tests/compute/test_dask.py; the full audit (one chunk,
Dask, streamed runs, more scenarios) ran outside the test suite. About 25 s on this 2-core machine.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.compute import arms, simulation
from sim.shell.cli import main

ROOT = Path(__file__).resolve().parents[2]
DRAWS = "600"
MIXES = {  # b2c's churn and buying as customer mixes (inputs uncertain, so the chunks' draws differ)
    'monthly_churn = { dist = "interval", low = 0.015, high = 0.035': 'churn_mix = { alpha = { dist = "interval", '
    'low = 0.8, high = 1.2 }, beta = 40.0 }\n#',
    'purchases = { dist = "interval", low = 0.6, high = 1.0': 'purchase_mix = { shape = 2.0, rate = { dist = "interval", '
    'low = 2.0, high = 3.0 } }\n#',
}
SETTINGS = {"one worker, chunks of 500": ("1", 500), "two workers, chunks of 250": ("2", None)}
COMMANDS = {
    "run --memo": ["run", "--memo"],
    "sweep, one input": ["sweep", "--param", "segments.b2b.experience.walk_away", "--range", "0.05:0.5:3"],
    "sweep, two inputs": ["sweep", "--param", "interventions.faster_response.recurring_cost", "--values", "15000,30000",
                          "--param", "segments.b2c.churn_mix.beta", "--values", "30,50"],
    "breakeven": ["breakeven", "--param", "interventions.faster_response.recurring_cost"],
    "tornado": ["tornado"],
    "sensitivity": ["sensitivity", "--sobol-samples", "16"],
    "voi": ["voi"],
    "pilot": ["pilot", "--intervention", "ai_self_service", "--sizes", "100,400"],
    "pilot --portfolio": ["pilot", "--intervention", "ai_self_service", "--sizes", "100,400", "--portfolio"],
    "portfolio": ["portfolio", "--budget", "300000"],
}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    text = (ROOT / "scenarios" / "nordic_midsize.toml").read_text()
    for old, new in MIXES.items():
        assert text.count(old) == 1
        text = text.replace(old, new)
    path = tmp_path_factory.mktemp("mixes") / "nordic_mixes.toml"
    path.write_text(text)
    return path


def test_the_two_settings_chunk_the_draws_differently():
    assert simulation.chunk_bounds(int(DRAWS), 1, 500) == [(0, 500), (500, 100)]
    assert simulation.chunk_bounds(int(DRAWS), 2, None) == [(0, 250), (250, 250), (500, 100)]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_writes_the_same_files_whatever_the_workers_and_chunks(command, scenario, tmp_path, monkeypatch):
    written = {}
    for setting, (workers, chunk) in SETTINGS.items():
        folder = tmp_path / "out"  # the same path each time: the output names it
        with monkeypatch.context() as patch:
            if chunk is not None:
                _chunks_of(chunk, patch)
            name, *options = COMMANDS[command]
            result = CliRunner().invoke(main, [name, str(scenario), "--draws", DRAWS, "--workers", workers,
                                               "--out", str(folder), *options])
            assert result.exit_code == 0, result.output
            files = {"stdout": result.stdout.encode(), **_files(folder)}
            if command == "run --memo":  # a workbook and a memo made from the folder afterwards
                for follow in (["export", str(folder), "--xlsx", str(tmp_path / "book.xlsx")], ["memo", str(folder), "--overwrite"]):
                    assert CliRunner().invoke(main, follow).exit_code == 0
                files.update({"book.xlsx": _workbook(tmp_path / "book.xlsx"), **_files(folder)})
        written[setting] = _without_the_clock(files)
        folder.rename(tmp_path / setting)
        (tmp_path / "book.xlsx").unlink(missing_ok=True)
    first, second = written.values()
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def _chunks_of(size: int, patch) -> None:
    """Chunks of ``size`` draws wherever the default would be used (no option sets it)."""
    default = simulation.chunk_bounds
    forced = lambda draws, workers, chunk_draws: default(draws, workers, size if chunk_draws is None else chunk_draws)  # noqa: E731
    patch.setattr(simulation, "chunk_bounds", forced)
    patch.setattr(arms, "chunk_bounds", forced)


def _files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def _workbook(path: Path) -> bytes:
    """The workbook's parts but its creation and modification times (docProps/core.xml)."""
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as book:
        return b"\0".join(name.encode() + book.read(name) for name in book.namelist() if name != "docProps/core.xml")


def _without_the_clock(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files with the manifest's ``created`` and ``command`` left out, and that time where the memo prints it."""
    manifest = json.loads(files["manifest.json"])
    created = manifest.pop("created").encode()
    manifest.pop("command")
    files = {name: data.replace(created, b"<created>") for name, data in files.items()}
    return {**files, "manifest.json": json.dumps(manifest).encode()}
