"""What happens inside one stage visit (SimPy processes), mixed into :class:`sim.engine.replication.Replication`.

Order inside a stage: applicant preparation (with an agent if the project
uses one) -> submission in office hours -> queue for a staff member ->
review (effort) -> sitting -> defect handling (strict rework or tolerant
acceptance) -> lag -> construction work.  Pre-consultation moves the review
before the predecessors end; credit commitment lets dependents start at the
submission while verification runs in the background.

Every round draws the same uniforms in the same order (effort, defect, fix,
supplement failure) whatever the acceptance mode and whatever the
distributions, so switching a lever on keeps common random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sim.engine.draws import Draws
from sim.engine.plain_chain import PlainChain
from sim.engine.records import StageRecord
from sim.scenario.distributions import CALENDAR_DAYS, Dist, finish_time
from sim.scenario.scenario import Defect, Stage


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
    fast: bool = False  # a plain visit: run by :class:`~sim.engine.plain_chain.PlainChain` callbacks


class StageFlow:
    """Stage processes; expects the attributes set by :class:`sim.engine.replication.Replication`."""

    def plan(self, p, st: Stage) -> Plan | None:
        """The stage's plan for project ``p``, or None if the project skips it."""
        plain = st.id in p.flow.plain
        if plain:  # nothing about this stage depends on the project but its kind (see Project.plans)
            plan = p.plans.get(st.id)
            if plan is not None:
                return plan
        elif not st.enabled or (st.when is not None and not st.when.holds(p.attrs)):
            return None
        reg = st.regional
        regional = reg is not None and p.attrs.get(reg.attribute) is True
        if regional and reg.mode == "skip":
            return None
        agent = p.agent and st.agency is not None
        prereview = st.prereview is not None and p.attrs.get(st.prereview.attribute) is True
        commitment = st.commitment is not None and p.attrs.get(st.commitment.attribute) is True
        key = (st.id, p.reformed, regional, agent, prereview, commitment)
        plan = self._plans.get(key)
        if plan is None:
            prepare, effort, lag, defect = st.prepare, st.effort, st.lag, st.defect
            if regional:
                prepare, effort, lag, defect = reg.prepare, reg.effort, reg.lag, None
            if agent and defect is not None:
                defect = replace(defect, p=defect.p * self.agents_spec.defect_scale)
            fast = (
                id(st) in self.fast_stages and prepare is None and lag is None and defect is None and effort is not None
            )
            plan = self._plans[key] = Plan(prepare, effort, lag, defect, agent, prereview, commitment, fast)
        if plain:
            p.plans[st.id] = plan
        return plan

    def draws_for(self, p, st: Stage) -> Draws:
        """Project ``p``'s uniforms at stage ``st``."""
        return self.draw_source.draws(self.stream_key[st.id], p.idx)

    def chain(self, p, st: Stage):
        """Run ``st``, then each stage its decision made ready: the first here, any others in new processes.

        A stage that is plain for the project goes to a :class:`PlainChain`, which carries on from there.
        """
        while True:
            if id(st) in self.fast_stages:
                plan = self.plan(p, st)
                if plan is not None and plan.fast:
                    PlainChain(self, p).begin(st, plan, self.env.now)
                    return
            ready = yield from self.stage(p, st)
            if not ready:
                break
            for other in ready[1:]:
                self.spawn(p, other)
            st = ready[0]
        self.ended(p)

    def stage(self, p, st: Stage):
        """One stage visit, its predecessors decided; returns the dependents it made ready."""
        env = self.env
        now = env.now
        pre = p.pre.pop(st.id, None) if p.pre else None
        if pre is None:
            plan = self.plan(p, st)
            if plan is None:
                p.skipped[st.id] = now
                return self.release(p, st)
            d = self.draws_for(p, st)
        else:
            plan, d, pre = pre
        rec = p.records[st.id] = StageRecord(st.id, now)
        if pre is not None:
            t0 = now
            yield pre
            if pre.value is None:  # capped during pre-consultation
                return ()
            rec.review += self.zone.workdays_between(t0, env.now)  # waiting for the pre-review to finish
            rec.prereview = pre.value
            ok = yield from self.formal_signoff(p, st, rec, d, plan)
        else:
            if plan.prepare is not None:
                yield from self.prepare(p, st, rec, plan.prepare, plan.agent, d, "prepare")
            ok = True
            if st.agency is not None:
                ok = yield from self.rounds(p, st, rec, d, plan, formal=True)
        if not ok:
            return ()
        if plan.lag is not None and pre is None:
            t0 = env.now
            end = finish_time(t0, plan.lag, plan.lag.quantile(d.u()), self.zone)
            yield env.timeout(end - t0)
            rec.lag = self.zone.workdays_between(t0, end)
            if self.events is not None:
                self.log(p, st, "lag", st.agency or "-", t0, end)
        if st.build is not None:
            yield from self.build(p, st, rec, d)
        if plan.commitment:  # its dependents started at the submission
            yield from self.verify(p, st, rec, d)
            return ()
        return self.issue(p, st, rec)

    def release(self, p, st: Stage) -> list[Stage]:
        """``st`` is decided (or skipped): the dependents for which it was the last predecessor."""
        direct = p.flow.direct.get(st.id)
        if direct is not None:  # nothing else to wait for
            return direct
        ready = []
        waiting = p.waiting
        for dep in p.flow.dependents[st.id]:
            n = waiting[dep.id] - 1
            waiting[dep.id] = n
            if n == 0:
                ready.append(dep)
        return ready

    def issue(self, p, st: Stage, rec: StageRecord, now: float | None = None) -> list[Stage]:
        """The decision (at ``now``, default the clock): record the issue time and the statutory clock;
        returns the dependents made ready."""
        rec.issued = now = self.env.now if now is None else now
        if rec.submissions:
            rec.same_day = 1.0 if int(rec.submitted) == int(now) else 0.0
        if st.limit is not None:
            clock = self.zone.workdays_between(rec.submitted, rec.issued) - rec.rework
            for cat in st.limit.excludes:
                clock -= getattr(rec, cat)
            rec.clock = clock
            rec.within = 1.0 if clock <= st.limit.workdays + 1e-9 else 0.0
        return self.release(p, st)

    def prepare(self, p, st: Stage, rec: StageRecord, dist: Dist, agent: bool, d: Draws, step: str):
        """Applicant preparation; with agent service, shorter, then an agent prepares and files it.

        The agent is held only for its own ``effort`` (waiting for a free agent counts as queue).
        """
        env, zone = self.env, self.zone
        value = dist.quantile(d.u())
        t0 = env.now
        end = finish_time(t0, dist, value * self.agents_spec.prepare_scale if agent else value, zone)
        yield env.timeout(end - t0)
        rec.prepare += zone.workdays_between(t0, end)
        if self.events is not None:
            self.log(p, st, step, "applicant", t0, end)
        if agent:
            t0 = env.now
            ev = self.agent_pool.take()
            if ev is not None:
                yield ev
                rec.queue += zone.workdays_between(t0, env.now)
                if self.events is not None:
                    self.log(p, st, "agent_wait", "agents", t0, env.now)
            t0 = env.now
            effort = self.agents_spec.effort
            end = finish_time(t0, effort, effort.quantile(d.agent), zone)  # the row's reserved uniform
            yield env.timeout(end - t0)
            self.agent_pool.give_back()
            rec.prepare += zone.workdays_between(t0, end)
            if self.events is not None:
                self.log(p, st, "agent", "agents", t0, end)

    def review(self, p, st: Stage, rec: StageRecord, effort: Dist | None, value: float, sitting: bool = True):
        """Queue for a staff member, hold them for the effort, then (``sitting``) wait for a sitting."""
        env = self.env
        ag = self.agencies[st.agency]
        if effort is not None:
            t0 = env.now
            desk = ag.desk
            ev = desk.take(p.priority.get(st.agency, 1) if desk.by_priority else 0)
            worktime = self.worktime
            if ev is not None:
                t_q = t0
                ag.queue.arrive(t_q)
                w_q = worktime(t_q)
                w0 = yield ev  # the working time now, if the giver had it (Desk.give_back)
                t0 = env.now
                ag.queue.leave(t0)
                if w0 is None:
                    w0 = worktime(t0)
                rec.queue += w0 - w_q
                if self.events is not None:
                    self.log(p, st, "queue", st.agency, t_q, t0)
            else:
                w0 = worktime(t0)
            cal = ag.cal
            end = (
                t0 + value
                if effort.unit == "day"
                else finish_time(t0, effort, value, cal, w0 if cal is self.zone else None)
            )
            ag.work_done.add(t0, end)
            yield env.timeout(end - t0)
            w_end = worktime(end)
            desk.give_back(w_end if env.now == end else None)
            rec.review += w_end - w0
            if self.events is not None:
                self.log(p, st, "review", st.agency, t0, end)
        if sitting and ag.ca.sitting_times is not None:
            t0 = env.now
            yield ag.wait_for_sitting(p.priority.get(st.agency, 1))
            rec.sitting += self.zone.workdays_between(t0, env.now)
            if self.events is not None:
                self.log(p, st, "sitting", st.agency, t0, env.now)

    def rounds(self, p, st: Stage, rec: StageRecord, d: Draws, plan: Plan, formal: bool):
        """Submit and review until accepted (strict rework or tolerant acceptance).  False if capped.

        ``formal`` rounds are submissions; pre-consultation rounds (``formal=False``) are not.
        """
        env, zone = self.env, self.zone
        defect = plan.defect
        fix_scale = self.agents_spec.prepare_scale if plan.agent else 1.0
        rounds = 0
        while True:
            rounds += 1
            u_effort, u, u_fix, u_fail = d.u4()
            if formal:  # a submission, in office hours
                now = env.now
                t = self.next_open(now)
                if t > now:
                    yield env.timeout(t - now)
                self.submitted(p, st, rec, commit=plan.commitment and rounds == 1)
            defective = defect is not None and u < defect.p * defect.decay ** (rounds - 1)
            tolerant = st.tolerant if defective and formal else None
            if tolerant is not None:
                t_sub = env.now
                supplied = finish_time(t_sub, defect.fix, defect.fix.quantile(u_fix) * fix_scale, zone)
                deadline = zone.add(t_sub, tolerant.deadline)
                failed = u_fail < tolerant.fail_p or supplied > deadline
            effort = plan.effort
            yield from self.review(p, st, rec, effort, effort.quantile(u_effort) if effort is not None else 0.0)
            if st.feedback is not None and formal:
                yield from self.feedback(p, st, rec, d, plan)
            if not defective:
                return True
            if tolerant is not None:
                wait_until = deadline if failed else supplied
                if wait_until > env.now:
                    t0 = env.now
                    yield env.timeout(wait_until - t0)
                    rec.supplement += zone.workdays_between(t0, env.now)
                    if self.events is not None:
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
            if self.events is not None:
                self.log(p, st, "rework", "agent" if plan.agent else "applicant", t0, end)

    def feedback(self, p, st: Stage, rec: StageRecord, d: Draws, plan: Plan):
        """Jackson-style feedback: back to an earlier desk with probability p, then reviewed here again."""
        back = p.flow.by_id[st.feedback.to]
        fb_p, effort = st.feedback.p, plan.effort
        while d.u() < fb_p:
            u_back, u_here = d.u(), d.u()
            yield from self.review(p, back, rec, back.effort, back.effort.quantile(u_back))
            yield from self.review(p, st, rec, effort, effort.quantile(u_here) if effort is not None else 0.0)

    def submitted(self, p, st: Stage, rec: StageRecord, commit: bool) -> None:
        """A formal submission now; with a credit commitment, the dependents start now."""
        p.submissions += 1
        rec.submissions += 1
        if rec.submissions == 1:
            rec.submitted = self.env.now
        if commit:
            for dep in self.issue(p, st, rec):
                self.spawn(p, dep)

    def prereview(self, p, st: Stage, plan: Plan, d: Draws):
        """Pre-consultation from signing: preparation and informal review rounds.

        Returns its length in working days, or None if the project gave up (rework cap)."""
        t0 = self.env.now
        rec = StageRecord(st.id, t0)  # scratch record: pre-review time is reported as one figure
        if plan.prepare is not None:
            yield from self.prepare(p, st, rec, plan.prepare, plan.agent, d, "pre-consultation")
        ok = yield from self.rounds(p, st, rec, d, replace(plan, commitment=False), formal=False)
        if ok and plan.lag is not None:
            end = finish_time(self.env.now, plan.lag, plan.lag.quantile(d.u()), self.zone)
            yield self.env.timeout(end - self.env.now)
        self.ended(p)
        return self.zone.workdays_between(t0, self.env.now) if ok else None

    def formal_signoff(self, p, st: Stage, rec: StageRecord, d: Draws, plan: Plan):
        """After pre-consultation: one submission and the sign-off."""
        env = self.env
        t = self.next_open(env.now)
        if t > env.now:
            yield env.timeout(t - env.now)
        self.submitted(p, st, rec, commit=plan.commitment)
        signoff = st.prereview.signoff
        yield from self.review(p, st, rec, signoff, signoff.quantile(d.u()), sitting=False)
        return True

    def build(self, p, st: Stage, rec: StageRecord, d: Draws):
        """Construction work in calendar days outside shutdown windows, plus any stop-work order."""
        env = self.env
        value = st.build.quantile(d.u()) * p.scale * CALENDAR_DAYS[st.build.unit]
        windows = tuple(w for w in st.shutdowns if not self.exempt(w, p))
        cal = self.cs.build_calendar(windows)
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
        if self.events is not None:
            self.log(p, st, "build", "contractor", start, env.now)

    def exempt(self, window: str, p) -> bool:
        """Whether project ``p`` keeps building through shutdown ``window``."""
        cond = self.shutdown_exempt.get(window)
        return cond is not None and cond.holds(p.attrs)

    def verify(self, p, st: Stage, rec: StageRecord, d: Draws):
        """Credit commitment: verification after the stage's review; maybe a stop-work delay."""
        c = st.commitment
        u_verify, u, u_penalty = d.u(), d.u(), d.u()
        if c.verify is not None:
            end = finish_time(self.env.now, c.verify, c.verify.quantile(u_verify), self.zone)
            yield self.env.timeout(end - self.env.now)
        rec.verified = self.env.now
        if u < c.penalty_p and c.penalty is not None:
            delay = c.penalty.quantile(u_penalty) * CALENDAR_DAYS[c.penalty.unit]
            p.penalty_days += delay
            for pending in p.building:  # every construction stage under way stops
                pending[0] += delay
