"""The customer engine: counts per (segment, experience state), period by period.

Arrays in, arrays out. Parameters are ``(draws, segments)`` arrays; counts are
``(states, draws, segments)`` with states ordered N, P, B (states first, so each
state's counts are one contiguous block); every output is summed over
segments, ``(draws, periods)``. The loop runs over periods only, so the cost
grows with draws x periods x segments x states and not with the number of
customers.

Customer-level randomness is kept exactly where it matters (binomial splits of
each state's customers, Poisson totals of purchases), drawn through a
:class:`Counts` source so that the same code gives a Monte Carlo path or,
with :class:`ExpectedCounts`, the deterministic expected-value path.

When customers of a segment differ (churn, purchase or dropout mixes: the
parameters :data:`sim.model.classes.MIX_PARAMETERS`), latent classes ride
beside the counts (:mod:`sim.model.classes`); the counts are still drawn once
per (state, segment). Without mixes that code is never entered, so such
scenarios give the numbers they always gave.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np

from sim.kernels import count_kernels
from sim.model import classes, counts, streams

N, P, B = 0, 1, 2
STATES = ("neutral", "positive", "negative")

PARAMETERS = (
    "customers",
    "arrivals",
    "churn",
    "purchases",
    "value_per_purchase",
    "fee",
    "margin",
    "contacts",
    "contact_cost",
    "acquisition_cost",
    "referrals",
    "deterrals",
    "good",
    "bad",
    "walk_away",
    "positive_uplift",
    "negative_drop",
    "positive_churn_reduction",
    "negative_churn_increase",
    "positive_duration",
    "negative_duration",
    "negative_contact_increase",
)
"""Engine parameter names; each is a ``(draws, segments)`` array, per period where it is a rate."""

OUTPUTS = (
    "revenue",
    "gross_profit",
    "support_cost",
    "capacity_cost",
    "acquisition_spend",
    "active",
    "arrivals",
    "churned",
    "walked",
    "purchases",
    "contacts",
    "answered",
    "answered_wait_minutes",
    "positive",
    "negative",
)
"""Per-period flows and stocks the engine returns, each ``(draws, periods)``, summed over segments.

``answered`` (contacts answered by an agent or solved by self-service) and
``answered_wait_minutes`` (their total wait) are filled in scenarios with
support operations only; elsewhere they stay 0.
"""

OPERATIONS_OUTPUTS = ("answered", "answered_wait_minutes")

# Slots of the normal scores one period uses, on the first axis of that period's noise.
ARRIVAL = slice(0, 1)
CHURN = slice(1, 4)
BAD = slice(4, 7)
GOOD = slice(7, 10)
BUY = slice(10, 11)
CONTACT = slice(11, 12)
WALK = slice(12, 13)
DECAY = slice(13, 15)
SCORES_PER_PERIOD = streams.SCORES_PER_PERIOD  # DECAY.stop: the scores are drawn in sim.model.streams


class Counts(Protocol):
    """Where the engine gets its random counts for one period."""

    def start(self, period: int) -> None: ...

    def poisson(self, mean: np.ndarray, slot: slice) -> np.ndarray: ...

    def binomial(self, n: np.ndarray, p: np.ndarray, slot: slice) -> np.ndarray: ...

    def whole(self, x: np.ndarray) -> np.ndarray: ...

    def multinomial(self, total: np.ndarray, weights: np.ndarray, z: np.ndarray | None) -> np.ndarray: ...

    def for_classes(self) -> "Counts": ...


class RandomCounts:
    """Counts drawn by inversion at normal scores ``z`` of shape (periods, 15, draws, segments).

    With ``repeat`` > 1 the engine runs that many arms stacked along the draws
    axis, and every arm sees the same scores: common random numbers.
    """

    def __init__(self, z: np.ndarray, repeat: int = 1, classes_z: np.ndarray | None = None,
                 initial_z: np.ndarray | None = None, tile_each_slot: bool = False, noise=None):
        self.z = z
        self.noise = noise  # the keys of the buying classes' split scores (sim.model.splits.Noise), with classes
        self.repeat = repeat
        self._now = z[0]
        self._period_buffer = None
        # The classes use few of their slots: those are tiled over the arms as they are used, not the period's all.
        self._tile_each_slot = tile_each_slot and repeat > 1
        self._classes = None if classes_z is None else RandomCounts(classes_z, repeat, tile_each_slot=True, noise=noise)
        self.initial_z = None if initial_z is None else self._tiled(initial_z[0])

    def _tiled(self, now: np.ndarray, into: np.ndarray | None = None) -> np.ndarray:
        """``np.tile(now, (1, repeat, 1))``: the arms' copies one after another on the draws axis (into ``into``)."""
        if self.repeat == 1:
            return now
        draws = now.shape[1]
        if into is None:
            into = np.empty((now.shape[0], draws * self.repeat) + now.shape[2:], dtype=now.dtype)
        for arm in range(self.repeat):
            into[:, arm * draws:(arm + 1) * draws] = now
        return into

    def _slot(self, slot: slice) -> np.ndarray:
        return self._tiled(self._now[slot]) if self._tile_each_slot else self._now[slot]

    def start(self, period: int) -> None:
        # The period's scores tiled over the arms into one buffer kept between periods (nothing holds the last period's).
        self._now = self.z[period] if self._tile_each_slot else self._tiled(self.z[period], self._period_buffer)
        self._period_buffer = self._now
        if self.noise is not None:
            self.noise.period = period
        if self._classes is not None:
            self._classes.start(period)

    def for_classes(self) -> "RandomCounts":
        """The source of the latent classes' own randomness (a separate stream of scores)."""
        return self._classes

    def _scores(self, slot: slice, shape: tuple) -> np.ndarray:
        scores = self._slot(slot)
        return scores if len(shape) == 3 else scores[0]

    def poisson(self, mean, slot):
        return counts.poisson(mean, self._scores(slot, np.shape(mean)))

    def binomial(self, n, p, slot, score_scale=None):
        """Binomial(n, p) at the slot's scores (times ``score_scale``, which narrows the spread, if given)."""
        scores = self._scores(slot, np.shape(n))
        if score_scale is not None:
            scores = (scores * score_scale).astype(scores.dtype)
        return counts.binomial(n, p, scores)

    def whole(self, x):
        return np.round(x)

    def multinomial(self, total, weights, z):
        return counts.multinomial(total, weights, z)


