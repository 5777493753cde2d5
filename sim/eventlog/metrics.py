"""What a log says about its cases, computed the same way for an observed log and a simulated one.

``evaluate`` runs these functions on both sides of its comparison: the observed log, and the event log of
each simulated replication, so that a difference between them is a difference of the processes, not of how
they were measured.

- :func:`case_table` reduces a log, cut at an observation end, to its cases (first and last time) and its
  stage visits (last time, reworked or not, by the rule of :mod:`sim.eventlog.rounds`).
- :func:`log_metrics` gives, from such a table: case durations (n, mean, p10, p50, p90), per stage the share
  of cases with it, their rework share and the time from the case's start to the stage's last event (p50,
  p90), and the cases started and ended per month.

Times are seconds on the log's clock (UTC seconds plus each event's offset): a case's month and day are the
ones its log shows.  A case runs from its first time (a start where the log gives one, else a completion) to
its last completion; durations are in calendar days.  Quantiles are NumPy's default (linear interpolation).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.eventlog.model import EventLog
from sim.eventlog.rounds import stage_rounds
from sim.eventlog.stages import StageMap

DAY = 86400.0


@dataclass(frozen=True)
class CaseTable:
    """The cases of a log, and their stage visits, as the metrics need them.

    Attributes:
        ids: the case ids, one per case with an event before the observation end.
        first, last: each case's first time and last completion (seconds on the log's clock).
        stages: the stage names (``visit_stage`` numbers them).
        visit_case, visit_stage: one entry per (case, stage) that has events: the case's position in ``ids``
            and the stage's in ``stages``.
        visit_last: the stage's last completion in that case (seconds on the log's clock).
        visit_rework: whether the stage had more than one round in that case.
    """

    ids: list[str]
    first: np.ndarray
    last: np.ndarray
    stages: list[str]
    visit_case: np.ndarray
    visit_stage: np.ndarray
    visit_last: np.ndarray
    visit_rework: np.ndarray

    @property
    def n(self) -> int:
        """Cases."""
        return len(self.ids)

    def durations(self) -> np.ndarray:
        """Each case's duration: first time to last completion, in calendar days."""
        return (self.last - self.first) / DAY

    def select(self, keep: np.ndarray) -> CaseTable:
        """The cases where ``keep`` (a boolean per case) holds, with their visits; the stages stay."""
        new = np.cumsum(keep) - 1  # old case position -> new position
        visits = keep[self.visit_case]
        return CaseTable(
            [c for c, k in zip(self.ids, keep.tolist()) if k],
            self.first[keep],
            self.last[keep],
            self.stages,
            new[self.visit_case[visits]],
            self.visit_stage[visits],
            self.visit_last[visits],
            self.visit_rework[visits],
        )


def case_table(log: EventLog, stage_map: StageMap, until: float | None = None) -> CaseTable:
    """The cases of ``log`` cut into stages by ``stage_map``, leaving out what completes after ``until``.

    Args:
        log: the event log.
        stage_map: how its activities make stages.
        until: the observation end, in seconds on the log's clock; activities completing later are left out
            (a case with none before it is left out whole).  None: everything.
    """
    clock_end = log.end + log.offset
    clock_begin = np.where(np.isnan(log.start), log.end, np.minimum(log.start, log.end)) + log.offset
    names, stage = stage_map.apply(log)
    keep = np.ones(len(log), dtype=bool) if until is None else clock_end <= until
    case, activity, stage = log.case[keep], log.activity[keep], stage[keep]
    end, begin = clock_end[keep], clock_begin[keep]
    if len(case) == 0:
        empty = np.zeros(0)
        return CaseTable([], empty, empty, names, empty.astype(np.int64), empty.astype(np.int32), empty, empty > 0)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(case)) + 1))
    per_case = np.diff(np.concatenate((starts, [len(case)])))
    position = np.repeat(np.arange(len(starts)), per_case)  # each event's case position
    rounds = stage_rounds(case, stage, activity)
    staged = stage >= 0
    key = position[staged].astype(np.int64) * max(len(names), 1) + stage[staged]
    visits, which = np.unique(key, return_inverse=True)
    last = np.full(len(visits), -np.inf)
    np.maximum.at(last, which, end[staged])
    most = np.zeros(len(visits), dtype=np.int32)
    np.maximum.at(most, which, rounds[staged])
    return CaseTable(
        [log.case_ids[int(c)] for c in case[starts]],
        np.minimum.reduceat(begin, starts),
        np.maximum.reduceat(end, starts),
        names,
        visits // max(len(names), 1),
        (visits % max(len(names), 1)).astype(np.int32),
        last,
        most > 0,
    )


def _value(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def quantiles(values: np.ndarray) -> dict[str, float | None]:
    """p10, p50 and p90 of ``values`` (None for none)."""
    if len(values) == 0:
        return {"p10": None, "p50": None, "p90": None}
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    return {"p10": float(p10), "p50": float(p50), "p90": float(p90)}


def months_of(clock: np.ndarray) -> list[str]:
    """The month (``YYYY-MM``) of each time, given in seconds on a log's clock."""
    return [str(m) for m in np.floor(clock).astype(np.int64).astype("datetime64[s]").astype("datetime64[M]")]


def month_range(first: float, last: float) -> list[str]:
    """Every month from that of ``first`` to that of ``last`` (seconds on a log's clock), in order."""
    a, b = (np.datetime64(int(math.floor(t)), "s").astype("datetime64[M]") for t in (first, last))
    return [str(m) for m in np.arange(a, b + np.timedelta64(1, "M"))]


def log_metrics(table: CaseTable, months: Sequence[str] = ()) -> dict[str, Any]:
    """The metrics of the cases of ``table``.

    Returns a dict of:

    - ``case_duration_days``: ``n``, ``mean``, ``p10``, ``p50``, ``p90`` (None where there are no cases);
    - ``stages``: per stage of the table, ``cases`` (with the stage), ``share`` (of all cases),
      ``rework_share`` (of the cases with the stage, those where it had more than one round), ``to_end_p50`` and
      ``to_end_p90`` (calendar days from the case's first time to the stage's last completion);
    - ``started_per_month``, ``ended_per_month``: cases whose first time, and last completion, fall in each
      month of ``months`` (and of any other month where some do).
    """
    d = table.durations()
    n = table.n
    duration: dict[str, float | None] = {"n": n, "mean": _value(float(d.mean())) if n else None, **quantiles(d)}
    stages: dict[str, dict[str, float | None]] = {}
    order = np.argsort(table.visit_stage, kind="stable")
    bounds = np.searchsorted(table.visit_stage[order], np.arange(len(table.stages) + 1))
    to_end = (table.visit_last - table.first[table.visit_case]) / DAY
    for s, name in enumerate(table.stages):
        mine = order[bounds[s] : bounds[s + 1]]
        k = len(mine)
        stages[name] = {
            "cases": k,
            "share": k / n if n else None,
            "rework_share": float(np.mean(table.visit_rework[mine])) if k else None,
            **{f"to_end_{q}": v for q, v in quantiles(to_end[mine]).items() if q != "p10"},
        }
    started = Counter({m: 0 for m in months})
    started.update(months_of(table.first))
    ended = Counter({m: 0 for m in months})
    ended.update(months_of(table.last))
    return {
        "case_duration_days": duration,
        "stages": stages,
        "started_per_month": dict(sorted(started.items())),
        "ended_per_month": dict(sorted(ended.items())),
    }
