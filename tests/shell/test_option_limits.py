"""Options too large to run: refused in one line before any work, nothing written (about 1 s in all).

Each of these used to run until the machine gave out: --workers 100000 forked processes until none were left,
a --range or LOW:HIGH:STEPS of a million points ran for hours, --sobol-samples 99999999999 ended in numpy's
traceback for a 65 TiB array after the whole Monte Carlo run. --no-save beside --out used to drop the --out
folder without a word, and the tornado's title named the 10th and 90th percentiles whatever --low and --high.
"""

import json

import pytest
from click.testing import CliRunner

from sim.shell.cli import main
from tests.conftest import scenario_dict
from tests.shell.test_bad_input import write_scenario


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def file(tmp_path):
    raw = scenario_dict()
    raw["segments"]["retail"]["margin"] = "30% to 40%"
    return write_scenario(raw, tmp_path / "s.toml")


def _refused(result, line, *not_written):
    assert (result.exit_code, result.output) == (2, line + "\n")
    for path in not_written:
        assert not path.exists()


@pytest.mark.parametrize("args, line", [
    (["run", "--workers", "100000"],
     "cxroi run: Invalid value for '--workers': 100000 is not in the range 1<=x<=256. (see cxroi run --help)"),
    (["sweep", "--param", "segments.retail.margin", "--range", "0.1:0.2:1000000"],
     "--range '0.1:0.2:1000000': STEPS must be 2 to 1,000"),
    (["sweep", "--param", "segments.retail.margin", "--values", "0.1:0.2:5000"],
     "--values '0.1:0.2:5000': STEPS must be 2 to 1,000"),
    (["sweep", "--param", "segments.retail.margin", "--values", "0.1:0.2:40",
      "--param", "segments.retail.purchases", "--values", "1:2:40"],
     "a sweep runs at most 1,000 points, not 40 x 40; give fewer values"),
    (["breakeven", "--param", "segments.retail.margin", "--range", "0.1:0.2:1000000"],
     "--range '0.1:0.2:1000000': STEPS must be 2 to 1,000"),
    (["sensitivity", "--sobol-samples", "99999999999"],
     "--sobol-samples 99999999999: at most 33,333,333 for this scenario's 1 uncertain input "
     "(a Saltelli design of N x (inputs + 2) rows must fit in memory)"),
])
def test_an_option_too_large_to_run_is_refused_before_any_work(args, line, file, tmp_path):
    command, *rest = args
    _refused(_run(command, file, "--out", tmp_path / "o", *rest), line, tmp_path / "o")


def test_a_local_cluster_of_too_many_workers_is_refused():
    from sim.compute.dask_pool import _local_workers
    from sim.errors import UsageError

    with pytest.raises(UsageError, match=r"^--scheduler local:100000: give the number of local workers, 1 to 256, e\.g\. local:4$"):
        _local_workers("local:100000")
    assert _local_workers("local:256") == 256


def test_out_beside_no_save_is_refused(file, tmp_path):
    _refused(_run("run", file, "--no-save", "--out", tmp_path / "o"),
             f"--out {tmp_path / 'o'}: --no-save writes no results folder; drop one of the two", tmp_path / "o")


def test_the_tornado_title_names_the_quantiles_asked_for(file):
    result = _run("tornado", file, "--no-save", "--workers", "1", "--draws", "20", "--low", "0.25", "--high", "0.75")
    assert result.exit_code == 0, result.output
    assert "NPV with one input at its 25th and at its 75th percentile, others at base" in " ".join(result.output.split())


def test_an_empty_sizes_list_is_refused_not_taken_as_the_default(file, tmp_path):
    # --sizes '' (a shell variable left empty) used to run the five default sizes without a word.
    _refused(_run("pilot", file, "--intervention", "program", "--sizes", "", "--out", tmp_path / "o"),
             "--sizes '': give one or more customer counts per arm, each at least 1", tmp_path / "o")


@pytest.mark.parametrize("args, line", [
    (["sensitivity", "--sobol-samples", "4"],
     "--sobol-samples 4: give 0 (no Sobol indices) or at least 8; fewer base samples give indices and intervals "
     "that mean nothing"),
    (["tornado", "--low", "0.5", "--high", "0.5"],
     "cxroi tornado: Invalid value for '--low': 0.5 is not in the range 0.0<x<0.5. (see cxroi tornado --help)"),
    (["run", "--out", ""], "cxroi run: Invalid value for '--out': is empty; give a file or folder name (see cxroi run --help)"),
])
def test_an_option_that_would_give_a_meaningless_answer_is_refused(args, line, file, tmp_path):
    """Sobol indices from 1 to 7 base samples came out beyond [-1, 1] with intervals of 0; a tornado at one
    quantile swung nothing; an empty --out was read as '.' ('.: already exists')."""
    command, *rest = args
    out = [] if "--out" in rest else ["--out", tmp_path / "o"]
    _refused(_run(command, file, *out, *rest), line, tmp_path / "o")


def test_an_empty_scenario_path_is_refused_by_name():
    result = _run("run", "")
    assert (result.exit_code, result.output) == (
        2, "cxroi run: Invalid value for 'SCENARIO': is empty; give a file or folder name (see cxroi run --help)\n")


def test_a_break_even_of_one_draw_has_no_standard_error_and_no_nan(request):
    """One draw has no spread: the crossing's Monte Carlo standard error is left out instead of ending the
    command in 'the results hold NaN'."""
    scenario = request.config.rootpath / "scenarios" / "nordic_midsize.toml"
    result = _run("breakeven", scenario, "--param", "interventions.faster_response.recurring_cost", "--draws", "1",
                  "--workers", "1", "--no-save", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["breakeven"]["faster_response"]["mean_npv_zero"] is not None
    assert summary["standard_error"]["faster_response"] == {"mean_npv_zero": None, "prob_roi_positive_50": None}
