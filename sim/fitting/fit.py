"""``fit``: a scenario of the process an event log records, every fitted value commented.

The steps, each a module of this package: cut the log into stages (:mod:`~sim.fitting.visits`, with the
:class:`~sim.eventlog.stages.StageMap` that ``evaluate`` uses too), infer the working calendar
(:mod:`~sim.fitting.calendar_fit`), the stage graph and case profiles (:mod:`~sim.fitting.graph`), the
agencies and their staff (:mod:`~sim.fitting.agencies`), each stage's durations in working days
(:mod:`~sim.fitting.stage_fit`, :mod:`~sim.fitting.durations`), then write the file
(:mod:`~sim.fitting.assemble`, :mod:`~sim.fitting.writer`) and validate it as ``validate`` would.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.core.errors import LogError, Problem, ScenarioError
from sim.core.output_file import OutputFile
from sim.eventlog.model import EventLog
from sim.eventlog.reading import read_log
from sim.eventlog.stages import SEPARATOR, StageMap
from sim.fitting.agencies import Agencies, Busy, assign_agencies, staff_from_concurrency, staff_from_resources
from sim.fitting.assemble import CASE_END, MONTH_DAYS, Arrivals, Parts, head_lines, sections
from sim.fitting.calendar_fit import check_country, fit_calendar
from sim.fitting.clock import LogClock, log_clock
from sim.fitting.durations import FittedDist, fit_distribution, significant
from sim.fitting.graph import FLOWS, precedence, profiles
from sim.fitting.stage_fit import Timing, fit_stage
from sim.fitting.visits import Visit, Visits, cut_stages, stage_visits
from sim.fitting.writer import render
from sim.scenario.calendar import WorkCalendar
from sim.scenario.loading import load_text
from sim.scenario.scenario import Scenario

#: the activities that are waiting, not work (start-time mode): approval-sim's own waiting steps, as the last
#: part of the name (after ``:``, ``_``, a blank, ``.``, ``/`` or ``-``) or the whole name
DEFAULT_WAITING = r"(?:^|[:_ ./-])(?:queue|sitting|lag|agent_wait|supplement)$"
#: how a fitted scenario says that approval-sim wrote it (its first line), so that --force may replace it
FIT_MARKER = "# Fitted by approval-sim fit"


class FitBug(RuntimeError):
    """A fitted scenario did not validate: a bug of ``fit``, never the user's input."""


@dataclass(frozen=True)
class FittedScenario:
    """A scenario fitted to an event log.

    Attributes:
        text: the scenario file (TOML), every fitted value commented.
        scenario: the scenario it loads as (validated).
        stage_map: how the log was cut into stages.
        facts: what was measured (JSON-safe): cases, calendar, agencies, graph, profiles and per stage the
            visits, share, rounds and the distributions chosen with their statistics.
    """

    text: str
    scenario: Scenario
    stage_map: StageMap
    facts: dict[str, Any] = field(default_factory=dict)
    log_path: str = ""

    def write(self, path: str | Path | OutputFile, force: bool = False) -> Path:
        """Write :attr:`text` to ``path`` atomically: a new file, or with ``force`` a scenario ``fit`` wrote;
        never another file nor the log itself.  Given an :class:`~sim.core.output.OutputFile`
        (:func:`fit_target`), that claim is used.

        Raises:
            OutputError: ``path`` may not or cannot be written.
        """
        target = path if isinstance(path, OutputFile) else fit_target(path, force, [self.log_path])
        with target:
            target.write(self.text)
            return target.commit()


def fit_target(path: str | Path, force: bool = False, inputs: list[str] | tuple[str, ...] = ()) -> OutputFile:
    """Claim ``path`` for a fitted scenario before fitting (:class:`sim.core.output.OutputFile`)."""
    return OutputFile(path, force=force, inputs=[i for i in inputs if i], marker=FIT_MARKER.encode("ascii"))


def _bad(option: str, message: str) -> LogError:
    return LogError([Problem(option, "", message)])


