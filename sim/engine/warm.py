"""A warm start: a replication that begins at an as-of date with today's open projects in their recorded state.

:func:`warm_start` turns a checked backlog (:class:`sim.scenario.backlog.Backlog`) into clock times;
:class:`WarmReplication` is a :class:`~sim.engine.replication.Replication` whose clock starts at the as-of
moment.  Each backlog project is made like any project (its class, attributes and investment drawn where the
backlog does not give them), its decided stages are recorded as issued, and each stage under way goes into
the ordinary :class:`~sim.engine.stage_flow.StageFlow` process at the step it is in (:class:`Resume`): the
agencies' desks take the files under review first, then the queued ones, each group first come first served
by the date it entered its step; the panels' next sittings find the files waiting for them in the same order.
New projects arrive by the scenario's arrivals from the as-of moment on; the earlier ones are the backlog's.

Random numbers: a backlog project draws from streams keyed by its name
(:class:`~sim.engine.draws.NamedDrawSource`), so it meets the same numbers in two forecasts that differ in
levers, staff or other files.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sim.engine.compiled import CompiledScenario
from sim.engine.draws import NamedDrawSource
from sim.engine.project import Project
from sim.engine.records import StageRecord
from sim.engine.replication import Arrivals, Replication, Sink
from sim.engine.resume import ROUND_STEPS, Resume
from sim.engine.stage_flow import StageFlow
from sim.scenario.backlog import ROUND_STATES, STATES, Backlog
from sim.scenario.spec import Stage

NAN = math.nan
#: the order in which resumed steps claim their place at the start: reviews hold staff, then queues, sittings
RANK = {"review": 0, "queue": 1, "sitting": 2}


@dataclass(frozen=True)
class WarmProject:
    """A backlog project in clock times.

    Attributes:
        id, cls, investment_cny, attributes: as in the backlog (investment None: drawn).
        signed: clock time of signing.
        done: (stage, first submission or NaN, decision) of each decided stage.
        resumed: (stage, where it stands) of each stage under way.
    """

    id: str
    cls: str
    signed: float
    investment_cny: float | None
    attributes: tuple[tuple[str, Any], ...]
    done: tuple[tuple[str, float, float], ...]
    resumed: tuple[tuple[str, Resume], ...]


@dataclass(frozen=True)
class WarmStart:
    """A backlog ready to start replications from: the as-of clock time and the projects."""

    at: float
    projects: tuple[WarmProject, ...]

    @property
    def names(self) -> list[str]:
        """The projects' ids, in order."""
        return [p.id for p in self.projects]


def warm_start(cs: CompiledScenario, backlog: Backlog) -> WarmStart:
    """The backlog in the clock times of ``cs`` (calendar days since its start date at 00:00).

    Raises:
        ValueError: the backlog or the as-of date lies before the scenario's start (the caller moves the start).
    """
    origin = dt.datetime.combine(cs.scenario.start_date, dt.time())

    def clock(t: dt.datetime) -> float:
        return (t - origin).total_seconds() / 86400.0

    at = clock(dt.datetime.combine(backlog.as_of, dt.time()))
    if backlog.earliest() < cs.scenario.start_date or at < 0:
        raise ValueError(f"the backlog starts before the scenario's start date {cs.scenario.start_date}")
    projects = []
    for p in backlog.projects:
        done: list[tuple[str, float, float]] = []
        resumed: list[tuple[str, Resume]] = []
        for s in p.stages:
            step = STATES[s.state]
            if s.since is None:  # not started
                continue
            given = NAN if s.submitted is None else clock(s.submitted)
            if s.state == "done":
                done.append((s.stage, given, clock(s.since)))
                continue
            if step is None:
                continue
            since = clock(s.since)
            in_round = s.state in ROUND_STATES
            submitted = given
            if given != given and s.state in ("queued", "in_review", "supplementing"):
                submitted = since  # without the first submission, the clock counts from the current round's
            submissions = s.round if in_round else (1 if given == given else 0)
            resumed.append((s.stage, Resume(step, since, s.round, submitted, submissions, s.paused_workdays)))
        projects.append(
            WarmProject(p.id, p.cls, clock(p.signed), p.investment_cny, p.attributes, tuple(done), tuple(resumed))
        )
    return WarmStart(at, tuple(projects))


