"""Running a scenario: sample the inputs, evaluate every arm in chunks, appraise.

Sample, evaluate, analyse are kept apart: :func:`sample` draws input values,
:func:`evaluate` turns any table of input values into per-arm flows (the one
function later sweeps and sensitivity analyses call), and :func:`run` ties
them together with the finance into a :class:`~sim.compute.result.Result`.
"""

from __future__ import annotations

import mmap
import pickle
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np

from sim.errors import UsageError, did_you_mean
from sim.model import classes, engine, splits, streams
from sim.compute import parallel
from sim.model.domains import adjustments
from sim.model.finance import (
    Appraisal,
    appraise,
    benefit_and_capacity_cost,
    discount_factors,
    program_costs,
)
from sim.model.inputs import (
    all_inputs,
    arm_members,
    churn_classes,
    arm_steps,
    dropout_plan,
    arm_values,
    engine_parameters,
    mix_alternative,
    operations_plan,
    ramp,
)
from sim.compute.parallel import Pool
from sim.compute.result import Result, support_totals
from sim.compute.spill import SeriesSpill
from sim.model.sampling import base_values, sample_inputs
from sim.model.scenario import Scenario
from sim.model.validation import Loaded

BASELINE = "baseline"
APPRAISED_OUTPUTS = ("revenue", "gross_profit", "support_cost", "capacity_cost", "acquisition_spend")
"""The flows an appraisal reads (:mod:`sim.model.finance`): all that is kept of a combination's arm
(:class:`sim.compute.arms.ArmStore`, ``run(combinations=...)``)."""
STREAM_ABOVE_BYTES = 512 * 2**20
"""A run whose per-period flows would take more memory than this streams them to disk
(about 20,000 draws of the reference workload)."""
MAX_CHUNK = 2_000
"""Largest number of draws evaluated at once; bounds memory at a few tens of MB per worker."""
SCORES_CACHE_BYTES = 128 * 2**20
"""Normal scores an analysis's worker keeps for the draws it simulates again at later points: beyond
this, least recently used blocks are dropped and drawn again if asked for (about 43 MB holds all of
a default run's 10,000 draws of the reference scenario)."""

Progress = Callable[[int, int], None]
"""Called with (draws done, draws in all): with 0 once the worker processes have their chunks
(the calling process is then free until results come), then after each chunk."""


def sample(scenario: Scenario, draws: int, seed: int, fixed: dict[str, float] | None = None) -> dict[str, np.ndarray]:
    """Input values for ``draws`` draws, by dotted path; ``fixed`` inputs repeat one value.

    Inputs draw from streams keyed by their paths, so fixing one input leaves
    every other input's draws unchanged (common random numbers across a sweep).
    """
    inputs = all_inputs(scenario)
    unknown = [path for path in (fixed or {}) if path not in inputs]
    if unknown:
        instead = mix_alternative(scenario, unknown[0])
        raise UsageError(f"{unknown[0]}: not an input of this scenario"
                         + (f": {instead}" if instead else did_you_mean(unknown[0], inputs)))
    values = sample_inputs(inputs, draws, seed, scenario.settings.sampling, scenario.correlations)
    for path, value in (fixed or {}).items():
        values[path] = np.full(draws, float(value))
    return values



def pinned(values: dict[str, np.ndarray], point: dict[str, float]) -> dict[str, np.ndarray]:
    """A table of input values with ``point``'s inputs fixed, every other input's draws as in ``values``.

    Inputs draw from streams keyed by their paths, so for a table from :func:`sample`
    with the same inputs fixed (at any values) this is the table :func:`sample` gives
    for ``point``, without drawing the other inputs again (their quantile functions are
    a large part of an analysis point's cost).
    """
    draws = len(next(iter(values.values())))
    return {**values, **{path: np.full(draws, float(value)) for path, value in point.items()}}


_SCORES: OrderedDict[tuple, np.ndarray] = OrderedDict()
"""Blocks of normal scores drawn in this process, by their stream's key (see :func:`customer_scores`)."""


