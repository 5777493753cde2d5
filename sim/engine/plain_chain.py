"""Plain stage visits run by callbacks: the engine's fast path.

The stations of a queueing network (``scenarios/examples/``) are *plain*
stages: a submission in office hours, a queue for a staff member, the review,
perhaps Jackson-style feedback to an earlier desk, and the decision; no
preparation, lag, defects, sittings, construction, pre-consultation or credit
commitment (:meth:`sim.engine.stage_visit.StageFlow.plan` marks such a plan ``fast``).
The zone's approval stages all have preparation or defects, so they take the
general path.  A :class:`PlainChain` runs a chain of such
visits without a SimPy process: it is itself the event it schedules
(``env.schedule(self, ...)`` with ``callbacks`` set to the next step), and a
desk that frees a server for it calls its :meth:`succeed`, which starts the
review at once (the general path wakes a waiting process with one more event,
at the same instant).  That saves the generator resumes, the ``Timeout`` and
``Event`` objects and the process start-up of the general path.

The callbacks do exactly what :meth:`sim.engine.stage_visit.StageFlow.stage` does for
a plain plan, with the same uniforms and the same delays.  The one difference
(a handed-over server starts work in the same step, not one event later at the
same instant) can only reorder events due at exactly the same clock time;
``tests/test_plain_chain.py`` checks that replications give identical records
either way, on working calendars too.  When a chain reaches a stage
that is not plain for the project, it runs :meth:`~sim.engine.stage_visit.StageFlow.chain`
on from there (:func:`general`); that process hands plain stages back the same
way.
"""

from __future__ import annotations

from simpy.events import NORMAL, URGENT

from sim.engine.draws import Draws
from sim.engine.records import PlainRecord
from sim.scenario.distributions import finish_time


class PlainChain:
    """One chain of plain stage visits of one project (a schedulable event for SimPy)."""

    __slots__ = (
        "callbacks",
        "r",
        "p",
        "env",
        "worktime",
        "st",
        "plan",
        "rec",
        "block",
        "start",
        "d",
        "own",
        "here",
        "value",
        "ag",
        "effort",
        "w_q",
        "w0",
        "end",
        "w_end",
    )

    _ok = True  # SimPy: the event did not fail

    def __init__(self, r, p) -> None:
        self.callbacks: list | None = None  # what SimPy calls when this chain's wake-up is due (see _WORKED)
        self.r, self.p = r, p
        self.env, self.worktime = r.env, r.worktime
        self.end = -1.0  # the last review's end and its working time: a review starting then reuses it

    # -- starting and handing over --------------------------------------------------
    def defer(self, st, plan) -> None:
        """Begin stage ``st`` when SimPy would start a new process (urgent, now): see ``spawn``."""
        self.st, self.plan = st, plan
        self.callbacks = _DEFERRED
        self.r.env.schedule(self, URGENT)

    def _deferred(self) -> None:
        self.begin(self.st, self.plan, self.env.now)

    def begin(self, st, plan, now: float) -> None:
        """Visit stage ``st`` now (clock time ``now``) with ``plan`` (a fast plan, or None: the project
        skips the stage)."""
        r, p = self.r, self.p
        if plan is None:
            p.skipped[st.id] = now
            return self.after(r.release(p, st), now)
        self.st, self.plan = st, plan
        self.d = None  # the stage's Draws, made if feedback needs more than the effort's uniform
        self.block, self.start = block, start = r.draw_source.row(r.stream_key[st.id], p.idx)
        self.rec = p.records[st.id] = PlainRecord(st.id, now)
        # the round's uniforms are start + 1 .. start + 4 (effort, defect, fix, failure; start: agents)
        self.here = plan.effort.quantile(block[start + 1])
        t = r.next_open(now)
        if t > now:  # the submission waits for office hours, with every other chain waiting for then
            openings = r.openings
            gate = openings.get(t)
            if gate is None:
                gate = openings[t] = Opening(openings, t)
                self.env.schedule(gate, NORMAL, t - now)
            gate.waiting.append(self)
            return
        self.submit(now)

    def after(self, ready: list, now: float) -> None:
        """The stage is decided: go on with the first stage it made ready, start the others."""
        r, p = self.r, self.p
        if not ready:
            return r.ended(p)
        if len(ready) > 1:
            for other in ready[1:]:
                r.spawn(p, other)
        st = ready[0]
        plan = p.plans.get(st.id)  # known already for most stages (see Project.plans)
        if plan is None and id(st) in r.fast_stages:
            plan = r.plan(p, st)
            if plan is None:  # skipped
                return self.begin(st, None, now)
        if plan is not None and plan.fast:
            return self.begin(st, plan, now)
        general(r, p, st)  # not plain for this project: the general path

    # -- one visit ------------------------------------------------------------------
    def submit(self, now: float) -> None:
        """The submission (see :meth:`sim.engine.stage_visit.StageFlow.submitted`), then the review."""
        self.p.submissions += 1
        rec = self.rec
        rec.submissions = 1
        rec.submitted = now
        self.own = True
        self.review(self.st, self.plan.effort, self.here, now)

    def review(self, st, effort, value: float, now: float) -> None:
        """Queue for a staff member of ``st``'s agency, then hold them for ``value`` (in ``effort.unit``)."""
        ag = self.ag = self.r.agencies[st.agency]
        self.effort, self.value = effort, value
        desk = ag.desk
        w = self.w_end if now == self.end else self.worktime(now)
        if desk.free:  # Desk.take's first branch, inline (the hot path)
            desk.free -= 1
            return self.work(now, w)
        desk.take(self.p.priority.get(st.agency, 1) if desk.by_priority else 0, self)
        ag.queue_up(now)
        self.w_q = w

    def succeed(self, w0: float | None = None) -> None:
        """A server is handed over now (called by :meth:`sim.engine.desk.Desk.give_back`, with the working time
        now if the giver has it): start the review."""
        t0 = self.env.now
        self.ag.queue_down(t0)
        if w0 is None:
            w0 = self.worktime(t0)
        self.rec.queue += w0 - self.w_q
        self.work(t0, w0)

    def work(self, t0: float, w0: float) -> None:
        """Hold the server from ``t0`` (``w0`` in zone working days) for the review."""
        unit, ag = self.effort.unit, self.ag
        cal = ag.cal
        if unit == "day":
            end = t0 + self.value
        elif cal is self.r.zone:  # w0 is this calendar's working time; working days without finish_time
            end = (
                cal.add(t0, self.value, w0) if unit == "workday" else finish_time(t0, self.effort, self.value, cal, w0)
            )
        else:
            end = finish_time(t0, self.effort, self.value, cal)
        ag.work_start(t0)
        ag.work_end(end)
        self.end, self.w0 = end, w0
        self.callbacks = _WORKED
        self.env.schedule(self, NORMAL, end - t0)

    def _worked(self) -> None:
        st, end = self.st, self.end
        desk = self.ag.desk
        self.w_end = w_end = self.worktime(end)
        now = self.env.now
        if desk.waiting:  # the next file's review starts now: its working time too, if now is the end
            desk.give_back(w_end if now == end else None)
        else:  # Desk.give_back's second branch, inline (the hot path)
            desk.free += 1
        self.rec.review += w_end - self.w0
        if not self.own:  # back from the earlier desk: reviewed here again
            self.own = True
            return self.review(st, self.plan.effort, self.here, now)
        fb = st.feedback
        if fb is not None:
            d = self.d
            if d is None:  # the same row, after the round's four uniforms
                d = self.d = Draws(self.block, self.start, self.r.draw_source, self.r.stream_key[st.id], self.p.idx)
                d.pos += 4
            if d.u() < fb.p:
                u_back, u_here = d.u(), d.u()
                back = self.p.flow.by_id[fb.to]
                self.here = self.plan.effort.quantile(u_here)
                self.own = False
                return self.review(back, back.effort, back.effort.quantile(u_back), now)
        self.after(self.r.issue(self.p, st, self.rec, now), now)


