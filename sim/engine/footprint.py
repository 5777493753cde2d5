"""How much memory one replication of a scenario needs, estimated before anything runs.

A replication keeps every project under way (its SimPy processes and stage records), a few numbers per
finished project, and, when asked, every project's CSV rows and events until it ends.  The projects under way
at once follow Little's law: arrivals per day x days a project takes, the days being the longest path of the
stage graph's mean durations (queues left out), or the whole horizon when an agency gets more work than its
staff can do (its queue then grows for as long as projects arrive).  The bytes per project are measured
(``tests/test_run_integrity.py`` checks the estimate against ``tracemalloc``); the estimate is meant to be
right within a factor of two, to refuse runs that cannot fit, not to plan them to the byte.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.core.units import CALENDAR_DAYS
from sim.engine.compiled import CompiledScenario, StageGraph
from sim.scenario.distributions import Dist
from sim.scenario.scenario import Scenario, Stage

#: bytes per project of a replication, signed or not: its signing time and class, its KPI values ...
PROJECT_BYTES = 250
#: ... and per stage of the process
PROJECT_STAGE_BYTES = 24
#: bytes per project under way: its processes and state ...
ALIVE_BYTES = 3_700
#: ... per stage it has started (its stage record) ...
ALIVE_STAGE_BYTES = 330
#: ... and per pre-consultation (a process of its own from signing)
ALIVE_PREREVIEW_BYTES = 700
#: bytes of a project's CSV rows (projects.csv) ...
ROW_BYTES = 1_700
#: ... and per stage (its row of stages.csv)
ROW_STAGE_BYTES = 800
#: bytes per row of the event log, and rows per stage visit
EVENT_BYTES = 500
EVENTS_PER_STAGE = 2.0


@dataclass(frozen=True)
class Footprint:
    """The memory estimate of one replication.

    Attributes:
        projects: expected projects per replication (named and the stream's).
        alive: expected projects under way at once, at most.
        bytes: bytes the process running the replication needs for it (rows and events included, when kept).
        row_bytes: bytes of the replication's CSV rows and events (what the parent holds until written).
        overloaded: agencies offered more work than their staff can do.
    """

    projects: float
    alive: float
    bytes: float
    row_bytes: float
    overloaded: tuple[str, ...]


def footprint(cs: CompiledScenario, rows: bool = False, events: bool = False) -> Footprint:
    """The memory one replication of ``cs`` needs, with its CSV ``rows`` and ``events`` kept or not."""
    sc = cs.scenario
    variants = [sc] if sc.base is None else [sc, sc.base]
    n_stages = max(len(v.stages) for v in variants)
    named = float(len(sc.projects))
    per_day = 0.0
    if sc.stream is not None:
        per_day = sc.stream.rate_per_day
        streamed = per_day * ((sc.stream.end - sc.stream.start).days + 1)
    else:
        streamed = 0.0
    projects = named + streamed
    # working days per calendar day on the zone's calendar
    horizon = cs.horizon
    ratio = cs.zone.workdays_between(0.0, horizon) / horizon if horizon > 0 else 0.0
    overloaded: set[str] = set()
    days, visited = 0.0, float(n_stages)
    graphs = (
        [(sc, cs.graph)] if sc.base is None or cs.base_graph is None else [(sc, cs.graph), (sc.base, cs.base_graph)]
    )
    for v, graph in graphs:
        d, k, late = _path(v, graph, ratio, cs.zone.day_hours, per_day)
        overloaded |= late
        if d > days:
            days, visited = d, k
    if overloaded or ratio <= 0:  # projects stay under way: count every stage (NaN when no day is a working day)
        alive = projects
        visited = visited if visited <= n_stages else float(n_stages)
    else:
        alive = min(projects, named + per_day * days)
    prereviews = max(sum(1 for s in v.stages if s.prereview is not None and s.enabled) for v in variants)
    size = projects * (PROJECT_BYTES + PROJECT_STAGE_BYTES * n_stages) + alive * (
        ALIVE_BYTES + ALIVE_STAGE_BYTES * visited + ALIVE_PREREVIEW_BYTES * prereviews
    )
    # the rows of every project: those stuck at an overloaded agency have rows for the stages they started
    reached = visited if overloaded else n_stages
    kept = 0.0
    if rows:
        kept += projects * (ROW_BYTES + ROW_STAGE_BYTES * reached)
    if events:
        kept += projects * reached * EVENTS_PER_STAGE * EVENT_BYTES
    return Footprint(projects, alive, size + kept, kept, tuple(sorted(overloaded)))


def _path(
    v: Scenario, graph: StageGraph, ratio: float, day_hours: float, per_day: float
) -> tuple[float, float, set[str]]:
    """(mean calendar days from signing to the end of the longest path, stages a project under way has started
    on average, the agencies offered more work than their staff can do) of one variant's process."""

    def calendar_days(d: Dist | None) -> float:
        if d is None:
            return 0.0
        m = d.mean()
        if d.unit in CALENDAR_DAYS:
            return m * CALENDAR_DAYS[d.unit]
        workdays = m / day_hours if d.unit == "workhour" else m
        return workdays / ratio if ratio > 0 else float("inf")

    def workdays(d: Dist | None) -> float:  # staff time, in working days
        if d is None:
            return 0.0
        if d.unit in CALENDAR_DAYS:
            return d.mean() * CALENDAR_DAYS[d.unit] * ratio
        return d.mean() / day_hours if d.unit == "workhour" else d.mean()

    by_id = {s.id: s for s in v.stages}
    staff = {a.id: a.staff for a in v.agencies}
    sittings = {a.id: a.sittings.every / 2 for a in v.agencies if a.sittings is not None}
    work: dict[str, float] = {}  # agency -> working days of staff time per project
    start: dict[str, float] = {}
    end: dict[str, float] = {}
    for s in graph.order:
        if not s.enabled:  # skipped by every project: passed at once
            start[s.id] = end[s.id] = max((end[a] for a in s.after if a in end), default=0.0)
            continue
        rounds = _rounds(s)
        back = 0.0 if s.feedback is None else s.feedback.p / (1.0 - s.feedback.p)  # reviews sent back per round
        if s.agency is not None:
            work[s.agency] = work.get(s.agency, 0.0) + rounds * (1.0 + back) * workdays(s.effort)
            if s.feedback is not None and s.feedback.to in by_id:
                to = by_id[s.feedback.to]
                if to.agency is not None:
                    work[to.agency] = work.get(to.agency, 0.0) + rounds * back * workdays(to.effort)
        t = max((end[a] for a in s.after if a in end), default=0.0)
        start[s.id] = t
        fix = calendar_days(s.defect.fix) * (rounds - 1.0) if s.defect is not None else 0.0
        wait = sittings.get(s.agency, 0.0) / ratio if s.agency is not None and ratio > 0 else 0.0
        review = rounds * (1.0 + back) * calendar_days(s.effort)
        end[s.id] = t + calendar_days(s.prepare) + review + fix + wait + calendar_days(s.lag) + calendar_days(s.build)
    days = max(end.values(), default=0.0)
    per_workday = per_day / ratio if ratio > 0 else float("inf")
    late = {a for a, w in work.items() if w > 0 and per_workday * w >= staff.get(a, 0)}
    if late:  # projects pile up at an overloaded agency: they start every stage but those behind its stages
        behind: set[str] = set()
        for s in graph.order:
            if any(a in behind or (by_id[a].enabled and by_id[a].agency in late) for a in s.after if a in by_id):
                behind.add(s.id)
        # (a pre-consultation starts at signing, behind or not)
        visited = float(sum(1 for s in graph.order if s.id not in behind or s.prereview is not None))
    elif days > 0:  # time-weighted: a stage counts from its start (a pre-consultation's: signing) to the end
        visited = sum((days - (0.0 if by_id[k].prereview else t)) / days for k, t in start.items())
    else:
        visited = float(len(start))
    return days, visited, late


def _rounds(s: Stage) -> float:
    """Expected submissions at a stage: 1 plus one per defective round, up to ``defect.max_rounds``."""
    d = s.defect
    if d is None or d.p <= 0:
        return 1.0
    total, reach = 0.0, 1.0
    for k in range(min(d.max_rounds, 1000)):
        total += reach
        reach *= d.p * d.decay**k
        if reach < 1e-9:
            break
    return total
