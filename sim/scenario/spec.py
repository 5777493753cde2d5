"""The parts a scenario is made of: frozen dataclasses for calendars, agencies, stages, projects.

:mod:`sim.scenario.scenario` builds them from TOML and holds them in a
:class:`~sim.scenario.scenario.Scenario`; the engine reads them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sim.scenario.conditions import Condition
from sim.scenario.distributions import Dist
from sim.scenario.stage_options import Commitment, Feedback, PreReview, Regional, Tolerant


@dataclass(frozen=True)
class CalendarSpec:
    """The zone's working calendar: public holidays, weekend, office hours."""

    country: str | None = "CN"
    weekend: tuple[int, ...] = (5, 6)
    hours: tuple[float, float] = (9.0, 17.0)
    always_open: bool = False
    extra_holidays: tuple[dt.date, ...] = ()
    extra_workdays: tuple[dt.date, ...] = ()


@dataclass(frozen=True)
class Shutdown:
    """A yearly window ((month, day) to (month, day)) in which construction work stops.

    Projects matching ``exempt`` (e.g. key projects with winter-construction measures) keep working.
    """

    id: str
    window: tuple[tuple[int, int], tuple[int, int]]
    exempt: Condition | None = None
    name: str = ""  # its label (the id if the file gives none)


@dataclass(frozen=True)
class Sittings:
    """An agency that decides at sittings: every ``every`` working days, up to ``capacity`` files."""

    every: int
    capacity: int
    offset: int = 0


@dataclass(frozen=True)
class Agency:
    """A bureau, window or expert panel; ``staff`` reviewers work on its calendar."""

    id: str
    name: str
    staff: int
    hours: tuple[float, float] | None = None
    sittings: Sittings | None = None
    priority: Condition | None = None


@dataclass(frozen=True)
class Defect:
    """Strict rework: a defective application is returned, fixed and resubmitted."""

    p: float
    decay: float
    max_rounds: int
    fix: Dist


@dataclass(frozen=True)
class Limit:
    """A statutory or promised time limit in working days, paused while the applicant fixes documents."""

    workdays: float
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stage:
    """One approval, assessment, inspection or construction phase of the process."""

    id: str
    name: str
    phase: str
    agency: str | None
    after: tuple[str, ...]
    when: Condition | None
    prepare: Dist | None
    effort: Dist | None
    lag: Dist | None
    build: Dist | None
    shutdowns: tuple[str, ...]
    limit: Limit | None
    defect: Defect | None
    fees_cny: float = 0.0
    consultancy_cny: float = 0.0
    enabled: bool = True
    tolerant: Tolerant | None = None
    regional: Regional | None = None
    prereview: PreReview | None = None
    commitment: Commitment | None = None
    feedback: Feedback | None = None


@dataclass(frozen=True)
class ProjectClass:
    """A kind of project: investment, attributes and how long its construction takes."""

    id: str
    investment: Dist
    attributes: tuple[tuple[str, Any], ...]
    construction_scale: float = 1.0


@dataclass(frozen=True)
class NamedProject:
    """A project that signs on a given date."""

    id: str
    cls: str
    signed: dt.date
    investment_cny: float | None
    attributes: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Stream:
    """Projects signing as a Poisson process (``[arrivals.stream]``), or on given days (``[arrivals.replay]``,
    ``days`` not empty), with classes drawn by weight.

    Attributes:
        rate_per_day: projects per calendar day (for a replay, its days' count over its span).
        start, end: the first and last day projects may sign.
        classes: (class id, weight) pairs.
        days: a replay's signing days, as days since the scenario's start, ascending.
    """

    rate_per_day: float
    start: dt.date
    end: dt.date
    classes: tuple[tuple[str, float], ...]
    days: tuple[int, ...] = ()

    @property
    def key(self) -> str:
        """The scenario table this stream comes from."""
        return "arrivals.replay" if self.days else "arrivals.stream"


@dataclass(frozen=True)
class Milestone:
    """Which stage marks a milestone, and whether at its start or its end."""

    stage: str
    at: str = "end"
    short: bool = field(default=False, compare=False)  # written as a plain stage id (for the key path of problems)


@dataclass(frozen=True)
class Costs:
    """Cost parameters shared by all projects."""

    applicant_day_cny: float = 0.0
    capital_rate: float = 0.0