def _check_options(
    min_share: float, min_profile_share: float, utilisation: float, waiting: str, flow: str
) -> re.Pattern[str]:
    if flow not in FLOWS:
        raise _bad("--flow", f"is {flow!r}; allowed: {', '.join(FLOWS)}")
    for name, v in (("--min-share", min_share), ("--min-profile-share", min_profile_share)):
        if not (isinstance(v, (int, float)) and 0.0 <= v <= 1.0):
            raise _bad(name, f"is {v!r}; give a share from 0 to 1, e.g. 0.02")
    if not (isinstance(utilisation, (int, float)) and 0.0 < utilisation <= 1.0):
        raise _bad("--utilisation", f"is {utilisation!r}; give a share above 0, at most 1, e.g. 0.8")
    try:
        return re.compile(waiting)
    except (re.error, TypeError) as e:
        raise _bad("--waiting", f"{waiting!r} is not a valid regular expression: {e}") from None


def fit(
    log: EventLog | str | Path,
    *,
    stage_by: str = "activity",
    stage_sep: str = SEPARATOR,
    stage_map: str | Path | None = None,
    country: str = "none",
    replay: bool = False,
    min_share: float = 0.02,
    min_profile_share: float = 0.02,
    waiting: str = DEFAULT_WAITING,
    utilisation: float = 0.8,
    zone: str | None = None,
    investment: str | None = None,
    flow: str = "graph",
) -> FittedScenario:
    """Fit a scenario to an event log (docs/event-logs.md, "Fitting a scenario").

    Args:
        log: an :class:`~sim.eventlog.model.EventLog`, or a CSV or XES file read with ``read_log(log, zone=zone)``.
        stage_by, stage_sep, stage_map: how activities group into stages (``--stage-by activity|prefix:N``,
            ``--stage-sep``, ``--stage-map FILE``).
        country: the public holidays of the calendar (a code of the ``holidays`` package, or ``none``).
        replay: arrivals replay the log's case start dates (``[arrivals.replay]``) instead of a Poisson stream.
        min_share: stages seen in fewer of the cases are left out.
        min_profile_share: a set of optional stages run by at least this share of the cases is a class.
        waiting: a regular expression of the activities that are waiting, not work (start-time mode).
        utilisation: the assumed utilisation of the agencies when the log has no start times.
        zone: the time zone to read a log file's times in.
        investment: a numeric case attribute to fit each class's ``investment_cny`` to (default: 0).
        flow: ``graph`` (stages follow the precedence found in the log, parallel where it is not clear) or
            ``sequence`` (one after the other, in the order of their first events: for day-granular logs whose
            stages are recorded in bursts; see :data:`sim.fitting.graph.FLOWS`).

    Raises:
        LogError: an option, the stage map or the log is wrong (each problem names the option or file).
    """
    pattern = _check_options(min_share, min_profile_share, utilisation, waiting, flow)
    holidays = check_country(country)
    smap = StageMap.parse(stage_by, stage_sep, stage_map)
    if not isinstance(log, EventLog):
        log = read_log(log, zone=zone)
    source = Path(log.path).name
    cut = cut_stages(log, smap, min_share)
    clock = log_clock(log)
    calendar = fit_calendar(clock, log.date_only, holidays, source)
    n = len(cut.stages)
    visits = stage_visits(log, clock, cut.stage_of, n)
    graph = precedence(visits, clock.case_start, flow)
    prof = profiles(visits.present, min_profile_share)
    agencies = assign_agencies(log, cut.stage_of, n)
    cal = calendar.calendar
    start_known = ~np.isnan(log.start)
    start_mode = bool(start_known.mean() >= 0.5)
    waits = np.array([bool(pattern.search(a)) for a in log.activities], dtype=bool)
    work = start_known & ~waits[log.activity] if len(log.activities) else start_known
    begin = np.where(start_known, np.fmin(clock.start, clock.end), clock.end)
    w_start = np.full(len(log), np.nan)
    w_start[start_known] = cal.worktime_many(clock.start[start_known])
    ready = _ready(visits, graph.order, graph.before, clock.case_start)
    staff, staff_note, busy, lead, lead_note = _staffing(
        log, clock, agencies, work, start_mode, utilisation, visits, cal, source
    )
    timing = Timing(
        start=clock.start,
        end=clock.end,
        begin=begin,
        w_start=w_start,
        w_end=cal.worktime_many(clock.end),
        w_begin=cal.worktime_many(begin),
        w_ready=cal.worktime_many(ready.ravel()).reshape(ready.shape),
        ready=ready,
        work=work,
        agency_of=agencies.of_instance,
        start_mode=start_mode,
        busy=busy,
        lead_effort=lead,
    )
    by_stage: list[list[Visit]] = [[] for _ in range(n)]
    for v in visits.visits:
        by_stage[v.stage].append(v)
    fits = [fit_stage(s, agencies.of_stage[s], by_stage[s], timing) for s in range(n)]
    first, last = float(clock.case_start.min()), float(clock.case_start.max())
    days = math.floor(last) - math.floor(first) + 1
    arrivals = Arrivals(clock.case_start, log.n_cases / (days / MONTH_DAYS), days / MONTH_DAYS)
    inv = _investment(log, prof.member, [c.id for c in prof.classes], investment)
    command = _command(
        source, log.zone, smap, country, replay, min_share, min_profile_share, waiting, utilisation, investment, flow
    )
    end = CASE_END
    while end in cut.stages:
        end += "_"
    parts = Parts(
        end_stage=end,
        source=source,
        command=command,
        stage_by=smap.describe(),
        log=log,
        cut=cut,
        clock=clock,
        calendar=calendar,
        precedence=graph,
        profiles=prof,
        agencies=agencies,
        staff=staff,
        staff_note=staff_note,
        stages=fits,
        start_mode=start_mode,
        lead_effort=lead,
        lead_note=lead_note,
        arrivals=arrivals,
        replay=replay,
        min_share=min_share,
        investment=inv,
        investment_attr=investment,
    )
    text = render(head_lines(parts), sections(parts))
    try:
        scenario = load_text(text, f"fitted from {source}")
    except ScenarioError as e:
        raise FitBug("the fitted scenario does not validate (a bug of fit): " + "; ".join(map(str, e.problems))) from e
    return FittedScenario(text, scenario, smap, _facts(parts), log.path)


