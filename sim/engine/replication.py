"""The SimPy model: one replication of a compiled scenario.

Projects are created when they sign.  Each project runs its stage graph as
SimPy processes: a process runs a stage and then, when that stage's decision
was the last one a dependent waited for, goes straight on with it (a chain
of stages is one process; a fork starts one more).  Each agency is a
:class:`~sim.engine.desk.Desk` of staff whose work is timed on the agency's working
calendar, with an optional sitting process.  :func:`simulate` returns flat
records (see :mod:`sim.engine.records`); nothing here aggregates or writes files.

Random numbers: every (project, stage) pair has its own row of uniforms
(:mod:`sim.engine.draws`), keyed by (seed, replication, project, stage id); the arrival
stream has its own generator.  Changing one stage never moves another stage's
draws (common random numbers).
"""

from __future__ import annotations

import gc
import heapq
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL, URGENT

from sim.engine.compiled import CompiledAgency, CompiledScenario
from sim.engine.desk import Desk
from sim.engine.draws import DrawSource, generator
from sim.engine.monitor import LevelMonitor, WorkMonitor
from sim.engine.plain_chain import PlainChain
from sim.engine.records import ProjectRecord, ReplicationResult, VisitRecord, project_record
from sim.engine.stage_visit import StageFlow, finish_time
from sim.scenario.calendar import next_open_function, worktime_function

__all__ = ["Replication", "simulate", "finish_time"]

NAN = math.nan
_STREAM_KEY = 1


class _AfterInstant(simpy.events.Event):
    """An event at ``now + delay`` that fires after every ordinary event of that instant.

    SimPy orders simultaneous events by (time, priority, id); priority 2 is
    after URGENT (0) and NORMAL (1), so a sitting sees every file that reaches
    the panel at the moment it opens, whatever brought the file there.
    """

    def __init__(self, env: simpy.Environment, delay: float):
        super().__init__(env)
        self._ok, self._value = True, None
        env.schedule(self, 2, delay)


class AgencyState:
    """An agency during one replication: staff desk, sittings and monitors."""

    def __init__(self, env: simpy.Environment, ca: CompiledAgency, warmup: float, horizon: float):
        self.env, self.ca, self.spec, self.cal = env, ca, ca.spec, ca.calendar
        self.desk = Desk(env, ca.spec.staff, by_priority=ca.spec.priority is not None)
        self.horizon = horizon
        self.queue = LevelMonitor(warmup, horizon)
        self.work_done = WorkMonitor(ca.calendar, ca.spec.staff, warmup, horizon)
        # the monitors' logs without the size check (PlainChain); Replication.fold_monitors does the check
        self.queue_up, self.queue_down = self.queue.up, self.queue.down
        self.work_start, self.work_end = self.work_done.log_start, self.work_done.log_end
        self.pending: list = []  # (priority, seq, event) waiting for a sitting
        self.seq = 0
        if ca.sitting_times is not None:
            env.process(self._sittings())

    def wait_for_sitting(self, priority: int) -> simpy.Event:
        """An event that fires at the sitting that decides this file."""
        ev = self.env.event()
        self.seq += 1
        heapq.heappush(self.pending, (priority, self.seq, ev))
        return ev

    def _sittings(self):
        cap = self.spec.sittings.capacity
        for t in self.ca.sitting_times:
            if t >= self.horizon:
                return
            yield _AfterInstant(self.env, max(0.0, t - self.env.now))
            for _ in range(min(cap, len(self.pending))):
                heapq.heappop(self.pending)[2].succeed()

    def stats(self) -> tuple[float, float]:
        """(utilisation, mean number waiting for staff) over [warm-up, horizon]."""
        return self.work_done.utilisation(), self.queue.mean()

    def series(self) -> tuple[np.ndarray, np.ndarray]:
        """Weekly (utilisation, mean number waiting) over the whole horizon."""
        return self.work_done.bin_utilisation(), self.queue.bin_means()


