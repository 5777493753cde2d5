"""Reading XES event logs (plain or gzipped), streamed with ``iterparse``: each trace is read, handed to the
builder and cleared, so memory holds one trace at a time besides the log's columns.

Only the direct children of a trace or an event count as its attributes (nested ones, the log's
attributes and the ``global`` defaults are skipped).  ``start`` and ``complete`` events are paired by
``concept:instance``, else first in first out per activity; an event without ``lifecycle:transition`` is a
completion.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import IO

from sim.eventlog import vocabulary as v
from sim.eventlog.model import EventLog, LogBuilder
from sim.eventlog.times import TIMESTAMP_FORMS, instant, parse_timestamp

_COLUMNS = {
    "case": v.CONCEPT_NAME + " (trace)",
    "activity": v.CONCEPT_NAME,
    "time": v.TIME_TIMESTAMP,
    "resource": v.ORG_RESOURCE,
    "group": v.ORG_GROUP,
    "lifecycle": v.LIFECYCLE_TRANSITION,
    "instance": v.CONCEPT_INSTANCE,
}

#: (activity, transition, time text, resource, group, instance) of one event of a trace
_Event = tuple[str, str, str, str | None, str | None, str]


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def read_xes(stream: IO[bytes], path: str, zone: dt.tzinfo | None, zone_name: str | None) -> EventLog:
    """Read an XES log from a binary stream (already unzipped)."""
    b = LogBuilder(path, "xes", zone_name, dict(_COLUMNS))
    problems = b.problems
    stack: list[str] = []
    root: ET.Element | None = None
    trace_attrs: dict[str, str] = {}
    event_attrs: dict[str, str] = {}
    events: list[tuple[int, _Event]] = []
    n_trace = 0
    try:
        for kind, elem in ET.iterparse(stream, events=("start", "end")):
            tag = _local(elem.tag)
            if kind == "start":
                if root is None:
                    root = elem
                    if tag != "log":
                        problems.add("line 1", f"the root element is <{tag}>, not <log>: not an XES log")
                        problems.check()
                stack.append(tag)
                if tag == "trace" and len(stack) == 2:
                    n_trace += 1
                    trace_attrs, events = {}, []
                elif tag == "event":
                    event_attrs = {}
                continue
            stack.pop()
            parent = stack[-1] if stack else ""
            if tag in v.XES_ATTRIBUTE_TAGS:
                key = elem.get("key")
                if key is not None and parent in ("event", "trace") and len(stack) in (2, 3):
                    (event_attrs if parent == "event" else trace_attrs)[key] = elem.get("value", "")
            elif tag == "event":
                if parent == "trace":
                    events.append((len(events) + 1, _event(event_attrs)))
                elif parent == "log":
                    problems.add(
                        f"event after trace {n_trace}", "an event outside any <trace>: every event needs its case"
                    )
                elem.clear()
            elif tag == "trace" and parent == "log":
                _trace(b, n_trace, trace_attrs, events, zone)
                elem.clear()
                if root is not None:
                    root.clear()
    except ET.ParseError as e:
        line, column = e.position
        problems.add(f"line {line}, column {column}", f"not well-formed XML ({_reason(e)}): an XES log is an XML file")
    except (OSError, EOFError) as e:
        problems.add("", f"cannot be read ({e}): a damaged or truncated file?")
    return b.finish()


def _reason(e: ET.ParseError) -> str:
    return str(e).split(":")[0]


def _event(attrs: dict[str, str]) -> _Event:
    return (
        attrs.get(v.CONCEPT_NAME, ""),
        (attrs.get(v.LIFECYCLE_TRANSITION) or v.COMPLETE).strip().lower(),
        attrs.get(v.TIME_TIMESTAMP, ""),
        attrs.get(v.ORG_RESOURCE) or None,
        attrs.get(v.ORG_GROUP) or None,
        attrs.get(v.CONCEPT_INSTANCE, ""),
    )


def _trace(
    b: LogBuilder, n: int, attrs: dict[str, str], events: list[tuple[int, _Event]], zone: dt.tzinfo | None
) -> None:
    """Hand one trace's events to the builder."""
    case_id = attrs.pop(v.CONCEPT_NAME, "").strip()
    where = f"trace {n}" + (f" (case {case_id})" if case_id else "")
    if not case_id:
        b.problems.add(where, "no concept:name: every trace needs its case id")
        return
    if not events:
        b.problems.add(where, "no events: every case needs at least one")
        return
    case = b.case(case_id, attrs)
    for m, (activity, transition, text, resource, group, instance) in events:
        if not activity:
            b.problems.add(f"{where}, event {m}", "no concept:name: every event needs its activity")
            continue
        parsed = parse_timestamp(text)
        if parsed is None:
            what = f"time:timestamp {text!r} is not a timestamp" if text else "no time:timestamp"
            b.problems.add(f"{where}, event {m}", f"{what}: allowed are {TIMESTAMP_FORMS}")
            continue
        end, offset = instant(parsed[0], zone)
        b.add(case, activity, transition, end, offset, parsed[1], resource=resource, group=group, instance=instance)
    b.close_case()
