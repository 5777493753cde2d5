"""Flat records produced by one replication: per stage visit and per project.

Times are clock times (float calendar days since the scenario's start date);
time split by category is in working days of the zone calendar, except
``build`` (calendar days).  Missing values are NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.engine.compiled import CompiledScenario
    from sim.engine.replication import Project

NAN = math.nan
DAYS_PER_MONTH = 365.2425 / 12.0
DAYS_PER_YEAR = 365.2425


class StageRecord:
    """One stage visit of one project (mutable while the stage runs)."""

    __slots__ = (
        "stage",
        "started",
        "submitted",
        "issued",
        "submissions",
        "prepare",
        "queue",
        "review",
        "sitting",
        "rework",
        "supplement",
        "lag",
        "build",
        "build_start",
        "clock",
        "within",
        "same_day",
        "prereview",
        "verified",
        "capped",
    )
    plain = False  # see PlainRecord

    def __init__(self, stage: str, started: float):
        self.stage, self.started = stage, started
        self.submitted = self.issued = self.build_start = self.clock = self.within = self.same_day = NAN
        self.prereview = self.verified = NAN
        self.submissions = 0
        self.prepare = self.queue = self.review = self.sitting = self.rework = self.supplement = 0.0
        self.lag = self.build = 0.0
        self.capped = False


class PlainRecord:
    """A plain stage visit of one project (:mod:`sim.engine.plain_chain`): the same fields as a
    :class:`StageRecord`, but those such a visit never sets (preparation, sittings, rework, lag,
    construction, pre-consultation, credit commitment) are constants of the class, so that making one
    and folding it (``plain``: only queue and review time to add) cost less; setting one of them fails.
    """

    __slots__ = (
        "stage",
        "started",
        "submitted",
        "issued",
        "submissions",
        "queue",
        "review",
        "clock",
        "within",
        "same_day",
    )
    plain = True
    prepare = sitting = rework = supplement = lag = build = 0.0
    build_start = prereview = verified = NAN
    capped = False

    def __init__(self, stage: str, started: float):
        self.stage, self.started = stage, started
        self.submitted = self.issued = self.clock = self.within = self.same_day = NAN
        self.submissions = 0
        self.queue = self.review = 0.0


#: a stage visit's record, either kind
VisitRecord = StageRecord | PlainRecord

#: stages.csv columns after rep, project; the values come from StageRecord attributes
STAGE_FIELDS = (
    "stage",
    "started",
    "submitted",
    "issued",
    "submissions",
    "prepare",
    "queue",
    "review",
    "sitting",
    "rework",
    "supplement",
    "lag",
    "build",
    "clock",
    "within",
    "same_day",
    "prereview",
    "verified",
    "capped",
)
#: categories summed into a project's time split (working days; build in calendar days)
SPLIT = ("prepare", "queue", "review", "sitting", "rework", "supplement", "lag", "build")


@dataclass
class ProjectRecord:
    """What one project did in one replication."""

    idx: int
    id: str
    cls: str
    investment_cny: float
    signed: float
    first_submission: float
    milestones: dict[str, float]
    issued: dict[str, float]
    submissions: int
    capped: bool
    split: dict[str, float]
    kpi: dict[str, float]


@dataclass
class ReplicationResult:
    """Everything one replication returns to the runner."""

    rep: int
    projects: list[ProjectRecord]
    stages: list[tuple[int, str, StageRecord]]
    agencies: dict[str, tuple[float, float]]
    events: list | None
    series: dict[str, tuple[Any, Any]] | None = None  # agency -> weekly (utilisation, queue) arrays


MILESTONES = ("construction_permit", "construction_start", "completion", "production")
#: the key figures of one project, in the order :func:`project_figures` returns them
PROJECT_FIGURES = (
    "approval_workdays",
    "approval_days",
    "to_production_months",
    "submissions",
    "cost_pre_construction_cny",
    "cost_delay_cny",
)


def project_figures(
    cs: CompiledScenario, p: Project, with_issued: bool = True, worktime: Callable[[float], float] | None = None
) -> tuple[float, tuple, tuple, dict[str, float]]:
    """(first submission, milestone times in the order of MILESTONES, key figures in the order of
    PROJECT_FIGURES, issue time of each agency stage (empty unless ``with_issued``)) of a finished project.

    ``worktime``: the zone's working time of a clock time of the run, if the caller has a cheaper one
    than ``cs.zone.worktime`` (:func:`sim.scenario.calendar.worktime_function`).

    A milestone is reached at its stage's issue (``at = "end"``) or start (construction start, if it
    builds), or the moment the project skipped the stage; NaN if not reached.
    """
    sc = cs.scenario
    records, skipped = p.records, p.skipped
    ms = []
    for stage, at_end in cs.milestone_at:
        rec = records.get(stage)
        if rec is None:  # a skipped stage is passed the moment it is skipped
            ms.append(skipped.get(stage, NAN))
        elif at_end:
            ms.append(rec.issued)
        else:
            b = rec.build_start
            ms.append(b if b == b else rec.started)
    permit, production = ms[0], ms[3]
    first = NAN
    fees = staff_wd = 0.0
    submissions = 0
    issued: dict[str, float] = {}
    roles = p.flow.roles
    for r in records.values():
        sub = r.submitted
        if sub == sub and not sub >= first:  # NaN-safe min over the submitted stages
            first = sub
        reviewed, before_build, cost = roles[r.stage]
        if reviewed and with_issued:
            issued[r.stage] = r.issued
        # what the applicant spent up to the construction permit, in its own process
        if before_build and r.issued <= permit:
            fees += cost
            staff_wd += r.prepare + r.rework
            submissions += r.submissions
    reached = permit == permit
    if not (reached and first == first):
        workdays = NAN
    elif worktime is None:
        workdays = cs.zone.workdays_between(first, permit)
    else:
        workdays = worktime(permit) - worktime(first)
    figures = (
        workdays,
        permit - first,
        (production - p.signed) / DAYS_PER_MONTH,
        float(submissions) if reached else NAN,
        fees + sc.costs.applicant_day_cny * staff_wd if reached else NAN,
        p.attrs["investment_cny"] * sc.costs.capital_rate * (production - p.signed) / DAYS_PER_YEAR,
    )
    return first, tuple(ms), figures, issued


def project_record(cs: CompiledScenario, p: Project) -> ProjectRecord:
    """Summarise a project's stage records into milestones, time split and key figures."""
    first, ms, figures, issued = project_figures(cs, p)
    totals = dict.fromkeys(SPLIT, 0.0)
    for r in p.records.values():
        for c in SPLIT:
            totals[c] += getattr(r, c)
    return ProjectRecord(
        p.idx,
        p.id,
        p.cls,
        p.attrs["investment_cny"],
        p.signed,
        first,
        dict(zip(MILESTONES, ms)),
        issued,
        p.submissions,
        p.capped,
        totals,
        dict(zip(PROJECT_FIGURES, figures)),
    )
