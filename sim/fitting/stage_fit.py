"""A stage's durations in working days: effort, lag and rework, measured visit by visit.

A visit is *ready* when the latest of its predecessors present in the case has ended (a skipped predecessor
passes on its own readiness, as in a run; a root is ready at the case's first event).

- **Start-time mode** (start times known): a round's **effort** is the summed working time of its *work*
  instances (the stage's agency as group, an activity not matching ``--waiting``).  Waiting before work counts
  as queueing while, and only while, all the agency's staff were busy (:class:`~sim.fitting.agencies.Busy`);
  a run makes its own queues from the staff, so queueing is left out of every fitted value.
- **Lead-time mode** (completion times only): the effort per round is an ASSUMPTION: ``utilisation`` x staff x
  the working days in which cases arrive / the agency's rounds, the same for every round.
- **Lag**, in both modes: the working days from ready to the visit's last event, less its effort, queueing
  and fix time (at least 0); in a run it follows the last round, as here a visit's last round is followed
  by its notice or sign-off.  (The round-1 time alone would lose the lag of every reworked visit.)
- **Rework**: ``p`` = P(2 or more rounds), ``decay`` = P(3 or more | 2 or more) / p when at least
  :data:`MIN_DECAY_VISITS` visits had 2 rounds (else 1; at most 1), ``max_rounds`` the most rounds seen (2 to
  100), raised until fewer than :data:`MAX_CAPPED` of the visits would be stopped at it (a run stops a
  project found defective ``max_rounds`` times, and no case of a log gave up); ``fix`` = working days from
  a round's last work (or event) to the next round's first event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.fitting.agencies import Busy
from sim.fitting.durations import ZERO, FittedDist, fit_distribution, significant
from sim.fitting.visits import Visit
from sim.scenario.limits import MAX_ROUNDS

#: visits with 2 or more rounds needed to fit ``decay``
MIN_DECAY_VISITS = 10
#: the largest share of visits a run may stop at ``max_rounds`` (no case of a log gave up)
MAX_CAPPED = 0.001


@dataclass(frozen=True)
class Timing:
    """What a stage's durations are measured with.

    Attributes:
        start, end, begin: each instance's start (NaN if unknown), end and first moment, in clock days.
        w_start, w_end, w_begin: the same as cumulative working days of the fitted calendar.
        w_ready: (cases x stages) cumulative working days at which each visit was ready.
        ready: the same in clock days.
        work: each instance is work: a start time and an activity not matching ``--waiting``.
        agency_of: each instance's agency number (-1 none).
        start_mode: durations from start times (else lead-time mode).
        busy: per agency number, when all its staff were busy (start-time mode).
        lead_effort: per agency number, the assumed effort per round (lead-time mode).
    """

    start: np.ndarray
    end: np.ndarray
    begin: np.ndarray
    w_start: np.ndarray
    w_end: np.ndarray
    w_begin: np.ndarray
    w_ready: np.ndarray
    ready: np.ndarray
    work: np.ndarray
    agency_of: np.ndarray
    start_mode: bool
    busy: dict[int, Busy] = field(default_factory=dict)
    lead_effort: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DefectFit:
    """A stage's rework, fitted."""

    p: float
    decay: float
    max_rounds: int
    fix: FittedDist | None
    seen_rounds: int
    visits: int
    reworked: int
    third: int
    decay_note: str


@dataclass(frozen=True)
class StageFit:
    """A stage's fitted durations (None where there is nothing to fit) and the figures behind them."""

    effort: FittedDist | None
    lag: FittedDist | None
    defect: DefectFit | None
    facts: dict[str, Any]


