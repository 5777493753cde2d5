"""A minimal scenario builder: scenario TOML from a few keyword arguments.

A test states only what matters to it, in the words of the scenario format
(``docs/scenario-format.md``): tables are dicts with the format's own keys, and
the helpers below spell the common values.  For example::

    text = scenario_toml(
        "trace",
        agencies={"bureau": 1},                        # agency id -> staff (or the whole table)
        projects=[project("p", "std", "2024-03-04")],  # one named project of the default class "std"
        stages={
            "filing": stage("bureau", effort=workdays(1)),
            "permit": stage("bureau", after="filing", effort=workdays(1), fees_cny=100),
        },
        milestones="permit",                           # all four milestones at this stage
    )

gives::

    [scenario]
    name = "trace"
    start_date = 2024-01-01
    end_date = 2024-12-31

    [agencies.bureau]
    staff = 1

    [classes.std]
    investment_cny = {dist = "fixed", value = 100000000.0, unit = "cny"}

    [[arrivals.projects]]
    id = "p"
    ...

Nothing is added that the test did not ask for, except the defaults named in
:func:`scenario_toml` (the 2024 horizon and the class "std"); a key left out
stays out, so the loader's own default applies.  Write the text to a file with
the ``write_scenario`` fixture (``tests/conftest.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from helpers.toml_text import toml_sections

Table = dict[str, Any]

MILESTONES = ("construction_permit", "construction_start", "completion", "production")

SECTIONED_TABLES = ("shutdowns", "agencies", "classes", "arrivals", "stages", "levers", "targets")
"""Top-level tables whose entries are tables of their own: ``[agencies.bureau]``, ``[[arrivals.projects]]``."""


# -- values ----------------------------------------------------------------------------------------------


def date(value: str | dt.date) -> dt.date:
    """A TOML date (``2024-03-04``, not the string ``"2024-03-04"``) from 'YYYY-MM-DD' or a date."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def dist(kind: str, unit: str = "workday", **params: float | list[float]) -> Table:
    """A distribution table, e.g. ``dist("triangular", low=1, mode=2, high=5)``."""
    return {"dist": kind, **params, "unit": unit}


def fixed(value: float, unit: str) -> Table:
    """A fixed duration or amount: ``{dist = "fixed", value = VALUE, unit = UNIT}``."""
    return dist("fixed", unit, value=value)


def workdays(value: float) -> Table:
    """A fixed duration in working days."""
    return fixed(value, "workday")


def workhours(value: float) -> Table:
    """A fixed duration in working hours."""
    return fixed(value, "workhour")


def days(value: float) -> Table:
    """A fixed duration in calendar days."""
    return fixed(value, "day")


def cny(value: float) -> Table:
    """A fixed amount of yuan (a class's ``investment_cny``)."""
    return fixed(value, "cny")


# -- tables ----------------------------------------------------------------------------------------------


def project_class(investment_cny: float = 1e8, **fields: Any) -> Table:
    """A project class investing a fixed amount, with any other class keys (``attributes``, ...)."""
    return {"investment_cny": cny(investment_cny), **fields}


STD_CLASS = {"std": project_class()}
"""The default classes: "std", investing a fixed 1e8 yuan."""


def project(pid: str, cls: str, signed: str | dt.date, **fields: Any) -> Table:
    """A named project (``[[arrivals.projects]]``) signed at 09:00 of ``signed``."""
    return {"id": pid, "class": cls, "signed": date(signed), **fields}


def stage(agency: str | None = None, *, after: str | Sequence[str] = (), **fields: Any) -> Table:
    """A stage at ``agency`` (none for an applicant-only or construction stage) after the stages ``after``.

    The other stage keys are given as they are named in the format: ``effort=workdays(2)``,
    ``defect={"p": 1, "fix": workdays(2)}``, ``limit={"workdays": 5}``, ``build=days(30)`` ...
    """
    table: Table = {} if agency is None else {"agency": agency}
    if after:
        table["after"] = [after] if isinstance(after, str) else list(after)
    return {**table, **fields}


def milestones_at(permit: str, start: Any = None, completion: Any = None, production: Any = None) -> Table:
    """The four milestones, each at the stage of the one before unless given: ``milestones_at("permit",
    "works")`` puts the construction permit at "permit" and construction start, completion and production
    at "works"."""
    start = permit if start is None else start
    completion = start if completion is None else completion
    production = completion if production is None else production
    return dict(zip(MILESTONES, (permit, start, completion, production)))


def scenario_toml(
    name: str,
    *,
    agencies: Mapping[str, int | Table],
    stages: Mapping[str, Table],
    milestones: str | Mapping[str, Any],
    classes: Mapping[str, Table] = STD_CLASS,
    projects: Iterable[Table] = (),
    stream: Table | None = None,
    replay: Table | None = None,
    start_date: str | dt.date = "2024-01-01",
    end_date: str | dt.date | None = "2024-12-31",
    settings: Mapping[str, Any] | None = None,
    always_open: bool = False,
    calendar: Table | None = None,
    shutdowns: Mapping[str, Table] | None = None,
    agents: Table | None = None,
    levers: Mapping[str, Table] | None = None,
    targets: Mapping[str, Table] | None = None,
    costs: Table | None = None,
) -> str:
    """The TOML text of a scenario.

    ``name``, ``start_date``, ``end_date`` (None: leave it out) and ``settings`` (any other
    ``[scenario]`` keys: ``seed``, ``warmup_days``, ``reform_date``, ``levers``, ...) make the
    ``[scenario]`` table.  The calendar is the default (Chinese working days, offices open
    09:00-17:00) unless ``always_open`` (24/7) or a ``calendar`` table is given.  An agency is its
    staff or its whole table.  ``milestones`` is one stage for all four or the table (see
    :func:`milestones_at`).  ``projects`` (named, see :func:`project`), ``stream`` and ``replay``
    make ``[arrivals]``.  ``shutdowns``, ``agents``, ``levers``, ``targets`` and ``costs`` are written as given.
    """
    head: Table = {"name": name, "start_date": date(start_date)}
    if end_date is not None:
        head["end_date"] = date(end_date)
    head.update(settings or {})
    assert not (always_open and calendar), "always_open or a calendar table, not both"
    arrivals: Table = {}
    if stream is not None:
        arrivals["stream"] = stream
    if replay is not None:
        arrivals["replay"] = replay
    if projects := list(projects):
        arrivals["projects"] = projects
    table: Table = {
        "scenario": head,
        "calendar": {"always_open": True} if always_open else calendar,
        "shutdowns": shutdowns,
        "agents": agents,
        "agencies": {a: {"staff": v} if isinstance(v, int) else v for a, v in agencies.items()},
        "classes": classes,
        "arrivals": arrivals,
        "stages": stages,
        "milestones": milestones_at(milestones) if isinstance(milestones, str) else dict(milestones),
        "levers": levers,
        "targets": targets,
        "costs": costs,
    }
    return toml_sections({k: v for k, v in table.items() if v}, SECTIONED_TABLES)
