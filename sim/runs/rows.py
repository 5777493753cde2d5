"""The rows of projects.csv, stages.csv and events.csv, formatted a replication at a time, column by column.

A :class:`~sim.runs.reducer.Reducer` keeps each project's raw values (clock times as floats, NaN when not
reached) as it finishes; :func:`format_rows` turns them into CSV cells once per replication: a column of
clock times becomes "YYYY-MM-DD HH:MM" strings in one numpy pass, a column of numbers is rounded to 6
decimals, and a missing value becomes "".  Formatting in bulk is what keeps the rows cheap next to the
simulation (``python benchmarks/run.py --parts 7``); each cell is the one :func:`stamp` and :func:`number` give.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

import numpy as np

from sim.core.kpi import KPIS, MILESTONES
from sim.core.output import FORMULA_STARTS, spreadsheet_safe
from sim.engine.compiled import CompiledScenario
from sim.engine.context import EventRow
from sim.engine.records import SPLIT, STAGE_FIELDS
from sim.runs.tables import Row

#: how a column's raw values become cells: clock times, rounded numbers, integers, or as they are
Kind = Literal["time", "number", "int", "text"]

#: KPIs written per project in projects.csv (submissions has its own column)
PROJECTS_CSV_KPIS = tuple(k for k in KPIS if k not in ("within_limit_share", "submissions"))
#: the time columns of projects.csv: signing, first submission, then every milestone
MILESTONE_COLUMNS = ("signed", "first_submission", *MILESTONES)
EVENT_COLUMNS = ["case", "activity", "resource", "start", "end", "lifecycle"]

_STAGE_KINDS: dict[str, Kind] = {
    "stage": "text",
    "started": "time",
    "submitted": "time",
    "issued": "time",
    "verified": "time",
    "submissions": "text",
    "capped": "int",
}
#: the kind of each column of stages.csv (as :func:`stage_columns`)
STAGE_KINDS: tuple[Kind, ...] = ("text", "text", *(_STAGE_KINDS.get(f, "number") for f in STAGE_FIELDS))
_MINUTE_US = 60_000_000
_DAY_US = 86_400_000_000


def project_columns(cs: CompiledScenario) -> list[str]:
    """Header of projects.csv."""
    permits = [f"issued_{s.id}" for s in cs.scenario.stages if s.agency is not None]
    return [
        "rep",
        "project",
        "class",
        "investment_cny",
        *MILESTONE_COLUMNS,
        "submissions",
        "capped",
        *(f"{c}_{'days' if c == 'build' else 'wd'}" for c in SPLIT),
        *PROJECTS_CSV_KPIS,
        *permits,
    ]


def project_kinds(cs: CompiledScenario) -> tuple[Kind, ...]:
    """The kind of each column of projects.csv (as :func:`project_columns`)."""
    n_permits = sum(1 for s in cs.scenario.stages if s.agency is not None)
    time: list[Kind] = ["time"]
    number: list[Kind] = ["number"]
    head: list[Kind] = ["text", "text", "text", "number"]  # rep, project, class, investment_cny
    counts: list[Kind] = ["text", "int"]  # submissions, capped
    return (
        *head,
        *(time * len(MILESTONE_COLUMNS)),
        *counts,
        *(number * (len(SPLIT) + len(PROJECTS_CSV_KPIS))),
        *(time * n_permits),
    )


def stage_columns() -> list[str]:
    """Header of stages.csv."""
    return ["rep", "project", *STAGE_FIELDS]


#: the text columns (ids from the scenario) of projects.csv, stages.csv and events.csv: the only cells that
#: can start like a formula
TEXT_COLUMNS = ("project", "class", "stage", "case", "activity", "resource")


def text_positions(header: Sequence[str]) -> tuple[int, ...]:
    """The positions of the :data:`TEXT_COLUMNS` in a CSV header."""
    return tuple(j for j, name in enumerate(header) if name in TEXT_COLUMNS)


def spreadsheet_rows(rows: Iterable[Row], text: tuple[int, ...]) -> Iterator[Row]:
    """``rows`` as written to a CSV file: a text cell that a spreadsheet would run as a formula (a project id
    ``=HYPERLINK(...)``) is neutralised (:func:`~sim.core.output.spreadsheet_safe`); the rows kept in memory
    (``RunResult.projects``) keep the ids as they are."""
    for row in rows:
        if any(isinstance(row[j], str) and row[j].startswith(FORMULA_STARTS) for j in text):
            row = [spreadsheet_safe(c) if j in text else c for j, c in enumerate(row)]
        yield row


def stamp(origin: dt.datetime, t: float | None) -> str:
    """A clock time as a CSV cell "YYYY-MM-DD HH:MM" ("" if not reached): the minute it falls in."""
    if t is None or math.isnan(t) or math.isinf(t):
        return ""
    return (origin + dt.timedelta(days=t)).strftime("%Y-%m-%d %H:%M")


def number(x: float | None) -> float | str:
    """A number as a CSV cell: rounded to 6 decimals, "" if missing."""
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 6)


def stamps(origin: dt.datetime, times: Sequence[float]) -> list[str]:
    """:func:`stamp` of each of ``times``, in one numpy pass, cell for cell the same.

    :class:`datetime.timedelta` turns ``days=t`` into whole days plus ``round(frac(t) * 86400e6)``
    microseconds (half to even, the fraction multiplied in floating point), and ``strftime`` cuts that to
    the minute; this does the same arithmetic on arrays.  Times before
    the origin, and an origin that is not on a whole minute, go through :func:`stamp`.
    """
    t = np.asarray(times, dtype=float)
    out = np.full(len(t), "", dtype=object)
    ok = np.isfinite(t) & (t >= 0.0)
    if origin.second or origin.microsecond:
        ok[:] = False
    if ok.any():
        whole = np.floor(t[ok])
        us = np.rint((t[ok] - whole) * _DAY_US).astype(np.int64)
        minutes = whole.astype(np.int64) * 1440 + us // _MINUTE_US
        text = np.datetime_as_string(np.datetime64(origin, "m") + minutes.astype("timedelta64[m]"), unit="m")
        out[ok] = [cell.replace("T", " ") for cell in text.tolist()]
    for i in np.flatnonzero(np.isfinite(t) & ~ok):
        out[i] = stamp(origin, float(t[i]))
    return out.tolist()


def numbers(values: Sequence[Any]) -> list[float | str]:
    """:func:`number` of each of ``values``, in one numpy pass, cell for cell the same.

    ``round(x, 6)`` is the double nearest to ``k / 10**6`` for the integer ``k`` nearest to ``x * 10**6``, and
    so is ``rint(x * 1e6) / 1e6`` whenever the product's rounding cannot change ``k``: all but the values within
    a hair of a half-way point, or too large for the product to keep its units, which go through ``round``.
    """
    x = np.asarray(values, dtype=float)
    missing = np.isnan(x)
    with np.errstate(invalid="ignore", over="ignore"):  # (infinities: rounded one by one below)
        scaled = x * 1e6
        k = np.rint(scaled)
        doubtful = (np.abs(np.abs(scaled - k) - 0.5) < 1e-6) | ~(np.abs(scaled) < 2.0**52)
    out = (k / 1e6).astype(object)
    for i in np.flatnonzero(doubtful & ~missing):
        out[i] = round(float(x[i]), 6)
    out[missing] = ""
    return out.tolist()


def format_rows(origin: dt.datetime, kinds: Sequence[Kind], raw: Sequence[Sequence[Any]]) -> list[Row]:
    """Rows of CSV cells from rows of raw values (``kinds``: one per column).

    The columns of one kind are formatted together: every clock time of the table in one :func:`stamps`, every
    number in one :func:`numbers` (a replication's table has dozens of short columns)."""
    if not raw:
        return []
    columns: list[Sequence[Any]] = list(zip(*raw))
    n = len(raw)
    for kind, cells in (("time", lambda v: stamps(origin, v)), ("number", numbers)):
        where = [j for j, k in enumerate(kinds) if k == kind]
        if where:
            flat = cells([x for j in where for x in columns[j]])
            for i, j in enumerate(where):
                columns[j] = flat[i * n : (i + 1) * n]
    for j, kind in enumerate(kinds):
        if kind == "int":
            columns[j] = [int(v) for v in columns[j]]
    return [list(row) for row in zip(*columns)]


def event_rows(origin: dt.datetime, rep: int, cases: dict[int, tuple[Any, ...]], events: list[EventRow]) -> list[Row]:
    """The rows of events.csv of a replication's event log: case ``rep:project id``, activity ``stage:step``."""
    if not events:
        return []
    idx, stage, step, resource, t0, t1 = zip(*events)
    case = [f"{rep}:{cases[i][0]}" for i in idx]
    activity = [f"{s}:{p}" for s, p in zip(stage, step)]
    return [
        [c, a, r, start, end, "complete"]
        for c, a, r, start, end in zip(case, activity, resource, stamps(origin, t0), stamps(origin, t1))
    ]
