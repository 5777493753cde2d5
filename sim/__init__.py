"""approval-sim: discrete-event simulation of government project-approval workflows.

The public API::

    import sim
    base = sim.load("scenarios/pre_reform.toml")
    faster = base.with_overrides({"agencies.planning.staff": 4}).with_levers(["tolerant_acceptance"])
    res = sim.run(faster, n=200, seed=1)        # .summary(), .projects, .stages, .to_dataframe()
    cmp = sim.compare([base, faster], n=200, seed=1)
    fig = sim.plots.timeline(cmp)               # every plot function returns a matplotlib Figure
    grid = sim.sweep(base, {"agencies.planning.staff": [1, 2, 4]}, n=100)
    sens = sim.tornado(base, {"agencies.land.staff": (1, 4)}, n=100)
    att = sim.attribute(sim.load("scenarios/reform.toml"), n=20)
    log = sim.read_log("permits.xes.gz", zone="Europe/Amsterdam")   # a real event log (CSV or XES)

``sim.plots`` is imported on first use, so ``import sim`` does not load matplotlib.
"""

from __future__ import annotations

from typing import Any

from sim.analysis.attribution import Attribution, attribute
from sim.analysis.compare import Comparison, compare
from sim.analysis.sweep import SweepResult, TornadoResult, sweep, tornado
from sim.core.errors import CalendarWarning, LogError, Problem, ScenarioError
from sim.eventlog.model import EventLog
from sim.eventlog.reading import read_log
from sim.runs.output import OutputError
from sim.runs.runner import RunResult, run
from sim.runs.tables import Table
from sim.scenario.loading import load
from sim.scenario.scenario import Scenario

__all__ = [
    "Attribution",
    "CalendarWarning",
    "Comparison",
    "EventLog",
    "LogError",
    "OutputError",
    "Problem",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SweepResult",
    "Table",
    "TornadoResult",
    "attribute",
    "compare",
    "load",
    "plots",
    "read_log",
    "run",
    "sweep",
    "tornado",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "plots":  # lazily: matplotlib is heavy and only figures need it
        import importlib

        return importlib.import_module("sim.present.plots")
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
