"""A scenario made ready to simulate: calendars built, stages ordered, seeds keyed.

Compiling happens once per run in the parent process; the result is pickled
to worker processes, so calendar warnings are issued once and every
replication shares the same precomputed working-time tables.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from sim.core.kpi import MILESTONES
from sim.scenario.calendar import WorkCalendar, shutdown_mask, zone_calendar
from sim.scenario.graph import topological_order
from sim.scenario.scenario import Agency, Scenario, Stage


def stage_key(stage_id: str) -> int:
    """A stable integer for a stage id, used in its random stream's spawn key."""
    return zlib.crc32(stage_id.encode("utf-8"))


@dataclass
class CompiledAgency:
    """An agency with its calendar and the clock times of its sittings."""

    spec: Agency
    calendar: WorkCalendar
    sitting_times: np.ndarray | None


@dataclass(frozen=True)
class StageGraph:
    """A process's stage graph, ready to run: topological order, roots, dependents, predecessor counts."""

    order: list[Stage]
    roots: list[Stage]
    dependents: dict[str, list[Stage]]
    n_after: dict[str, int]
    by_id: dict[str, Stage]
    prereviewed: list[Stage]  # stages with pre-consultation (it starts at signing)
    #: stages whose plan depends on nothing about the project but its kind (reformed, agent service)
    kind_only: frozenset[str]
    direct: dict[str, list[Stage]]  # stages whose every dependent waits for them alone: those dependents
    #: stage -> (reviewed by an agency, counts towards the costs before the permit, its fees)
    roles: dict[str, tuple[bool, bool, float]]

    @staticmethod
    def of(v: Scenario) -> StageGraph:
        """The stage graph of scenario ``v``'s process."""
        order = [v.stage_by_id[i] for i in topological_order({s.id: s.after for s in v.stages})]
        dependents: dict[str, list[Stage]] = {s.id: [] for s in order}
        for s in order:
            for d in s.after:
                dependents[d].append(s)
        kind_only = frozenset(
            s.id
            for s in order
            if s.enabled and s.when is None and s.regional is None and s.prereview is None and s.commitment is None
        )
        direct = {k: deps for k, deps in dependents.items() if all(len(d.after) == 1 for d in deps)}
        roles = {s.id: (s.agency is not None, s.build is None, s.fees_cny + s.consultancy_cny) for s in order}
        return StageGraph(
            order,
            [s for s in order if not s.after],
            dependents,
            {s.id: len(s.after) for s in order},
            {s.id: s for s in order},
            [s for s in order if s.prereview is not None],
            kind_only,
            direct,
            roles,
        )


@dataclass
class CompiledScenario:
    """Everything :func:`sim.engine.replication.simulate` needs, derived from a :class:`Scenario`."""

    scenario: Scenario
    zone: WorkCalendar
    agencies: dict[str, CompiledAgency]
    build_calendars: dict[tuple[str, ...], WorkCalendar]
    keys: dict[str, int]
    horizon: float
    warmup: float
    #: the stage graph of the scenario's process ...
    graph: StageGraph
    #: (stage, reached at its end rather than its start) of each milestone in the order of ``MILESTONES``
    milestone_at: tuple[tuple[str, bool], ...]
    #: clock time of the reform date; projects signed before it follow ``base_graph``
    cutover: float | None = None
    #: ... and the stage graph of the process before the reform date
    base_graph: StageGraph | None = None

    def build_calendar(self, windows: tuple[str, ...]) -> WorkCalendar | None:
        """The 24-hour calendar of construction work outside the shutdown ``windows`` (None if no window)."""
        return self.build_calendars[windows] if windows else None


def compile_scenario(sc: Scenario) -> CompiledScenario:
    """Build calendars, sitting times and the stage order for ``sc``."""
    n = sc.horizon_days
    cal = sc.calendar
    zone = zone_calendar(cal, sc.start_date, n)
    mask = zone.working
    agencies: dict[str, CompiledAgency] = {}
    for a in sc.agencies:
        acal = zone if a.hours is None or cal.always_open else WorkCalendar(sc.start_date, mask, *a.hours)
        times: np.ndarray | None = None
        if a.sittings is not None:
            starts = acal.working_day_starts()
            times = starts[a.sittings.offset :: a.sittings.every]
        agencies[a.id] = CompiledAgency(a, acal, times)
    build: dict[tuple[str, ...], WorkCalendar] = {}
    variants = [sc] if sc.base is None else [sc, sc.base]
    by_id = {w.id: w.window for w in sc.shutdowns}
    for v in variants:  # every set of windows a project may face (exempt projects skip some)
        for s in v.stages:
            for k in range(1, len(s.shutdowns) + 1):
                for windows in combinations(s.shutdowns, k):
                    if windows not in build:
                        ok = shutdown_mask(sc.start_date, n, [by_id[w] for w in windows])
                        build[windows] = WorkCalendar(sc.start_date, ok, 0.0, 24.0)

    cutover = None
    if sc.base is not None and sc.reform_date is not None:
        cutover = float((sc.reform_date - sc.start_date).days)
    return CompiledScenario(
        scenario=sc,
        zone=zone,
        agencies=agencies,
        build_calendars=build,
        keys={s.id: stage_key(s.id) for v in variants for s in v.stages},
        horizon=float(n),
        warmup=float(sc.warmup_days),
        graph=StageGraph.of(sc),
        milestone_at=tuple((sc.milestone[m].stage, sc.milestone[m].at == "end") for m in MILESTONES),
        cutover=cutover,
        base_graph=StageGraph.of(sc.base) if sc.base is not None else None,
    )
