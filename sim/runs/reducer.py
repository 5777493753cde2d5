"""From finished projects to KPI arrays and table rows, inside the worker.

A :class:`Reducer` receives each project of a replication as soon as it is
finished (every stage decided, capped, or cut off by the horizon) and folds
it into flat arrays: KPIs, per-stage times, time split by phase, the
approval time along the critical path (:mod:`sim.runs.critical_path`),
milestone times and, when asked, CSV rows.  The project's records can then
be dropped, so a replication's memory holds only the projects under way.
:func:`reduce_replication` does the same for a :class:`~sim.engine.records.ReplicationResult`
kept whole (``sim.engine.replication.simulate``).
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Protocol, TypeVar

import numpy as np

from sim.core.kpi import KPIS, MILESTONES
from sim.engine.compiled import CompiledScenario
from sim.engine.context import EventRow
from sim.engine.monitor import BIN_DAYS, n_bins
from sim.engine.records import (
    PROJECT_KPIS,
    SPLIT,
    STAGE_FIELDS,
    FinishedProject,
    ProjectRecord,
    ReplicationResult,
    StageRecord,
    project_kpis,
    project_record,
)
from sim.runs.critical_path import approval_path
from sim.runs.rows import PROJECTS_CSV_KPIS, STAGE_KINDS, format_rows, project_kinds
from sim.runs.stats import batch
from sim.runs.tables import Row
from sim.scenario.calendar import WorkCalendar, worktime_function

#: one event of the event log as the engine records it: (project idx, stage, step, resource, start, end)
Event = EventRow
#: an agency's weekly (utilisation, queue) arrays
AgencySeries = tuple[np.ndarray, np.ndarray]
#: what the event logs tell of a project: (id, class, investment in CNY, reformed, signing time)
CaseInfo = tuple[str, str, float, bool, float]

#: KPIs also reported per project class
PER_CLASS = tuple(k for k in KPIS if k != "within_limit_share")
assert set(PROJECT_KPIS) == set(KPIS) - {"within_limit_share"}, "records.PROJECT_KPIS is out of date"
_APPROVAL_DAYS, _SUBMISSIONS = PROJECT_KPIS.index("approval_days"), PROJECT_KPIS.index("submissions")
#: milestones counted week by week (the weekly series ``milestones.<id>``)
SERIES_MILESTONES = ("construction_start", "production")


@dataclass
class ReducedReplication:
    """A replication reduced to what the parent aggregates and writes."""

    rep: int
    kpis: dict[str, np.ndarray]
    stages: dict[str, np.ndarray]
    agencies: dict[str, tuple[float, float]]
    counts: dict[str, int]
    same_day: dict[str, np.ndarray]
    classes: dict[str, dict[str, np.ndarray]]
    series: dict[str, np.ndarray] = field(default_factory=dict)
    phase_split: dict[tuple[str, str], float] = field(default_factory=dict)
    #: (stage, category) -> working days on the critical path of the counted projects that reached the permit,
    #: summed: they add up to the sum of their approval times (:func:`sim.runs.critical_path.approval_path`)
    approval_path: dict[tuple[str, str], float] = field(default_factory=dict)
    #: the rows of projects.csv and stages.csv, when asked for (else empty)
    project_rows: list[Row] = field(default_factory=list)
    stage_rows: list[Row] = field(default_factory=list)
    #: the event log in the order the engine logged it, when asked for (else None); written by
    #: :mod:`sim.runs.event_output`
    events: list[Event] | None = None
    #: project number -> (id, class, investment, reformed, signed) of each project with rows
    cases: dict[int, CaseInfo] = field(default_factory=dict)
    #: one row per array of :meth:`arrays`: :func:`sim.runs.stats.batch` of it, computed where the replication ran
    #: (one matrix pickles much faster than a tuple per array)
    batches: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.batches = np.array([batch(v) for v in self.arrays()], dtype=float).reshape(-1, 4)

    def arrays(self) -> Iterator[np.ndarray]:
        """The per-project arrays the parent accumulates, in the order of :func:`per_kpi`."""
        return per_kpi(self)


T_co = TypeVar("T_co", covariant=True)


class KpiHolder(Protocol[T_co]):
    """What :func:`per_kpi` reads: something per KPI, per stage, per agency stage and per class's KPI."""

    @property
    def kpis(self) -> Mapping[str, T_co]:
        """One entry per KPI of :data:`sim.core.kpi.KPIS`."""

    @property
    def stages(self) -> Mapping[str, T_co]:
        """One entry per stage."""

    @property
    def same_day(self) -> Mapping[str, T_co]:
        """One entry per stage an agency reviews."""

    @property
    def classes(self) -> Mapping[str, Mapping[str, T_co]]:
        """Per project class, one entry per KPI of :data:`PER_CLASS`."""


