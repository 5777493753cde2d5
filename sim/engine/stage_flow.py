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
from sim.engine.project import Plan, Planner, PreConsultation, Project
from sim.engine.records import StageRecord
from sim.engine.resume import ROUND_STEPS, Resume, remaining, supplement_outcome
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
        #: the stage's plan for a project, or None if the project skips it
        self.plan = Planner(ctx.agents).plan

    # -- a project's life -------------------------------------------------------------
    def start(self, project: Project) -> None:
        """The project signs now: pre-consultations begin, and the stages without predecessors."""
        self.under_way[project.idx] = project
        graph = project.graph
        project.waiting = dict(graph.n_after)
        for stage in graph.prereviewed:
            plan = self.plan(project, stage)
            if plan is not None and plan.prereview:
                draws = self.draws_for(project, stage)
                project.active += 1
                project.pre[stage.id] = PreConsultation(
                    plan, draws, self.env.process(self.prereview(project, stage, plan, draws))
                )
        for stage in graph.roots:
            self.spawn(project, stage)
        if not project.active:
            self.finish(project)

    def spawn(self, project: Project, stage: Stage, resume: Resume | None = None) -> None:
        """Start a process that runs ``stage`` of ``project`` (from where ``resume`` says it stands) and what
        follows it."""
        project.active += 1
        self.env.process(self.chain(project, stage, resume))

    def chain(self, project: Project, stage: Stage, resume: Resume | None = None) -> Steps[None]:
        """Run ``stage``, then each stage its decision made ready: the first here, any others in new processes."""
        while True:
            ready = yield from self.visit(project, stage, resume)
            resume = None
            if not ready:
                break
            for other in ready[1:]:
                self.spawn(project, other)
            stage = ready[0]
        self.ended(project)

    def ended(self, project: Project) -> None:
        """One of the project's processes ended; the last one finishes the project."""
        project.active -= 1
        if not project.active:
            self.finish(project)

    def finish(self, project: Project) -> None:
        """Hand the project to the sink (finished, cut off by the horizon, or not signed by then) and let go
        of it."""
        self.under_way.pop(project.idx, None)
        self.sink.add(project.finished())

    def draws_for(self, project: Project, stage: Stage) -> Draws:
        """The project's uniforms at the stage."""
        return self.ctx.draws.draws(self.ctx.stream_keys[stage.id], project.idx)

    # -- one stage visit --------------------------------------------------------------
    def visit(self, project: Project, stage: Stage, resume: Resume | None = None) -> Steps[list[Stage]]:
        """One stage visit, its predecessors decided; returns the dependents it made ready.

        ``resume``: the visit was under way when a warm-started replication began; it goes on from that step.
        """
        env = self.env
        now = env.now
        pre = project.pre.pop(stage.id, None) if project.pre else None
        if pre is None:
            plan = self.plan(project, stage)
            if plan is None:
                project.skipped[stage.id] = now
                return self.release(project, stage)
            draws = self.draws_for(project, stage)
        else:
            plan, draws = pre.plan, pre.draws
        at = ""
        if resume is None:
            record = project.visits[stage.id] = StageRecord(stage.id, now)
        else:
            at = resume.step
            record = project.visits[stage.id] = resume.record(stage.id, now, self.zone)
        if pre is not None:
            t0 = now
            days = yield pre.process
            if days is None:  # capped during pre-consultation
                return []
            record.review += self.worktime(env.now) - self.worktime(t0)  # waiting for the pre-review to finish
            record.prereview = days
            yield from self.formal_signoff(project, stage, record, draws, plan)
        else:
            if plan.prepare is not None and at in ("", "prepare"):
                since = resume.since if resume is not None and at else None
                yield from self.prepare(project, stage, record, plan.prepare, plan.agent, draws, "prepare", since)
            if stage.agency is not None and at not in ("lag", "build"):
                again = resume if at in ROUND_STEPS else None
                ok = yield from self.rounds(project, stage, stage.agency, record, draws, plan, True, again)
                if not ok:
                    return []
            if plan.lag is not None and at != "build":
                t0 = env.now
                u = draws.u()
                lag = plan.lag
                value = lag.quantile(u) if at != "lag" or resume is None else resume.remaining(lag, u, t0, self.zone)
                w0 = self.worktime(t0)
                end = finish_time(t0, plan.lag, value, self.zone, w0)
                yield env.timeout(end - t0)
                record.lag = self.worktime(end) - w0
                self.log(project, stage, "lag", stage.agency or "-", t0, end)
        if stage.build is not None:
            yield from self.build(project, stage, stage.build, record, draws, resume if at == "build" else None)
        if plan.commitment:  # its dependents started at the submission
            yield from self.verify(project, stage, record, draws)
            return []
        return self.issue(project, stage, record)

    def release(self, project: Project, stage: Stage) -> list[Stage]:
        """``stage`` is decided (or skipped): the dependents for which it was the last predecessor."""
        direct = project.graph.direct.get(stage.id)
        if direct is not None:  # nothing else to wait for
            return direct
        ready = []
        waiting = project.waiting
        for dep in project.graph.dependents[stage.id]:
            n = waiting[dep.id] - 1
            waiting[dep.id] = n
            if n == 0:
                ready.append(dep)
        return ready

    def issue(self, project: Project, stage: Stage, record: StageRecord) -> list[Stage]:
        """The decision now: record the issue time and the statutory clock; returns the dependents made ready."""
        record.issued = now = self.env.now
        if record.submissions and record.submitted == record.submitted:
            record.same_day = 1.0 if int(record.submitted) == int(now) else 0.0
        if stage.limit is not None and record.submitted == record.submitted:  # (NaN: not known, for a resumed visit)
            # (the zone's own method: a resumed visit may have been submitted before the run's first day)
            clock = self.zone.workdays_between(record.submitted, record.issued) - record.rework
            for category in stage.limit.excludes:
                clock -= getattr(record, category)
            record.clock = clock
            record.within = 1.0 if clock <= stage.limit.workdays + 1e-9 else 0.0
        return self.release(project, stage)

    def prepare(
        self,
        project: Project,
        stage: Stage,
        record: StageRecord,
        dist: Dist,
        agent: bool,
        draws: Draws,
        step: str,
        since: float | None = None,
    ) -> Steps[None]:
        """Applicant preparation; with agent service, shorter, then an agent prepares and files it.

        The agent is held only for its own ``effort`` (waiting for a free agent counts as queue).  ``since``:
        the preparation began then (a warm start); what is left of it is drawn given the time spent.
        """
        env, zone, agents = self.env, self.zone, self.agents
        u = draws.u()
        t0 = env.now
        scale = agents.prepare_scale if agent and agents is not None else 1.0
        if since is None:
            value = dist.quantile(u) * scale
        else:
            value = Resume("prepare", since).remaining(dist, u, t0, zone, scale)
        wt = self.worktime
        w0 = wt(t0)
        end = finish_time(t0, dist, value, zone, w0)
        yield env.timeout(end - t0)
        record.prepare += wt(end) - w0
        self.log(project, stage, step, "applicant", t0, end)
        pool = self.ctx.agent_pool
        if agent and agents is not None and pool is not None:
            t0 = env.now
            handed = pool.take()
            if handed is not None:
                yield handed
                record.queue += wt(env.now) - wt(t0)
                self.log(project, stage, "agent_wait", "agents", t0, env.now)
            t0 = env.now
            effort = agents.effort
            w0 = wt(t0)
            end = finish_time(t0, effort, effort.quantile(draws.agent), zone, w0)  # the row's reserved uniform
            yield env.timeout(end - t0)
            pool.give_back()
            record.prepare += wt(end) - w0
            self.log(project, stage, "agent", "agents", t0, end)

    def review(
        self,
        project: Project,
        agency: str,
        stage: Stage,
        record: StageRecord,
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
            handed = desk.take(project.priority.get(agency, 1) if desk.by_priority else 0)
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
                record.queue += w_start - w_queued
                if self.events is not None:
                    self.log(project, stage, "queue", agency, t_queued, t0)
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
            record.review += w_end - w_start
            if self.events is not None:
                self.log(project, stage, "review", agency, t0, end)
        if sitting and ag.sitting_times is not None:
            yield from self.sitting(project, agency, stage, record, ag)

    def sitting(self, project: Project, agency: str, stage: Stage, record: StageRecord, ag: AgencyState) -> Steps[None]:
        """Wait for the agency's next sitting that takes this file."""
        t0 = self.env.now
        yield ag.wait_for_sitting(project.priority.get(agency, 1))
        record.sitting += self.worktime(self.env.now) - self.worktime(t0)
        self.log(project, stage, "sitting", agency, t0, self.env.now)

    def rounds(
        self,
        project: Project,
        stage: Stage,
        agency: str,
        record: StageRecord,
        draws: Draws,
        plan: Plan,
        formal: bool,
        resume: Resume | None = None,
    ) -> Steps[bool]:
        """Submit and review until accepted (strict rework or tolerant acceptance).  False if capped.

        ``formal`` rounds are submissions; pre-consultation rounds (``formal=False``) are not.  ``resume``: the
        round under way at a warm start, which goes on from its step (the queue, the review, the sitting, the
        wait for missing documents or the rework) with what is left of that step.
        """
        env, zone = self.env, self.zone
        defect = plan.defect
        fix_scale = self.agents.prepare_scale if plan.agent and self.agents is not None else 1.0
        effort = plan.effort
        rounds = 0 if resume is None else resume.round - 1
        while True:
            rounds += 1
            u_effort, u_defect, u_fix, u_fail = draws.u4()
            defective = defect is not None and u_defect < defect.p * defect.decay ** (rounds - 1)
            tolerant = None
            failed = False
            wait_until = 0.0
            reviewed = True
            if resume is None:
                if formal:  # a submission, in office hours
                    now = env.now
                    t = self.next_open(now)
                    if t > now:
                        yield env.timeout(t - now)
                    self.submitted(project, stage, record, commit=plan.commitment and rounds == 1)
                tolerant = stage.tolerant if defective and formal else None
                if tolerant is not None and defect is not None:
                    t_sub = env.now
                    supplied = finish_time(t_sub, defect.fix, defect.fix.quantile(u_fix) * fix_scale, zone)
                    deadline = zone.add(t_sub, tolerant.deadline)
                    failed = u_fail < tolerant.fail_p or supplied > deadline
                    wait_until = deadline if failed else supplied
                value = effort.quantile(u_effort) if effort is not None else 0.0
                yield from self.review(project, agency, stage, record, effort, value)
            else:
                at, resumed, resume = resume.step, resume, None
                reviewed = at in ("queue", "review", "sitting")
                if at == "rework" and defect is not None:  # returned before the start: the rest of the fix
                    t0 = env.now
                    end = finish_time(t0, defect.fix, resumed.remaining(defect.fix, u_fix, t0, zone, fix_scale), zone)
                    yield env.timeout(end - t0)
                    record.rework += self.worktime(end) - self.worktime(t0)
                    self.log(project, stage, "rework", "agent" if plan.agent else "applicant", t0, end)
                    continue
                if at == "supplement" and stage.tolerant is not None and defect is not None:
                    defective, tolerant = True, stage.tolerant
                    failed, wait_until = supplement_outcome(
                        resumed, tolerant, defect.fix, fix_scale, u_fail, u_fix, env.now, zone
                    )
                elif reviewed:
                    if stage.tolerant is not None:  # accepted without missing documents
                        defective = False
                    value = 0.0
                    if effort is not None and at == "review":
                        value = resumed.remaining(effort, u_effort, env.now, self.agencies[agency].calendar)
                    elif effort is not None:
                        value = effort.quantile(u_effort)
                    yield from self.review(project, agency, stage, record, None if at == "sitting" else effort, value)
            if stage.feedback is not None and formal and reviewed:
                yield from self.feedback(project, stage, record, draws, plan)
            if not defective or defect is None:
                return True
            if tolerant is not None:
                if wait_until > env.now:
                    t0 = env.now
                    yield env.timeout(wait_until - t0)
                    record.supplement += self.worktime(env.now) - self.worktime(t0)
                    self.log(project, stage, "supplement", "applicant", t0, env.now)
                if not failed:
                    return True
            if rounds >= defect.max_rounds:
                record.capped = True
                project.capped = True
                return False
            t0 = env.now
            w0 = self.worktime(t0)
            end = finish_time(t0, defect.fix, defect.fix.quantile(u_fix) * fix_scale, zone, w0)
            yield env.timeout(end - t0)
            record.rework += self.worktime(end) - w0
            self.log(project, stage, "rework", "agent" if plan.agent else "applicant", t0, end)

    def feedback(self, project: Project, stage: Stage, record: StageRecord, draws: Draws, plan: Plan) -> Steps[None]:
        """Jackson-style feedback: back to an earlier desk with probability project, then reviewed here again."""
        fb = stage.feedback
        if fb is None or stage.agency is None:
            return
        back = project.graph.by_id[fb.to]
        effort = plan.effort
        while draws.u() < fb.p:
            u_back, u_here = draws.u(), draws.u()
            if back.agency is not None and back.effort is not None:  # validation guarantees both
                yield from self.review(project, back.agency, back, record, back.effort, back.effort.quantile(u_back))
            value = effort.quantile(u_here) if effort is not None else 0.0
            yield from self.review(project, stage.agency, stage, record, effort, value)

    def submitted(self, project: Project, stage: Stage, record: StageRecord, commit: bool) -> None:
        """A formal submission now; with a credit commitment, the dependents start now."""
        project.submissions += 1
        record.submissions += 1
        if record.submitted != record.submitted:  # NaN: the first submission (or the first one known)
            record.submitted = self.env.now
        if commit:
            for dep in self.issue(project, stage, record):
                self.spawn(project, dep)

    def prereview(self, project: Project, stage: Stage, plan: Plan, draws: Draws) -> Steps[float | None]:
        """Pre-consultation from signing: preparation and informal review rounds.

        Returns its length in working days, or None if the project gave up (rework cap)."""
        env = self.env
        t0 = env.now
        record = StageRecord(stage.id, t0)  # scratch record: pre-review time is reported as one figure
        if plan.prepare is not None:
            yield from self.prepare(project, stage, record, plan.prepare, plan.agent, draws, "pre-consultation")
        ok = True
        if stage.agency is not None:
            ok = yield from self.rounds(
                project, stage, stage.agency, record, draws, replace(plan, commitment=False), formal=False
            )
        if ok and plan.lag is not None:
            end = finish_time(env.now, plan.lag, plan.lag.quantile(draws.u()), self.zone)
            yield env.timeout(end - env.now)
        self.ended(project)
        return self.worktime(env.now) - self.worktime(t0) if ok else None

    def formal_signoff(
        self, project: Project, stage: Stage, record: StageRecord, draws: Draws, plan: Plan
    ) -> Steps[None]:
        """After pre-consultation: one submission and the sign-off."""
        env = self.env
        t = self.next_open(env.now)
        if t > env.now:
            yield env.timeout(t - env.now)
        self.submitted(project, stage, record, commit=plan.commitment)
        if stage.prereview is not None and stage.agency is not None:
            signoff = stage.prereview.signoff
            yield from self.review(
                project, stage.agency, stage, record, signoff, signoff.quantile(draws.u()), sitting=False
            )

    def build(
        self, project: Project, stage: Stage, work: Dist, record: StageRecord, draws: Draws, resume: Resume | None
    ) -> Steps[None]:
        """Construction ``work`` in calendar days outside shutdown windows, plus any stop-work order; ``resume``:
        under way since then (a warm start), what is left of it given the days worked."""
        env = self.env
        u = draws.u()
        windows = tuple(w for w in stage.shutdowns if not self.exempt(w, project))
        cal = self.ctx.compiled.build_calendar(windows)
        t0 = env.now
        if resume is None:
            value = work.quantile(u) * project.scale * CALENDAR_DAYS[work.unit]
        else:  # days worked so far: outside the shutdown windows
            worked = t0 - resume.since if cal is None else cal.workdays_between(resume.since, t0)
            value = remaining(work, u, worked, project.scale * CALENDAR_DAYS[work.unit])
        start, end = (t0, t0 + value) if cal is None else (cal.next_open(t0), cal.add(t0, value))
        record.build_start = start if resume is None else resume.since
        pending = [0.0]  # stop-work days ordered while this work runs
        project.building.append(pending)
        yield env.timeout(end - t0)
        while pending[0] > 0:
            delay, pending[0] = pending[0], 0.0
            yield env.timeout(delay)
        project.building.remove(pending)
        record.build += env.now - t0
        self.log(project, stage, "build", "contractor", start, env.now)

    def exempt(self, window: str, project: Project) -> bool:
        """Whether ``project`` keeps building through shutdown ``window``."""
        cond = self.ctx.shutdown_exempt.get(window)
        return cond is not None and cond.holds(project.attrs)

    def verify(self, project: Project, stage: Stage, record: StageRecord, draws: Draws) -> Steps[None]:
        """Credit commitment: verification after the stage's review; maybe a stop-work delay."""
        c = stage.commitment
        if c is None:
            return
        u_verify, u_penalty_p, u_penalty = draws.u(), draws.u(), draws.u()
        if c.verify is not None:
            end = finish_time(self.env.now, c.verify, c.verify.quantile(u_verify), self.zone)
            yield self.env.timeout(end - self.env.now)
        record.verified = self.env.now
        if u_penalty_p < c.penalty_p and c.penalty is not None:
            delay = c.penalty.quantile(u_penalty) * CALENDAR_DAYS[c.penalty.unit]
            project.penalty_days += delay
            for pending in project.building:  # every construction stage under way stops
                pending[0] += delay

    def log(self, project: Project, stage: Stage, step: str, resource: str, t0: float, t1: float) -> None:
        """Append one activity to the event log, if it is kept."""
        if self.events is not None and t1 > t0:
            self.events.append((project.idx, stage.id, step, resource, t0, t1))
