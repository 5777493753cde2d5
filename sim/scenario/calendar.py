"""Working-time calendars.

The simulation clock is a float number of **calendar days** since the
scenario's ``start_date`` at 00:00.  A :class:`WorkCalendar` maps that clock to
cumulative **working time** (in working days) and back.  A working day is one
office day (e.g. 09:00-17:00); a working hour is one hour of it.

Both directions are O(log n): the cumulative number of working days before each
calendar day is precomputed once, and :meth:`WorkCalendar.add` is a binary
search in it, never a day-by-day loop.

Chinese calendars come from the ``holidays`` package: weekends, public holidays
and the weekend make-up working days (调休).  For years outside the package's
make-up data (before it, or past it) the calendar keeps weekends and the statutory
holidays the package computes by rule, and warns once, naming the years.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import numpy as np

from sim.core.errors import CalendarWarning

_HOLIDAY_DATA_FIRST = 2001  # the first year with make-up working days in `holidays`
_SNAP = 1e-9  # working days (~30 microseconds): float noise below this is snapped to whole days


class WorkCalendar:
    """Working time on a grid of calendar days.

    Args:
        origin: the calendar date of clock time 0.
        working: one boolean per calendar day from ``origin``; True if it is a
            working day.
        open_hour: office opening, in hours after midnight (0-24).
        close_hour: office closing, in hours after midnight (> ``open_hour``).

    Clock times past the last day of ``working`` have no working time: adding
    work that would end there returns ``math.inf`` (the work never ends inside
    the horizon).
    """

    def __init__(
        self, origin: dt.date, working: Sequence[bool] | np.ndarray, open_hour: float = 9.0, close_hour: float = 17.0
    ):
        if not 0.0 <= open_hour < close_hour <= 24.0:
            raise ValueError(f"office hours must satisfy 0 <= open < close <= 24, got {open_hour}-{close_hour}")
        self.origin = origin
        self.working = np.asarray(working, dtype=bool)
        self.open = open_hour / 24.0  # as a fraction of a calendar day
        self.close = close_hour / 24.0
        self.span = self.close - self.open
        self.day_hours = close_hour - open_hour
        self.cum = np.concatenate(([0.0], np.cumsum(self.working, dtype=float)))
        self.n_days = len(self.working)
        self._cum_list = self.cum.tolist()
        self._working_list = self.working.tolist()
        # day d -> the first working day after d (n_days if none): next_open without a search
        work_days = np.flatnonzero(self.working)
        after = np.searchsorted(work_days, np.arange(self.n_days), side="right")
        self._next_list = np.append(work_days, self.n_days)[after].tolist()
        self._work_days_list = work_days.tolist()  # k -> the day of working day number k + 1

    # -- clock time -> working time ------------------------------------------------
    def worktime(self, t: float) -> float:
        """Cumulative working days from the origin to clock time ``t`` (NaN for NaN)."""
        if t <= 0.0:
            return 0.0
        if not t < self.n_days:
            return math.nan if t != t else self._cum_list[-1]
        d = int(t)
        base = self._cum_list[d]
        if not self._working_list[d]:
            return base
        x = (t - d - self.open) / self.span
        return base + (0.0 if x <= 0.0 else 1.0 if x >= 1.0 else x)

    def workdays_between(self, t0: float, t1: float) -> float:
        """Working days elapsed between clock times ``t0`` and ``t1``."""
        return self.worktime(t1) - self.worktime(t0)

    def worktime_many(self, t: np.ndarray) -> np.ndarray:
        """:meth:`worktime` of every element of ``t`` (finite clock times), vectorised."""
        t = np.asarray(t, dtype=float)
        d = np.clip(np.floor(t), 0, self.n_days - 1).astype(np.intp)
        frac = np.clip((t - d - self.open) / self.span, 0.0, 1.0) * self.working[d]
        out = self.cum[d] + frac
        out[t <= 0.0] = 0.0
        out[t >= self.n_days] = self.cum[-1]
        return out

    # -- working time -> clock time ------------------------------------------------
    def at_worktime(self, w: float) -> float:
        """Earliest clock time at which cumulative working time reaches ``w``.

        Work that ends exactly at closing time ends that day at closing, not at
        the next opening.  Returns ``math.inf`` past the calendar's last day.
        """
        if w <= 0.0:
            return 0.0
        # w lies in working day number k + 1, (k, k + 1]: on its calendar day, cum[day] == k
        k = int(w)
        f = w - k  # exact, as is 1.0 - f below
        if f <= _SNAP:  # at (or rounding noise past) the end of working day k: its closing time
            if k > 0:
                w, k = float(k), k - 1
        elif 1.0 - f <= _SNAP:  # rounding noise before the end of working day k + 1
            w = float(k + 1)
        if w > self._cum_list[-1]:
            return math.inf
        return self._work_days_list[k] + self.open + (w - k) * self.span

    def add(self, t: float, work: float, w: float | None = None) -> float:
        """Clock time at which ``work`` working days started at ``t`` are done.

        Work starting outside office hours starts at the next opening.  Zero
        work ends at ``t`` itself.  ``w``: ``worktime(t)``, if the caller has it already.
        """
        if work <= 0.0:
            return t
        end = self.at_worktime((self.worktime(t) if w is None else w) + work)
        # never before work can start: a sum of large and tiny floats may round down, or snap to the
        # closing time at or before t (an end after t is already past the next opening)
        return end if end > t else max(end, self.next_open(t))

    def next_open(self, t: float) -> float:
        """The first clock time at or after ``t`` at which work is done."""
        d = int(t) if t > 0 else 0
        if d >= self.n_days:
            return math.inf
        if self._working_list[d] and t < d + self.close:
            return max(t, d + self.open)
        j = self._next_list[d]
        return j + self.open if j < self.n_days else math.inf

    def working_day_starts(self) -> np.ndarray:
        """Clock times of the opening of every working day, in order."""
        days = np.flatnonzero(self.working)
        return days + self.open

    def date_of(self, t: float) -> dt.datetime:
        """The calendar date and time of clock time ``t``."""
        return dt.datetime.combine(self.origin, dt.time()) + dt.timedelta(days=t)


_HHMM = re.compile(r"([0-9]{1,2})(?::([0-9]{2}))?")


def parse_hhmm(text: str) -> float:
    """'09:30' -> 9.5 hours; '24:00' is allowed as the end of the day.

    Only ``H:MM``, ``HH:MM`` or a whole hour ``H``/``HH``, with the digits 0-9: no sign, underscore, blank or
    other script's digits, which Python's ``int`` would take.
    """
    m = _HHMM.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"not a time of day: {text!r}")
    h, mm = int(m.group(1)), int(m.group(2) or 0)
    if not (0 <= h <= 24 and 0 <= mm < 60) or (h == 24 and mm):
        raise ValueError(f"not a time of day: {text!r}")
    return h + mm / 60.0


@functools.cache
def _make_up_years(country: str) -> tuple[int, ...]:
    """The years for which ``holidays`` knows the make-up working days of ``country`` (from 2001 on)."""
    import holidays

    cal = holidays.country_holidays(country, years=range(_HOLIDAY_DATA_FIRST, dt.date.today().year + 30))
    return tuple(sorted({d.year for d in getattr(cal, "weekend_workdays", ())}))


def holiday_data_last_year(country: str) -> int:
    """Last year for which ``holidays`` knows the make-up working days."""
    return max(_make_up_years(country), default=_HOLIDAY_DATA_FIRST - 1)


def holiday_data_first_year(country: str) -> int:
    """First year for which ``holidays`` knows the make-up working days."""
    return min(_make_up_years(country), default=_HOLIDAY_DATA_FIRST)


def working_day_mask(
    origin: dt.date,
    n_days: int,
    *,
    country: str | None = "CN",
    weekend: Iterable[int] = (5, 6),
    extra_holidays: Iterable[dt.date] = (),
    extra_workdays: Iterable[dt.date] = (),
) -> np.ndarray:
    """One boolean per calendar day from ``origin``: is it a working day?

    ``weekend`` holds ISO weekday numbers counted from Monday = 0.  ``country``
    (an ISO code known to ``holidays``) adds public holidays and weekend
    make-up working days; ``None`` means no public holidays at all.
    """
    weekday0 = origin.weekday()
    wk = (weekday0 + np.arange(n_days)) % 7
    mask = ~np.isin(wk, list(weekend))
    end = origin + dt.timedelta(days=n_days - 1)  # the last day of the mask

    def index(d: dt.date) -> int | None:
        i = (d - origin).days
        return i if 0 <= i < n_days else None

    if country:
        import holidays

        years = range(origin.year, end.year + 1)
        cal = holidays.country_holidays(country, years=years)
        first, last = holiday_data_first_year(country), holiday_data_last_year(country)
        before = [y for y in years if y < first]
        if before:
            warnings.warn(
                f"holiday data for {country} has make-up working days only from {first}; "
                f"for {before[0]}-{before[-1]} the calendar uses weekends and the statutory holidays "
                "computed by the holidays package (none before the years it covers), without make-up days",
                CalendarWarning,
                stacklevel=2,
            )
        beyond = [y for y in years if y > last]
        if beyond:
            warnings.warn(
                f"holiday data for {country} has make-up working days only up to {last}; "
                f"for {beyond[0]}-{beyond[-1]} the calendar uses weekends and the statutory holidays "
                "computed by the holidays package, without make-up days",
                CalendarWarning,
                stacklevel=2,
            )
        for d in cal:
            if (i := index(d)) is not None:
                mask[i] = False
        for d in getattr(cal, "weekend_workdays", ()):
            if (i := index(d)) is not None:
                mask[i] = True
    for d in extra_holidays:
        if (i := index(d)) is not None:
            mask[i] = False
    for d in extra_workdays:
        if (i := index(d)) is not None:
            mask[i] = True
    return mask


def shutdown_mask(
    origin: dt.date, n_days: int, windows: Iterable[tuple[tuple[int, int], tuple[int, int]]]
) -> np.ndarray:
    """One boolean per calendar day: True if work may go on (outside every window).

    Each window is ((month, day) first day, (month, day) last day), recurring
    every year; a window may run over the new year (e.g. 11-15 to 03-15).
    """
    ok = np.ones(n_days, dtype=bool)
    dates = [origin + dt.timedelta(days=i) for i in range(n_days)]
    keys = np.array([d.month * 100 + d.day for d in dates])
    for (m0, d0), (m1, d1) in windows:
        a, b = m0 * 100 + d0, m1 * 100 + d1
        inside = (keys >= a) & (keys <= b) if a <= b else (keys >= a) | (keys <= b)
        ok &= ~inside
    return ok


class ContinuousCalendar(WorkCalendar):
    """A 24/7 calendar: every day works all day, so working time is clock time.

    The same answers as a :class:`WorkCalendar` with every day working and
    hours 00:00-24:00, without the table lookups (the engine asks for working
    time several times per stage visit).
    """

    def __init__(self, origin: dt.date, n_days: int):
        super().__init__(origin, np.ones(n_days, dtype=bool), 0.0, 24.0)

    def worktime(self, t: float) -> float:
        """As :meth:`WorkCalendar.worktime`: here the clock time itself, clipped to the calendar's days."""
        if t <= 0.0:
            return 0.0
        return t if t < self.n_days else (math.nan if t != t else float(self.n_days))

    def worktime_many(self, t: np.ndarray) -> np.ndarray:
        """As :meth:`WorkCalendar.worktime_many`: the clock times, clipped to the calendar's days."""
        return np.clip(np.asarray(t, dtype=float), 0.0, float(self.n_days))

    def workdays_between(self, t0: float, t1: float) -> float:
        """As :meth:`WorkCalendar.workdays_between`: the clock time between them inside the calendar."""
        n = self.n_days
        if 0.0 <= t0 < n and 0.0 <= t1 < n:
            return t1 - t0
        return self.worktime(t1) - self.worktime(t0)

    def at_worktime(self, w: float) -> float:
        """As :meth:`WorkCalendar.at_worktime`: the working time itself (inf past the last day)."""
        if w <= 0.0:
            return 0.0
        k = round(w)
        if k > 0 and abs(w - k) <= _SNAP:  # as the general calendar: rounding noise around a day's end
            w = float(k)
        return w if w <= self.n_days else math.inf

    def add(self, t: float, work: float, w: float | None = None) -> float:
        """As :meth:`WorkCalendar.add`: ``t + work`` inside the calendar's days."""
        if work <= 0.0:
            return t
        end = t + work
        if 0.0 <= t and end < self.n_days:
            return end
        return super().add(t, work, w)  # the edges: before the origin, at or past the last day

    def next_open(self, t: float) -> float:
        """As :meth:`WorkCalendar.next_open`: always open, so ``t`` itself (inf past the last day)."""
        if t < 0.0:
            return 0.0
        return t if t < self.n_days else math.inf


