"""Customers who differ within a segment: latent classes beside the engine's state counts.

With a churn, purchase or dropout mix (:mod:`sim.model.mixing`) a segment's
customers belong to latent classes. The engine keeps drawing every random
count once per (state, segment) with its kernel, as without classes, so the
cost stays near that of a homogeneous run; this module keeps, beside those
counts, how each state's customers spread over the classes. Two class axes:
churn classes and buying classes (purchase rate, or rate x dropout probability
for BG/NBD); churn and buying are independent across customers, as in the sBG
and BG/NBD models.

* Churn axis: the classes are what we know of each state's customers, not a
  realised draw. Customers are exchangeable draws from the state's class
  shares, so a state's churn is Binomial(n, mean churn probability) exactly,
  and the survivors' shares are the posterior ones, share_k (1 - q_k) /
  (1 - mean) (Bayes), whatever the number who left. A cohort's survivors then
  follow the sBG law period by period (given n_t survivors, n_t+1 is Binomial
  with the posterior mean: the tests check mean and variance).
* Buying axis: a customer keeps its purchase rate, so the realised mix of
  rates persists from period to period and makes total purchases vary more
  than a Poisson's. The starting customers are split over the rate classes
  multinomially (exact); arrivals by systematic sampling (one arrival lands in
  class k with probability w_k; many spread within one of their expectation,
  a little less than multinomially). Purchases are then an exact Poisson total
  given the classes. Churn and every flow that does not depend on the rate
  (experiences, walk-aways, decay to neutral) leave each class of a state in
  proportion (the hypergeometric mean). Dropout (BG/NBD), which depends on the
  rate, is drawn as a total per state, Binomial(n, mean dropout probability),
  and split by the conditional mean of independent binomial class counts given
  their sum, E[X_k] + Var(X_k) / Var(T) (T - E[T]), held within [0, count].
  That total's variance is a little high (the binomial at the mean probability
  also counts the spread of the rates, which the realised classes already carry).

With expected counts every split is exact and the cohort's retention is the
quadrature's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betainc, betaincinv, gammainc, gammaincinv

from sim.model.mixing import (
    CHURN_CLASSES,
    DROPOUT_CLASSES,
    PURCHASE_CLASSES,
    PURCHASE_CLASSES_WITH_DROPOUT,
    beta_classes,
    gamma_classes,
)

MIX_PARAMETERS = ("churn_alpha", "churn_beta", "purchase_shape", "purchase_rate", "dropout_a", "dropout_b")
"""Engine parameters of the mixing distributions; 0 for a segment without that mix."""

# Slots of the class scores one period uses (a separate stream from the engine's own scores).
DROPOUT = slice(0, 3)
SPLIT_BUY = slice(3, 4)
SCORES_PER_PERIOD = 4


@dataclass(frozen=True)
class Mixture:
    """Class values per (row, segment, class): churn probabilities, purchase rates, dropout probabilities."""

    churn: np.ndarray
    churn_weight: np.ndarray
    rate: np.ndarray
    dropout: np.ndarray | None
    buy_weight: np.ndarray

    def blend(self, other: "Mixture", share: np.ndarray | float) -> "Mixture":
        """Class values a ``share`` of the way to ``other`` (an intervention's ramp); class by class."""
        share = np.asarray(share, dtype=float)
        share = share[:, None, None] if share.ndim == 1 else share

        def mix(a, b):
            return a if a is b else a + share * (b - a)

        return Mixture(*(None if a is None else mix(a, b) for a, b in zip(
            (self.churn, self.churn_weight, self.rate, self.dropout, self.buy_weight),
            (other.churn, other.churn_weight, other.rate, other.dropout, other.buy_weight))))


def has_mix(p: dict[str, np.ndarray]) -> bool:
    return "churn_alpha" in p


def class_counts(p: dict[str, np.ndarray]) -> tuple[int, int]:
    """(churn classes, buying classes) this run needs: 1 on an axis no segment mixes."""
    churn, rate, dropout = _classes_per_axis(p)
    return churn, rate * dropout


def _classes_per_axis(p: dict[str, np.ndarray]) -> tuple[int, int, int]:
    """Churn, purchase-rate and dropout classes (see sim/model/mixing.py for why these numbers)."""
    dropout = DROPOUT_CLASSES if np.any(p["dropout_a"] > 0) else 1
    rate = 1
    if np.any(p["purchase_shape"] > 0):
        rate = PURCHASE_CLASSES_WITH_DROPOUT if dropout > 1 else PURCHASE_CLASSES
    return CHURN_CLASSES if np.any(p["churn_alpha"] > 0) else 1, rate, dropout


def mixture(p: dict[str, np.ndarray]) -> Mixture:
    """The classes of every (row, segment) from engine parameters; segments without a mix get one class."""
    churn_k, rate_k, dropout_k = _classes_per_axis(p)
    churn, churn_weight = _or_single(p["churn_alpha"] > 0, p["churn"], churn_k,
                                     lambda: beta_classes(_positive(p["churn_alpha"]), _positive(p["churn_beta"]), churn_k))
    rate, rate_weight = _or_single(p["purchase_shape"] > 0, p["purchases"], rate_k,
                                   lambda: gamma_classes(_positive(p["purchase_shape"]), _positive(p["purchase_rate"]), rate_k))
    if dropout_k == 1:
        return Mixture(churn, churn_weight, rate, None, rate_weight)
    drop, drop_weight = _or_single(p["dropout_a"] > 0, np.zeros_like(p["churn"]), dropout_k,
                                   lambda: beta_classes(_positive(p["dropout_a"]), _positive(p["dropout_b"]), dropout_k))
    joint = rate.shape[:-1] + (rate_k * dropout_k,)
    return Mixture(
        churn, churn_weight,
        np.broadcast_to(rate[..., :, None], rate.shape + (dropout_k,)).reshape(joint),
        np.broadcast_to(drop[..., None, :], drop.shape[:-1] + (rate_k, dropout_k)).reshape(joint),
        (rate_weight[..., :, None] * drop_weight[..., None, :]).reshape(joint),
    )


def moved_mixture(base: Mixture, base_p: dict[str, np.ndarray], target_p: dict[str, np.ndarray]) -> Mixture:
    """The classes of ``base`` under an arm's changed parameters: every class keeps its rank.

    A class at quantile u of the base mixing distribution moves to quantile u of
    the changed one (weights stay, so customers keep their class): an
    intervention that raises beta of a churn mix lowers every customer's churn
    probability, the most loyal customers' least. For a purchase mix whose rate
    is scaled this is exact (every customer's rate scales). Segments without
    a mix move to the changed churn or purchase rate.
    """
    churn = _requantile(base.churn, target_p["churn"], base_p["churn_alpha"] > 0,
                        lambda x: betaincinv(_positive(target_p["churn_alpha"])[..., None], _positive(target_p["churn_beta"])[..., None],
                                             betainc(_positive(base_p["churn_alpha"])[..., None], _positive(base_p["churn_beta"])[..., None], x)))
    rate = _requantile(base.rate, target_p["purchases"], base_p["purchase_shape"] > 0,
                       lambda x: gammaincinv(_positive(target_p["purchase_shape"])[..., None],
                                             gammainc(_positive(base_p["purchase_shape"])[..., None], x * _positive(base_p["purchase_rate"])[..., None]))
                       / _positive(target_p["purchase_rate"])[..., None])
    dropout = base.dropout
    if dropout is not None:
        dropout = _requantile(dropout, np.zeros_like(target_p["churn"]), base_p["dropout_a"] > 0,
                              lambda x: betaincinv(_positive(target_p["dropout_a"])[..., None], _positive(target_p["dropout_b"])[..., None],
                                                   betainc(_positive(base_p["dropout_a"])[..., None], _positive(base_p["dropout_b"])[..., None], x)))
    return Mixture(churn, base.churn_weight, rate, dropout, base.buy_weight)


def _requantile(nodes: np.ndarray, value: np.ndarray, mixed: np.ndarray, transform) -> np.ndarray:
    """Mixed segments' nodes through ``transform``; the others' (single-class) nodes set to ``value``."""
    single = np.broadcast_to(value[..., None], nodes.shape)
    if not mixed.any():
        return np.array(single)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mixed[..., None], transform(nodes), single)