class ExpectedCounts:
    """Every count replaced by its expectation: the deterministic base case."""

    def start(self, period: int) -> None:
        pass

    def poisson(self, mean, slot):
        return np.asarray(mean, dtype=float)

    def binomial(self, n, p, slot, score_scale=None):
        return n * p

    noise = None

    def whole(self, x):
        # Whole customers in the base case too, so it agrees with a Monte Carlo run.
        return np.round(np.asarray(x, dtype=float))

    initial_z = None

    def multinomial(self, total, weights, z):
        return np.asarray(total, dtype=float) * weights

    def for_classes(self):
        return self


def simulate(
    base: dict[str, np.ndarray],
    target: dict[str, np.ndarray] | list[dict[str, np.ndarray]],
    ramp: np.ndarray | list[np.ndarray],
    source: Counts,
    operations=None,
    churn_classes: int = 1,
    dropout_plan: tuple[int, int] | None = None,
) -> dict[str, np.ndarray]:
    """Run arms: parameters move from ``base`` to ``target`` by the ramp fraction per period.

    ``ramp[t]`` is 0 before an intervention starts and 1 at full effect, either
    one number per period (periods,) or one per draw (periods, draws) when
    several arms are stacked along the draws axis; the baseline's target is its
    base. A combination of interventions gives lists instead, one *step* per
    member: ``target[j]`` the parameters with members 0..j in effect and
    ``ramp[j]`` member j's own ramp, so in period t a parameter is
    ``base + sum_j ramp[j][t] * (target[j] - target[j-1])`` (``target[-1]`` is
    ``base``) and each member keeps its own start and ramp; with one step this is
    the single-intervention rule, the same operations. ``operations`` — a
    function (ramp share per row, or one per step, contacts wanted per row) ->
    :class:`sim.support.operations.Outcome` — replaces the stated good / bad
    shares and the per-contact cost by what the support operations deliver.
    ``churn_classes`` is the number of latent churn classes when a segment has a
    churn mix (parameters :data:`sim.model.classes.MIX_PARAMETERS`); ``dropout_plan``
    (horizon, Gauss points per piece of the rate rule) chooses the classes of BG/NBD
    mixes (:func:`sim.model.inputs.dropout_plan`).
    Returns :data:`OUTPUTS`.
    """
    stepped = isinstance(target, list)
    targets = target if stepped else [target]
    ramps = [np.asarray(r, dtype=float) for r in (ramp if stepped else [ramp])]
    draws, segments = base["churn"].shape
    periods = len(ramps[0])
    names = PARAMETERS + classes.MIX_PARAMETERS if classes.has_mix(base) else PARAMETERS
    movings, before = [], base
    for step_target in targets:
        movings.append({k: step_target[k] - before[k] for k in names
                        if step_target[k] is not before[k] and np.any(step_target[k] != before[k])})
        before = step_target
    moving_keys = set().union(*movings)

    def parameters(keys, t: int) -> dict[str, np.ndarray]:
        """Each parameter of ``keys`` in period t: the base plus each step's share of its move."""
        p = {}
        for k in keys:
            value = base[k]
            for step_ramp, moving in zip(ramps, movings):
                if k in moving:
                    share = step_ramp[t][:, None] if step_ramp.ndim == 2 else step_ramp[t]
                    value = value + share * moving[k]
            p[k] = value
        return p

    # One period's outputs per segment, reused: every output is written in every period but
    # those of support operations (0 without them). Each period's sum over segments goes to
    # ``totals`` at once, while the period's values are still in cache.
    # Every output's segments in one array, and every output's per-period totals in another,
    # so one sum over segments serves them all.
    values = np.zeros((len(OUTPUTS), draws, segments))
    out = dict(zip(OUTPUTS, values))
    totals = np.empty((len(OUTPUTS), periods, draws))
    n = np.zeros((3, draws, segments))
    n[N] = source.whole(base["customers"])
    # Parameters change only while a ramp moves: the periods where it does, found in one pass.
    moves = np.zeros(periods, dtype=bool)
    moves[0] = True
    for step_ramp in ramps:
        step = step_ramp[1:] != step_ramp[:-1]
        moves[1:] |= step.any(axis=1) if step.ndim == 2 else step
    population = mix = None
    if classes.has_mix(base):
        # Customers who differ: latent classes beside the counts (sim/model/classes.py).
        mix = classes.mixture(base, churn_classes, dropout_plan)
        mix_keys = classes.MIX_PARAMETERS + ("churn", "purchases")
        moving_mix = any(k in moving_keys for k in mix_keys)
        start_mix = mix
        population = classes.Population.start(n[N], mix, source.for_classes(), source.initial_z)
    for t in range(periods):
        source.start(t)
        if moves[t]:
            p = parameters(PARAMETERS, t)
            rates = Rates.of(p, operations is None)
        if population is not None and moving_mix and any(np.any(r[t] != (r[t - 1] if t else 0.0)) for r in ramps):
            # An intervention changed a mix: every class keeps its customers and moves to its rank in the new mix.
            new_mix = classes.moved(start_mix, base, parameters(mix_keys, t), churn_classes, dropout_plan)
            population.couple_churn(mix, new_mix)
            mix = new_mix
        share = [r[t] for r in ramps] if stepped else ramps[0][t]
        n = _period(n, p, rates, source, out, operations, share, population, mix)
        sum_segments(values, totals[:, t])
    return {name: series.T for name, series in zip(OUTPUTS, totals)}


