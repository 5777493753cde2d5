"""A backlog from an event log: the cases open at the as-of date, stage by stage (``forecast --backlog-from``).

The log's activities are grouped into stages by a :class:`~sim.eventlog.stages.StageMap` (as ``fit`` and
``evaluate`` do); the stage ids must be the scenario's.  Times are read on the log's own clock (or the zone
asked for), and the as-of date is 00:00 of that day on it.  The rules (``docs/forecast.md``):

* **Open case**: it has an event that began before the as-of date, and either an event that ends at or after it
  (the log shows it went on) or no event yet at a last stage of the process (one that no stage waits for).
* **A stage of an open case** is ``done`` (on the end of its last event) when all its events ended before the
  as-of date; under way when one of its events runs over the as-of date (since its start) or comes after it
  (since the end of its last event before): ``in_review`` if the stage has a review (else ``building``,
  ``lag`` or ``preparing``, what it has); not listed (not started) when none of its events began before the
  as-of date.  A stage that a listed stage waits for is ``done`` (a log records work, not decisions: what
  came next shows it was decided).  A date is never earlier than the decisions the stage waits for.
* **Class**: the case attribute ``class`` when it names one of the scenario's classes; else the heaviest class
  of the scenario's arrivals (or its first class).  **Signed**: the case's first event.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sim.core.errors import Problem, ScenarioError
from sim.eventlog.model import EventLog
from sim.eventlog.stages import StageMap
from sim.eventlog.times import clock
from sim.scenario.backlog import Backlog
from sim.scenario.backlog_checks import allowed_states
from sim.scenario.backlog_reading import backlog_from_rows
from sim.scenario.graph import topological_order
from sim.scenario.scenario import Scenario

#: the state of a stage under way in a log, by what the stage has: a review, construction, a lag, preparation
RUNNING = ("in_review", "building", "lag", "preparing", "waiting_sitting")


def backlog_rows_from_log(log: EventLog, stages: StageMap, sc: Scenario, as_of: dt.date) -> list[dict[str, str]]:
    """The rows of the backlog of ``log``'s cases open at ``as_of`` (see the module's rules).

    Raises:
        ScenarioError: the stage map gives stages the scenario does not have (naming them), or no case is open.
    """
    names, of_instance = stages.apply(log)
    unknown = [s for s in names if s not in sc.stage_by_id]
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise ScenarioError(
            [
                Problem(
                    log.path,
                    stages.describe(),
                    f"the log's stages {shown} are not stages of the scenario {sc.source} (its stages: "
                    f"{', '.join(sc.stage_by_id)}); map the activities onto them with --stage-map",
                )
            ]
        )
    cut = dt.datetime.combine(as_of, dt.time())
    last = {s.id for s in sc.stages} - {a for s in sc.stages for a in s.after}
    cls = _default_class(sc)
    rows: list[dict[str, str]] = []
    for case, span in log.case_slices():
        events: dict[str, list[tuple[dt.datetime | None, dt.datetime]]] = {}
        first: dt.datetime | None = None
        for i in range(span.start, span.stop):
            k = int(of_instance[i])
            if k < 0:
                continue
            off = int(log.offset[i])
            end = clock(float(log.end[i]), off)
            s = float(log.start[i])
            start = None if math.isnan(s) else clock(s, off)
            events.setdefault(names[k], []).append((start, end))
            began = start or end
            first = began if first is None or began < first else first
        before = any((s or e) < cut for evs in events.values() for s, e in evs)
        later = any(e >= cut for evs in events.values() for _, e in evs)
        ended = any(any(e < cut for _, e in events.get(s, [])) for s in last)
        if first is None or not before or not (later or not ended):
            continue
        rows.extend(_case_rows(case, log.case_attributes.get(case, {}), cls, sc, first, events, cut))
    if not rows:
        raise ScenarioError([Problem(log.path, f"--as-of {as_of}", "no case of the log is open at that date")])
    return rows


def _default_class(sc: Scenario) -> str:
    if sc.stream is not None and sc.stream.classes:
        return max(sc.stream.classes, key=lambda c: c[1])[0]
    return sc.classes[0].id


def _case_rows(
    case: str,
    attributes: dict[str, str],
    cls: str,
    sc: Scenario,
    first: dt.datetime,
    events: dict[str, list[tuple[dt.datetime | None, dt.datetime]]],
    cut: dt.datetime,
) -> list[dict[str, str]]:
    """The rows of one open case, in the order of the process (topological, so a stage's predecessors come
    first and its date can be held to theirs)."""
    state: dict[str, tuple[str, dt.datetime]] = {}
    for name, evs in events.items():
        done = [e for _, e in evs if e < cut]
        running = [s for s, e in evs if e >= cut and s is not None and s < cut]
        if any(e >= cut for _, e in evs):
            if running or done:
                state[name] = ("running", min(running) if running else max(done))
        elif done:
            state[name] = ("done", max(done))
    behind: set[str] = set()
    stack = list(state)
    while stack:
        for before in sc.stage_by_id[stack.pop()].after:
            if before not in behind:
                behind.add(before)
                stack.append(before)
    own = attributes.get("class", "")
    row_class = own if own in sc.class_by_id else cls
    decided: dict[str, dt.datetime] = {}
    rows = []
    for sid in topological_order({s.id: s.after for s in sc.stages}):
        if sid not in state:
            continue
        stage = sc.stage_by_id[sid]
        kind, since = state[sid]
        if sid in behind:  # a later stage began: this one was decided
            kind = "done"
            ends = [e for _, e in events[sid] if e < cut]
            since = max(ends) if ends else since
        since = max([since, *(decided[a] for a in stage.after if a in decided)])  # never before what it waits for
        if kind == "done":
            decided[sid] = since
        else:
            allowed = allowed_states(sc, stage)
            kind = next((k for k in RUNNING if k in allowed), "in_review")
        rows.append(
            {
                "project": case,
                "class": row_class,
                "signed": min(first, since).isoformat(sep=" "),
                "stage": sid,
                "state": kind,
                "since": since.isoformat(sep=" "),
            }
        )
    return rows


def backlog_from_log(log: EventLog, stages: StageMap, sc: Scenario, as_of: dt.date) -> Backlog:
    """The backlog of ``log``'s cases open at ``as_of``, checked against ``sc`` like a backlog file.

    Raises:
        ScenarioError: stages the scenario does not have, no open case, or a case whose stages contradict the
            process (named by its row in the backlog the log gives, :func:`backlog_rows_from_log`).
    """
    rows = backlog_rows_from_log(log, stages, sc, as_of)
    numbered: list[tuple[int, dict[str, Any]]] = list(enumerate(rows, 2))
    return backlog_from_rows(numbered, f"{log.path} (its cases open at {as_of})", sc, as_of)
