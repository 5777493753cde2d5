"""From replication records to key figures, table rows and the summary.

:func:`reduce_replication` runs in the worker: it turns a replication's
records into key-figure arrays and, when asked, CSV rows.  :class:`Summary`
runs in the parent: it folds the reduced replications, in replication order,
into streaming accumulators and renders ``summary.json``.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .compiled import CompiledScenario
from .figures import KEY_FIGURES
from .records import SPLIT, STAGE_FIELDS, ReplicationResult
from .monitor import BIN_DAYS, n_bins
from .stats import Accumulator, t975

#: key figures also reported per project class
PER_CLASS = tuple(k for k in KEY_FIGURES if k != "within_limit_share")
#: key figures written per project in projects.csv (submissions has its own column)
PROJECT_KPIS = tuple(k for k in KEY_FIGURES if k not in ("within_limit_share", "submissions"))
MILESTONE_COLUMNS = ("signed", "first_submission", "construction_permit", "construction_start", "completion",
                     "production")


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
    project_rows: list[list] | None = None
    stage_rows: list[list] | None = None
    event_rows: list[list] | None = None


def _stamp(origin: dt.datetime, t: float) -> str:
    if t is None or math.isnan(t) or math.isinf(t):
        return ""
    return (origin + dt.timedelta(days=t)).strftime("%Y-%m-%d %H:%M")


def _num(x: float) -> Any:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 6)


_STAGE_TIMES = ("started", "submitted", "issued", "verified")


def _stage_cell(origin: dt.datetime, r, f: str) -> Any:
    v = getattr(r, f)
    if f in _STAGE_TIMES:
        return _stamp(origin, v)
    if f in ("stage", "submissions"):
        return v
    return int(v) if f == "capped" else _num(v)


def project_columns(cs: CompiledScenario) -> list[str]:
    """Header of projects.csv."""
    permits = [f"issued_{s.id}" for s in cs.scenario.stages if s.agency is not None]
    return (["rep", "project", "class", "investment_cny", *MILESTONE_COLUMNS, "submissions", "capped",
             *(f"{c}_{'days' if c == 'build' else 'wd'}" for c in SPLIT),
             *PROJECT_KPIS, *permits])


def stage_columns() -> list[str]:
    """Header of stages.csv."""
    return ["rep", "project", *STAGE_FIELDS]


EVENT_COLUMNS = ["case", "activity", "resource", "start", "end", "lifecycle"]


def reduce_replication(cs: CompiledScenario, res: ReplicationResult, rows: bool) -> ReducedReplication:
    """Key-figure arrays (NaN = not reached by the horizon) and, if ``rows``, CSV rows."""
    sc = cs.scenario
    counted = [p for p in res.projects if p.signed >= cs.warmup]
    kpis = {k: np.array([p.kpi[k] for p in counted], dtype=float)
            for k in KEY_FIGURES if k != "within_limit_share"}
    signed_ok = {p.idx for p in counted}
    limited = {s.id for s in sc.stages if s.limit is not None}
    within, per_stage = [], {s.id: [] for s in sc.stages}
    same_day: dict[str, list[float]] = {s.id: [] for s in sc.stages if s.agency is not None}
    for idx, _pid, r in res.stages:
        if idx not in signed_ok:
            continue
        if r.stage in limited:
            within.append(r.within)
        st = sc.stage_by_id[r.stage]
        if st.agency is not None:
            per_stage[r.stage].append(cs.zone.workdays_between(r.submitted, r.issued))
            same_day[r.stage].append(r.same_day)
        else:
            per_stage[r.stage].append(r.issued - r.started)
    kpis["within_limit_share"] = np.array(within, dtype=float)
    by_class = {c.id: {k: np.array([p.kpi[k] for p in counted if p.cls == c.id], dtype=float) for k in PER_CLASS}
                for c in sc.classes}
    counts = {"projects": len(counted),
              "reached_construction_permit": int(np.sum(~np.isnan(kpis["approval_days"]))),
              "reached_production": int(np.sum(~np.isnan(kpis["to_production_months"]))),
              "capped": sum(p.capped for p in counted)}
    out = ReducedReplication(res.rep, kpis, {k: np.array(v, dtype=float) for k, v in per_stage.items()},
                             res.agencies, counts, {k: np.array(v, dtype=float) for k, v in same_day.items()},
                             by_class, _series(cs, res, counted), _phase_split(sc, res, signed_ok))
    if rows:
        origin = dt.datetime.combine(sc.start_date, dt.time())
        permit_ids = [s.id for s in sc.stages if s.agency is not None]
        out.project_rows = [
            [res.rep, p.id, p.cls, _num(p.investment_cny), _stamp(origin, p.signed),
             _stamp(origin, p.first_submission), *(_stamp(origin, p.milestones[m]) for m in MILESTONE_COLUMNS[2:]),
             p.submissions, int(p.capped), *(_num(p.split[c]) for c in SPLIT),
             *(_num(p.kpi[k]) for k in PROJECT_KPIS),
             *(_stamp(origin, p.issued.get(s, math.nan)) for s in permit_ids)]
            for p in res.projects]
        out.stage_rows = [[res.rep, pid, *(_stage_cell(origin, r, f) for f in STAGE_FIELDS)]
                          for _idx, pid, r in res.stages]
        if res.events is not None:
            ids = {p.idx: p.id for p in res.projects}
            out.event_rows = [[f"{res.rep}:{ids[idx]}", f"{stage}:{step}", resource, _stamp(origin, t0),
                               _stamp(origin, t1), "complete"] for idx, stage, step, resource, t0, t1 in res.events]
    return out


def _series(cs: CompiledScenario, res: ReplicationResult, counted: list) -> dict[str, np.ndarray]:
    """Weekly series: agency utilisation and queue, cumulative projects at construction start and production."""
    out: dict[str, np.ndarray] = {}
    for k, (util, queue) in (res.series or {}).items():
        out[f"agencies.{k}.utilisation"] = util
        out[f"agencies.{k}.queue"] = queue
    nb = n_bins(cs.horizon)
    edges = np.arange(1, nb + 1) * BIN_DAYS
    for m in ("construction_start", "production"):
        times = np.sort([p.milestones[m] for p in counted if not math.isnan(p.milestones[m])])
        out[f"milestones.{m}"] = np.searchsorted(times, edges, side="right").astype(float)
    return out


def _phase_split(sc, res: ReplicationResult, counted: set[int]) -> dict[tuple[str, str], float]:
    """Total stage time of counted projects by (phase, category): working days, build in calendar days."""
    out: dict[tuple[str, str], float] = {}
    for idx, _pid, r in res.stages:
        if idx not in counted:
            continue
        phase = sc.stage_by_id[r.stage].phase or "(no phase)"
        for c in SPLIT:
            v = getattr(r, c)
            if v:
                out[phase, c] = out.get((phase, c), 0.0) + v
    return out


class SeriesAccumulator:
    """Mean and 95 % confidence band across replications, bin by bin (NaN bins are skipped)."""

    def __init__(self) -> None:
        self.n: np.ndarray | None = None
        self.s: np.ndarray | None = None
        self.s2: np.ndarray | None = None

    def add(self, v: np.ndarray) -> None:
        ok = ~np.isnan(v)
        x = np.where(ok, v, 0.0)
        if self.n is None:
            self.n, self.s, self.s2 = ok.astype(float), x.copy(), x * x
        else:
            self.n += ok
            self.s += x
            self.s2 += x * x

    def band(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean, low, high) per bin; the band is the 95 % CI of the mean across replications."""
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self.s / self.n
            var = (self.s2 - self.n * mean * mean) / (self.n - 1)
            t = np.array([t975(int(k) - 1) if k >= 2 else np.nan for k in self.n])
            half = t * np.sqrt(np.maximum(var, 0.0) / self.n)
        return mean, mean - half, mean + half