def adopt(
    flow: StageFlow, project: Project, done: Mapping[str, StageRecord], resumed: Mapping[str, Resume]
) -> tuple[list[Stage], dict[str, Resume]]:
    """Hand ``flow`` a backlog project: its decided stages recorded, the stages it no longer waits for passed.

    Returns the stages that are ready to start from the beginning now (every predecessor decided, none under
    way), in the graph's order, and the stages under way with where they stand.  A stage that a decided or
    started stage waits for, directly or through others, and that the backlog does not list, was decided
    before, at a time not known (its milestone, if it is one, is -inf: reached before); a stage under a credit
    commitment that was submitted counts as issued then, and its dependents may start.  The caller starts the
    processes (:meth:`StageFlow.spawn`).
    """
    now = flow.env.now
    flow.under_way[project.idx] = project
    graph = project.graph
    waiting = project.waiting = dict(graph.n_after)
    behind: set[str] = set()
    stack = [*done, *resumed]
    while stack:
        for before in graph.by_id[stack.pop()].after:
            if before not in behind:
                behind.add(before)
                stack.append(before)
    ready: list[Stage] = []
    started: dict[str, Resume] = {}
    for stage in graph.order:
        sid = stage.id
        resume = resumed.get(sid)
        if sid in done:
            project.visits[sid] = done[sid]
        elif resume is not None:
            plan = flow.plan(project, stage)
            if plan is None or not plan.commitment or resume.step not in ROUND_STEPS:
                started[sid] = resume
                continue
            first = resume.submitted if resume.submitted == resume.submitted else resume.since
            started[sid] = replace(resume, issued=first)  # issued at its first submission: dependents go on
        elif sid in behind:  # decided before the as-of date, when is not known
            project.skipped[sid] = -math.inf
        elif waiting[sid] == 0 and flow.plan(project, stage) is None:  # does not apply: passed now
            project.skipped[sid] = now
        else:
            if waiting[sid] == 0:
                ready.append(stage)
            continue
        for dep in graph.dependents[sid]:
            waiting[dep.id] -= 1
    return ready, started


class WarmReplication(Replication[Any]):
    """A replication that starts at the backlog's as-of moment with the backlog's projects under way.

    The new arrivals are numbered first (0, 1, ...), the backlog's projects after them in backlog order.
    """

    def __init__(
        self, cs: CompiledScenario, warm: WarmStart, rep: int, seed: int, sink: Sink[Any], events: bool = False
    ) -> None:
        self.warm = warm
        self._arrivals: Arrivals | None = None
        self._dropped = 0  # the stream's arrivals before the as-of moment
        draws = NamedDrawSource(seed, rep, 0, warm.names)
        super().__init__(cs, rep, seed, sink, events, start=warm.at, draws=draws)
        draws.first = self.first = len(self.arrivals())

    def arrivals(self) -> Arrivals:
        """The scenario's arrivals from the as-of moment on (the named projects of the backlog left out)."""
        if self._arrivals is None:
            full = super().arrivals()
            at = self.warm.at
            backlog = set(self.warm.names)
            named = [a for a in full.named if a[0] >= at and a[1] not in backlog]
            keep = [i for i, t in enumerate(full.stream_times) if t >= at]
            self._dropped = len(full.stream_times) - len(keep)  # (they come first: the times are sorted)
            self._arrivals = Arrivals(
                named,
                [full.stream_times[i] for i in keep],
                [full.stream_classes[i] for i in keep],
                full.class_names,
            )
        return self._arrivals

    def project(self, idx: int, arrivals: Arrivals, now: float | None = None) -> Project:
        """New arrival ``idx``; the stream's keep the ids they have in a replication from the start (``s00042``)."""
        project = super().project(idx, arrivals, now)
        i = idx - len(arrivals.named)
        if i >= 0 and self._dropped:
            project.id = f"s{i + 1 + self._dropped:05d}"
        return project

    def run(self) -> Any:
        """Put the backlog in place, then simulate to the horizon; the sink's result."""
        self.adopt_backlog()
        return super().run()

    def adopt_backlog(self) -> None:
        """Make each backlog project and start its stages: those under way first, in the order in which they
        claim staff and sittings, then those that start from the beginning now."""
        flow = self.flow
        claims: list[tuple[int, float, int, Project, Stage, Resume]] = []
        fresh: list[tuple[Project, Stage]] = []
        projects = []
        for j, wp in enumerate(self.warm.projects):
            project = self.make_project(self.first + j, wp.signed, wp.id, wp.cls, wp.investment_cny, wp.attributes)
            projects.append(project)
            done = {}
            for sid, submitted, issued in wp.done:
                rec = done[sid] = StageRecord(sid, issued)
                rec.submitted, rec.issued = submitted, issued
            ready, started = adopt(flow, project, done, dict(wp.resumed))
            for sid, resume in started.items():
                claims.append((RANK.get(resume.step, 3), resume.since, j, project, project.graph.by_id[sid], resume))
            fresh.extend((project, stage) for stage in ready)
        claims.sort(key=lambda c: c[:3])
        for _, _, _, project, stage, resume in claims:
            flow.spawn(project, stage, resume)
        for project, stage in fresh:
            flow.spawn(project, stage)
        for project in projects:
            if not project.active:
                flow.finish(project)
