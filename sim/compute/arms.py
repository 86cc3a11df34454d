"""Simulate once, appraise many: each distinct arm of an analysis is simulated once.

An analysis evaluates many points (sweep values, break-even candidates, tornado
ends, Sobol design rows). Under common random numbers an arm's flows depend only
on its *engine inputs* — the baseline's and the arm's engine parameters and
support-operations values, and the draw index — not on the inputs the appraisal
alone reads (an intervention's one-off and recurring cost) nor on the other
interventions' inputs. :class:`ArmStore` keys every arm of every point by a hash of
those engine inputs, simulates only the keys it has not seen, and appraises each
point from the stored flows: a break-even on a cost is one simulation, and a point
that moves one intervention re-simulates that intervention's arm alone.

The numbers are those of simulating every arm at every point: an arm simulated
alone reads the same scores as when stacked beside the others
(:func:`sim.compute.simulation.evaluate` with ``arms``), and the appraisal is the
same per-draw function of the same flows.
"""

from __future__ import annotations

import hashlib
from collections import Counter, OrderedDict
from collections.abc import Callable

import numpy as np

from sim.compute.simulation import (APPRAISED_OUTPUTS, BASELINE, Appraisal, Shipped, appraise_intervention, arm_benefit,
                                    chunk_bounds, evaluate, per_draw, prepare_kernels, received)
from sim.compute.parallel import Pool
from sim.model.inputs import arm_members, arm_values, engine_parameters
from sim.model.scenario import Scenario

MEMORY_BUDGET = 768 * 2**20
"""Stored flows beyond this many bytes are dropped, least recently used first (re-simulated if asked again)."""

Progress = Callable[[int, int], None]


def engine_keys(scenario: Scenario, values: dict[str, np.ndarray], expected: bool, arms=None,
                digests: dict | None = None) -> dict:
    """Per arm (None for the baseline), a hash of everything that decides its flows at these input values
    but the seed and the draw indices: every input but the interventions', and the arm's own
    interventions' inputs but their one-off and recurring costs (which only the appraisal reads).

    ``arms`` are the arms besides the baseline (default every intervention); a combination
    (a tuple of names) is keyed by each of its members' inputs. The engine parameters, ramps and
    operations of an arm follow from those inputs alone (:func:`sim.model.inputs.engine_parameters`,
    :func:`~sim.model.inputs.arm_values`, :func:`~sim.model.inputs.operations_plan`), so equal keys
    mean equal flows. Each input array is hashed once per ``digests`` (a memo by array, shared by
    the sets of one call: the sets of an analysis share every array they do not pin), not each
    engine parameter of each arm again.
    """
    draws = len(next(iter(values.values())))
    digests = {} if digests is None else digests

    def digest(paths) -> bytes:
        return b"".join(path.encode() + array_digest(values[path], digests) for path in paths)

    paths = sorted(values)
    shared = digest(path for path in paths if not path.startswith("interventions."))
    keys = {}
    for arm in [None, *(scenario.interventions if arms is None else arms)]:
        own = b""
        for member in arm_members(scenario, arm):
            prefix = f"interventions.{member}."
            costs = (prefix + "one_off_cost", prefix + "recurring_cost")
            own += digest(path for path in paths if path.startswith(prefix) and path not in costs)
        keys[arm] = hashlib.blake2b(repr((arm, expected, draws)).encode() + shared + own, digest_size=20).digest()
    return keys


def array_digest(array: np.ndarray, digests: dict) -> bytes:
    """A hash of an array's values, computed once per array while ``digests`` (the memo) lives."""
    known = digests.get(id(array))
    if known is None or known[0] is not array:  # (the memo holds the array, so its id is not reused meanwhile)
        known = digests[id(array)] = (array, hashlib.blake2b(np.ascontiguousarray(array).tobytes(), digest_size=16).digest())
    return known[1]


