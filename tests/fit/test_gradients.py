"""Each model's analytic gradient against central differences of its log-likelihood (the optimiser and the Hessian rely on them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.fit import bgnbd, purchase_rate, retention, spend
from sim.fit.retention import cells_from_survivors

DATA = pd.read_csv(Path(__file__).resolve().parent.parent / "data" / "cdnow_customers_summary_with_transactions.csv")


def numerical_gradient(function, params: np.ndarray, step: float = 1e-6) -> np.ndarray:
    grad = np.empty_like(params)
    for i in range(params.size):
        up, down = params.copy(), params.copy()
        up[i] *= 1 + step
        down[i] *= 1 - step
        grad[i] = (function(up) - function(down)) / (up[i] - down[i])
    return grad


CASES = {
    "sBG": (lambda p: retention.sbg_loglik(p, cells_from_survivors([1000, 631, 468, 382, 326, 289, 262, 241])), [0.9, 1.7]),
    "BG/NBD": (lambda p: bgnbd.loglik(p, bgnbd.RFM.of(DATA["x"], DATA["t_x"], DATA["T"])), [0.3, 5.0, 0.6, 2.0]),
    "gamma-gamma": (
        lambda p: spend.loglik(p, DATA["x"].to_numpy(float)[DATA["x"] > 0], DATA["zbar"].to_numpy(float)[DATA["x"] > 0]),
        [5.0, 3.0, 12.0],
    ),
    "NBD": (lambda p: purchase_rate.loglik(p, DATA["x"].to_numpy(float), DATA["T"].to_numpy(float)), [0.4, 9.0]),
}


@pytest.mark.parametrize("model", list(CASES))
def test_analytic_gradient_matches_central_differences(model):
    function, params = CASES[model]
    params = np.asarray(params, dtype=float)
    analytic = function(params)[1]
    numeric = numerical_gradient(lambda p: function(p)[0], params)
    assert np.allclose(analytic, numeric, rtol=1e-5, atol=1e-4 * np.abs(analytic).max())
