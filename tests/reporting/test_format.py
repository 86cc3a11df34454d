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


def test_rare_and_near_certain_shares_keep_the_digits_that_show_them():
    assert percent(0.0003) == f"0.03{NBSP}%"  # 3 of 10,000 draws, not "0.0 %"
    assert percent(0.9997) == f"99.97{NBSP}%"
    assert percent(0.0) == f"0.0{NBSP}%" and percent(1.0) == f"100.0{NBSP}%"
    assert percent(0.00001) == f"0.001{NBSP}%"
    # Below what four decimals show (numerical noise such as an EVPPI share of 1.7e-12): said, not '0.0000 %'.
    assert percent(1.7e-12) == f"<{NBSP}0.0001{NBSP}%" and percent(-1e-9) == f">{NBSP}−0.0001{NBSP}%"
    assert percent(1 - 1e-9) == f">{NBSP}99.9999{NBSP}%"


def test_counts_money_inputs_and_statistics_share_the_style():
    st = style("EUR")
    assert st.count(10_000) == f"10{NBSP}000"
    assert st.money_value(21_254.8) == f"21{NBSP}255{NBSP}€" and st.money_value(29.74) == f"29.74{NBSP}€"
    assert st.signed(-0.186) == "−0.19" and st.signed(0.42) == "+0.42"
    assert st.percent(0.427, signed=True) == f"+42.7{NBSP}%"
    assert st.estimate(0.0322711) == "0.03227" and st.estimate(-0.186) == "−0.186"
    assert st.p_value(8e-20) == "< 0.0001" and st.p_value(0.00016) == "0.00016"
    assert style().count(2184) == f"2{NBSP}184"  # no currency: the house style


def test_plain_text_from_the_model_is_restyled_at_the_edge():
    assert style("EUR").restyle("share of 2,806 contacts (seed 20150), 1,234,567 draws; 0.5,1") == \
        f"share of 2{NBSP}806 contacts (seed 20150), 1{NBSP}234{NBSP}567 draws; 0.5,1"
    assert style("USD").restyle("2,806") == "2,806"
    assert style("EUR").restyle("fixed cost = 25% of it, 5 % test") == f"fixed cost = 25{NBSP}% of it, 5{NBSP}% test"


def test_a_model_description_is_written_in_the_house_style_and_money_as_money():
    from sim.model.distributions import parse

    interval = parse("700 to 1400").description()
    assert (interval.template, interval.numbers, interval.shares) == ("{} between {} and {} (lognormal)", (0.9, 700.0, 1400.0), (0,))
    assert interval.text() == "90 % between 700 and 1400 (lognormal)"  # the model's own plain words (errors, manifest)
    assert style("EUR").words(interval.as_dict()) == f"90{NBSP}% between 700 and 1{NBSP}400 (lognormal)"
    pert = parse({"dist": "pert", "low": 15000, "mode": 20000, "high": 35000}).description().as_dict()
    assert style("EUR").words(pert, money=True) == (f"between 15{NBSP}000{NBSP}€ and 35{NBSP}000{NBSP}€, most likely "
                                                     f"20{NBSP}000{NBSP}€ (PERT)")
    assert style("USD").words(parse(60000).description().as_dict()) == "fixed at 60,000"
    shares = parse({"dist": "discrete", "values": [1, 2], "weights": [1, 3]}).description().as_dict()
    assert style("EUR").words(shares) == f"one of 1 (25{NBSP}%), 2 (75{NBSP}%)"
