"""A project during one replication, and the plan of a stage as it applies to it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import simpy

from sim.engine.compiled import StageGraph
from sim.engine.draws import Draws
from sim.engine.records import FinishedProject, StageRecord
from sim.scenario.distributions import Dist
from sim.scenario.spec import Defect, Stage
from sim.scenario.stage_options import AgentPool


@dataclass(frozen=True, slots=True)
class Plan:
    """A stage as it applies to one project (after regional assessment and agent service).

    Attributes:
        prepare: the applicant's preparation, or None.
        effort: the agency's review effort, or None.
        lag: elapsed time after the review without staff (public notice, sign-off chain), or None.
        defect: the chance and handling of a defective file, or None.
        agent: whether an agent prepares and files it.
        prereview: whether it was pre-consulted (the review runs from signing).
        commitment: whether dependents start on the applicant's credit commitment.
    """

    prepare: Dist | None
    effort: Dist | None
    lag: Dist | None
    defect: Defect | None
    agent: bool
    prereview: bool
    commitment: bool


class PreConsultation(NamedTuple):
    """A pre-consultation under way since signing: the stage's plan, its draws and the process."""

    plan: Plan
    draws: Draws
    process: simpy.Process


@dataclass(slots=True, eq=False)
class Project:
    """A project during one replication: who it is, which process applies, and its progress.

    Made by :class:`sim.engine.replication.Replication` when it signs; its progress fields are written by
    :class:`sim.engine.stage_flow.StageFlow` only.  :meth:`finished` makes the snapshot the sink receives.
    """

    idx: int
    id: str
    cls: str
    attrs: dict[str, Any]
    signed: float
    #: construction scale of its class
    scale: float
    #: whether it signed on or after the reform date (always, without a reform date)
    reformed: bool
    #: the stage graph that applies to it (before or after the reform date)
    graph: StageGraph
    #: whether agents prepare and file for it
    agent: bool
    #: agency -> 0 (served first) at agencies whose priority condition it meets, else 1
    priority: dict[str, int]
    #: stage id -> plan of the stages whose plan depends only on the project's kind (reformed, agent): one
    #: dict shared by all projects of that kind, filled by StageFlow.plan
    kind_plans: dict[str, Plan]
    submissions: int = 0
    capped: bool = False
    visits: dict[str, StageRecord] = field(default_factory=dict)
    #: stage -> predecessors not yet decided
    waiting: dict[str, int] = field(default_factory=dict)
    #: stage -> its pre-consultation, from signing until the formal step takes it over
    pre: dict[str, PreConsultation] = field(default_factory=dict)
    #: its processes under way (stage chains, pre-consultations)
    active: int = 0
    #: stop-work days pending for each construction stage under way
    building: list[list[float]] = field(default_factory=list)
    #: stop-work days imposed in all
    penalty_days: float = 0.0
    #: stages it skipped, and when
    skipped: dict[str, float] = field(default_factory=dict)

    def finished(self) -> FinishedProject:
        """What the project did, for the sink."""
        return FinishedProject(
            self.idx,
            self.id,
            self.cls,
            self.attrs["investment_cny"],
            self.signed,
            self.submissions,
            self.capped,
            self.visits,
            self.skipped,
            self.graph.roles,
            self.reformed,
            self.attrs,
        )


class Planner:
    """Each stage's plan for a project, made once per kind of project and stage and then shared."""

    def __init__(self, agents: AgentPool | None) -> None:
        self.agents = agents
        self._plans: dict[tuple[str, bool, bool, bool, bool, bool], Plan] = {}

    def plan(self, project: Project, stage: Stage) -> Plan | None:
        """The stage's plan for ``project``, or None if the project skips it."""
        kind_only = stage.id in project.graph.kind_only
        if kind_only:  # nothing about this stage depends on the project but its kind (see Project.kind_plans)
            known = project.kind_plans.get(stage.id)
            if known is not None:
                return known
        elif not stage.enabled or (stage.when is not None and not stage.when.holds(project.attrs)):
            return None
        reg = stage.regional
        regional = reg is not None and project.attrs.get(reg.attribute) is True
        if reg is not None and regional and reg.mode == "skip":
            return None
        agent = project.agent and stage.agency is not None
        prereview = stage.prereview is not None and project.attrs.get(stage.prereview.attribute) is True
        commitment = stage.commitment is not None and project.attrs.get(stage.commitment.attribute) is True
        key = (stage.id, project.reformed, regional, agent, prereview, commitment)
        plan = self._plans.get(key)
        if plan is None:
            prepare, effort, lag, defect = stage.prepare, stage.effort, stage.lag, stage.defect
            if reg is not None and regional:
                prepare, effort, lag, defect = reg.prepare, reg.effort, reg.lag, None
            if agent and defect is not None and self.agents is not None:
                defect = replace(defect, p=defect.p * self.agents.defect_scale)
            plan = self._plans[key] = Plan(prepare, effort, lag, defect, agent, prereview, commitment)
        if kind_only:
            project.kind_plans[stage.id] = plan
        return plan
