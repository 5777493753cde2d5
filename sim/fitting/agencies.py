"""Who works on each stage, how many staff each agency has, and when all of them were busy.

- **Agencies** come from ``org:group``: a stage's agency is the group of most of its events (events without a
  group are ignored); a log without groups has one agency, ``office``, for every stage.
- **Staff**, with start times: the 95th percentile, over the starts of the agency's work, of the number of its
  work instances in progress at that moment (at least 1).  Without start times: the median, over the weeks
  with events, of the distinct resources active in the agency's events (1 without resources).
- **Busy**: the times at which at least ``staff`` work instances of the agency are in progress; waiting before
  work counts as queueing only while the agency was busy (:meth:`Busy.workdays`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.eventlog.model import EventLog
from sim.eventlog.stages import stage_id
from sim.fitting.clock import LogClock
from sim.scenario.calendar import WorkCalendar

#: the agency of a log without groups
OFFICE = "office"
#: the percentile of work instances in progress at once taken as the staff
STAFF_PERCENTILE = 95


@dataclass(frozen=True)
class Agencies:
    """The agencies of a log and each stage's.

    Attributes:
        ids: the agency ids, in order of the stages they first serve.
        groups: agency id -> the ``org:group`` names it stands for.
        of_stage: each stage's agency number in ``ids`` (-1: none).
        of_instance: each activity instance's agency number (-1: its group is no stage's agency, or none).
        stage_note: each stage, how its agency was found (for the comment).
    """

    ids: list[str]
    groups: dict[str, list[str]]
    of_stage: list[int]
    of_instance: np.ndarray
    stage_note: list[str]

    @property
    def from_groups(self) -> bool:
        """Whether the agencies come from the log's ``org:group`` (else one ``office``)."""
        return bool(self.groups.get(self.ids[0])) if self.ids else False


def assign_agencies(log: EventLog, stage_of: np.ndarray, n_stages: int) -> Agencies:
    """Each stage's agency: the modal ``org:group`` of its instances; one ``office`` without groups."""
    if not (log.group >= 0).any():
        note = "the log has no org:group: one agency for every stage"
        return Agencies([OFFICE], {OFFICE: []}, [0] * n_stages, np.zeros(len(log), dtype=np.int32), [note] * n_stages)
    ids: list[str] = []
    groups: dict[str, list[str]] = {}
    of_stage, notes = [], []
    for s in range(n_stages):
        g = log.group[(stage_of == s) & (log.group >= 0)]
        if not len(g):
            of_stage.append(-1)
            notes.append("none of its events has an org:group: no agency")
            continue
        counts = np.bincount(g)
        top = int(counts.argmax())
        name = log.groups[top]
        aid = stage_id(name)
        if aid not in groups:
            ids.append(aid)
            groups[aid] = []
        if name not in groups[aid]:
            groups[aid].append(name)
        of_stage.append(ids.index(aid))
        notes.append(f"org:group {name!r} of {int(counts[top]):,} of its {len(g):,} events with a group")
    by_group = np.array([ids.index(stage_id(n)) if stage_id(n) in groups else -1 for n in log.groups], dtype=np.int32)
    of_instance = np.where(log.group >= 0, by_group[np.maximum(log.group, 0)], -1).astype(np.int32)
    return Agencies(ids, groups, of_stage, of_instance, notes)


def staff_from_concurrency(start: np.ndarray, end: np.ndarray) -> tuple[int, int]:
    """(staff, starts counted): the 95th percentile of the work instances in progress at each one's start."""
    if not len(start):
        return 1, 0
    s, e = np.sort(start), np.sort(end)
    at_start = np.searchsorted(s, start, side="right") - np.searchsorted(e, start, side="right")
    counts = np.maximum(at_start, 1)
    return max(1, int(np.percentile(counts, STAFF_PERCENTILE, method="inverted_cdf"))), len(start)


def staff_from_resources(clock: LogClock, times: np.ndarray, resource: np.ndarray) -> tuple[int, int]:
    """(staff, weeks counted): the median over the weeks with events of the distinct resources active in them."""
    known = resource >= 0
    if not known.any():
        return 1, 0
    # ordinal 1 is a Monday: weeks from Monday to Sunday
    week = (clock.start_date.toordinal() - 1 + np.floor(times[known]).astype(np.int64)) // 7
    pairs = np.unique(np.stack([week, resource[known].astype(np.int64)]), axis=1)
    _, per_week = np.unique(pairs[0], return_counts=True)
    return max(1, math.floor(float(np.median(per_week)) + 0.5)), len(per_week)


class Busy:
    """The times at which all ``staff`` of an agency were at work (at least ``staff`` instances in progress)."""

    def __init__(self, start: np.ndarray, end: np.ndarray, staff: int, calendar: WorkCalendar):
        points = np.concatenate([end, start])
        steps = np.concatenate([-np.ones(len(end), dtype=np.int64), np.ones(len(start), dtype=np.int64)])
        order = np.lexsort((steps, points))  # at one moment, ends before starts
        points, level = points[order], np.cumsum(steps[order])
        full = level >= staff
        edges = np.diff(np.concatenate([[0], full.astype(np.int8), [0]]))
        begin, finish = points[edges[:-1] == 1], points[edges[:-1] == -1]
        keep = finish > begin
        self.begin, self.finish = begin[keep], finish[keep]
        self.calendar = calendar
        spans = calendar.worktime_many(self.finish) - calendar.worktime_many(self.begin)
        self.cum = np.concatenate([[0.0], np.cumsum(spans)])

    def workdays(self, a: float, b: float) -> float:
        """Working days between clock times ``a`` and ``b`` during which the agency was busy."""
        if not b > a or not len(self.begin):
            return 0.0
        i0 = int(np.searchsorted(self.finish, a, side="right"))
        i1 = int(np.searchsorted(self.begin, b, side="left"))
        if i1 <= i0:
            return 0.0
        w = self.calendar.worktime
        total = self.cum[i1] - self.cum[i0]
        total -= max(0.0, w(max(a, self.begin[i0])) - w(self.begin[i0]))
        total -= max(0.0, w(self.finish[i1 - 1]) - w(min(b, self.finish[i1 - 1])))
        return max(0.0, float(total))
