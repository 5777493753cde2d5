"""The SimPy model: one replication of a compiled scenario.

Each project is a set of stage processes wired by their ``after`` events; each
agency is a SimPy resource (its staff) whose work is timed on the agency's
working calendar, with an optional sitting process.  :func:`simulate` returns
flat records (see :mod:`sim.records`); nothing here aggregates or writes files.

Random numbers: the replication's projects, the arrival stream and every
(project, stage) pair have their own ``numpy.random.Generator`` spawned from
``SeedSequence(seed)`` by key (replication, project, stage id), so changing one
stage never moves another stage's draws (common random numbers).
"""
from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np
import simpy

from .compiled import CompiledAgency, CompiledScenario
from .monitor import LevelMonitor, WorkMonitor
from .records import ReplicationResult, project_record
from .scenario import Stage
from .stage_flow import StageFlow, finish_time, rng_for

__all__ = ["Replication", "simulate", "finish_time", "rng_for"]

NAN = math.nan
_STREAM_KEY = 1
_PROJECT_KEY = 0


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
    """An agency during one replication: staff resource, sittings and monitors."""

    def __init__(self, env: simpy.Environment, ca: CompiledAgency, warmup: float, horizon: float):
        self.env, self.ca, self.spec, self.cal = env, ca, ca.spec, ca.calendar
        self.staff = (simpy.PriorityResource if ca.spec.priority else simpy.Resource)(env, ca.spec.staff)
        self.horizon = horizon
        self.queue = LevelMonitor(warmup, horizon)
        self.work_done = WorkMonitor(ca.calendar, ca.spec.staff, warmup, horizon)
        self.pending: list = []   # (priority, seq, event) waiting for a sitting
        self.seq = 0
        if ca.sitting_times is not None:
            env.process(self._sittings())

    def level(self, delta: int) -> None:
        """Change the number of files waiting for a staff member."""
        self.queue.change(self.env.now, delta)

    def work(self, start: float, end: float) -> None:
        """Count one staff member's working time between ``start`` and ``end``."""
        self.work_done.add(start, end)

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

    __slots__ = ("idx", "id", "cls", "attrs", "signed", "done", "submissions", "capped", "records",
                 "priority", "scale", "agent", "stages", "reformed", "building", "penalty_days", "skipped")

    def __init__(self, idx: int, pid: str, cls: str, attrs: dict[str, Any], signed: float, scale: float):
        self.idx, self.id, self.cls, self.attrs, self.signed = idx, pid, cls, attrs, signed
        self.scale = scale
        self.done: dict[str, simpy.Event] = {}
        self.submissions = 0
        self.capped = False
        self.records: dict = {}
        self.priority: dict[str, int] = {}
        self.agent = False            # uses the agent pool
        self.stages: list[Stage] = []  # the process that applies to it (before or after a cut-over)
        self.reformed = True
        self.building: list[list[float]] = []  # stop-work days pending for each construction stage under way
        self.penalty_days = 0.0       # stop-work days imposed in all
        self.skipped: dict[str, float] = {}  # stages the project skipped, and when


