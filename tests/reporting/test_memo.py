"""The decision memo: numbers from summary.json, self-contained HTML, valid figures, renders in a browser."""

import json
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from matplotlib import image

from sim.reporting.format import amount, percent, roi
from sim.reporting.memo import decide
from sim.shell.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, request):
    root = request.config.rootpath
    folder = tmp_path_factory.mktemp("memo") / "run"
    result = CliRunner().invoke(main, ["run", str(root / "scenarios" / "nordic_midsize.toml"), "--draws", "2000",
                                       "--workers", "1", "--out", str(folder), "--memo"])
    assert result.exit_code == 0, result.output
    return folder


def test_run_with_memo_writes_both_formats_and_the_memo_inputs(run_folder):
    for name in ("memo.md", "memo.html", "tornado.csv", "portfolio.json", "memo_figures/roi_distribution.png",
                 "memo_figures/cash_flow.png", "memo_figures/tornado.png", "memo_figures/frontier.png"):
        assert (run_folder / name).is_file(), name
    assert not (run_folder / "voi.json").exists()  # the portfolio's value of information is the decision's


def test_the_recommendation_is_the_best_portfolio_with_its_budget_and_the_other_risk_appetites(run_folder):
    portfolio = json.loads((run_folder / "portfolio.json").read_text())
    md = (run_folder / "memo.md").read_text().replace("\u00a0", " ")
    chosen = next(e for e in portfolio["portfolios"] if e["name"] == portfolio["choice"])
    assert chosen["npv"]["mean"] == max(e["npv"]["mean"] for e in portfolio["portfolios"])
    assert portfolio["search"]["arms_simulated"] == 4  # the run's baseline and single options reused
    recommendation = next(line for line in md.splitlines() if line.startswith("**Recommendation.**"))
    assert f"**{chosen['label']}**" in recommendation
    assert "The recommendation assumes no budget limit." in md
    assert "judged by the average of the worst 10 % of outcomes" in md and "## Combining the options" in md


def test_headline_numbers_are_summary_json_formatted(run_folder):
    summary = json.loads((run_folder / "summary.json").read_text())
    portfolio = json.loads((run_folder / "portfolio.json").read_text())
    md = (run_folder / "memo.md").read_text()
    html = (run_folder / "memo.html").read_text()
    currency = summary["currency"]
    for entry in summary["interventions"].values():
        expected = [
            amount(entry["npv"]["mean"], currency),
            f"{amount(entry['npv']['p05'], currency)} to {amount(entry['npv']['p95'], currency)}",
            roi(entry["roi"]["mean"], currency),
            f"{roi(entry['roi']['p05'], currency)} to {roi(entry['roi']['p95'], currency)}",
            percent(entry["prob_roi_positive"]),
            percent(entry["prob_payback_within_horizon"]),
            amount(entry["npv"]["p10"], currency),
            roi(entry["base_case"]["roi"], currency) if entry is summary["interventions"][decide(summary, None, str, portfolio).intervention] else "",
        ]
        for text in expected:
            assert text in md and text in html, text


def test_memo_states_question_recommendation_rule_assumptions_and_reproduction(run_folder):
    md = (run_folder / "memo.md").read_text()
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert "**Question.**" in md and "**Recommendation.**" in md and "Decision rule:" in md
    assert ("Zendesk and Dimensional Research, Customer Service and Business Results (2013), as reported by "
            "Servicehelten, #68 \\| Bergen: 62\u00a0% of B2B customers bought more after a good experience") in md
    assert "between 0.3 and 0.7, most likely 0.5 (PERT)" in md  # B2B negative_drop in plain words
    assert f"cxroi run {manifest['scenario']['file']} --draws 2000 --seed 2026" in md


def test_html_is_self_contained(run_folder):
    html = (run_folder / "memo.html").read_text()
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert not re.search(r"(?:src|href)\s*=\s*[\"'](?!data:)", html)
    assert "http://" not in html and "https://" not in html
    assert "@import" not in html and "url(" not in html
    assert html.count('src="data:image/png;base64,') == 4