def customer_scores(seed: int, first: int, count: int, periods: int, per_period: int, segments: int,
                    stream: int | None = None, keep: bool = False) -> np.ndarray:
    """:func:`sim.model.streams.customer_scores`; with ``keep`` each block is drawn once per process
    while it fits :data:`SCORES_CACHE_BYTES`.

    An analysis simulates the same draws again at every point that moves an arm (a sweep's
    values, a break-even's candidates): the same seed and blocks give the same scores, and
    drawing them is a quarter of a one-arm chunk's time. The blocks are the ones the streams
    module draws, joined the same way, so the scores are the same bit for bit. A run, which
    draws each block once, does not keep them (its workers' memory stays as it was).
    """
    touched = streams.blocks(first, count)  # (stream None: the engine's own, streams.block_scores' default)
    parts = []
    for block, _, _ in touched:
        key = (seed, block, periods, per_period, segments, stream)
        part = _SCORES.get(key)
        if part is None:
            part = streams.block_scores(seed, block, periods, per_period, segments, *(() if stream is None else (stream,)))
            if keep:
                part.flags.writeable = False
                _SCORES[key] = part
        if keep:
            _SCORES.move_to_end(key)
        parts.append(part)
    size = sum(part.nbytes for part in _SCORES.values())
    while size > SCORES_CACHE_BYTES and len(_SCORES) > len(parts):
        size -= _SCORES.popitem(last=False)[1].nbytes
    offset = touched[0][1]  # where the first draw sits in its block
    return np.concatenate(parts, axis=2)[:, :, offset : offset + count]


class Shipped:
    """A scenario on its way to the worker processes: pickled once here, unpickled once per worker.

    Unpickling a scenario (a tree of pydantic models) takes about 13 ms, as long as a
    thousand draws of one arm: sent with every chunk of an analysis's points it was a
    seventh of a break-even's time. A job carries ``Shipped(scenario)``; a worker that
    has received the same pickle before gets its scenario back from :data:`_RECEIVED`,
    and a job run in this process (a pool of one) unwraps it with :func:`received`.
    """

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.blob = pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL)

    def __reduce__(self):
        return _unpickled, (self.blob,)


_RECEIVED: OrderedDict[bytes, Scenario] = OrderedDict()
"""Scenarios this process has unpickled, by their pickle (the last few)."""


def _unpickled(blob: bytes) -> Scenario:
    scenario = _RECEIVED.get(blob)
    if scenario is None:
        scenario = _RECEIVED[blob] = pickle.loads(blob)
        while len(_RECEIVED) > 4:
            _RECEIVED.popitem(last=False)
    return scenario


def received(scenario: Scenario | Shipped) -> Scenario:
    """The scenario of a job: itself, or what a :class:`Shipped` carries when the job never left this process."""
    return scenario.scenario if isinstance(scenario, Shipped) else scenario


