"""approval-sim: discrete-event simulation of government project-approval workflows.

The public API::

    import sim
    sc = sim.load("scenarios/pre_reform.toml", {"agencies.planning.staff": 4})
    res = sim.run(sc, n=200, seed=1)
    res.summary["key_figures"]["approval_workdays"]
"""
from .errors import CalendarWarning, Problem, ScenarioError
from .loading import load
from .runner import RunResult, run
from .scenario import Scenario

__all__ = ["CalendarWarning", "Problem", "RunResult", "Scenario", "ScenarioError", "load", "run"]
__version__ = "0.1.0"
