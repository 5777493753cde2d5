"""Each project's stage graph as SimPy processes: the one implementation of a stage visit.

A project's processes: one per chain of stages (a stage's decision starts the dependents it made ready: the
first goes on in the same process, any others in new ones) and one per pre-consultation.  The last of them
to end finishes the project, which goes to the sink as a :class:`~sim.engine.records.FinishedProject`.

Order inside a stage: applicant preparation (with an agent if the project uses one) -> submission in office
hours -> queue for a staff member -> review (effort) -> sitting -> defect handling (strict rework or tolerant
acceptance) -> lag -> construction work.  Pre-consultation moves the review before the predecessors end;
credit commitment lets dependents start at the submission while verification runs in the background.

Every round draws the same uniforms in the same order (effort, defect, fix, supplement failure) whatever the
acceptance mode and whatever the distributions, so switching a lever on keeps common random numbers.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from typing import Any, TypeVar

import simpy

from sim.core.units import CALENDAR_DAYS
from sim.engine.agency import AgencyState
from sim.engine.context import RunContext
from sim.engine.draws import Draws
from sim.engine.project import Plan, PreConsultation, Project
from sim.engine.records import StageRecord
from sim.scenario.distributions import Dist, finish_time
from sim.scenario.spec import Stage

T = TypeVar("T")
#: the body of a SimPy process (or a part of one, run with ``yield from``) that returns a ``T``
Steps = Generator[simpy.Event, Any, T]


class StageFlow:
    """Runs the stage graphs of one replication's projects; every project it starts, it finishes."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        # the context's fields the hot paths read, as attributes
        self.env = ctx.env
        self.zone = ctx.zone
        self.worktime = ctx.worktime
        self.next_open = ctx.next_open
        self.agencies = ctx.agencies
        self.agents = ctx.agents
        self.events = ctx.events
        self.sink = ctx.sink
        #: projects signed and not yet finished, by number
        self.under_way: dict[int, Project] = {}
        self._plans: dict[tuple[str, bool, bool, bool, bool, bool], Plan] = {}

    # -- a project's life -------------------------------------------------------------
    def start(self, p: Project) -> None:
        """The project signs now: pre-consultations begin, and the stages without predecessors."""
        self.under_way[p.idx] = p
        graph = p.graph
        p.waiting = dict(graph.n_after)
        for st in graph.prereviewed:
            plan = self.plan(p, st)
            if plan is not None and plan.prereview:
                draws = self.draws_for(p, st)
                p.active += 1
                p.pre[st.id] = PreConsultation(plan, draws, self.env.process(self.prereview(p, st, plan, draws)))
        for st in graph.roots:
            self.spawn(p, st)
        if not p.active:
            self.finish(p)

    def spawn(self, p: Project, st: Stage) -> None:
        """Start a process that runs stage ``st`` of ``p`` and what follows it."""
        p.active += 1
        self.env.process(self.chain(p, st))

    def chain(self, p: Project, st: Stage) -> Steps[None]:
        """Run ``st``, then each stage its decision made ready: the first here, any others in new processes."""
        while True:
            ready = yield from self.stage(p, st)
            if not ready:
                break
            for other in ready[1:]:
                self.spawn(p, other)
            st = ready[0]
        self.ended(p)

    def ended(self, p: Project) -> None:
        """One of the project's processes ended; the last one finishes the project."""
        p.active -= 1
        if not p.active:
            self.finish(p)

    def finish(self, p: Project) -> None:
        """Hand the project to the sink (finished, cut off by the horizon, or not signed by then) and let go
        of it."""
        self.under_way.pop(p.idx, None)
        self.sink.add(p.finished())

    # -- the plan ---------------------------------------------------------------------
    def plan(self, p: Project, st: Stage) -> Plan | None:
        """The stage's plan for project ``p``, or None if the project skips it."""
        kind_only = st.id in p.graph.kind_only
        if kind_only:  # nothing about this stage depends on the project but its kind (see Project.kind_plans)
            known = p.kind_plans.get(st.id)
            if known is not None:
                return known
        elif not st.enabled or (st.when is not None and not st.when.holds(p.attrs)):
            return None
        reg = st.regional
        regional = reg is not None and p.attrs.get(reg.attribute) is True
        if reg is not None and regional and reg.mode == "skip":
            return None
        agent = p.agent and st.agency is not None
        prereview = st.prereview is not None and p.attrs.get(st.prereview.attribute) is True
        commitment = st.commitment is not None and p.attrs.get(st.commitment.attribute) is True
        key = (st.id, p.reformed, regional, agent, prereview, commitment)
        plan = self._plans.get(key)
        if plan is None:
            prepare, effort, lag, defect = st.prepare, st.effort, st.lag, st.defect
            if reg is not None and regional:
                prepare, effort, lag, defect = reg.prepare, reg.effort, reg.lag, None
            if agent and defect is not None and self.agents is not None:
                defect = replace(defect, p=defect.p * self.agents.defect_scale)
            plan = self._plans[key] = Plan(prepare, effort, lag, defect, agent, prereview, commitment)
        if kind_only:
            p.kind_plans[st.id] = plan
        return plan

    def draws_for(self, p: Project, st: Stage) -> Draws:
        """Project ``p``'s uniforms at stage ``st``."""
        return self.ctx.draws.draws(self.ctx.stream_keys[st.id], p.idx)

    # -- one stage visit --------------------------------------------------------------
    def stage(self, p: Project, st: Stage) -> Steps[list[Stage]]:
        """One stage visit, its predecessors decided; returns the dependents it made ready."""
        env = self.env
        now = env.now
        pre = p.pre.pop(st.id, None) if p.pre else None
        if pre is None:
            plan = self.plan(p, st)
            if plan is None:
                p.skipped[st.id] = now
                return self.release(p, st)
            draws = self.draws_for(p, st)
        else:
            plan, draws = pre.plan, pre.draws
        rec = p.visits[st.id] = StageRecord(st.id, now)
        if pre is not None:
            t0 = now
            days = yield pre.process
            if days is None:  # capped during pre-consultation
                return []
            rec.review += self.zone.workdays_between(t0, env.now)  # waiting for the pre-review to finish
            rec.prereview = days
            yield from self.formal_signoff(p, st, rec, draws, plan)
        else:
            if plan.prepare is not None:
                yield from self.prepare(p, st, rec, plan.prepare, plan.agent, draws, "prepare")
            if st.agency is not None:
                ok = yield from self.rounds(p, st, st.agency, rec, draws, plan, formal=True)
                if not ok:
                    return []
            if plan.lag is not None:
                t0 = env.now
                end = finish_time(t0, plan.lag, plan.lag.quantile(draws.u()), self.zone)
                yield env.timeout(end - t0)
                rec.lag = self.zone.workdays_between(t0, end)
                self.log(p, st, "lag", st.agency or "-", t0, end)
        if st.build is not None:
            yield from self.build(p, st, st.build, rec, draws)
        if plan.commitment:  # its dependents started at the submission
            yield from self.verify(p, st, rec, draws)
            return []
        return self.issue(p, st, rec)

    def release(self, p: Project, st: Stage) -> list[Stage]:
        """``st`` is decided (or skipped): the dependents for which it was the last predecessor."""
        direct = p.graph.direct.get(st.id)
        if direct is not None:  # nothing else to wait for
            return direct
        ready = []
        waiting = p.waiting
        for dep in p.graph.dependents[st.id]:
            n = waiting[dep.id] - 1
            waiting[dep.id] = n
            if n == 0:
                ready.append(dep)
        return ready

    def issue(self, p: Project, st: Stage, rec: StageRecord) -> list[Stage]:
        """The decision now: record the issue time and the statutory clock; returns the dependents made ready."""
        rec.issued = now = self.env.now
        if rec.submissions:
            rec.same_day = 1.0 if int(rec.submitted) == int(now) else 0.0
        if st.limit is not None:
            clock = self.zone.workdays_between(rec.submitted, rec.issued) - rec.rework
            for category in st.limit.excludes:
                clock -= getattr(rec, category)
            rec.clock = clock
            rec.within = 1.0 if clock <= st.limit.workdays + 1e-9 else 0.0
        return self.release(p, st)

    def prepare(
        self, p: Project, st: Stage, rec: StageRecord, dist: Dist, agent: bool, draws: Draws, step: str
    ) -> Steps[None]:
        """Applicant preparation; with agent service, shorter, then an agent prepares and files it.

        The agent is held only for its own ``effort`` (waiting for a free agent counts as queue).
        """
        env, zone, agents = self.env, self.zone, self.agents
        value = dist.quantile(draws.u())
        t0 = env.now
        if agent and agents is not None:
            value *= agents.prepare_scale
        end = finish_time(t0, dist, value, zone)
        yield env.timeout(end - t0)
        rec.prepare += zone.workdays_between(t0, end)
        self.log(p, st, step, "applicant", t0, end)
        pool = self.ctx.agent_pool
        if agent and agents is not None and pool is not None:
            t0 = env.now
            handed = pool.take()
            if handed is not None:
                yield handed
                rec.queue += zone.workdays_between(t0, env.now)
                self.log(p, st, "agent_wait", "agents", t0, env.now)
            t0 = env.now
            effort = agents.effort
            end = finish_time(t0, effort, effort.quantile(draws.agent), zone)  # the row's reserved uniform
            yield env.timeout(end - t0)
            pool.give_back()
            rec.prepare += zone.workdays_between(t0, end)
            self.log(p, st, "agent", "agents", t0, end)

    def review(
        self,
        p: Project,
        agency: str,
        st: Stage,
        rec: StageRecord,
        effort: Dist | None,
        value: float,
        sitting: bool = True,
    ) -> Steps[None]:
        """Queue for a staff member of ``agency``, hold them for ``value`` of ``effort``, then (``sitting``)
        wait for the agency's sitting, if it has sittings."""
        env = self.env
        ag = self.agencies[agency]
        if effort is not None:
            t0 = env.now
            desk = ag.desk
            handed = desk.take(p.priority.get(agency, 1) if desk.by_priority else 0)
            worktime = self.worktime
            if handed is not None:
                t_queued = t0
                ag.queue.arrive(t_queued)
                w_queued = worktime(t_queued)
                w_start = yield handed  # the working time now, if the giver had it (Desk.give_back)
                t0 = env.now
                ag.queue.leave(t0)
                if w_start is None:
                    w_start = worktime(t0)
                rec.queue += w_start - w_queued
                if self.events is not None:
                    self.log(p, st, "queue", agency, t_queued, t0)
            else:
                w_start = worktime(t0)
            cal = ag.calendar
            if effort.unit == "day":
                end = t0 + value
            else:
                end = finish_time(t0, effort, value, cal, w_start if cal is self.zone else None)
            ag.work_done.add(t0, end)
            yield env.timeout(end - t0)
            w_end = worktime(end)
            desk.give_back(w_end if env.now == end else None)
            rec.review += w_end - w_start
            if self.events is not None:
                self.log(p, st, "review", agency, t0, end)
        if sitting and ag.sitting_times is not None:
            yield from self.sitting(p, agency, st, rec, ag)

    def sitting(self, p: Project, agency: str, st: Stage, rec: StageRecord, ag: AgencyState) -> Steps[None]:
        """Wait for the agency's next sitting that takes this file."""
        t0 = self.env.now
        yield ag.wait_for_sitting(p.priority.get(agency, 1))
        rec.sitting += self.zone.workdays_between(t0, self.env.now)
        self.log(p, st, "sitting", agency, t0, self.env.now)

    def rounds(
        self, p: Project, st: Stage, agency: str, rec: StageRecord, draws: Draws, plan: Plan, formal: bool
    ) -> Steps[bool]:
        """Submit and review until accepted (strict rework or tolerant acceptance).  False if capped.

        ``formal`` rounds are submissions; pre-consultation rounds (``formal=False``) are not.
        """
        env, zone = self.env, self.zone
        defect = plan.defect
        fix_scale = self.agents.prepare_scale if plan.agent and self.agents is not None else 1.0
        effort = plan.effort
        rounds = 0
        while True:
            rounds += 1
            u_effort, u_defect, u_fix, u_fail = draws.u4()
            if formal:  # a submission, in office hours
                now = env.now
                t = self.next_open(now)
                if t > now:
                    yield env.timeout(t - now)
                self.submitted(p, st, rec, commit=plan.commitment and rounds == 1)
            defective = defect is not None and u_defect < defect.p * defect.decay ** (rounds - 1)
            tolerant = st.tolerant if defective and formal else None
            supplied = deadline = 0.0
            failed = False
            if tolerant is not None and defect is not None:
                t_sub = env.now
                supplied = finish_time(t_sub, defect.fix, defect.fix.quantile(u_fix) * fix_scale, zone)
                deadline = zone.add(t_sub, tolerant.deadline)
                failed = u_fail < tolerant.fail_p or supplied > deadline
            value = effort.quantile(u_effort) if effort is not None else 0.0
            yield from self.review(p, agency, st, rec, effort, value)
            if st.feedback is not None and formal:
                yield from self.feedback(p, st, rec, draws, plan)
            if not defective or defect is None:
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
            if rounds >= defect.max_rounds:
                rec.capped = True
                p.capped = True
                return False
            t0 = env.now
            end = finish_time(t0, defect.fix, defect.fix.quantile(u_fix) * fix_scale, zone)
            yield env.timeout(end - t0)
            rec.rework += zone.workdays_between(t0, end)
            self.log(p, st, "rework", "agent" if plan.agent else "applicant", t0, end)

    def feedback(self, p: Project, st: Stage, rec: StageRecord, draws: Draws, plan: Plan) -> Steps[None]:
        """Jackson-style feedback: back to an earlier desk with probability p, then reviewed here again."""
        fb = st.feedback
        if fb is None or st.agency is None:
            return
        back = p.graph.by_id[fb.to]
        effort = plan.effort
        while draws.u() < fb.p:
            u_back, u_here = draws.u(), draws.u()
            if back.agency is not None and back.effort is not None:  # validation guarantees both
                yield from self.review(p, back.agency, back, rec, back.effort, back.effort.quantile(u_back))
            value = effort.quantile(u_here) if effort is not None else 0.0
            yield from self.review(p, st.agency, st, rec, effort, value)

    def submitted(self, p: Project, st: Stage, rec: StageRecord, commit: bool) -> None:
        """A formal submission now; with a credit commitment, the dependents start now."""
        p.submissions += 1
        rec.submissions += 1
        if rec.submissions == 1:
            rec.submitted = self.env.now
        if commit:
            for dep in self.issue(p, st, rec):
                self.spawn(p, dep)

    def prereview(self, p: Project, st: Stage, plan: Plan, draws: Draws) -> Steps[float | None]:
        """Pre-consultation from signing: preparation and informal review rounds.

        Returns its length in working days, or None if the project gave up (rework cap)."""
        env = self.env
        t0 = env.now
        rec = StageRecord(st.id, t0)  # scratch record: pre-review time is reported as one figure
        if plan.prepare is not None:
            yield from self.prepare(p, st, rec, plan.prepare, plan.agent, draws, "pre-consultation")
        ok = True
        if st.agency is not None:
            ok = yield from self.rounds(p, st, st.agency, rec, draws, replace(plan, commitment=False), formal=False)
        if ok and plan.lag is not None:
            end = finish_time(env.now, plan.lag, plan.lag.quantile(draws.u()), self.zone)
            yield env.timeout(end - env.now)
        self.ended(p)
        return self.zone.workdays_between(t0, env.now) if ok else None

    def formal_signoff(self, p: Project, st: Stage, rec: StageRecord, draws: Draws, plan: Plan) -> Steps[None]:
        """After pre-consultation: one submission and the sign-off."""
        env = self.env
        t = self.next_open(env.now)
        if t > env.now:
            yield env.timeout(t - env.now)
        self.submitted(p, st, rec, commit=plan.commitment)
        if st.prereview is not None and st.agency is not None:
            signoff = st.prereview.signoff
            yield from self.review(p, st.agency, st, rec, signoff, signoff.quantile(draws.u()), sitting=False)

    def build(self, p: Project, st: Stage, work: Dist, rec: StageRecord, draws: Draws) -> Steps[None]:
        """Construction ``work`` in calendar days outside shutdown windows, plus any stop-work order."""
        env = self.env
        value = work.quantile(draws.u()) * p.scale * CALENDAR_DAYS[work.unit]
        windows = tuple(w for w in st.shutdowns if not self.exempt(w, p))
        cal = self.ctx.compiled.build_calendar(windows)
        t0 = env.now
        start, end = (t0, t0 + value) if cal is None else (cal.next_open(t0), cal.add(t0, value))
        rec.build_start = start
        pending = [0.0]  # stop-work days ordered while this work runs
        p.building.append(pending)
        yield env.timeout(end - t0)
        while pending[0] > 0:
            delay, pending[0] = pending[0], 0.0
            yield env.timeout(delay)
        p.building.remove(pending)
        rec.build = env.now - t0
        self.log(p, st, "build", "contractor", start, env.now)

    def exempt(self, window: str, p: Project) -> bool:
        """Whether project ``p`` keeps building through shutdown ``window``."""
        cond = self.ctx.shutdown_exempt.get(window)
        return cond is not None and cond.holds(p.attrs)

    def verify(self, p: Project, st: Stage, rec: StageRecord, draws: Draws) -> Steps[None]:
        """Credit commitment: verification after the stage's review; maybe a stop-work delay."""
        c = st.commitment
        if c is None:
            return
        u_verify, u_penalty_p, u_penalty = draws.u(), draws.u(), draws.u()
        if c.verify is not None:
            end = finish_time(self.env.now, c.verify, c.verify.quantile(u_verify), self.zone)
            yield self.env.timeout(end - self.env.now)
        rec.verified = self.env.now
        if u_penalty_p < c.penalty_p and c.penalty is not None:
            delay = c.penalty.quantile(u_penalty) * CALENDAR_DAYS[c.penalty.unit]
            p.penalty_days += delay
            for pending in p.building:  # every construction stage under way stops
                pending[0] += delay

    def log(self, p: Project, st: Stage, step: str, resource: str, t0: float, t1: float) -> None:
        """Append one activity to the event log, if it is kept."""
        if self.events is not None and t1 > t0:
            self.events.append((p.idx, st.id, step, resource, t0, t1))
