"""Finance number formats: ROI in %, a true minus sign, the currency's style, no scientific notation. Under 1 s."""

from sim.reporting.format import amount, payback, percent, roi, style, value

NBSP = "\u00a0"


def test_roi_is_a_percentage_of_cost():
    assert roi(4.0, "EUR") == f"400{NBSP}%"  # the worked example's "ROI = 4"
    assert roi(-1.6, "EUR") == f"−160{NBSP}%"
    assert roi(0.034, "EUR") == f"3.4{NBSP}%"
    assert roi(4.0, "USD") == "400%"
    assert roi(25.0, "EUR") == f"2{NBSP}500{NBSP}%"


def test_negative_amounts_carry_a_minus_sign_before_the_symbol():
    assert amount(-12_345.4, "EUR") == f"−12{NBSP}345{NBSP}€"
    assert amount(-12_345.4, "USD") == "−$12,345"
    assert amount(12_345.4, "SEK") == f"12{NBSP}345{NBSP}kr"
    assert amount(-0.4, "EUR") == f"0{NBSP}€"  # rounds to zero: no sign


def test_input_values_never_use_scientific_notation():
    assert value(15000) == f"15{NBSP}000"
    assert value(0.15000000000000002) == "0.15"
    assert value(0.00005) == "0.00005"
    assert value(1234.5) == f"1{NBSP}234.5"
    assert value(-0.25) == "−0.25"
    assert style("USD").value(15000) == "15,000"


def test_shares_and_payback():
    assert percent(0.623) == f"62.3{NBSP}%"
    assert payback(None, "month") == "beyond the horizon"
    assert payback(14.0, "month") == "month 14"
