"""Writing XES (IEEE 1849-2016) event logs case by case, as the cases arrive."""

from __future__ import annotations

import datetime as dt
import math
from typing import IO
from xml.sax.saxutils import quoteattr

from sim.eventlog import vocabulary as v
from sim.eventlog.cases import Case, Value, transitions
from sim.eventlog.times import iso

_INVALID_XML = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def _q(text: str) -> str:
    """``text`` as a quoted XML attribute value (control characters XML cannot hold dropped)."""
    return quoteattr(text.translate(_INVALID_XML))


def _attribute(key: str, value: Value, zone: dt.tzinfo) -> str:
    """One typed XES attribute element."""
    if isinstance(value, bool):
        return f"<boolean key={_q(key)} value={_q('true' if value else 'false')}/>"
    if isinstance(value, int):
        return f"<int key={_q(key)} value={_q(str(value))}/>"
    if isinstance(value, float):
        text = "NaN" if math.isnan(value) else ("INF" if value > 0 else "-INF") if math.isinf(value) else repr(value)
        return f"<float key={_q(key)} value={_q(text)}/>"
    if isinstance(value, dt.datetime):
        return f"<date key={_q(key)} value={_q(iso(value, zone))}/>"
    return f"<string key={_q(key)} value={_q(str(value))}/>"


class XesWriter:
    """Writes one XES log to a text stream: the header at once, then :meth:`write` per case, :meth:`close`.

    Every activity becomes two events, ``start`` and ``complete`` (``lifecycle:transition``), sharing a
    ``concept:instance``; ``org:resource`` and ``org:group`` where known.  Times are written with
    milliseconds and the offset of ``zone``.
    """

    def __init__(self, stream: IO[str], name: str, zone: dt.tzinfo, log_attributes: dict[str, Value] | None = None):
        self.stream, self.zone = stream, zone
        w = stream.write
        w('<?xml version="1.0" encoding="UTF-8"?>\n')
        w(f"<log xes.version={_q(v.XES_VERSION)} xmlns={_q(v.XES_NAMESPACE)}>\n")
        for ext_name, prefix in v.XES_EXTENSIONS:
            w(f"  <extension name={_q(ext_name)} prefix={_q(prefix)} uri={_q(v.extension_uri(prefix))}/>\n")
        w('  <global scope="trace">\n')
        w(f'    <string key={_q(v.CONCEPT_NAME)} value="__INVALID__"/>\n  </global>\n')
        w('  <global scope="event">\n')
        w(f'    <string key={_q(v.CONCEPT_NAME)} value="__INVALID__"/>\n')
        w(f'    <date key={_q(v.TIME_TIMESTAMP)} value="1970-01-01T00:00:00.000+00:00"/>\n')
        w(f"    <string key={_q(v.LIFECYCLE_TRANSITION)} value={_q(v.COMPLETE)}/>\n")
        w(f'    <string key={_q(v.CONCEPT_INSTANCE)} value="0"/>\n  </global>\n')
        w(f'  <classifier name="Activity" keys={_q(v.CONCEPT_NAME)}/>\n')
        w(f'  <classifier name="Activity_transition" keys={_q(v.CONCEPT_NAME + " " + v.LIFECYCLE_TRANSITION)}/>\n')
        w(f"  {_attribute(v.CONCEPT_NAME, name, zone)}\n")
        w(f"  {_attribute(v.LIFECYCLE_MODEL, 'standard', zone)}\n")
        for key, value in (log_attributes or {}).items():
            w(f"  {_attribute(key, value, zone)}\n")
        self.traces = self.events = 0

    def write(self, case: Case) -> None:
        """Write one case as a trace: its attributes, then its start and complete events in time order."""
        zone = self.zone
        parts = ["  <trace>\n", f"    {_attribute(v.CONCEPT_NAME, case.id, zone)}\n"]
        parts.extend(f"    {_attribute(k, x, zone)}\n" for k, x in case.attributes.items())
        for t in transitions(case):
            a = t.activity
            parts.append(
                f'    <event>\n      <string key="concept:name" value={_q(a.name)}/>\n'
                f'      <string key="lifecycle:transition" value="{t.lifecycle}"/>\n'
                f'      <date key="time:timestamp" value="{iso(t.time, zone)}"/>\n'
                f'      <string key="concept:instance" value="{t.instance}"/>\n'
            )
            if a.resource is not None:
                parts.append(f'      <string key="org:resource" value={_q(a.resource)}/>\n')
            if a.group is not None:
                parts.append(f'      <string key="org:group" value={_q(a.group)}/>\n')
            parts.append("    </event>\n")
        parts.append("  </trace>\n")
        self.stream.write("".join(parts))
        self.traces += 1
        self.events += 2 * len(case.activities)

    def close(self) -> None:
        """End the log (the stream stays open: its owner closes it)."""
        self.stream.write("</log>\n")