def _ready(visits: Visits, order: list[int], before: Callable[[int], list[int]], case_start: np.ndarray) -> np.ndarray:
    """(cases x stages) clock days at which each stage could start: its predecessors' latest end, a skipped
    predecessor passing on its own readiness; the case's first event for a root."""
    present = visits.present
    ready = np.empty(present.shape)
    for s in order:
        preds = before(s)
        if not preds:
            ready[:, s] = case_start
            continue
        # a stage ends no earlier than it is ready (as in a run), even where the log has it end sooner
        ended = [np.where(present[:, p], np.maximum(visits.last[:, p], ready[:, p]), ready[:, p]) for p in preds]
        ready[:, s] = np.max(ended, axis=0)
    return ready


def _staffing(
    log: EventLog,
    clock: LogClock,
    agencies: Agencies,
    work: np.ndarray,
    start_mode: bool,
    utilisation: float,
    visits: Visits,
    cal: WorkCalendar,
    source: str,
) -> tuple[list[int], list[str], dict[int, Busy], dict[int, float], dict[int, str]]:
    """Each agency's staff and its note; when all were busy (start-time mode) or the assumed effort per round
    (lead-time mode) and its note."""
    staff, notes = [], []
    busy: dict[int, Busy] = {}
    lead: dict[int, float] = {}
    lead_note: dict[int, str] = {}
    # the working days over which cases arrive (from the first case's start to the last's): the load a run puts
    # on the agencies is spread over these
    first, last = math.floor(float(clock.case_start.min())), math.floor(float(clock.case_start.max())) + 1
    log_days = max(1.0, float(cal.worktime(float(last)) - cal.worktime(float(first))))
    rounds = np.zeros(len(agencies.ids))
    for v in visits.visits:
        a = agencies.of_stage[v.stage]
        if a >= 0:
            rounds[a] += len(v.rounds)
    for a in range(len(agencies.ids)):
        mine = agencies.of_instance == a
        if start_mode:
            w = mine & work
            c, k = staff_from_concurrency(clock.start[w], clock.end[w])
            notes.append(
                f"FITTED from {source}: 95th percentile of its work instances in progress at the start of each, "
                f"n={k:,} starts"
            )
            busy[a] = Busy(clock.start[w], clock.end[w], c, cal)
        else:
            c, k = staff_from_resources(clock, clock.end[mine], log.resource[mine])
            notes.append(
                f"FITTED from {source}: n={k:,} weeks, the median of the distinct resources active in its events a week"
                if k
                else "ASSUMPTION: the log names no resources: 1"
            )
            if rounds[a]:
                lead[a] = utilisation * c * log_days / rounds[a]
                lead_note[a] = (
                    "ASSUMPTION: no start times, so effort is not measured: "
                    f"utilisation {utilisation:g} (--utilisation) x staff {c} x {log_days:,.0f} working days in which "
                    f"cases arrive / {int(rounds[a]):,} rounds of its stages = {significant(lead[a], 4)} working days "
                    "a round"
                )
        staff.append(c)
    return staff, notes, busy, lead, lead_note


