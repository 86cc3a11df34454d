"""Customers who differ within a segment: latent classes beside the engine's state counts.

With a churn, purchase or dropout mix (:mod:`sim.model.mixing`) a segment's
customers belong to latent classes. The engine keeps drawing every random
count once per (state, segment) with its kernel, as without classes, so the
cost stays near that of a homogeneous run; this module keeps, beside those
counts, what is known of the customers' classes. Churn and buying are
independent across customers, as in the sBG and BG/NBD models.

* Churn axis, per state: what is known of each state's customers (posterior
  shares), not a realised draw. Customers are exchangeable draws from them, so
  a state's churn is Binomial(n, mean churn probability) exactly, and the
  survivors' shares are the posterior ones, share_k (1 - q_k) / (1 - mean)
  (Bayes), whatever the number who left. A cohort's survivors then follow the
  sBG law period by period.
* Buying axis, over all states: realised counts of customers per purchase-rate
  class (each customer keeps its rate, so the realised mix persists and total
  purchases vary more than a Poisson's). Nothing that moves a customer between
  states depends on its rate, so its class is independent of its state: each
  state holds its share of every class, and only who *leaves* is drawn. The
  starting customers are split over the classes multinomially, newcomers too
  (:func:`sim.model.splits.arrive`); each period's leavers (churn, with the last
  period's walk-aways) are a random split over the classes, multivariate
  hypergeometric in mean and covariance (:func:`sim.model.splits.leave_even`);
  purchases are an exact Poisson total given the classes.
* BG/NBD dropout: per rate class, what is known of its customers' dropout
  probabilities (posterior shares over nodes, Bayes as they stay active); a
  class's customers drop out independently with its mean chance, so the
  dropouts split over the classes as independent binomials given their total
  (:func:`sim.model.splits.split_by_chance`), and the total's score is narrowed
  to the variance of that sum.

When an intervention changes a mix, every class keeps its customers and its
value moves to its rank in the new mix (:func:`moved`): a customer at quantile
u of the old mixing distribution ends at quantile u of the new one.

With expected counts every split is its mean and the cohort's retention is the
quadrature's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import special

from sim.kernels import count_kernels
from sim.model import splits
from sim.model.mixing import (
    DROPOUT_P_CLASSES,
    PURCHASE_CLASSES,
    beta_classes,
    dropout_nodes,
    dropout_rule,
    gamma_classes,
)

MIX_PARAMETERS = ("churn_alpha", "churn_beta", "purchase_shape", "purchase_rate", "dropout_a", "dropout_b")
"""Engine parameters of the mixing distributions; 0 for a segment without that mix."""

# Slots of the class scores one period uses (a separate stream from the engine's own scores): the states'
# dropout totals. The splits over the buying classes hash their own (sim/kernels/split_kernels.py).
DROPOUT = slice(0, 3)
SCORES_PER_PERIOD = 3


@dataclass(frozen=True)
class Mixture:
    """Class values per (class, row, segment): churn probabilities, purchase rates, dropout probabilities.

    Classes come first: sums over classes are then sums of contiguous blocks, and
    ``(rows, segments)`` parameters broadcast against every class. With dropout,
    ``dropout`` holds per rate class its dropout-probability nodes (rate class,
    node, row, segment) and ``dropout_weight`` their prior weights.
    """

    churn: np.ndarray
    churn_weight: np.ndarray
    rate: np.ndarray
    dropout: np.ndarray | None
    buy_weight: np.ndarray
    dropout_weight: np.ndarray | None = None


def has_mix(p: dict[str, np.ndarray]) -> bool:
    return "churn_alpha" in p


def class_counts(p: dict[str, np.ndarray], churn_classes: int, dropout_plan=None) -> tuple[int, int]:
    """(churn classes, buying classes) this run needs: 1 on an axis no segment mixes."""
    churn, rate, _ = _classes_per_axis(p, churn_classes, dropout_plan)
    return churn, rate


def _classes_per_axis(p: dict[str, np.ndarray], churn_classes: int, dropout_plan=None) -> tuple[int, int, int]:
    """Churn, purchase-rate and dropout classes (see sim/model/mixing.py for why these numbers)."""
    churn = churn_classes if np.any(p["churn_alpha"] > 0) else 1
    if np.any(p["dropout_a"] > 0):
        return churn, len(_dropout_rules(p, dropout_plan)[0]), DROPOUT_P_CLASSES
    return churn, PURCHASE_CLASSES if np.any(p["purchase_shape"] > 0) else 1, 1


def mixture(p: dict[str, np.ndarray], churn_classes: int, dropout_plan=None) -> Mixture:
    """The classes of every (row, segment) from engine parameters; segments without a mix get one class.

    ``churn_classes`` is chosen per scenario (:func:`sim.model.mixing.churn_classes_needed`), never per
    chunk of draws, so the numbers do not depend on chunking; so is ``dropout_plan`` (horizon, Gauss
    points per piece of the rate rule: :func:`sim.model.inputs.dropout_plan`).
    """
    churn_k, rate_k, dropout_k = _classes_per_axis(p, churn_classes, dropout_plan)
    churn, churn_weight = _or_single(p["churn_alpha"] > 0, p["churn"], churn_k,
                                     lambda: beta_classes(_positive(p["churn_alpha"]), _positive(p["churn_beta"]), churn_k))
    if dropout_k == 1:
        rate, rate_weight = _or_single(p["purchase_shape"] > 0, p["purchases"], rate_k,
                                       lambda: gamma_classes(_positive(p["purchase_shape"]), _positive(p["purchase_rate"]), rate_k))
        return Mixture(churn, churn_weight, rate, None, rate_weight)
    rate, rate_weight, drop, prior = _dropout_rules(p, dropout_plan)
    return Mixture(churn, churn_weight, rate, drop, rate_weight, prior)


def _dropout_rules(p: dict[str, np.ndarray], plan) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_build_dropout_rules`, kept for the last rule parameters seen: every chunk of a scenario whose mixes
    are fixed has the same, whatever its draws' other inputs (a purchase rate beside a purchase mix is unused)."""
    keys = _rule_keys(p)
    key = (plan, p["churn"].shape, keys.tobytes())
    if _RULES_CACHE.get("key") != key:
        _RULES_CACHE.update(key=key, rules=_build_dropout_rules(keys, p["churn"].shape, plan))
    return _RULES_CACHE["rules"]


