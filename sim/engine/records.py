"""Flat records produced by one replication: per stage visit and per project, and the project's KPIs.

Times are clock times (float calendar days since the scenario's start date); time split by category is in
working days of the zone calendar, except ``build`` (calendar days).  Missing values are NaN.

Nothing here knows the live engine objects: a finished project reaches this module as a
:class:`FinishedProject`, a frozen snapshot of what it did.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.core.kpi import MILESTONES
from sim.core.units import DAYS_PER_MONTH, DAYS_PER_YEAR
from sim.engine.compiled import CompiledScenario

NAN = math.nan

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
#: the KPIs of one project, in the order :func:`project_kpis` returns them
PROJECT_KPIS = (
    "approval_workdays",
    "approval_days",
    "to_production_months",
    "submissions",
    "cost_pre_construction_cny",
    "cost_delay_cny",
)


class StageRecord:
    """One stage visit of one project (mutable while the stage runs)."""

    __slots__ = (*STAGE_FIELDS, "build_start")

    def __init__(self, stage: str, started: float) -> None:
        self.stage, self.started = stage, started
        self.submitted = self.issued = self.build_start = self.clock = self.within = self.same_day = NAN
        self.prereview = self.verified = NAN
        self.submissions = 0
        self.prepare = self.queue = self.review = self.sitting = self.rework = self.supplement = 0.0
        self.lag = self.build = 0.0
        self.capped = False


@dataclass(frozen=True, slots=True)
class FinishedProject:
    """What one project did in a replication, handed to the sink when it is finished (or the run ends).

    Attributes:
        idx: the project's number in the replication (named projects first, then the stream's).
        id: its id (a named project's, or ``s00001`` ... for the stream).
        cls: its class id.
        investment_cny: its investment (given or drawn).
        signed: clock time of signing.
        submissions: formal submissions in all its stages.
        capped: whether a stage reached its rework cap (the project gave up).
        visits: stage id -> record of each stage it visited, in the order the visits began.
        skipped: stage id -> clock time at which it skipped the stage.
        roles: stage id -> (reviewed by an agency, counts towards the costs before the permit, its fees) for
            the stage graph that applied to the project.
        reformed: whether the reformed process applied to it (it signed on or after the reform date, if any).
        attributes: its attributes as drawn (``class``, ``investment_cny`` and its class's ``attributes``).
    """

    idx: int
    id: str
    cls: str
    investment_cny: float
    signed: float
    submissions: int
    capped: bool
    visits: Mapping[str, StageRecord]
    skipped: Mapping[str, float]
    roles: Mapping[str, tuple[bool, bool, float]]
    reformed: bool = True
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class ProjectRecord:
    """A finished project's summary: milestones, time split and KPIs."""

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
    #: whether the reformed process applied (see :class:`FinishedProject`)
    reformed: bool = True
    #: its attributes as drawn (see :class:`FinishedProject`)
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class ReplicationResult:
    """Everything one replication returns when its records are kept whole."""

    rep: int
    projects: list[ProjectRecord]
    stages: list[tuple[int, str, StageRecord]]
    agencies: dict[str, tuple[float, float]]
    events: list[tuple[int, str, str, str, float, float]] | None
    #: agency -> weekly (utilisation, queue) arrays
    series: dict[str, tuple[np.ndarray, np.ndarray]] | None = None


def project_kpis(
    cs: CompiledScenario,
    p: FinishedProject,
    with_issued: bool = True,
    worktime: Callable[[float], float] | None = None,
) -> tuple[float, tuple[float, ...], tuple[float, ...], dict[str, float]]:
    """(first submission, milestone times in the order of ``sim.core.kpi.MILESTONES``, KPIs in the order of
    :data:`PROJECT_KPIS`, issue time of each agency stage (empty unless ``with_issued``)) of a finished project.

    Args:
        cs: the compiled scenario the project ran in.
        p: the finished project.
        with_issued: whether to collect each agency stage's issue time.
        worktime: the zone's working time of a clock time of the run, if the caller has a cheaper one than
            ``cs.zone.worktime`` (:func:`sim.scenario.calendar.worktime_function`).

    A milestone is reached at its stage's issue (``at = "end"``) or start (construction start, if it builds),
    or the moment the project skipped the stage; NaN if not reached.  The approval KPIs run from the first
    submission to the construction permit, and are 0 for a project that reached the permit without any
    submission before it (every stage up to it skipped); NaN (censored) only if the permit was not reached.
    """
    costs = cs.scenario.costs
    visits, skipped = p.visits, p.skipped
    ms = []
    for stage, at_end in cs.milestone_at:
        rec = visits.get(stage)
        if rec is None:  # a skipped stage is passed the moment it is skipped
            ms.append(skipped.get(stage, NAN))
        elif at_end:
            ms.append(rec.issued)
        else:
            b = rec.build_start
            ms.append(b if b == b else rec.started)
    permit, production = ms[0], ms[3]
    first = NAN
    fees = staff_workdays = 0.0
    submissions = 0
    issued: dict[str, float] = {}
    roles = p.roles
    for rec in visits.values():
        sub = rec.submitted
        if sub == sub and not sub >= first:  # NaN-safe min over the submitted stages
            first = sub
        reviewed, before_build, cost = roles[rec.stage]
        if reviewed and with_issued:
            issued[rec.stage] = rec.issued
        # what the applicant spent up to the construction permit, in its own process
        if before_build and rec.issued <= permit:
            fees += cost
            staff_workdays += rec.prepare + rec.rework
            submissions += rec.submissions
    reached = permit == permit
    # approval runs from the first submission to the permit; a project that reached the permit without
    # submitting anything before it (its stages skipped) needed no approval: 0, not "censored"
    start = first if first <= permit else permit
    if not reached:
        workdays = NAN
    elif worktime is None:
        workdays = cs.zone.workdays_between(start, permit)
    else:
        workdays = worktime(permit) - worktime(start)
    kpis = (
        workdays,
        permit - start,
        (production - p.signed) / DAYS_PER_MONTH,
        float(submissions) if reached else NAN,
        fees + costs.applicant_day_cny * staff_workdays if reached else NAN,
        p.investment_cny * costs.capital_rate * (production - p.signed) / DAYS_PER_YEAR,
    )
    return first, tuple(ms), kpis, issued


def project_record(cs: CompiledScenario, p: FinishedProject) -> ProjectRecord:
    """Summarise a finished project's stage records into milestones, time split and KPIs."""
    first, ms, kpis, issued = project_kpis(cs, p)
    totals = dict.fromkeys(SPLIT, 0.0)
    for rec in p.visits.values():
        for c in SPLIT:
            totals[c] += getattr(rec, c)
    return ProjectRecord(
        p.idx,
        p.id,
        p.cls,
        p.investment_cny,
        p.signed,
        first,
        dict(zip(MILESTONES, ms)),
        issued,
        p.submissions,
        p.capped,
        totals,
        dict(zip(PROJECT_KPIS, kpis)),
        p.reformed,
        p.attributes,
    )