class Project:
    """A project during one replication."""

    __slots__ = (
        "idx",
        "id",
        "cls",
        "attrs",
        "signed",
        "submissions",
        "capped",
        "records",
        "priority",
        "scale",
        "agent",
        "flow",
        "waiting",
        "pre",
        "active",
        "reformed",
        "building",
        "penalty_days",
        "skipped",
        "plans",
    )

    def __init__(self, idx: int, pid: str, cls: str, attrs: dict[str, Any], signed: float, scale: float):
        self.idx, self.id, self.cls, self.attrs, self.signed = idx, pid, cls, attrs, signed
        self.scale = scale
        self.submissions = 0
        self.capped = False
        self.records: dict = {}
        self.priority: dict[str, int] = {}  # 0 (first) at agencies whose priority condition it meets
        self.agent = False  # uses the agent pool
        self.flow = None  # the stage graph that applies to it (before or after a cut-over)
        self.waiting: dict[str, int] = {}  # stage -> predecessors not yet decided
        self.pre: dict[str, tuple] = {}  # stage -> (plan, draws, pre-consultation process)
        self.active = 0  # its processes under way (stage chains, pre-consultations)
        self.reformed = True
        self.building: list[list[float]] = []  # stop-work days pending for each construction stage under way
        self.penalty_days = 0.0  # stop-work days imposed in all
        self.skipped: dict[str, float] = {}  # stages the project skipped, and when
        #: stage id -> plan of the stages whose plan depends only on (reformed, agent): one dict shared
        #: by all projects of that kind (Replication.make_project), filled by StageFlow.plan
        self.plans: dict[str, Any] = {}


class Collector:
    """A sink that keeps every finished project's records: :func:`simulate` returns them whole."""

    def __init__(self, cs: CompiledScenario, rep: int) -> None:
        self.cs, self.rep = cs, rep
        self.done: list[tuple[ProjectRecord, list[VisitRecord]]] = []

    def add(self, p: Project) -> None:
        """Keep a finished project's record and stage records."""
        self.done.append((project_record(self.cs, p), list(p.records.values())))

    def finish(self, agencies: dict, series: dict, events: list | None) -> ReplicationResult:
        """The replication's records, projects in index order."""
        self.done.sort(key=lambda x: x[0].idx)
        return ReplicationResult(
            self.rep,
            [p for p, _ in self.done],
            [(p.idx, p.id, r) for p, stages in self.done for r in stages],
            agencies,
            events,
            series,
        )


class Signings:
    """The arrivals: each project is created and started at its signing time.

    A callback chain rather than a SimPy process (see :mod:`sim.engine.plain_chain`): it is itself the event it
    schedules for the next signing, which saves a ``Timeout`` and a generator resume per project.  It
    starts as a process would, with an urgent event at time 0.
    """

    __slots__ = ("callbacks", "r", "arrivals", "order", "times", "i")
    FOLD_EVERY = 256  # signings between two checks of the monitors' logs (Replication.fold_monitors)
    _ok = True  # SimPy: the event did not fail

    def __init__(self, r: Replication, arrivals: tuple, times: np.ndarray):
        self.r, self.arrivals, self.i = r, arrivals, 0
        self.order = np.argsort(times, kind="stable").tolist()  # project numbers in signing order
        self.times = np.sort(times, kind="stable").tolist()
        self.callbacks = _SIGN_NEXT
        r.env.schedule(self, URGENT)

    def _next(self) -> None:
        r, times = self.r, self.times
        now = r.env.now
        i = self.i
        while i < len(times):
            t = times[i]
            if t > now:
                self.i = i
                self.callbacks = _SIGN_NEXT
                r.env.schedule(self, NORMAL, t - now)
                return
            idx = self.order[i]
            p = r.projects[idx] = r._project(idx, self.arrivals, now)
            r.start(p)
            i += 1
            if not i % self.FOLD_EVERY:
                r.fold_monitors()
        self.i = i


_SIGN_NEXT = [Signings._next]


