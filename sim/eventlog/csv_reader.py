"""Reading CSV event logs (plain or gzipped): one row per event or per activity instance.

The columns are given by the user or guessed from the usual names (:data:`~sim.eventlog.vocabulary.COLUMN_GUESSES`).
A row with a start column holds a whole activity instance; with a lifecycle column, ``start`` and ``complete``
rows are paired as in XES.  Rows need not be sorted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING

from sim.eventlog.model import EventLog, LogBuilder
from sim.eventlog.times import TIMESTAMP_FORMS, instant, parse_timestamp
from sim.eventlog.vocabulary import CASE_PREFIX, COLUMN_GUESSES, COMPLETE, REQUIRED_COLUMNS

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

#: the command-line option that names each column
OPTION = {role: f"--{role}" for role in COLUMN_GUESSES}


def _delimiter(header: str) -> str:
    """The separator of a CSV header line: the most frequent of , ; tab |."""
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def resolve_columns(header: list[str], given: Mapping[str, str | None], problems: list[str]) -> dict[str, int]:
    """role -> column number: the column given for it, or the first of its usual names found (ignoring case)."""
    lower = {name.strip().lower(): i for i, name in reversed(list(enumerate(header)))}
    exact = {name: i for i, name in reversed(list(enumerate(header)))}
    found: dict[str, int] = {}
    shown = ", ".join(header)
    for role, guesses in COLUMN_GUESSES.items():
        name = given.get(role)
        if name:
            i = exact.get(name, lower.get(name.strip().lower()))
            if i is None:
                problems.append(f"{OPTION[role]} {name}: no such column; the header has: {shown}")
            else:
                found[role] = i
            continue
        for guess in guesses:
            if guess in lower and lower[guess] not in found.values():
                found[role] = lower[guess]
                break
        else:
            if role in REQUIRED_COLUMNS:
                problems.append(
                    f"no {role} column: name it with {OPTION[role]} COLUMN (guessed from {', '.join(guesses)}); "
                    f"the header has: {shown}"
                )
    return found


def read_csv(
    stream: IO[bytes], path: str, columns: Mapping[str, str | None], zone: dt.tzinfo | None, zone_name: str | None
) -> EventLog:
    """Read a CSV log from a binary stream (already unzipped)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    builder: LogBuilder | None = None
    try:
        first = text.readline()
        if not first.strip():
            b = LogBuilder(path, "csv", zone_name, {})
            b.problems.add("line 1", "the file is empty: a CSV log needs a header line and one row per event")
            b.problems.check()
        delimiter = _delimiter(first)
        header = next(csv.reader([first], delimiter=delimiter))
        wrong: list[str] = []
        found = resolve_columns(header, columns, wrong)
        builder = LogBuilder(path, "csv", zone_name, {role: header[i] for role, i in found.items()})
        for message in wrong:
            builder.problems.add("line 1", message)
        builder.problems.check()
        _rows(csv.reader(text, delimiter=delimiter), header, found, builder, zone)
    except UnicodeDecodeError as e:
        b = builder or LogBuilder(path, "csv", zone_name, {})
        b.problems.found.clear()
        b.problems.add("", f"not UTF-8 text ({e.reason} at byte {e.start}): save the log as UTF-8 CSV")
        b.problems.check()
    assert builder is not None
    return builder.finish()


def _rows(reader: CsvReader, header: list[str], found: dict[str, int], b: LogBuilder, zone: dt.tzinfo | None) -> None:
    """Read every row into ``b``."""
    i_case, i_activity, i_time = found["case"], found["activity"], found["time"]
    i_start, i_resource, i_group = found.get("start"), found.get("resource"), found.get("group")
    i_lifecycle, i_instance = found.get("lifecycle"), found.get("instance")
    attrs = [(i, name) for i, name in enumerate(header) if name.startswith(CASE_PREFIX) and i != i_case]
    width = len(header)
    problems = b.problems
    for row in reader:
        line = reader.line_num + 1  # the header was read separately
        where = f"line {line}"
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) < width:
            problems.add(
                where,
                f"{len(row)} fields, the header has {width}: every row needs a value (or an empty one) per column",
            )
            continue
        case_id, activity = row[i_case].strip(), row[i_activity].strip()
        if not case_id or not activity:
            problems.add(
                where,
                f"empty {header[i_case] if not case_id else header[i_activity]}: "
                "every event needs its case and activity",
            )
            continue
        parsed = parse_timestamp(row[i_time])
        if parsed is None:
            problems.add(where, f"{header[i_time]} {row[i_time]!r} is not a timestamp: allowed are {TIMESTAMP_FORMS}")
            continue
        end, offset = instant(parsed[0], zone)
        start = math.nan
        if i_start is not None and row[i_start].strip():
            s = parse_timestamp(row[i_start])
            if s is None:
                problems.add(
                    where,
                    f"{header[i_start]} {row[i_start]!r} is not a timestamp: allowed are {TIMESTAMP_FORMS} (or empty)",
                )
                continue
            start = instant(s[0], zone)[0]
            if start > end:
                problems.add(
                    where,
                    f"{header[i_start]} {row[i_start]} is after {header[i_time]} {row[i_time]}: "
                    "an activity cannot end before it starts",
                )
                continue
        case = b.case(case_id)
        if attrs and case not in b.case_attributes:  # a case's attributes, from its first row
            b.case_attributes[case] = {name[len(CASE_PREFIX) :]: row[i] for i, name in attrs if row[i] != ""}
        b.add(
            case,
            activity,
            row[i_lifecycle].strip().lower() or COMPLETE if i_lifecycle is not None else COMPLETE,
            end,
            offset,
            parsed[1],
            start,
            row[i_resource].strip() or None if i_resource is not None else None,
            row[i_group].strip() or None if i_group is not None else None,
            row[i_instance].strip() if i_instance is not None else "",
        )
