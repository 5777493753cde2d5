"""The project a timeline follows: replication 0 of each scenario traced step by step, and one project chosen in it.

With common random numbers, replication 0 of every scenario sees the same projects (same ids, signing dates and
draws), so one project can be followed through each scenario.  It is chosen in the first scenario:

- ``"median"``: the project whose time to production is closest to the scenario's median;
- ``"large"``: the same among the projects of the class with the largest mean investment (the large plants of
  the shipped scenarios), closest to that class's median;
- a project id (``"s00005"``, a named project's id): that project.

The default is ``"large"`` when the scenario has more than one class, else ``"median"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.engine.compiled import CompiledScenario
from sim.engine.records import ProjectRecord, ReplicationResult
from sim.engine.replication import simulate
from sim.runs.summary import Summary
from sim.scenario.scenario import Scenario

#: the choices of :func:`choose_projects` besides a project id
CHOICES = ("median", "large")


class UnknownProject(ValueError):
    """A project choice that is neither ``median``, ``large`` nor a project of replication 0; ``detail`` says
    which ids there are."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


@dataclass
class TypicalProject:
    """One project's trace in one scenario, for the timeline figure.

    Attributes:
        scenario: the scenario's name.
        project: the project's id.
        signed: its signing (clock time).
        events: its steps as (stage, step, resource, start, end).
        milestones: clock time of each milestone reached.
        issued: clock time of each agency stage's decision.
        cls: its class id.
        investment_cny: its investment.
        kpi: its KPIs (``approval_workdays``, ``to_production_months`` ...; NaN where not reached).
        same_day: the agency stages that decided on the day the application was submitted.
        attributes: its attributes as drawn (which shutdown windows it is exempt from, for example).
        chosen: how it was chosen, in words.
    """

    scenario: str
    project: str
    signed: float
    events: list[tuple[str, str, str, float, float]]  # (stage, step, resource, start, end)
    milestones: dict[str, float]
    issued: dict[str, float]
    cls: str = ""
    investment_cny: float = math.nan
    kpi: dict[str, float] = field(default_factory=dict)
    same_day: tuple[str, ...] = ()
    attributes: dict[str, Any] = field(default_factory=dict)
    chosen: str = ""


def trace(compiled: Sequence[CompiledScenario], seed: int) -> list[ReplicationResult]:
    """Replication 0 of each scenario with its event log (the material :func:`choose_projects` picks from)."""
    return [simulate(cs, 0, seed, events=True) for cs in compiled]


def default_choice(scenario: Scenario) -> str:
    """``"large"`` when ``scenario`` has more than one project class, else ``"median"``."""
    return "large" if len(scenario.classes) > 1 else "median"


def check_choice(traces: Sequence[ReplicationResult], scenarios: Sequence[Scenario], choice: str) -> None:
    """Raise ValueError unless ``choice`` is ``median``, ``large`` or a project of the first scenario's
    replication 0 (whose ids the message lists)."""
    if choice in CHOICES or any(p.id == choice for p in traces[0].projects):
        return
    ids = [p.id for p in traces[0].projects]
    shown = ", ".join(ids[:8]) + (f", ... {ids[-1]}" if len(ids) > 8 else "")
    detail = (
        f"no project {choice!r} in replication 0 of {scenarios[0].name!r}: give 'median', 'large' or one of its "
        f"{len(ids)} project ids ({shown or 'none'})"
    )
    raise UnknownProject(detail, detail)


def _largest_class(projects: Sequence[ProjectRecord]) -> str:
    """The class whose projects invest the most on average (ties: the first in the list)."""
    by_class: dict[str, list[float]] = {}
    for p in projects:
        by_class.setdefault(p.cls, []).append(p.investment_cny)
    return max(by_class, key=lambda c: sum(by_class[c]) / len(by_class[c]))


def _closest_to_median(projects: Sequence[ProjectRecord], p50: float | None) -> ProjectRecord:
    """The project whose time to production is closest to ``p50`` (ties: the earliest signed); if none reached
    production or there is no median, the earliest signed."""
    reached = [p for p in projects if not math.isnan(p.kpi["to_production_months"])]
    if not reached or p50 is None:
        return min(projects, key=lambda p: p.signed)
    return min(reached, key=lambda p: (abs(p.kpi["to_production_months"] - p50), p.signed))


def choose_projects(
    traces: Sequence[ReplicationResult],
    scenarios: Sequence[Scenario],
    summaries: Sequence[Summary],
    choice: str | None = None,
) -> list[TypicalProject]:
    """The project ``choice`` (see the module) of the first scenario's replication 0, traced in every scenario
    that has it (an empty list if replication 0 has no project).

    Raises:
        UnknownProject: ``choice`` is not ``median``, ``large`` nor a project id of replication 0.
    """
    first = traces[0].projects
    if not first:
        return []
    choice = default_choice(scenarios[0]) if choice is None else choice
    check_choice(traces, scenarios, choice)
    if choice == "median":
        pick = _closest_to_median(first, summaries[0].kpis["to_production_months"].to_dict()["p50"])
        how = f"the project of median time to production in {scenarios[0].name}"
    elif choice == "large":
        cls = _largest_class(first)
        acc = summaries[0].classes[cls]["to_production_months"]
        pick = _closest_to_median([p for p in first if p.cls == cls], acc.to_dict()["p50"])
        many = len(scenarios[0].classes) > 1
        how = (
            f"the project of median time to production among the class '{cls}' projects"
            + (" (the largest investments)" if many else "")
            + f" in {scenarios[0].name}"
        )
    else:
        pick = next(p for p in first if p.id == choice)
        how = f"project {choice}, as asked"
    out = []
    for sc, res in zip(scenarios, traces):
        traced = next((p for p in res.projects if p.id == pick.id), None)
        if traced is None:
            continue
        if res.events is None:  # simulate(events=True) records them
            raise ValueError(f"replication 0 of {sc.name!r} recorded no events")
        events = [(stage, step, who, t0, t1) for idx, stage, step, who, t0, t1 in res.events if idx == traced.idx]
        same_day = tuple(visit.stage for idx, _, visit in res.stages if idx == traced.idx and visit.same_day == 1.0)
        out.append(
            TypicalProject(
                sc.name,
                traced.id,
                traced.signed,
                events,
                dict(traced.milestones),
                dict(traced.issued),
                traced.cls,
                traced.investment_cny,
                dict(traced.kpi),
                same_day,
                dict(traced.attributes),
                how,
            )
        )
    return out