class Replication(StageFlow):
    """One replication: creates the projects as they sign, runs SimPy to the horizon.

    Each project goes to the ``sink`` (a :class:`Collector`, or a :class:`~sim.runs.reducer.Reducer` that
    folds it into arrays) the moment it is finished, and is dropped; what :meth:`run` returns is the
    sink's ``finish``.
    """

    def __init__(
        self, cs: CompiledScenario, rep: int, seed: int, events: bool = False, sink=None, plain_callbacks: bool = True
    ):
        self.cs, self.rep, self.seed = cs, rep, seed
        self.sc = cs.scenario
        self.env = simpy.Environment()
        self.zone = cs.zone
        # clock time -> cumulative working days of the zone, for clock times of the run ([0, horizon))
        self.worktime = worktime_function(cs.zone)
        self.next_open = next_open_function(cs.zone)  # clock time -> the zone's next office opening
        self.agencies = {k: AgencyState(self.env, a, cs.warmup, cs.horizon) for k, a in cs.agencies.items()}
        self.agents_spec = self.sc.agents
        self.shutdown_exempt = {w.id: w.exempt for w in self.sc.shutdowns}
        self.agent_pool = Desk(self.env, self.sc.agents.staff) if self.sc.agents else None
        self.events: list | None = [] if events else None
        self.draw_source = DrawSource(seed, rep)
        self.stream_key = {sid: k + 1 for sid, k in cs.keys.items()}  # stage -> its DrawSource stream
        self.projects: list[Project | None | bool] = []  # by index: None before signing, False once finished
        self._plans: dict[tuple, Any] = {}
        self._plain_plans: dict[tuple[bool, bool], dict[str, Any]] = {}  # (reformed, agent) -> Project.plans
        self._priority_agencies = [a for a in self.sc.agencies if a.priority is not None]
        self.sink = sink if sink is not None else Collector(cs, rep)
        self.openings: dict[float, Any] = {}  # office openings that plain chains wait for (plain_chain.Opening)
        #: ids of the stages a PlainChain may run (if the project's plan is plain too); see plain_stages
        self.fast_stages = plain_stages(cs, self.agencies) if plain_callbacks and not events else frozenset()

    # -- arrivals --------------------------------------------------------------
    def arrivals(self) -> tuple[list[tuple[float, str, str, float | None, tuple]], np.ndarray, np.ndarray, list[str]]:
        """The named projects (signed time, id, class, investment or None, attributes), then the stream's
        signing times and class numbers, and the stream's class names.

        Projects are numbered in that order: named ones first, then the stream's in time order.
        """
        sc = self.sc
        open_frac = self.zone.open
        named = [
            ((p.signed - sc.start_date).days + open_frac, p.id, p.cls, p.investment_cny, p.attributes)
            for p in sc.projects
        ]
        s = sc.stream
        if s is None:
            return named, np.empty(0), np.empty(0, dtype=np.intp), []
        rng = generator(self.seed, self.rep, _STREAM_KEY)
        t0 = float((s.start - sc.start_date).days)
        span = (s.end - s.start).days + 1.0
        n = int(rng.poisson(s.rate_per_day * span))
        times = np.sort(t0 + rng.uniform(0.0, span, n))
        names = [c for c, _ in s.classes]
        w = np.array([x for _, x in s.classes])
        picks = rng.choice(len(names), size=n, p=w / w.sum())
        return named, times, picks, names

    def _project(self, idx: int, arrivals: tuple, now: float | None = None) -> Project:
        """Project ``idx``, signed ``now`` (the clock, which may round the drawn time) or at its drawn time."""
        named, times, picks, names = arrivals
        if idx < len(named):
            t, pid, cls, inv, attrs = named[idx]
            return self.make_project(idx, t if now is None else now, pid, cls, inv, attrs)
        i = idx - len(named)
        return self.make_project(idx, times[i] if now is None else now, f"s{i + 1:05d}", names[picks[i]], None, ())

    def make_project(
        self, idx: int, t: float, pid: str, cls_id: str, investment: float | None, attributes: tuple
    ) -> Project:
        """Draw the project's investment and attributes; set the process that applies to it."""
        cutover = self.cs.cutover
        reformed = cutover is None or t >= cutover
        variant = self.sc if reformed else self.sc.base  # the process, and class data, that applies
        cls = variant.class_by_id[cls_id]
        d = self.draw_source.draws(0, idx)
        inv = cls.investment.quantile(d.u())
        attrs: dict[str, Any] = dict(cls.attributes)
        if attributes:
            attrs.update(attributes)
        if attrs:
            for k in sorted(attrs):
                v = attrs[k]
                u = d.u()
                if isinstance(v, dict):
                    attrs[k] = bool(u < v["p"])
        attrs["class"] = cls_id
        attrs["investment_cny"] = float(investment if investment is not None else inv)
        p = Project(idx, pid, cls_id, attrs, t, cls.construction_scale)
        for a in self._priority_agencies:
            p.priority[a.id] = 0 if a.priority.holds(attrs) else 1
        p.reformed = reformed
        p.flow = self.cs.flow if reformed else self.cs.base_flow
        p.agent = variant.agents is not None and variant.agents.when.holds(attrs)
        kind = (reformed, p.agent)
        plans = self._plain_plans.get(kind)
        p.plans = plans if plans is not None else self._plain_plans.setdefault(kind, {})
        return p

    def start(self, p: Project) -> None:
        """The project signs now: pre-consultations begin, and the stages without predecessors."""
        flow = p.flow
        p.waiting = dict(flow.n_after)
        for st in flow.prereviewed:
            plan = self.plan(p, st)
            if plan is not None and plan.prereview:
                d = self.draws_for(p, st)
                p.active += 1
                p.pre[st.id] = (plan, d, self.env.process(self.prereview(p, st, plan, d)))
        for st in flow.roots:
            self.spawn(p, st, at_once=True)
        if not p.active:
            self.finish(p)

    def spawn(self, p: Project, st, at_once: bool = False) -> None:
        """Start a process that runs stage ``st`` of ``p`` and what follows it (a PlainChain if it is plain).

        A process starts at the next urgent event of this instant; a PlainChain too, unless ``at_once``
        (a root stage at signing, when nothing else of the project is under way to be ordered against).
        """
        p.active += 1
        if id(st) in self.fast_stages:
            plan = self.plan(p, st)
            if plan is None or plan.fast:
                chain = PlainChain(self, p)
                chain.begin(st, plan, self.env.now) if at_once else chain.defer(st, plan)
                return
        self.env.process(self.chain(p, st))

    def ended(self, p: Project) -> None:
        """One of the project's processes ended; the last one finishes the project."""
        p.active -= 1
        if not p.active:
            self.finish(p)

    def finish(self, p: Project) -> None:
        """Hand the finished project to the sink and let go of it."""
        self.sink.add(p)
        self.projects[p.idx] = False  # finished (None: not signed yet)

    def fold_monitors(self) -> None:
        """Fold the agency monitors' logs that are full: the logs grow with the work done since the last
        check, so checking every few hundred signings keeps memory flat without a check per entry."""
        for a in self.agencies.values():
            a.queue.fold_if_full()
            a.work_done.fold_if_full()

    def log(self, p: Project, st, step: str, resource: str, t0: float, t1: float) -> None:
        """Append one activity to the event log (callers check that it is kept)."""
        if t1 > t0:
            self.events.append((p.idx, st.id, step, resource, t0, t1))

    # -- run ---------------------------------------------------------------------
    def run(self):
        """Simulate to the horizon; the sink's result (a :class:`ReplicationResult` by default)."""
        named, stream_times, picks, names = self.arrivals()
        arrivals = (named, stream_times.tolist(), picks.tolist(), names)
        times = np.concatenate(([a[0] for a in named], stream_times))
        self.projects = [None] * len(times)
        Signings(self, arrivals, times)
        self.env.run(until=self.cs.horizon)
        for i, p in enumerate(self.projects):  # under way at the horizon, or not yet signed
            if p is None:
                p = self.projects[i] = self._project(i, arrivals)
            if p is not False:
                self.finish(p)
        return self.sink.finish(
            {k: a.stats() for k, a in self.agencies.items()},
            {k: a.series() for k, a in self.agencies.items()},
            self.events,
        )


def plain_stages(cs: CompiledScenario, agencies: dict[str, AgencyState]) -> frozenset[int]:
    """``id()`` of every stage whose visits can be plain: reviewed by an agency without sittings, no
    construction, pre-consultation or credit commitment, and feedback (if any) to a desk without sittings.

    Whether a visit is plain also depends on the project's plan (no preparation, lag or defects).
    """

    def no_sittings(st) -> bool:
        return st.agency is not None and agencies[st.agency].ca.sitting_times is None

    ids = set()
    for flow in (cs.flow, cs.base_flow):
        for st in flow.order if flow is not None else ():
            fb = st.feedback
            if (
                no_sittings(st)
                and st.build is None
                and st.prereview is None
                and st.commitment is None
                and (fb is None or no_sittings(flow.by_id[fb.to]))
            ):
                ids.add(id(st))
    return frozenset(ids)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (restored on exit).

    A replication keeps every record alive until it is reduced, so each collection would walk them all
    again (a third of the run time) to find almost nothing: a run leaves a few hundred cyclic objects,
    which the collector frees once it is back on.
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
        return Replication(cs, rep, seed, events).run()
