"""Figures speak in names: options in titles, inputs on the axes, today's value and the break-even
marked, the scenario's number style on the ticks. About 3 s."""

import matplotlib.pyplot as plt

import sim
from sim.reporting.figures import analysis_figures
from tests.conftest import ROOT

SCENARIO = ROOT / "scenarios" / "seed001_churn_example.toml"


def _texts(figure):
    titles = [ax.get_title() for ax in figure.axes]
    ticks = [t.get_text() for ax in figure.axes for t in ax.get_yticklabels() + ax.get_xticklabels()]
    labels = [ax.get_xlabel() for ax in figure.axes]
    legends = [t.get_text() for ax in figure.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    plt.close(figure)
    return titles, ticks, labels, legends


def test_tornado_names_the_option_and_the_inputs():
    figures = analysis_figures(sim.tornado(sim.load(SCENARIO), draws=200, workers=1))
    titles, ticks, _, _ = _texts(figures["tornado"])
    plt.close(figures["tornado_from_draws"])
    assert titles[0].startswith("Faster support response: one input at a time")
    assert "Faster support response: one-off cost" in ticks
    assert not any("interventions." in t or "segments." in t for t in ticks)


def test_sweep_marks_todays_value_and_the_break_even_with_grouped_ticks():
    analysis = sim.sweep(sim.load(SCENARIO), {"interventions.faster_response.one_off_cost": [100_000, 300_000, 600_000]},
                         draws=200, workers=1)
    titles, ticks, labels, legends = _texts(analysis_figures(analysis)["sweep"])
    assert titles == ["Faster support response"]
    assert labels == ["Faster support response: one-off cost"]
    assert "today's value (100\u00a0000)" in legends and "break-even of the median" in legends
    assert "300\u00a0000" in ticks and not any("e+" in t for t in ticks)
