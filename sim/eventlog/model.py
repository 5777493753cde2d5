"""An event log read from a file: one row per activity instance, held as numpy columns.

:class:`LogBuilder` collects what a reader finds, pairing ``start`` and ``complete`` events into activity
instances, and problems with the file; :meth:`LogBuilder.finish` sorts the instances by case and time and
returns the :class:`EventLog`.  Memory: about 50 bytes per instance, so a million events fit in well under
500 MB.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.core.errors import LogError, Problem
from sim.eventlog.times import clock
from sim.eventlog.vocabulary import COMPLETE, START

#: problems collected before reading stops
MAX_PROBLEMS = 20


class Problems:
    """The problems found in one file; reading stops with :class:`LogError` after :data:`MAX_PROBLEMS`."""

    def __init__(self, path: str):
        self.path = path
        self.found: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.found.append(Problem(self.path, where, message))
        if len(self.found) >= MAX_PROBLEMS:
            self.found.append(Problem(self.path, "", f"stopped reading after {MAX_PROBLEMS} problems"))
            raise LogError(self.found)

    def check(self) -> None:
        """Raise :class:`LogError` if anything was found."""
        if self.found:
            raise LogError(self.found)


class Names:
    """Distinct strings, each numbered once."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []

    def __call__(self, name: str | None) -> int:
        if name is None or name == "":
            return -1
        i = self.index.get(name)
        if i is None:
            i = self.index[name] = len(self.names)
            self.names.append(name)
        return i


class LogBuilder:
    """Collects the events of one log as a reader finds them."""

    def __init__(self, path: str, fmt: str, zone: str | None, columns: dict[str, str]):
        self.path, self.format, self.zone, self.columns = path, fmt, zone, columns
        self.problems = Problems(path)
        self.cases, self.activities, self.resources, self.groups = Names(), Names(), Names(), Names()
        self.case_attributes: dict[int, dict[str, str]] = {}
        self._case, self._activity = array("i"), array("i")
        self._resource, self._group = array("i"), array("i")
        self._start, self._end, self._offset = array("d"), array("d"), array("i")
        self._date_only = bytearray()
        #: (case, activity, instance) -> start times waiting for their complete, first in first out
        self._open: dict[tuple[int, int, str], deque[float]] = {}
        self.events_read = 0
        self.unmatched_starts = 0
        self.other_transitions = 0

    def case(self, case_id: str, attributes: dict[str, str] | None = None) -> int:
        """The number of a case (new ones numbered in order of appearance), recording its attributes."""
        c = self.cases(case_id)
        if attributes:
            self.case_attributes.setdefault(c, {}).update(attributes)
        return c

    def add(
        self,
        case: int,
        activity: str,
        transition: str,
        time: float,
        offset: int,
        date_only: bool,
        start: float = math.nan,
        resource: str | None = None,
        group: str | None = None,
        instance: str = "",
    ) -> None:
        """One event read: a ``start`` waits for its ``complete``; a ``complete`` (or an event without a
        transition) is an activity instance, started at the matching start's time or at ``start``."""
        self.events_read += 1
        a = self.activities(activity)
        if transition == START:
            self._open.setdefault((case, a, instance), deque()).append(time)
            return
        if transition != COMPLETE:
            self.other_transitions += 1
            return
        waiting = self._open.get((case, a, instance))
        if waiting:
            start = waiting.popleft()
        self._case.append(case)
        self._activity.append(a)
        self._resource.append(self.resources(resource))
        self._group.append(self.groups(group))
        self._start.append(start)
        self._end.append(time)
        self._offset.append(offset)
        self._date_only.append(date_only or (time + offset) % 86400 == 0)

    def close_case(self) -> None:
        """The starts still waiting are unmatched: count them and let them go."""
        self.unmatched_starts += sum(len(q) for q in self._open.values())
        self._open.clear()

    def finish(self) -> EventLog:
        """The log, instances sorted by case (in order of first appearance), time and file order."""
        self.close_case()
        if not self._end and not self.problems.found:
            what = "no events" if self.events_read == 0 else "no completed activity (only starts or other transitions)"
            self.problems.add("", f"the log has {what}: nothing to read")
        self.problems.check()
        case = np.frombuffer(self._case, dtype=np.int32)
        end = np.frombuffer(self._end, dtype=float)
        order = np.lexsort((np.arange(len(end)), end, case))
        return EventLog(
            path=self.path,
            format=self.format,
            zone=self.zone,
            columns=self.columns,
            case_ids=self.cases.names,
            activities=self.activities.names,
            resources=self.resources.names,
            groups=self.groups.names,
            case=case[order],
            activity=np.frombuffer(self._activity, dtype=np.int32)[order],
            resource=np.frombuffer(self._resource, dtype=np.int32)[order],
            group=np.frombuffer(self._group, dtype=np.int32)[order],
            start=np.frombuffer(self._start, dtype=float)[order],
            end=end[order],
            offset=np.frombuffer(self._offset, dtype=np.int32)[order],
            date_only=np.frombuffer(self._date_only, dtype=bool)[order],
            case_attributes={self.cases.names[c]: a for c, a in self.case_attributes.items()},
            events_read=self.events_read,
            unmatched_starts=self.unmatched_starts,
            other_transitions=self.other_transitions,
        )


