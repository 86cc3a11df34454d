"""Numbers through the command line: each command's output against a truth computed another way.

Every command is run through the ``cxroi`` command group (click's runner, in this process); the truth
is a closed form, an independent formula in this file, the same command's ``run`` with ``--set``, or
the per-draw table of a ``run`` with the same seed (``draws.csv``, written by the CLI):

- run --base-case of the Netigate example: ROI 4 (400 %), as the article computes it;
- run: per draw, PV cost is the sampled one-off cost and ROI = (PV benefit - PV cost) / PV cost;
- sweep at a point equals run with --set at that value (common random numbers);
- breakeven of a recurring cost (NPV linear in it) equals the root of the line through two runs;
- export: every number of the workbook's Summary sheet (the values stored with its formulas) equals
  summary.json, and the mean of its Draws sheet's NPV column equals the summary's mean NPV;
- staffing: Erlang C by the textbook sum (not the project's Erlang B recursion), Erlang A by the
  birth-death chain's product form;
- tornado: NPV at each input's 10th / 90th percentile by the example's closed form
  (benefit = 10 M EUR x churn points cut) at PERT quantiles from scipy;
- sensitivity: Spearman and partial rank correlations recomputed from the run's draws; Sobol indices
  of the (linear) expected-value model from the PERT variances;
- voi: EVPI = E[max(0, NPV)] - max(0, E[NPV]) from the run's draws;
- pilot: cost = fixed + per customer x n x periods, net gain = EVSI - cost, EVPI from the draws,
  and the power against the exact binomial power of the pilot's test averaged over the draws;
- fit customers: Fader & Hardie's published sBG fit of their 'regular' survivor table, and the
  survival closed form at it; fit pilot: the risk ratio of two beta posteriors (exact mean, quantiles
  by numerical integration).

About 15-20 s on the shared machine (most of it the pilot's exact power and the breakeven search).
"""

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from sim.shell.cli import main
from tests.conftest import ROOT

SEED001 = "scenarios/seed001_churn_example.toml"
NORDIC = "scenarios/nordic_midsize.toml"
PORTFOLIO = 1000 * 10_000  # customers x annual fee: the Netigate example's 10 M EUR
ADD = "interventions.faster_response.changes[0].add"
COST = "interventions.faster_response.one_off_cost"
CHURN = "segments.portfolio.annual_churn"


def cxroi(*args) -> dict:
    """``cxroi ARGS --json`` through the command group; the parsed JSON."""
    outcome = CliRunner().invoke(main, [str(a) for a in args] + ["--json"])
    assert outcome.exit_code == 0, outcome.output
    return json.loads(outcome.stdout)


def monte_carlo(draws=300, seed=11):
    return ["--draws", str(draws), "--seed", str(seed), "--workers", "1"]


def pert(low, mode, high):
    """The PERT distribution (shape 4) as scipy's beta, independently of the project's sampler."""
    a = 1 + 4 * (mode - low) / (high - low)
    b = 1 + 4 * (high - mode) / (high - low)
    return stats.beta(a, b, loc=low, scale=high - low)


ADD_DIST = pert(-0.08, -0.05, 0.0)
COST_DIST = pert(90_000, 100_000, 150_000)


@pytest.fixture(scope="module")
def seed001_run(tmp_path_factory):
    """`cxroi run` of the Netigate example at 2,000 draws, seed 11: its summary and per-draw table."""
    out = tmp_path_factory.mktemp("run") / "seed001"
    summary = cxroi("run", ROOT / SEED001, *monte_carlo(2000), "--out", out)
    draws = pd.read_csv(out / "draws.csv", index_col="draw")
    return summary, draws, out


def test_base_case_of_the_worked_example_is_400_percent(root):
    summary = cxroi("run", root / SEED001, "--base-case", "--no-save")
    entry = summary["interventions"]["faster_response"]
    assert summary["mode"] == "base_case"
    assert entry["roi"]["mean"] == pytest.approx(4.0, rel=1e-12)
    assert entry["pv_benefit"]["mean"] == pytest.approx(0.05 * PORTFOLIO, rel=1e-12)
    assert entry["pv_cost"]["mean"] == pytest.approx(100_000, rel=1e-12)
    printed = CliRunner(env={"COLUMNS": "80"}).invoke(main, ["run", str(root / SEED001), "--base-case", "--no-save"])
    assert printed.exit_code == 0
    (roi_line,) = [line for line in printed.output.splitlines() if line.split()[:1] == ["ROI"]]
    assert re.fullmatch(r" ROI +400\u00a0% *", roi_line)  # a no-break space before the per cent sign