class Rates(NamedTuple):
    """What the period steps derive from the parameters alone, by state: computed once while they stay the same.

    Each is the array the step computed inline before, by the same operations,
    so the counts are the same. ``contact`` is None with support operations,
    whose contacts' shares change every period (:meth:`ContactRates.of` then runs each period).
    """

    churn_multiplier: np.ndarray  # (3, draws, segments): 1, 1 - positive reduction, 1 + negative increase
    churn: np.ndarray  # churn probability per state, capped at 1
    buy_multiplier: np.ndarray  # (3, draws, segments): 1, 1 + positive uplift, 1 - negative drop
    contacts: np.ndarray  # contacts per customer, by state
    contact: "ContactRates | None"
    decay: np.ndarray  # (2, draws, segments): 1 / positive duration, 1 / negative duration
    word_of_mouth: bool  # any referrals or deterrals

    @classmethod
    def of(cls, p: dict[str, np.ndarray], fixed_shares: bool) -> "Rates":
        churn_multiplier = np.stack([np.ones_like(p["churn"]), 1.0 - p["positive_churn_reduction"],
                                     1.0 + p["negative_churn_increase"]])
        buy_multiplier = np.stack([np.ones_like(p["churn"]), 1.0 + p["positive_uplift"], 1.0 - p["negative_drop"]])
        c = np.stack([p["contacts"], p["contacts"], p["contacts"] * (1.0 + p["negative_contact_increase"])])
        bad = np.minimum(p["bad"], 1.0)
        good = np.minimum(p["good"], 1.0 - bad)
        return cls(churn_multiplier, np.minimum(p["churn"] * churn_multiplier, 1.0), buy_multiplier, c,
                   ContactRates.of(c, good, bad) if fixed_shares else None,
                   np.stack([1.0 / p["positive_duration"], 1.0 / p["negative_duration"]]),
                   bool(np.any(p["referrals"]) or np.any(p["deterrals"])))