def test_figures_are_valid_images(run_folder):
    for path in (run_folder / "memo_figures").iterdir():
        assert path.read_bytes()[:8] == PNG
        pixels = image.imread(path)
        assert pixels.shape[0] > 200 and pixels.shape[1] > 400 and pixels.std() > 0.01


def test_markdown_figure_links_exist(run_folder):
    md = (run_folder / "memo.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(links) == 4
    for link in links:
        assert (run_folder / link).is_file()


def test_memo_command_refuses_to_overwrite_and_reads_only_results_folders(run_folder, tmp_path):
    runner = CliRunner()
    again = runner.invoke(main, ["memo", str(run_folder)])
    assert again.exit_code == 2
    assert again.output == f"{run_folder / 'memo.md'}: already exists; pass --overwrite to replace it or choose another --out\n"
    other = runner.invoke(main, ["memo", str(run_folder), "--out", str(tmp_path / "board.html"), "--title", "Board memo"])
    assert other.exit_code == 0, other.output
    assert "<title>Board memo</title>" in (tmp_path / "board.html").read_text()
    empty = tmp_path / "empty"
    empty.mkdir()
    wrong = runner.invoke(main, ["memo", str(empty)])
    assert wrong.exit_code == 2
    assert wrong.output == f"{empty}: not a results folder of `cxroi run` (missing summary.json, manifest.json, draws.csv, bands.csv)\n"


def _summary(npv: float, p: float, cost: float = 100_000.0) -> dict:
    return {"currency": "EUR", "interventions": {"x": {"npv": {"mean": npv}, "prob_roi_positive": p, "pv_cost": {"mean": cost}}}}


@pytest.mark.parametrize(
    "npv, p, voi, verdict",
    [
        (50_000, 0.9, None, "invest"),
        (50_000, 0.6, None, "pilot"),
        (-10_000, 0.3, None, "do not invest"),
        (50_000, 0.9, {"evppi": [{"input": "a", "evppi": 20_000}]}, "pilot"),  # worth more than a 10,000 pilot
        (50_000, 0.9, {"evppi": [{"input": "a", "evppi": 5_000}]}, "invest"),
        # With value of information the pilot branch follows the EVPPI table alone: no input is worth a
        # 10,000 pilot, so a 60 % chance of gain is decided now (by expected NPV), never "pilot".
        (50_000, 0.6, {"evppi": [{"input": "a", "evppi": 5_000}]}, "invest"),
        (-10_000, 0.3, {"evppi": [{"input": "a", "evppi": 5_000}]}, "do not invest"),
        (-10_000, 0.3, {"evppi": [{"input": "a", "evppi": 20_000}]}, "pilot"),
        (50_000, 0.6, {"evppi": []}, "invest"),
    ],
)
def test_decision_rule(npv, p, voi, verdict):
    """The verdicts of RULE, including every branch with value of information (runtime: milliseconds)."""
    assert decide(_summary(npv, p), voi).verdict == verdict


def test_amounts_follow_the_currency():
    assert amount(1234567.4, "SEK") == "1\u00a0234\u00a0567\u00a0kr"
    assert amount(-1234567, "EUR") == "−1\u00a0234\u00a0567\u00a0€"
    assert amount(1234567, "USD") == "$1,234,567"
    assert amount(1234567, "DKK") == "1\u00a0234\u00a0567\u00a0kr."  # a point would read as a decimal mark


def test_memo_renders_in_headless_chromium(run_folder, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium); the rendering check was not run")
    shot = tmp_path / "memo.png"
    completed = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,2400", f"--screenshot={shot}",
         (run_folder / "memo.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    pixels = image.imread(shot)[..., :3]
    assert pixels.std() > 0.05  # text, tables and figures: far from a blank page
    assert (pixels < 0.5).mean() > 0.01  # some dark ink


def test_memo_of_a_scenario_with_operations(request, tmp_path):
    root = request.config.rootpath
    folder = tmp_path / "ai"
    result = CliRunner().invoke(main, ["run", str(root / "scenarios" / "ai_self_service.toml"), "--draws", "500",
                                       "--workers", "1", "--out", str(folder), "--memo"])
    assert result.exit_code == 0, result.output
    md = (folder / "memo.md").read_text()
    assert "**Support operations: phone**" in md and "| Assistant: share of contacts it takes |" in md
