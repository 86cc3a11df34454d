"""The docs against the code: links between the pages resolve, the files and tests they name exist, every file an
analysis writes is named in docs/results-files.md (and every column it names is written), and the mistakes
docs/scenario-reference.md shows are what `cxroi validate` prints. About 3 s in all, most of it the analyses at
40 draws on one worker.

The numbers the pages quote are checked where they are cheap: tests/shell/test_readme.py (the README, and
docs/portfolio.md's answer), tests/shell/test_sample_company_path.py (docs/fitting.md's fits),
tests/shell/test_finance_outputs.py (the breakeven examples).
"""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.shell.cli import main

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.*)$", page.read_text(encoding="utf-8"), re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_between_the_pages_resolve(page):
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists() and ROOT in linked.parents, (page.name, target)
        if anchor:
            assert anchor in anchors(linked), (page.name, target)
    assert "../shared" not in text, page.name


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_files_and_tests_the_pages_name_exist(page):
    text = page.read_text(encoding="utf-8")
    for named in re.findall(r"`((?:sim|tests|benchmarks|scenarios|docs|results)/[^`\s<>*]+)`", text):
        path, _, test = named.partition("::")
        path = path.partition("#")[0].rstrip(",.;:")
        assert (ROOT / path).exists(), (page.name, named)
        if test:
            assert re.search(rf"def {test.split('::')[-1]}\b", (ROOT / path).read_text(encoding="utf-8")), (page.name, named)


def _analysis_rows() -> dict[str, str]:
    """docs/results-files.md's table of what each analysis writes: command -> the row's text."""
    text = (ROOT / "docs" / "results-files.md").read_text(encoding="utf-8")
    section = text[text.index("## An analysis's folder"):]
    section = section[:section.index("\n## ")]
    return {match.group(1): line for line in section.splitlines() if (match := re.match(r"\| `(\w+)` \|", line))}


@pytest.fixture(scope="module")
def scenario():
    return sim.load(str(ROOT / "scenarios" / "nordic_midsize.toml"))


ANALYSES = {
    "sweep": lambda sc: [sim.sweep(sc, {"segments.b2b.experience.walk_away": [0.1, 0.3]}, draws=40, workers=1),
                         sim.sweep(sc, {"segments.b2b.experience.walk_away": [0.1, 0.3],
                                        "segments.b2b.monthly_churn": [0.01, 0.02]}, draws=40, workers=1)],
    "tornado": lambda sc: [sim.tornado(sc, draws=40, workers=1)],
    "sensitivity": lambda sc: [sim.sensitivity(sc, draws=40, sobol_samples=8, workers=1)],
    "breakeven": lambda sc: [sim.breakeven(sc, "interventions.faster_response.recurring_cost", draws=40, workers=1)],
    "voi": lambda sc: [sim.voi(sc, draws=40, workers=1)],
    "pilot": lambda sc: [sim.pilot(sc, "ai_self_service", draws=40, workers=1)],
    "portfolio": lambda sc: [sim.portfolio(sc, draws=40, workers=1)],
}


@pytest.mark.parametrize("command", ANALYSES)
def test_results_files_names_every_file_an_analysis_writes(command, scenario):
    """Each CSV and PNG the analysis writes (sim.shell.results_folder.write_analysis: one per table and figure) is
    in its row of the table, nothing else is, and each column the row names is in one of its tables."""
    import matplotlib.pyplot as plt

    from sim.reporting.figures import analysis_figures

    row = _analysis_rows()[command]
    written, columns = set(), set()
    for analysis in ANALYSES[command](scenario):
        figures = analysis_figures(analysis)
        for figure in figures.values():
            plt.close(figure)
        written |= {f"{name}.csv" for name in analysis.tables} | {f"{name}.png" for name in figures}
        for table in analysis.tables.values():
            columns |= set(table.columns)
            if "criterion" in table.columns:
                columns |= set(table["criterion"])
    named = set(re.findall(r"`([\w.]+\.(?:csv|png))`", row))
    assert named == written, (command, sorted(named ^ written))
    if command != "portfolio":  # its columns are in docs/portfolio.md
        named_columns = {word for word in re.findall(r"`([a-z][a-z0-9_]*)`", row) if word != command}
        assert named_columns and named_columns <= columns, (command, sorted(named_columns - columns))


def test_the_mistakes_scenario_reference_shows_are_what_validate_prints(tmp_path):
    text = (ROOT / "docs" / "scenario-reference.md").read_text(encoding="utf-8")
    section = text[text.index("## Mistakes and the rule for numbers"):]
    shown = re.search(r"```\n(.*?)```", section, re.S).group(1).strip().splitlines()
    scenario = (ROOT / "scenarios" / "nordic_midsize.toml").read_text(encoding="utf-8")
    scenario = re.sub(r"(?m)^purchases = ", "purchses = ", scenario, count=1)
    scenario = re.sub(r"(?m)^margin = .*$", "margin = 1.4", scenario, count=1)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "x.toml").write_text(scenario, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        result = CliRunner().invoke(main, ["validate", "scenarios/x.toml"])
    assert result.exit_code == 2
    printed = result.output.strip().splitlines()
    assert len(printed) == len(shown)
    for line in shown:
        assert any(got.startswith(line.removesuffix("...")) for got in printed), (line, printed)
