"""The README's walkthroughs, run as written: its first run prints what the README shows, and
its own-scenario example validates, runs, fails as shown when mistyped and gives the chances
the README quotes (about 10 s, most of it the default scenario's 10,000 draws).

The data-to-memo path is run by tests/shell/test_sample_company_path.py, the breakeven
examples by tests/shell/test_finance_outputs.py.
"""

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.shell.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(heading: str) -> str:
    """The README's text from a level-2 heading to the next one."""
    start = README.index(f"\n## {heading}")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def blocks(text: str, language: str = "") -> list[str]:
    """The fenced code blocks of ``text`` in that language ('' for blocks without one)."""
    found, current, fence = [], None, None
    for line in text.splitlines():
        if current is None and line.startswith("```"):
            current, fence = [], line[3:].strip()
        elif current is not None and line.startswith("```"):
            if fence == language:
                found.append("\n".join(current) + "\n")
            current = None
        elif current is not None:
            current.append(line)
    return found


def plain(text: str) -> list[str]:
    """Lines as a reader copies them from a terminal: no-break spaces as spaces, no trailing blanks."""
    return [line.replace("\xa0", " ").replace("\u202f", " ").rstrip() for line in text.rstrip("\n").splitlines()]


def invoke(args, cwd=None, code=0, stdout=False):
    runner = CliRunner(env={"COLUMNS": "80"})
    if cwd is None:
        result = runner.invoke(main, args)
    else:
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(cwd)
            result = runner.invoke(main, args)
    assert result.exit_code == code, (args, result.output)
    return result.stdout if stdout else result.output


def test_the_first_run_prints_what_the_readme_shows():
    shown = blocks(section("A first run, read line by line"))[0].rstrip("\n").splitlines()
    assert shown[-1].startswith("Results written to results/nordic_midsize-")
    output = invoke(["run", str(ROOT / "scenarios" / "nordic_midsize.toml"), "--workers", "2", "--no-save"], stdout=True)
    assert plain(output) == plain("\n".join(shown[:-1]))


@pytest.fixture(scope="module")
def own_scenario(tmp_path_factory):
    folder = tmp_path_factory.mktemp("own")
    (toml,) = blocks(section("Your own scenario in 10 minutes"), "toml")
    (folder / "my_shop.toml").write_text(toml, encoding="utf-8")
    return folder


def test_the_own_scenario_validates_and_its_commands_run(own_scenario):
    text = section("Your own scenario in 10 minutes")
    validate_block = next(b for b in blocks(text) if b.startswith("$ cxroi validate"))
    command, expected = validate_block.strip().splitlines()
    assert plain(invoke(shlex.split(command[2:])[1:], cwd=own_scenario)) == plain(expected)
    (commands,) = blocks(text, "bash")
    for line in commands.strip().splitlines():
        args = shlex.split(line)
        assert args[:3] == ["cxroi", "run", "my_shop.toml"]
        invoke([*args[1:], "--draws", "300", "--workers", "1", "--no-save"], cwd=own_scenario)


def test_the_own_scenario_mistakes_read_as_shown(own_scenario):
    text = section("Your own scenario in 10 minutes")
    shown = next(b for b in blocks(text) if "unknown key" in b).strip().splitlines()
    broken = (own_scenario / "my_shop.toml").read_text()
    broken = broken.replace("value_per_purchase =", "value_per_purchse =").replace('bad = "10% to 20%"', "bad = 1.2")
    (own_scenario / "broken").mkdir()
    (own_scenario / "broken" / "my_shop.toml").write_text(broken)
    output = invoke(["validate", "my_shop.toml"], cwd=own_scenario / "broken", code=2)
    for line in shown:
        assert plain(line.removesuffix("..."))[0] in plain(output) or any(
            got.startswith(plain(line.removesuffix("..."))[0]) for got in plain(output)), (line, output)


def test_the_chances_the_readme_quotes_for_the_own_scenario(own_scenario):
    """The walkthrough's prose quotes P(ROI > 0) as it is and at 500 € a month: both at the default draws."""
    text = section("Your own scenario in 10 minutes")
    quoted = [float(x) for x in re.findall(r"(\d+\.\d) %\)", text)]
    chances = []
    for extra in ([], ["--set", "interventions.chat_bot.recurring_cost=500"]):
        summary = json.loads(invoke(["run", "my_shop.toml", "--json", "--workers", "2", "--no-save", *extra], cwd=own_scenario,
                                    stdout=True))
        chances.append(round(100 * summary["interventions"]["chat_bot"]["prob_roi_positive"], 1))
    assert quoted == chances