def evaluate(
    scenario: Scenario,
    values: dict[str, np.ndarray],
    seed: int,
    first: int = 0,
    expected: bool = False,
    copy: bool = True,
    arms: list[str | None] | None = None,
    keep_scores: bool = False,
    also: list | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Flows of every arm, summed over segments: ``{arm: {output: (draws, periods)}}``.

    ``first`` is the index of the first draw in ``values``: customer-level
    randomness is keyed by draw index, so any split into chunks gives the same
    numbers. ``expected=True`` replaces every count by its expectation.
    ``copy=False`` gives views into the stacked arms' arrays (for a caller that
    only copies them elsewhere) instead of each arm's own draws-contiguous arrays.
    ``arms`` limits the run to some arms (None for the baseline, else intervention
    names; default all): every arm reads the same scores whichever others run
    beside it, so an arm's flows are the same bit for bit. ``keep_scores`` keeps the normal
    scores in this process for later calls with the same draws (:func:`customer_scores`).
    ``also``: more arms (e.g. combinations of interventions, tuples of names) simulated after
    ``arms`` in a second pass of the engine at the same scores, drawn once (``cxroi run --memo``
    simulates the combinations with the run): their flows are those of evaluating them alone,
    returned beside the others by arm.
    """
    settings = scenario.settings
    draws = len(next(iter(values.values())))
    arms = [None, *scenario.interventions] if arms is None else list(arms)
    base = engine_parameters(scenario, values)
    churn_k = churn_classes(scenario)
    plan = dropout_plan(scenario)
    scores = class_scores = initial_scores = None
    if not expected:
        segments = len(scenario.segments)
        scores = customer_scores(seed, first, draws, settings.horizon, engine.SCORES_PER_PERIOD, segments,
                                 keep=keep_scores)
        if classes.has_mix(base):
            # The latent classes draw from their own streams: scenarios without them keep their numbers.
            _, buy_k = classes.class_counts(base, churn_k, plan)
            # Only BG/NBD dropout draws from them (its states' totals): a run without it makes none.
            slots = classes.SCORES_PER_PERIOD if plan is not None else 0
            class_scores = customer_scores(seed, first, draws, settings.horizon, slots, segments,
                                           stream=streams.CLASSES, keep=keep_scores)
            initial_scores = customer_scores(seed, first, draws, 1, max(buy_k - 1, 1), segments,
                                             stream=streams.CLASSES_START, keep=keep_scores)
    flows = {}
    for group in [arms, *([list(also)] if also else [])]:
        if expected:
            source: engine.Counts = engine.ExpectedCounts()
        else:
            noise = splits.Noise(seed, first, draws, len(scenario.segments), len(group)) if class_scores is not None else None
            source = engine.RandomCounts(scores, repeat=len(group), classes_z=class_scores,
                                         initial_z=initial_scores, noise=noise)
        flows.update(_simulate_arms(scenario, values, base, group, draws, source, churn_k, plan, copy))
    return flows


def _simulate_arms(scenario: Scenario, values, base, arms: list, draws: int, source, churn_k: int, plan,
                   copy: bool) -> dict:
    """One pass of the engine over ``arms`` stacked along the draws axis: each arm's flows, by arm."""
    # All arms run as one stack along the draws axis: fewer, larger array operations,
    # and every arm reads the same scores (common random numbers).
    stacked_base = {k: np.concatenate([base[k]] * len(arms)) for k in base}
    if all(arm is None or isinstance(arm, str) for arm in arms):
        arm_inputs = [values if arm is None else arm_values(scenario, values, arm) for arm in arms]
        targets = [base if arm is None else engine_parameters(scenario, inputs) for arm, inputs in zip(arms, arm_inputs)]
        stacked_target = {k: np.concatenate([target[k] for target in targets]) for k in base}
        ramps = np.repeat(np.stack([ramp(scenario, arm) for arm in arms]), draws, axis=0).T
        operations = operations_plan(scenario, values, arm_inputs, arms)
    else:
        stacked_target, ramps, operations = _stepped(scenario, values, base, arms, draws)
    result = engine.simulate(stacked_base, stacked_target, ramps, source, operations, churn_k, plan)
    flows = {}
    for index, arm in enumerate(arms):
        rows = slice(index * draws, (index + 1) * draws)
        # Each arm's own array, draws contiguous (later sums over periods round by layout).
        flows[arm or BASELINE] = {name: series[rows].copy(order="K") if copy else series[rows]
                                  for name, series in result.items()}
    return flows