def test_run_outcomes_per_draw_follow_from_the_costs_and_benefits(seed001_run):
    summary, draws, _ = seed001_run
    entry = summary["interventions"]["faster_response"]
    cost, benefit = draws["faster_response.pv_cost"], draws["faster_response.pv_benefit"]
    assert np.allclose(cost, draws[COST], rtol=1e-11)  # one annual period, no discounting: PV cost = one-off cost
    assert np.allclose(draws["faster_response.npv"], benefit - cost, rtol=1e-11, atol=1e-4)
    assert np.allclose(draws["faster_response.roi"], (benefit - cost) / cost, rtol=1e-10)
    assert entry["npv"]["mean"] == pytest.approx(draws["faster_response.npv"].mean(), rel=1e-10)
    assert entry["prob_roi_positive"] == (draws["faster_response.roi"] > 0).mean()
    # The expected benefit is the portfolio times the churn points cut (binomial churn averages out):
    cut = draws[CHURN] - np.clip(draws[CHURN] + draws[ADD], 0, 1)
    difference = benefit - PORTFOLIO * cut
    assert abs(difference.mean()) < 4 * difference.std() / math.sqrt(len(draws))


def test_sweep_at_a_value_is_run_with_that_value_set(root):
    path = "segments.b2b.experience.bad"  # uncertain and not correlated (--set refuses a correlated input)
    sweep = cxroi("sweep", root / NORDIC, *monte_carlo(), "--no-save", "--param", path, "--values", "0.1,0.25")
    run = cxroi("run", root / NORDIC, *monte_carlo(), "--no-save", "--set", f"{path}=0.25")
    points = [p for p in sweep["points"] if p[path] == 0.25]
    assert {p["intervention"] for p in points} == set(run["interventions"]) and len(points) == 3
    for point in points:
        entry = run["interventions"][point["intervention"]]
        assert point["npv_mean"] == pytest.approx(entry["npv"]["mean"], rel=1e-12)
        assert point["roi_mean"] == pytest.approx(entry["roi"]["mean"], rel=1e-12)
        for p in ("p05", "p50", "p95"):
            assert point[f"npv_{p}"] == pytest.approx(entry["npv"][p], rel=1e-12)
        assert point["prob_roi_positive"] == entry["prob_roi_positive"]


def test_breakeven_of_a_recurring_cost_is_the_root_of_the_line_through_two_runs(root):
    """NPV falls linearly in the recurring cost (benefits do not depend on it), so mean NPV = 0 where the
    line through two runs with the cost set crosses zero."""
    path = "interventions.faster_response.recurring_cost"
    means = {}
    for cost in (20_000.0, 60_000.0):
        run = cxroi("run", root / NORDIC, *monte_carlo(), "--no-save", "--set", f"{path}={cost}")
        means[cost] = run["interventions"]["faster_response"]["npv"]["mean"]
    (c1, n1), (c2, n2) = means.items()
    root_of_line = c1 + n1 * (c2 - c1) / (n1 - n2)
    found = cxroi("breakeven", root / NORDIC, *monte_carlo(), "--no-save", "--param", path,
                  "--range", "0:100000")
    value = found["breakeven"]["faster_response"]["mean_npv_zero"]
    assert found["outcomes"]["faster_response"]["mean_npv_zero"] == "break-even"
    assert value == pytest.approx(root_of_line, abs=1e-4 * 100_000)  # Brent's tolerance, 1e-4 of the range (measured: 7e-12)
    assert found["outcomes"]["resolution_training"]["mean_npv_zero"] == "no effect"


