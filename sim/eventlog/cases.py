"""What the writers take: plain cases of activities, each with a start and an end on one clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import NamedTuple

#: a case attribute's value: written as XES string, int, float, boolean or date (OCEL string, integer, ...)
Value = str | int | float | bool | dt.datetime


class Activity(NamedTuple):
    """One activity of a case: its name, when it started and ended (clock times of the log's zone, naive),
    who did it, the organisational group they belong to (an agency), and the object it worked on."""

    name: str
    start: dt.datetime
    end: dt.datetime
    resource: str | None
    group: str | None
    #: the stage visit (or other part of the case) the activity belongs to, or None
    visit: str | None = None


class Case(NamedTuple):
    """One case: its id, when it opened, its attributes and its activities (in the order they were logged)."""

    id: str
    opened: dt.datetime
    attributes: Mapping[str, Value]
    activities: Sequence[Activity]


class Transition(NamedTuple):
    """An activity's start or complete, as written: its time, ``start``/``complete``, the activity and its
    number within the case."""

    time: dt.datetime
    lifecycle: str
    activity: Activity
    instance: int


def transitions(case: Case) -> list[Transition]:
    """The start and complete events of a case, in time order (at one instant, completes before starts, then
    the order of the activities)."""
    out = []
    for i, a in enumerate(case.activities, 1):
        out.append(Transition(a.start, "start", a, i))
        out.append(Transition(a.end, "complete", a, i))
    out.sort(key=lambda t: (t.time, t.lifecycle != "complete", t.instance))
    return out
