"""Parsers for the sections of a scenario file (calendar, shutdowns, agencies, classes, arrivals, stages,
milestones): each reads one raw table with a :class:`~sim.scenario.schema.Reader`, which records every problem
with its key path, and returns the frozen parts of :mod:`sim.scenario.spec`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from sim.core.kpi import MILESTONES
from sim.core.units import CALENDAR_DAYS, DAYS_PER_YEAR, VALUE_UNITS
from sim.scenario.calendar import parse_hhmm
from sim.scenario.conditions import parse_condition
from sim.scenario.distributions import Dist
from sim.scenario.frozen import FrozenDict
from sim.scenario.limits import (
    MAX_CNY,
    MAX_ROUNDS,
    MAX_SCALE,
    MAX_SPAN_DAYS,
    MAX_STAFF,
    MAX_WEIGHT,
    MAX_WORKDAYS,
    id_problem,
    show,
)
from sim.scenario.schema import RawTable, Reader
from sim.scenario.spec import (
    Agency,
    CalendarSpec,
    Defect,
    Limit,
    Milestone,
    NamedProject,
    ProjectClass,
    Shutdown,
    Sittings,
    Stage,
    Stream,
)
from sim.scenario.stage_options import parse_commitment, parse_feedback, parse_prereview, parse_regional, parse_tolerant

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: weekday names a calendar's weekend may use: the abbreviations and the full English names
WEEKDAY_NAMES = {
    **{d: i for i, d in enumerate(WEEKDAYS)},
    **{d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
}
LIMIT_EXCLUDABLE = ("sitting", "lag")
MAX_STREAM_PROJECTS = 1_000_000  # expected projects per replication above which a stream is refused


def parse_horizon_end(r: Reader, scenario_table: RawTable, start: dt.date) -> dt.date:
    """The last simulated day, from ``scenario.end_date`` or ``scenario.horizon_years`` (exactly one is given).

    Whole years end the day before the anniversary of ``start``; fractional ones are counted in mean
    Gregorian years.  On a problem ``start`` is returned (the problem is recorded in ``r``).
    """
    if ("end_date" in scenario_table) == ("horizon_years" in scenario_table):
        r.error("scenario.end_date", "give exactly one of end_date (a date) or horizon_years (a number of years)")
        return start
    if "end_date" in scenario_table:
        end = r.date(scenario_table, "end_date", "scenario")
        if end is None:  # reported
            return start
    else:
        before = len(r.problems)
        years = r.number(scenario_table, "horizon_years", "scenario", lo=0, lo_open=True, hi=100)
        if len(r.problems) > before:  # reported at horizon_years: no end_date problem follows from it
            return start
        if start.year + math.ceil(years) > dt.MAXYEAR:
            r.error(
                "scenario.horizon_years", f"{years:g} years from {start} end after 9999-12-31, the last date supported"
            )
            return start
        if float(years).is_integer():  # whole years end the day before the anniversary
            anniversary = start.replace(
                year=start.year + int(years), day=min(start.day, 28) if start.month == 2 else start.day
            )
            end = anniversary - dt.timedelta(days=1)
        else:
            end = start + dt.timedelta(days=round(years * DAYS_PER_YEAR) - 1)
    if end < start:
        r.error("scenario.end_date", f"must not be before start_date {start}, got {end}")
        return start
    if (end - start).days > MAX_SPAN_DAYS:
        r.error("scenario.end_date", "the horizon may be at most 100 years")
        return start
    return end


def parse_reform_date(
    r: Reader,
    scenario_table: RawTable,
    start: dt.date,
    end: dt.date,
    active: tuple[str, ...],
    check_horizon: bool = True,
) -> dt.date | None:
    """The cut-over date ``scenario.reform_date`` (inside the horizon, unless not ``check_horizon``: the horizon
    itself is wrong, and reported), or None: also when no lever is ``active``, as there is then nothing to cut
    over to."""
    reform_date = r.date(scenario_table, "reform_date", "scenario", None)
    if check_horizon and reform_date is not None and not start <= reform_date <= end:
        r.error("scenario.reform_date", f"{reform_date} is outside the horizon {start} to {end}")
    return reform_date if active else None


def parse_calendar(r: Reader, raw: Any) -> CalendarSpec:
    """The zone's working-time calendar (``[calendar]``): country holidays, weekend, office hours or 24/7."""
    c = r.table(raw, "calendar", ("country", "weekend", "hours", "always_open", "extra_holidays", "extra_workdays"))
    country = r.string(c, "country", "calendar", "CN")
    if country.lower() == "none":
        country = None
    elif not country.strip():
        r.error("calendar.country", 'is empty: give a country code such as "CN", or "none" for no public holidays')
        country = None
    else:
        import holidays

        if country not in holidays.list_supported_countries():
            r.error(
                "calendar.country",
                f"{show(country)} is not a country code known to the holidays package, "
                'e.g. "CN"; "none" means no public holidays',
            )
            country = None
    weekend = []
    for name in r.str_list(c, "weekend", "calendar", ("sat", "sun")):
        if name.lower() in WEEKDAY_NAMES:
            weekend.append(WEEKDAY_NAMES[name.lower()])
        else:
            r.error(
                "calendar.weekend",
                f"{show(name)} is not a weekday; allowed: {', '.join(WEEKDAYS)} (or the full English names)",
            )
    always_open = r.boolean(c, "always_open", "calendar", False)
    hours = _hours(r, c, "calendar") or ((0.0, 24.0) if always_open else (9.0, 17.0))
    if always_open and ("hours" in c or "weekend" in c):
        r.error("calendar.always_open", "an always-open (24/7) calendar has no weekend or office hours")
    extra = []
    for key in ("extra_holidays", "extra_workdays"):
        days = c.get(key, [])
        if not isinstance(days, list) or not all(isinstance(d, dt.date) for d in days):
            r.error(f"calendar.{key}", "must be a list of dates such as [2024-02-09]")
            days = []
        extra.append(tuple(days))
    if always_open:
        return CalendarSpec(None, (), (0.0, 24.0), True)
    return CalendarSpec(country, tuple(weekend), hours, False, extra[0], extra[1])


