"""A discrete-event contact centre in simpy: callers arrive, wait for an agent, may hang up.

This is the reference the analytic formulas (:mod:`sim.support.queueing`) are checked
against, and what ``cxroi staffing --simulate`` shows beside them. Rates are per
hour and times in hours, as there. Each replication runs on its own random
stream; measures are averaged over replications with 95 % confidence intervals
(Student t), so agreement with the formulas can be judged honestly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import simpy
from scipy import stats


@dataclass(frozen=True)
class Estimate:
    """A simulated measure: mean over replications and the half-width of its 95 % interval."""

    mean: float
    half_width: float

    def covers(self, value: float, slack: float = 0.0) -> bool:
        """Whether ``value`` lies within the interval (widened by ``slack``)."""
        return abs(value - self.mean) <= self.half_width + slack


@dataclass(frozen=True)
class SimulatedMeasures:
    agents: int
    prob_wait: Estimate
    service_level: Estimate
    asa: Estimate
    abandonment: Estimate
    occupancy: Estimate
    callers: int


def simulate(
    rate: float,
    handling: float,
    agents: int,
    patience: float | None,
    target: float,
    hours: float,
    seed: int,
    replications: int = 8,
    warm_up: float | None = None,
    handling_cv: float = 1.0,
) -> SimulatedMeasures:
    """Simulate ``replications`` runs of ``hours`` each (after a warm-up) of an M/G/c(+M) centre.

    Handling times are exponential when ``handling_cv`` (their coefficient of
    variation) is 1, as the Erlang formulas assume, and lognormal with that
    spread otherwise — real handling times usually vary less than exponential ones.
    """
    warm_up = 10 * handling + (2 * patience if patience else 0) if warm_up is None else warm_up
    seeds = np.random.SeedSequence(seed).spawn(replications)
    draw_handling = _handling_sampler(handling, handling_cv)
    runs = [_one_run(rate, agents, patience, target, hours, warm_up, np.random.default_rng(s), draw_handling) for s in seeds]
    columns = {key: np.array([run[key] for run in runs]) for key in runs[0] if key != "callers"}
    return SimulatedMeasures(
        agents=agents,
        callers=int(sum(run["callers"] for run in runs)),
        **{key: _estimate(values) for key, values in columns.items()},
    )


def _estimate(values: np.ndarray) -> Estimate:
    if len(values) < 2:
        return Estimate(float(values.mean()), float("inf"))
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return Estimate(float(values.mean()), float(half))


def _handling_sampler(mean: float, cv: float):
    """A function rng -> one handling time: exponential for cv = 1, else lognormal with that mean and cv."""
    if cv == 1.0:
        return lambda rng: rng.exponential(mean)
    sigma = np.sqrt(np.log1p(cv * cv))
    mu = np.log(mean) - sigma * sigma / 2
    return lambda rng: rng.lognormal(mu, sigma)


def _one_run(rate, agents, patience, target, hours, warm_up, rng, draw_handling) -> dict[str, float]:
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=agents)
    end = warm_up + hours
    record = {"callers": 0, "waited": 0, "within": 0, "answered": 0, "abandoned": 0, "wait_answered": 0.0, "busy": 0.0}

    def caller(arrived: float):
        counted = arrived >= warm_up
        with desk.request() as request:
            if patience:
                outcome = yield request | env.timeout(rng.exponential(patience))
                got_agent = request in outcome
            else:
                yield request
                got_agent = True
            wait = env.now - arrived
            if counted:
                record["callers"] += 1
                record["waited"] += wait > 0
            if not got_agent:
                if counted:
                    record["abandoned"] += 1
                return
            if counted:
                record["answered"] += 1
                record["within"] += wait <= target
                record["wait_answered"] += wait
            duration = draw_handling(rng)
            start = env.now
            yield env.timeout(duration)
            # Agent time counts inside the measured window only.
            record["busy"] += max(0.0, min(env.now, end) - max(start, warm_up))

    def arrivals():
        while True:
            yield env.timeout(rng.exponential(1.0 / rate))
            env.process(caller(env.now))

    env.process(arrivals())
    env.run(until=end)
    callers = max(record["callers"], 1)
    return {
        "callers": record["callers"],
        "prob_wait": record["waited"] / callers,
        "service_level": record["within"] / callers,
        "asa": record["wait_answered"] / max(record["answered"], 1),
        "abandonment": record["abandoned"] / callers,
        "occupancy": record["busy"] / (agents * hours),
    }
