"""Gauss quadrature classes (batched Golub-Welsch) against scipy's rules and the moments they must keep.

Runtime well under a second.
"""

import numpy as np
import pytest
from scipy.special import betaln, roots_genlaguerre, roots_jacobi

from sim.model.mixing import beta_classes, churn_classes_needed, gamma_classes


@pytest.mark.parametrize("alpha, beta", [(0.704, 1.182), (0.3, 0.7), (5.0, 300.0), (1.0, 1.0), (0.05, 0.5)])
@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")  # inside scipy's reference rule at a + b = 0
def test_beta_classes_are_the_gauss_jacobi_rule(alpha, beta):
    p, w = beta_classes(np.array([alpha, alpha]), np.array([beta, beta]), 8)
    x, v = roots_jacobi(8, beta - 1, alpha - 1)
    assert p[1] == pytest.approx((x + 1) / 2, abs=1e-12)
    assert w[1] == pytest.approx(v / v.sum(), abs=1e-12)
    # Moments 1 .. 15 of the Beta are exact: E[p^m] = B(alpha + m, beta) / B(alpha, beta).
    for m in range(1, 16):
        assert (w[0] * p[0] ** m).sum() == pytest.approx(np.exp(betaln(alpha + m, beta) - betaln(alpha, beta)), rel=1e-9)


@pytest.mark.parametrize("shape, rate", [(0.243, 0.8), (3.0, 2.0), (0.1, 0.05)])
def test_gamma_classes_are_the_generalised_gauss_laguerre_rule(shape, rate):
    lam, w = gamma_classes(np.array([[shape]]), np.array([[rate]]), 4)
    x, v = roots_genlaguerre(4, shape - 1)
    assert lam[0, 0] == pytest.approx(x / rate, rel=1e-10)
    assert (w[0, 0] * lam[0, 0]).sum() == pytest.approx(shape / rate, rel=1e-12)
    assert (w[0, 0] * lam[0, 0] ** 2).sum() == pytest.approx(shape * (shape + 1) / rate**2, rel=1e-10)


def test_fewest_churn_classes_that_hold_the_sbg_curve():
    assert churn_classes_needed(np.array([0.7]), np.array([70.0]), 36) == 3
    assert churn_classes_needed(np.array([0.704]), np.array([1.182]), 60) >= 8
    assert churn_classes_needed(np.array([0.704]), np.array([1.182]), 3) == 2  # exact up to t = 2k - 1