def _hours(r: Reader, raw: RawTable, path: str) -> tuple[float, float] | None:
    v = raw.get("hours")
    if v is None:
        return None
    try:
        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v)):
            raise ValueError
        o, c = parse_hhmm(v[0]), parse_hhmm(v[1])
        if not o < c:
            raise ValueError
        return o, c
    except ValueError:
        r.error(f"{path}.hours", f'must be ["HH:MM", "HH:MM"] with opening before closing, got {show(v)}')
        return None


def _month_day(r: Reader, raw: RawTable, key: str, path: str) -> tuple[int, int]:
    v = raw.get(key)
    m = re.fullmatch(r"([0-9]{1,2})-([0-9]{1,2})", v) if isinstance(v, str) else None
    try:
        if m is None:
            raise ValueError
        month, day = int(m.group(1)), int(m.group(2))
        dt.date(2024, month, day)
        return month, day
    except ValueError:
        r.error(f"{path}.{key}", f'must be a day of the year as "MM-DD", e.g. "11-15", got {show(v)}')
        return 1, 1


def parse_shutdowns(r: Reader, raw: Any) -> tuple[Shutdown, ...]:
    """The seasonal shutdown windows of construction work (``[shutdowns.<id>]``), each "MM-DD" to "MM-DD"."""
    out = []
    for key, v in r.id_table(raw, "shutdowns").items():
        path = f"shutdowns.{key}"
        t = r.table(v, path, ("from", "to", "name", "exempt"), required=("from", "to"))
        exempt = parse_condition(r, t["exempt"], f"{path}.exempt") if "exempt" in t else None
        window = (_month_day(r, t, "from", path), _month_day(r, t, "to", path))
        out.append(Shutdown(key, window, exempt, r.string(t, "name", path, key)))
    return tuple(out)


def parse_agency(r: Reader, key: str, raw: RawTable) -> Agency:
    """One agency (``[agencies.<key>]``): its staff, office hours, sittings and priority rule."""
    path = f"agencies.{key}"
    t = r.table(raw, path, ("name", "staff", "hours", "sittings", "priority"))
    sittings = None
    if "sittings" in t:
        s = r.table(t["sittings"], f"{path}.sittings", ("every", "capacity", "offset"), required=("every", "capacity"))
        sittings = Sittings(
            r.number(s, "every", f"{path}.sittings", 1, lo=1, hi=MAX_WORKDAYS, integer=True),
            r.number(s, "capacity", f"{path}.sittings", 1, lo=1, hi=MAX_STAFF, integer=True),
            r.number(s, "offset", f"{path}.sittings", 0, lo=0, hi=MAX_WORKDAYS, integer=True),
        )
    priority = parse_condition(r, t["priority"], f"{path}.priority") if "priority" in t else None
    return Agency(
        key,
        r.string(t, "name", path, key),
        r.number(t, "staff", path, 1, lo=1, hi=MAX_STAFF, integer=True),
        _hours(r, t, path),
        sittings,
        priority,
    )


