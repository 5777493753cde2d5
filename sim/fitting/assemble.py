"""The fitted parts of a scenario, and the sections of its file with a comment on every value.

Every value measured in the log gets ``# FITTED from <file>: n=..., <statistic>`` on its line (or in its
table's header comment); what the log cannot tell is marked ``# ASSUMPTION:`` (the HTML report lists those
lines).  The last stage, ``case_end``, follows every stage no other stage follows, and the four milestones
are at its end: a log records one process, so the approval time is the case's time from its first event to
its last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.eventlog.model import EventLog
from sim.fitting.agencies import Agencies
from sim.fitting.calendar_fit import WEEKDAYS, FittedCalendar
from sim.fitting.clock import LogClock
from sim.fitting.durations import FittedDist, significant
from sim.fitting.graph import Precedence, Profiles
from sim.fitting.stage_fit import MAX_CAPPED, StageFit
from sim.fitting.visits import StageCut
from sim.fitting.writer import Section, dotted

#: the stage that ends every case
CASE_END = "case_end"
#: the mean Gregorian month in days
MONTH_DAYS = 365.2425 / 12
MILESTONES = ("construction_permit", "construction_start", "completion", "production")


@dataclass(frozen=True)
class Arrivals:
    """When cases started: each case's first event (clock days), and the Poisson stream's figures."""

    case_start: np.ndarray
    rate_per_month: float
    months: float


@dataclass(frozen=True)
class Parts:
    """Everything fitted, ready to be written (``end_stage``: the id of the last stage, ``case_end`` unless
    the log has a stage of that name)."""

    end_stage: str
    source: str
    command: str
    stage_by: str
    log: EventLog
    cut: StageCut
    clock: LogClock
    calendar: FittedCalendar
    precedence: Precedence
    profiles: Profiles
    agencies: Agencies
    staff: list[int]
    staff_note: list[str]
    stages: list[StageFit]
    start_mode: bool
    lead_effort: dict[int, float]
    lead_note: dict[int, str]
    arrivals: Arrivals
    replay: bool
    min_share: float
    investment: dict[str, FittedDist] = field(default_factory=dict)
    investment_attr: str | None = None


def has(stage: str) -> str:
    """The class attribute saying whether a case runs the optional ``stage``."""
    return f"has_{stage}"


def head_lines(p: Parts) -> list[str]:
    """The comment at the top of the file."""
    log, clock = p.log, p.clock
    with_start = float((~np.isnan(log.start)).mean())
    mode = (
        f"start-time mode: {with_start:.0%} of the activity instances have a start, so effort is measured"
        if p.start_mode
        else f"lead-time mode: {with_start:.0%} of the activity instances have a start, so effort is an ASSUMPTION"
    )
    left = ", ".join(f"{s} ({n:,} case{'s' if n != 1 else ''})" for s, n in p.cut.left_out) or "none"
    read_as = ", ".join(f"{role}={column}" for role, column in log.columns.items())
    return [
        f"Fitted by approval-sim fit from {p.source}: a scenario of the process this event log records.",
        f"command: {p.command}",
        f"read as: {read_as}" + (f"; times in {log.zone}" if log.zone else "; times at their own offsets"),
        f"log: {log.n_cases:,} cases, {len(log):,} activity instances, {clock.start_date} to {clock.end_date}; {mode}",
        f"stages: {len(p.cut.stages)} by {p.stage_by}; left out, seen in fewer than {p.min_share:.0%} of the "
        f"cases: {left}",
        f'Lines ending in "# FITTED from {p.source}: n=..." hold values measured in the log; "# ASSUMPTION:" marks',
        "what the log cannot tell. Try a reform in a file of your own that extends this one (extends = this file's",
        "name) with [levers.<id>] tables; see docs/event-logs.md, Fitting a scenario.",
    ]


def sections(p: Parts) -> list[Section]:
    """The tables of the scenario file, in order."""
    fitted = f"FITTED from {p.source}"
    out = [_scenario(p, fitted), _calendar(p)]
    for a, aid in enumerate(p.agencies.ids):
        s = Section(dotted("agencies", aid))
        names = p.agencies.groups[aid]
        s.add("name", " / ".join(names) if names else aid, "the log's org:group" if names else p.agencies.stage_note[0])
        s.add("staff", p.staff[a], p.staff_note[a])
        out.append(s)
    out += _classes(p, fitted)
    out.append(_arrivals(p, fitted))
    for st in p.precedence.order:
        out += _stage(p, st, fitted)
    end = Section(dotted("stages", p.end_stage), ["the end of the case: the last of the stages no other stage follows"])
    end.add("name", "end of case")
    end.add("after", [p.cut.stages[s] for s in p.precedence.sinks()], f"{fitted}: the stages no other stage follows")
    end.add(
        "lag",
        {"dist": "fixed", "value": 0, "unit": "workday"},
        "not fitted: a stage must do something; zero time keeps the case's end where its last stage ends",
    )
    out.append(end)
    ms = Section("milestones", ["every milestone at the case's end: the approval time is the case's time"])
    for m in MILESTONES:
        ms.add(m, {"stage": p.end_stage, "at": "end"})
    out.append(ms)
    return out


def _scenario(p: Parts, fitted: str) -> Section:
    s = Section("scenario")
    s.add("name", f"fitted to {p.source}")
    s.add("description", f"fitted by approval-sim fit from the event log {p.source}: {p.log.n_cases:,} cases")
    s.add("start_date", p.clock.start_date, f"{fitted}: the date of the first case's first event")
    s.add("end_date", p.clock.end_date, f"{fitted}: the date of the last event")
    return s


def _calendar(p: Parts) -> Section:
    spec, notes = p.calendar.spec, p.calendar.comments
    s = Section("calendar")
    if spec.always_open:
        s.add("always_open", True, notes["always_open"])
        return s
    s.add("country", spec.country or "none", notes["country"])
    s.add("weekend", [WEEKDAYS[d] for d in spec.weekend], notes["weekend"])
    s.add("hours", [_hhmm(spec.hours[0]), _hhmm(spec.hours[1])], notes["hours"])
    return s


def _hhmm(h: float) -> str:
    return f"{int(h):02d}:{round((h - int(h)) * 60):02d}"


def _classes(p: Parts, fitted: str) -> list[Section]:
    prof, stages, n = p.profiles, p.cut.stages, p.log.n_cases
    out = []
    for k, c in enumerate(prof.classes):
        s = Section(dotted("classes", c.id))
        if c.is_other:
            s.comments.append(
                f"{fitted}: n={c.cases:,} of {n:,} cases ({c.cases / n:.1%}) whose set of optional stages is "
                "too rare for a class of its own; their optional stages run independently, each with its "
                "share among them"
            )
            attributes: dict[str, Any] = {has(stages[o]): _share_value(c.shares[o]) for o in prof.optional}
        else:
            runs = ", ".join(stages[o] for o in prof.optional if o in c.runs) or "none"
            s.comments.append(
                f"{fitted}: n={c.cases:,} of {n:,} cases ({c.cases / n:.1%}) ran exactly these optional stages: {runs}"
                if prof.optional
                else f"{fitted}: n={c.cases:,} cases; every stage runs for every case"
            )
            attributes = {has(stages[o]): o in c.runs for o in prof.optional}
        inv = p.investment.get(c.id)
        if inv is not None:
            s.add("investment_cny", inv.table, f"{fitted}: {inv.comment} (case attribute {p.investment_attr})")
        else:
            s.add(
                "investment_cny",
                {"dist": "fixed", "value": 0, "unit": "cny"},
                "ASSUMPTION: the log has no investment; 0 (--investment ATTR reads a numeric case attribute)",
            )
        if attributes:
            s.add("attributes", attributes, "whether a case runs each optional stage" if k == 0 else "")
        out.append(s)
    return out


def _share_value(share: float) -> bool | dict[str, float]:
    if share <= 0.0 or share >= 1.0:
        return share >= 1.0
    return {"p": significant(share, 4)}


def _arrivals(p: Parts, fitted: str) -> Section:
    a, clock = p.arrivals, p.clock
    weights = {c.id: c.cases for c in p.profiles.classes}
    first, last = clock.date(float(a.case_start.min())), clock.date(float(a.case_start.max()))
    if p.replay:
        s = Section("arrivals.replay")
        dates = sorted(clock.date(float(t)) for t in a.case_start)
        s.add("dates", dates, f"{fitted}: n={len(dates):,} case start dates (each case's first event)")
    else:
        s = Section("arrivals.stream")
        s.add(
            "rate",
            significant(a.rate_per_month, 4),
            f"{fitted}: n={p.log.n_cases:,} cases / {a.months:.2f} months from the first case start to the last, "
            "both days included (a Poisson stream)",
        )
        s.add("per", "month")
        s.add("from", first, f"{fitted}: the first case's start")
        s.add("until", last, f"{fitted}: the last case's start")
    s.add("classes", weights, f"{fitted}: the cases of each class")
    return s


def _stage(p: Parts, st: int, fitted: str) -> list[Section]:
    sid = p.cut.stages[st]
    fit = p.stages[st]
    a = p.agencies.of_stage[st]
    s = Section(dotted("stages", sid))
    s.add("name", sid)
    n, share = p.cut.cases[st], p.profiles.share[st]
    if a >= 0:
        s.add("agency", p.agencies.ids[a], f"{fitted}: {p.agencies.stage_note[st]}")
    before = p.precedence.before(st)
    if before:
        why = "; ".join(_follows(p, b, st) for b in before)
        s.add("after", [p.cut.stages[b] for b in before], f"{fitted}: {why}")
    if st in p.profiles.optional:
        s.add("when", {has(sid): True}, f"{fitted}: seen in n={n:,} cases ({share:.1%}); the case's class decides")
    if fit.effort is not None:
        s.add("effort", fit.effort.table, f"{fitted}: {fit.effort.comment}; a round's work instances, summed")
    elif a >= 0 and a in p.lead_note:
        short = fit.facts["shorter_than_effort_share"]
        note = f"; it is longer than {short:.0%} of this stage's visits (their lag is 0)" if short else ""
        s.add(
            "effort",
            {"dist": "fixed", "value": significant(p.lead_effort[a], 4), "unit": "workday"},
            p.lead_note[a] + note,
        )
    if fit.lag is not None:
        s.add(
            "lag",
            fit.lag.table,
            f"{fitted}: {fit.lag.comment}; working days from ready to the visit's last event, less effort, "
            "queueing and fix time",
        )
    out = [s]
    d = fit.defect
    if d is not None:
        ds = Section(dotted("stages", sid, "defect"))
        ds.add(
            "p", d.p, f"{fitted}: n={d.visits:,} visits, {d.reworked:,} with 2 rounds or more (an activity repeated)"
        )
        ds.add("decay", d.decay, f"{fitted}: {d.decay_note}")
        cap = (
            f"{fitted}: the most rounds of a visit (at least 2)"
            if d.max_rounds == d.seen_rounds
            else f"{fitted}: the most rounds of a visit, {d.seen_rounds}, raised so that a run stops fewer than "
            f"{MAX_CAPPED:.1%} of the visits at this cap (no case of the log gave up)"
        )
        ds.add("max_rounds", d.max_rounds, cap)
        if d.fix is not None:
            ds.add(
                "fix",
                d.fix.table,
                f"{fitted}: {d.fix.comment}; working days from a round's last work to the next round's first event",
            )
        out.append(ds)
    return out


def _follows(p: Parts, before: int, after: int) -> str:
    name = p.cut.stages[before]
    found = p.precedence.support.get((before, after))
    if found is None:  # --flow sequence: the next stage in the order of first events
        first = p.precedence.median_first
        return f"{name} comes first in the order of first events (median day {first[before]:.1f} vs {first[after]:.1f})"
    ab, ba, n = found
    return f"{name} ends before it starts in {ab:.0%} of the {n:,} cases with both (the reverse in {ba:.0%})"
