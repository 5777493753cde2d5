"""A forecast's result (:class:`Forecast`) and its tables: per file, per agency, and paired differences.

Dates are calendar dates (``YYYY-MM-DD``); ``*_days`` columns count calendar days after the as-of date.  A
quantile that falls past the horizon is left empty (the file is not decided by then in that share of the
replications: ``decided_by_horizon``).  Quantiles are order statistics of the replications (numpy's
``inverted_cdf``): each is a date some replication gave.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.runs.tables import Row, Table
from sim.scenario.backlog import ROUND_STATES, Backlog
from sim.scenario.calendar import WorkCalendar
from sim.scenario.graph import topological_order
from sim.scenario.scenario import Scenario

NAN = math.nan
#: the quantiles every interval gives
LEVELS = (0.1, 0.5, 0.9)
FILE_COLUMNS = [
    "project",
    "class",
    "signed",
    "item",
    "name",
    "agency",
    "state",
    "limit_workdays",
    "deadline",
    "applies",
    "decided_by_horizon",
    "p10",
    "p50",
    "p90",
    "p10_days",
    "p50_days",
    "p90_days",
    "p_miss_limit",
]
SUMMARY_COLUMNS = [
    "project",
    "class",
    "under_way",
    "deadline",
    "next_p10",
    "next_p50",
    "next_p90",
    "permit_p10",
    "permit_p50",
    "permit_p90",
    "production_p50",
    "p_miss_limit",
]
CLEARANCE_COLUMNS = ["agency", "name", "date", "day", "p10", "p50", "p90"]
VERSUS_COLUMNS = [
    "project",
    "item",
    "reference_p50",
    "p50",
    "mean_difference",
    "ci95_low",
    "ci95_high",
    "p_earlier",
    "p_later",
    "censored",
]


@dataclass
class Forecast:
    """A forecast of a backlog: every replication's dates of every file.

    Attributes:
        scenario: the scenario as run (its start moved back to the backlog's first date if need be, its end to
            the forecast's horizon).
        backlog: the open files.
        seed, n: the root seed and the replications.
        stages: the stage ids, the columns of ``issued`` and ``within``.
        issued: (n, files, stages) clock times of the decisions (NaN: not visited; inf: not by the horizon).
        within: (n, files, stages) 1 kept the statutory limit, 0 missed it, NaN no limit or not known.
        permit, production: (n, files) clock times of the construction permit and production (inf: not by the
            horizon).
        capped: (n, files) 1 where the file gave up at a rework cap.
        baseline: the forecast this one is compared with, if any (:meth:`versus`).
        zone: the zone's working calendar of :attr:`scenario` (for the statutory deadlines).
    """

    scenario: Scenario
    backlog: Backlog
    seed: int
    n: int
    stages: list[str]
    issued: np.ndarray
    within: np.ndarray
    permit: np.ndarray
    production: np.ndarray
    capped: np.ndarray
    baseline: Forecast | None = field(default=None, repr=False)
    zone: WorkCalendar | None = field(default=None, repr=False)

    @property
    def as_of(self) -> dt.date:
        """The as-of date."""
        return self.backlog.as_of

    @property
    def at(self) -> float:
        """The as-of date as a clock time of :attr:`scenario`."""
        return float((self.as_of - self.scenario.start_date).days)

    @property
    def horizon(self) -> float:
        """The clock time at which the replications stop (the end of the scenario's last day)."""
        return float(self.scenario.horizon_days)

    def files(self) -> Table:
        """Per open file and pending decision (and the construction permit and production): p10/p50/p90 dates,
        the share of replications in which it applies, and the probability of missing its statutory limit."""
        return files_table(self)

    def summary(self) -> Table:
        """One row per open file: where it stands, its next decision, construction permit and production
        (p50 and the p10-p90 interval) and the probability that it misses a statutory limit."""
        return summary_table(self)

    def clearance(self) -> Table:
        """Per agency (and ``all``: files before their construction permit), the backlog's files still waiting
        for a decision there up to their construction permit (later decisions, such as completion acceptance,
        are not the approval backlog), date by date: p10, median and p90 over the replications."""
        return clearance_table(self)

    def versus(self, other: Forecast | None = None) -> Table:
        """Paired per-file differences of this forecast minus ``other`` (default: :attr:`baseline`): the
        construction permit, production and next decision, in calendar days, replication by replication.

        Raises:
            ValueError: no baseline, or the two forecasts differ in backlog, as-of date, seed or replications.
        """
        ref = other if other is not None else self.baseline
        if ref is None:
            raise ValueError("versus: give the forecast to compare with (or make this one with baseline=...)")
        return versus_table(ref, self)

    def to_dict(self) -> dict[str, Any]:
        """The content of forecast.json."""
        return forecast_dict(self)


def quantiles(values: np.ndarray) -> tuple[float, float, float]:
    """p10, p50, p90 of ``values`` (NaN dropped; inf allowed) as order statistics; NaN if nothing is left."""
    v = values[~np.isnan(values)]
    if not len(v):
        return NAN, NAN, NAN
    q = np.quantile(v, LEVELS, method="inverted_cdf")
    return float(q[0]), float(q[1]), float(q[2])


def day(fc: Forecast, t: float) -> str:
    """A clock time of ``fc`` as a date; empty for NaN and past the horizon."""
    if not math.isfinite(t):
        return ""
    return (fc.scenario.start_date + dt.timedelta(days=math.floor(t))).isoformat()


def after(fc: Forecast, t: float) -> float | str:
    """Calendar days from the as-of date to clock time ``t`` (rounded to 0.01); empty for NaN and inf."""
    return round(t - fc.at, 2) if math.isfinite(t) else ""


def share(x: float) -> float | str:
    """A probability rounded to 0.001; empty for NaN."""
    return round(x, 3) if x == x else ""


def stage_order(fc: Forecast) -> list[int]:
    """The columns of ``fc.stages`` in the order of the process."""
    order = topological_order({s.id: s.after for s in fc.scenario.stages})
    return [fc.stages.index(s) for s in order]


def pending(fc: Forecast, j: int) -> list[int]:
    """The agency stages of file ``j`` not decided by the as-of date and visited in some replication, in
    process order."""
    project = fc.backlog.projects[j]
    out = []
    for k in stage_order(fc):
        stage = fc.scenario.stage_by_id[fc.stages[k]]
        state = project.state_of(stage.id)
        if stage.agency is None or (state is not None and state.state == "done"):
            continue
        if not np.isnan(fc.issued[:, j, k]).all():
            out.append(k)
    return out


def missed_any(fc: Forecast, j: int, ks: list[int]) -> float:
    """The share of replications in which file ``j`` misses the limit of at least one of stages ``ks``; NaN if
    none of them has a limit it can be held to."""
    w = fc.within[:, j, ks] if ks else np.full((fc.n, 0), NAN)
    if np.isnan(w).all():
        return NAN
    return float(np.mean((w == 0.0).any(axis=1)))


def files_table(fc: Forecast) -> Table:
    """See :meth:`Forecast.files`."""
    rows: list[Row] = []
    sc = fc.scenario
    for j, p in enumerate(fc.backlog.projects):
        head = [p.id, p.cls, p.signed.date().isoformat()]
        for k in pending(fc, j):
            stage = sc.stage_by_id[fc.stages[k]]
            values = fc.issued[:, j, k]
            seen = values[~np.isnan(values)]
            w = fc.within[:, j, k]
            state = p.state_of(stage.id)
            rows.append(
                [
                    *head,
                    stage.id,
                    stage.name,
                    stage.agency or "",
                    "not_started" if state is None else state.state,
                    "" if stage.limit is None else stage.limit.workdays,
                    day(fc, deadline(fc, j, stage.id)),
                    share(len(seen) / fc.n),
                    share(float(np.isfinite(seen).mean())),
                    *_interval(fc, values),
                    share(float(np.mean(w[~np.isnan(w)] == 0.0)) if (~np.isnan(w)).any() else NAN),
                ]
            )
        for item, values in (("construction_permit", fc.permit[:, j]), ("production", fc.production[:, j])):
            reached = bool((values < fc.at).all())
            rows.append(
                [
                    *head,
                    item,
                    item.replace("_", " "),
                    "",
                    "reached" if reached else "pending",
                    "",
                    "",
                    1.0,
                    share(float(np.isfinite(values).mean())),
                    *_interval(fc, values),
                    "",
                ]
            )
    return Table(list(FILE_COLUMNS), rows)


def _interval(fc: Forecast, values: np.ndarray) -> list[Any]:
    q = quantiles(values)
    return [*(day(fc, t) for t in q), *(after(fc, t) for t in q)]


def deadline(fc: Forecast, j: int, stage_id: str) -> float:
    """The clock time by which file ``j``'s stage under way is due under its statutory limit, if the clock does
    not pause again: the first submission plus the limit's working days plus the days paused so far.  NaN
    for a stage without a limit, not in review, or whose first submission is not known."""
    state = fc.backlog.projects[j].state_of(stage_id)
    limit = fc.scenario.stage_by_id[stage_id].limit
    if state is None or limit is None or fc.zone is None or state.state not in ROUND_STATES:
        return NAN
    first = state.submitted
    if first is None and state.state in ("queued", "in_review", "supplementing"):
        first = state.since
    if first is None:
        return NAN
    origin = dt.datetime.combine(fc.scenario.start_date, dt.time())
    t = (first - origin).total_seconds() / 86400.0
    return fc.zone.add(t, limit.workdays + state.paused_workdays)


def _nan_last(t: float) -> float:
    return math.inf if t != t else t


def under_way(fc: Forecast, j: int) -> str:
    """Where file ``j`` stands: its stages under way ("eia in_review since 2024-08-20; ...")."""
    p = fc.backlog.projects[j]
    parts = [
        f"{s.stage} {s.state}" + (f" since {s.since:%Y-%m-%d}" if s.since is not None else "")
        for s in p.stages
        if s.state not in ("done", "not_started")
    ]
    return "; ".join(parts) or "between stages"


def next_decision(fc: Forecast, j: int) -> np.ndarray:
    """Per replication, the first decision file ``j`` gets after the as-of date (inf: none by the horizon)."""
    ks = pending(fc, j)
    if not ks:
        return np.full(fc.n, NAN)
    v = fc.issued[:, j, ks]
    v = np.where(np.isnan(v), np.inf, v)
    out = v.min(axis=1)
    return np.where(np.isnan(fc.issued[:, j, ks]).all(axis=1), NAN, out)


def summary_table(fc: Forecast) -> Table:
    """See :meth:`Forecast.summary`."""
    rows: list[Row] = []
    for j, p in enumerate(fc.backlog.projects):
        nxt = quantiles(next_decision(fc, j))
        permit = quantiles(fc.permit[:, j])
        production = quantiles(fc.production[:, j])
        rows.append(
            [
                p.id,
                p.cls,
                under_way(fc, j),
                day(fc, min((deadline(fc, j, s.stage) for s in p.stages), default=NAN, key=_nan_last)),
                *(day(fc, t) for t in nxt),
                *(day(fc, t) for t in permit),
                day(fc, production[1]),
                share(missed_any(fc, j, pending(fc, j))),
            ]
        )
    return Table(list(SUMMARY_COLUMNS), rows)


def after_permit(sc: Scenario) -> set[str]:
    """The stages that wait for the construction permit's stage, directly or through others (completion
    acceptance ...): not part of the approval backlog."""
    permit = sc.milestone["construction_permit"].stage
    later: set[str] = set()
    grew = True
    while grew:
        grew = False
        for s in sc.stages:
            if s.id not in later and any(a == permit or a in later for a in s.after):
                later.add(s.id)
                grew = True
    return later


def clear_times(fc: Forecast) -> dict[str, np.ndarray]:
    """Per agency, (n, files): when each file's last pending decision there up to the construction permit comes
    (NaN: none pending there); and ``all``: the construction permit of the files that had not reached it."""
    out: dict[str, np.ndarray] = {}
    sc = fc.scenario
    ks_of: dict[str, list[int]] = {}
    for j in range(len(fc.backlog.projects)):
        for k in pending(fc, j):
            ks_of.setdefault(sc.stage_by_id[fc.stages[k]].agency or "", [])
    later = after_permit(sc)
    for agency in (a.id for a in sc.agencies):
        if agency not in ks_of:
            continue
        ks = [k for k, s in enumerate(fc.stages) if sc.stage_by_id[s].agency == agency and s not in later]
        if not ks:
            continue
        v = fc.issued[:, :, ks].copy()
        for j, p in enumerate(fc.backlog.projects):  # decided before the as-of date: not the backlog's any more
            for col, k in enumerate(ks):
                state = p.state_of(fc.stages[k])
                if state is not None and state.state == "done":
                    v[:, j, col] = NAN
        none = np.isnan(v).all(axis=2)
        last = np.where(np.isnan(v), -np.inf, v).max(axis=2)
        out[agency] = np.where(none, NAN, last)
    permit = np.where(fc.permit < fc.at, NAN, fc.permit)
    out["all"] = permit
    return out


def clearance_table(fc: Forecast) -> Table:
    """See :meth:`Forecast.clearance`."""
    times = clear_times(fc)
    finite = [t[np.isfinite(t)] for t in times.values()]
    last = max((float(f.max()) for f in finite if len(f)), default=fc.at)
    end = min(fc.horizon, last + 1.0)
    step = 1.0 if end - fc.at <= 730 else 7.0
    grid = np.arange(math.floor(fc.at), end + step, step)
    names = {a.id: a.name for a in fc.scenario.agencies}
    names["all"] = "all files, until the construction permit"
    rows: list[Row] = []
    for agency, t in times.items():
        counts = np.stack([_open_counts(t[r], grid) for r in range(fc.n)])
        q = np.quantile(counts, LEVELS, axis=0, method="inverted_cdf")
        for g, x in enumerate(grid):
            counted = (int(v) for v in q[:, g])
            rows.append([agency, names[agency], day(fc, float(x)), round(float(x) - fc.at, 2), *counted])
    return Table(list(CLEARANCE_COLUMNS), rows)


def _open_counts(t: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """How many of the times ``t`` (NaN dropped) are after each point of ``grid``."""
    v = np.sort(t[~np.isnan(t)])
    return len(v) - np.searchsorted(v, grid, side="right")


def versus_table(ref: Forecast, fc: Forecast) -> Table:
    """See :meth:`Forecast.versus`: ``fc`` minus ``ref``, replication by replication."""
    ids = [p.id for p in fc.backlog.projects]
    same = (
        ids == [p.id for p in ref.backlog.projects] and fc.as_of == ref.as_of and fc.seed == ref.seed and fc.n == ref.n
    )
    if not same:
        raise ValueError(
            "versus: the two forecasts must be of the same backlog (the same files in the same order) at the same "
            f"as-of date with the same seed and replications; got {ref.as_of}/seed {ref.seed}/n {ref.n} and "
            f"{fc.as_of}/seed {fc.seed}/n {fc.n}"
        )
    rows: list[Row] = []
    shift = fc.at - ref.at  # the two may start at different dates (a moved start)
    cap_ref, cap = ref.horizon, fc.horizon
    for j, pid in enumerate(ids):
        items = (
            ("next_decision", next_decision(ref, j), next_decision(fc, j)),
            ("construction_permit", ref.permit[:, j], fc.permit[:, j]),
            ("production", ref.production[:, j], fc.production[:, j]),
        )
        for item, a, b in items:
            both = ~(np.isnan(a) | np.isnan(b))
            if not both.any():
                continue
            a, b = a[both], b[both]
            censored = ~(np.isfinite(a) & np.isfinite(b))
            d = np.minimum(b, cap) - shift - np.minimum(a, cap_ref)
            medians = day(ref, quantiles(a)[1]), day(fc, quantiles(b)[1])
            rows.append([pid, item, *medians, *_paired(d), share(float(censored.mean()))])
        ka, kb = pending(ref, j), pending(fc, j)
        ma = _missed(ref, j, ka)
        mb = _missed(fc, j, kb)
        if ma is not None and mb is not None:
            d = mb - ma
            rows.append([pid, "limit_missed", share(float(ma.mean())), share(float(mb.mean())), *_paired(d), 0.0])
    return Table(list(VERSUS_COLUMNS), rows)


def _missed(fc: Forecast, j: int, ks: list[int]) -> np.ndarray | None:
    w = fc.within[:, j, ks] if ks else None
    if w is None or np.isnan(w).all():
        return None
    return (w == 0.0).any(axis=1).astype(float)


def _paired(d: np.ndarray) -> list[Any]:
    """Mean, 95 % confidence interval, share below and above 0 of paired differences ``d``."""
    n = len(d)
    mean = float(d.mean())
    half = 1.96 * float(d.std(ddof=1)) / math.sqrt(n) if n > 1 else NAN
    low, high = (round(mean - half, 3), round(mean + half, 3)) if half == half else ("", "")
    return [round(mean, 3), low, high, share(float((d < 0).mean())), share(float((d > 0).mean()))]


def forecast_dict(fc: Forecast) -> dict[str, Any]:
    """The content of forecast.json."""
    sc = fc.scenario
    out: dict[str, Any] = {
        "scenario": sc.name,
        "file": sc.source,
        "levers": list(sc.levers),
        "backlog": fc.backlog.source,
        "as_of": fc.as_of.isoformat(),
        "horizon_end": sc.end_date.isoformat(),
        "seed": fc.seed,
        "replications": fc.n,
        "open_files": len(fc.backlog.projects),
        "files": [dict(r) for r in fc.summary()],
        "decisions": [dict(r) for r in fc.files()],
        "clearance": [dict(r) for r in fc.clearance()],
    }
    if fc.baseline is not None:
        out["versus"] = {"reference": fc.baseline.scenario.name, "rows": [dict(r) for r in fc.versus()]}
    return out
