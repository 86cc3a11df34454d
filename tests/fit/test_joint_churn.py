"""The joint churn likelihood of sim.fit.joint_churn against its definition, term by term (about 2 s).

A life's probability given its churn probability p is the sum, over every path of the latent states, of the
path's probability times the product of the months' churn factors; the Beta integrates it. Here both are done
the slow, independent way -- every path enumerated, the integral by adaptive quadrature (scipy.integrate.quad)
-- and compared with the forward recursion and Gauss-Jacobi rule the fit uses.
"""

import itertools

import numpy as np
import pytest
from scipy import integrate, stats

from sim.fit import joint_churn as jc

N, P, B = jc.NEUTRAL, jc.GOOD, jc.BAD


def path_probability(kinds, status, p, m, durations):
    """Sum over every latent path: kinds[t] is month t's experience; the life has len(kinds) months."""
    months = len(kinds)
    stay = {P: 1 - 1 / durations[0], B: 1 - 1 / durations[1]}
    total = 0.0
    # After a neutral month, a positive or negative customer stays (1) or turns neutral (0): enumerate every choice.
    for choices in itertools.product((0, 1), repeat=months):
        state, weight = N, 1.0
        for t in range(months):
            hazard = min(p * m[state], 1.0)
            drifts = t < months - 1 and kinds[t] == N and state != N
            if choices[t] and not drifts:
                weight = 0.0  # a month without a choice has one way on: count the path once
                break
            if t == months - 1:
                weight *= hazard if status == jc.CHURNED else 1 - hazard
                break
            weight *= 1 - hazard
            if kinds[t] in (B, P):
                state = kinds[t]
            elif drifts:
                weight *= stay[state] if choices[t] else 1 - stay[state]
                state = state if choices[t] else N
        total += weight
    return total


def test_the_forward_recursion_with_gauss_jacobi_is_every_path_integrated_over_the_beta():
    lives = [([N, N, N], jc.CHURNED), ([B, N, N, N, N], jc.CHURNED), ([P, N, B, N, N, P], jc.CENSORED),
             ([B, N, N, P, N, N, B], jc.WALKED), ([N], jc.CHURNED), ([P, P, N, N, N, N, N], jc.CHURNED)]
    longest = max(len(k) for k, _ in lives)
    kinds = np.full((len(lives), longest), -1, dtype=np.int8)
    for i, (k, _) in enumerate(lives):
        kinds[i, :len(k) - 1] = k[:-1]
    h = jc.Histories(kinds, np.array([len(k) for k, _ in lives]), np.array([s for _, s in lives], dtype=np.int8),
                     np.ones(len(lives)), 0, 0, len(lives))
    # Beta(0.7, 40) has mass below 1e-9 where p * 2.5 > 1: there the cap at 1 (not a polynomial) would cost exactness.
    alpha, beta, m, durations = 0.7, 40.0, (1.0, 0.6, 2.5), (3.0, 5.0)
    p, w = jc.beta_nodes(alpha, beta, jc.node_count(h))
    fast = jc.life_likelihoods(h, p, w, m, durations)
    slow = [integrate.quad(lambda q: path_probability(k, s, q, m, durations) * stats.beta.pdf(q, alpha, beta), 0, 1,
                           epsabs=1e-13, epsrel=1e-11, limit=200)[0] for k, s in lives]
    np.testing.assert_allclose(fast, slow, rtol=1e-8)
    np.testing.assert_allclose(jc._forward_numpy(h, p, np.array(m), (2 / 3, 4 / 5)) @ w, fast, rtol=1e-12)


@pytest.mark.parametrize("alpha, beta", [(0.3, 3.0), (0.8, 30.0), (20.0, 980.0), (2e4, 9.8e5)])
def test_gauss_jacobi_nodes_give_the_beta_moments(alpha, beta):
    p, w = jc.beta_nodes(alpha, beta, 12)
    for j in range(1, 24):
        exact = np.prod([(alpha + i) / (alpha + beta + i) for i in range(j)])
        assert abs(w @ p**j / exact - 1) < 1e-9


def test_histories_read_churn_walk_aways_and_censoring_from_a_panel():
    """Ending in a month with a bad contact is a walk-away, without one a churn (at the month's start)."""
    customer = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    tenure = np.array([0, 1, 2, 0, 1, 0, 1, 2, 3])
    bad = np.array([0, 1, 1, 0, 0, 0, 0, 0, 0])
    good = np.array([0, 0, 0, 1, 0, 0, 1, 0, 0])
    ended = np.array([0, 0, 1, 0, 1, 0, 0, 0, 0], dtype=bool)
    h = jc.histories(customer, tenure, bad, good, ended)
    lives = {(tuple(k[:n - 1]), int(s)) for k, n, s in zip(h.kinds, h.length, h.status)}
    assert lives == {((N, B), jc.WALKED), ((P,), jc.CHURNED), ((N, P, N), jc.CENSORED)}
    assert (h.walks, h.bad_months, h.customers) == (1, 2, 3)


