"""The SimPy model: one replication of a compiled scenario.

Projects are created when they sign, by a SimPy process that walks the signing times.  Each project runs
its stage graph as SimPy processes (:class:`~sim.engine.stage_flow.StageFlow`).  Each agency is a
:class:`~sim.engine.desk.Desk` of staff whose work is timed on the agency's working calendar, with an
optional sitting process (:class:`~sim.engine.agency.AgencyState`).  :func:`simulate` returns flat records
(see :mod:`sim.engine.records`); nothing here aggregates or writes files.

Random numbers: every (project, stage) pair has its own row of uniforms (:mod:`sim.engine.draws`), keyed by
(seed, replication, project, stage id); the arrival stream has its own generator.  Changing one stage never
moves another stage's draws (common random numbers).
"""

from __future__ import annotations

import gc
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
import simpy

from sim.engine.agency import AgencyState
from sim.engine.compiled import CompiledScenario
from sim.engine.context import EventRow, ProjectSink, RunContext
from sim.engine.desk import Desk
from sim.engine.draws import DrawSource, generator
from sim.engine.project import Plan, Project
from sim.engine.records import FinishedProject, ReplicationResult, StageRecord, project_record
from sim.engine.stage_flow import StageFlow
from sim.scenario.calendar import next_open_function, worktime_function

__all__ = ["Collector", "Replication", "gc_paused", "simulate"]

#: spawn-key slot of the arrival stream's generator
STREAM_KEY = 1

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class Sink(ProjectSink, Protocol[R_co]):
    """A sink that can also close the replication: what :meth:`Replication.run` returns is its ``finish``."""

    #: whether ``finish`` needs the agencies' figures and weekly series (else it gets empty ones: folding every
    #: agency's monitors costs a few per cent of a replication)
    agency_figures: bool

    def finish(
        self,
        agencies: dict[str, tuple[float, float]],
        series: dict[str, tuple[np.ndarray, np.ndarray]],
        events: list[EventRow] | None,
    ) -> R_co:
        """The replication's result, from its agencies' figures, their weekly series and the event log."""


class Collector:
    """A sink that keeps every finished project's records: :func:`simulate` returns them whole."""

    agency_figures = True

    def __init__(self, cs: CompiledScenario, rep: int) -> None:
        self.cs, self.rep = cs, rep
        self.done: list[FinishedProject] = []

    def add(self, project: FinishedProject) -> None:
        """Keep a finished project."""
        self.done.append(project)

    def finish(
        self,
        agencies: dict[str, tuple[float, float]],
        series: dict[str, tuple[np.ndarray, np.ndarray]],
        events: list[EventRow] | None,
    ) -> ReplicationResult:
        """The replication's records, projects in number order."""
        self.done.sort(key=lambda p: p.idx)
        stages: list[tuple[int, str, StageRecord]] = [(p.idx, p.id, r) for p in self.done for r in p.visits.values()]
        return ReplicationResult(
            self.rep, [project_record(self.cs, p) for p in self.done], stages, agencies, events, series
        )


@dataclass(frozen=True)
class Arrivals:
    """Who signs when: the named projects, then the stream's, numbered in that order.

    Attributes:
        named: (signed time, id, class, investment or None, attributes) of each named project.
        stream_times: the stream's signing times, ascending.
        stream_classes: the class number of each of the stream's projects.
        class_names: the stream's class ids, by number.
    """

    named: list[tuple[float, str, str, float | None, tuple[tuple[str, Any], ...]]]
    stream_times: list[float]
    stream_classes: list[int]
    class_names: list[str]

    def __len__(self) -> int:
        return len(self.named) + len(self.stream_times)

    def signing_times(self) -> np.ndarray:
        """Each project's signing time, by number."""
        return np.concatenate(([a[0] for a in self.named], self.stream_times))


