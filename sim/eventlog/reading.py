"""``read_log``: an event log from a CSV or XES file, plain or gzipped."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO, cast

from sim.core.errors import LogError, Problem
from sim.eventlog.csv_reader import read_csv
from sim.eventlog.model import EventLog
from sim.eventlog.times import ZoneNotFound, time_zone
from sim.eventlog.xes_reader import read_xes

FORMATS = ("csv", "xes")


def _format(path: Path, head: bytes) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".xes") or name.endswith(".xml"):
        return "xes"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    return "xes" if head.lstrip().startswith(b"<") else "csv"


def read_log(
    path: str | Path,
    *,
    case: str | None = None,
    activity: str | None = None,
    time: str | None = None,
    start: str | None = None,
    resource: str | None = None,
    group: str | None = None,
    lifecycle: str | None = None,
    zone: str | None = None,
    format: str | None = None,
) -> EventLog:
    """Read an event log: CSV or XES, plain or gzipped (``.gz``).

    Args:
        path: the file.
        case, activity, time, start, resource, group, lifecycle: CSV column names; each one not given is
            guessed from the usual names (``case:concept:name``, ``concept:name``, ``time:timestamp``,
            ``start_timestamp``, ``org:resource``, ``org:group``, ``lifecycle:transition`` and Simod's
            ``case_id``, ``activity``, ``start_time``, ``end_time``, ``resource``).  XES logs use the
            standard keys.
        zone: the time zone to convert every time to (an IANA name such as ``Europe/Amsterdam``); default
            each timestamp's own offset.  Timestamps without an offset are taken as clock times of ``zone``.
        format: ``csv`` or ``xes``; default from the file's name, else its first bytes.

    Raises:
        LogError: naming the file, the line or trace, what was wrong and what is allowed.
    """
    p = Path(path)
    name = str(path)
    tz = None
    if zone is not None:
        try:
            tz = time_zone(zone)
        except ZoneNotFound as e:
            raise LogError([Problem(name, "--zone", str(e))]) from None
    if format is not None and format not in FORMATS:
        raise LogError([Problem(name, "format", f"unknown format {format!r}: csv or xes")])
    columns = {
        "case": case,
        "activity": activity,
        "time": time,
        "start": start,
        "resource": resource,
        "group": group,
        "lifecycle": lifecycle,
    }
    try:
        raw = open(p, "rb")
    except OSError as e:
        raise LogError([Problem(name, "", f"cannot open the log: {e.strerror or e}")]) from None
    with raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream = cast(IO[bytes], gzip.GzipFile(fileobj=raw)) if gzipped else raw
        try:
            head = stream.read(512)
            stream.seek(0)
        except (OSError, EOFError) as e:
            raise LogError([Problem(name, "", f"cannot be read ({e}): a damaged or truncated file?")]) from None
        fmt = format or _format(p, head)
        if fmt == "xes":
            given = [f"--{k}" for k, x in columns.items() if x]
            if given:
                raise LogError(
                    [Problem(name, " ".join(given), "column names are for CSV logs: XES logs use the standard keys")]
                )
            return read_xes(stream, name, tz, zone)
        try:
            return read_csv(stream, name, columns, tz, zone)
        except (OSError, EOFError) as e:
            raise LogError([Problem(name, "", f"cannot be read ({e}): a damaged or truncated file?")]) from None
