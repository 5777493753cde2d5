"""The CSV cells of projects.csv, stages.csv and events.csv, formatted a column at a time (sim.runs.rows).

The truth is Python's own datetime arithmetic, cell by cell, and dates counted by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from sim.runs.rows import event_rows, format_rows, numbers, stamps

ORIGIN = dt.datetime(2024, 1, 1)


def _by_datetime(origin: dt.datetime, t: float) -> str:
    if math.isnan(t) or math.isinf(t):
        return ""
    return (origin + dt.timedelta(days=t)).strftime("%Y-%m-%d %H:%M")


def test_hand_counted_dates() -> None:
    # 09:00 on the first day; 17:00 on 1 February (31 days in January); noon on the leap day (31 + 28 days)
    times = [0.375, 31 + 17 / 24, 59.5, 366.0, math.nan, math.inf]
    assert stamps(ORIGIN, times) == [
        "2024-01-01 09:00",
        "2024-02-01 17:00",
        "2024-02-29 12:00",
        "2025-01-01 00:00",
        "",
        "",
    ]


@pytest.mark.parametrize("origin", [ORIGIN, dt.datetime(2023, 12, 31, 23, 59), dt.datetime(2024, 1, 1, 0, 0, 30)])
def test_every_cell_is_what_datetime_gives(origin: dt.datetime) -> None:
    """Random times over a century, and times on, a hair before and a hair after every minute of 3 days: the
    minute a time falls in depends on the rounding to microseconds, which must be datetime's."""
    rng = np.random.default_rng(7)
    grid = np.arange(0, 3, 1 / 1440)
    times = np.concatenate(
        [
            rng.uniform(0, 36500, 20_000),
            grid,
            grid + 1e-12,
            grid - 1e-12,
            grid + 0.5 / 86_400e6,  # half a microsecond: the half-to-even case
            [math.nan, math.inf, -math.inf, -0.3, 0.0, 1e-300],
        ]
    )
    assert stamps(origin, times) == [_by_datetime(origin, float(t)) for t in times]


def test_every_number_is_what_round_gives() -> None:
    """Random values of every size, values a hair from half-way between two millionths, and the edge cases:
    each cell is Python's own ``round(x, 6)`` (or "" for NaN), sign of zero included."""
    rng = np.random.default_rng(3)
    halves = np.round(rng.uniform(0, 100, 20_000), 6) + 5e-7
    values = np.concatenate(
        [
            rng.uniform(0, 1000, 20_000),
            rng.lognormal(10, 4, 20_000),
            halves,
            np.nextafter(halves, 0),
            [math.nan, math.inf, -math.inf, 0.0, -0.0, 1e300, -1e-7, 2.5e-6, -2.5e-6],
        ]
    )
    cells = numbers(values)
    expected = ["" if math.isnan(x) else round(float(x), 6) for x in values]
    assert [repr(c) for c in cells] == [repr(c) for c in expected]


def test_rows_are_formatted_by_column_kind() -> None:
    raw = [[1, "p1", 0.375, 2.1234567, math.nan, True], [1, "p2", math.nan, 3.0, 4.5, False]]
    rows = format_rows(ORIGIN, ["text", "text", "time", "number", "number", "int"], raw)
    assert rows == [[1, "p1", "2024-01-01 09:00", 2.123457, "", 1], [1, "p2", "", 3.0, 4.5, 0]]
    assert format_rows(ORIGIN, ["text"], []) == []


def test_event_rows_name_the_case_and_activity() -> None:
    events = [(0, "planning", "review", "planning_bureau", 0.375, 1.5)]
    assert event_rows(ORIGIN, 3, {0: ("s00001",)}, events) == [
        ["3:s00001", "planning:review", "planning_bureau", "2024-01-01 09:00", "2024-01-02 12:00", "complete"]
    ]
    assert event_rows(ORIGIN, 3, {}, []) == []
