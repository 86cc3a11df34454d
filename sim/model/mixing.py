"""Latent classes for customers who differ: Gauss quadrature of the mixing distributions.

Customers of a segment differ in churn probability (Beta across customers: the
shifted-beta-geometric model of Fader & Hardie, "How to project customer
retention", J. Interactive Marketing 2007), in purchase rate (Gamma across
customers: the NBD of Ehrenberg 1959) and, in non-contractual businesses, in
the probability of dropping out after a purchase (Beta: the BG/NBD model of
Fader, Hardie & Lee, "Counting your customers the easy way", Marketing Science
2005). The engine follows a few latent classes instead of a continuum: the
nodes and weights of the Gauss quadrature of each mixing distribution
(Gauss-Jacobi for a Beta, generalised Gauss-Laguerre for a Gamma). A K-node rule
reproduces the first 2K - 1 moments of the mixing distribution exactly, so the
mean churn and purchase rate are exact for any K and a cohort's retention
curve E[(1 - p)^t] is exact up to t = 2K - 1 periods.

Nodes are computed for every (draw, segment) at once by the Golub-Welsch
algorithm (eigenvalues of the Jacobi matrix of the orthogonal polynomials'
recurrence; Golub & Welsch, Math. Comp. 1969), batched in numpy, because the
mixing parameters are uncertain inputs that differ per draw. BG/NBD dropout
has its own rules (:func:`dropout_rule`): Gauss rules on pieces of the rate
axis, and per rate the Gauss rule of the period's survival exp(-rate p), from
discretised measures by the Stieltjes procedure (Gautschi, "Orthogonal
polynomials: computation and approximation", 2004).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln

CHURN_TOLERANCE = 0.001
"""Largest error of a cohort's retention S(t) (a share of the cohort) the churn classes may make over the horizon."""

MAX_CHURN_CLASSES = 12


def churn_classes_needed(alpha: np.ndarray, beta: np.ndarray, horizon: int) -> int:
    """Fewest churn classes (2 to 12) whose sBG survivor function is within :data:`CHURN_TOLERANCE`
    of B(alpha, beta + t) / B(alpha, beta) for every t up to ``horizon`` at every (alpha, beta) given.

    Typical monthly churn needs few: mean 1 % (alpha 0.7, beta 70) over 36 months needs 3 classes
    (error 0.0001; 0.002 with 2), mean 37 % (alpha 0.704, beta 1.182, Fader & Hardie's example) over
    60 periods needs 9 (0.41, 0.17, 0.069, 0.024, 0.0021 with 2, 3, 4, 6, 8 classes).
    """
    alpha, beta = np.asarray(alpha, dtype=float).ravel(), np.asarray(beta, dtype=float).ravel()
    t = np.arange(1, horizon + 1)
    exact = np.exp(betaln(alpha[:, None], beta[:, None] + t) - betaln(alpha, beta)[:, None])
    for k in range(2, MAX_CHURN_CLASSES + 1):
        p, w = beta_classes(alpha, beta, k)
        approx = np.einsum("mk,mtk->mt", w, (1.0 - p[:, None, :]) ** t[None, :, None])
        if np.max(np.abs(approx - exact)) <= CHURN_TOLERANCE:
            return k
    return MAX_CHURN_CLASSES


PURCHASE_CLASSES = 4
"""Classes for a purchase mix without dropout: rate moments up to the 7th exact (mean and variance of
purchases, which is all totals over many customers depend on); one period's NBD pmf within 0.002 total
variation for shape >= 0.25 and rate >= 0.8 (0.03 with 2 classes, 0.008 with 3)."""

# With a dropout mix (BG/NBD) a product of these rules (12 rates x 6 dropout classes) was off by 0.03-0.16
# over 60 months: retention depends on rates near 0 that generalised Gauss-Laguerre misses. The rules for
# it are at the end of this module.


def _per_unique(rule):
    """Compute a rule once per distinct parameter pair: fitted mixes are usually the same in every draw."""

    def wrapper(first, second, k: int):
        first, second = np.broadcast_arrays(np.asarray(first, dtype=float), np.asarray(second, dtype=float))
        if first.ndim and len(first) > 1 and np.all(first == first[:1]) and np.all(second == second[:1]):
            # The same in every draw (a fitted mix): one rule per segment, repeated down the draws.
            nodes, weights = wrapper(first[:1], second[:1], k)
            shape = first.shape + (k,)
            return np.broadcast_to(nodes, shape).copy(), np.broadcast_to(weights, shape).copy()
        pairs, inverse = np.unique(np.stack([first.ravel(), second.ravel()], axis=1), axis=0, return_inverse=True)
        nodes, weights = rule(pairs[:, 0], pairs[:, 1], k)
        shape = first.shape + (k,)
        return nodes[inverse.ravel()].reshape(shape), weights[inverse.ravel()].reshape(shape)

    wrapper.__doc__ = rule.__doc__
    wrapper.__name__ = rule.__name__
    return wrapper