def test_export_workbook_holds_the_numbers_of_summary_json(seed001_run, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    summary, draws, out = seed001_run
    workbook = tmp_path / "w.xlsx"
    outcome = CliRunner().invoke(main, ["export", str(out), "--xlsx", str(workbook)])
    assert outcome.exit_code == 0, outcome.output
    book = openpyxl.load_workbook(workbook, read_only=True, data_only=True)  # the formulas' stored values
    rows = {row[0]: row[1:] for row in book["Summary"].iter_rows(values_only=True) if row and row[0]}
    entry = summary["interventions"]["faster_response"]
    horizon = f"{summary['horizon']} {summary['period']}{'' if summary['horizon'] == 1 else 's'}"
    chances = ({f"P(ROI > 0) = P(payback within {horizon})": entry["prob_roi_positive"]}
               if entry["prob_roi_positive"] == entry["prob_payback_within_horizon"] else
               {"P(ROI > 0)": entry["prob_roi_positive"],
                f"P(payback within {horizon})": entry["prob_payback_within_horizon"]})
    expected = {
        "NPV, mean": entry["npv"]["mean"], "NPV, 5th percentile": entry["npv"]["p05"],
        "NPV, median": entry["npv"]["p50"], "NPV, 95th percentile": entry["npv"]["p95"],
        "ROI, mean": entry["roi"]["mean"], "ROI, 5th percentile": entry["roi"]["p05"],
        "ROI, median": entry["roi"]["p50"], "ROI, 95th percentile": entry["roi"]["p95"],
        "PV benefit, mean": entry["pv_benefit"]["mean"], "PV cost, mean": entry["pv_cost"]["mean"],
        **chances,
        "NPV, average of the worst 10\u00a0% of draws": entry["npv_expected_shortfall_10"],
        "Spreadsheet NPV (every input at its base value)": 400_000.0,
        "Spreadsheet ROI (every input at its base value)": 4.0,
    }
    for label, value in expected.items():
        assert rows[label][0] == pytest.approx(value, rel=1e-12), label
    sheet = list(book["Draws"].iter_rows(values_only=True))
    npv_column = sheet[0].index("Faster support response: NPV")
    npv = np.array([row[npv_column] for row in sheet[1:]], dtype=float)
    assert len(npv) == 2000 and npv.mean() == pytest.approx(entry["npv"]["mean"], rel=1e-10)


def erlang_c(rate_per_hour, aht_minutes, agents, target_seconds):
    """Textbook Erlang C: P(wait) from the sum over k < N of A^k / k!, then SL and ASA."""
    load = rate_per_hour * aht_minutes / 60
    top = load**agents / math.factorial(agents) * agents / (agents - load)
    wait = top / (sum(load**k / math.factorial(k) for k in range(agents)) + top)
    aht = aht_minutes * 60
    return {"prob_wait": wait, "service_level": 1 - wait * math.exp(-(agents - load) * target_seconds / aht),
            "asa_seconds": wait * aht / (agents - load), "occupancy": load / agents}


def test_staffing_erlang_c_is_the_textbook_formula():
    summary = cxroi("staffing", "--rate", "120", "--aht", "4", "--agents", "9:14", "--target", "20")
    assert [row["agents"] for row in summary["rows"]] == list(range(9, 15))
    for row in summary["rows"]:
        truth = erlang_c(120, 4, row["agents"], 20)
        for key, value in truth.items():
            assert row[key] == pytest.approx(value, rel=1e-9), (row["agents"], key)


def test_staffing_erlang_a_is_the_birth_death_chain():
    rate, aht, patience = 120.0, 4.0, 3.0
    summary = cxroi("staffing", "--rate", rate, "--aht", aht, "--patience", patience, "--agents", "7,9,11")
    lam, mu, theta = rate / 60, 1 / aht, 1 / patience  # per minute
    for row in summary["rows"]:
        c = row["agents"]
        n = np.arange(400)
        death = np.minimum(n, c) * mu + np.maximum(n - c, 0) * theta
        weights = np.concatenate([[1.0], np.cumprod(lam / death[1:])])
        pi = weights / weights.sum()
        assert row["prob_wait"] == pytest.approx(pi[c:].sum(), rel=1e-9)
        assert row["abandonment"] == pytest.approx(theta * (pi * np.maximum(n - c, 0)).sum() / lam, rel=1e-9)
        assert row["occupancy"] == pytest.approx((pi * np.minimum(n, c)).sum() / c, rel=1e-9)


def test_tornado_is_the_closed_form_at_the_pert_quantiles(root):
    summary = cxroi("tornado", root / SEED001, *monte_carlo(), "--no-save")
    rows = {row["input"]: row for row in summary["one_at_a_time"]["rows"]}
    add, cost, churn = rows[ADD], rows[COST], rows[CHURN]
    assert (add["low_value"], add["high_value"]) == pytest.approx((ADD_DIST.ppf(0.1), ADD_DIST.ppf(0.9)), rel=1e-9)
    assert (cost["low_value"], cost["high_value"]) == pytest.approx((COST_DIST.ppf(0.1), COST_DIST.ppf(0.9)), rel=1e-9)
    assert add["npv_at_low"] == pytest.approx(-PORTFOLIO * ADD_DIST.ppf(0.1) - 100_000, rel=1e-9)
    assert add["npv_at_high"] == pytest.approx(-PORTFOLIO * ADD_DIST.ppf(0.9) - 100_000, rel=1e-9)
    assert cost["npv_at_low"] == pytest.approx(500_000 - COST_DIST.ppf(0.1), rel=1e-9)
    assert cost["roi_at_high"] == pytest.approx((500_000 - COST_DIST.ppf(0.9)) / COST_DIST.ppf(0.9), rel=1e-9)
    assert churn["npv_swing"] == 0.0  # a five-point cut retains 5 % of the portfolio whatever the churn
    assert [row["input"] for row in summary["one_at_a_time"]["rows"]] == [ADD, COST, CHURN]  # by swing


def _partial_rank_correlation(ranks: np.ndarray, y: np.ndarray, column: int) -> float:
    others = np.column_stack([np.ones(len(y)), np.delete(ranks, column, axis=1)])
    residual = lambda v: v - others @ np.linalg.lstsq(others, v, rcond=None)[0]  # noqa: E731
    return float(np.corrcoef(residual(ranks[:, column]), residual(y))[0, 1])


def test_sensitivity_rank_measures_from_the_draws_and_sobol_from_the_variances(root, seed001_run):
    _, draws, _ = seed001_run
    summary = cxroi("sensitivity", root / SEED001, *monte_carlo(2000), "--no-save", "--sobol-samples", "2048")
    inputs = [CHURN, COST, ADD]
    ranks = np.column_stack([stats.rankdata(draws[p]) for p in inputs])
    npv_ranks = stats.rankdata(draws["faster_response.npv"])
    measures = {row["input"]: row for row in summary["rank_measures"]}
    for column, path in enumerate(inputs):
        spearman = stats.spearmanr(draws[path], draws["faster_response.npv"]).statistic
        assert measures[path]["spearman"] == pytest.approx(spearman, rel=1e-9, abs=1e-12)
        assert measures[path]["prcc"] == pytest.approx(_partial_rank_correlation(ranks, npv_ranks, column), rel=1e-6)
    # Expected-value model: NPV = 10 M x (-add) - one-off cost, so the indices are the shares of variance.
    share_add = PORTFOLIO**2 * ADD_DIST.var() / (PORTFOLIO**2 * ADD_DIST.var() + COST_DIST.var())  # 0.9945
    sobol = {row["input"]: row for row in summary["sobol"]}
    for path, share in ((ADD, share_add), (COST, 1 - share_add), (CHURN, 0.0)):
        assert sobol[path]["first_order"] == pytest.approx(share, abs=max(sobol[path]["first_order_conf"], 1e-9)), path
        assert sobol[path]["total"] == pytest.approx(share, abs=max(sobol[path]["total_conf"], 1e-9)), path


def test_voi_evpi_is_the_expected_regret_of_the_draws(root, seed001_run):
    _, draws, _ = seed001_run
    summary = cxroi("voi", root / SEED001, *monte_carlo(2000), "--no-save")
    npv = draws["faster_response.npv"].to_numpy()
    assert summary["options"]["faster_response"] == pytest.approx(npv.mean(), rel=1e-10)
    assert summary["evpi"] == pytest.approx(np.maximum(npv, 0).mean() - max(npv.mean(), 0), rel=1e-8)
    assert summary["evpi"] > 0
    for row in summary["evppi"]:
        assert 0 <= row["evppi"] <= summary["evpi"] * (1 + 1e-12)


def test_pilot_costs_value_and_power(root, seed001_run):
    """Pilots of 100 and 400 customers per arm for one year, counting churned customers."""
    _, draws, _ = seed001_run
    summary = cxroi("pilot", root / SEED001, *monte_carlo(2000), "--no-save", "--intervention", "faster_response",
                    "--sizes", "100,400", "--periods", "1", "--fixed-cost", "1000", "--cost-per-customer", "3")
    npv = draws["faster_response.npv"].to_numpy()
    assert summary["expected_npv_now"] == pytest.approx(npv.mean(), rel=1e-10)
    assert summary["evpi"] == pytest.approx(np.maximum(npv, 0).mean() - max(npv.mean(), 0), rel=1e-8)
    assert [m["power_column"] for m in summary["measures"]] == ["power_portfolio_annual_churn"]
    churn_control = draws[CHURN].to_numpy()
    churn_treated = np.clip(churn_control + draws[ADD].to_numpy(), 0, 1)
    for row in summary["sizes"]:
        n = row["customers_per_arm"]
        assert row["cost"] == 1000 + 3 * n * 1
        assert row["net_gain"] == pytest.approx(row["evsi"] - row["cost"], abs=1e-9)
        assert 0 <= row["evsi"] <= summary["evppi"] * (1 + 1e-9) + 1e-9
        # Exact power of the pilot's test (log risk ratio, 0.5 added, two-sided 5 %) given each draw's churn:
        x = np.arange(n + 1)
        log_rate = np.log((x + 0.5) / (n + 0.5))
        z = (log_rate[:, None] - log_rate[None, :]) / np.sqrt(
            1 / (x[:, None] + 0.5) + 1 / (x[None, :] + 0.5) - 2 / (n + 0.5))
        reject = np.abs(z) > stats.norm.ppf(0.975)
        treated = stats.binom.pmf(x[None, :], n, churn_treated[:, None])
        control = stats.binom.pmf(x[None, :], n, churn_control[:, None])
        power = np.einsum("di,ij,dj->d", treated, reject.astype(float), control)
        error = math.sqrt((power * (1 - power)).mean() / len(power))  # the command draws one pilot per draw
        assert row["power_portfolio_annual_churn"] == pytest.approx(power.mean(), abs=4 * error), (n, power.mean(), error)


def test_fit_customers_reproduces_the_published_sbg_fit(tmp_path):
    """Fader & Hardie (2007), the 'regular' customers' survivor table: alpha 0.704, beta 1.182; the geometric's churn
    is the churn events over the customer-periods at risk; the fitted survival is B(alpha, beta + t) / B(alpha, beta)."""
    survivors = [1000, 631, 468, 382, 326, 289, 262, 241]
    table = tmp_path / "regular.csv"
    table.write_text("period,active\n" + "".join(f"{t},{n}\n" for t, n in enumerate(survivors)))
    fit = cxroi("fit", "customers", table, "--survivor-table")["segments"]["all"]
    assert round(fit["alpha"], 3) == 0.704 and round(fit["beta"], 3) == 1.182
    assert fit["geometric_p"] == pytest.approx((1000 - 241) / sum(survivors[:-1]), rel=1e-12)
    from scipy.special import betaln

    for row in fit["survival"]:
        truth = math.exp(betaln(fit["alpha"], fit["beta"] + row["period"]) - betaln(fit["alpha"], fit["beta"]))
        assert row["sbg"] == pytest.approx(truth, rel=1e-9)
        assert row["observed"] == pytest.approx(survivors[row["period"]] / 1000, rel=1e-12)


def test_fit_pilot_posterior_is_the_ratio_of_two_betas():
    """40 of 500 churned treated, 60 of 500 control, Jeffreys priors: Beta(40.5, 460.5) over Beta(60.5, 440.5).
    The mean of the ratio is E[p1] E[1/p0] exactly; the reported quantiles and P(ratio < 1) are checked against
    the ratio's distribution function by numerical integration (the command uses 400,000 posterior draws, so
    the tolerances are 4-6 times their Monte Carlo error: 0.0008 at the median, 0.00025 in the tails; measured
    deviations 0.4-2.4 of them)."""
    from scipy import integrate

    out = cxroi("fit", "pilot", "--measure", "churn", "--treated", "40/500", "--control", "60/500")
    treated, control = stats.beta(40.5, 460.5), stats.beta(60.5, 440.5)
    assert (out["treated_posterior"], out["control_posterior"]) == ("Beta(40.5, 460.5)", "Beta(60.5, 440.5)")
    assert out["mean"] == pytest.approx(40.5 / 501 * (501 - 1) / (60.5 - 1), rel=1e-9)  # E[1/p0] = (a + b - 1) / (a - 1)

    def below(ratio):  # P(p1 / p0 <= ratio)
        return integrate.quad(lambda p0: treated.cdf(ratio * p0) * control.pdf(p0), 0, 1, points=[0.12], limit=200)[0]

    assert below(out["median"]) == pytest.approx(0.5, abs=3e-3)
    assert below(out["interval_95"][0]) == pytest.approx(0.025, abs=1.5e-3)
    assert below(out["interval_95"][1]) == pytest.approx(0.975, abs=1.5e-3)
    assert out["prob_effect_below_1"] == pytest.approx(below(1.0), abs=1e-3)
