"""What happens inside one stage visit (SimPy processes), mixed into :class:`sim.model.Replication`.

Order inside a stage: applicant preparation (with an agent if the project
uses one) -> submission in office hours -> queue for a staff member ->
review (effort) -> sitting -> defect handling (strict rework or tolerant
acceptance) -> lag -> construction work.  Pre-consultation moves the review
before the predecessors end; credit commitment lets dependents start at the
submission while verification runs in the background.

Every round draws the same random numbers in the same order (effort, defect,
fix, supplement failure) whatever the acceptance mode, so switching a lever
on keeps common random numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .distributions import CALENDAR_DAYS, Dist
from .records import StageRecord
from .scenario import Defect, Stage

_AGENT_KEY = 2  # spawn-key slot of the agents' draws (0: projects and their stages, 1: the stream)


@dataclass(frozen=True)
class Plan:
    """The stage as it applies to one project (after regional assessment, agents)."""

    prepare: Dist | None
    effort: Dist | None
    lag: Dist | None
    defect: Defect | None
    agent: bool
    prereview: bool
    commitment: bool


class StageFlow:
    """Stage processes; expects the attributes set by :class:`sim.model.Replication`."""

    def plan(self, p, st: Stage) -> Plan | None:
        """The stage's plan for project ``p``, or None if the project skips it."""
        if not st.enabled or (st.when is not None and not st.when.holds(p.attrs)):
            return None
        prepare, effort, lag, defect = st.prepare, st.effort, st.lag, st.defect
        reg = st.regional
        if reg is not None and p.attrs.get(reg.attribute) is True:
            if reg.mode == "skip":
                return None
            prepare, effort, lag, defect = reg.prepare, reg.effort, reg.lag, None
        agent = p.agent and st.agency is not None
        if agent and defect is not None:
            defect = replace(defect, p=defect.p * self.agents_spec.defect_scale)
        return Plan(prepare, effort, lag, defect, agent,
                    st.prereview is not None and p.attrs.get(st.prereview.attribute) is True,
                    st.commitment is not None and p.attrs.get(st.commitment.attribute) is True)

    def stage(self, p, st: Stage):
        env = self.env
        plan = self.plan(p, st)
        rng = rng_for(self.seed, self.rep, 0, p.idx, self.cs.keys[st.id]) if plan is not None else None
        pre = env.process(self.prereview(p, st, plan, rng)) if plan is not None and plan.prereview else None
        if st.after:
            yield env.all_of([p.done[d] for d in st.after])
        if plan is None:
            p.skipped[st.id] = env.now
            p.done[st.id].succeed()
            return
        rec = StageRecord(st.id, env.now)
        p.records[st.id] = rec
        if pre is not None:
            t0 = env.now
            yield pre
            if pre.value is None:  # capped during pre-consultation
                return
            rec.review += self.zone.workdays_between(t0, env.now)  # waiting for the pre-review to finish
            rec.prereview = pre.value
            ok = yield from self.formal_signoff(p, st, rec, rng, plan)
        else:
            if plan.prepare is not None:
                yield from self.prepare(p, st, rec, plan.prepare, plan.agent, rng, "prepare")
            ok = True
            if st.agency is not None:
                ok = yield from self.rounds(p, st, rec, rng, plan, formal=True)
        if not ok:
            return
        if plan.lag is not None and pre is None:
            t0 = env.now
            end = finish_time(t0, plan.lag, plan.lag.sample(rng), self.zone)
            yield env.timeout(end - t0)
            rec.lag = self.zone.workdays_between(t0, end)
            self.log(p, st, "lag", st.agency or "-", t0, end)
        if st.build is not None:
            yield from self.build(p, st, rec, rng)
        if plan.commitment:
            yield from self.verify(p, st, rec, rng)
        else:
            self.issue(p, st, rec)

    def issue(self, p, st: Stage, rec: StageRecord) -> None:
        """The decision: record the issue time and the statutory clock, release dependents."""
        rec.issued = self.env.now
        if rec.submissions:
            rec.same_day = float(int(rec.submitted) == int(rec.issued))
        if st.limit is not None:
            clock = self.zone.workdays_between(rec.submitted, rec.issued) - rec.rework
            for cat in st.limit.excludes:
                clock -= getattr(rec, cat)
            rec.clock = clock
            rec.within = 1.0 if clock <= st.limit.workdays + 1e-9 else 0.0
        p.done[st.id].succeed()

    def prepare(self, p, st: Stage, rec: StageRecord, dist: Dist, agent: bool, rng: np.random.Generator,
                step: str):
        """Applicant preparation; with agent service, shorter, then an agent prepares and files it.

        The agent is held only for its own ``effort`` (waiting for a free agent counts as queue).
        """
        env, zone = self.env, self.zone
        value = dist.sample(rng)
        # the agent's effort has a stream of its own: agent service leaves the stage's draws alone
        agent_value = (self.agents_spec.effort.sample(rng_for(self.seed, self.rep, _AGENT_KEY, p.idx,
                                                              self.cs.keys[st.id])) if agent else 0.0)
        if agent:
            value *= self.agents_spec.prepare_scale
        t0 = env.now
        end = finish_time(t0, dist, value, zone)
        yield env.timeout(end - t0)
        rec.prepare += zone.workdays_between(t0, end)
        self.log(p, st, step, "applicant", t0, end)
        if agent:
            t0 = env.now
            req = self.agent_pool.request()
            yield req
            rec.queue += zone.workdays_between(t0, env.now)
            self.log(p, st, "agent_wait", "agents", t0, env.now)
            t0 = env.now
            end = finish_time(t0, self.agents_spec.effort, agent_value, zone)
            yield env.timeout(end - t0)
            self.agent_pool.release(req)
            rec.prepare += zone.workdays_between(t0, end)
            self.log(p, st, "agent", "agents", t0, end)

    def review(self, p, st: Stage, rec: StageRecord, effort: Dist | None, value: float, sitting: bool = True):
        """Queue for a staff member, hold them for the effort, then (``sitting``) wait for a sitting."""
        env, zone = self.env, self.zone
        ag = self.agencies[st.agency]
        prio = p.priority[st.agency]
        if effort is not None:
            t_q = env.now
            ag.level(+1)
            req = ag.staff.request(priority=prio) if ag.spec.priority else ag.staff.request()
            yield req
            ag.level(-1)
            t0 = env.now
            rec.queue += zone.workdays_between(t_q, t0)
            self.log(p, st, "queue", st.agency, t_q, t0)
            end = finish_time(t0, effort, value, ag.cal)
            ag.work(t0, end)
            yield env.timeout(end - t0)
            ag.staff.release(req)
            rec.review += zone.workdays_between(t0, end)
            self.log(p, st, "review", st.agency, t0, end)
        if sitting and ag.ca.sitting_times is not None:
            t0 = env.now
            yield ag.wait_for_sitting(prio)
            rec.sitting += zone.workdays_between(t0, env.now)
            self.log(p, st, "sitting", st.agency, t0, env.now)

    def rounds(self, p, st: Stage, rec: StageRecord, rng: np.random.Generator, plan: Plan, formal: bool):
        """Submit and review until accepted (strict rework or tolerant acceptance).  False if capped.

        ``formal`` rounds are submissions; pre-consultation rounds (``formal=False``) are not.
        """
        env, zone = self.env, self.zone
        d = plan.defect
        rounds = 0
        while True:
            rounds += 1
            effort_v = plan.effort.sample(rng) if plan.effort is not None else 0.0
            u, fix_v, u_fail = rng.random(), (d.fix.sample(rng) if d else 0.0), rng.random()
            if formal:
                yield from self.submit(p, rec, commit=plan.commitment and rounds == 1, st=st)
            t_sub = env.now
            defective = d is not None and u < d.p * d.decay ** (rounds - 1)
            tolerant = st.tolerant if defective and formal else None
            if tolerant is not None:
                supplied = finish_time(t_sub, d.fix, fix_v * (self.agents_spec.prepare_scale if plan.agent else 1),
                                       zone)
                deadline = zone.add(t_sub, tolerant.deadline)
                failed = u_fail < tolerant.fail_p or supplied > deadline
            yield from self.review(p, st, rec, plan.effort, effort_v)
            if st.feedback is not None and formal:
                yield from self.feedback(p, st, rec, rng, plan)
            if not defective:
                return True
            if tolerant is not None:
                wait_until = deadline if failed else supplied
                if wait_until > env.now:
                    t0 = env.now
                    yield env.timeout(wait_until - t0)
                    rec.supplement += zone.workdays_between(t0, env.now)
                    self.log(p, st, "supplement", "applicant", t0, env.now)
                if not failed:
                    return True
            if rounds >= d.max_rounds:
                rec.capped = True
                p.capped = True
                return False
            t0 = env.now
            fix = fix_v * (self.agents_spec.prepare_scale if plan.agent else 1.0)
            end = finish_time(t0, d.fix, fix, zone)
            yield env.timeout(end - t0)
            rec.rework += zone.workdays_between(t0, end)
            self.log(p, st, "rework", "agent" if plan.agent else "applicant", t0, end)

    def feedback(self, p, st: Stage, rec: StageRecord, rng: np.random.Generator, plan: Plan):
        """Jackson-style feedback: back to an earlier desk with probability p, then reviewed here again."""
        back = self.cs.scenario.stage_by_id[st.feedback.to]
        while rng.random() < st.feedback.p:
            yield from self.review(p, back, rec, back.effort, back.effort.sample(rng))
            yield from self.review(p, st, rec, plan.effort, plan.effort.sample(rng) if plan.effort else 0.0)

    def submit(self, p, rec: StageRecord, commit: bool, st: Stage):
        """A formal submission, in office hours; with a credit commitment dependents start now."""
        t = self.zone.next_open(self.env.now)
        if t > self.env.now:
            yield self.env.timeout(t - self.env.now)
        p.submissions += 1
        rec.submissions += 1
        if rec.submissions == 1:
            rec.submitted = self.env.now
        if commit:
            self.issue(p, st, rec)

    def prereview(self, p, st: Stage, plan: Plan, rng: np.random.Generator):
        """Pre-consultation from signing: preparation and informal review rounds.

        Returns its length in working days, or None if the project gave up (rework cap)."""
        t0 = self.env.now
        rec = StageRecord(st.id, t0)  # scratch record: pre-review time is reported as one figure
        if plan.prepare is not None:
            yield from self.prepare(p, st, rec, plan.prepare, plan.agent, rng, "pre-consultation")
        ok = yield from self.rounds(p, st, rec, rng, replace(plan, commitment=False), formal=False)
        if not ok:
            return None
        if plan.lag is not None:
            end = finish_time(self.env.now, plan.lag, plan.lag.sample(rng), self.zone)
            yield self.env.timeout(end - self.env.now)
        return self.zone.workdays_between(t0, self.env.now)

    def formal_signoff(self, p, st: Stage, rec: StageRecord, rng: np.random.Generator, plan: Plan):
        """After pre-consultation: one submission and the sign-off."""
        yield from self.submit(p, rec, commit=plan.commitment, st=st)
        yield from self.review(p, st, rec, st.prereview.signoff, st.prereview.signoff.sample(rng), sitting=False)
        return True

    def build(self, p, st: Stage, rec: StageRecord, rng: np.random.Generator):
        """Construction work in calendar days outside shutdown windows, plus any stop-work order."""
        env = self.env
        value = st.build.sample(rng) * p.scale * CALENDAR_DAYS[st.build.unit]
        windows = tuple(w for w in st.shutdowns if not self.exempt(w, p))
        cal = self.cs.build_calendar(windows)
        t0 = env.now
        start, end = (t0, t0 + value) if cal is None else (cal.next_open(t0), cal.add(t0, value))
        rec.build_start = start
        pending = [0.0]               # stop-work days ordered while this work runs
        p.building.append(pending)
        yield env.timeout(end - t0)
        while pending[0] > 0:
            delay, pending[0] = pending[0], 0.0
            yield env.timeout(delay)
        p.building.remove(pending)
        rec.build = env.now - t0
        self.log(p, st, "build", "contractor", start, env.now)

    def exempt(self, window: str, p) -> bool:
        """Whether project ``p`` keeps building through shutdown ``window``."""
        cond = self.shutdown_exempt.get(window)
        return cond is not None and cond.holds(p.attrs)

    def verify(self, p, st: Stage, rec: StageRecord, rng: np.random.Generator):
        """Credit commitment: verification after the stage's review; maybe a stop-work delay."""
        c = st.commitment
        if c.verify is not None:
            end = finish_time(self.env.now, c.verify, c.verify.sample(rng), self.zone)
            yield self.env.timeout(end - self.env.now)
        rec.verified = self.env.now
        u, delay = rng.random(), (c.penalty.sample(rng) * CALENDAR_DAYS[c.penalty.unit] if c.penalty else 0.0)
        if u < c.penalty_p:
            p.penalty_days += delay
            for pending in p.building:   # every construction stage under way stops
                pending[0] += delay


def finish_time(t: float, dist: Dist, value: float, calendar) -> float:
    """Clock time at which ``value`` (in ``dist.unit``) started at ``t`` ends on ``calendar``."""
    unit = dist.unit
    if unit == "workday":
        return calendar.add(t, value)
    if unit == "workhour":
        return calendar.add(t, value / calendar.day_hours)
    return t + value * CALENDAR_DAYS[unit]


def rng_for(seed: int, *key: int) -> np.random.Generator:
    """The generator for a spawn key below ``SeedSequence(seed)``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
