"""Writing OCEL 2.0 JSON event logs case by case, without holding the log in memory.

The file is one JSON object whose ``objects`` and ``events`` arrays grow with every case.  They are spooled
to two files beside the target while the cases arrive; :meth:`OcelWriter.close` writes the declared
``objectTypes`` and ``eventTypes`` (known only at the end) and appends the two spools.

The objects: each case is a ``project``; each stage visit a ``stage_visit``, ``part-of`` its project; each
agency an ``agency`` and each other party that holds a file (applicant, agents, contractor) a ``party``.
Each activity gives a start and a complete event, of the activity's type, with the attributes ``lifecycle``
and ``resource``, related to its ``project``, its ``stage-visit`` and who it is ``handled-by``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import IO, Any

from sim.eventlog import vocabulary as v
from sim.eventlog.cases import Case, Value, transitions
from sim.eventlog.times import iso


def ocel_type(value: Value) -> str:
    """The OCEL 2.0 attribute type of a value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.datetime):
        return "time"
    return "string"


class OcelWriter:
    """Writes one OCEL 2.0 JSON file at ``target``: :meth:`write` per case, then :meth:`close`."""

    def __init__(self, target: Path, zone: dt.tzinfo):
        self.target, self.zone = target, zone
        self._objects_path = target.with_name(f".{target.name}.objects")
        self._events_path = target.with_name(f".{target.name}.events")
        self._objects: IO[str] = open(self._objects_path, "w", encoding="utf-8")
        self._events: IO[str] = open(self._events_path, "w", encoding="utf-8")
        self._first = {"objects": True, "events": True}
        self.project_attributes: dict[str, str] = {}
        self.event_types: dict[str, None] = {}
        self._holders: set[str] = set()
        self.objects = self.events = 0

    def _put(self, which: str, item: dict[str, Any]) -> None:
        stream = self._objects if which == "objects" else self._events
        if not self._first[which]:
            stream.write(",\n")
        self._first[which] = False
        stream.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))

    def _value(self, value: Value) -> Value:
        return iso(value, self.zone) if isinstance(value, dt.datetime) else value

    def _holder(self, resource: str | None, group: str | None) -> str | None:
        """The object id of who handles an activity: its agency (group), else its party; made on first use."""
        if group is not None:
            kind, name = v.OCEL_AGENCY, group
        elif resource is not None:
            kind, name = v.OCEL_PARTY, resource
        else:
            return None
        oid = f"{kind}:{name}"
        if oid not in self._holders:
            self._holders.add(oid)
            self._put("objects", {"id": oid, "type": kind, "attributes": [], "relationships": []})
            self.objects += 1
        return oid

    def write(self, case: Case) -> None:
        """Write one case: its project and stage-visit objects and its events."""
        zone = self.zone
        opened = iso(case.opened, zone)
        attrs = []
        for name, value in case.attributes.items():
            self.project_attributes.setdefault(name, ocel_type(value))
            attrs.append({"name": name, "time": opened, "value": self._value(value)})
        self._put("objects", {"id": case.id, "type": v.OCEL_PROJECT, "attributes": attrs, "relationships": []})
        self.objects += 1
        visits: dict[str, str] = {}
        for a in case.activities:
            if a.visit is not None and a.visit not in visits:
                oid = visits[a.visit] = f"visit:{case.id}:{a.visit}"
                self._put(
                    "objects",
                    {
                        "id": oid,
                        "type": v.OCEL_STAGE_VISIT,
                        "attributes": [{"name": "stage", "time": iso(a.start, zone), "value": a.visit}],
                        "relationships": [{"objectId": case.id, "qualifier": v.QUALIFIER_PART_OF}],
                    },
                )
                self.objects += 1
        for t in transitions(case):
            a = t.activity
            self.event_types.setdefault(a.name)
            related = [{"objectId": case.id, "qualifier": v.QUALIFIER_PROJECT}]
            if a.visit is not None:
                related.append({"objectId": visits[a.visit], "qualifier": v.QUALIFIER_STAGE_VISIT})
            holder = self._holder(a.resource, a.group)
            if holder is not None:
                related.append({"objectId": holder, "qualifier": v.QUALIFIER_HANDLED_BY})
            self.events += 1
            self._put(
                "events",
                {
                    "id": f"e{self.events}",
                    "type": a.name,
                    "time": iso(t.time, zone),
                    "attributes": [
                        {"name": "lifecycle", "value": t.lifecycle},
                        {"name": "resource", "value": a.resource or ""},
                    ],
                    "relationships": related,
                },
            )

    def close(self) -> None:
        """Write the file: the declared types, then the spooled objects and events; remove the spools."""
        self._objects.close()
        self._events.close()
        object_types = [
            {
                "name": v.OCEL_PROJECT,
                "attributes": [{"name": k, "type": t} for k, t in self.project_attributes.items()],
            },
            {"name": v.OCEL_STAGE_VISIT, "attributes": [{"name": "stage", "type": "string"}]},
            {"name": v.OCEL_AGENCY, "attributes": []},
            {"name": v.OCEL_PARTY, "attributes": []},
        ]
        event_attributes = [{"name": "lifecycle", "type": "string"}, {"name": "resource", "type": "string"}]
        event_types = [{"name": name, "attributes": event_attributes} for name in self.event_types]
        with open(self.target, "w", encoding="utf-8") as out:
            out.write('{"objectTypes":' + json.dumps(object_types, ensure_ascii=False) + ",\n")
            out.write('"eventTypes":' + json.dumps(event_types, ensure_ascii=False) + ",\n")
            out.write('"objects":[\n')
            with open(self._objects_path, encoding="utf-8") as f:
                shutil.copyfileobj(f, out)
            out.write('\n],\n"events":[\n')
            with open(self._events_path, encoding="utf-8") as f:
                shutil.copyfileobj(f, out)
            out.write("\n]}\n")
        self._remove_spools()

    def abort(self) -> None:
        """Close and remove the spools (the target is not written)."""
        self._objects.close()
        self._events.close()
        self._remove_spools()

    def _remove_spools(self) -> None:
        self._objects_path.unlink(missing_ok=True)
        self._events_path.unlink(missing_ok=True)
