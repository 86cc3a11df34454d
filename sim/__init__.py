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
    sim.pilot(sc, "faster_response").tables["pilot"]   # EVSI, cost, net gain and power per measure (power_b2b_bad, ...) per pilot size
    sim.portfolio(sc, budget=300_000).summary["choice"]  # the combination of interventions to fund

    # the `cxroi fit` commands: data frames in, a report out (estimates, the inputs to write, the --json summary)
    import pandas as pd
    fit = sim.customers_report(pd.read_csv("scenarios/data/customers.csv"))
    fit.summary["segments"]["retail"]["alpha"]
    fit.writes.updates   # churn_mix per segment, as InputUpdate(path, spec, comment)
    sim.orders_report(pd.read_csv("scenarios/data/orders.csv"), customers=pd.read_csv("scenarios/data/customers.csv"))
    sim.pilot_report("churn", sim.Arm(40, 500), sim.Arm(60, 500)).summary

Every name is loaded on first use (PEP 562 module ``__getattr__``): ``import sim``
and the ``cxroi`` command's start-up do not pay for pandas, scipy.stats, SALib or
matplotlib until something needs them.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

_WHERE = {
    "Arm": ("sim.fit.pilot", "Arm"),
    "BEYOND_HORIZON": ("sim.compute.result", "BEYOND_HORIZON"),
    "Loaded": ("sim.model.validation", "Loaded"),
    "Result": ("sim.compute.result", "Result"),
    "ScenarioError": ("sim.errors", "ScenarioError"),
    "UsageError": ("sim.errors", "UsageError"),
    "breakeven": ("sim.analyses.breakeven", "breakeven"),
    "customers_report": ("sim.fit.customers_report", "customers_report"),
    "evaluate": ("sim.compute.simulation", "evaluate"),
    "input_labels": ("sim.model.labels", "input_labels"),
    "load": ("sim.shell.loader", "load"),
    "orders_report": ("sim.fit.orders_report", "orders_report"),
    "pilot": ("sim.analyses.pilot", "pilot"),
    "pilot_report": ("sim.fit.pilot_report", "pilot_report"),
    "portfolio": ("sim.analyses.portfolio", "portfolio"),
    "run": ("sim.compute.simulation", "run"),
    "sample": ("sim.compute.simulation", "sample"),
    "scheduler": ("sim.compute.parallel", "scheduler"),
    "sensitivity": ("sim.analyses.sensitivity", "sensitivity"),
    "support_report": ("sim.fit.support_report", "support_report"),
    "sweep": ("sim.analyses.sweep", "sweep"),
    "tornado": ("sim.analyses.tornado", "tornado"),
    "voi": ("sim.analyses.voi", "voi"),
    "write_analysis": ("sim.shell.results_folder", "write_analysis"),
    "write_results": ("sim.shell.results_folder", "write"),
}
"""Public name -> (module, attribute) it is loaded from."""

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'sim' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


_SHOWN_AS_HTML = (
    ("sim.compute.result", "Result"),
    ("sim.analyses.common", "Analysis"),
    ("sim.fit.mle", "FromEstimates"),  # BG/NBD, NBD purchase-rate and Gamma-Gamma spend fits
    ("sim.fit.retention", "RetentionFit"),
    ("sim.fit.retention", "RetentionHoldout"),
    ("sim.fit", "OrdersFit"),
    ("sim.fit", "OrdersHoldout"),
    ("sim.fit", "PurchaseRateHoldout"),
    ("sim.fit.support", "SupportFit"),
)
"""Classes a notebook shows as HTML tables (module where each is defined, class name)."""


def _show_as_html(obj: Any) -> str:
    from sim.reporting.notebook import to_html

    return to_html(obj)


def _notebook_display() -> None:
    """In IPython (Jupyter), show runs, analyses and fits as HTML tables (sim/reporting/notebook.py).

    The formatters are registered by class name, so nothing loads until an object is shown,
    and the classes' own parts never import the reporting part (tests/test_layout.py).
    """
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    html = shell.display_formatter.formatters["text/html"]
    for module, name in _SHOWN_AS_HTML:
        html.for_type_by_name(module, name, _show_as_html)


_notebook_display()


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, eagerly
    from sim.analyses.breakeven import breakeven
    from sim.analyses.pilot import pilot
    from sim.analyses.portfolio import portfolio
    from sim.analyses.sensitivity import sensitivity
    from sim.analyses.sweep import sweep
    from sim.analyses.tornado import tornado
    from sim.analyses.voi import voi
    from sim.errors import ScenarioError, UsageError
    from sim.fit.customers_report import customers_report
    from sim.fit.orders_report import orders_report
    from sim.fit.pilot import Arm
    from sim.fit.pilot_report import pilot_report
    from sim.fit.support_report import support_report
    from sim.model.labels import input_labels
    from sim.compute.result import BEYOND_HORIZON, Result
    from sim.compute.parallel import scheduler
    from sim.compute.simulation import evaluate, run, sample
    from sim.model.validation import Loaded
    from sim.shell.loader import load
    from sim.shell.results_folder import write as write_results
    from sim.shell.results_folder import write_analysis
