"""Timestamps of event logs: parsing with offsets, time zones, and the ISO 8601 form written.

A timestamp read is stored as seconds since 1970-01-01 UTC plus the offset of the clock it is read in: the
offset written in the log ("the log's own zone"), or that of a zone given by name, to which it is converted.
A timestamp without an offset is taken as a clock time of that zone (as written, when none is given).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import lru_cache
from pathlib import Path

UTC = dt.UTC
#: the forms a timestamp may take, as told to the user when one cannot be read
TIMESTAMP_FORMS = (
    "ISO 8601 with or without an offset, e.g. 2024-03-04T09:00:00.000+08:00, 2024-03-04 09:00:00Z, "
    "2024-03-04 09:00 or the date alone, 2024-03-04"
)


class ZoneNotFound(ValueError):
    """A time zone name the tz database does not know."""


@lru_cache(maxsize=64)
def time_zone(name: str) -> dt.tzinfo:
    """The time zone called ``name`` (an IANA name such as ``Europe/Amsterdam``, or ``UTC``)."""
    if name.upper() == "UTC":
        return UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ZoneNotFound(
            f"unknown time zone {name!r}: give an IANA name such as Europe/Amsterdam, Asia/Shanghai or UTC"
        ) from None


def parse_timestamp(text: str) -> tuple[dt.datetime, bool] | None:
    """``(datetime, date_only)`` of an ISO 8601 timestamp (aware when it has an offset), None if unreadable."""
    text = text.strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value, len(text) <= 10


def instant(value: dt.datetime, zone: dt.tzinfo | None) -> tuple[float, int]:
    """(seconds since 1970 UTC, offset in seconds of the clock it is read in) of a parsed timestamp.

    With ``zone``, an aware time is converted to it and a naive one taken as its clock time; without, an
    aware time keeps its own offset and a naive one is read as written (offset 0).
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone or UTC)
    elif zone is not None:
        value = value.astimezone(zone)
    offset = value.utcoffset()
    return value.timestamp(), int(offset.total_seconds()) if offset is not None else 0


def clock(seconds: float, offset: int) -> dt.datetime:
    """The clock time (naive) of an instant read with ``offset``."""
    return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds + offset)


def iso(local: dt.datetime, zone: dt.tzinfo) -> str:
    """A clock time of ``zone`` as written in XES and OCEL files: ``2024-03-04T09:00:00.000+08:00``."""
    return local.replace(tzinfo=zone).isoformat(timespec="milliseconds")


def country_zone(country: str | None) -> str:
    """The time zone of a country's clocks: the first the tz database's ``zone.tab`` lists for it (for CN,
    Asia/Shanghai); UTC without a country or where the table is not installed."""
    if country:
        for folder in zoneinfo.TZPATH:
            table = Path(folder) / "zone.tab"
            if table.is_file():
                for line in table.read_text(encoding="utf-8").splitlines():
                    fields = line.split("\t")
                    if len(fields) >= 3 and fields[0] == country.upper():
                        return fields[2]
                break
    return "UTC"