_RULES_CACHE: dict = {}


def _rule_keys(p: dict[str, np.ndarray]) -> np.ndarray:
    """(purchase shape, purchase rate, dropout a, b) of every (row, segment), rows x segments flat: 0 for a mix a
    segment does not have, and its purchase rate as the rate without a purchase mix."""
    return np.stack([np.where(p["purchase_shape"] > 0, p["purchase_shape"], 0.0),
                     np.where(p["purchase_shape"] > 0, p["purchase_rate"], p["purchases"]),
                     np.where(p["dropout_a"] > 0, p["dropout_a"], 0.0), np.where(p["dropout_a"] > 0, p["dropout_b"], 0.0)],
                    axis=-1).reshape(-1, 4)


def _build_dropout_rules(keys: np.ndarray, shape: tuple[int, int], plan) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rate classes (K, row, segment), their weights, dropout nodes and prior weights (K, DROPOUT_P_CLASSES, row,
    segment) of BG/NBD segments (:func:`sim.model.mixing.dropout_rule`), once per distinct parameter set
    (:func:`_rule_keys`); a rule with fewer rate classes than the largest is padded with empty ones. Segments
    without a purchase mix have one rate class at their rate; without a dropout mix, dropout 0."""
    horizon, per_piece = plan if plan is not None else (60, 2)
    rows, segments = shape
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    rules = [_one_rule(*map(float, row), int(horizon), int(per_piece)) for row in unique]
    k = max(len(rule[0]) for rule in rules)
    rate = np.zeros((len(unique), k))
    weight = np.zeros((len(unique), k))
    drop = np.zeros((len(unique), k, DROPOUT_P_CLASSES))
    prior = np.zeros((len(unique), k, DROPOUT_P_CLASSES))
    prior[:, :, 0] = 1.0
    for index, (r, w, d, v) in enumerate(rules):
        rate[index, :len(r)], weight[index, :len(r)], drop[index, :len(r)], prior[index, :len(r)] = r, w, d, v
        rate[index, len(r):] = r[-1]
    inverse = inverse.ravel()

    def spread(x):  # (unique, ...) -> (class axes..., rows, segments)
        x = x[inverse].reshape((rows, segments) + x.shape[1:])
        return np.ascontiguousarray(np.moveaxis(np.moveaxis(x, 0, -1), 0, -1))

    return spread(rate), spread(weight), spread(drop), spread(prior)


@functools.lru_cache(maxsize=4096)
def _one_rule(shape, rate, a, b, horizon, per_piece):
    """One parameter set's rule: rates, weights, dropout nodes, prior (no dropout mix: p = 0; no purchase mix: one rate)."""
    if a > 0 and shape > 0:
        return dropout_rule(shape, rate, a, b, horizon, per_piece)
    drop = np.zeros((1, DROPOUT_P_CLASSES))
    prior = np.zeros((1, DROPOUT_P_CLASSES))
    prior[0, 0] = 1.0
    if shape > 0:  # purchase mix without dropout in this segment
        rates, weights = gamma_classes(np.array([shape]), np.array([rate]), PURCHASE_CLASSES)
        return rates[0], weights[0], np.zeros((PURCHASE_CLASSES, DROPOUT_P_CLASSES)), np.repeat(prior, PURCHASE_CLASSES, 0)
    if a > 0:  # one purchase rate (``rate`` holds it), dropout differing between customers
        d, v = dropout_nodes(np.array([rate]), a, b, np.array([1.0]), horizon)
        return np.array([rate]), np.array([1.0]), d, v
    return np.array([rate]), np.array([1.0]), drop, prior