def _stepped(scenario: Scenario, values, base, arms, draws: int):
    """The engine's steps for stacked arms of which some are combinations (tuples of names).

    Step j moves each arm by its j-th member (in order of start, :func:`sim.model.inputs.arm_steps`)
    with that member's own ramp; an arm with fewer members stands still in the later steps
    (its target repeats, its ramp is 0). Returns (targets per step, ramps per step, operations plan).
    """
    steps = [[] if arm is None else arm_steps(scenario, values, arm) for arm in arms]
    depth = max(len(arm_steps_) for arm_steps_ in steps)
    parameters = [[engine_parameters(scenario, inputs) for _, inputs in arm_steps_] for arm_steps_ in steps]
    zeros = np.zeros(scenario.settings.horizon)
    targets, ramps, step_inputs = [], [], []
    for j in range(depth):
        at = [own[min(j, len(own) - 1)] if own else base for own in parameters]
        targets.append({k: np.concatenate([target[k] for target in at]) for k in base})
        ramps.append(np.repeat(np.stack([ramp(scenario, own[j][0]) if j < len(own) else zeros for own in steps]),
                               draws, axis=0).T)
        step_inputs.append([own[min(j, len(own) - 1)][1] if own else values for own in steps])
    members = [[name for name, _ in own] for own in steps]
    return targets, ramps, operations_plan(scenario, values, step_inputs[-1], arms, step_inputs, members)


def run(
    scenario: Scenario | Loaded,
    draws: int | None = None,
    seed: int | None = None,
    *,
    base_case: bool = False,
    workers: int | None = None,
    chunk_draws: int | None = None,
    progress: Progress | None = None,
    fixed: dict[str, float] | None = None,
    workers_pool: Pool | None = None,
    stream: bool | None = None,
    combinations: list[tuple[str, ...]] | None = None,
) -> Result:
    """Run a scenario and appraise every intervention against the baseline.

    ``draws`` and ``seed`` default to the scenario's settings. ``base_case``
    evaluates every input at its base value with expected counts: one draw,
    no randomness, the spreadsheet answer. ``fixed`` pins inputs (by path) to
    one value while every other input keeps the draws it would have had: the
    basis of sweeps and break-even searches. ``workers`` processes share the
    draws (default: all cores), or an open ``workers_pool`` does; the numbers
    do not depend on either or on ``chunk_draws``. ``stream`` keeps memory
    bounded whatever the draws: each chunk's per-period flows go to a
    :class:`~sim.compute.spill.SeriesSpill` on disk instead of staying in memory
    (default: when they would take more than :data:`STREAM_ABOVE_BYTES`); the
    numbers, bands included, are the same either way. ``combinations`` (arms of several
    interventions, tuples of names in file order) are simulated beside the run's arms in the same
    chunks, at the same scores, in a second pass of the engine each (:func:`evaluate`'s ``also``):
    ``cxroi run --memo`` needs them for its portfolios, and they cost no second pass over the
    draws. Their flows (:data:`APPRAISED_OUTPUTS` only) are ``Result.combinations``; they are
    not part of the run's outputs, and a streamed run leaves them out.
    """
    loaded = scenario if isinstance(scenario, Loaded) else None
    scenario = loaded.scenario if loaded else scenario
    settings = scenario.settings
    seed = settings.seed if seed is None else seed
    inputs = all_inputs(scenario)
    fixed = fixed or {}
    base_values_, base_flows, spreadsheet = _base_case(scenario, fixed)
    spill = support = None
    more: dict = {}
    if base_case:
        draws, values, flows, appraisals = 1, base_values_, base_flows, spreadsheet
    else:
        draws = settings.draws if draws is None else draws
        values = sample(scenario, draws, seed, fixed)
        if stream is None:
            stream = _flow_bytes(scenario, draws) > STREAM_ABOVE_BYTES
        with _pool_or(workers_pool, workers) as shared:
            if stream:
                flows, (appraisals, support, spill) = {}, evaluate_streamed(scenario, values, seed, shared, chunk_draws, progress)
            else:
                flows, appraisals = evaluate_and_appraise(scenario, values, seed, shared, chunk_draws, progress,
                                                          combinations or None)
                more = {arm: flows.pop(arm) for arm in list(flows) if not isinstance(arm, str)}
                more = {arm: {name: arm_flows[name] for name in APPRAISED_OUTPUTS} for arm, arm_flows in more.items()}
    if spill is None and scenario.operations is not None:
        support = {arm: support_totals(arm_flows) for arm, arm_flows in flows.items()}
    return Result(
        scenario=scenario,
        loaded=loaded,
        seed=seed,
        n_draws=draws,
        base_case=base_case,
        inputs=inputs,
        values=values,
        flows=flows,
        appraisals=appraisals,
        spreadsheet=spreadsheet,
        adjustments=adjustments(scenario, values),
        support=support if scenario.operations is not None else None,
        spill=spill,
        combinations=more,
    )