def fit_stage(stage: int, agency: int, visits: list[Visit], t: Timing) -> StageFit:
    """The durations of ``stage`` (served by agency number ``agency``, -1 none) from its ``visits``."""
    efforts: list[float] = []
    lags: list[float] = []
    fixes: list[float] = []
    rounds: list[int] = []
    queued = 0.0
    short = 0  # visits that took time, but less than their effort, queueing and fix time (lag cut to 0)
    for v in visits:
        total, queue, fix = 0.0, 0.0, 0.0
        if agency < 0:
            pass
        elif t.start_mode:
            total, queue, fix, per_round = _start_mode(v, agency, t, fixes)
            efforts += per_round
        else:
            fix = _lead_mode(v, t, fixes)
            total = len(v.rounds) * t.lead_effort.get(agency, 0.0)
        rounds.append(len(v.rounds))
        last = max(t.w_end[i] for i in v.instances)
        sojourn = float(last - t.w_ready[v.case, stage])
        rest = sojourn - total - queue - fix
        lags.append(max(0.0, rest))
        short += sojourn > ZERO and rest < -ZERO  # (a visit of no time, such as a case's first event, tells nothing)
        queued += queue
    k = np.asarray(rounds)
    facts: dict[str, Any] = {
        "visits": len(visits),
        "rounds_mean": float(k.mean()) if len(k) else 0.0,
        "rounds_max": int(k.max()) if len(k) else 0,
        "shorter_than_effort_share": short / max(1, len(visits)),
    }
    if t.start_mode and agency >= 0:
        facts["queue_workdays_mean"] = queued / max(1, len(visits))
    effort = fit_distribution(efforts, "workday", "rounds") if t.start_mode else None
    lag = fit_distribution(lags, "workday", "visits")
    defect = _defect(k, fixes) if agency >= 0 else None
    for name, d in (("effort", effort), ("lag", lag), ("fix", defect.fix if defect else None)):
        if d is not None:
            facts[name] = d.facts
    if defect is not None:
        facts["defect"] = {"p": defect.p, "decay": defect.decay, "max_rounds": defect.max_rounds}
    return StageFit(effort, lag, defect, facts)


def _start_mode(v: Visit, agency: int, t: Timing, fixes: list[float]) -> tuple[float, float, float, list[float]]:
    """(effort, queueing, fix time, effort per round with work) of one visit, from start times."""
    busy = t.busy.get(agency)
    per_round: list[float] = []
    queue = fix = 0.0
    previous_end = np.nan
    for j, r in enumerate(v.rounds):
        work = sorted((i for i in r if t.work[i] and t.agency_of[i] == agency), key=lambda i: t.start[i])
        first = min(r, key=lambda i: t.begin[i])
        if j:
            gap = max(0.0, float(t.w_begin[first] - previous_end))
            fixes.append(gap)
            fix += gap
        cursor = float(t.ready[v.case, v.stage]) if j == 0 else float(t.begin[first])
        effort = 0.0
        for i in work:
            if busy is not None and t.start[i] > cursor:
                queue += busy.workdays(cursor, float(t.start[i]))
            effort += float(t.w_end[i] - t.w_start[i])
            cursor = max(cursor, float(t.end[i]))
        if work:
            per_round.append(effort)
        previous_end = max(t.w_end[i] for i in (work or r))
    return sum(per_round), queue, fix, per_round


def _lead_mode(v: Visit, t: Timing, fixes: list[float]) -> float:
    """The fix time of one visit from completion times: each round's first event after the previous round's end."""
    fix = 0.0
    for before, after in zip(v.rounds, v.rounds[1:]):
        gap = max(0.0, float(min(t.w_begin[i] for i in after) - max(t.w_end[i] for i in before)))
        fixes.append(gap)
        fix += gap
    return fix


def _capped(p: float, decay: float, rounds: int) -> float:
    """The share of visits found defective ``rounds`` times in a row: those a run stops (caps)."""
    return math.prod(p * decay**r for r in range(rounds))


def _defect(k: np.ndarray, fixes: list[float]) -> DefectFit | None:
    n = len(k)
    reworked = int((k >= 2).sum())
    if not n or not reworked:
        return None
    third = int((k >= 3).sum())
    p = reworked / n
    if reworked >= MIN_DECAY_VISITS:
        ratio = (third / reworked) / p
        decay = min(1.0, ratio)
        note = f"P(3+ rounds | 2+) = {third}/{reworked} over p = {significant(ratio, 3)}" + (
            ", capped at 1" if ratio > 1 else ""
        )
    else:
        decay, note = 1.0, f"only {reworked} visits with 2+ rounds (under {MIN_DECAY_VISITS}): no decay"
    p, decay = significant(p, 4), significant(decay, 4)
    seen = int(min(MAX_ROUNDS, max(2, int(k.max()))))
    rounds = seen
    while rounds < MAX_ROUNDS and _capped(p, decay, rounds) > MAX_CAPPED:
        rounds += 1
    return DefectFit(
        p=p,
        decay=decay,
        max_rounds=rounds,
        seen_rounds=seen,
        fix=fit_distribution(fixes, "workday", "round gaps"),
        visits=n,
        reworked=reworked,
        third=third,
        decay_note=note,
    )