class CalendarRules(Protocol):
    """What a zone calendar is made of (:class:`sim.scenario.spec.CalendarSpec` has these fields)."""

    @property
    def country(self) -> str | None: ...
    @property
    def weekend(self) -> tuple[int, ...]: ...
    @property
    def hours(self) -> tuple[float, float]: ...
    @property
    def always_open(self) -> bool: ...
    @property
    def extra_holidays(self) -> tuple[dt.date, ...]: ...
    @property
    def extra_workdays(self) -> tuple[dt.date, ...]: ...


def zone_calendar(rules: CalendarRules, origin: dt.date, n_days: int) -> WorkCalendar:
    """The zone's working calendar of ``n_days`` days from ``origin``: the one the engine runs on, and the one
    ``fit`` measures a log's working days with, so that fitted working days convert back exactly."""
    if rules.always_open:
        return ContinuousCalendar(origin, n_days)
    mask = working_day_mask(
        origin,
        n_days,
        country=rules.country,
        weekend=rules.weekend,
        extra_holidays=rules.extra_holidays,
        extra_workdays=rules.extra_workdays,
    )
    return WorkCalendar(origin, mask, *rules.hours)


def worktime_function(cal: WorkCalendar) -> Callable[[float], float]:
    """``cal.worktime`` for the clock times of a run (``[0, n_days)``), as cheap as Python allows.

    On a 24/7 calendar working time is the clock itself, and the builtin ``float`` gives it without a
    Python call; otherwise a closure over the calendar's tables (local lookups, not attributes) gives
    the same floats as :meth:`WorkCalendar.worktime` (which it defers to outside the calendar).
    """
    if isinstance(cal, ContinuousCalendar):
        return float
    cum, working, n, open_, span = cal._cum_list, cal._working_list, cal.n_days, cal.open, cal.span

    def worktime(t: float) -> float:
        if t <= 0.0 or not t < n:
            return cal.worktime(t)
        d = int(t)
        if not working[d]:
            return cum[d]
        x = (t - d - open_) / span
        return cum[d] + (0.0 if x <= 0.0 else 1.0 if x >= 1.0 else x)

    return worktime


def next_open_function(cal: WorkCalendar) -> Callable[[float], float]:
    """``cal.next_open`` for the clock times of a run (``[0, n_days)``), as :func:`worktime_function`:
    ``float`` on a 24/7 calendar (always open), else a closure over the calendar's tables."""
    if isinstance(cal, ContinuousCalendar):
        return float
    working, nxt, n, open_, close = cal._working_list, cal._next_list, cal.n_days, cal.open, cal.close

    def next_open(t: float) -> float:
        if t <= 0.0 or not t < n:
            return cal.next_open(t)
        d = int(t)
        if working[d] and t < d + close:
            return t if t >= d + open_ else d + open_
        j = nxt[d]
        return j + open_ if j < n else math.inf

    return next_open