def _attributes(r: Reader, raw: Any, path: str) -> tuple[tuple[str, Any], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        r.error(path, "must be a table of attribute = value")
        return ()
    out = []
    for k, v in raw.items():
        if isinstance(v, dict):
            b = r.table(v, f"{path}.{k}", ("p",), required=("p",))
            v = FrozenDict(p=r.number(b, "p", f"{path}.{k}", 0.0, lo=0, hi=1))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            before = len(r.problems)
            r.number(raw, k, path)
            if len(r.problems) > before:
                continue
        elif not isinstance(v, (bool, str)):
            r.error(f"{path}.{k}", f"must be a boolean, number, string or {{p = share}}, got {show(v)}")
            continue
        out.append((k, v))
    return tuple(out)


def parse_project_class(r: Reader, key: str, raw: RawTable) -> ProjectClass:
    """One project class (``[classes.<key>]``): its investment distribution, attributes and construction scale."""
    path = f"classes.{key}"
    t = r.table(raw, path, ("investment_cny", "attributes", "construction_scale"), required=("investment_cny",))
    inv = r.dist(t, "investment_cny", path, VALUE_UNITS) or Dist("fixed", (0.0,), "cny")
    return ProjectClass(
        key,
        inv,
        _attributes(r, t.get("attributes"), f"{path}.attributes"),
        r.number(t, "construction_scale", path, 1.0, lo=0, lo_open=True, hi=MAX_SCALE),
    )


def parse_arrivals(
    r: Reader, raw: Any, start: dt.date, end: dt.date, check_horizon: bool = True
) -> tuple[tuple[NamedProject, ...], Stream | None]:
    """The projects (``[arrivals]``): the named ones (``[[arrivals.projects]]``) and the Poisson stream
    (``[arrivals.stream]``, rate per year, month, week or day; ``stream = false`` removes an inherited one).

    Dates are checked to lie inside the horizon ``start`` to ``end`` unless not ``check_horizon`` (the horizon
    itself is wrong, and reported: its stand-in would only give misleading problems)."""
    a = r.table(raw, "arrivals", ("projects", "stream", "replay"))
    projects = []
    plist = a.get("projects", [])
    if not isinstance(plist, list):
        r.error("arrivals.projects", "must be a list of tables ([[arrivals.projects]])")
        plist = []
    for i, p in enumerate(plist):
        path = f"arrivals.projects[{i}]"
        t = r.table(
            p, path, ("id", "class", "signed", "investment_cny", "attributes"), required=("id", "class", "signed")
        )
        signed = r.date(t, "signed", path)
        if check_horizon and signed is not None and not start <= signed <= end:
            r.error(f"{path}.signed", f"{signed} is outside the horizon {start} to {end}")
        pid = r.string(t, "id", path)
        if "id" in t and isinstance(pid, str) and (why := id_problem(pid)) is not None:
            r.error(f"{path}.id", why)
        projects.append(
            NamedProject(
                pid,
                r.string(t, "class", path),
                signed or start,
                r.number(t, "investment_cny", path, None, lo=0, hi=MAX_CNY),
                _attributes(r, t.get("attributes"), f"{path}.attributes"),
            )
        )
    stream = None
    if a.get("stream") is False:  # stream = false: an extending scenario removes the inherited stream
        pass
    elif "stream" in a:
        path = "arrivals.stream"
        s = r.table(a["stream"], path, ("rate", "per", "from", "until", "classes"), required=("rate", "classes"))
        per = r.string(s, "per", path, "year", choices=("year", "month", "week", "day"))
        days = {"year": DAYS_PER_YEAR, **CALENDAR_DAYS}[per]
        rate = r.number(s, "rate", path, 0.0, lo=0, lo_open=True) / days
        s0 = r.date(s, "from", path, start)
        s1 = r.date(s, "until", path, end)
        for k, d in (("from", s0), ("until", s1)):
            if check_horizon and d is not None and not start <= d <= end:
                r.error(f"{path}.{k}", f"{d} is outside the horizon {start} to {end}")
        if s0 and s1 and s1 < s0:
            r.error(f"{path}.until", f"must not be before from ({s0}), got {s1}")
        expected = rate * ((s1 - s0).days + 1 if s0 and s1 else 0)
        if expected > MAX_STREAM_PROJECTS:
            r.error(
                f"{path}.rate",
                f"would bring about {expected:.3g} projects per replication; "
                f"at most {MAX_STREAM_PROJECTS:,} are allowed",
            )
        stream = Stream(rate, s0 or start, s1 or end, _class_weights(r, s, path))
    if a.get("replay") not in (None, False):  # replay = false: an extending scenario removes an inherited one
        if stream is not None:
            r.error("arrivals.replay", "give either [arrivals.stream] or [arrivals.replay], not both")
        stream = _parse_replay(r, a["replay"], start, end, check_horizon) or stream
    return tuple(projects), stream


def _class_weights(r: Reader, raw: RawTable, path: str) -> tuple[tuple[str, float], ...]:
    weights = []
    cl = raw.get("classes", {})
    if not isinstance(cl, dict) or not cl:
        r.error(f"{path}.classes", "must be a non-empty table of class = weight")
        cl = {}
    for k in cl:
        w = r.number(cl, k, f"{path}.classes", 0.0, lo=0, lo_open=True, hi=MAX_WEIGHT)
        weights.append((k, float(w)))
    return tuple(weights)


def _parse_replay(r: Reader, raw: Any, start: dt.date, end: dt.date, check_horizon: bool) -> Stream | None:
    """``[arrivals.replay]``: projects signing on the given days (a log's own case dates), classes by weight."""
    path = "arrivals.replay"
    t = r.table(raw, path, ("dates", "classes"), required=("dates", "classes"))
    weights = _class_weights(r, t, path)
    dates = t.get("dates", [])
    if not isinstance(dates, list) or not dates:
        r.error(f"{path}.dates", "must be a non-empty list of dates (2024-03-01), one per project")
        return None
    if len(dates) > MAX_STREAM_PROJECTS:
        r.error(f"{path}.dates", f"has {len(dates):,} dates; at most {MAX_STREAM_PROJECTS:,} are allowed")
        return None
    days = []
    for i, d in enumerate(dates):
        day = d.date() if isinstance(d, dt.datetime) else d
        if isinstance(day, str):
            try:
                day = dt.date.fromisoformat(day)
            except ValueError:
                pass
        if not isinstance(day, dt.date):
            r.error(f"{path}.dates[{i}]", f"must be a date such as 2024-03-01, got {show(d)}")
            continue
        if check_horizon and not start <= day <= end:
            r.error(f"{path}.dates[{i}]", f"{day} is outside the horizon {start} to {end}")
        days.append((day - start).days)
    if not days:
        return None
    days.sort()
    span = days[-1] - days[0] + 1
    first, last = start + dt.timedelta(days=days[0]), start + dt.timedelta(days=days[-1])
    return Stream(len(days) / span, first, last, weights, tuple(days))


def parse_stage(r: Reader, key: str, raw: RawTable) -> Stage:
    """One stage (``[stages.<key>]``) with its options, and the checks that tie them to an agency."""
    path = f"stages.{key}"
    t = r.table(
        raw,
        path,
        (
            "name",
            "phase",
            "agency",
            "after",
            "when",
            "prepare",
            "effort",
            "lag",
            "build",
            "shutdowns",
            "limit",
            "defect",
            "fees_cny",
            "consultancy_cny",
            "enabled",
            "tolerant",
            "regional",
            "prereview",
            "commitment",
            "feedback",
        ),
    )
    limit = None
    if "limit" in t:
        lt = r.table(t["limit"], f"{path}.limit", ("workdays", "excludes"), required=("workdays",))
        excludes = r.str_list(lt, "excludes", f"{path}.limit")
        for x in excludes:
            if x not in LIMIT_EXCLUDABLE:
                r.error(f"{path}.limit.excludes", f"{x!r} cannot be excluded; allowed: {', '.join(LIMIT_EXCLUDABLE)}")
        limit = Limit(r.number(lt, "workdays", f"{path}.limit", 1.0, lo=0, lo_open=True, hi=MAX_WORKDAYS), excludes)
    defect = None
    if "defect" in t:
        dp = f"{path}.defect"
        d = r.table(t["defect"], dp, ("p", "decay", "max_rounds", "fix"), required=("p", "fix"))
        fix = r.dist(d, "fix", dp)
        defect = Defect(
            r.number(d, "p", dp, 0.0, lo=0, hi=1),
            r.number(d, "decay", dp, 1.0, lo=0, hi=1),
            r.number(d, "max_rounds", dp, 10, lo=1, hi=MAX_ROUNDS, integer=True),
            fix or Dist("fixed", (0.0,), "day"),
        )
    stage = Stage(
        id=key,
        name=r.string(t, "name", path, key),
        phase=r.string(t, "phase", path, ""),
        agency=r.string(t, "agency", path, None),
        after=r.str_list(t, "after", path),
        when=parse_condition(r, t["when"], f"{path}.when") if "when" in t else None,
        prepare=r.dist(t, "prepare", path),
        effort=r.dist(t, "effort", path),
        lag=r.dist(t, "lag", path),
        build=r.dist(t, "build", path),
        shutdowns=r.str_list(t, "shutdowns", path),
        limit=limit,
        defect=defect,
        fees_cny=r.number(t, "fees_cny", path, 0.0, lo=0, hi=MAX_CNY),
        consultancy_cny=r.number(t, "consultancy_cny", path, 0.0, lo=0, hi=MAX_CNY),
        enabled=r.boolean(t, "enabled", path, True),
        tolerant=parse_tolerant(r, t["tolerant"], f"{path}.tolerant") if "tolerant" in t else None,
        regional=parse_regional(r, t["regional"], f"{path}.regional") if "regional" in t else None,
        prereview=parse_prereview(r, t["prereview"], f"{path}.prereview") if "prereview" in t else None,
        commitment=parse_commitment(r, t["commitment"], f"{path}.commitment") if "commitment" in t else None,
        feedback=parse_feedback(r, t["feedback"], f"{path}.feedback") if "feedback" in t else None,
    )
    for key in ("tolerant", "prereview", "commitment", "feedback"):
        if getattr(stage, key) is not None and stage.agency is None:
            r.error(f"{path}.{key}", f'{key} needs an agency: set agency = "<id>"')
    if stage.tolerant is not None and stage.defect is None:
        r.error(f"{path}.tolerant", "tolerant acceptance needs a defect table (p and the supplement time fix)")
    if stage.effort is not None and stage.agency is None:
        r.error(f"{path}.effort", 'agency effort needs an agency: set agency = "<id>"')
    if stage.limit is not None and stage.agency is None:
        r.error(f"{path}.limit", 'a time limit applies to an agency\'s decision: set agency = "<id>"')
    if stage.defect is not None and stage.agency is None:
        r.error(f"{path}.defect", 'defects are found by an agency: set agency = "<id>"')
    if stage.build is not None and stage.build.unit not in ("day", "week", "month"):
        r.error(
            f"{path}.build.unit", f"construction work is in calendar units (day, week, month), got {stage.build.unit!r}"
        )
    if stage.shutdowns and stage.build is None:
        r.error(f"{path}.shutdowns", "shutdown windows apply to construction work: add build = {...}")
    return stage


def parse_milestones(r: Reader, raw: Any) -> tuple[tuple[str, Milestone], ...]:
    """The stage at which each milestone of :data:`sim.core.kpi.MILESTONES` is reached (``[milestones]``)."""
    m = r.table(raw, "milestones", MILESTONES, required=MILESTONES)
    out = []
    for key in MILESTONES:
        if key not in m:
            continue
        v = m[key]
        if isinstance(v, str):
            out.append((key, Milestone(v, "start" if key == "construction_start" else "end", short=True)))
        else:
            t = r.table(v, f"milestones.{key}", ("stage", "at"), required=("stage",))
            out.append(
                (
                    key,
                    Milestone(
                        r.string(t, "stage", f"milestones.{key}"),
                        r.string(t, "at", f"milestones.{key}", "end", choices=("start", "end")),
                    ),
                )
            )
    return tuple(out)
