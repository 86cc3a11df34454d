"""cxroi: Monte Carlo ROI distributions for customer-support and CX investments.

From Python::

    import sim
    sc = sim.load("scenarios/nordic_midsize.toml")
    res = sim.run(sc, draws=10_000, seed=1)
    res.summary()      # one row per intervention (pandas)
    res.draws          # one row per draw: sampled inputs and outcomes (pandas)
"""

from sim.errors import ScenarioError, UsageError
from sim.loader import Loaded, load
from sim.result import Result
from sim.simulation import evaluate, run, sample
from sim.results_folder import write as write_results

__all__ = [
    "Loaded",
    "Result",
    "ScenarioError",
    "UsageError",
    "evaluate",
    "load",
    "run",
    "sample",
    "write_results",
]
