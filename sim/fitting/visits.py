"""Stage visits and their rounds, per case, from a log cut into stages by a :class:`StageMap`.

A stage's activity instances in one case form its **visit**.  A visit's instances, in time order, fall into
**rounds**: a new round starts at an instance whose activity already occurred in the current round, so a
review that recurs (approval-sim's own ``STAGE:review``) or a step code that comes back (BPIC's
``08_AWB45_020``) is rework.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.core.errors import LogError, Problem
from sim.eventlog.model import EventLog
from sim.eventlog.rounds import round_numbers
from sim.eventlog.stages import StageMap
from sim.fitting.clock import LogClock


@dataclass(frozen=True)
class StageCut:
    """The stages a log is cut into.

    Attributes:
        stages: the stage ids kept (seen in at least ``min_share`` of the cases), in order of first appearance.
        left_out: (stage id, cases seen in) of those left out.
        stage_of: each activity instance's stage number in ``stages`` (-1: dropped or left out).
        cases: cases each kept stage is seen in.
    """

    stages: list[str]
    left_out: list[tuple[str, int]]
    stage_of: np.ndarray
    cases: list[int]


def cut_stages(log: EventLog, stage_map: StageMap, min_share: float) -> StageCut:
    """Cut ``log`` into the stages of ``stage_map`` seen in at least ``min_share`` of its cases.

    Raises:
        LogError: no stage is left (naming the log and ``--min-share``).
    """
    names, stage_of = stage_map.apply(log)
    seen = np.zeros(len(names), dtype=np.int64)
    ok = stage_of >= 0
    pairs = np.unique(np.stack([log.case[ok].astype(np.int64), stage_of[ok].astype(np.int64)]), axis=1)
    np.add.at(seen, pairs[1], 1)
    keep = seen >= min_share * log.n_cases
    if not keep.any():
        what = "no activity belongs to a stage" if not len(names) else f"no stage is seen in {min_share:.0%} of them"
        raise LogError(
            [
                Problem(
                    log.path,
                    "",
                    f"no stage left to fit: of {log.n_cases:,} cases, {what} (stages by {stage_map.describe()}; "
                    "lower --min-share or change the stage map)",
                )
            ]
        )
    number = np.cumsum(keep) - 1
    remap = np.where(keep, number, -1)
    return StageCut(
        stages=[n for n, k in zip(names, keep) if k],
        left_out=sorted(((n, int(c)) for n, c, k in zip(names, seen, keep) if not k), key=lambda x: -x[1]),
        stage_of=np.where(stage_of >= 0, remap[np.maximum(stage_of, 0)], -1).astype(np.int32),
        cases=[int(c) for c, k in zip(seen, keep) if k],
    )


@dataclass
class Visit:
    """One stage's activity instances in one case.

    Attributes:
        case, stage: the case number and the stage number.
        rounds: the instances (indices into the log) of each round, in time order.
    """

    case: int
    stage: int
    rounds: list[list[int]] = field(default_factory=list)

    @property
    def instances(self) -> list[int]:
        """Every instance of the visit, in time order."""
        return [i for r in self.rounds for i in r]


@dataclass(frozen=True)
class Visits:
    """Every stage visit of a log, and per case and stage its first and last event.

    Attributes:
        visits: the visits, case by case.
        first, last: (cases x stages) clock days of the visit's first event (its earliest start, or end where
            no start is known) and last end; NaN where the case has no visit of the stage.
        first_day, last_day: whether that first or last event has no clock time (compared by day).
    """

    visits: list[Visit]
    first: np.ndarray
    last: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray

    @property
    def present(self) -> np.ndarray:
        """(cases x stages): the case visits the stage."""
        return ~np.isnan(self.first)


def stage_visits(log: EventLog, clock: LogClock, stage_of: np.ndarray, n_stages: int) -> Visits:
    """The visits of each case to each of ``n_stages`` stages (``stage_of``: each instance's stage, -1 none)."""
    shape = (log.n_cases, n_stages)
    first, last = np.full(shape, np.nan), np.full(shape, np.nan)
    first_day, last_day = np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool)
    start_known = ~np.isnan(clock.start)
    begin = np.where(start_known, np.fmin(clock.start, clock.end), clock.end)
    begin_day = np.where(start_known, clock.start % 1.0 == 0.0, log.date_only)
    activity, stage_list = log.activity.tolist(), stage_of.tolist()
    visits: list[Visit] = []
    for _, sl in log.case_slices():
        c = int(log.case[sl.start])
        by_stage: dict[int, list[int]] = {}
        for i in range(sl.start, sl.stop):
            s = stage_list[i]
            if s >= 0:
                by_stage.setdefault(s, []).append(i)
        for s, idx in by_stage.items():
            visit = Visit(c, s)
            numbers = round_numbers(activity[i] for i in idx)  # the rule evaluate measures rework by
            for _ in range(numbers[-1] + 1):
                visit.rounds.append([])
            for i, k in zip(idx, numbers):
                visit.rounds[k].append(i)
            visits.append(visit)
            ix = np.asarray(idx)
            f, la = ix[np.argmin(begin[ix])], ix[np.argmax(clock.end[ix])]
            first[c, s], last[c, s] = begin[f], clock.end[la]
            first_day[c, s], last_day[c, s] = begin_day[f], log.date_only[la]
    return Visits(visits, first, last, first_day, last_day)
