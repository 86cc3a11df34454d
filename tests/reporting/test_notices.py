"""Notices collapsed into one line per kind, and tables laid out within a width. Under 1 s."""

from sim.reporting.format import style
from sim.reporting.layout import layout
from sim.reporting.notices import adjustment_lines

NBSP = "\u00a0"
PATH = "interventions.faster_response.recurring_cost"


def _entry(draws: int, value: float) -> dict:
    return {"what": "segments.b2b.experience good + bad above 1", "label": "good and bad above 1, business",
            "arm": "resolution_training", "draws": draws, "share": draws / 10_000, "rule": "bad kept, good cut to 1 - bad",
            "point": {PATH: value}}


def test_a_notice_repeated_at_every_point_is_one_line():
    entries = [_entry(3 if i % 2 else 2, 1000.0 * i) for i in range(22)]
    lines = adjustment_lines(entries, 10_000, style("EUR"), option_name=lambda name: "Training", points=22)
    assert lines == [f"Adjusted in up to 3 of 10{NBSP}000 draws (0.03{NBSP}%) at 22 of 22 points: good and bad above 1, "
                     "business under Training: bad kept, good cut to 1 - bad"]


def test_a_notice_at_some_points_lists_them_as_money_when_the_input_is_money():
    entries = [_entry(3, 9275.98), _entry(3, 18_511.6)]
    [line] = adjustment_lines(entries, 10_000, style("EUR"), input_name=lambda p: "recurring cost", points=22)
    assert line.endswith(f"at 2 of 22 points: good and bad above 1, business under resolution_training: bad kept, good "
                         f"cut to 1 - bad; at recurring cost = 9{NBSP}276{NBSP}€; 18{NBSP}512{NBSP}€")
    assert line.startswith(f"Adjusted in 3 of 10{NBSP}000 draws (0.03{NBSP}%)")


def test_a_single_notice_keeps_its_sentence():
    entry = {**{k: v for k, v in _entry(30, 0).items() if k != "point"}, "share": 0.1}
    assert adjustment_lines([entry], 300, style("EUR")) == [
        "Adjusted in 30 of 300 draws (10.0\u00a0%): good and bad above 1, business under resolution_training: "
        "bad kept, good cut to 1 - bad"]


def test_tables_fit_the_width_or_ask_for_a_stacked_layout():
    rows = [["Value per purchase, business customers (756 € to 1 297 €)", "306 579 €", "778 494 €"]]
    laid = layout(["input", "NPV at low", "NPV at high"], rows, 80)
    assert laid is not None and laid.width <= 80
    assert layout(["input", "NPV at low", "NPV at high"], rows, 40) is None  # three lines of label: stack it
    stacked = layout(["", "NPV at low", "NPV at high"], [["", *rows[0][1:]]], 40, above=[rows[0][0]])
    assert stacked.width <= 40 and all(f"1{NBSP}297{NBSP}€" not in line or "€)" in line for line in stacked.body)