@_per_unique
def beta_classes(alpha: np.ndarray, beta: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes in (0, 1) and weights (summing to 1) of the k-point Gauss rule for Beta(alpha, beta).

    ``alpha`` and ``beta`` are arrays of one shape; the results have that shape plus (k,).
    Jacobi polynomials on [-1, 1] with weight (1 - x)^a (1 + x)^b, a = beta - 1,
    b = alpha - 1, mapped to p = (1 + x) / 2.
    """
    a = np.asarray(beta, dtype=float) - 1.0
    b = np.asarray(alpha, dtype=float) - 1.0
    n = np.arange(k, dtype=float)
    s = (a + b)[..., None]
    two_n = 2.0 * n + s
    with np.errstate(divide="ignore", invalid="ignore"):
        diag = (b * b - a * a)[..., None] / (two_n * (two_n + 2.0))
    diag[..., 0] = (b - a) / (a + b + 2.0)
    m = n[1:]
    two_m = 2.0 * m + s
    with np.errstate(divide="ignore", invalid="ignore"):
        off = 4.0 * m * (m + a[..., None]) * (m + b[..., None]) * (m + s) / (two_m**2 * (two_m + 1.0) * (two_m - 1.0))
    if k > 1:
        # n = 1 written without the factor (a + b + 1) that cancels (0 / 0 when alpha + beta = 1).
        off[..., 0] = 4.0 * (1.0 + a) * (1.0 + b) / ((2.0 + a + b) ** 2 * (3.0 + a + b))
    x, w = _golub_welsch(diag, np.sqrt(off))
    return np.clip((1.0 + x) / 2.0, 0.0, 1.0), w


@_per_unique
def gamma_classes(shape: np.ndarray, rate: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (rates) and weights of the k-point Gauss rule for Gamma(shape, rate): mean shape / rate.

    Generalised Laguerre polynomials with weight x^(shape - 1) e^(-x), nodes divided by ``rate``.
    """
    r = np.asarray(shape, dtype=float)[..., None]
    n = np.arange(k, dtype=float)
    diag = 2.0 * n + r
    m = n[1:]
    off = m * (m + r - 1.0)
    x, w = _golub_welsch(diag, np.sqrt(off))
    return np.maximum(x, 0.0) / np.asarray(rate, dtype=float)[..., None], w


def _golub_welsch(diag: np.ndarray, off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (ascending) and normalised weights from the Jacobi matrix, batched over leading axes."""
    k = diag.shape[-1]
    if k == 1:
        return diag.copy(), np.ones_like(diag)
    matrix = np.zeros(diag.shape + (k,))
    index = np.arange(k)
    matrix[..., index, index] = diag
    matrix[..., index[1:], index[:-1]] = off
    matrix[..., index[:-1], index[1:]] = off
    nodes, vectors = np.linalg.eigh(matrix)
    weights = vectors[..., 0, :] ** 2
    return nodes, weights / weights.sum(axis=-1, keepdims=True)


# --- BG/NBD dropout: rate classes from a piecewise rule, dropout as posterior shares per rate class -----------

DROPOUT_TOLERANCE = 0.002
"""Largest error of a cohort's expected retention E[exp(-rate p t)] (a share of the cohort) over the horizon
that a dropout mix may have; a mix the classes cannot follow within it is refused, saying so."""
DROPOUT_P_CLASSES = 8
"""Dropout-probability nodes per rate class: a Gauss rule in exp(-rate p) (the period's survival), so the
class's own survival curve E[exp(-rate p)^t] is exact up to t = 15 and within 1e-5 beyond in the tests."""
NODE_TOLERANCE = 1e-5
"""Largest error of one rate class's survival curve, times the class's share, that a class with fewer dropout
nodes than DROPOUT_P_CLASSES may add (:func:`dropout_nodes`): at most 1e-4 over a rule's classes, against the
0.002 of :data:`DROPOUT_TOLERANCE`, which :func:`dropout_error` measures with these nodes."""
EXPOSURES = np.array([0.4, 0.7])
"""Fractional exposures checked besides whole periods: a state's buying multiplier scales a period's."""
_PIECE_RATIO = 5.0
_DISCRETE = 60


def _stieltjes(x: np.ndarray, w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k-point Gauss rule of the discrete measure sum w_i delta(x_i) (weights normalised), batched over
    leading axes: the recurrence by the discretised Stieltjes procedure, then Golub-Welsch."""
    return _golub_welsch(*_recurrence(x, w, k))


def _recurrence(x: np.ndarray, w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The first k diagonal and k - 1 off-diagonal entries of the Jacobi matrix of sum w_i delta(x_i), by the
    discretised Stieltjes procedure; its leading j x j block gives the j-point Gauss rule, for every j <= k."""
    w = w / w.sum(axis=-1, keepdims=True)
    diag = np.zeros(x.shape[:-1] + (k,))
    off = np.zeros(x.shape[:-1] + (max(k - 1, 0),))
    previous, current = np.zeros_like(x), np.ones_like(x)
    norm_previous = np.ones(x.shape[:-1])
    for j in range(k):
        norm = (w * current * current).sum(axis=-1)
        safe = np.where(norm > 0, norm, 1.0)
        diag[..., j] = (w * x * current * current).sum(axis=-1) / safe
        step = (x - diag[..., j, None]) * current
        if j > 0:
            off[..., j - 1] = np.sqrt(np.maximum(norm / norm_previous, 0.0))
            step -= (norm / norm_previous)[..., None] * previous
        previous, current, norm_previous = current, step, safe
    return diag, off


def _pieces_gamma(shape: float, rate: float, edges: list[float], per_piece: int) -> tuple[np.ndarray, np.ndarray]:
    """Rate nodes and weights: a ``per_piece``-point Gauss rule of Gamma(shape, rate) on each piece between
    ``edges`` (the last to infinity). Every piece's own moments up to 2 per_piece - 1 are exact, so the whole
    rule's are (mean and variance of the rates exact), and nodes sit at every scale of 1 / t the curve needs."""
    from scipy.special import gammaln, roots_genlaguerre, roots_jacobi, roots_legendre

    nodes, weights = [], []
    scale = np.exp(shape * np.log(rate) - gammaln(shape))
    for low, high in zip(edges[:-1], edges[1:]):
        if low == 0.0:
            x, w = roots_jacobi(_DISCRETE, 0.0, shape - 1.0)
            s = (x + 1.0) / 2.0 * high
            w = w * (high / 2.0) ** shape * np.exp(-rate * s)
        elif np.isinf(high):
            x, w = roots_genlaguerre(_DISCRETE, 0.0)
            s = low + x / rate
            w = w / rate * s ** (shape - 1.0) * np.exp(-rate * low)
        else:
            x, w = roots_legendre(_DISCRETE)
            s = low + (x + 1.0) / 2.0 * (high - low)
            w = w * (high - low) / 2.0 * s ** (shape - 1.0) * np.exp(-rate * s)
        mass = (w * scale).sum()
        if not mass > 0:
            continue
        x_k, w_k = _stieltjes(s, w, per_piece)
        nodes.append(x_k)
        weights.append(w_k * mass)
    nodes, weights = np.concatenate(nodes), np.concatenate(weights)
    return nodes, weights / weights.sum()


def _beta_discrete(a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """A fine discretisation of Beta(a, b): Gauss rules on pieces [0, 1e-4, ..., 0.1, 1] with the end singularities
    as their weights (the survival exp(-rate p t) varies on the scale 1 / (rate t), down to 1e-4)."""
    from scipy.special import betaln, roots_jacobi, roots_legendre

    edges = [0.0, 1e-4, 1e-3, 1e-2, 0.1, 1.0]
    ps, ws = [], []
    for low, high in zip(edges[:-1], edges[1:]):
        if low == 0.0:
            x, w = roots_jacobi(_DISCRETE, 0.0, a - 1.0)
            s = (x + 1.0) / 2.0 * high
            w = w * (high / 2.0) ** a * (1.0 - s) ** (b - 1.0)
        elif high == 1.0:
            x, w = roots_jacobi(_DISCRETE, b - 1.0, 0.0)
            s = low + (x + 1.0) / 2.0 * (1.0 - low)
            w = w * ((1.0 - low) / 2.0) ** b * s ** (a - 1.0)
        else:
            x, w = roots_legendre(_DISCRETE)
            s = low + (x + 1.0) / 2.0 * (high - low)
            w = w * (high - low) / 2.0 * s ** (a - 1.0) * (1.0 - s) ** (b - 1.0)
        ps.append(s)
        ws.append(w * np.exp(-betaln(a, b)))
    return np.concatenate(ps), np.concatenate(ws)


def dropout_rule(shape: float, rate: float, a: float, b: float, horizon: int, per_piece: int = 2):
    """Classes of one BG/NBD mix: rates (K,), their weights (K,), and per rate class dropout probabilities
    (K, DROPOUT_P_CLASSES) with their prior weights.

    Rates: the piecewise Gauss rule (:func:`_pieces_gamma`) on pieces [0, 1 / horizon], then x5 each up
    to the rate distribution's 99.9th percentile, then the tail. Dropout: for each rate node r, the Gauss
    rule of the distribution of exp(-r p) (a Hausdorff moment problem: its moments are the class's survival
    curve), p = -log(node) / r. A product of the classical rules (generalised Gauss-Laguerre x Gauss-Jacobi,
    12 x 6) was off by 0.03-0.16 over 60 months: survival then depends on rates near 0 that it misses.
    """
    from scipy.special import gammaincinv

    top = max(gammaincinv(shape, 0.999) / rate, 2.0 / horizon)
    edges = [0.0, 1.0 / horizon]
    while edges[-1] * _PIECE_RATIO < top:
        edges.append(edges[-1] * _PIECE_RATIO)
    edges.append(np.inf)
    rates, weights = _pieces_gamma(shape, rate, edges, per_piece)
    return (rates, weights) + dropout_nodes(rates, a, b, weights, horizon)


def dropout_nodes(rates: np.ndarray, a: float, b: float, weights: np.ndarray | None = None,
                  horizon: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per rate, the dropout probabilities (rates, DROPOUT_P_CLASSES) and weights of the Gauss rule of the
    distribution of exp(-rate p), p ~ Beta(a, b): the nodes of the period's survival, p = -log(node) / rate.

    With the classes' ``weights`` and the ``horizon``, each class takes the fewest nodes (of at most
    DROPOUT_P_CLASSES) whose survival curve E[exp(-rate p)^e], weighted by the class's share, is within
    :data:`NODE_TOLERANCE` of the exact one (the rule of DROPOUT_P_CLASSES nodes) for every exposure e up to
    1.25 x horizon, fractional ones too (:data:`EXPOSURES`): few for low rates, whose survival over the
    horizon is nearly linear in p, all for high ones. The nodes not needed are padded with prior weight 0
    (and p = 0), which the dropout step skips: its work and memory per period follow the nodes used.
    """
    p, w = _beta_discrete(a, b)
    rates = np.maximum(rates, 1e-12)
    survival = np.exp(-rates[:, None] * p[None, :])
    diag, off = _recurrence(survival, np.broadcast_to(w, survival.shape), DROPOUT_P_CLASSES)
    nodes, prior = _golub_welsch(diag, off)
    if weights is not None and horizon is not None:
        exposures = np.concatenate([EXPOSURES, np.arange(1.0, np.ceil(1.25 * horizon) + 1.0)])
        moments = lambda x, v: np.einsum("kj,kje->ke", v, x[:, :, None] ** exposures)  # noqa: E731
        full = moments(nodes, prior)
        for used in range(DROPOUT_P_CLASSES - 1, 0, -1):  # fewest first would stop at the first; go down instead
            fewer, fewer_prior = _golub_welsch(diag[:, :used], off[:, :used - 1])
            error = np.asarray(weights) * np.max(np.abs(moments(fewer, fewer_prior) - full), axis=1)
            ok = error <= NODE_TOLERANCE
            nodes[ok] = np.concatenate([fewer[ok], np.ones((int(ok.sum()), DROPOUT_P_CLASSES - used))], axis=1)
            prior[ok] = np.concatenate([fewer_prior[ok], np.zeros((int(ok.sum()), DROPOUT_P_CLASSES - used))], axis=1)
    nodes = np.clip(nodes, 1e-300, 1.0)
    return np.clip(-np.log(nodes) / rates[:, None], 0.0, 1.0), prior


def dropout_retention(shape: float, rate: float, a: float, b: float, horizon: int) -> np.ndarray:
    """A cohort's exact expected retention under BG/NBD in the engine's periods, t = 1..horizon:
    E[(rate / (rate + p t))^shape] over p ~ Beta(a, b), which is 2F1(shape, a; a + b; -t / rate).

    Integrated over p on the fine discretisation of :func:`_beta_discrete` rather than by scipy's hyp2f1,
    which is wrong by orders of magnitude for some arguments (e.g. 2F1(2.863, 2.413; 84.54; -6 / 2.727)
    gives 8.1e5 for a number below 1)."""
    p, w = _beta_discrete(a, b)
    t = np.arange(1, horizon + 1)
    return (w[None, :] * (rate / (rate + p[None, :] * t[:, None])) ** shape).sum(axis=1) / w.sum()


def dropout_error(shape: float, rate: float, a: float, b: float, horizon: int, per_piece: int = 2) -> float:
    """Largest error over t = 1..horizon of the classes' retention against :func:`dropout_retention`."""
    rates, weights, drop, prior = dropout_rule(shape, rate, a, b, horizon, per_piece)
    t = np.arange(1, horizon + 1)
    classes = np.einsum("k,kj,tkj->t", weights, prior, np.exp(-(rates[:, None] * drop)[None] * t[:, None, None]))
    return float(np.max(np.abs(classes - dropout_retention(shape, rate, a, b, horizon))))