def _investment(
    log: EventLog, member: np.ndarray, class_ids: list[str], attribute: str | None
) -> dict[str, FittedDist]:
    """Each class's investment, fitted to the numeric case attribute ``attribute`` (nothing without one)."""
    if attribute is None:
        return {}
    values: list[list[float]] = [[] for _ in class_ids]
    for c, case_id in enumerate(log.case_ids):
        raw = log.case_attributes.get(case_id, {}).get(attribute)
        try:
            x = float(raw) if raw is not None else math.nan
        except ValueError:
            continue
        if math.isfinite(x) and 0.0 <= x <= 1e15:
            values[int(member[c])].append(x)
    if not any(values):
        known = sorted({k for attrs in log.case_attributes.values() for k in attrs})
        raise _bad(
            "--investment",
            f"{attribute!r}: no case has it as a number from 0 to 1e15; the case attributes are: "
            f"{', '.join(known) or 'none'}",
        )
    out = {}
    for cid, v in zip(class_ids, values):
        d = fit_distribution(v, "cny", "cases")
        if d is not None:
            out[cid] = d
    return out


def _command(
    source: str,
    zone: str | None,
    smap: StageMap,
    country: str,
    replay: bool,
    min_share: float,
    min_profile_share: float,
    waiting: str,
    utilisation: float,
    investment: str | None,
    flow: str,
) -> str:
    """The command line that fits the same scenario (options at their defaults left out)."""
    words = ["approval-sim", "fit", source]
    if flow != "graph":
        words += ["--flow", flow]
    if zone:
        words += ["--zone", zone]
    if country != "none":
        words += ["--country", country]
    words += shlex.split(smap.describe())
    for option, v, default in (
        ("--min-share", min_share, 0.02),
        ("--min-profile-share", min_profile_share, 0.02),
        ("--utilisation", utilisation, 0.8),
    ):
        if v != default:
            words += [option, f"{v:g}"]
    if waiting != DEFAULT_WAITING:
        words += ["--waiting", waiting]
    if investment:
        words += ["--investment", investment]
    if replay:
        words.append("--replay")
    return shlex.join(words)


def _facts(p: Parts) -> dict[str, Any]:
    """What was fitted, as JSON-safe values."""
    stages = {}
    for s in p.precedence.order:
        sid, f = p.cut.stages[s], p.stages[s]
        a = p.agencies.of_stage[s]
        stages[sid] = {
            "cases": p.cut.cases[s],
            "share": p.profiles.share[s],
            "optional": s in p.profiles.optional,
            "agency": p.agencies.ids[a] if a >= 0 else None,
            "after": [p.cut.stages[b] for b in p.precedence.before(s)],
            "median_first_day": p.precedence.median_first[s],
            **f.facts,
        }
    return {
        "log": p.source,
        "cases": p.log.n_cases,
        "activity_instances": len(p.log),
        "start_date": p.clock.start_date.isoformat(),
        "end_date": p.clock.end_date.isoformat(),
        "mode": "start" if p.start_mode else "lead",
        "stage_by": p.stage_by,
        "left_out": [{"stage": s, "cases": n} for s, n in p.cut.left_out],
        "calendar": {
            "always_open": p.calendar.spec.always_open,
            "weekend": list(p.calendar.spec.weekend),
            "hours": list(p.calendar.spec.hours),
            "country": p.calendar.spec.country,
            **p.calendar.facts,
        },
        "agencies": {
            aid: {"staff": p.staff[a], "groups": p.agencies.groups[aid]} for a, aid in enumerate(p.agencies.ids)
        },
        "edges": [[p.cut.stages[a], p.cut.stages[b]] for a, b in p.precedence.edges],
        "sinks": [p.cut.stages[s] for s in p.precedence.sinks()],
        "end_stage": p.end_stage,
        "profiles": [
            {"class": c.id, "cases": c.cases, "runs": sorted(p.cut.stages[s] for s in c.runs)}
            for c in p.profiles.classes
        ],
        "arrivals": {
            "rate_per_month": p.arrivals.rate_per_month,
            "months": p.arrivals.months,
            "replay": p.replay,
        },
        "stages": stages,
    }