class ContactRates(NamedTuple):
    """Per state, a customer's chances of a bad and a good contact in a period and the contacts they bring (step 4)."""

    good: np.ndarray  # share of good contacts (draws, segments)
    bad: np.ndarray  # share of bad contacts
    neither: np.ndarray  # 1 - good - bad
    had_bad: np.ndarray  # P(>= 1 bad contact) by state, 1 - exp(-c bad)
    had_good: np.ndarray  # P(>= 1 good contact), 1 - exp(-c good)
    bad_excess: np.ndarray  # bad contacts beyond the first of a customer with one (zero-truncated mean - 1)
    good_excess: np.ndarray

    @classmethod
    def of(cls, c: np.ndarray, good: np.ndarray, bad: np.ndarray) -> "ContactRates":
        """From contacts per customer by state ``c`` and the shares ``good``, ``bad`` (rows, segments).

        With numba two compiled passes around numpy's expm1 (the products and their
        negatives; then 1 - exp(-mu) and the excess: :func:`sim.kernels.count_kernels.contact_products`,
        :func:`~sim.kernels.count_kernels.contact_excess`), else :meth:`of_numpy`: the same numbers.
        """
        kernels = count_kernels.compiled()
        if kernels is None:
            return cls.of_numpy(c, good, bad)
        mean, chance, excess = np.empty((2,) + c.shape), np.empty((2,) + c.shape), np.empty((2,) + c.shape)
        neither = np.empty_like(good)
        kernels.contact_products(c, bad, good, mean, chance, neither)
        np.expm1(chance, out=chance)  # of -mu: numpy's expm1, as _at_least_one takes it
        kernels.contact_excess(mean, chance, excess)
        return cls(good, bad, neither, chance[0], chance[1], excess[0], excess[1])

    @classmethod
    def of_numpy(cls, c: np.ndarray, good: np.ndarray, bad: np.ndarray) -> "ContactRates":
        """:meth:`of` in numpy."""
        c_bad, c_good = c * bad, c * good  # mean bad and good contacts per customer, by state
        had_bad, had_good = _at_least_one(c_bad), _at_least_one(c_good)
        return cls(good, bad, 1.0 - good - bad, had_bad, had_good,
                   _excess_over_one(c_bad, had_bad), _excess_over_one(c_good, had_good))


def sum_segments(values: np.ndarray, total: np.ndarray) -> None:
    """``values.sum(axis=-1)`` into ``total`` bit for bit; compiled with numba (one pass, no strided reads)."""
    kernels = count_kernels.compiled()
    if kernels is None:
        sum_segments_numpy(values, total)
    else:
        kernels.sum_segments(values, total)


def sum_segments_numpy(values: np.ndarray, total: np.ndarray) -> None:
    """``values.sum(axis=-1)`` into ``total`` bit for bit: (s0 + s1) + s2 ..., numpy's order over a short axis."""
    if values.shape[-1] == 1:
        total[:] = values[..., 0]
        return
    np.add(values[..., 0], values[..., 1], out=total)
    for segment in range(2, values.shape[-1]):
        total += values[..., segment]


