"""Customers who differ: the count engine with latent classes against the per-customer simulation.

Each slow customer draws its own churn probability (Beta), purchase rate
(Gamma) and, for BG/NBD, dropout probability (Beta); the engine follows
classes. Same two-sample tests as tests/model/test_equivalence.py. Runtime
about 10 s (two slow populations of 600 draws each).
"""

import numpy as np
import pytest
from scipy import stats

from tests.model.test_equivalence import PARAMS, _fast_totals, _slow_totals

NAMES = ["revenue", "contacts", "walked", "churned", "purchases", "active_at_end", "negative_at_end"]

SBG_NBD = {k: v for k, v in PARAMS.items() if k not in ("churn", "purchases")} | {
    "churn_mix": (0.7, 6.0),     # mean churn 0.10 a period, very uneven
    "purchase_mix": (0.6, 0.4),  # mean 1.5 purchases a period, variance 5.25 per customer-period
}
BG_NBD = {k: v for k, v in PARAMS.items() if k not in ("churn", "purchases")} | {
    "churn": 0.02,
    "purchase_mix": (0.6, 0.4),
    "dropout_mix": (1.0, 8.0),   # mean 0.11 per purchase
}


@pytest.fixture(scope="module", params=["sBG + NBD", "BG/NBD"])
def both(request):
    params = SBG_NBD if request.param == "sBG + NBD" else BG_NBD
    return _fast_totals(params), _slow_totals(params)


@pytest.mark.parametrize("name", NAMES)
def test_engine_with_classes_and_per_customer_simulation_agree(both, name):
    fast, slow = both[0][name], both[1][name]
    assert stats.ks_2samp(fast, slow).pvalue > 0.001
    assert stats.anderson_ksamp([fast, slow], variant="midrank", method=stats.PermutationMethod(n_resamples=200, rng=1)).pvalue > 0.001
    standard_error = np.sqrt(fast.var(ddof=1) / len(fast) + slow.var(ddof=1) / len(slow))
    assert abs(fast.mean() - slow.mean()) < 4 * standard_error
    # The spread too: customer-level randomness is kept, not averaged away (variance ratio within 25 %).
    assert fast.var(ddof=1) / slow.var(ddof=1) == pytest.approx(1.0, abs=0.25)
