"""What to check in an event log before fitting a scenario to it: its size, names, time span, granularity,
case lengths and durations, and arrivals per month (the ``approval-sim log`` command, ``log.json``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from sim.eventlog.model import EventLog
from sim.eventlog.times import clock

DAY = 86400.0


def _quantiles(values: np.ndarray) -> dict[str, float | None]:
    if len(values) == 0:
        return {"p10": None, "p50": None, "p90": None}
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    return {"p10": round(float(p10), 3), "p50": round(float(p50), 3), "p90": round(float(p90), 3)}


def _iso(seconds: float, offset: int) -> str:
    return clock(seconds, offset).isoformat(timespec="seconds") + _offset(offset)


def _offset(offset: int) -> str:
    sign = "+" if offset >= 0 else "-"
    h, m = divmod(abs(offset) // 60, 60)
    return f"{sign}{h:02d}:{m:02d}"


def profile(log: EventLog) -> dict[str, Any]:
    """The figures the ``log`` command prints and writes as ``log.json``.

    Events here are activity instances (a start and its complete count once).  A case's duration runs from
    its first time (start or completion) to its last completion, in calendar days; a case starts in the
    month of its first time, on the log's clock.
    """
    n = len(log)
    bounds = np.flatnonzero(np.diff(log.case)) + 1
    firsts = np.concatenate(([0], bounds))
    per_case = np.diff(np.concatenate((firsts, [n])))
    begin = np.where(np.isnan(log.start), log.end, np.minimum(log.start, log.end))
    case_first = np.minimum.reduceat(begin, firsts)
    case_last = np.maximum.reduceat(log.end, firsts)
    where_first = firsts + np.array([np.argmin(begin[s:e]) for s, e in zip(firsts, [*bounds, n])], dtype=int)
    local_first = (case_first + log.offset[where_first]).astype("datetime64[s]")
    months = Counter(str(m) for m in local_first.astype("datetime64[M]"))
    activity_counts = Counter(
        dict(zip(log.activities, np.bincount(log.activity, minlength=len(log.activities)).tolist()))
    )
    i_first, i_last = int(np.argmin(begin)), int(np.argmax(log.end))
    return {
        "file": log.path,
        "format": log.format,
        "zone": log.zone or "as written (each timestamp's own offset)",
        "columns": log.columns,
        "cases": log.n_cases,
        "events": n,
        "events_read": log.events_read,
        "unmatched_starts": log.unmatched_starts,
        "other_transitions": log.other_transitions,
        "activities": len(log.activities),
        "resources": len(log.resources),
        "groups": len(log.groups),
        "events_without_resource": int(np.sum(log.resource < 0)),
        "events_without_group": int(np.sum(log.group < 0)),
        "start_times_share": round(float(np.mean(~np.isnan(log.start))), 4),
        "date_only_share": round(float(np.mean(log.date_only)), 4),
        "first_event": _iso(float(begin[i_first]), int(log.offset[i_first])),
        "last_event": _iso(float(log.end[i_last]), int(log.offset[i_last])),
        "span_days": round(float((log.end[i_last] - begin[i_first]) / DAY), 3),
        "events_per_case": _quantiles(per_case.astype(float)),
        "case_duration_days": _quantiles((case_last - case_first) / DAY),
        "cases_started_per_month": dict(sorted(months.items())),
        "case_attributes": sorted({k for attrs in log.case_attributes.values() for k in attrs}),
        "activity_counts": dict(activity_counts.most_common()),
    }
