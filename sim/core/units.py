"""Units of time and their lengths: the one place that says how long a month or a year is.

The clock is float calendar days since the scenario's start date; work is measured in working days of a
calendar. Calendar months and years are the mean Gregorian ones.
"""

from __future__ import annotations

#: calendar days in a mean Gregorian year
DAYS_PER_YEAR = 365.2425
#: calendar days in a mean Gregorian month
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0

#: time units: how a sampled number becomes time
TIME_UNITS = {
    "workhour": "working hours of the office calendar",
    "workday": "working days (one office day) of the office calendar",
    "day": "calendar days",
    "week": "calendar weeks (7 days)",
    "month": "calendar months (365.2425/12 days)",
}
#: calendar days per unit, for the calendar units
CALENDAR_DAYS = {"day": 1.0, "week": 7.0, "month": DAYS_PER_MONTH}
