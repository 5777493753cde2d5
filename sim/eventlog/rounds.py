"""Rework rounds: how the events of one case's stage fall into rounds of submission and review.

The rule, the same wherever a log is read for rework (``fit`` estimates a stage's defect rate from it,
``evaluate`` compares rework shares with it): a stage's events are taken in time order, and **a new round
starts at an event whose activity already occurred in the current round**.  A case whose stage has more than
one round had that stage reworked.

In approval-sim's own event logs a defective submission gives ``prepare, queue, review, rework`` then
``queue, review`` again: the second ``queue`` opens round 2.  In a real log an activity logged twice in a row
(a document registered twice) counts as a new round too: a log cut so finely that one round repeats an
activity should be cut into stages by a stage map that keeps such activities apart.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np


def round_numbers(activities: Iterable[Hashable]) -> list[int]:
    """The round (0, 1, ...) of each event of one case's stage, the events in time order: a new round starts
    at an event whose activity already occurred in the current round.

    >>> round_numbers(["prepare", "queue", "review", "rework", "queue", "review", "lag"])
    [0, 0, 0, 0, 1, 1, 1]
    """
    out: list[int] = []
    seen: set[Hashable] = set()
    current = 0
    for activity in activities:
        if activity in seen:
            current += 1
            seen = set()
        seen.add(activity)
        out.append(current)
    return out


def stage_rounds(case: np.ndarray, stage: np.ndarray, activity: np.ndarray) -> np.ndarray:
    """The round of each event within its case and stage (:func:`round_numbers`), -1 where ``stage`` is -1.

    Args:
        case, stage, activity: one entry per event, each case's events together and in time order (as
            :class:`sim.eventlog.model.EventLog` holds them): the case number, the stage number (-1: in no
            stage) and the activity number.
    """
    n = len(case)
    out = np.full(n, -1, dtype=np.int32)
    # per (case, stage): [round, activities seen in it]; a case's events are contiguous, so the state of the
    # previous case can be dropped when the next begins
    state: dict[int, tuple[int, set[int]]] = {}
    previous = None
    for i, (c, s, a) in enumerate(zip(case.tolist(), stage.tolist(), activity.tolist())):
        if c != previous:
            state.clear()
            previous = c
        if s < 0:
            continue
        current, seen = state.get(s, (0, set()))
        if a in seen:
            current, seen = current + 1, set()
        seen.add(a)
        state[s] = (current, seen)
        out[i] = current
    return out
