"""A log's times on the scenario's clock: local calendar days since 00:00 of the fitted ``start_date``.

An :class:`~sim.eventlog.model.EventLog` holds UTC seconds and each time's UTC offset; the scenario's clock is
the zone's local time.  Each time is moved to the clock it was read in (``--zone``, or the log's own offsets),
then counted in days from the local midnight of the first case's first event.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from sim.eventlog.model import EventLog

_EPOCH = dt.date(1970, 1, 1)
_DAY = 86400.0


@dataclass(frozen=True)
class LogClock:
    """The times of a log as clock days of the fitted scenario.

    Attributes:
        start_date: the date of the first case's first event (the scenario's ``start_date``, clock time 0).
        end_date: the date of the last event (the scenario's ``end_date``).
        end, start: each activity instance's end and start (NaN where the log gives none), in days since
            ``start_date`` 00:00, local time.
        case_start: each case's first event (the earliest start, or end where no start is known), by case number.
    """

    start_date: dt.date
    end_date: dt.date
    end: np.ndarray
    start: np.ndarray
    case_start: np.ndarray

    @property
    def n_days(self) -> int:
        """Calendar days from ``start_date`` to ``end_date``, both included: the scenario's horizon."""
        return (self.end_date - self.start_date).days + 1

    def weekday(self, t: np.ndarray) -> np.ndarray:
        """The weekday (Monday 0) of each clock time."""
        return (self.start_date.weekday() + np.floor(t).astype(np.int64)) % 7

    def date(self, t: float) -> dt.date:
        """The calendar date of clock time ``t``."""
        return self.start_date + dt.timedelta(days=math.floor(t))


def log_clock(log: EventLog) -> LogClock:
    """The times of ``log`` on the clock of a scenario starting on the date of its first case."""
    offset = log.offset.astype(float)
    end = (log.end + offset) / _DAY
    start = (log.start + offset) / _DAY
    first = np.where(np.isnan(start), end, np.fmin(start, end))
    n_cases = log.n_cases
    case_start = np.full(n_cases, np.inf)
    np.minimum.at(case_start, log.case, first)
    origin = math.floor(float(case_start.min()))
    last = math.floor(float(np.nanmax(np.fmax(end, np.nan_to_num(start, nan=-np.inf)))))
    return LogClock(
        start_date=_EPOCH + dt.timedelta(days=origin),
        end_date=_EPOCH + dt.timedelta(days=last),
        end=end - origin,
        start=start - origin,
        case_start=case_start - origin,
    )
