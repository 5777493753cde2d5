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
from .distributions import CALENDAR_DAYS, Dist
from .records import ProjectRecord, ReplicationResult, StageRecord
from .scenario import Stage

NAN = math.nan
_STREAM_KEY = 1
_PROJECT_KEY = 0


def rng_for(seed: int, *key: int) -> np.random.Generator:
    """The generator for a spawn key below ``SeedSequence(seed)``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def finish_time(t: float, dist: Dist, value: float, calendar) -> float:
    """Clock time at which ``value`` (in ``dist.unit``) started at ``t`` ends on ``calendar``."""
    unit = dist.unit
    if unit == "workday":
        return calendar.add(t, value)
    if unit == "workhour":
        return calendar.add(t, value / calendar.day_hours)
    return t + value * CALENDAR_DAYS[unit]


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
        self.warmup, self.horizon = warmup, horizon
        self.waiting = 0
        self.area = 0.0
        self.last = warmup
        self.busy = 0.0
        self.pending: list = []   # (priority, seq, event) waiting for a sitting
        self.seq = 0
        if ca.sitting_times is not None:
            env.process(self._sittings())

    def level(self, delta: int) -> None:
        """Change the number of files waiting for a staff member, keeping the time-weighted area."""
        t = self.env.now
        if t > self.last:
            self.area += self.waiting * (t - self.last)
            self.last = t
        self.waiting += delta

    def work(self, start: float, end: float) -> None:
        """Count staff working time between ``start`` and ``end`` inside the measured window."""
        a, b = max(start, self.warmup), min(end, self.horizon)
        if b > a:
            self.busy += self.cal.workdays_between(a, b)

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
        self.env_now_close()
        span_wd = self.cal.workdays_between(self.warmup, self.horizon)
        span = self.horizon - self.warmup
        util = self.busy / (self.spec.staff * span_wd) if span_wd > 0 else NAN
        return util, (self.area / span if span > 0 else NAN)

    def env_now_close(self) -> None:
        if self.horizon > self.last:
            self.area += self.waiting * (self.horizon - self.last)
            self.last = self.horizon


class Project:
    """A project during one replication."""

    __slots__ = ("idx", "id", "cls", "attrs", "signed", "done", "submissions", "capped", "records",
                 "priority", "scale")

    def __init__(self, idx: int, pid: str, cls: str, attrs: dict[str, Any], signed: float, scale: float):
        self.idx, self.id, self.cls, self.attrs, self.signed = idx, pid, cls, attrs, signed
        self.scale = scale
        self.done: dict[str, simpy.Event] = {}
        self.submissions = 0
        self.capped = False
        self.records: dict[str, StageRecord] = {}
        self.priority: dict[str, int] = {}


class Replication:
    """One replication: builds the projects, runs SimPy to the horizon, returns records."""

    def __init__(self, cs: CompiledScenario, rep: int, seed: int, events: bool = False):
        self.cs, self.rep, self.seed = cs, rep, seed
        self.sc = cs.scenario
        self.env = simpy.Environment()
        self.zone = cs.zone
        self.agencies = {k: AgencyState(self.env, a, cs.warmup, cs.horizon) for k, a in cs.agencies.items()}
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
        cls = self.sc.class_by_id[cls_id]
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
        return p

    def start_project(self, p: Project):
        yield self.env.timeout(p.signed - self.env.now)
        for st in self.cs.order:
            p.done[st.id] = self.env.event()
        for st in self.cs.order:
            self.env.process(self.stage(p, st))

    # -- one stage ------------------------------------------------------------
    def log(self, p: Project, st: Stage, step: str, resource: str, t0: float, t1: float) -> None:
        if self.events is not None and t1 > t0:
            self.events.append((p.idx, st.id, step, resource, t0, t1))

    def stage(self, p: Project, st: Stage):
        env, zone = self.env, self.zone
        if st.after:
            yield env.all_of([p.done[d] for d in st.after])
        if st.when is not None and not st.when.holds(p.attrs):
            p.done[st.id].succeed()
            return
        rng = rng_for(self.seed, self.rep, _PROJECT_KEY, p.idx, self.cs.keys[st.id])
        rec = StageRecord(st.id, env.now)
        p.records[st.id] = rec
        if st.prepare is not None:
            t0 = env.now
            end = finish_time(t0, st.prepare, st.prepare.sample(rng), zone)
            yield env.timeout(end - t0)
            rec.prepare = zone.workdays_between(t0, end)
            self.log(p, st, "prepare", "applicant", t0, end)
        if st.agency is not None:
            ok = yield from self.agency_rounds(p, st, rec, rng)
            if not ok:
                return
        if st.lag is not None:
            t0 = env.now
            end = finish_time(t0, st.lag, st.lag.sample(rng), zone)
            yield env.timeout(end - t0)
            rec.lag = zone.workdays_between(t0, end)
            self.log(p, st, "lag", st.agency or "-", t0, end)
        if st.build is not None:
            value = st.build.sample(rng) * p.scale * CALENDAR_DAYS[st.build.unit]
            cal = self.cs.build_calendars.get(st.shutdowns)
            t0 = env.now
            if cal is None:
                start, end = t0, t0 + value
            else:
                start, end = cal.next_open(t0), cal.add(t0, value)
            rec.build_start = start
            yield env.timeout(end - t0)
            rec.build = end - t0
            self.log(p, st, "build", "contractor", start, end)
        rec.issued = env.now
        if st.limit is not None:
            clock = zone.workdays_between(rec.submitted, rec.issued) - rec.rework
            for cat in st.limit.excludes:
                clock -= getattr(rec, cat)
            rec.clock = clock
            rec.within = 1.0 if clock <= st.limit.workdays + 1e-9 else 0.0
        p.done[st.id].succeed()

    def agency_rounds(self, p: Project, st: Stage, rec: StageRecord, rng: np.random.Generator):
        """Submit, queue, review, wait for a sitting; rework until accepted.  False if capped."""
        env, zone = self.env, self.zone
        ag = self.agencies[st.agency]
        prio = p.priority[st.agency]
        rounds = 0
        while True:
            rounds += 1
            p.submissions += 1
            rec.submissions = rounds
            t_sub = env.now
            if rounds == 1:
                rec.submitted = t_sub
            if st.effort is not None:
                ag.level(+1)
                req = ag.staff.request(priority=prio) if ag.spec.priority else ag.staff.request()
                yield req
                ag.level(-1)
                t0 = env.now
                rec.queue += zone.workdays_between(t_sub, t0)
                self.log(p, st, "queue", st.agency, t_sub, t0)
                end = finish_time(t0, st.effort, st.effort.sample(rng), ag.cal)
                ag.work(t0, end)
                yield env.timeout(end - t0)
                ag.staff.release(req)
                rec.review += zone.workdays_between(t0, end)
                self.log(p, st, "review", st.agency, t0, end)
            if ag.ca.sitting_times is not None:
                t0 = env.now
                yield ag.wait_for_sitting(prio)
                rec.sitting += zone.workdays_between(t0, env.now)
                self.log(p, st, "sitting", st.agency, t0, env.now)
            d = st.defect
            if d is None:
                return True
            defective = rng.random() < d.p * d.decay ** (rounds - 1)
            fix_value = d.fix.sample(rng)
            if not defective:
                return True
            if rounds >= d.max_rounds:
                rec.capped = True
                p.capped = True
                return False
            t0 = env.now
            end = finish_time(t0, d.fix, fix_value, zone)
            yield env.timeout(end - t0)
            rec.rework += zone.workdays_between(t0, end)
            self.log(p, st, "rework", "applicant", t0, end)

    # -- run ---------------------------------------------------------------------
    def run(self) -> ReplicationResult:
        """Simulate to the horizon and return the replication's records."""
        for idx, (t, pid, cls, inv, attrs) in enumerate(self.arrivals()):
            p = self.make_project(idx, t, pid, cls, inv, attrs)
            self.projects.append(p)
            self.env.process(self.start_project(p))
        self.env.run(until=self.cs.horizon)
        from .records import project_record
        projects = [project_record(self.cs, p) for p in self.projects]
        agencies = {k: a.stats() for k, a in self.agencies.items()}
        return ReplicationResult(self.rep, projects, [(p.idx, p.id, r) for p in self.projects
                                                      for r in p.records.values()],
                                 agencies, self.events)


def simulate(cs: CompiledScenario, rep: int, seed: int, events: bool = False) -> ReplicationResult:
    """Run replication ``rep`` of ``cs`` with root seed ``seed``."""
    return Replication(cs, rep, seed, events).run()
