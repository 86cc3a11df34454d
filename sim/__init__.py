"""cxroi: Monte Carlo ROI distributions for customer-support and CX investments.

From Python::

    import sim
    sc = sim.load("scenarios/nordic_midsize.toml")
    res = sim.run(sc, draws=10_000, seed=1)
    res.summary()      # one row per intervention (pandas)
    res.draws          # one row per draw: sampled inputs and outcomes (pandas)

    sim.sweep(sc, {"segments.b2b.monthly_churn": [0.01, 0.02]}).tables["sweep"]
    sim.tornado(sc).tables["tornado"]
    sim.sensitivity(sc).tables["sobol"]
    sim.breakeven(sc, "interventions.faster_response.recurring_cost").summary
    sim.voi(sc).tables["voi"]
    sim.pilot(sc, "faster_response").tables["pilot"]   # EVSI, cost, net gain and power per pilot size
"""

from sim.analyses.breakeven import breakeven
from sim.analyses.pilot import pilot
from sim.analyses.sensitivity import sensitivity
from sim.analyses.sweep import sweep
from sim.analyses.tornado import tornado
from sim.analyses.voi import voi
from sim.errors import ScenarioError, UsageError
from sim.model.labels import input_labels
from sim.model.result import BEYOND_HORIZON, Result
from sim.model.simulation import evaluate, run, sample
from sim.model.validation import Loaded
from sim.shell.loader import load
from sim.shell.results_folder import write as write_results
from sim.shell.results_folder import write_analysis

__all__ = [
    "BEYOND_HORIZON",
    "Loaded",
    "Result",
    "ScenarioError",
    "UsageError",
    "breakeven",
    "evaluate",
    "input_labels",
    "load",
    "pilot",
    "run",
    "sample",
    "sensitivity",
    "sweep",
    "tornado",
    "voi",
    "write_analysis",
    "write_results",
]