def per_kpi(holder: KpiHolder[T_co]) -> Iterator[T_co]:
    """``holder``'s entries per KPI in one fixed order: the KPIs, stage times, same-day shares, then each
    class's KPIs.  ``holder`` is a :class:`ReducedReplication` (arrays) or a :class:`sim.runs.summary.Summary`
    (accumulators): both keep their KPIs in ``kpis``, ``stages``, ``same_day`` and ``classes``."""
    for k in KPIS:
        yield holder.kpis[k]
    yield from holder.stages.values()
    yield from holder.same_day.values()
    for per_class in holder.classes.values():
        yield from per_class.values()


class Reducer:
    """Folds the finished projects of one replication into a :class:`ReducedReplication`.

    ``detail=False`` folds the projects' KPIs only (and the statutory-limit shares), for runs that compare KPI
    means and nothing else, as lever attribution does: no stage times, same-day shares, classes, weekly
    series, agency figures or critical path, which together cost about a seventh of a replication.
    """

    def __init__(self, cs: CompiledScenario, rep: int, rows: bool, detail: bool = True):
        sc = cs.scenario
        self.cs, self.rep, self.rows, self.detail = cs, rep, rows, detail or rows
        self.agency_figures = self.detail
        self.worktime = worktime_function(cs.zone)
        self.kpi_values = array("d")  # each project's KPIs in the order of PROJECT_KPIS, one after the other
        self.classes: list[str] = []
        self.capped = 0
        self.no_application = 0  # reached the permit with no submission before it (approval time 0)
        self.within = array("d")
        self.per_stage = {s.id: array("d") for s in sc.stages}
        self.same_day = {s.id: array("d") for s in sc.stages if s.agency is not None}
        self.split = {s.id: [0.0] * len(SPLIT) for s in sc.stages}  # stage -> totals in the order of SPLIT
        self.path: dict[tuple[str, str], float] = {}  # (stage, category) -> critical-path working days
        self.permit_stage = cs.milestone_at[0][0]
        # per stage: (has a limit, its appends (the same-day one only if an agency reviews it), its split totals)
        self._roles: dict[str, tuple[bool, Callable[[float], None], Callable[[float], None] | None, list[float]]] = {
            s.id: (
                s.limit is not None,
                self.per_stage[s.id].append,
                self.same_day[s.id].append if s.agency is not None else None,
                self.split[s.id],
            )
            for s in sc.stages
        }
        self.milestones = {m: array("d") for m in SERIES_MILESTONES}
        self._starts = self.milestones["construction_start"].append
        self._productions = self.milestones["production"].append
        # raw values of the rows, by project number, formatted in bulk by finish() (sim.runs.rows)
        self.project_rows: list[tuple[int, Row]] = []
        self.stage_rows: list[tuple[int, list[Row]]] = []
        self._stage_values = attrgetter(*STAGE_FIELDS)
        self.cases: dict[int, CaseInfo] = {}
        if rows:
            self.origin = dt.datetime.combine(sc.start_date, dt.time())
            self.permit_ids = [s.id for s in sc.stages if s.agency is not None]

    def add(self, project: FinishedProject) -> None:
        """Fold in one finished project."""
        if self.rows:
            self.add_record(project_record(self.cs, project), project.visits.values())
            return
        if project.signed < self.cs.warmup:
            return
        first, milestone_times, kpi_values, _issued = project_kpis(self.cs, project, False, self.worktime)
        if not self.detail:
            self.kpi_values.extend(kpi_values)
            self.classes.append(project.cls)
            roles, within = self._roles, self.within.append
            for visit in project.visits.values():
                if roles[visit.stage][0]:
                    within(visit.within)
            return
        self._fold(
            project.cls, project.capped, milestone_times[1], milestone_times[3], kpi_values, project.visits.values()
        )
        self._path(project.reformed, project.visits, project.signed, first, milestone_times[0], kpi_values[0])

    def add_record(self, project: ProjectRecord, stages: Iterable[StageRecord]) -> None:
        """Fold in one finished project's record and stage records."""
        if self.rows:
            self._rows(project, stages)
        if project.signed < self.cs.warmup:  # in the rows, not in the KPIs
            return
        self._fold(
            project.cls,
            project.capped,
            project.milestones["construction_start"],
            project.milestones["production"],
            [project.kpi[k] for k in PROJECT_KPIS],
            stages,
        )
        visits = {visit.stage: visit for visit in stages}
        permit = project.milestones["construction_permit"]
        self._path(
            project.reformed, visits, project.signed, project.first_submission, permit, project.kpi[PROJECT_KPIS[0]]
        )

    def _fold(
        self,
        cls: str,
        capped: bool,
        start: float,
        production: float,
        kpi_values: Sequence[float],
        stages: Iterable[StageRecord],
    ) -> None:
        """Add one counted project: its KPIs, class, milestones and every stage visit's times."""
        self.kpi_values.extend(kpi_values)
        self.classes.append(cls)
        self.capped += capped
        if kpi_values[_APPROVAL_DAYS] == 0.0 and kpi_values[_SUBMISSIONS] == 0.0:
            self.no_application += 1
        if start == start:
            self._starts(start)
        if production == production:
            self._productions(production)
        within = self.within.append
        roles = self._roles
        for visit in stages:
            limited, per_stage, same_day, totals = roles[visit.stage]
            if limited:
                within(visit.within)
            if same_day is not None:  # reviewed: submitted and issued clock times, working days between at the end
                per_stage(visit.submitted)
                per_stage(visit.issued)
                same_day(visit.same_day)
            else:
                per_stage(visit.issued - visit.started)
            totals[0] += visit.prepare  # the order of SPLIT
            totals[1] += visit.queue
            totals[2] += visit.review
            totals[3] += visit.sitting
            totals[4] += visit.rework
            totals[5] += visit.supplement
            totals[6] += visit.lag
            totals[7] += visit.build

    def _path(
        self,
        reformed: bool,
        visits: Mapping[str, StageRecord],
        signed: float,
        first: float,
        permit: float,
        workdays: float,
    ) -> None:
        """Add a counted project's approval time along its critical path (if it reached the permit)."""
        if workdays != workdays:
            return
        cs = self.cs
        graph = cs.graph if reformed or cs.base_graph is None else cs.base_graph
        start = first if first <= permit else permit  # as sim.engine.records.project_kpis
        approval_path(graph, visits, signed, self.permit_stage, start, permit, self.worktime, self.path)

    def _stage_times(self, stage: str, values: array[float]) -> np.ndarray:
        """A stage's time per visit: working days submitted -> issued (agency stages), else calendar days."""
        v = np.frombuffer(values, dtype=float).copy()
        if stage in self.same_day:  # pairs (submitted, issued)
            return _workdays_between(self.cs.zone, v[0::2], v[1::2])
        return v

    def _rows(self, project: ProjectRecord, stages: Iterable[StageRecord]) -> None:
        """Keep the raw values of the project's row and of its stage visits' rows."""
        self.cases[project.idx] = (project.id, project.cls, project.investment_cny, project.reformed, project.signed)
        milestones, issued = project.milestones, project.issued
        self.project_rows.append(
            (
                project.idx,
                [
                    self.rep,
                    project.id,
                    project.cls,
                    project.investment_cny,
                    project.signed,
                    project.first_submission,
                    *(milestones[m] for m in MILESTONES),
                    project.submissions,
                    project.capped,
                    *project.split.values(),
                    *(project.kpi[k] for k in PROJECTS_CSV_KPIS),
                    *(issued.get(s, math.nan) for s in self.permit_ids),
                ],
            )
        )
        head, values = (self.rep, project.id), self._stage_values
        self.stage_rows.append((project.idx, [[*head, *values(visit)] for visit in stages]))

    def finish(
        self,
        agencies: dict[str, tuple[float, float]],
        series: Mapping[str, AgencySeries] | None,
        events: list[Event] | None,
    ) -> ReducedReplication:
        """The reduced replication (rows in project order)."""
        sc = self.cs.scenario
        by_project = np.frombuffer(self.kpi_values, dtype=float).reshape(-1, len(PROJECT_KPIS))
        kpis = {k: by_project[:, i].copy() for i, k in enumerate(PROJECT_KPIS)}
        kpis["within_limit_share"] = np.frombuffer(self.within, dtype=float).copy()
        detail = self.detail
        classes = np.array(self.classes, dtype=object)
        by_class = {c.id: {k: kpis[k][classes == c.id] for k in PER_CLASS} for c in sc.classes} if detail else {}
        counts = {
            "projects": len(self.classes),
            "reached_construction_permit": int(np.sum(~np.isnan(kpis["approval_days"]))),
            "reached_production": int(np.sum(~np.isnan(kpis["to_production_months"]))),
            "capped": int(self.capped),
            "permit_without_application": self.no_application,
        }
        phase_split: dict[tuple[str, str], float] = {}
        for stage, totals in self.split.items():
            phase = sc.stage_by_id[stage].phase or "(no phase)"
            for c, v in zip(SPLIT, totals):
                if v:
                    phase_split[phase, c] = phase_split.get((phase, c), 0.0) + v
        out = ReducedReplication(
            self.rep,
            kpis,
            {k: self._stage_times(k, v) for k, v in self.per_stage.items()} if detail else {},
            agencies,
            counts,
            {k: np.frombuffer(v, dtype=float).copy() for k, v in self.same_day.items()} if detail else {},
            by_class,
            _series(self.cs, series, self.milestones) if detail else {},
            phase_split,
            dict(sorted(self.path.items())),
        )
        if self.rows:
            self.project_rows.sort(key=lambda x: x[0])
            self.stage_rows.sort(key=lambda x: x[0])
            origin = self.origin
            out.project_rows = format_rows(origin, project_kinds(self.cs), [row for _, row in self.project_rows])
            out.stage_rows = format_rows(origin, STAGE_KINDS, [row for _, rows in self.stage_rows for row in rows])
            if events is not None:
                out.events, out.cases = events, self.cases
        return out


