"""A run's manifest.json lists every file its folder holds, the memo's included, and the memo is part of the
folder's atomic write: an error or an interrupt while it is written leaves no folder (about 4 s)."""

import json

from click.testing import CliRunner

import sim.reporting.memo
from sim.errors import UsageError
from sim.shell.cli import main
from tests.conftest import scenario_dict
from tests.shell.test_bad_input import write_scenario

UNDESCRIBED = "(not described)"


def _files_on_disk(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_memo_runs_manifest_lists_every_file_in_the_folder(root, tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(root / "scenarios" / "nordic_midsize.toml"), "--draws", "200",
                                       "--workers", "1", "--out", str(out), "--memo"])
    assert result.exit_code == 0, result.output
    files = json.loads((out / "manifest.json").read_text())["files"]
    assert sorted(files) == _files_on_disk(out)
    assert {"memo.md", "memo.html", "portfolio.json", "pilot.json", "tornado.csv", "roi_draws.csv",
            "memo_figures/tornado.png"} <= set(files)
    assert UNDESCRIBED not in files.values()
    assert files["memo_figures/tornado.png"] == "a figure of memo.md: tornado"
    assert f"Memo written to {out / 'memo.md'}" in result.output


def test_a_parquet_runs_manifest_names_its_tables(tmp_path):
    import sim

    raw = scenario_dict(draws=50, seed=4)
    result = sim.run(sim.load(write_scenario(raw, tmp_path / "s.toml")), workers=1)
    try:
        out = sim.write_results(result, tmp_path / "run", tables="parquet")
    except UsageError:  # no pyarrow: the CSV folder says the same
        out = sim.write_results(result, tmp_path / "run")
    files = json.loads((out / "manifest.json").read_text())["files"]
    assert sorted(files) == _files_on_disk(out) and UNDESCRIBED not in files.values()


def _half_a_memo_then(stop):
    """memo.write that writes part of the memo (a figure) into the folder it is given, then raises ``stop(folder)``."""
    def write(folder, *args, **kwargs):
        (folder / "memo_figures").mkdir()
        (folder / "memo_figures" / "cash_flow.png").write_bytes(b"half")
        raise stop(folder)
    return write


def test_an_error_or_an_interrupt_while_the_memo_is_written_leaves_no_folder(tmp_path, monkeypatch):
    """The memo is written into the staging folder: a Ctrl-C (or SIGTERM, which the CLI turns into one) leaves
    nothing; an error names the folder asked for, never the staging folder, and leaves nothing either."""
    file = write_scenario(scenario_dict(draws=100, seed=4), tmp_path / "fixed.toml")
    out = tmp_path / "run"
    cases = ((lambda folder: KeyboardInterrupt(), 130, "interrupted; nothing was written"),
             (lambda folder: UsageError(f"{folder / 'memo.md'}: cannot write the memo (disk full)"), 2,
              f"{out / 'memo.md'}: cannot write the memo (disk full); nothing was written"))
    for stop, code, line in cases:
        monkeypatch.setattr(sim.reporting.memo, "write", _half_a_memo_then(stop))
        result = CliRunner().invoke(main, ["run", str(file), "--out", str(out), "--workers", "1", "--memo"])
        assert result.exit_code == code, result.output
        assert result.output.strip().splitlines()[-1] == line
        assert sorted(p.name for p in tmp_path.iterdir()) == ["fixed.toml"]  # no folder, no staging folder
