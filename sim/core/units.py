"""Units: the one vocabulary of units, and the one place that says how long a month or a year is.

The clock is float calendar days since the scenario's start date; work is measured in working days of a
calendar. Calendar months and years are the mean Gregorian ones.

Every unit the package knows is a key of one of three tables, each mapping the unit to what it means:

* :data:`TIME_UNITS`: what a duration in a scenario file may be measured in (a distribution's ``unit``);
* :data:`VALUE_UNITS`: what another sampled value may be measured in (a class's ``investment_cny``);
* :data:`REPORTED_UNITS`: the units of what a run reports (the KPIs, stage times, agency load), as
  ``summary.json`` explains them under ``meta.units``.

:data:`UNIT_LABEL` says how each reported unit is written in tables and on axes, and :func:`format_value`
writes a number in its unit.
"""

from __future__ import annotations

#: calendar days in a mean Gregorian year
DAYS_PER_YEAR = 365.2425
#: calendar days in a mean Gregorian month
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0
#: calendar days in a week
DAYS_PER_WEEK = 7.0

#: time units: how a sampled number becomes time
TIME_UNITS = {
    "workhour": "working hours of the office calendar",
    "workday": "working days (one office day) of the office calendar",
    "day": "calendar days",
    "week": f"calendar weeks ({DAYS_PER_WEEK:g} days)",
    "month": f"calendar months ({DAYS_PER_YEAR}/12 days)",
}
#: calendar days per unit, for the calendar units
CALENDAR_DAYS = {"day": 1.0, "week": DAYS_PER_WEEK, "month": DAYS_PER_MONTH}
#: units of sampled values that are not time
VALUE_UNITS = {"cny": "Chinese yuan"}
#: units of what a run reports, and what each means (``summary.json``: ``meta.units``)
REPORTED_UNITS = {
    "workday": "working days on the zone calendar",
    "day": TIME_UNITS["day"],
    "month": TIME_UNITS["month"],
    "count": "a number of times per project (submissions)",
    "share": "fraction 0-1",
    "files": "applications waiting (time-weighted mean)",
    "cny": VALUE_UNITS["cny"],
}
#: how each reported unit is written in tables and on axes
UNIT_LABEL = {
    "workday": "working days",
    "day": "calendar days",
    "month": "months",
    "count": "submissions",
    "share": "share",
    "cny": "CNY",
    "files": "files",
}


def format_value(x: float | None, unit: str, missing: str = "-") -> str:
    """A statistic as tables show it: CNY in 万 (10,000 yuan), shares with 3 decimals, others with 2 or 1.

    Args:
        x: the value; None (a statistic JSON leaves empty) is written as ``missing``.
        unit: its unit, a key of :data:`REPORTED_UNITS`.
        missing: the text for a missing value.
    """
    if x is None:
        return missing
    if unit == "cny":
        return f"{x / 1e4:,.1f}万"
    if unit == "share":
        return f"{x:.3f}"
    return f"{x:,.1f}" if abs(x) >= 100 else f"{x:.2f}"