@dataclass(frozen=True, eq=False)
class EventLog:
    """An event log: one entry per activity instance, sorted by case and end time.

    Times are seconds since 1970-01-01 UTC (``start`` NaN where the log gives none); ``offset`` is the UTC
    offset, in seconds, of the clock each time is read in: the zone asked for, or the log's own.  Names are
    numbered: ``activities[activity[i]]``; ``resource`` and ``group`` are -1 where the log gives none.

    Attributes:
        path, format: the file and its format (``csv`` or ``xes``).
        zone: the time zone the times were converted to, or None (each timestamp's own offset).
        columns: what was read from where: role (case, activity, time, ...) -> the CSV column or XES key.
        case_ids: the cases, in order of first appearance (``case`` numbers them).
        case_attributes: case id -> its attributes (XES trace attributes, CSV ``case:`` columns).
        events_read: the events (XES) or rows (CSV) read; a start and its complete make one instance.
        unmatched_starts: ``start`` events without a ``complete`` (not in the instances).
        other_transitions: events of other lifecycle transitions (schedule, suspend, ...), not used.
    """

    path: str
    format: str
    zone: str | None
    columns: dict[str, str]
    case_ids: list[str]
    activities: list[str]
    resources: list[str]
    groups: list[str]
    case: np.ndarray
    activity: np.ndarray
    resource: np.ndarray
    group: np.ndarray
    start: np.ndarray
    end: np.ndarray
    offset: np.ndarray
    date_only: np.ndarray
    case_attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    events_read: int = 0
    unmatched_starts: int = 0
    other_transitions: int = 0

    def __len__(self) -> int:
        """Activity instances."""
        return len(self.end)

    def __repr__(self) -> str:
        return f"<EventLog {self.path}: {len(self.case_ids)} cases, {len(self)} activity instances>"

    @property
    def n_cases(self) -> int:
        """Cases."""
        return len(self.case_ids)

    def case_slices(self) -> Iterator[tuple[str, slice]]:
        """Each case's id and the slice of its instances."""
        bounds = np.flatnonzero(np.diff(self.case)) + 1
        starts = [0, *bounds.tolist()]
        ends = [*bounds.tolist(), len(self)]
        for s, e in zip(starts, ends):
            yield self.case_ids[int(self.case[s])], slice(s, e)

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each activity instance as a dict: case, activity, resource, group, start and end (aware datetimes,
        on the log's clock; start None where not known), date_only."""
        for i in range(len(self)):
            off = int(self.offset[i])
            tz = dt.timezone(dt.timedelta(seconds=off))
            s = float(self.start[i])
            r, g = int(self.resource[i]), int(self.group[i])
            yield {
                "case": self.case_ids[int(self.case[i])],
                "activity": self.activities[int(self.activity[i])],
                "resource": self.resources[r] if r >= 0 else None,
                "group": self.groups[g] if g >= 0 else None,
                "start": None if math.isnan(s) else clock(s, off).replace(tzinfo=tz),
                "end": clock(float(self.end[i]), off).replace(tzinfo=tz),
                "date_only": bool(self.date_only[i]),
            }