def _workdays_between(cal: WorkCalendar, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """Working days between clock times, element by element (NaN where either is NaN)."""
    out = np.full(len(t0), np.nan)
    ok = ~(np.isnan(t0) | np.isnan(t1))
    out[ok] = cal.worktime_many(t1[ok]) - cal.worktime_many(t0[ok])
    return out


def reduce_replication(cs: CompiledScenario, res: ReplicationResult, rows: bool) -> ReducedReplication:
    """KPI arrays (NaN = not reached by the horizon) and, if ``rows``, CSV rows, of a whole replication."""
    by_project: dict[int, list[StageRecord]] = {}
    for idx, _pid, visit in res.stages:
        by_project.setdefault(idx, []).append(visit)
    reducer = Reducer(cs, res.rep, rows)
    for project in res.projects:
        reducer.add_record(project, by_project.get(project.idx, ()))
    return reducer.finish(res.agencies, res.series, res.events)


def _series(
    cs: CompiledScenario, agencies: Mapping[str, AgencySeries] | None, milestones: Mapping[str, array[float]]
) -> dict[str, np.ndarray]:
    """Weekly series: agency utilisation and queue, cumulative projects at construction start and production."""
    out: dict[str, np.ndarray] = {}
    for k, (util, queue) in (agencies or {}).items():
        out[f"agencies.{k}.utilisation"] = util
        out[f"agencies.{k}.queue"] = queue
    nb = n_bins(cs.horizon)
    edges = np.arange(1, nb + 1) * BIN_DAYS
    for m, values in milestones.items():
        times = np.sort(np.frombuffer(values, dtype=float))
        out[f"milestones.{m}"] = np.searchsorted(times, edges, side="right").astype(float)
    return out
