"""The state of a simulated replication at clock time T, written as a backlog: the truth a warm start must meet.

:func:`backlog_rows_at` reads only what an ordinary replication recorded (its stage records and its event log:
which step each file was in, since when), not the warm-start code, so a forecast started from these rows and
the same replication continued past T can be compared: they must agree (exactly for fixed durations, in
distribution for random ones).

Steps map to backlog states as the format says (docs/forecast.md): prepare -> preparing, queue -> queued,
review -> in_review, sitting -> waiting_sitting, rework -> returned, lag -> lag, build -> building.  When T
falls between two steps of a visit (a file prepared after hours, submitted at the next opening), the file is
still in the step that ended: what is left of it is nothing; a visit with no step begun by T is not listed
(not started: it begins at T, with its submission at the next opening).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

STATE = {
    "prepare": "preparing",
    "queue": "queued",
    "review": "in_review",
    "sitting": "waiting_sitting",
    "rework": "returned",
    "lag": "lag",
    "build": "building",
}


def when(origin: dt.date, t: float) -> str:
    """Clock time ``t`` as the backlog writes a date and time (to the microsecond)."""
    return (dt.datetime.combine(origin, dt.time()) + dt.timedelta(days=t)).isoformat(sep=" ")


def open_projects(result: Any, T: float) -> list[Any]:
    """The projects of a replication's result that signed before T and still had a stage to finish at T."""
    by_idx: dict[int, list[Any]] = {}
    for idx, _pid, rec in result.stages:
        by_idx.setdefault(idx, []).append(rec)
    out = []
    for p in result.projects:
        recs = by_idx.get(p.idx, [])
        if p.signed < T and any(not (r.issued <= T) for r in recs):
            out.append(p)
    return out


def backlog_rows_at(cs: Any, result: Any, T: float) -> list[tuple[int, dict[str, str]]]:
    """(row number, cells) of the backlog of ``result`` (a replication run with ``events=True``) at clock time T
    (00:00 of a day): one row per open project and stage decided or under way."""
    origin = cs.scenario.start_date
    zone = cs.zone
    events: dict[tuple[int, str], list[tuple[str, float, float]]] = {}
    for idx, stage, step, _res, t0, t1 in result.events:
        events.setdefault((idx, stage), []).append((step, t0, t1))
    records = {(idx, rec.stage): rec for idx, _pid, rec in result.stages}
    rows: list[tuple[int, dict[str, str]]] = []
    for p in open_projects(result, T):
        for stage in cs.scenario.stages:
            rec = records.get((p.idx, stage.id))
            if rec is None or rec.started >= T:
                continue
            cells = {"project": p.id, "class": p.cls, "signed": when(origin, p.signed), "stage": stage.id}
            if rec.issued <= T:
                cells.update(state="done", since=when(origin, rec.issued))
                rows.append((len(rows) + 2, cells))
                continue
            steps = sorted(events.get((p.idx, stage.id), []), key=lambda e: e[1])
            current = [e for e in steps if e[1] <= T < e[2]]
            if current:
                step, since, _ = current[0]
            else:  # between two steps: in the one that ended (nothing left of it)
                ended = [e for e in steps if e[2] <= T]
                if not ended:  # nothing done yet (its first submission is at the next opening): not started
                    continue
                step, since = ended[-1][0], ended[-1][1]
            reworks = [e for e in steps if e[0] == "rework"]
            done_reworks = [e for e in reworks if e[2] <= T]
            rounds = len([e for e in reworks if e[1] <= T]) if step == "rework" else len(done_reworks) + 1
            paused = sum(zone.workdays_between(e[1], e[2]) for e in done_reworks)
            if stage.limit is not None and "sitting" in stage.limit.excludes:
                paused += sum(zone.workdays_between(e[1], e[2]) for e in steps if e[0] == "sitting" and e[2] <= T)
            cells.update(state=STATE[step], since=when(origin, since), round=str(rounds))
            if rec.submitted == rec.submitted and rec.submitted <= T:
                cells["submitted"] = when(origin, rec.submitted)
            if paused:
                cells["paused_workdays"] = repr(float(paused))
            rows.append((len(rows) + 2, cells))
    return rows


def after(values: dict[tuple[str, str], float], T: float) -> dict[tuple[str, str], float]:
    """The entries of ``values`` later than T (NaN kept: not decided by the horizon)."""
    return {k: v for k, v in values.items() if math.isnan(v) or v > T}
