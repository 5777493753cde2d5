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
    fc = sim.forecast(base, "open.csv", as_of="2024-09-02", n=200)   # today's open files: .summary(), .files()
    log = sim.read_log("permits.xes.gz", zone="Europe/Amsterdam")   # a real event log (CSV or XES)
    fitted = sim.fit(log, stage_by="prefix:2")   # a scenario of the process it records: .text, .scenario
    ev = sim.evaluate(base, log, n=20)          # how close the scenario is to the log: ev.to_dict(), ev.write(out)

Every public name is imported on first use: ``import sim`` loads nothing else (no NumPy, no SimPy, no
matplotlib), so that the command line (``python -m sim``, whose package this is) can set up its signal
handling before any heavy import, and ``sim.plots`` loads matplotlib only when a figure is wanted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.analysis.attribution import Attribution, attribute
    from sim.analysis.compare import Comparison, compare
    from sim.analysis.evaluate import Evaluation, evaluate
    from sim.analysis.forecast import forecast
    from sim.analysis.forecast_result import Forecast
    from sim.analysis.sweep import SweepResult, TornadoResult, sweep, tornado
    from sim.core.errors import CalendarWarning, LogError, Problem, ScenarioError
    from sim.core.output_places import OutputError
    from sim.eventlog.model import EventLog
    from sim.eventlog.reading import read_log
    from sim.fitting.fit import FittedScenario, fit
    from sim.present import plots
    from sim.runs.runner import RunResult, run
    from sim.runs.tables import Table
    from sim.scenario.backlog import Backlog
    from sim.scenario.backlog_reading import read_backlog
    from sim.scenario.loading import load
    from sim.scenario.scenario import Scenario

#: public name -> the module that defines it (imported on first use)
_HOME = {
    "Attribution": "sim.analysis.attribution",
    "attribute": "sim.analysis.attribution",
    "Comparison": "sim.analysis.compare",
    "compare": "sim.analysis.compare",
    "Evaluation": "sim.analysis.evaluate",
    "evaluate": "sim.analysis.evaluate",
    "Forecast": "sim.analysis.forecast_result",
    "forecast": "sim.analysis.forecast",
    "SweepResult": "sim.analysis.sweep",
    "TornadoResult": "sim.analysis.sweep",
    "sweep": "sim.analysis.sweep",
    "tornado": "sim.analysis.sweep",
    "CalendarWarning": "sim.core.errors",
    "Problem": "sim.core.errors",
    "ScenarioError": "sim.core.errors",
    "LogError": "sim.core.errors",
    "EventLog": "sim.eventlog.model",
    "read_log": "sim.eventlog.reading",
    "FittedScenario": "sim.fitting.fit",
    "fit": "sim.fitting.fit",
    "OutputError": "sim.core.output_places",
    "RunResult": "sim.runs.runner",
    "run": "sim.runs.runner",
    "Table": "sim.runs.tables",
    "Backlog": "sim.scenario.backlog",
    "read_backlog": "sim.scenario.backlog_reading",
    "load": "sim.scenario.loading",
    "Scenario": "sim.scenario.scenario",
}

__all__ = [
    "Attribution",
    "Backlog",
    "CalendarWarning",
    "Comparison",
    "Evaluation",
    "EventLog",
    "FittedScenario",
    "Forecast",
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
    "evaluate",
    "fit",
    "forecast",
    "load",
    "plots",
    "read_backlog",
    "read_log",
    "run",
    "sweep",
    "tornado",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    import importlib

    if name == "plots":
        value: Any = importlib.import_module("sim.present.plots")
    elif name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
    else:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    globals()[name] = value  # the next look-up does not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