class ArmStore:
    """Flows of the arms simulated so far for one scenario, seed and number of draws, by engine key.

    :meth:`appraisals` takes sets of input values (each a full table of draws) and
    returns every intervention's per-draw appraisal for each set, simulating only
    the (arm, key) pairs not stored yet, all of them as one stream of chunks.
    """

    def __init__(self, scenario: Scenario, seed: int, pool: Pool, *, expected: bool = False, arms=None):
        """``arms``: the arms appraised besides the baseline (default every intervention; a tuple
        of names is a combination of interventions, :mod:`sim.analyses.portfolio`)."""
        self.scenario = scenario
        self.arms = list(scenario.interventions if arms is None else arms)
        self.seed = seed
        self.pool = pool
        self.expected = expected
        self._flows: OrderedDict[bytes, dict[str, np.ndarray]] = OrderedDict()
        self.simulated = 0
        """Arms simulated so far (each arm of each distinct key once): what the reuse saved is visible."""
        self.last_keys: list[dict] = []
        """Each set's engine keys by arm in the last :meth:`appraisals` (for :meth:`stored`)."""
        self._remembered: dict = {}
        """Digests of the arrays :meth:`remember` hashed (a run's inputs): the sets that reuse them are not hashed again."""

    def appraisals(self, value_sets: list[dict[str, np.ndarray]], progress: Progress | None = None) -> list[dict[str, Appraisal]]:
        """Each set's per-draw appraisal of every intervention (without the cumulative cash flow).

        Sets are appraised in order as soon as their arms are in, and flows no later set
        needs may then be dropped, so memory stays near :data:`MEMORY_BUDGET` however many sets.
        """
        arms = [None, *self.arms]
        digests: dict = dict(self._remembered)
        keys = [engine_keys(self.scenario, values, self.expected, self.arms, digests) for values in value_sets]
        self.last_keys = keys
        pending = Counter(key for set_keys in keys for key in set_keys.values())
        wanted: dict[int, list[tuple[str | None, bytes]]] = {}
        seen = set(self._flows)
        for index, set_keys in enumerate(keys):
            for arm, key in set_keys.items():
                if key not in seen:
                    seen.add(key)
                    wanted.setdefault(index, []).append((arm, key))
        chunks = self._simulate(value_sets, wanted, progress)
        results = []
        # Sets that share an arm's and the baseline's flows share its benefit, and with the same costs its appraisal.
        # (Kept while a later set needs them: a benefit is as large as the flows.)
        benefits: dict[tuple[bytes, bytes], tuple[np.ndarray, np.ndarray]] = {}
        appraised: dict[tuple, Appraisal] = {}
        needed = Counter((set_keys[name], set_keys[None]) for set_keys in keys for name in self.arms)
        for index, (values, set_keys) in enumerate(zip(value_sets, keys)):
            for _ in range(chunks.jobs_of(index)):
                next(chunks)
            flows = {(arm or BASELINE): self._flows[set_keys[arm]] for arm in arms}
            found = {}
            for name in self.arms:
                pair = (set_keys[name], set_keys[None])
                costs = b"".join(array_digest(values[f"interventions.{member}.{cost}"], digests)
                                 for member in arm_members(self.scenario, name) for cost in ("one_off_cost", "recurring_cost"))
                if (pair, costs) not in appraised:
                    if pair not in benefits:
                        benefits[pair] = arm_benefit(self.scenario, flows, name)
                    appraised[(pair, costs)] = per_draw(appraise_intervention(self.scenario, values, flows, name,
                                                                             benefits[pair]))
                found[name] = appraised[(pair, costs)]
                needed[pair] -= 1
                if needed[pair] == 0:
                    benefits.pop(pair, None)
            results.append(found)
            for key in set_keys.values():
                self._flows.move_to_end(key)
                pending[key] -= 1
            self._trim(pending)
        return results

    def remember(self, values: dict[str, np.ndarray], flows: dict[str, dict[str, np.ndarray]]) -> None:
        """Store the flows of arms already simulated at ``values`` (a finished run's ``flows``: the baseline
        and each intervention, by name), so that :meth:`appraisals` simulates only the arms they lack.

        The numbers are unchanged: an arm's flows are the same simulated alone or beside others
        (:func:`sim.compute.simulation.evaluate`), so a run's arms are what the store would simulate.
        """
        keys = engine_keys(self.scenario, values, self.expected, [arm for arm in flows if arm != BASELINE],
                           self._remembered)
        for arm, key in keys.items():
            arm_flows = flows[arm or BASELINE]
            self._flows[key] = {name: arm_flows[name] for name in APPRAISED_OUTPUTS}

    def stored(self, key: bytes) -> dict[str, np.ndarray]:
        """The stored flows of an arm by its engine key (:func:`engine_keys`), simulated by an earlier :meth:`appraisals`."""
        return self._flows[key]

    def _simulate(self, value_sets, wanted: dict[int, list[tuple[str | None, bytes]]], progress: Progress | None):
        """The wanted arms of each set, simulated together in chunks over the pool, stored as chunks arrive."""
        jobs, owners = [], []
        if wanted and not self.expected:
            prepare_kernels(self.scenario, self.pool)  # before the workers fork, so they inherit the kernels
        shipped = Shipped(self.scenario) if wanted else None
        for index, pairs in wanted.items():
            values = value_sets[index]
            draws = len(next(iter(values.values())))
            arms = [arm for arm, _ in pairs]
            for first, count in chunk_bounds(draws, self.pool.size, None):
                chunk = {path: array[first : first + count] for path, array in values.items()}
                jobs.append((shipped, chunk, self.seed, first, self.expected, arms))
                owners.append((index, pairs, first, count, draws))
        self.simulated += sum(len(pairs) for pairs in wanted.values())
        return _Chunks(self, owners, self.pool.map(_arm_job, jobs) if jobs else iter(()), wanted, progress)

    def _store(self, pairs, first: int, count: int, draws: int, part) -> None:
        for arm, key in pairs:
            arrays = part[arm or BASELINE]
            if key not in self._flows:
                self._flows[key] = {name: _rows_like(array, draws) for name, array in arrays.items()}
            for name, array in arrays.items():
                self._flows[key][name][first : first + count] = array

    def _trim(self, pending: Counter) -> None:
        """Drop the least recently used flows that no set still waiting needs while above the budget."""
        size = sum(array.nbytes for flows in self._flows.values() for array in flows.values())
        for key in list(self._flows):
            if size <= MEMORY_BUDGET:
                break
            if pending[key] <= 0:
                size -= sum(array.nbytes for array in self._flows.pop(key).values())