def _positive(x: np.ndarray) -> np.ndarray:
    """Mixing parameters of segments without that mix are 0; any positive stand-in gives unused nodes."""
    return np.where(x > 0, x, 1.0)


def _or_single(mixed: np.ndarray, value: np.ndarray, k: int, quadrature) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature classes where ``mixed``, else all customers in the first class at ``value``."""
    single = np.zeros(value.shape + (k,))
    single[..., 0] = 1.0
    nodes = np.repeat(value[..., None], k, axis=-1)
    if not mixed.any():
        return nodes, single
    q_nodes, q_weights = quadrature()
    return np.where(mixed[..., None], q_nodes, nodes), np.where(mixed[..., None], q_weights, single)


class Population:
    """Customers per (state, row, segment, class) on the churn axis and on the buying axis (floats)."""

    def __init__(self, churn: np.ndarray, buy: np.ndarray):
        self.churn = churn
        self.buy = buy

    @classmethod
    def start(cls, customers: np.ndarray, mix: Mixture, source, initial_z: np.ndarray | None) -> "Population":
        """The starting customers, all neutral: churn shares as the mix's weights, rates split multinomially."""
        churn = np.zeros((3,) + mix.churn_weight.shape)
        churn[0] = customers[..., None] * mix.churn_weight
        buy = np.zeros((3,) + mix.buy_weight.shape)
        buy[0] = source.multinomial(customers, mix.buy_weight, initial_z)
        return cls(churn, buy)

    def arrive(self, arrivals: np.ndarray, mix: Mixture, source) -> None:
        """New customers join the neutral state, spread over the classes."""
        self.churn[0] += arrivals[..., None] * mix.churn_weight
        self.buy[0] += source.split(arrivals, mix.buy_weight, SPLIT_BUY)

    def churn_probability(self, mix: Mixture, multiplier: np.ndarray) -> np.ndarray:
        """Per state: the class probabilities (times the state's multiplier, capped at 1) and their mean."""
        q = np.minimum(mix.churn * multiplier[..., None], 1.0)
        return q, _mean_over(self.churn, q)

    def purchase_mean(self, mix: Mixture, multiplier: np.ndarray) -> np.ndarray:
        """Expected purchases per segment: sum over states and classes of count x rate x state multiplier."""
        return ((self.buy * mix.rate).sum(axis=-1) * multiplier).sum(axis=0)

    def dropout_probability(self, mix: Mixture, multiplier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per state and buying class: P(inactive in the period) = 1 - exp(-rate x multiplier x p), and the mean."""
        q = -np.expm1(-mix.rate * multiplier[..., None] * mix.dropout)
        return q, _mean_over(self.buy, q)

    def leave_churn(self, total: np.ndarray, q: np.ndarray) -> None:
        """``total`` churned per state: the survivors take the posterior churn shares; buying classes thin in proportion."""
        self.buy = self.buy - _thin(self.buy, total)
        kept = self.churn * (1.0 - q)
        kept_total = kept.sum(axis=-1)
        survivors = self.churn.sum(axis=-1) - total
        scale = np.divide(survivors, kept_total, out=np.zeros_like(kept_total), where=kept_total > 0)
        self.churn = kept * np.maximum(scale, 0.0)[..., None]

    def leave_dropout(self, total: np.ndarray, q: np.ndarray) -> None:
        """``total`` dropped out per state: by buying class as the conditional mean, by churn class in proportion."""
        self.churn = self.churn - _thin(self.churn, total)
        self.buy = self.buy - conditional_split(self.buy, q, total)

    def move(self, had_bad, had_good, walked, decayed) -> None:
        """Experiences and decay move whole shares of a state's classes (nothing here depends on the class)."""
        self.churn = _moved(self.churn, had_bad, had_good, walked, decayed)
        self.buy = _moved(self.buy, had_bad, had_good, walked, decayed)


def _mean_over(counts: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Count-weighted mean of ``q`` over the class axis (0 where a state is empty)."""
    size = counts.sum(axis=-1)
    return np.divide((counts * q).sum(axis=-1), size, out=np.zeros_like(size), where=size > 0)


def _thin(counts: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``total`` customers taken from the classes in proportion to their counts."""
    size = counts.sum(axis=-1)
    fraction = np.divide(total, size, out=np.zeros_like(size), where=size > 0)
    return counts * np.minimum(fraction, 1.0)[..., None]


def conditional_split(counts: np.ndarray, q: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Per class, the expected number of ``total`` events given that total; class k has Binomial(counts_k, q_k).

    E[X_k] + Var(X_k) / Var(T) (T - E[T]), then held within [0, counts_k]: the
    part of the total that clipping removed is spread over the classes'
    remaining room (or, when too many were taken, over what was taken), so the
    classes always add up to ``total``.
    """
    mean = counts * q
    var = mean * (1.0 - q)
    var_total = var.sum(axis=-1)
    excess = np.divide(total - mean.sum(axis=-1), var_total, out=np.zeros_like(var_total), where=var_total > 0)
    x = np.clip(mean + var * excess[..., None], 0.0, counts)
    left = total - x.sum(axis=-1)
    room = np.where(left[..., None] > 0, counts - x, x)
    room_total = room.sum(axis=-1)
    fill = np.divide(left, room_total, out=np.zeros_like(left), where=room_total > 0)
    return x + room * fill[..., None]


def _moved(counts, had_bad, had_good, walked, decayed) -> np.ndarray:
    """The engine's step 5 per class: bad -> B, good -> P, the rest decay towards N; walk-aways leave from B."""
    bad = _thin(counts, had_bad)
    rest = counts - bad
    good = _thin(rest, had_good)
    none = rest - good
    pooled_bad = bad.sum(axis=0)
    left_bad = pooled_bad - _thin(pooled_bad, walked)
    back = _thin(none[1:], decayed)
    new = np.empty_like(counts)
    new[0] = none[0] + back[0] + back[1]
    new[1] = good.sum(axis=0) + none[1] - back[0]
    new[2] = left_bad + none[2] - back[1]
    return new