def _flow_bytes(scenario: Scenario, draws: int) -> int:
    """Memory the per-period flows of every arm would take in a run of ``draws`` draws."""
    return draws * scenario.settings.horizon * len(engine.OUTPUTS) * (1 + len(scenario.interventions)) * 8


def appraise_all(scenario: Scenario, values: dict[str, np.ndarray], flows) -> dict[str, Appraisal]:
    """Every intervention appraised against the baseline, per draw."""
    return {name: appraise_intervention(scenario, values, flows, name) for name in scenario.interventions}


@contextmanager
def _pool_or(shared: Pool | None, workers: int | None):
    if shared is not None:
        yield shared
    else:
        with parallel.pool(workers) as own:
            yield own


def _base_case(scenario: Scenario, fixed: dict[str, float] | None = None):
    """Inputs, flows and appraisals with every input at its base value and expected counts."""
    values = {**base_values(all_inputs(scenario)), **{path: np.array([value]) for path, value in (fixed or {}).items()}}
    flows = evaluate(scenario, values, seed=0, expected=True)
    return values, flows, appraise_all(scenario, values, flows)


def base_cases(scenario: Scenario, arms: list) -> dict:
    """Each arm (an intervention's name, or a combination: a tuple of names) appraised with every input at its
    base value and expected counts, as :func:`_base_case` appraises the scenario's own: a portfolio's
    spreadsheet answer. The combinations go through the engine beside the scenario's arms (``also``)."""
    values = base_values(all_inputs(scenario))
    flows = evaluate(scenario, values, seed=0, expected=True, also=[arm for arm in arms if not isinstance(arm, str)])
    return {arm: appraise_intervention(scenario, values, flows, arm) for arm in arms}


def appraise_intervention(scenario: Scenario, values, flows, name, benefit: tuple | None = None):
    """An arm appraised against the baseline, per draw. A combination (a tuple of names) costs the sum
    of its members' one-off and recurring costs, each from the member's own start; its payback
    counts from the first member's start. Support capacity it adds is its cost, as for one intervention.
    ``benefit`` is :func:`arm_benefit` of these flows, (benefit, capacity cost), where the caller
    has it already (``flows`` is not read then)."""
    settings = scenario.settings
    members = arm_members(scenario, name)
    benefit, capacity = arm_benefit(scenario, flows, name) if benefit is None else benefit
    once, recurring = _program_costs(scenario, values, members[0])
    for member in members[1:]:
        more_once, more_recurring = _program_costs(scenario, values, member)
        once, recurring = once + more_once, recurring + more_recurring
    factors = discount_factors(settings.horizon, settings.discount_rate, settings.periods_per_year)
    start = min(scenario.interventions[member].start for member in members)
    return appraise(benefit, once, recurring + capacity, factors, start)


def arm_benefit(scenario: Scenario, flows, name) -> tuple[np.ndarray, np.ndarray]:
    """(benefit, added capacity cost) per draw and period of an arm against the baseline: all an
    appraisal reads of the flows (the costs come from the input values)."""
    return benefit_and_capacity_cost(flows[name], flows[BASELINE], scenario.settings.roi_basis)


def _program_costs(scenario: Scenario, values, name: str):
    return program_costs(
        values[f"interventions.{name}.one_off_cost"],
        values[f"interventions.{name}.recurring_cost"],
        scenario.interventions[name].start,
        scenario.settings.horizon,
    )


def evaluate_in_chunks(scenario, values, seed, shared: Pool, chunk_draws=None, progress=None, expected=False,
                       also=None):
    """:func:`evaluate` over chunks of draws in the pool's processes, reassembled in order."""
    return evaluate_many(scenario, [values], seed, shared, chunk_draws, progress, expected, also=also)[0]


