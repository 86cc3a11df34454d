"""Jupyter: a run, an analysis and a fit display as HTML tables with the house number style (formatters
that `import sim` registers in IPython), and docs/example.ipynb runs top to bottom, showing them. About 20 s (a kernel start and the notebook's small runs)."""

import re

import numpy as np
import pytest

import sim
from sim.reporting.format import amount, percent
from sim.reporting.notebook import to_html


@pytest.fixture(scope="module")
def scenario(request):
    return sim.load(request.config.rootpath / "scenarios" / "nordic_midsize.toml")


def cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", html)


def test_a_result_shows_the_memos_headline_figures(scenario):
    result = sim.run(scenario, draws=200, seed=3, workers=1)
    html = to_html(result)
    summary = result.summary_dict()
    for entry in summary["interventions"].values():
        assert f">{entry['label']}</th>" in html
        assert amount(entry["npv"]["mean"], "EUR") in cells(html)
        assert percent(entry["prob_roi_positive"]) in cells(html)
    assert "P(ROI &gt; 0) = P(payback within 36 months)" in html
    assert 'text-align:right;white-space:nowrap">' + amount(summary["interventions"]["faster_response"]["npv"]["mean"],
                                                           "EUR") in html
    assert "<script" not in html


def test_an_analysis_shows_its_tables_with_inputs_by_name(scenario):
    html = to_html(sim.voi(scenario, draws=200, seed=3, workers=1))
    assert "<b>Value of information</b>" in html and "EVPPI" in html
    assert "Share of bad contacts, business customers" in html
    assert "segments.b2b.experience.bad" not in html and "_" not in "".join(cells(html))


def test_a_fit_shows_its_estimates_with_intervals():
    from sim import fit
    from sim.fit.synthetic import sample_company

    customers, _ = sample_company(np.random.default_rng(1), 600)
    retention = next(iter(fit.fit_retention(customers, as_of="2025-12-31").values()))
    html = to_html(retention)
    assert "<b>Retention fit</b>" in html and "95 % low" in html and "Std. error" in html
    low, high = retention.estimates.interval("alpha")
    assert f"{low:.3g}" in cells(html) and f"{high:.3g}" in cells(html)


def test_the_example_notebook_runs_top_to_bottom(request):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    docs = request.config.rootpath / "docs"
    notebook = nbformat.read(docs / "example.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(docs)}}).execute()
    shown = [output["data"]["text/html"] for cell in notebook.cells if cell.cell_type == "code"
             for output in cell.outputs if "text/html" in output.get("data", {})]
    assert len(shown) >= 5 and all("<table" in html for html in shown)
    assert any("Retention fit" in html for html in shown) and any("Tornado" in html for html in shown)