def moved(start: Mixture, base: dict[str, np.ndarray], p: dict[str, np.ndarray], churn_classes: int,
          dropout_plan=None) -> Mixture:
    """The classes after an intervention moved a mix from ``base`` to ``p`` (engine parameters), every customer
    keeping its rank: the customers of a class stay in it, and its value moves from the quantile u of the
    ``start`` mix it sits at to the quantile u of the new one (F_new^-1(F_start(value)), per class, row and
    segment); the weights stay the start's.

    The classes are the Gauss rule of the start mix carried through that monotone map, so a cohort's expected
    retention under any ramp is that rule's quadrature of the exact rank-preserving curve (nothing is spread
    between classes). Segments without that mix take ``p``'s value as before.

    Except where a churn mix's alpha grows: the map is then a power of p below 1 near 0, which the start's
    rule integrates slowly (0.042 off for (0.2, 0.2) alpha x3), so those rows take the Gauss rule of the new
    mix and :meth:`Population.couple_churn` moves their customers to it by rank (0.002 there).
    """
    churn_k, rate_k, dropout_k = (len(start.churn), len(start.rate), 1 if start.dropout is None else start.dropout.shape[1])
    churn, churn_weight = start.churn, start.churn_weight
    mixed = p["churn_alpha"] > 0
    if churn_k > 1:
        churn = np.where(mixed, _rank_map(special.betainc, special.betaincc, special.betaincinv, special.betainccinv,
                                          base, p, ("churn_alpha", "churn_beta"), start.churn), p["churn"])
        grows = mixed & (p["churn_alpha"] > base["churn_alpha"])
        if grows.any():
            rule, weights = beta_classes(_positive(p["churn_alpha"]), _positive(p["churn_beta"]), churn_k)
            churn = np.where(grows, np.moveaxis(rule, -1, 0), churn)
            churn_weight = np.where(grows, np.moveaxis(weights, -1, 0), churn_weight)
    else:
        churn = np.broadcast_to(p["churn"], start.churn.shape)
    rate = start.rate
    mixed = p["purchase_shape"] > 0
    rate = np.where(mixed, _rank_map(_gamma_cdf, _gamma_sf, _gamma_ppf, _gamma_isf, base, p,
                                     ("purchase_shape", "purchase_rate"), start.rate), p["purchases"])
    drop = start.dropout
    if drop is not None:
        flat = drop.reshape((rate_k * dropout_k,) + drop.shape[2:])
        mapped = _rank_map(special.betainc, special.betaincc, special.betaincinv, special.betainccinv, base, p,
                           ("dropout_a", "dropout_b"), flat)
        drop = np.where(p["dropout_a"] > 0, mapped, 0.0).reshape(drop.shape)
    return Mixture(np.ascontiguousarray(churn), np.ascontiguousarray(churn_weight), np.ascontiguousarray(rate),
                   None if drop is None else np.ascontiguousarray(drop), start.buy_weight, start.dropout_weight)


