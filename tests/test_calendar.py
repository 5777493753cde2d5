"""Tests for the working-time calendar (sim/calendar.py).

Every expected value here comes from outside the code under test: dates read
off a printed calendar and the State Council's holiday notices (written out
literally below), hand counts explained in comments, numpy's business-day
functions, or a brute-force quarter-hour walk over the working-day mask.

Clock times are float calendar days since the calendar's origin at 00:00; all
comparisons of clock times allow one second.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings

import holidays
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sim.core.errors import CalendarWarning
from sim.scenario.calendar import (
    WorkCalendar,
    holiday_data_last_year,
    parse_hhmm,
    shutdown_mask,
    working_day_mask,
)
from sim.scenario.distributions import Dist, finish_time

SECOND = 1.0 / 86400.0
D = dt.date


# -- helpers -------------------------------------------------------------------------
def clock(cal: WorkCalendar, when: str) -> float:
    """Clock time of 'YYYY-MM-DD HH:MM' on ``cal`` (worked out with datetime, not the calendar)."""
    delta = dt.datetime.strptime(when, "%Y-%m-%d %H:%M") - dt.datetime.combine(cal.origin, dt.time())
    return delta.days + delta.seconds / 86400.0


def assert_at(cal: WorkCalendar, t: float, when: str) -> None:
    """``t`` is the stated minute, within a second."""
    assert math.isfinite(t), f"expected {when}, got {t}"
    expected = clock(cal, when)
    assert abs(t - expected) < SECOND, f"expected {when}, got {cal.date_of(t)}"


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


# -- the 2024 and 2025 Chinese calendars, written out by hand --------------------------
# State Council notices (国办发明电〔2023〕7号 for 2024, 〔2024〕12号 for 2025):
# days off that fall on Monday-Friday, and weekend days that are working days (调休).
CN_2024_WEEKDAYS_OFF = [
    D(2024, 1, 1),  # 元旦
    D(2024, 2, 12),
    D(2024, 2, 13),
    D(2024, 2, 14),
    D(2024, 2, 15),
    D(2024, 2, 16),  # 春节 2-10..2-17
    D(2024, 4, 4),
    D(2024, 4, 5),  # 清明 4-4..4-6
    D(2024, 5, 1),
    D(2024, 5, 2),
    D(2024, 5, 3),  # 劳动节 5-1..5-5
    D(2024, 6, 10),  # 端午
    D(2024, 9, 16),
    D(2024, 9, 17),  # 中秋 9-15..9-17
    D(2024, 10, 1),
    D(2024, 10, 2),
    D(2024, 10, 3),
    D(2024, 10, 4),
    D(2024, 10, 7),  # 国庆 10-1..10-7
]
CN_2024_MAKEUP = [
    D(2024, 2, 4),
    D(2024, 2, 18),
    D(2024, 4, 7),
    D(2024, 4, 28),
    D(2024, 5, 11),
    D(2024, 9, 14),
    D(2024, 9, 29),
    D(2024, 10, 12),
]
CN_2025_WEEKDAYS_OFF = [
    D(2025, 1, 1),
    D(2025, 1, 28),
    D(2025, 1, 29),
    D(2025, 1, 30),
    D(2025, 1, 31),
    D(2025, 2, 3),
    D(2025, 2, 4),
    D(2025, 4, 4),
    D(2025, 5, 1),
    D(2025, 5, 2),
    D(2025, 5, 5),
    D(2025, 6, 2),
    D(2025, 10, 1),
    D(2025, 10, 2),
    D(2025, 10, 3),
    D(2025, 10, 6),
    D(2025, 10, 7),
    D(2025, 10, 8),
]
CN_2025_MAKEUP = [D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)]

O24 = D(2024, 1, 1)
N24 = (D(2026, 1, 1) - O24).days  # 2024 and 2025
MASK24 = working_day_mask(O24, N24)
CAL = WorkCalendar(O24, MASK24)  # 09:00-17:00
CAL830 = WorkCalendar(O24, MASK24, 8.5, 12.0)


def hand_mask(first: dt.date, n: int, off: list[dt.date], makeup: list[dt.date]) -> np.ndarray:
    out = []
    for d in (first + dt.timedelta(days=i) for i in range(n)):
        out.append((d.weekday() < 5 and d not in off) or d in makeup)
    return np.array(out)


# -- working_day_mask --------------------------------------------------------------------
def test_2024_and_2025_masks_match_the_state_council_notices_day_by_day():
    expected = hand_mask(O24, N24, CN_2024_WEEKDAYS_OFF + CN_2025_WEEKDAYS_OFF, CN_2024_MAKEUP + CN_2025_MAKEUP)
    wrong = [str(O24 + dt.timedelta(days=int(i))) for i in np.flatnonzero(expected != MASK24)]
    assert wrong == []


def test_working_days_per_year():
    # 2024: 262 weekdays (Jan 1 is a Monday, 366 days = 52 weeks + Mon, Tue)
    #       - 19 weekdays off + 8 make-up days = 251.
    # 2025: 261 weekdays (365 days = 52 weeks + Wed) - 18 off + 5 make-up = 248.
    # 2023: 260 weekdays (52 weeks + Sun) - 18 off (1-2; 1-23..27; 4-5; 5-1..3; 6-22,23;
    #       9-29, 10-2..6) + 7 make-up (1-28, 1-29, 4-23, 5-6, 6-25, 10-7, 10-8) = 249.
    assert int(MASK24[:366].sum()) == 251
    assert int(MASK24[366:].sum()) == 248
    assert int(working_day_mask(D(2023, 1, 1), 365).sum()) == 249


@pytest.mark.parametrize(
    "day, working",
    [
        (D(2024, 2, 4), True),  # Sunday, make-up working day
        (D(2024, 2, 9), True),  # Friday before the Spring Festival: a working day
        *[(d, False) for d in days(D(2024, 2, 10), D(2024, 2, 17))],
        (D(2024, 2, 18), True),  # Sunday, make-up working day
        (D(2024, 2, 19), True),  # Monday
        (D(2024, 2, 24), False),  # ordinary Saturday
        (D(2024, 9, 28), False),  # Saturday before National Day
        (D(2024, 9, 29), True),  # Sunday, make-up
        (D(2024, 9, 30), True),  # Monday
        *[(d, False) for d in days(D(2024, 10, 1), D(2024, 10, 7))],
        (D(2024, 10, 8), True),
        (D(2024, 10, 12), True),  # Saturday, make-up
        (D(2024, 10, 13), False),  # Sunday
        (D(2024, 12, 31), True),  # Tuesday
        (D(2025, 1, 1), False),  # New Year's Day, Wednesday
        (D(2025, 1, 2), True),
    ],
)
def test_2024_facts(day, working):
    assert bool(MASK24[(day - O24).days]) is working


def test_mask_starting_mid_year_is_aligned_to_its_origin():
    m = working_day_mask(D(2024, 2, 8), 12)  # Thu 2-8 .. Mon 2-19
    assert m.tolist() == [True, True] + [False] * 8 + [True, True]


def test_mask_without_country_and_with_own_weekend_and_extras():
    # 2024-06-01 is a Saturday; weekend = Sunday only; one extra holiday, one extra workday
    m = working_day_mask(
        D(2024, 6, 1), 9, country=None, weekend=(6,), extra_holidays=[D(2024, 6, 4)], extra_workdays=[D(2024, 6, 9)]
    )
    #           Sat   Sun    Mon   Tue    Wed   Thu   Fri   Sat   Sun(extra)
    assert m.tolist() == [True, False, True, False, True, True, True, True, True]
    # no country: 2024-06-10 (Dragon Boat Festival, a Monday) is an ordinary working day
    assert working_day_mask(D(2024, 6, 10), 1, country=None).tolist() == [True]


# -- WorkCalendar.add: hand-worked examples ------------------------------------------------
@pytest.mark.parametrize(
    "start, work, end",
    [
        # 3 working days from Thursday 17:00: Fri 2-9, Sun 2-18 (make-up), Mon 2-19
        ("2024-02-08 17:00", 3, "2024-02-19 17:00"),
        # 1 h on Fri 2-9 (16-17), festival 2-10..2-17, 1 h on make-up Sunday 2-18
        ("2024-02-09 16:00", 0.25, "2024-02-18 10:00"),
        # work ending exactly at closing ends that day at closing, not at the next opening
        ("2024-02-08 09:00", 1, "2024-02-08 17:00"),
        ("2024-02-08 13:00", 0.5, "2024-02-08 17:00"),
        ("2024-02-09 09:00", 1, "2024-02-09 17:00"),  # not 2-18 09:00
        ("2024-02-07 09:00", 3, "2024-02-09 17:00"),  # Wed, Thu, Fri
        # starting outside office hours: starts at the next opening
        ("2024-02-08 07:00", 0.5, "2024-02-08 13:00"),
        ("2024-02-08 20:00", 0.5, "2024-02-09 13:00"),
        ("2024-02-10 12:00", 0.5, "2024-02-18 13:00"),  # festival Saturday -> make-up Sunday
        # National Day 2024: Sat 9-28 off, Sun 9-29 make-up, 10-1..10-7 off, Sat 10-12 make-up
        ("2024-09-27 16:00", 1, "2024-09-29 16:00"),  # 1 h Fri + 7 h Sun 9-29
        ("2024-09-28 10:00", 0.125, "2024-09-29 10:00"),
        ("2024-09-30 09:00", 3, "2024-10-09 17:00"),  # Mon 9-30, Tue 10-8, Wed 10-9
        ("2024-09-30 17:00", 0.125, "2024-10-08 10:00"),
        ("2024-10-08 09:00", 5, "2024-10-12 17:00"),  # Tue..Fri + make-up Sat 10-12
        # New year 2024/2025: Tue 12-31 working, Wed 1-1 off
        ("2024-12-31 15:00", 0.5, "2025-01-02 11:00"),  # 2 h on 12-31, 2 h on 1-2
        ("2024-12-31 13:00", 1.5, "2025-01-02 17:00"),  # 4 h on 12-31, all of 1-2
        ("2024-12-31 17:00", 1, "2025-01-02 17:00"),
        ("2024-12-31 09:00", 1, "2024-12-31 17:00"),
        # Spring Festival 2025: Sun 1-26 make-up, 1-28..2-4 off
        ("2025-01-24 09:00", 3, "2025-01-27 17:00"),  # Fri 1-24, Sun 1-26, Mon 1-27
        ("2025-01-27 17:00", 0.125, "2025-02-05 10:00"),
    ],
)
def test_add_hand_examples(start, work, end):
    assert_at(CAL, CAL.add(clock(CAL, start), work), end)
    # the engine passes the working time at the start when it has it already: the same answer
    t = clock(CAL, start)
    assert_at(CAL, CAL.add(t, work, CAL.worktime(t)), end)


@pytest.mark.parametrize("start", ["2024-02-10 12:00", "2024-02-08 03:00", "2024-02-08 11:00", "2024-02-08 17:00"])
def test_zero_work_returns_t_itself(start):
    t = clock(CAL, start)
    assert CAL.add(t, 0.0) == t


def test_two_working_hours_are_a_quarter_workday():
    assert CAL.day_hours == 8.0
    t = clock(CAL, "2024-02-09 16:00")
    two_hours = Dist("fixed", (2.0,), "workhour")
    assert_at(CAL, finish_time(t, two_hours, 2.0, CAL), "2024-02-18 10:00")
    assert_at(CAL, finish_time(clock(CAL, "2024-02-08 10:00"), two_hours, 2.0, CAL), "2024-02-08 12:00")
    assert_at(CAL, finish_time(clock(CAL, "2024-02-08 15:00"), two_hours, 2.0, CAL), "2024-02-08 17:00")


def test_add_past_the_horizon_is_inf():
    assert CAL.add(clock(CAL, "2025-12-30 09:00"), 5) == math.inf
    assert CAL.add(N24 + 3.0, 0.1) == math.inf
    # the very last working hour still fits: Wed 2025-12-31 is a working day
    assert_at(CAL, CAL.add(clock(CAL, "2025-12-31 16:00"), 0.125), "2025-12-31 17:00")


# -- worktime / workdays_between / at_worktime / next_open / date_of --------------------------
def test_worktime_hand_counts():
    # working days 2024-01-01..2024-02-08: January has 23 weekdays, minus 1-1 = 22;
    # Feb 1 (Thu), 2 (Fri), 4 (make-up Sun), 5-8 (Mon-Thu) = 7; total 29.
    assert CAL.worktime(clock(CAL, "2024-02-08 17:00")) == pytest.approx(29.0, abs=1e-9)
    assert CAL.worktime(clock(CAL, "2024-02-08 13:00")) == pytest.approx(28.5, abs=1e-9)
    assert CAL.worktime(clock(CAL, "2024-02-08 08:00")) == pytest.approx(28.0, abs=1e-9)
    assert CAL.worktime(clock(CAL, "2024-02-08 23:00")) == pytest.approx(29.0, abs=1e-9)
    assert CAL.worktime(clock(CAL, "2024-02-14 12:00")) == pytest.approx(30.0, abs=1e-9)  # festival
    assert CAL.worktime(clock(CAL, "2024-02-18 10:00")) == pytest.approx(30.125, abs=1e-9)
    assert CAL.worktime(clock(CAL, "2025-01-01 00:00")) == pytest.approx(251.0, abs=1e-9)
    assert CAL.worktime(-5.0) == 0.0
    assert CAL.worktime(0.0) == 0.0
    assert CAL.worktime(N24 + 10.0) == 251 + 248
    assert math.isnan(CAL.worktime(math.nan))


def test_workdays_between():
    assert CAL.workdays_between(clock(CAL, "2024-02-08 17:00"), clock(CAL, "2024-02-19 17:00")) == pytest.approx(
        3.0, abs=1e-9
    )
    assert CAL.workdays_between(clock(CAL, "2024-02-09 16:00"), clock(CAL, "2024-02-18 10:00")) == pytest.approx(
        0.25, abs=1e-9
    )
    # National Day week: 9-30 12:00 -> 10-8 12:00 is 5 h + 3 h
    assert CAL.workdays_between(clock(CAL, "2024-09-30 12:00"), clock(CAL, "2024-10-08 12:00")) == pytest.approx(
        1.0, abs=1e-9
    )
    assert CAL.workdays_between(clock(CAL, "2024-02-10 00:00"), clock(CAL, "2024-02-17 23:59")) == 0.0
    assert math.isnan(CAL.workdays_between(0.0, math.nan))


def test_at_worktime():
    assert_at(CAL, CAL.at_worktime(29.0), "2024-02-08 17:00")  # at closing, not 2-9 09:00
    assert_at(CAL, CAL.at_worktime(28.5), "2024-02-08 13:00")
    assert_at(CAL, CAL.at_worktime(29.125), "2024-02-09 10:00")
    assert_at(CAL, CAL.at_worktime(30.0), "2024-02-09 17:00")
    assert_at(CAL, CAL.at_worktime(30.5), "2024-02-18 13:00")
    assert_at(CAL, CAL.at_worktime(251 + 248), "2025-12-31 17:00")
    assert CAL.at_worktime(251 + 248 + 0.01) == math.inf
    # the first working instant: Tue 2024-01-02 09:00 (1-1 is a holiday)
    assert_at(CAL, CAL.at_worktime(1e-12), "2024-01-02 09:00")
    assert_at(CAL, CAL.at_worktime(0.125), "2024-01-02 10:00")


def test_at_worktime_is_the_day_holding_the_working_time():
    """The table lookup gives, bit for bit, the definition: w within 1e-9 of a whole number of working
    days is that number (a closing time), then the last day d whose cumulative working days cum[d] fall
    short of w, plus the part of that day's hours (random w, whole and half days, and whole days plus or
    minus noise inside and outside the snapping width)."""
    from bisect import bisect_left

    cum = CAL.cum.tolist()
    n = int(cum[-1])
    ws = np.random.default_rng(11).uniform(0.0, n, 20_000).tolist() + [k / 2 for k in range(1, 2 * n + 1)]
    ws += [k + e for k in range(0, n + 1) for e in (-2e-9, -1e-9, -1e-12, 1e-12, 1e-9, 2e-9) if k + e > 0]
    for w in ws:
        k = round(w)
        x = float(k) if k > 0 and abs(w - k) <= 1e-9 else w
        if x > cum[-1]:
            assert CAL.at_worktime(w) == math.inf, w
            continue
        d = bisect_left(cum, x) - 1
        assert CAL.at_worktime(w) == d + CAL.open + (x - cum[d]) * CAL.span, w


@pytest.mark.parametrize(
    "t, opening",
    [
        ("2024-02-08 08:00", "2024-02-08 09:00"),
        ("2024-02-08 12:00", "2024-02-08 12:00"),
        ("2024-02-08 17:00", "2024-02-09 09:00"),
        ("2024-02-09 17:00", "2024-02-18 09:00"),
        ("2024-02-10 12:00", "2024-02-18 09:00"),
        ("2024-09-28 00:00", "2024-09-29 09:00"),
        ("2024-09-30 18:00", "2024-10-08 09:00"),
        ("2024-12-31 17:30", "2025-01-02 09:00"),
        ("2024-01-01 00:00", "2024-01-02 09:00"),  # origin is New Year's Day
    ],
)
def test_next_open(t, opening):
    assert_at(CAL, CAL.next_open(clock(CAL, t)), opening)


def test_next_open_past_the_last_working_day_is_inf():
    assert CAL.next_open(clock(CAL, "2025-12-31 17:00")) == math.inf
    assert CAL.next_open(N24 + 1.0) == math.inf


def test_date_of():
    assert CAL.date_of(0.0) == dt.datetime(2024, 1, 1, 0, 0)
    assert CAL.date_of(39.5) == dt.datetime(2024, 2, 9, 12, 0)  # 39 days after 1-1
    got = CAL.date_of(clock(CAL, "2024-02-19 17:00"))
    assert abs(got - dt.datetime(2024, 2, 19, 17, 0)) < dt.timedelta(seconds=1)
    assert abs(
        CAL.date_of(CAL.add(clock(CAL, "2024-02-08 17:00"), 3)) - dt.datetime(2024, 2, 19, 17, 0)
    ) < dt.timedelta(seconds=1)


def test_working_day_starts():
    starts = CAL.working_day_starts()
    assert len(starts) == 251 + 248
    feb = [CAL.date_of(s) for s in starts if dt.datetime(2024, 2, 3) <= CAL.date_of(s) < dt.datetime(2024, 2, 21)]
    assert [(x.day, x.hour) for x in feb] == [(4, 9), (5, 9), (6, 9), (7, 9), (8, 9), (9, 9), (18, 9), (19, 9), (20, 9)]


# -- custom office hours ----------------------------------------------------------------------
def test_custom_office_hours_0830_1200():
    cal = WorkCalendar(O24, MASK24, parse_hhmm("08:30"), parse_hhmm("12:00"))
    assert cal.day_hours == 3.5
    hour = 1 / 3.5
    assert cal.worktime(clock(cal, "2024-02-08 10:15")) == pytest.approx(28.5, abs=1e-9)
    assert cal.worktime(clock(cal, "2024-02-08 13:00")) == pytest.approx(29.0, abs=1e-9)
    assert cal.worktime(clock(cal, "2024-02-08 08:00")) == pytest.approx(28.0, abs=1e-9)
    assert_at(cal, cal.next_open(clock(cal, "2024-02-08 12:00")), "2024-02-09 08:30")
    assert_at(cal, cal.next_open(clock(cal, "2024-02-08 08:00")), "2024-02-08 08:30")
    assert_at(cal, cal.add(clock(cal, "2024-02-08 12:30"), hour), "2024-02-09 09:30")
    assert_at(cal, cal.add(clock(cal, "2024-02-09 11:00"), 2 * hour), "2024-02-18 09:30")
    assert_at(cal, cal.add(clock(cal, "2024-02-08 10:00"), 1.5 * hour), "2024-02-08 11:30")
    assert_at(cal, cal.at_worktime(29.0), "2024-02-08 12:00")


@pytest.mark.parametrize(
    "start, work_hours, end",
    [
        ("2024-02-08 08:30", 3.5, "2024-02-08 12:00"),  # one whole working day, ends at closing
        ("2024-01-02 08:30", 3.5, "2024-01-02 12:00"),
        ("2024-02-08 11:00", 1.0, "2024-02-08 12:00"),
        ("2024-02-07 08:30", 7.0, "2024-02-08 12:00"),
        ("2024-02-09 08:30", 3.5, "2024-02-09 12:00"),  # not 2-18 08:30
    ],
)
def test_custom_office_hours_work_ending_at_closing(start, work_hours, end):
    assert_at(CAL830, CAL830.add(clock(CAL830, start), work_hours / 3.5), end)


@pytest.mark.parametrize("bad", [(17.0, 9.0), (9.0, 9.0), (-1.0, 12.0), (9.0, 24.5)])
def test_bad_office_hours(bad):
    with pytest.raises(ValueError):
        WorkCalendar(O24, MASK24, *bad)


def test_round_the_clock_calendar_allowed():
    cal = WorkCalendar(O24, MASK24, 0.0, 24.0)
    # 1.5 days from Thu 2-8 12:00: rest of Thu (0.5), all of Fri (1) -> Fri 24:00 = Sat 2-10 00:00
    assert_at(cal, cal.add(clock(cal, "2024-02-08 12:00"), 1.5), "2024-02-10 00:00")


# -- parse_hhmm ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, hours",
    [
        ("09:00", 9.0),
        ("09:30", 9.5),
        ("8:30", 8.5),
        ("12:00", 12.0),
        ("17:45", 17.75),
        ("00:00", 0.0),
        ("24:00", 24.0),
        ("08:05", 8 + 5 / 60),
        ("9", 9.0),
    ],
)
def test_parse_hhmm(text, hours):
    assert parse_hhmm(text) == pytest.approx(hours, abs=1e-12)


@pytest.mark.parametrize("text", ["24:30", "25:00", "12:60", "-1:00", "ab:cd", "", "9:xx"])
def test_parse_hhmm_rejects(text):
    with pytest.raises(ValueError):
        parse_hhmm(text)


# -- cross-check against numpy's business-day arithmetic ------------------------------------------
# numpy.busdaycalendar knows a weekmask and a list of holidays, but cannot make a
# weekend day a working day.  Two ways around that:
#  (a) the ordinary Mon-Fri weekmask with the Chinese public holidays from
#      `holidays`, compared only where no make-up weekend day lies in the period;
#  (b) an all-days weekmask whose holiday list is every day off (weekend days that
#      are not make-up days, plus public holidays), which agrees everywhere.
O23 = D(2023, 1, 1)
N23 = (D(2025, 1, 1) - O23).days
CAL23 = WorkCalendar(O23, working_day_mask(O23, N23))
_CN = holidays.country_holidays("CN", years=[2023, 2024])
PUBLIC_23_24 = sorted(d for d in _CN if d.year in (2023, 2024))
MAKEUP_23_24 = np.array(sorted(d for d in _CN.weekend_workdays if d.year in (2023, 2024)), dtype="datetime64[D]")
ALL_DAYS_23_24 = np.arange(np.datetime64(O23), np.datetime64(O23) + N23)
WORKDAY_COUNTS = (1, 2, 3, 5, 10, 22)


def _d64(i: int) -> np.datetime64:
    return np.datetime64(O23) + i


def test_numpy_cross_check_weekdays_without_makeup_periods():
    assert len(MAKEUP_23_24) == 15  # 2023: 7, 2024: 8 (see test_working_days_per_year)
    bdc = np.busdaycalendar(weekmask="1111100", holidays=PUBLIC_23_24)
    checked = 0
    for i in range(N23):
        s = _d64(i)
        for n in WORKDAY_COUNTS:
            e = np.busday_offset(s, n - 1, roll="forward", busdaycal=bdc)
            if e >= _d64(N23) or ((MAKEUP_23_24 >= s) & (MAKEUP_23_24 <= e)).any():
                continue
            # n whole working days starting at i 00:00 end at closing of numpy's day e
            j = int((e - np.datetime64(O23)).astype(int))
            got = CAL23.add(float(i), n)
            assert abs(got - (j + 17 / 24)) < SECOND, (str(s), n, str(CAL23.date_of(got)))
            checked += 1
        for k in (1, 7, 30, 90):
            e = s + k
            if e > _d64(N23) or ((MAKEUP_23_24 >= s) & (MAKEUP_23_24 < e)).any():
                continue
            assert CAL23.workdays_between(float(i), float(i + k)) == np.busday_count(s, e, busdaycal=bdc)
            checked += 1
    assert checked > 5000


def test_numpy_cross_check_all_days_weekmask():
    makeup = set(MAKEUP_23_24.tolist())
    public = set(PUBLIC_23_24)
    off = [d for d in ALL_DAYS_23_24.tolist() if (d.weekday() >= 5 and d not in makeup) or d in public]
    bdc = np.busdaycalendar(weekmask="1111111", holidays=off)
    assert np.busday_count(np.datetime64(O23), _d64(N23), busdaycal=bdc) == 249 + 251
    for i in range(N23):
        s = _d64(i)
        for n in WORKDAY_COUNTS:
            e = np.busday_offset(s, n - 1, roll="forward", busdaycal=bdc)
            if e >= _d64(N23):
                continue
            j = int((e - np.datetime64(O23)).astype(int))
            got = CAL23.add(float(i) + 0.25, n)  # start at 06:00, before opening
            assert abs(got - (j + 17 / 24)) < SECOND, (str(s), n, str(CAL23.date_of(got)))
        assert CAL23.worktime(float(i)) == np.busday_count(np.datetime64(O23), s, busdaycal=bdc)


# -- brute-force oracle: walk quarter-hours ---------------------------------------------------------
def walk_quarter_hours(mask: np.ndarray, open_q: int, close_q: int, day: int, slot: int, q: int) -> float:
    """Clock time at which ``q`` working quarter-hours started at (day, slot) end, by walking."""
    while True:
        if day >= len(mask):
            return math.inf
        if mask[day] and open_q <= slot < close_q:
            q -= 1
            if q == 0:
                return day + (slot + 1) / 96
        slot += 1
        if slot == 96:
            day, slot = day + 1, 0


@pytest.mark.parametrize("cal, open_q, close_q", [(CAL, 36, 68), (CAL830, 34, 48)], ids=["09-17", "0830-1200"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.integers(0, 700), slot=st.integers(0, 95), q=st.integers(1, 160))
@example(day=37, slot=44, q=24)  # Wed 2024-02-07 11:00 + 6 h of 09-17 -> 17:00 the same day
@example(day=1, slot=34, q=14)  # Tue 2024-01-02 08:30 + 3.5 h of 08:30-12:00 -> 12:00 the same day
def test_add_matches_quarter_hour_walk(cal, open_q, close_q, day, slot, q):
    expected = walk_quarter_hours(cal.working, open_q, close_q, day, slot, q)
    got = cal.add(day + slot / 96, q / (close_q - open_q))
    if expected == math.inf:
        assert got == math.inf
    else:
        assert abs(got - expected) < SECOND, (
            str(cal.date_of(day + slot / 96)),
            q,
            str(cal.date_of(got)),
            str(cal.date_of(expected)),
        )


# -- hypothesis properties --------------------------------------------------------------------------
times = st.floats(min_value=0.0, max_value=float(N23), allow_nan=False)
works = st.floats(min_value=0.0, max_value=60.0, allow_nan=False)
PROPS = settings(max_examples=200, deadline=None)


@PROPS
@given(t=times, w=works)
@example(t=3.0, w=1e-300)  # Wed 2023-01-04 00:00, before opening; w lost in worktime(t) + w
def test_add_then_worktime_round_trips(t, w):
    end = CAL23.add(t, w)
    if math.isfinite(end):
        assert CAL23.worktime(end) == pytest.approx(CAL23.worktime(t) + w, abs=1e-9)
        assert end >= t
    else:
        assert CAL23.worktime(t) + w > CAL23.worktime(float(N23)) - 1e-9


@PROPS
@given(t=times, w=st.floats(min_value=1e-6, max_value=60.0))
def test_add_ends_inside_office_hours_of_a_working_day(t, w):
    end = CAL23.add(t, w)
    if math.isfinite(end):
        d = int(end)
        # the end of the day's last hour may be expressed as d + close (never as d+1 at 00:00)
        assert CAL23.working[d]
        assert 9 / 24 - 1e-9 <= end - d <= 17 / 24 + 1e-9
        assert end >= CAL23.next_open(t) - 1e-9


@PROPS
@given(t=times, w1=works, w2=works)
@example(t=3.0, w1=0.0, w2=1e-300)
def test_add_is_monotone_in_work(t, w1, w2):
    w1, w2 = sorted((w1, w2))
    assert CAL23.add(t, w1) <= CAL23.add(t, w2)


@PROPS
@given(t1=times, t2=times, w=works)
def test_add_is_monotone_in_start(t1, t2, w):
    t1, t2 = sorted((t1, t2))
    assert CAL23.add(t1, w) <= CAL23.add(t2, w)


@PROPS
@given(a=times, b=times, c=times)
def test_workdays_between_is_additive(a, b, c):
    assert CAL23.workdays_between(a, b) + CAL23.workdays_between(b, c) == pytest.approx(
        CAL23.workdays_between(a, c), abs=1e-9
    )
    assert CAL23.workdays_between(a, a) == 0.0


@PROPS
@given(t=times)
@example(t=0.5)  # 2023-01-01 12:00, before the first opening (Tue 2023-01-03 09:00)
@example(t=0.0)
def test_at_worktime_of_worktime_is_not_later(t):
    assert CAL23.at_worktime(CAL23.worktime(t)) <= t + 1e-9


@PROPS
@given(t=times)
def test_next_open_is_the_first_working_instant(t):
    o = CAL23.next_open(t)
    assert o >= t
    # nothing worked between t and the opening, and work starts right there
    assert CAL23.worktime(o) == pytest.approx(CAL23.worktime(t), abs=1e-9)
    if math.isfinite(o) and o + 1e-6 < N23:
        assert CAL23.worktime(o + 1e-6) > CAL23.worktime(t)


# -- shutdown windows (24 h build calendars) -----------------------------------------------------------
def test_shutdown_window_across_new_year():
    origin = D(2024, 11, 1)
    n = (D(2025, 12, 31) - origin).days
    ok = shutdown_mask(origin, n, [((11, 15), (3, 15))])

    def at(d):
        return bool(ok[(d - origin).days])

    assert at(D(2024, 11, 14)) and not at(D(2024, 11, 15))
    assert not at(D(2024, 12, 31)) and not at(D(2025, 1, 1)) and not at(D(2025, 2, 28))
    assert not at(D(2025, 3, 15)) and at(D(2025, 3, 16))
    assert at(D(2025, 11, 14)) and not at(D(2025, 11, 15))
    # Nov 15 .. Mar 15 inclusive: 16 + 31 + 31 + 28 + 15 = 121 closed days in the 2024/25 winter
    assert int((~ok[: (D(2025, 4, 1) - origin).days]).sum()) == 121

    cal = WorkCalendar(origin, ok, 0.0, 24.0)
    # 5 days Nov 10-14 (ending Nov 15 00:00), then Mar 16-20 -> Mar 21 00:00
    assert_at(cal, cal.add(clock(cal, "2024-11-10 00:00"), 10.0), "2025-03-21 00:00")
    assert_at(cal, cal.add(clock(cal, "2024-11-10 00:00"), 5.0), "2024-11-15 00:00")
    assert_at(cal, cal.add(clock(cal, "2024-11-14 12:00"), 1.0), "2025-03-16 12:00")
    assert_at(cal, cal.next_open(clock(cal, "2024-12-25 08:00")), "2025-03-16 00:00")
    assert cal.workdays_between(clock(cal, "2024-11-10 00:00"), clock(cal, "2025-03-21 00:00")) == pytest.approx(
        10.0, abs=1e-9
    )


def test_shutdown_windows_within_a_year_and_leap_day():
    origin = D(2028, 1, 1)  # 2028 is a leap year
    ok = shutdown_mask(origin, 366, [((2, 28), (3, 1)), ((7, 1), (7, 31))])
    closed = [origin + dt.timedelta(days=int(i)) for i in np.flatnonzero(~ok)]
    assert closed == [D(2028, 2, 28), D(2028, 2, 29), D(2028, 3, 1)] + days(D(2028, 7, 1), D(2028, 7, 31))
    assert shutdown_mask(origin, 10, []).all()


# -- fallback past the holiday data ----------------------------------------------------------------------
def _calendar_warnings(origin: dt.date, n: int) -> tuple[np.ndarray, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = working_day_mask(origin, n)
    return m, [str(w.message) for w in caught if issubclass(w.category, CalendarWarning)]


def test_years_beyond_the_data_warn_once_naming_them():
    last = holiday_data_last_year("CN")
    assert last >= 2025  # the package knows at least the 2025 notice
    # 1 March of the first missing year .. end of February of the next: two years beyond
    origin = D(last + 1, 3, 1)
    m, msgs = _calendar_warnings(origin, (D(last + 2, 3, 1) - origin).days)
    assert len(msgs) == 1
    assert f"{last + 1}-{last + 2}" in msgs[0] and str(last) in msgs[0]
    with pytest.warns(CalendarWarning, match=str(last + 1)):
        working_day_mask(D(last + 1, 6, 1), 30)


def test_fallback_keeps_weekends_and_statutory_holidays():
    last = holiday_data_last_year("CN")
    y = last + 1
    origin = D(y, 1, 1)
    m, msgs = _calendar_warnings(origin, 40)
    assert len(msgs) == 1
    assert not m[0]  # New Year's Day
    for i in range(40):
        d = origin + dt.timedelta(days=i)
        if d.weekday() >= 5:
            assert not m[i], d  # weekends off, no make-up days


def test_years_inside_the_data_emit_no_warning():
    _, msgs = _calendar_warnings(D(2024, 1, 1), 366)
    assert msgs == []
    _, msgs = _calendar_warnings(D(2023, 6, 1), 400)
    assert msgs == []


def test_mask_ending_on_31_december_of_the_last_data_year_emits_no_warning():
    # A whole-year horizon ends on the eve of the anniversary; its mask covers the
    # last data year only, so nothing beyond the data is used.
    last = holiday_data_last_year("CN")
    _, msgs = _calendar_warnings(D(last, 1, 1), (D(last + 1, 1, 1) - D(last, 1, 1)).days)
    assert msgs == []


def test_whole_year_beyond_the_data_names_only_that_year():
    last = holiday_data_last_year("CN")
    y = last + 1
    _, msgs = _calendar_warnings(D(y, 1, 1), (D(y + 1, 1, 1) - D(y, 1, 1)).days)
    assert len(msgs) == 1
    assert f"{y}-{y}" in msgs[0] and str(y + 1) not in msgs[0]


# -- performance guard: a 100-year calendar (binary search, no day loop) ------------------------------------
def test_hundred_year_calendar_answers_near_the_end():
    origin = D(2000, 1, 1)
    n = (D(2100, 1, 1) - origin).days
    cal = WorkCalendar(origin, working_day_mask(origin, n, country=None))  # Mon-Fri only
    start, stop = np.datetime64("2000-01-01"), np.datetime64("2100-01-01")
    total = int(np.busday_count(start, stop))  # numpy, weekmask Mon-Fri
    assert cal.worktime(float(n)) == total
    # the last working day is Thu 2099-12-31
    assert_at(cal, cal.add(0.0, total), "2099-12-31 17:00")
    assert_at(cal, cal.add(0.0, total - 0.5), "2099-12-31 13:00")
    assert cal.add(0.0, total + 0.01) == math.inf
    # many look-ups near the end agree with numpy (a day-by-day loop would make this slow)
    rng = np.random.default_rng(7)
    for k in rng.integers(total - 2000, total, size=300):
        e = np.busday_offset(start, int(k) - 1, roll="forward")
        j = int((e - start).astype(int))
        assert abs(cal.add(0.0, float(k)) - (j + 17 / 24)) < SECOND
        assert_at(cal, cal.at_worktime(float(k) - 0.25), str(e) + " 15:00")
