"""The README's path from data to memo, run as written on the shipped sample company (about 6 s).

The commands are read from the README section "From your data to a memo" and run
in a temporary copy of ``scenarios/`` (so from a clean clone, nothing shipped
is written); ``run`` and ``pilot`` get small ``--draws``. Each step exits 0, the
final summary.json is finite, the memo is written, and the fits' 95 % intervals
cover the stated truth of ``scenarios/data/make_sample_company.py`` for the key
parameters.
"""

import importlib.util
import json
import math
import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.shell.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("make_sample_company", ROOT / "scenarios" / "data" / "make_sample_company.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def readme_path() -> list[list[str]]:
    """The commands of the README's data-to-memo block, one argument list each."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## From your data to a memo"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [shlex.split(line) for line in block.strip().splitlines()]


def _flatten(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _flatten(item)
    elif isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    elif isinstance(value, float):
        yield value


def _covers(rows, parameter, truth):
    (row,) = [r for r in rows if r["parameter"] == parameter]
    return row["ci_low"] < truth < row["ci_high"]


@pytest.fixture(scope="module")
def path_outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clone")
    shutil.copytree(ROOT / "scenarios", folder / "scenarios")
    outputs = {}
    commands = readme_path()
    assert [c[:2] if c[0] == "cp" else c[1:3] for c in commands] == [
        ["cp", "scenarios/sample_company.toml"], ["fit", "customers"], ["fit", "orders"], ["fit", "support"],
        ["run", "my_company.toml"], ["pilot", "my_company.toml"], ["fit", "pilot"], ["run", "my_company.toml"]]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        for number, command in enumerate(commands):
            if command[0] == "cp":
                shutil.copy(*command[1:])
                continue
            assert command[0] == "cxroi"
            args = command[1:]
            if args[0] == "fit":
                args += ["--json"]
            else:
                args += ["--draws", "400", "--workers", "1", "--out", f"results/step{number}"]
            result = CliRunner().invoke(main, args)
            assert result.exit_code == 0, (shlex.join(command), result.output)
            outputs[" ".join(args[:2])] = (result, folder / f"results/step{number}")
    return outputs


def test_every_step_runs_and_the_memo_has_a_finite_summary(path_outputs):
    result, folder = path_outputs["run my_company.toml"]  # the last run: --memo
    summary = json.loads((folder / "summary.json").read_text())
    numbers = list(_flatten(summary))
    assert numbers and all(math.isfinite(x) for x in numbers)
    assert "Better first contact" in (folder / "memo.md").read_text()
    assert {"tornado.csv", "portfolio.json", "pilot.json"} <= {p.name for p in folder.iterdir()}
    entry = summary["interventions"]["first_contact"]
    assert entry["npv"]["mean"] > 0 and 0.5 < entry["prob_roi_positive"] < 0.95  # pays on average, not surely


def test_the_fits_cover_the_stated_truth(path_outputs):
    generator = _generator()
    truths = generator.TRUTHS
    churn = json.loads(path_outputs["fit customers"][0].stdout)["segments"]
    orders = json.loads(path_outputs["fit orders"][0].stdout)["segments"]
    support = json.loads(path_outputs["fit support"][0].stdout)["segments"]
    for segment, truth in truths.items():
        # Customers differ; alpha covers the base churn's (beta also absorbs the churn support causes: docs/fitting.md).
        assert churn[segment]["lr_p_value"] < 0.01, segment
        assert _covers(churn[segment]["estimates"], "alpha", truth.churn_mix[0]), segment
        rows = orders[segment]["estimates"]
        assert _covers(rows, "r", truth.purchase_shape), segment
        assert _covers(rows, "alpha", truth.purchase_shape / truth.purchases), segment
        p, q, gamma = truth.spend
        assert _covers(orders[segment]["spend"]["estimates"], "mean_spend", p * gamma / (q - 1)), segment
        rows = support[segment]["estimates"]
        for name in ("contacts", "walk_away", "negative_drop", "negative_churn_increase"):
            assert _covers(rows, name, getattr(truth, name)), (segment, name)
        assert _covers(rows, "bad", generator.bad_share(truth)), segment
    pilot = json.loads(path_outputs["fit pilot"][0].stdout)
    low, high = pilot["interval_95"]
    assert low < generator.PILOT["bad_ratio"] < high
    assert pilot["written_into"]


def _agrees(quoted: str, value: float) -> bool:
    """A number as the docs print it agrees with ``value`` rounded to the digits printed."""
    decimals = len(quoted.partition(".")[2])
    return abs(float(quoted) - value) <= 0.5 * 10 ** -decimals + 1e-12


def test_the_fits_are_what_docs_fitting_quotes(path_outputs):
    """docs/fitting.md quotes the sample company's estimates with their 95 % intervals, the pilot's review and the
    memo's review count: they are what these fits give (no extra work: the fixture's outputs)."""
    text = " ".join((ROOT / "docs" / "fitting.md").read_text(encoding="utf-8").split())
    churn = json.loads(path_outputs["fit customers"][0].stdout)["segments"]
    orders = json.loads(path_outputs["fit orders"][0].stdout)["segments"]
    support = json.loads(path_outputs["fit support"][0].stdout)["segments"]
    pilot = json.loads(path_outputs["fit pilot"][0].stdout)

    def row(rows, parameter):
        (found,) = [r for r in rows if r["parameter"] == parameter]
        return found["estimate"], found["ci_low"], found["ci_high"]

    def interval(entry):
        return entry["estimate"], entry["ci_low"], entry["ci_high"]

    written = {segment: support[segment]["joint_churn"]["written"] for segment in support}
    expected = [row(orders["retail"]["estimates"], "r"), row(orders["retail"]["estimates"], "alpha"),
                row(orders["business"]["estimates"], "r"), row(orders["business"]["estimates"], "alpha"),
                row(orders["retail"]["spend"]["estimates"], "mean_spend"),
                row(orders["business"]["spend"]["estimates"], "mean_spend"),
                row(support["retail"]["estimates"], "walk_away"), row(support["business"]["estimates"], "walk_away"),
                row(support["retail"]["estimates"], "contacts"), row(support["business"]["estimates"], "contacts"),
                (pilot["median"], *pilot["interval_95"]),
                row(churn["retail"]["estimates"], "alpha"), row(churn["business"]["estimates"], "alpha"),
                interval(written["retail"]["alpha"]), interval(written["retail"]["beta"])]
    published = text[text.index("On the sample company (`scenarios/data/make_sample_company.py`"):]
    published = published[:published.index("`python benchmarks/fit_cli_speed.py`")]
    quoted = re.findall(r"(\d+\.\d+) \((\d+\.\d+)–(\d+\.\d+)", published)
    assert len(quoted) == len(expected), quoted
    for numbers, values in zip(quoted, expected):
        assert all(_agrees(q, v) for q, v in zip(numbers, values)), (numbers, values)
    betas = re.search(r"beta, (\d+\.\d+) and (\d+\.\d+), lies below", published).groups()
    assert _agrees(betas[0], row(churn["retail"]["estimates"], "beta")[0])
    assert _agrees(betas[1], row(churn["business"]["estimates"], "beta")[0])

    # The walk-through's pilot and review sentences.
    ratio = re.search(r"measured a risk ratio of bad contacts of (\d+\.\d+) \((\d+\.\d+)–(\d+\.\d+)\)", text).groups()
    assert all(_agrees(q, v) for q, v in zip(ratio, (pilot["median"], *pilot["interval_95"])))
    (review,) = pilot["review"]["inputs"].values()
    early, predicted, contacts, happened, p_value = re.search(
        r"the risk ratio of those enrolled in the first four weeks, (\d+\.\d+), with the later control arm predicts "
        r"(\d+) bad contacts among the later treated customers' (\d+); (\d+) happened\) and its predictive check "
        r"\(p = ([\d.]+)\)", text).groups()
    holdout = review["holdout"]["reason"]
    assert f"treated arm's {contacts} contacts" in holdout and f"{predicted} predicted, {happened} happened" in holdout
    assert _agrees(early, float(re.search(r"enrolled before \S+ \((\d+\.\d+)\)", holdout).group(1)))
    assert f"(p = {p_value})" in review["predictive"]["reason"]
    reviews = json.loads(path_outputs["fit support"][0].stdout)["review"]["inputs"]
    reason = reviews["segments.business.experience.negative_churn_increase"]["holdout"]["reason"]
    predicted, months, happened, errors = re.search(r"predicts (\d+) customers churning in the (\d+) months after a bad "
                                                    r"contact where (\d+) did \(([\d.]+) standard errors", text).groups()
    assert f"in the {months} customer-months" in reason and f"{predicted} predicted, {happened} happened" in reason
    assert f"({errors} standard errors)" in reason
    memo = (path_outputs["run my_company.toml"][1] / "memo.md").read_text(encoding="utf-8")
    passed, total = re.search(r"passes (\d+) of the (\d+) fitted inputs", text).groups()
    assert f"Of {total} inputs, {passed} pass every check" in " ".join(memo.split())
