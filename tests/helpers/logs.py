"""Small synthetic event logs for the reader tests: CSV rows and XES text written from plain Python values.

``xes_text(traces)`` writes an XES log: each trace is ``(attributes, events)`` with plain dicts of XES keys
to values (strings; ``time:timestamp`` values become ``<date>``, others ``<string>``).  ``synthetic_csv``
writes a BPIC-like CSV log of any size, streaming, for the memory tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

Attrs = Mapping[str, str]


def _attr(key: str, value: str) -> str:
    tag = "date" if key == "time:timestamp" else "string"
    return f"<{tag} key={quoteattr(key)} value={quoteattr(value)}/>"


def xes_text(traces: Iterable[tuple[Attrs, Sequence[Attrs]]], header: str = "") -> str:
    """An XES log with these traces; ``header`` is put before the first trace (extensions, globals, ...)."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0" xmlns="http://www.xes-standard.org/">']
    parts.append(header)
    for attrs, events in traces:
        parts.append("<trace>" + "".join(_attr(k, v) for k, v in attrs.items()))
        for e in events:
            parts.append("<event>" + "".join(_attr(k, v) for k, v in e.items()) + "</event>")
        parts.append("</trace>")
    parts.append("</log>\n")
    return "\n".join(parts)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], delimiter: str = ",") -> Path:
    """A CSV file (gzipped if the name ends in .gz)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


SYNTHETIC_HEADER = ("case:concept:name", "concept:name", "org:resource", "start_timestamp", "time:timestamp")


def synthetic_rows(n_events: int, per_case: int = 40) -> Iterable[list[str]]:
    """BPIC-like rows: cases of ``per_case`` events, 300 activities, 20 resources, Amsterdam-time offsets,
    every fifth event date-only (local midnight), no start times; rows of a case in reverse time order."""
    t0 = dt.datetime(2011, 1, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    for first in range(0, n_events, per_case):
        case = first // per_case
        start = t0 + dt.timedelta(days=case // 3)
        for k in reversed(range(min(per_case, n_events - first))):
            when = start + dt.timedelta(days=k, minutes=7 * k)
            if k % 5 == 0:
                when = when.replace(hour=0, minute=0)
            yield [str(100000 + case), f"01_HOOFD_{(case + k) % 300:03d}", str(560000 + k % 20), "", when.isoformat()]


def synthetic_csv(path: Path, n_events: int) -> Path:
    """A synthetic CSV log of ``n_events`` rows (see :func:`synthetic_rows`)."""
    return write_csv(path, SYNTHETIC_HEADER, synthetic_rows(n_events))
