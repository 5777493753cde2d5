"""The working calendar a log was recorded on: weekend, office hours, public holidays, or always open.

- **weekend**: the weekdays with fewer than a tenth of the busiest weekday's events (starts and ends);
- **office hours**: the local clock hours of the timed events (not date-only), the 5th percentile floored and
  the 95th ceiled to whole hours; 09:00-17:00 when no event has a clock time;
- **holidays**: the country given (``--country``, codes of the ``holidays`` package; ``none`` for none);
- **always open** when no weekday is a weekend day and each of the 24 clock hours has at least a tenth of the
  busiest hour's timed events.

The calendar is then built by :func:`sim.scenario.calendar.zone_calendar`, the function the engine builds
its calendar with, so a duration measured here in working days is the same working time in a run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.core.errors import LogError, Problem
from sim.fitting.clock import LogClock
from sim.scenario.calendar import WorkCalendar, zone_calendar
from sim.scenario.spec import CalendarSpec

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: a weekday (or clock hour) with fewer events than this share of the busiest one's is off
QUIET = 0.1
#: office hours when the log has no clock times
DEFAULT_HOURS = (9.0, 17.0)


def check_country(country: str) -> str | None:
    """The country code of ``--country`` (None for ``none``).

    Raises:
        LogError: naming ``--country`` and the allowed form, for a code the ``holidays`` package does not know.
    """
    if country.strip().lower() == "none":
        return None
    import holidays

    if country not in holidays.list_supported_countries():
        raise LogError(
            [
                Problem(
                    "--country",
                    "",
                    f"{country!r} is not a country code of the holidays package; give an ISO 3166 code such as "
                    "NL or CN, or none for no public holidays",
                )
            ]
        )
    return country


@dataclass(frozen=True)
class FittedCalendar:
    """The calendar inferred from a log.

    Attributes:
        spec: the scenario's ``[calendar]``.
        calendar: the working calendar over the fitted horizon (the engine's own class).
        comments: ``[calendar]`` key -> how its value was found.
        facts: the counts behind it (JSON-safe).
    """

    spec: CalendarSpec
    calendar: WorkCalendar
    comments: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


def _hhmm(hours: float) -> str:
    h = int(hours)
    return f"{h:02d}:{round((hours - h) * 60):02d}"


def fit_calendar(clock: LogClock, date_only: np.ndarray, country: str | None, source: str) -> FittedCalendar:
    """The calendar of the log whose times are ``clock`` (``date_only``: each instance's end has no clock time).

    ``source`` is the log's file name, for the comments."""
    known = ~np.isnan(clock.start)
    times = np.concatenate([clock.end, clock.start[known]])
    per_day = np.bincount(clock.weekday(times), minlength=7)
    busiest = int(per_day.max())
    weekend = tuple(int(d) for d in np.flatnonzero(per_day < QUIET * busiest))
    start_frac = clock.start[known] % 1.0
    timed = np.concatenate([clock.end[~date_only] % 1.0, start_frac[start_frac > 0.0]]) * 24.0
    counts = ", ".join(f"{d} {int(c):,}" for d, c in zip(WEEKDAYS, per_day))
    facts: dict[str, Any] = {"events_per_weekday": dict(zip(WEEKDAYS, per_day.tolist())), "timed_events": len(timed)}
    comments: dict[str, str] = {}
    per_hour = np.bincount(timed.astype(np.int64) % 24, minlength=24) if len(timed) else np.zeros(24, np.int64)
    facts["events_per_hour"] = per_hour.tolist()
    if not weekend and len(timed) and bool((per_hour >= QUIET * per_hour.max()).all()):
        spec = CalendarSpec(None, (), (0.0, 24.0), True)
        comments["always_open"] = (
            f"FITTED from {source}: events on every weekday ({counts}) and in every clock hour "
            f"(n={len(timed):,} timed events): a 24/7 calendar, no public holidays"
        )
        return FittedCalendar(spec, zone_calendar(spec, clock.start_date, clock.n_days), comments, facts)
    off = ", ".join(WEEKDAYS[d] for d in weekend) or "no day"
    comments["weekend"] = (
        f"FITTED from {source}: events per weekday {counts}; off ({off}): under {QUIET:.0%} of the busiest day's"
    )
    if len(timed):
        lo, hi = np.percentile(timed, [5, 95])
        open_h, close_h = float(math.floor(lo)), float(min(24, math.ceil(hi)))
        if close_h <= open_h:
            close_h = min(24.0, open_h + 1.0)
            open_h = close_h - 1.0
        comments["hours"] = (
            f"FITTED from {source}: n={len(timed):,} timed events' local clock times, 5th percentile "
            f"{_hhmm(float(lo))} floored, 95th {_hhmm(float(hi))} ceiled"
        )
        facts["hours_p5_p95"] = [float(lo), float(hi)]
    else:
        open_h, close_h = DEFAULT_HOURS
        comments["hours"] = "ASSUMPTION: the log has no clock times (only dates): the usual 09:00-17:00"
    comments["country"] = (
        f"--country {country}: its public holidays (holidays package)"
        if country
        else "--country none: no public holidays (give --country CC for a country's)"
    )
    spec = CalendarSpec(country, weekend, (open_h, close_h), False)
    return FittedCalendar(spec, zone_calendar(spec, clock.start_date, clock.n_days), comments, facts)