class Replication(Generic[R]):
    """One replication: creates the projects as they sign, runs SimPy to the horizon.

    Each project goes to the ``sink`` (a :class:`Collector`, or the runs layer's reducer, which folds it into
    arrays) the moment it is finished, and is dropped; what :meth:`run` returns is the sink's ``finish``.
    """

    def __init__(
        self,
        cs: CompiledScenario,
        rep: int,
        seed: int,
        sink: Sink[R],
        events: bool = False,
        *,
        start: float = 0.0,
        draws: DrawSource | None = None,
    ) -> None:
        """``start``: the clock time the replication begins at (a warm start begins later than 0); ``draws``:
        the source of the projects' uniforms (default: rows keyed by project number)."""
        self.cs, self.rep, self.seed = cs, rep, seed
        self.scenario = sc = cs.scenario
        self.env = env = simpy.Environment(initial_time=start)
        self.sink = sink
        self.events: list[EventRow] | None = [] if events else None
        self.agencies = {k: AgencyState(env, a, cs.warmup, cs.horizon) for k, a in cs.agencies.items()}
        self.draws = DrawSource(seed, rep) if draws is None else draws
        self.flow = StageFlow(
            RunContext(
                env=env,
                compiled=cs,
                zone=cs.zone,
                worktime=worktime_function(cs.zone),
                next_open=next_open_function(cs.zone),
                agencies=self.agencies,
                agents=sc.agents,
                agent_pool=Desk(env, sc.agents.staff) if sc.agents else None,
                draws=self.draws,
                stream_keys={sid: k + 1 for sid, k in cs.keys.items()},  # stage -> its DrawSource stream
                shutdown_exempt={w.id: w.exempt for w in sc.shutdowns},
                sink=sink,
                events=self.events,
            )
        )
        self._kind_plans: dict[tuple[bool, bool], dict[str, Plan]] = {}  # (reformed, agent) -> Project.kind_plans
        self._priority_agencies = [a for a in sc.agencies if a.priority is not None]
        self._signed = bytearray()

    # -- arrivals --------------------------------------------------------------------
    def arrivals(self) -> Arrivals:
        """The named projects, then the stream's signing times and classes (drawn from the stream's generator)."""
        sc = self.scenario
        open_frac = self.cs.zone.open
        named = [
            ((p.signed - sc.start_date).days + open_frac, p.id, p.cls, p.investment_cny, p.attributes)
            for p in sc.projects
        ]
        s = sc.stream
        if s is None:
            return Arrivals(named, [], [], [])
        rng = generator(self.seed, self.rep, STREAM_KEY)
        if s.days:  # a replay: the given days, at the office opening like a named project
            times = np.asarray(s.days, dtype=float) + open_frac
            n = len(times)
        else:
            t0 = float((s.start - sc.start_date).days)
            span = (s.end - s.start).days + 1.0
            n = int(rng.poisson(s.rate_per_day * span))
            times = np.sort(t0 + rng.uniform(0.0, span, n))
        names = [c for c, _ in s.classes]
        weights = np.array([x for _, x in s.classes])
        picks = rng.choice(len(names), size=n, p=weights / weights.sum())
        return Arrivals(named, times.tolist(), picks.tolist(), names)

    def project(self, idx: int, arrivals: Arrivals, now: float | None = None) -> Project:
        """Project ``idx``, signed ``now`` (the clock, which may round the drawn time) or at its drawn time."""
        n_named = len(arrivals.named)
        if idx < n_named:
            t, pid, cls, investment, attrs = arrivals.named[idx]
            return self.make_project(idx, t if now is None else now, pid, cls, investment, attrs)
        i = idx - n_named
        t = arrivals.stream_times[i] if now is None else now
        return self.make_project(idx, t, f"s{i + 1:05d}", arrivals.class_names[arrivals.stream_classes[i]], None, ())

    def make_project(
        self,
        idx: int,
        t: float,
        pid: str,
        cls_id: str,
        investment: float | None,
        attributes: tuple[tuple[str, Any], ...],
    ) -> Project:
        """Draw the project's investment and attributes; set the process that applies to it."""
        cs = self.cs
        cutover = cs.cutover
        reformed = cutover is None or t >= cutover
        variant = self.scenario if reformed or self.scenario.base is None else self.scenario.base
        cls = variant.class_by_id[cls_id]
        draws = self.draws.draws(0, idx)
        drawn_investment = cls.investment.quantile(draws.u())
        attrs: dict[str, Any] = dict(cls.attributes)
        if attributes:
            attrs.update(attributes)
        if attrs:
            for k in sorted(attrs):
                v = attrs[k]
                u = draws.u()
                if isinstance(v, dict):
                    attrs[k] = bool(u < v["p"])
        attrs["class"] = cls_id
        attrs["investment_cny"] = float(investment if investment is not None else drawn_investment)
        graph = cs.graph if reformed or cs.base_graph is None else cs.base_graph
        agent = variant.agents is not None and variant.agents.when.holds(attrs)
        priority = {
            a.id: 0 if a.priority is not None and a.priority.holds(attrs) else 1 for a in self._priority_agencies
        }
        kind = (reformed, agent)
        plans = self._kind_plans.get(kind)
        if plans is None:
            plans = self._kind_plans[kind] = {}
        return Project(idx, pid, cls_id, attrs, t, cls.construction_scale, reformed, graph, agent, priority, plans)

    def signings(self, arrivals: Arrivals) -> Generator[simpy.Event, Any, None]:
        """The SimPy process that signs each project at its time (ties in project-number order)."""
        env, flow = self.env, self.flow
        times = arrivals.signing_times()
        order = np.argsort(times, kind="stable").tolist()
        signed = self._signed
        for idx, t in zip(order, np.sort(times, kind="stable").tolist()):
            if t > env.now:
                yield env.timeout(t - env.now)
            signed[idx] = 1
            flow.start(self.project(idx, arrivals, env.now))

    # -- run -------------------------------------------------------------------------
    def run(self) -> R:
        """Simulate to the horizon; the sink's result."""
        arrivals = self.arrivals()
        env, flow = self.env, self.flow
        self._signed = bytearray(len(arrivals))  # 1 once signed
        env.process(self.signings(arrivals))
        env.run(until=self.cs.horizon)
        under_way = flow.under_way
        for idx, signed in enumerate(self._signed):  # under way at the horizon, or not yet signed
            if not signed:
                flow.finish(self.project(idx, arrivals))
            elif idx in under_way:
                flow.finish(under_way[idx])
        for project in list(under_way.values()):  # any other (a warm start's backlog), in the order they came
            flow.finish(project)
        figures = self.sink.agency_figures
        return self.sink.finish(
            {k: a.stats() for k, a in self.agencies.items()} if figures else {},
            {k: a.series() for k, a in self.agencies.items()} if figures else {},
            self.events,
        )


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (restored on exit).

    A replication keeps every record alive until it is reduced, so each collection would walk them all again
    (a third of the run time) to find almost nothing: a run leaves a few hundred cyclic objects, which the
    collector frees once it is back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def simulate(cs: CompiledScenario, rep: int, seed: int, events: bool = False) -> ReplicationResult:
    """Run replication ``rep`` of ``cs`` with root seed ``seed`` (the garbage collector paused)."""
    with gc_paused():
        replication: Replication[ReplicationResult] = Replication(cs, rep, seed, Collector(cs, rep), events)
        return replication.run()