def _gamma_cdf(shape, rate, x):
    return special.gammainc(shape, x * rate)


def _gamma_sf(shape, rate, x):
    return special.gammaincc(shape, x * rate)


def _gamma_ppf(shape, rate, u):
    return special.gammaincinv(shape, u) / rate


def _gamma_isf(shape, rate, u):
    return special.gammainccinv(shape, u) / rate


def _rank_map(cdf, sf, ppf, isf, base, p, keys, nodes):
    """F_new^-1(F_base(nodes)) for nodes (class, row, segment), through the upper tail where u > 1/2 (its
    precision), computed once per distinct (row's base and new parameters) (fitted mixes: once per segment)."""
    a0, b0 = _positive(base[keys[0]]), _positive(base[keys[1]])
    a1, b1 = _positive(p[keys[0]]), _positive(p[keys[1]])
    out = np.array(nodes, dtype=float)
    for segment in range(a0.shape[-1]):
        columns = np.stack([a0[:, segment], b0[:, segment], a1[:, segment], b1[:, segment]], axis=1)
        _, first, inverse = np.unique(columns, axis=0, return_index=True, return_inverse=True)
        x = nodes[:, first, segment]
        c0, c1, c2, c3 = (columns[first, j] for j in range(4))
        if np.array_equal(c0, c2) and np.array_equal(c1, c3):
            continue  # unchanged
        u, v = cdf(c0, c1, x), sf(c0, c1, x)
        mapped = np.where(u <= 0.5, ppf(c2, c3, u), isf(c2, c3, v))
        out[:, :, segment] = mapped[:, inverse.ravel()]
    return out


def _positive(x: np.ndarray) -> np.ndarray:
    """Mixing parameters of segments without that mix are 0; any positive stand-in gives unused nodes."""
    return np.where(x > 0, x, 1.0)


def _or_single(mixed: np.ndarray, value: np.ndarray, k: int, quadrature) -> tuple[np.ndarray, np.ndarray]:
    """(class, row, segment) nodes and weights: quadrature where ``mixed``, else everyone in class 0 at ``value``."""
    single = np.zeros((k,) + value.shape)
    single[0] = 1.0
    nodes = np.broadcast_to(value, (k,) + value.shape)
    if not mixed.any():
        return np.array(nodes), single
    q_nodes, q_weights = quadrature()
    q_nodes, q_weights = np.moveaxis(q_nodes, -1, 0), np.moveaxis(q_weights, -1, 0)
    # C-contiguous (np.where keeps the moved axes' layout): the compiled class steps view them flat.
    return np.ascontiguousarray(np.where(mixed, q_nodes, nodes)), np.ascontiguousarray(np.where(mixed, q_weights, single))