@pytest.fixture(scope="module")
def portfolio_summary():
    """`cxroi portfolio` of the default scenario at its default draws, as --json (about 2.5 s)."""
    return json.loads(invoke(["portfolio", str(ROOT / "scenarios" / "nordic_midsize.toml"), "--no-save", "--json"],
                             stdout=True))


def test_the_portfolio_figures_the_readme_quotes(portfolio_summary):
    """The first run's reading quotes the best pair's expected NPV, its chance of paying and its interaction, and
    the choice under a 300 000 € budget: they are what `cxroi portfolio` computes (about 5 s: two portfolio runs)."""
    text = " ".join(section("A first run, read line by line").split())
    quoted = re.search(r"worth most, ([\d  ]+) € expected \(positive in ([\d.]+) % of worlds\), though ([\d  ]+) € "
                       r"less than the two apart", text)
    assert quoted, "the README no longer quotes the portfolio's figures in the expected words"
    npv, positive, overlap = (float(re.sub(r"\s", "", group)) for group in quoted.groups())
    scenario = str(ROOT / "scenarios" / "nordic_midsize.toml")
    found = portfolio_summary
    best = next(p for p in found["portfolios"] if p["name"] == found["choice"])
    assert best["interventions"] == ["faster_response", "resolution_training"]
    assert (round(best["npv"]["mean"]), round(100 * best["prob_npv_positive"], 1), round(-best["interaction"]["mean"])) \
        == (npv, positive, overlap)
    budgeted = json.loads(invoke(["portfolio", scenario, "--no-save", "--json", "--budget", "300000"], stdout=True))
    assert "under a 300 000 € budget" in text and budgeted["choice"] == "resolution_training"
    assert set(found["choice_by_objective"].values()) >= {"resolution_training"}


def _money(text: str) -> float:
    """'−43 169 €' -> -43169.0."""
    return float(re.sub(r"[^\d.−-]", "", text).replace("−", "-"))


def test_the_default_answer_docs_portfolio_quotes(portfolio_summary):
    """docs/portfolio.md's table of the default scenario's portfolios, its frontier's incremental ROIs and the
    common-random-numbers sentence are what `cxroi portfolio` gives (the README test's run: no extra work)."""
    text = (ROOT / "docs" / "portfolio.md").read_text(encoding="utf-8")
    section = text[text.index("## The default scenario's answer"):text.index("## Speed and scaling")]
    names = {"faster response": "faster_response", "FCR training": "resolution_training",
             "AI assistant": "ai_self_service", "faster response + FCR training": "faster_response+resolution_training",
             "all three": "faster_response+resolution_training+ai_self_service"}
    entries = {entry["name"]: entry for entry in portfolio_summary["portfolios"]}
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| ") and not line.startswith(("| portfolio", "| ---"))]
    assert {row[0] for row in rows} == set(names)
    for label, mean, interval, positive, worst, cost, interaction in rows:
        entry = entries[names[label]]
        low, high = interval.split(" to ")
        assert [round(entry["npv"]["mean"]), round(entry["npv"]["p05"]), round(entry["npv"]["p95"]),
                round(100 * entry["prob_npv_positive"], 1), round(entry["npv_expected_shortfall_10"]),
                round(entry["pv_cost"]["mean"])] == \
            [_money(mean), _money(low), _money(high), float(positive.rstrip(" %")), _money(worst), _money(cost)], label
        if interaction:
            assert round(entry["interaction"]["mean"]) == _money(interaction), label
    steps = [float(x) for x in re.findall(r"\(\+(\d+) %", " ".join(section.split()))]
    assert steps == [round(100 * row["incremental_roi"]) for row in portfolio_summary["frontier"][1:]]
    crn = portfolio_summary["crn"]
    quoted = re.search(r"\(([\d  ]+) €\) has a standard error of ([\d  ]+) € with common random numbers against "
                       r"([\d  ]+) € with independent draws \(([\d.]+)×\)", " ".join(section.split())).groups()
    assert [_money(x) for x in quoted[:3]] + [float(quoted[3])] == \
        [round(crn["difference"]), round(crn["se_common_random_numbers"]), round(crn["se_independent_draws"]),
         round(crn["ratio"], 1)]