def evaluate_and_appraise(scenario, values, seed, shared: Pool, chunk_draws=None, progress=None, also=None):
    """:func:`evaluate_in_chunks` and :func:`appraise_all` of its flows: ``(flows, appraisals)``.

    Where forked workers write their flows into shared memory they appraise
    their own chunks too (while the other chunks still run, not one after the
    other at the end); an appraisal is per draw, so the numbers are those of
    appraising all draws at once (the same operations on each draw's row). ``also``: arms
    simulated beside (:func:`evaluate`), their flows among the others, not appraised.
    """
    if getattr(shared, "forks", False) and not shared.started:
        flows, appraisals = evaluate_many(scenario, [values], seed, shared, chunk_draws, progress, with_appraisals=True,
                                          also=also)[0]
        return flows, appraisals
    flows = evaluate_in_chunks(scenario, values, seed, shared, chunk_draws, progress, also=also)
    return flows, appraise_all(scenario, values, flows)


def evaluate_many(scenario, value_sets, seed, shared: Pool, chunk_draws=None, progress=None, expected=False,
                  with_appraisals=False, also=None):
    """:func:`evaluate` for several sets of input values (e.g. sweep points) as one stream of chunks.

    All chunks of all sets go to the pool at once, so workers never wait for the
    slowest chunk of one set before starting the next. (Analyses that appraise many
    sets use :class:`sim.compute.arms.ArmStore`, which simulates only what differs.)
    ``also``: arms simulated beside each set's (:func:`evaluate`), their :data:`APPRAISED_OUTPUTS`
    among the set's flows where the workers write into shared memory, every output elsewhere.
    """
    draws = [len(next(iter(values.values()))) for values in value_sets]
    into = None
    if getattr(shared, "forks", False) and not shared.started:
        into = [_shared_flows(scenario, count, with_appraisals, also) for count in draws]
    try:
        chunks = _map_chunks(scenario, value_sets, seed, shared, chunk_draws, progress, expected, "flows", into, also)
        flows = _assemble(chunks, draws, [{**_SHARED[token]["flows"], **_SHARED[token]["also"]} for token in into]
                          if into else None)
        if with_appraisals:
            return [(set_flows, _shared_appraisals(_SHARED[token]["appraisals"])) for set_flows, token in zip(flows, into)]
        return flows
    finally:
        for token in into or ():
            del _SHARED[token]


def _assemble(chunks, draws: list[int], shared: list[dict] | None = None) -> list[dict]:
    """Each set's flows, every chunk copied into its rows as it arrives, while later chunks still run.

    The same arrays as concatenating all chunks at the end, layout included
    (draws contiguous, as the chunks' and so their concatenation's), without the
    pause between the last chunk and the output. With ``shared`` (from
    :func:`_shared_flows`) the workers have written their rows already.
    """
    if shared is not None:
        for _ in chunks:
            pass
        return shared
    flows: list[dict | None] = [None] * len(draws)
    for index, first, part in chunks:
        if flows[index] is None:
            flows[index] = {arm: {name: _rows_like(array, draws[index]) for name, array in arm_flows.items()}
                            for arm, arm_flows in part.items()}
        for arm, arm_flows in part.items():
            for name, array in arm_flows.items():
                flows[index][arm][name][first : first + len(array)] = array
    return flows


_SHARED: dict[int, dict] = {}
"""Flows in memory shared with the forked workers, by token (see :func:`_shared_flows`)."""