def _period(n: np.ndarray, p: dict[str, np.ndarray], rates: Rates, source: Counts, out: dict[str, np.ndarray],
            operations=None, share=0.0, population: classes.Population | None = None,
            mix: classes.Mixture | None = None) -> np.ndarray:
    """One period of the five steps in docs/model.md; writes the period's outputs, returns the new counts.

    ``rates`` are derived from ``p`` (:meth:`Rates.of`). With latent classes
    (``population``, ``mix``) churn and buying follow each class's probability
    and rate; the counts are still drawn per state.
    """
    # 1. Arrivals join the neutral state; word of mouth adds or deters some.
    wanted = p["arrivals"]
    if rates.word_of_mouth:
        wanted = _word_of_mouth(wanted, n, p["referrals"], p["deterrals"])
    arrivals = source.poisson(wanted, ARRIVAL)
    n = n.copy()
    n[N] += arrivals
    if population is not None:
        population.arrive(arrivals, mix, source.for_classes())

    # 2. Churn, with the state's multiplier, capped at 1.
    if population is None:
        churned = source.binomial(n, rates.churn, CHURN)
    else:
        churned = source.binomial(n, population.churn_probability(mix, rates.churn_multiplier, n), CHURN)
        population.leave_churn(churned, n, source.for_classes().noise)
    n = n - churned
    active = n.sum(axis=0)

    # 3. Activity: purchases are a Poisson total over each state's customers.
    buy_mult = rates.buy_multiplier
    if population is None:
        buying = n[N] + n[P] * buy_mult[P] + n[B] * buy_mult[B]
        purchases = source.poisson(p["purchases"] * buying, BUY)
    else:
        purchases = source.poisson(population.purchase_mean(mix, buy_mult, n), BUY)
        if mix.dropout is not None:
            # BG/NBD: each purchase is followed by dropout with the class's p, so by thinning a
            # customer becomes inactive in the period with 1 - exp(-rate x multiplier x p); who
            # drops out has made this period's purchases and leaves before contacting support.
            q, narrow = population.dropout_probability(mix, buy_mult, n)
            dropped = source.for_classes().binomial(n, q, classes.DROPOUT, narrow)
            population.leave_dropout(dropped, n, source.for_classes().noise)
            n = n - dropped
            churned = churned + dropped
    revenue = purchases * p["value_per_purchase"] + active * p["fee"]

    # 4. Experiences. By Poisson thinning a customer has >= 1 bad contact with
    # probability 1 - exp(-c b), and otherwise >= 1 good one with 1 - exp(-c g).
    # Contacts per customer by state: negative customers contact support more often.
    c, contact = rates.contacts, rates.contact
    if operations is not None:
        # (not ``wanted``: that name holds the expected arrivals, which the acquisition spend needs below)
        asked = (n * c).sum(axis=0)  # contacts customers want to make, by segment
        total = asked.sum(axis=-1)
        outcome = operations(share, total)
        c = c * np.reshape(outcome.happening, (-1, 1))
        # (copies of the broadcast shares: the compiled steps take writable arrays)
        good = np.broadcast_to(outcome.good[:, None], asked.shape).copy()
        bad = np.broadcast_to(outcome.bad[:, None], asked.shape).copy()
        contact = ContactRates.of(c, good, bad)
        # The centre's cost is shared by the segments in proportion to the contacts they bring.
        portion = np.divide(asked, total[:, None], out=np.full_like(asked, 1.0 / asked.shape[-1]), where=total[:, None] > 0)
        support_cost, capacity_cost = outcome.cost[:, None] * portion, outcome.capacity[:, None] * portion
    had_bad = source.binomial(n, contact.had_bad, BAD)
    had_good = source.binomial(n - had_bad, contact.had_good, GOOD)
    had_none, bad_total, good_total, excess = tally_experiences(n, had_bad, had_good, c, contact)
    contacts = bad_total + good_total + source.poisson(excess, CONTACT)
    walked = source.binomial(bad_total, p["walk_away"], WALK)

    # 5. State update: bad -> B, good -> P, neither -> P and B decay towards N.
    decayed = source.binomial(had_none[P:], rates.decay, DECAY)
    new = next_states(had_none, decayed, good_total, bad_total, walked)
    if population is not None:
        population.move(n, had_bad, had_good, walked, decayed, source.for_classes().noise)

    out["revenue"][:] = revenue
    out["gross_profit"][:] = revenue * p["margin"]
    out["support_cost"][:] = support_cost if operations is not None else contacts * p["contact_cost"]
    out["capacity_cost"][:] = capacity_cost if operations is not None else 0.0
    # Referred customers cost no acquisition: only the paid share of arrivals is charged.
    paid = arrivals if wanted is p["arrivals"] else arrivals * _paid_share(p["arrivals"], wanted)
    out["acquisition_spend"][:] = paid * p["acquisition_cost"]
    out["active"][:] = active
    out["arrivals"][:] = arrivals
    out["churned"][:] = churned.sum(axis=0)
    out["walked"][:] = walked
    out["purchases"][:] = purchases
    out["contacts"][:] = contacts
    if operations is not None:
        answered = contacts * outcome.answered[:, None]
        out["answered"][:] = answered
        out["answered_wait_minutes"][:] = answered * outcome.wait_minutes[:, None]
    out["positive"][:] = new[P]
    out["negative"][:] = new[B]
    return new


