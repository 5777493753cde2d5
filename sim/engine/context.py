"""What the stage processes of one replication are handed: a typed, frozen context."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import simpy

from sim.engine.agency import AgencyState
from sim.engine.compiled import CompiledScenario
from sim.engine.desk import Desk
from sim.engine.draws import DrawSource
from sim.engine.records import FinishedProject
from sim.scenario.calendar import WorkCalendar
from sim.scenario.conditions import Condition
from sim.scenario.stage_options import AgentPool

#: one activity of the event log: (project number, stage id, step, resource, start, end)
EventRow = tuple[int, str, str, str, float, float]


class ProjectSink(Protocol):
    """Where finished projects go: a :class:`~sim.engine.replication.Collector` keeps them whole, the runs
    layer's reducer folds them into arrays."""

    def add(self, project: FinishedProject) -> None:
        """Take one finished project."""


@dataclass(frozen=True, slots=True)
class RunContext:
    """The world of one replication, as the stage processes see it.

    Attributes:
        env: the SimPy environment.
        compiled: the compiled scenario.
        zone: the zone's working calendar (submissions wait for its office hours).
        worktime: clock time -> the zone's cumulative working days, for clock times of the run.
        next_open: clock time -> the zone's next office opening.
        agencies: agency id -> its desk, sittings and monitors.
        agents: the agent pool's specification, or None.
        agent_pool: the agents' desk, or None.
        draws: the replication's uniforms, a row per (project, stream).
        stream_keys: stage id -> its stream in ``draws``.
        shutdown_exempt: shutdown window id -> the condition under which a project keeps building.
        sink: where finished projects go.
        events: the event log, or None when it is not kept.
    """

    env: simpy.Environment
    compiled: CompiledScenario
    zone: WorkCalendar
    worktime: Callable[[float], float]
    next_open: Callable[[float], float]
    agencies: Mapping[str, AgencyState]
    agents: AgentPool | None
    agent_pool: Desk | None
    draws: DrawSource
    stream_keys: Mapping[str, int]
    shutdown_exempt: Mapping[str, Condition | None]
    sink: ProjectSink
    events: list[EventRow] | None
