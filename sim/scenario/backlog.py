"""The backlog file: today's open projects, stage by stage, for a forecast (``approval-sim forecast --backlog``).

A CSV file in long format, one row per open project and stage (``docs/forecast.md``)::

    project,class,signed,stage,state,since,round
    P-017,large,2024-03-11,site_selection,done,2024-05-20,
    P-017,large,2024-03-11,planning_coordination,in_review,2024-08-26,1

This module holds what a backlog is (:class:`Backlog`); :mod:`sim.scenario.backlog_reading` reads one and checks
every cell against the scenario, like a scenario file, and :mod:`sim.scenario.backlog_checks` checks it against
the process (a stage under way whose predecessors are not done, dates out of order).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

#: each state a row may give, and the step of a stage visit it resumes (None: not under way)
STATES: dict[str, str | None] = {
    "done": None,
    "not_started": None,
    "preparing": "prepare",
    "queued": "queue",
    "in_review": "review",
    "waiting_sitting": "sitting",
    "supplementing": "supplement",
    "returned": "rework",
    "lag": "lag",
    "building": "build",
}
#: the states that are part of a round of review (the ``round`` column counts them)
ROUND_STATES = ("queued", "in_review", "waiting_sitting", "supplementing", "returned")
#: columns every backlog has
REQUIRED = ("project", "stage", "state")
#: the other columns it may have (besides the scenario's project attributes)
OPTIONAL = ("class", "signed", "since", "round", "submitted", "paused_workdays", "investment_cny")
#: the columns that describe the project, not the stage: given on one of its rows or repeated alike on each
PROJECT_COLUMNS = ("class", "signed", "investment_cny")


@dataclass(frozen=True)
class StageState:
    """Where one stage of an open project stands at the as-of date.

    Attributes:
        stage: the stage id.
        state: one of :data:`STATES`.
        since: when the state began (``done``: the decision), None for ``not_started``.
        round: the round of review (1: the first submission).
        submitted: the stage's first submission, if given.
        paused_workdays: working days its statutory clock did not count before the current step.
        row: the row of the file.
    """

    stage: str
    state: str
    since: dt.datetime | None
    round: int = 1
    submitted: dt.datetime | None = None
    paused_workdays: float = 0.0
    row: int = 0


@dataclass(frozen=True)
class BacklogProject:
    """One open project: who it is and where each of its stages stands (stages not listed have not started)."""

    id: str
    cls: str
    signed: dt.datetime
    investment_cny: float | None
    attributes: tuple[tuple[str, Any], ...]
    stages: tuple[StageState, ...]
    row: int = 0

    def state_of(self, stage: str) -> StageState | None:
        """The row of ``stage``, None if the stage is not listed (not started)."""
        return next((s for s in self.stages if s.stage == stage), None)


@dataclass(frozen=True)
class Backlog:
    """Today's open projects, checked against a scenario.

    Attributes:
        source: the file (or what the rows came from).
        as_of: the state is that at 00:00 of this day (everything up to the evening before).
        projects: the open projects, in the order of the file.
    """

    source: str
    as_of: dt.date
    projects: tuple[BacklogProject, ...]

    def __len__(self) -> int:
        return len(self.projects)

    def earliest(self) -> dt.date:
        """The earliest date the backlog mentions (a signing, a step's start, a submission)."""
        dates = [p.signed for p in self.projects]
        for p in self.projects:
            dates.extend(d for s in p.stages for d in (s.since, s.submitted) if d is not None)
        return min(dates).date() if dates else self.as_of

    def rows(self) -> list[dict[str, Any]]:
        """The backlog as the rows of its file (dates with their time of day), e.g. to write it to CSV."""
        names = sorted({k for p in self.projects for k, _ in p.attributes})
        out = []
        for p in self.projects:
            attrs = dict(p.attributes)
            for s in p.stages:
                row: dict[str, Any] = {
                    "project": p.id,
                    "class": p.cls,
                    "signed": text_of(p.signed),
                    "stage": s.stage,
                    "state": s.state,
                    "since": text_of(s.since),
                    "round": s.round if s.state in ROUND_STATES else "",
                    "submitted": text_of(s.submitted),
                    "paused_workdays": s.paused_workdays or "",
                    "investment_cny": "" if p.investment_cny is None else p.investment_cny,
                }
                row.update({k: attrs.get(k, "") for k in names})
                out.append(row)
        return out


def text_of(t: dt.datetime | None) -> str:
    """A date and time as the backlog writes it; empty for None."""
    return "" if t is None else t.isoformat(sep=" ")
