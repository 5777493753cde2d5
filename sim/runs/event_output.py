"""A run's event logs: events.csv, events.xes (XES) and events.ocel.json (OCEL 2.0), written replication by
replication as the parent receives them, into the run's atomic output folder.

Each project of each replication with at least one activity is a case ``REP:PROJECT`` (as in events.csv),
with the attributes ``project``, ``class``, ``investment_cny``, ``replication`` and ``reformed``; each
logged step of a stage visit (``STAGE:STEP``) is an activity with a start and an end.  The engine does not
tell an agency's staff members apart, so an agency's activities name the agency as both resource and
group; the applicant's, the agents' and the contractor's name them as resource, without a group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import IO

from sim.core.output import OutputDir
from sim.engine.compiled import CompiledScenario
from sim.eventlog.cases import Activity, Case, Value
from sim.eventlog.ocel_writer import OcelWriter
from sim.eventlog.times import country_zone, time_zone
from sim.eventlog.xes_writer import XesWriter
from sim.runs.reducer import ReducedReplication
from sim.runs.rows import EVENT_COLUMNS, event_rows

#: the event-log formats a run can write, and their files
FORMATS = {"csv": "events.csv", "xes": "events.xes", "ocel": "events.ocel.json"}


def parse_formats(text: str) -> tuple[str, ...]:
    """``csv,xes,ocel`` -> the formats, in the order of :data:`FORMATS`; ValueError naming a bad one."""
    given = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in given if f not in FORMATS]
    if bad or not given:
        raise ValueError(f"unknown event-log format {', '.join(bad) or repr(text)}: give one or more of csv, xes, ocel")
    return tuple(f for f in FORMATS if f in given)


def event_zone(cs: CompiledScenario, zone: str | None = None) -> str:
    """The time zone the event logs state their times in: ``zone``, else that of the calendar's country."""
    return zone or country_zone(cs.scenario.calendar.country)


class EventOutput:
    """The event-log files of one run, open in ``outdir`` until :meth:`close` (or :meth:`abort`)."""

    def __init__(self, outdir: OutputDir, cs: CompiledScenario, formats: Sequence[str], zone: str | None = None):
        sc = cs.scenario
        self.origin = dt.datetime.combine(sc.start_date, dt.time())
        self.agencies = {a.id for a in sc.agencies}
        self.zone_name = event_zone(cs, zone)
        tz = time_zone(self.zone_name)
        self.csv = outdir.csv_writer(FORMATS["csv"], EVENT_COLUMNS) if "csv" in formats else None
        self._stream: IO[str] | None = None
        self.xes: XesWriter | None = None
        self.ocel: OcelWriter | None = None
        try:
            if "xes" in formats:
                self._stream = open(outdir.path(FORMATS["xes"]), "w", encoding="utf-8", newline="\n")
                self.xes = XesWriter(self._stream, sc.name, tz, {"time_zone": self.zone_name})
            if "ocel" in formats:
                self.ocel = OcelWriter(outdir.path(FORMATS["ocel"]), tz)
        except BaseException:
            self.abort()
            raise

    def add(self, reduced: ReducedReplication) -> None:
        """Write one replication's event log."""
        if reduced.events is None:
            return
        if self.csv is not None:
            self.csv.writerows(event_rows(self.origin, reduced.rep, reduced.cases, reduced.events))
        if self.xes is not None or self.ocel is not None:
            for case in self.cases(reduced):
                if self.xes is not None:
                    self.xes.write(case)
                if self.ocel is not None:
                    self.ocel.write(case)

    def cases(self, reduced: ReducedReplication) -> Iterable[Case]:
        """The replication's cases in project order, each with its activities in the order they were logged."""
        assert reduced.events is not None
        by_project: dict[int, list[Activity]] = {}
        origin, days, agencies = self.origin, dt.timedelta, self.agencies
        for idx, stage, step, resource, t0, t1 in reduced.events:
            group = resource if resource in agencies else None
            by_project.setdefault(idx, []).append(
                Activity(
                    f"{stage}:{step}",
                    origin + days(days=t0),
                    origin + days(days=t1),
                    None if resource == "-" else resource,
                    group,
                    stage,
                )
            )
        rep = reduced.rep
        for idx in sorted(by_project):
            pid, cls, investment, reformed, signed = reduced.cases[idx]
            attributes: dict[str, Value] = {
                "project": pid,
                "class": cls,
                "investment_cny": float(investment),
                "replication": rep,
                "reformed": bool(reformed),
            }
            yield Case(f"{rep}:{pid}", origin + days(days=signed), attributes, by_project[idx])

    def close(self) -> None:
        """Finish the files (before the output folder is committed)."""
        if self.xes is not None and self._stream is not None:
            self.xes.close()
            self._stream.close()
        if self.ocel is not None:
            self.ocel.close()

    def abort(self) -> None:
        """Close what is open; the output folder's abort removes the files."""
        if self._stream is not None:
            self._stream.close()
        if self.ocel is not None:
            self.ocel.abort()