class Replication(StageFlow):
    """One replication: builds the projects, runs SimPy to the horizon, returns records."""

    def __init__(self, cs: CompiledScenario, rep: int, seed: int, events: bool = False):
        self.cs, self.rep, self.seed = cs, rep, seed
        self.sc = cs.scenario
        self.env = simpy.Environment()
        self.zone = cs.zone
        self.agencies = {k: AgencyState(self.env, a, cs.warmup, cs.horizon) for k, a in cs.agencies.items()}
        self.agents_spec = self.sc.agents
        self.shutdown_exempt = {w.id: w.exempt for w in self.sc.shutdowns}
        self.agent_pool = simpy.Resource(self.env, self.sc.agents.staff) if self.sc.agents else None
        self.events: list | None = [] if events else None
        self.projects: list[Project] = []

    # -- arrivals --------------------------------------------------------------
    def arrivals(self) -> list[tuple[float, str, str, float | None, tuple]]:
        """(signed time, id, class, investment or None, attributes) of every project, in index order."""
        sc, out = self.sc, []
        open_frac = self.zone.open
        for p in sc.projects:
            out.append(((p.signed - sc.start_date).days + open_frac, p.id, p.cls, p.investment_cny, p.attributes))
        s = sc.stream
        if s is not None:
            rng = rng_for(self.seed, self.rep, _STREAM_KEY)
            t0 = float((s.start - sc.start_date).days)
            span = (s.end - s.start).days + 1.0
            n = int(rng.poisson(s.rate_per_day * span))
            times = np.sort(t0 + rng.uniform(0.0, span, n))
            names = [c for c, _ in s.classes]
            w = np.array([x for _, x in s.classes])
            picks = rng.choice(len(names), size=n, p=w / w.sum())
            for i, (t, k) in enumerate(zip(times.tolist(), picks.tolist())):
                out.append((t, f"s{i + 1:05d}", names[k], None, ()))
        return out

    def make_project(self, idx: int, t: float, pid: str, cls_id: str, investment: float | None,
                     attributes: tuple) -> Project:
        """Draw the project's investment and attributes and start its stage processes."""
        reformed = self.cs.cutover is None or t >= self.cs.cutover
        variant = self.sc if reformed else self.sc.base   # the process, and class data, that applies
        cls = variant.class_by_id[cls_id]
        rng = rng_for(self.seed, self.rep, _PROJECT_KEY, idx)
        inv = cls.investment.sample(rng)
        attrs: dict[str, Any] = dict(cls.attributes)
        attrs.update(attributes)
        for k in sorted(attrs):
            v = attrs[k]
            u = rng.random()
            if isinstance(v, dict):
                attrs[k] = bool(u < v["p"])
        attrs["class"] = cls_id
        attrs["investment_cny"] = float(investment if investment is not None else inv)
        p = Project(idx, pid, cls_id, attrs, t, cls.construction_scale)
        for a in self.sc.agencies:
            p.priority[a.id] = 0 if a.priority is not None and a.priority.holds(attrs) else 1
        p.reformed = reformed
        p.stages = self.cs.order if p.reformed else self.cs.base_order
        p.agent = variant.agents is not None and variant.agents.when.holds(attrs)
        return p

    def start_project(self, p: Project):
        yield self.env.timeout(p.signed - self.env.now)
        for st in p.stages:
            p.done[st.id] = self.env.event()
        for st in p.stages:
            self.env.process(self.stage(p, st))

    def log(self, p: Project, st: Stage, step: str, resource: str, t0: float, t1: float) -> None:
        """Append one activity to the event log, when it is kept."""
        if self.events is not None and t1 > t0:
            self.events.append((p.idx, st.id, step, resource, t0, t1))

    # -- run ---------------------------------------------------------------------
    def run(self) -> ReplicationResult:
        """Simulate to the horizon and return the replication's records."""
        for idx, (t, pid, cls, inv, attrs) in enumerate(self.arrivals()):
            p = self.make_project(idx, t, pid, cls, inv, attrs)
            self.projects.append(p)
            self.env.process(self.start_project(p))
        self.env.run(until=self.cs.horizon)
        projects = [project_record(self.cs, p) for p in self.projects]
        agencies = {k: a.stats() for k, a in self.agencies.items()}
        series = {k: a.series() for k, a in self.agencies.items()}
        return ReplicationResult(self.rep, projects, [(p.idx, p.id, r) for p in self.projects
                                                      for r in p.records.values()],
                                 agencies, self.events, series)


def simulate(cs: CompiledScenario, rep: int, seed: int, events: bool = False) -> ReplicationResult:
    """Run replication ``rep`` of ``cs`` with root seed ``seed``."""
    return Replication(cs, rep, seed, events).run()
