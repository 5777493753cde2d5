"""Where a stage visit under way stands when a warm-started replication begins, and how its steps continue.

A replication that starts from a backlog (:mod:`sim.engine.warm`) hands each stage visit under way a
:class:`Resume`; :class:`~sim.engine.stage_flow.StageFlow` runs the visit from that step on, through the same
code as any other visit.  A step under way for some time continues with its remaining part, drawn from the
step's distribution conditioned on the time already spent (:meth:`~sim.scenario.distributions.Dist.quantile_above`):
a review ten working days old is not restarted, and one that is exponential is memoryless.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.engine.records import StageRecord
from sim.scenario.calendar import WorkCalendar
from sim.scenario.distributions import Dist, elapsed_time, finish_time
from sim.scenario.stage_options import Tolerant

NAN = math.nan

#: the steps a visit can be resumed at, in the order a visit passes them
STEPS = ("prepare", "queue", "review", "sitting", "supplement", "rework", "lag", "build")
#: the steps that are part of a round of review (:meth:`StageFlow.rounds`)
ROUND_STEPS = frozenset(("queue", "review", "sitting", "supplement", "rework"))
#: the record category the time already spent in each step counts in
CATEGORY = {
    "prepare": "prepare",
    "queue": "queue",
    "review": "review",
    "sitting": "sitting",
    "supplement": "supplement",
    "rework": "rework",
    "lag": "lag",
    "build": "build",
}


@dataclass(frozen=True, slots=True)
class Resume:
    """A stage visit under way at the start of a warm-started replication.

    Attributes:
        step: one of :data:`STEPS`: the step the visit is in.
        since: the clock time the step began (for ``queue`` and ``supplement``, the submission of the round).
        round: the round of review it is in (1 is the first submission; for ``rework``, the round that was
            found defective; the resubmission is the next).
        submitted: clock time of the stage's first submission, NaN if not known (the statutory clock then
            counts from the submission of the current round).
        submissions: formal submissions made so far.
        paused: working days the statutory clock did not count before this step (earlier rework, and the
            excluded sittings and lags of earlier rounds).
        issued: when it was issued, if it already was (under a credit commitment, at its first submission).
    """

    step: str
    since: float
    round: int = 1
    submitted: float = NAN
    submissions: int = 0
    paused: float = 0.0
    issued: float = NAN

    def record(self, stage: str, now: float, zone: WorkCalendar) -> StageRecord:
        """The visit's record as it stands ``now``: first submission, submissions, the clock's pauses, and the
        time spent in the current step so far in its category (working days; construction in calendar days)."""
        submitted = self.submitted
        rec = StageRecord(stage, self.since if submitted != submitted else min(submitted, self.since))
        rec.submitted = submitted
        rec.submissions = self.submissions
        rec.rework = self.paused
        rec.issued = self.issued
        spent = now - self.since if self.step == "build" else zone.workdays_between(self.since, now)
        category = CATEGORY[self.step]
        setattr(rec, category, getattr(rec, category) + spent)
        return rec

    def remaining(self, dist: Dist, u: float, now: float, calendar: WorkCalendar, scale: float = 1.0) -> float:
        """The rest of a ``dist`` step (times ``scale``) that began at :attr:`since`, from uniform ``u``, given
        that it was still under way ``now``; in ``dist``'s unit."""
        return remaining(dist, u, elapsed_time(self.since, now, dist, calendar), scale)


def remaining(dist: Dist, u: float, spent: float, scale: float = 1.0) -> float:
    """The rest of a step whose length is ``scale`` times a draw of ``dist``, given that ``spent`` of it (in
    ``dist``'s unit, scale included) has passed: the draw from uniform ``u`` conditioned on exceeding what
    was spent, minus it; 0 when the step has run longer than ``dist`` allows."""
    x = spent / scale if scale > 0 else 0.0
    return max(0.0, dist.quantile_above(u, x) - x) * scale


def supplement_outcome(
    resume: Resume,
    tolerant: Tolerant,
    fix: Dist,
    fix_scale: float,
    u_fail: float,
    u_fix: float,
    now: float,
    zone: WorkCalendar,
) -> tuple[bool, float]:
    """(failed, when the wait ends) of a file accepted under tolerant acceptance whose missing documents had
    not come by ``now``: the documents come after the fix time conditioned on not having come yet, or the
    decision is voided at the deadline (failure, or documents later than the deadline).

    Given that nothing came in the ``e`` working days since the submission, a failure (probability ``p``
    a priori, :attr:`Tolerant.fail_p`) has the probability ``p / (p + (1 - p) (1 - F(e)))`` by Bayes' rule,
    ``F`` the distribution of the fix time.
    """
    deadline = zone.add(resume.since, tolerant.deadline)
    spent = elapsed_time(resume.since, now, fix, zone)
    p = tolerant.fail_p
    late = 1.0 - fix.cdf(spent / fix_scale if fix_scale > 0 else 0.0)
    waiting = p + (1.0 - p) * late
    failed = waiting <= 0.0 or u_fail < p / waiting
    supplied = deadline
    if not failed:
        rest = remaining(fix, u_fix, spent, fix_scale)
        supplied = finish_time(now, fix, rest, zone)
        failed = supplied > deadline
    return failed, max(now, deadline if failed else supplied)