def _shared_flows(scenario: Scenario, draws: int, appraisals: bool = False, also=None) -> int:
    """A token for ``{arm: {output: (draws, periods)}}`` arrays in one anonymous shared mapping
    (and, with ``appraisals``, each intervention's appraisal arrays beside them).

    Made before a forking pool starts its workers, so they inherit the mapping and
    write each chunk's rows into it: nothing is pickled back through a pipe (a fifth
    of a two-worker run's time on the reference workload). Same layout as the
    joined chunks (draws contiguous), so the same numbers downstream. Workers of a
    pool that goes on to serve other runs keep the mapping until the pool closes
    (at most one run's flows: a larger run streams them to disk instead). The arms ``also``
    simulated beside keep their :data:`APPRAISED_OUTPUTS` there too (``"also"``).
    """
    arms = [BASELINE, *scenario.interventions]
    also = list(also or ())
    periods = scenario.settings.horizon
    names = list(scenario.interventions) if appraisals else []
    # every flow, each appraisal's cumulative net, and what is kept of the arms simulated beside
    series = len(arms) * len(engine.OUTPUTS) + len(names) + len(also) * len(APPRAISED_OUTPUTS)
    memory = mmap.mmap(-1, max(1, draws * 8 * (series * periods + len(names) * len(_PER_DRAW))))
    offset = 0

    def take(shape: tuple[int, ...], order: str = "F") -> np.ndarray:
        nonlocal offset
        array = np.ndarray(shape, dtype=np.float64, buffer=memory, offset=offset, order=order)
        offset += int(np.prod(shape)) * 8
        return array

    # Flows draws-contiguous as the engine makes them, cumulative nets period-contiguous as np.cumsum makes
    # them: a band's mean over draws adds in the order its layout gives, so each keeps the layout it always had.
    store = {"flows": {arm: {name: take((draws, periods)) for name in engine.OUTPUTS} for arm in arms},
             "appraisals": {name: {**{key: take((draws,)) for key in _PER_DRAW},
                                   "cumulative_net": take((draws, periods), order="C")}
                            for name in names} if appraisals else None,
             "also": {arm: {name: take((draws, periods)) for name in APPRAISED_OUTPUTS} for arm in also}}
    token = max(_SHARED, default=0) + 1
    _SHARED[token] = store
    return token


def _shared_appraisals(arrays: dict[str, dict[str, np.ndarray]]) -> dict[str, Appraisal]:
    """The appraisals the workers wrote into shared memory (:func:`_shared_flows`)."""
    return {name: Appraisal(**parts) for name, parts in arrays.items()}


def _rows_like(array: np.ndarray, rows: int) -> np.ndarray:
    """An empty array of ``rows`` rows shaped and laid out as ``np.concatenate`` of arrays like ``array``."""
    order = "F" if array.flags.f_contiguous and not array.flags.c_contiguous else "C"
    return np.empty((rows, *array.shape[1:]), dtype=array.dtype, order=order)


def evaluate_streamed(scenario, values, seed, shared: Pool, chunk_draws=None, progress=None):
    """Per-draw appraisals and support totals of every chunk, its per-period series written to a spill.

    Memory holds the per-draw results and one chunk's flows at a time, whatever
    the number of draws. Returns (appraisals, support totals per arm, spill).
    """
    spill = SeriesSpill(scenario.settings.horizon)
    pieces, support = [], []
    for _, first, (flows, appraisals) in _map_chunks(scenario, [values], seed, shared, chunk_draws, progress, False, "both"):
        series = {(arm, metric): array for arm, arm_flows in flows.items() for metric, array in arm_flows.items()}
        series.update({(name, "cumulative_discounted_net"): a.cumulative_net for name, a in appraisals.items()})
        spill.add(first, series)
        pieces.append({name: per_draw(a) for name, a in appraisals.items()})
        support.append({arm: support_totals(arm_flows) for arm, arm_flows in flows.items()})
    totals = {arm: {name: np.concatenate([part[arm][name] for part in support]) for name in support[0][arm]}
              for arm in support[0]}
    return _join(pieces), totals, spill