class _Chunks:
    """The pool's chunk results in job order, each stored on arrival (:meth:`ArmStore._store`)."""

    def __init__(self, store: ArmStore, owners, results, wanted, progress):
        self._store, self._owners, self._results, self._progress = store, owners, results, progress
        self._per_set = Counter(index for index, *_ in owners)
        self._position = self._done = 0
        self._total = sum(owner[3] for owner in owners)

    def jobs_of(self, index: int) -> int:
        """How many chunks simulate set ``index``'s new arms (0 when all were stored already)."""
        return self._per_set.get(index, 0)

    def __next__(self) -> None:
        _, pairs, first, count, draws = self._owners[self._position]
        self._store._store(pairs, first, count, draws, next(self._results))
        self._position += 1
        self._done += count
        if self._progress:
            self._progress(self._done, self._total)


def _rows_like(array: np.ndarray, rows: int) -> np.ndarray:
    """An empty array of ``rows`` rows laid out as the chunks' (draws contiguous where theirs are)."""
    order = "F" if array.flags.f_contiguous and not array.flags.c_contiguous else "C"
    return np.empty((rows, *array.shape[1:]), dtype=array.dtype, order=order)


def _arm_job(job):
    """One chunk of some arms in a worker: the flows an appraisal reads."""
    scenario, values, seed, first, expected, arms = job
    flows = evaluate(received(scenario), values, seed, first, expected, copy=False, arms=arms, keep_scores=True)
    # Each arm's own copy of what it sends back (as evaluate's copy=True makes them), the other outputs left.
    return {arm: {name: flows[arm][name].copy(order="K") for name in APPRAISED_OUTPUTS} for arm in flows}


def appraise_expected(scenario: Scenario, values: dict[str, np.ndarray], pool: Pool) -> dict[str, Appraisal]:
    """Every intervention's per-draw appraisal of a design at expected counts, each distinct row of each arm simulated once.

    At expected counts a row's flows depend on its engine inputs alone (no draw
    index), so rows that share them share flows: in a Saltelli or one-at-a-time
    design, a row that moves an intervention's cost moves no arm's flows, and one
    that moves an intervention's input moves only that arm's. The same numbers as
    simulating every row of every arm (each row's flows and appraisal are its own).
    """
    arms = [None, *scenario.interventions]
    base = _row_signature(scenario, values)
    pieces: dict[str | None, tuple[np.ndarray, np.ndarray]] = {}
    jobs, owners = [], []
    shipped = Shipped(scenario)
    for arm in arms:
        own = base if arm is None else np.hstack([base, _row_signature(scenario, arm_values(scenario, values, arm))])
        rows = np.ascontiguousarray(own).view(np.dtype((np.void, own.dtype.itemsize * own.shape[1]))).ravel()
        _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)  # rows[first][inverse] == rows
        pieces[arm] = (first, inverse.ravel())
        unique = {path: array[first] for path, array in values.items()}
        for start, count in chunk_bounds(len(first), pool.size, None):
            jobs.append((shipped, {path: a[start : start + count] for path, a in unique.items()}, 0, 0, True, [arm]))
            owners.append((arm, start, count, len(first)))
    flows: dict[str, dict[str, np.ndarray]] = {}
    for (arm, start, count, size), part in zip(owners, pool.map(_arm_job, jobs)):
        name = arm or BASELINE
        if name not in flows:
            flows[name] = {key: _rows_like(array, size) for key, array in part[name].items()}
        for key, array in part[name].items():
            flows[name][key][start : start + count] = array
    full = {}
    for arm in arms:
        name = arm or BASELINE
        _, inverse = pieces[arm]
        # Every row's flows, draws contiguous as a run's (sums over periods then add in the same order).
        full[name] = {key: np.asfortranarray(array[inverse]) for key, array in flows[name].items()}
    return {name: per_draw(appraise_intervention(scenario, values, full, name)) for name in scenario.interventions}


def _row_signature(scenario: Scenario, values: dict[str, np.ndarray]) -> np.ndarray:
    """(rows, k) engine parameters and operations values of one arm: equal rows simulate alike."""
    parameters = engine_parameters(scenario, values)
    columns = [parameters[name].reshape(len(parameters[name]), -1) for name in sorted(parameters)]
    columns += [values[path][:, None] for path in sorted(p for p in values if p.startswith("operations."))]
    return np.hstack(columns).astype(np.float64)