class Population:
    """Customers per class: churn classes per (class, state, row, segment), buying classes per (class, row, segment).

    The state totals ``n`` stay the engine's (whole numbers when random). Churn
    classes are what is known of each state's customers (posterior shares, which
    differ by state: survival there selects more or less). Buying classes are
    realised counts over all states: nothing that moves a customer between states
    depends on its buying class, so a customer's buying class is independent of
    its state, each state holds its share n_s / N of every class, and only the
    classes of the customers who *leave* (churn, walk-aways, dropout) need
    drawing: a random split of each period's leavers (:mod:`sim.model.splits`).
    """

    def __init__(self, counts: np.ndarray, churn_classes: int, buy: np.ndarray | None = None):
        self.counts = counts
        self.churn = counts[:churn_classes]
        # C-contiguous: the compiled leave step takes its leavers from it in place.
        self.buy = np.ascontiguousarray(counts[churn_classes:].sum(axis=1) if buy is None else buy)
        self._expected_churn = None
        self._walked = None  # last period's walk-aways, split over the buying classes with this period's churn
        self._rated = None  # (mix, the buying classes' rates summed), made by the churn step for this period's purchases

    @classmethod
    def start(cls, customers: np.ndarray, mix: Mixture, source, initial_z: np.ndarray | None) -> "Population":
        """The starting customers, all neutral: churn shares as the mix's weights, rates split multinomially."""
        kc = len(mix.churn)
        counts = np.zeros((kc, 3) + customers.shape)
        counts[:, 0] = customers * mix.churn_weight
        population = cls(counts, kc, source.multinomial(customers, mix.buy_weight, initial_z))
        if mix.dropout is not None:
            # What is known of each rate class's dropout probability: the prior shares, then the posterior ones.
            population.posterior = np.array(mix.dropout_weight)
            population._joined = np.zeros(population.buy.shape)  # the newcomers' share of each class this period
            population._arms = getattr(source, "repeat", 1)  # arms stacked on the rows (they share the stay table)
        return population

    def arrive(self, arrivals: np.ndarray, mix: Mixture, source) -> None:
        """New customers join the neutral state: churn shares as the mix's weights, buying classes multinomially
        (independent customers: :func:`sim.model.splits.arrive`)."""
        self.churn[:, 0] += arrivals * mix.churn_weight
        if mix.dropout is None:
            splits.arrive(arrivals, mix.buy_weight, self.buy, source.noise)
            return
        # Newcomers bring the prior dropout shares: mixed into the posterior by this period's dropout step, in
        # the same pass over it (nothing reads the posterior in between), at their share of each class.
        splits.arrive(arrivals, mix.buy_weight, self.buy, source.noise, self._joined)

    def churn_probability(self, mix: Mixture, multiplier: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Per state, the mean churn probability of its customers (class probability x state multiplier, capped at 1)."""
        cached = getattr(self, "_churn_for", None)
        if cached is None or cached[0] is not mix or not _same(cached[1], multiplier):
            # The same in every period unless an intervention moves the mix or the churn multipliers.
            q = mix.churn[:, None] * multiplier
            np.minimum(q, 1.0, out=q)
            self._churn_for = (mix, multiplier, q)
        kernels = count_kernels.compiled()
        if kernels is not None:  # one compiled pass, the same numbers
            self._expected_churn = kernels.churn_leaving(self._churn_for[2], self.churn)
        else:
            # Into a buffer kept between periods: a fresh array of every class's counts each period costs page faults.
            self._leaving = np.multiply(self._churn_for[2], self.churn, out=self._buffer("leaving churn", self.churn.shape))
            self._expected_churn = self._leaving.sum(axis=0)
        return _fraction(self._expected_churn, n)

    def leave_churn(self, churned: np.ndarray, n: np.ndarray, noise: "splits.Noise | None" = None) -> None:
        """``churned`` left each state: survivors take the posterior churn shares; which customers left, and so
        the buying classes' leavers, is a random split of all states' leavers (:func:`sim.model.splits.split_even`)."""
        kernels = count_kernels.compiled()
        if kernels is not None:  # one compiled pass over the churn classes, the same numbers (no buying classes given)
            empty = self._buffer("no classes", (0,) + self.churn.shape[1:])
            kernels.leave_churn(self.churn, empty, self._churn_for[2], self._expected_churn, n, churned,
                                self._buffer("no rates", (0,) + n.shape[1:]), self._buffer("rated", n.shape))
        else:
            self.churn -= self._leaving
            self.churn *= _fraction(n - churned, n - self._expected_churn)
        leaving = churned.sum(axis=0)
        if self._walked is not None:
            leaving = leaving + self._walked
            self._walked = None
        # The stayers' rates summed over the classes in the same pass, for this period's purchases.
        self._rated = (self._churn_for[0], splits.leave_even(self.buy, leaving, noise, splits.FLOWS["churn"],
                                                             self._churn_for[0].rate))

    def purchase_mean(self, mix: Mixture, multiplier: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Expected purchases per segment: the buying classes' counts x rates, times the states' mean
        buying multiplier (each state holds its share of every class)."""
        rated, self._rated = self._rated, None
        if rated is None or rated[0] is not mix:  # nothing made it this period for this mix
            rated = (mix, splits._sum(self.buy * mix.rate))
        total = n[0] + n[1] + n[2]
        return rated[1] * _fraction(n[0] * multiplier[0] + n[1] * multiplier[1] + n[2] * multiplier[2], total)

    def _buffer(self, use: str, shape: tuple[int, ...]) -> np.ndarray:
        """A scratch array for one use's class-sized temporary, allocated once and reused every period."""
        buffers = self.__dict__.setdefault("_buffers", {})
        if buffers.get(use) is None or buffers[use].shape != shape:
            buffers[use] = np.empty(shape)
        return buffers[use]

    def dropout_probability(self, mix: Mixture, multiplier: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per state, the mean of P(inactive in the period) over its customers, and the factor on the score that
        gives the dropouts' total its exact variance.

        A customer of rate class k whose dropout probability is node j stays active with
        exp(-rate_k x multiplier x p_kj); its class's customers are exchangeable draws from the posterior
        shares over j, so each leaves with q_k = sum_j share_kj (1 - that), independently. A state's dropouts
        are then a sum of independent Binomial(x_k, q_k), variance sum x_k q_k (1 - q_k), below the
        n q (1 - q) of one binomial at the mean q by n Var(q): the total is drawn as that binomial at the
        score times sqrt(exact / binomial variance), so its spread is the sum's.
        """
        cached = getattr(self, "_dropout_for", None)
        if cached is None or cached[0] is not mix or not _same(cached[1], multiplier):
            # The same in every period unless an intervention moves the mix or the buying multipliers:
            # stay[k, j, state] = exp(-rate_k x multiplier x p_kj), and the prior shares, for one arm's rows
            # where every arm has the same (the kernel reads them for each arm: a third of the memory traffic).
            rows = _arm_rows(self._arms, mix.rate, mix.dropout, mix.dropout_weight, multiplier)
            rate, drop, multiplier_rows = mix.rate[:, :rows], mix.dropout[:, :, :rows], multiplier[:, :rows]
            prior = np.ascontiguousarray(mix.dropout_weight[:, :, :rows])
            # Per class, the nodes up to the last with a prior share in some column (the step skips the rest).
            held = (prior > 0.0).any(axis=(2, 3))
            used = np.where(held.any(axis=1), prior.shape[1] - np.argmax(held[:, ::-1], axis=1), 1).astype(np.int64)
            self._dropout_for = (mix, multiplier, np.ascontiguousarray(
                np.exp(-(rate[:, None] * drop)[:, :, None] * multiplier_rows)), prior, used)
        mean, narrow = np.empty(n.shape), np.empty(n.shape)
        self._chance = np.empty(self.buy.shape)
        posterior, prior, joined, stay = _flat(self.posterior, self._dropout_for[3], self._joined, self._dropout_for[2])
        splits.dropout_kernel("dropout_step")(posterior, prior, joined, stay, self._dropout_for[4],
                                              *_flat(self.buy, n, mean, narrow, self._chance))
        return mean, narrow

    def leave_dropout(self, dropped: np.ndarray, n: np.ndarray, noise: "splits.Noise | None" = None) -> None:
        """``dropped`` left each state: by rate class as independent binomials given their total
        (:func:`sim.model.splits.split_by_chance`, at each class's chance over the states, which
        :meth:`dropout_probability` made with the survivors' posterior dropout shares); churn classes in proportion."""
        self.buy -= splits.split_by_chance(self.buy, self._chance, dropped.sum(axis=0), noise, splits.FLOWS["dropout"])
        self.churn *= 1.0 - _fraction(dropped, n)

    def couple_churn(self, old: Mixture, new: Mixture) -> None:
        """Where :func:`moved` gave a row new churn classes (not mapped ones), move each class's customers to the
        new classes by rank: old class k's share w_k covers the quantile band (W_k-1, W_k], and goes to the
        new classes in proportion to the overlap with theirs (the identity where the weights are the same)."""
        if old.churn_weight is new.churn_weight or np.array_equal(old.churn_weight, new.churn_weight):
            return
        self.churn[:] = np.einsum("jkrs,kxrs->jxrs", rank_coupling(old.churn_weight, new.churn_weight), self.churn)

    def move(self, n, had_bad, had_good, walked, decayed, noise: "splits.Noise | None" = None) -> None:
        """Experiences and decay (the engine's step 5).

        Churn classes move by one linear map of each class's state counts: a state's bad, good and neither
        shares, the walk-away share of the bad and the decay shares apply to every churn class; with numba
        one compiled kernel does it in one pass (the same numbers). Of the buying classes only the walk-aways
        leave: a random split (:func:`sim.model.splits.split_even`), made together with the next period's churn
        (one split instead of two) before that period's purchases. Without dropout that is the same law:
        nothing between them selects on the buying class, and arrivals join in the classes' own proportions.
        With dropout the survivors' classes lean to low dropout while arrivals come at the prior, so the
        walk-aways' classes lean a little towards the arrivals' (by the arrivals' share of the customers,
        about 1 %, of a flow of a fraction of a per cent a period).
        """
        kernels = count_kernels.compiled()
        if kernels is not None:
            kernels.move_classes(self.churn, n, had_bad, had_good, walked, decayed)
        else:
            self.move_numpy(n, had_bad, had_good, walked, decayed)
        if len(self.buy):
            self._walked = walked.copy()

    def move_numpy(self, n, had_bad, had_good, walked, decayed) -> None:
        """:meth:`move`'s linear map of the churn classes in numpy (without numba, and the reference its compiled
        kernel is tested against)."""
        counts = self.churn
        bad = _fraction(had_bad, n)
        good = (1.0 - bad) * _fraction(had_good, n - had_bad)
        none = 1.0 - bad - good
        had_none = n - had_bad - had_good
        back_p, back_b = _fraction(decayed[0], had_none[1]), _fraction(decayed[1], had_none[2])
        stay_bad = 1.0 - _fraction(walked, had_bad.sum(axis=0))
        # to_from[new state, old state]: the share of an old state's customers that ends in the new one.
        to_from = np.empty((3,) + n.shape)
        to_from[0] = none[0], back_p * none[1], back_b * none[2]
        to_from[1] = good[0], good[1] + (1.0 - back_p) * none[1], good[2]
        to_from[2] = stay_bad * bad[0], stay_bad * bad[1], stay_bad * bad[2] + (1.0 - back_b) * none[2]
        counts[:] = np.einsum("tsrg,ksrg->ktrg", to_from, counts)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """The same array, or equal ones (the engine hands the same multipliers every period until a ramp moves them)."""
    return a is b or np.array_equal(a, b)


def _arm_rows(arms: int, *arrays: np.ndarray) -> int:
    """The rows of the first arm where the ``arms`` stacked on the rows axis (second to last) hold the same values
    in every array, else all rows."""
    rows = arrays[0].shape[-2]
    if arms <= 1 or rows % arms:
        return rows
    one = rows // arms
    for x in arrays:
        blocks = x.reshape(x.shape[:-2] + (arms, one, x.shape[-1]))
        if not all(np.array_equal(blocks[..., 0, :, :], blocks[..., arm, :, :]) for arm in range(1, arms)):
            return rows
    return one


def rank_coupling(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """coupling[j, k]: the share of old class k's customers that goes to new class j, classes in rank order.

    Old class k holds the quantile band (W_k-1, W_k] of the old weights, new
    class j the band (V_j-1, V_j] of the new; the share is their overlap / w_k.
    """
    old_edges = np.concatenate([np.zeros((1,) + old.shape[1:]), np.cumsum(old, axis=0)])
    new_edges = np.concatenate([np.zeros((1,) + new.shape[1:]), np.cumsum(new, axis=0)])
    overlap = np.maximum(
        np.minimum(old_edges[None, 1:], new_edges[1:, None]) - np.maximum(old_edges[None, :-1], new_edges[:-1, None]), 0.0
    )
    return _fraction(overlap, old[None])


def _flat(*arrays: np.ndarray) -> list[np.ndarray]:
    """Views with rows and segments as one axis (C-contiguous arrays: no copies), for the compiled class steps."""
    return [a.reshape(a.shape[:-2] + (-1,)) for a in arrays]


def _fraction(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole, 0 where whole is 0."""
    shape = np.shape(part)
    if shape != np.shape(whole):
        shape = np.broadcast_shapes(shape, np.shape(whole))
    return np.divide(part, whole, out=np.zeros(shape), where=whole > 0)