def chunk_bounds(draws: int, workers: int, chunk_draws: int | None) -> list[tuple[int, int]]:
    """(first, count) of each chunk of a run: whole blocks of :data:`streams.BLOCK`, a few per worker so progress moves."""
    if chunk_draws is None:
        chunk_draws = min(MAX_CHUNK, -(-draws // (4 * workers)))
    size = max(streams.BLOCK, -(-chunk_draws // streams.BLOCK) * streams.BLOCK)
    return [(first, min(size, draws - first)) for first in range(0, draws, size)]


def prepare_kernels(scenario: Scenario, shared: Pool, also=None) -> None:
    """Load the compiled kernels a run of ``scenario`` calls before ``shared`` forks its workers.

    The workers then inherit them instead of each loading (or compiling) them again. Three
    draws of the scenario run here first, so exactly the kernels its run calls are loaded
    from numba's cache (or compiled), with the argument types the run gives them. Elsewhere
    (one process, spawned workers, a Dask cluster, or workers already forked) the kernels
    load where they are first called. ``also``: arms the run simulates beside (:func:`evaluate`).
    """
    if not getattr(shared, "forks", False) or shared.started:
        return
    evaluate(scenario, sample(scenario, 3, 0), 0, also=also)


def _map_chunks(scenario, value_sets, seed, shared: Pool, chunk_draws, progress, expected, mode, into=None, also=None):
    """(set index, first draw, chunk result) of every chunk of every set, in order, from the pool.

    ``into`` (a :func:`_shared_flows` token per set) has the workers write their flows there
    and return None."""
    if not expected:
        prepare_kernels(scenario, shared, also)
    jobs, owners = [], []
    shipped = Shipped(scenario)
    for index, values in enumerate(value_sets):
        draws = len(next(iter(values.values())))
        for first, count in chunk_bounds(draws, shared.size, chunk_draws):
            chunk = {path: array[first : first + count] for path, array in values.items()}
            jobs.append((shipped, chunk, seed, first, expected, mode, into[index] if into else None, also))
            owners.append((index, first, count))
    total = sum(count for _, _, count in owners)
    done = 0
    parts = shared.map(_evaluate_job, jobs)
    if progress:
        progress(0, total)  # the workers have their chunks: the caller may use this process meanwhile
    for (index, first, count), part in zip(owners, parts):
        done += count
        yield index, first, part
        if progress:
            progress(done, total)


def _join(pieces: list[dict[str, Appraisal]]) -> dict[str, Appraisal]:
    """Per-draw appraisals of chunks concatenated along the draws axis."""
    return {
        name: Appraisal(**{key: np.concatenate([getattr(p[name], key) for p in pieces]) for key in _PER_DRAW}, cumulative_net=None)
        for name in pieces[0]
    }


_PER_DRAW = ("pv_benefit", "pv_cost", "npv", "roi", "payback")


def per_draw(a: Appraisal) -> Appraisal:
    """The appraisal without its per-period cumulative cash flow."""
    return Appraisal(**{key: getattr(a, key) for key in _PER_DRAW}, cumulative_net=None)


def _evaluate_job(job):
    """One chunk in a worker: its flows ('flows') or its flows and appraisals ('both')."""
    scenario, values, seed, first, expected, mode, into, also = job
    scenario = received(scenario)
    flows = evaluate(scenario, values, seed, first, expected, copy=into is None, also=also)
    if into is not None:
        store = _SHARED[into]
        rows = slice(first, first + len(next(iter(values.values()))))
        for arm, arm_flows in (*store["flows"].items(), *store["also"].items()):
            for name, array in arm_flows.items():
                array[rows] = flows[arm][name]
        if store["appraisals"] is not None:  # appraised from the shared rows: the layout the whole run has
            chunk = {arm: {name: array[rows] for name, array in arm_flows.items()} for arm, arm_flows in store["flows"].items()}
            for name, appraisal in appraise_all(scenario, values, chunk).items():
                for key, array in store["appraisals"][name].items():
                    array[rows] = getattr(appraisal, key)
        return None
    for arm in also or ():  # what is kept of the arms simulated beside: no more goes back through the pipe
        flows[arm] = {name: flows[arm][name] for name in APPRAISED_OUTPUTS}
    if mode == "flows":
        return flows
    return flows, appraise_all(scenario, values, flows)  # "both"