def test_the_held_multipliers_errors_and_their_correlation_are_carried_into_the_written_interval():
    """A log-likelihood ``-h (t + m1 + m2)^2 / 2`` in the written parameter t and the held log multipliers: t's maximum
    moves one for one with each (slope -1, -1), so its variance is ``1/h + s1^2 + s2^2 + 2 rho s1 s2`` (the
    delta method in closed form); held_multipliers passes a design's churn correlation on when it writes both."""
    from sim.fit import causal

    h, s1, s2 = 400.0, 0.1, 0.2
    for rho in (0.0, 0.5, -0.3):
        est = jc._carried(lambda th: -h * (th[0] + th[1] + th[2]) ** 2 / 2, np.array([0.0, 0.0, 0.0]), 1,
                          jc.HeldErrors((s1, s2), rho), ("t",), 1, rho)
        assert est.covariance[0, 0] / est.values[0] ** 2 == pytest.approx(1 / h + s1**2 + s2**2 + 2 * rho * s1 * s2, rel=1e-4)
    both = causal.Design(causal.SELF_CONTROLLED, {"negative_churn_increase": causal.RateRatio(2.0, 1.5, 2.7, 100),
                                                  "positive_churn_reduction": causal.RateRatio(0.7, 0.6, 0.8, 100)},
                         churn_correlation=0.4)
    held, errors = jc.held_multipliers([both], {})
    assert held == (0.7, 2.0) and errors.correlation == 0.4
    other = causal.Design(causal.WEIGHTED, {"negative_churn_increase": causal.RateRatio(2.0, 1.5, 2.7, 100)})
    _, errors = jc.held_multipliers([causal.Design(causal.SELF_CONTROLLED, {"positive_churn_reduction":
                                                                            causal.RateRatio(0.7, 0.6, 0.8, 100)},
                                                   churn_correlation=0.4), other], {})
    assert errors.correlation == 0.0  # two designs, two independent fits


def plain_recursion(h, p, weights, m, durations):
    """The forward recursion one history at a time over its own months (the fit's before the prefix tree), in
    Python: the same IEEE operations as compiled code, so its numbers are the bits the tree must give."""
    stay_p, stay_b = 1.0 - 1.0 / durations[0], 1.0 - 1.0 / durations[1]
    out = np.zeros(h.length.size)
    for u in range(h.length.size):
        total = 0.0
        for k in range(p.size):
            h_n, h_p, h_b = min(p[k] * m[0], 1.0), min(p[k] * m[1], 1.0), min(p[k] * m[2], 1.0)
            a_n, a_p, a_b = 1.0, 0.0, 0.0
            last = h.length[u] - 1
            for t in range(h.length[u]):
                if t == last and h.status[u] == jc.CHURNED:
                    a_n, a_p, a_b = a_n * h_n, a_p * h_p, a_b * h_b
                    break
                a_n, a_p, a_b = a_n * (1.0 - h_n), a_p * (1.0 - h_p), a_b * (1.0 - h_b)
                if t == last:
                    break
                kind = h.kinds[u, t]
                if kind == B:
                    a_n, a_p, a_b = 0.0, 0.0, a_n + a_p + a_b
                elif kind == P:
                    a_n, a_p, a_b = 0.0, a_n + a_p + a_b, 0.0
                else:
                    a_n, a_p, a_b = a_n + a_p * (1.0 - stay_p) + a_b * (1.0 - stay_b), a_p * stay_p, a_b * stay_b
            total += weights[k] * (a_n + a_p + a_b)
        out[u] = total
    return out


def test_the_prefix_tree_gives_the_per_history_recursion_bit_for_bit():
    """Histories that share prefixes, end in every way (censored, churned, walked away, after one month), a holdout's
    (the same experiences counted from different months), nodes where p m_B passes 1: the recursion once per prefix
    (compiled, and run as Python; over the whole tree and over ranges that start inside a subtree) gives the same
    bits as once per history. About 0.5 s."""
    rng = np.random.default_rng(7)
    lengths = rng.integers(1, 13, size=400)
    customer, tenure = np.repeat(np.arange(400), lengths), np.concatenate([np.arange(n) for n in lengths])
    bad, good = rng.random(customer.size) < 0.15, rng.random(customer.size) < 0.2
    ended = np.zeros(customer.size, dtype=bool)
    ended[np.cumsum(lengths) - 1] = rng.random(400) < 0.6
    counted = tenure >= np.repeat(rng.integers(0, 6, size=400), lengths)
    m, durations = (1.0, 0.6, 2.5), (3.0, 5.0)
    p, w = jc.beta_nodes(1.5, 4.0, 7)  # p m_B > 1 at the upper nodes: the cap at 1
    assert p[-1] * m[2] > 1
    panel = (customer, tenure, bad, good, ended)
    for h in (jc.histories(*panel), jc.histories(*panel, counted)):
        tree = h.prefixes
        assert {jc.CENSORED, jc.CHURNED, jc.WALKED} <= set(h.status) and 1 in h.length
        assert tree.parent.size < h.length.sum() / 2 and np.all(tree.parent[1:] < np.arange(1, tree.parent.size))
        plain = plain_recursion(h, p, w, m, durations)
        if jc._compiled() is not None:
            assert np.array_equal(jc.life_likelihoods(h, p, w, m, durations), plain)
        else:  # numpy's recursion, a history at a time, is the same to rounding (the kernel below to the bit)
            np.testing.assert_allclose(jc.life_likelihoods(h, p, w, m, durations), plain, rtol=1e-12)
        stay = (1.0 - 1.0 / durations[0], 1.0 - 1.0 / durations[1])
        kernels = [jc._forward] + ([jc._compiled()] if jc._compiled() is not None else [])
        for kernel in kernels:
            out = np.full(h.length.size, np.nan)
            cuts = [0, 1, tree.parent.size // 3, tree.parent.size // 3 + 1, 2 * tree.parent.size // 3, tree.parent.size]
            for first, last in zip(cuts[:-1], cuts[1:]):
                kernel(tree.parent, tree.move, tree.depth, tree.start, tree.ending, tree.end, p, w, np.array(m),
                       *stay, first, last, out)
            assert np.array_equal(out, plain)