@dataclass
class Summary:
    """Streaming aggregate of reduced replications into the summary.json structure."""

    cs: CompiledScenario
    kpis: dict[str, Accumulator] = field(default_factory=dict)
    stages: dict[str, Accumulator] = field(default_factory=dict)
    agencies: dict[str, tuple[Accumulator, Accumulator]] = field(default_factory=dict)
    same_day: dict[str, Accumulator] = field(default_factory=dict)
    classes: dict[str, dict[str, Accumulator]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    series: dict[str, SeriesAccumulator] = field(default_factory=dict)
    phase_totals: dict[tuple[str, str], float] = field(default_factory=dict)
    reps: int = 0

    def __post_init__(self) -> None:
        # a share of 0/1 outcomes has a mean but no meaningful quantiles
        self.kpis = {k: Accumulator(u, quantiles=u != "share") for k, (u, _) in KEY_FIGURES.items()}
        sc = self.cs.scenario
        self.stages = {s.id: Accumulator("workday" if s.agency is not None else "day") for s in sc.stages}
        self.agencies = {a: (Accumulator("share"), Accumulator("files")) for a in self.cs.agencies}
        self.same_day = {s.id: Accumulator("share", quantiles=False) for s in sc.stages if s.agency is not None}
        self.classes = {c.id: {k: Accumulator(KEY_FIGURES[k][0]) for k in PER_CLASS} for c in sc.classes}

    def add(self, red: ReducedReplication) -> None:
        """Fold in the next replication (in replication order)."""
        self.reps += 1
        for k, acc in self.kpis.items():
            acc.add(red.kpis[k])
        for k, acc in self.stages.items():
            acc.add(red.stages[k])
        for k, (u, q) in self.agencies.items():
            util, queue = red.agencies[k]
            u.add(np.array([util]))
            q.add(np.array([queue]))
        for k, acc in self.same_day.items():
            acc.add(red.same_day[k])
        for c, accs in self.classes.items():
            for k, acc in accs.items():
                acc.add(red.classes[c][k])
        for k, v in red.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v
        for k, v in red.series.items():
            self.series.setdefault(k, SeriesAccumulator()).add(v)
        for k, v in red.phase_split.items():
            self.phase_totals[k] = self.phase_totals.get(k, 0.0) + v

    def warnings(self) -> list[str]:
        """What a reader of the figures must know: projects capped or censored, agencies without working time."""
        out = []
        c, n = self.counts, self.counts.get("projects", 0)
        if c.get("capped"):
            out.append(f"{c['capped']} of {n} projects stopped at a stage's rework cap (defect.max_rounds) and are "
                       "censored in every figure after it")
        missing = n - c.get("reached_production", 0) - c.get("capped", 0)
        if n and missing:
            out.append(f"{missing} of {n} projects had not reached production by the end date "
                       f"{self.cs.scenario.end_date} (censored, not dropped): extend scenario.end_date")
        if n == 0:
            out.append("no project was counted: check the arrivals, the horizon and warmup_days")
        for k, ca in self.cs.agencies.items():
            if ca.calendar.workdays_between(0.0, self.cs.horizon) <= 0:
                out.append(f"agency {k!r} has no working time in the horizon: its files never move")
        return out

    def phase_split(self) -> dict[tuple[str, str], float]:
        """Mean time per counted project by (phase, category): working days (build: calendar days)."""
        n = self.counts.get("projects", 0)
        return {k: v / n for k, v in self.phase_totals.items()} if n else {}

    def to_dict(self, seed: int) -> dict[str, Any]:
        """The summary.json content."""
        sc = self.cs.scenario
        return {
            "meta": {"scenario": sc.name, "file": sc.source, "seed": seed, "replications": self.reps,
                     "start_date": sc.start_date.isoformat(), "end_date": sc.end_date.isoformat(),
                     "warmup_days": sc.warmup_days, "levers": list(sc.levers),
                     "reform_date": sc.reform_date.isoformat() if sc.reform_date else None,
                     "one_off_cny": sc.one_off_cny,
                     "units": {"workday": "working days on the zone calendar", "day": "calendar days",
                               "month": "calendar months (365.2425/12 days)", "share": "fraction 0-1",
                               "files": "applications waiting (time-weighted mean)", "cny": "Chinese yuan"}},
            "key_figures": {k: {**a.to_dict(), "what": KEY_FIGURES[k][1]} for k, a in self.kpis.items()},
            "stages": {k: a.to_dict() for k, a in self.stages.items()},
            "agencies": {k: {"utilisation": u.to_dict(), "mean_queue": q.to_dict()}
                         for k, (u, q) in self.agencies.items()},
            "warnings": self.warnings(),
            "same_day": {k: a.to_dict() for k, a in self.same_day.items()},
            "classes": {c: {k: a.to_dict() for k, a in accs.items()} for c, accs in self.classes.items()},
            "projects": self.counts,
        }