def _word_of_mouth(arrivals: np.ndarray, n: np.ndarray, referrals: np.ndarray, deterrals: np.ndarray) -> np.ndarray:
    """Expected arrivals with word of mouth: each customer positive at the start of the period
    (i.e. at the end of the last) brings ``referrals`` new customers, each negative one deters
    ``deterrals``; never below zero arrivals."""
    return np.maximum(arrivals + referrals * n[P] - deterrals * n[B], 0.0)


def _paid_share(paid: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Share of expected arrivals that come by the segment's own acquisition (at most 1)."""
    return np.minimum(np.divide(paid, wanted, out=np.ones_like(wanted), where=wanted > 0), 1.0)


def _at_least_one(mu: np.ndarray) -> np.ndarray:
    """P(Poisson(mu) >= 1) = -expm1(-mu), in one buffer."""
    p = np.negative(mu)
    np.expm1(p, out=p)
    return np.negative(p, out=p)


def tally_experiences(n, had_bad, had_good, c, rates: ContactRates):
    """Step 4's tallies: customers with neither experience (by state), with a bad and with a good one
    (summed over states), and the mean of the support contacts beyond those (summed over states).

    Total support contacts per segment are ``bad + good + Poisson(that mean)``,
    consistent with who had a bad or good one. Arrays are per state (``c`` too:
    contact rates differ by state). A customer with >= 1 bad contact has a
    zero-truncated Poisson(c b) number of them; we draw the excess over one as
    Poisson with the exact mean (its variance is a few per cent low, which only
    touches the spread of support cost). Good contacts of those customers and
    everyone's neutral contacts are exact Poisson totals by thinning: the mean
    is ``had_bad E(c bad) + had_good E(c good) + had_bad c good + n c (1 - good - bad)``.
    With numba one compiled pass (:func:`sim.kernels.count_kernels.tally_experiences`),
    else :func:`tally_experiences_numpy`: the same numbers.
    """
    kernels = count_kernels.compiled()
    if kernels is None:
        return tally_experiences_numpy(n, had_bad, had_good, c, rates)
    had_none, totals = np.empty_like(n), np.empty((3,) + n.shape[1:])
    kernels.tally_experiences(n, had_bad, had_good, c, rates.bad_excess, rates.good_excess, rates.good, rates.neither,
                              had_none, totals)
    return had_none, totals[0], totals[1], totals[2]


def tally_experiences_numpy(n, had_bad, had_good, c, rates: ContactRates):
    """:func:`_tally_experiences` in numpy; the mean is taken term by term in two buffers, in the order of
    its expression, and summed over states left to right (numpy's order over a short first axis)."""
    had_none = n - had_bad - had_good
    excess = np.multiply(rates.bad_excess, had_bad)
    term = np.multiply(rates.good_excess, had_good)
    excess += term
    np.multiply(had_bad, c, out=term)
    term *= rates.good
    excess += term
    np.multiply(n, c, out=term)
    term *= rates.neither
    excess += term
    return had_none, had_bad.sum(axis=0), had_good.sum(axis=0), excess.sum(axis=0)


def next_states(had_none, decayed, good_total, bad_total, walked) -> np.ndarray:
    """Step 5: bad -> B, good -> P, neither stays but P and B decay (``decayed``) towards N.
    Compiled (:func:`sim.kernels.count_kernels.next_states`) with numba, else :func:`next_states_numpy`."""
    kernels = count_kernels.compiled()
    if kernels is None:
        return next_states_numpy(had_none, decayed, good_total, bad_total, walked)
    new = np.empty_like(had_none)
    kernels.next_states(had_none, decayed, good_total, bad_total, walked, new)
    return new


def next_states_numpy(had_none, decayed, good_total, bad_total, walked) -> np.ndarray:
    """:func:`_next_states` in numpy."""
    new = np.empty_like(had_none)
    new[N] = had_none[N] + decayed[0] + decayed[1]
    new[P] = good_total + had_none[P] - decayed[0]
    new[B] = bad_total - walked + had_none[B] - decayed[1]
    return new


def _excess_over_one(mu: np.ndarray, at_least_one: np.ndarray) -> np.ndarray:
    """E[X] - 1 for X zero-truncated Poisson(mu): mu / (1 - exp(-mu)) - 1, and mu / 2 as mu -> 0
    (below 1e-12, where the quotient loses its digits); ``at_least_one`` is 1 - exp(-mu) (:func:`_at_least_one`)."""
    mu = np.asarray(mu, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 / 0 at mu = 0, replaced below
        out = np.divide(mu, at_least_one)
    out -= 1.0
    tiny = ~(mu > 1e-12)
    if tiny.any():
        out[tiny] = mu[tiny] / 2.0
    return out