class Opening:
    """An office opening at clock time ``t`` that chains' submissions wait for: one wake-up event (one
    entry in SimPy's heap) for all of them, which submit in the order they began waiting.

    On a working calendar most submissions wait for an opening, and the files that waited overnight
    queue together at it; one event per opening instead of one per file keeps the heap small.  (The
    general path's processes wait with a timeout each: a plain chain and a process waiting for the
    same opening may therefore go in another order than with a timeout each, which only matters for
    who takes a desk first at that instant.)
    """

    __slots__ = ("callbacks", "openings", "t", "waiting")
    _ok = True  # SimPy: the event did not fail

    def __init__(self, openings: dict, t: float) -> None:
        self.openings, self.t, self.waiting = openings, t, []
        self.callbacks = _OPENED

    def _opened(self) -> None:
        del self.openings[self.t]
        if self.waiting:
            now = self.waiting[0].env.now
            for chain in self.waiting:
                chain.submit(now)


# What SimPy calls when a chain's wake-up is due: ``callback(event)``, and the event is the chain itself.
# Shared lists of plain functions (SimPy only reads them) cost nothing per wake-up and make no
# reference cycle, so a finished project's chain is freed at once even with the collector paused.
_DEFERRED = [PlainChain._deferred]
_WORKED = [PlainChain._worked]
_OPENED = [Opening._opened]


def general(r, p, st) -> None:
    """Run ``r.chain(p, st)`` as a SimPy process that starts now, as if the current chain went on.

    ``env.process`` would start it at the next urgent event of this instant, after any process
    started earlier in this instant; running its first step here keeps the order in which the
    general path takes desks and schedules events, so both paths give the same results.
    """
    gen = r.chain(p, st)
    try:
        first = next(gen)
    except StopIteration:
        return
    r.env.process(_carry_on(gen, first))


def _carry_on(gen, ev):
    """Drive generator ``gen`` (already started, waiting for event ``ev``) inside a SimPy process."""
    while True:
        try:
            ev = gen.send((yield ev))
        except StopIteration:
            return
        except Exception as exc:  # a failed event: the chain sees the exception, as in its own process
            try:
                ev = gen.throw(exc)
            except StopIteration:
                return
