"""Warm-started replications of a backlog: run in order on a process pool or an executor, each reduced in the
worker to the dates of the backlog's files (:class:`ForecastReplication`).

Replication ``r`` draws from ``SeedSequence(seed, spawn_key=(r, ...))`` as every replication does, and a
backlog file from streams keyed by its name, so the results do not depend on the worker, and two forecasts
with the same seed and backlog see the same random numbers file by file (common random numbers).
"""

from __future__ import annotations

import math
import pickle
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from sim.engine.compiled import CompiledScenario
from sim.engine.context import EventRow
from sim.engine.records import FinishedProject, project_kpis
from sim.engine.replication import gc_paused
from sim.engine.warm import WarmReplication, WarmStart
from sim.runs.executors import executor_threads
from sim.runs.pool import Chunk, guarded, in_order, local_pool

INF = math.inf


@dataclass
class ForecastReplication:
    """What one warm-started replication says about the backlog's files (clock times, calendar days).

    Attributes:
        rep: the replication.
        issued: (files, stages): each stage's decision; NaN where the file did not visit the stage (it did not
            apply, or it was decided before the as-of date and not listed), inf where it was not decided by the
            horizon (or the file gave up).
        within: (files, stages): 1 if the decision kept the stage's statutory limit, 0 if not (or if it was
            not decided by the horizon), NaN without a limit or a known first submission.
        permit, production: (files,): when each file reached the construction permit and production (inf:
            not by the horizon).
        capped: (files,): 1 if the file gave up at a rework cap.
    """

    rep: int
    issued: np.ndarray
    within: np.ndarray
    permit: np.ndarray
    production: np.ndarray
    capped: np.ndarray


class ForecastSink:
    """Folds each finished backlog file into the arrays of a :class:`ForecastReplication` (new arrivals are not
    kept)."""

    agency_figures = False  # a forecast reports the backlog's dates only

    def __init__(self, cs: CompiledScenario, rep: int, files: int, stages: list[str]) -> None:
        self.cs, self.rep = cs, rep
        self.first = 0  # set once the replication has numbered its new arrivals
        self.column = {s: k for k, s in enumerate(stages)}
        self.limited = {s.id for s in cs.scenario.stages if s.limit is not None}
        shape = (files, len(stages))
        self.issued = np.full(shape, math.nan)
        self.within = np.full(shape, math.nan)
        self.permit = np.full(files, INF)
        self.production = np.full(files, INF)
        self.capped = np.zeros(files)

    def add(self, project: FinishedProject) -> None:
        """Keep a backlog file's dates."""
        j = project.idx - self.first
        if j < 0:
            return
        for sid, rec in project.visits.items():
            k = self.column[sid]
            issued = rec.issued
            self.issued[j, k] = issued if issued == issued else INF
            if sid in self.limited:
                if rec.within == rec.within:
                    self.within[j, k] = rec.within
                elif issued != issued and rec.submitted == rec.submitted and not rec.capped:
                    self.within[j, k] = 0.0  # not decided by the horizon: late
        _, ms, _, _ = project_kpis(self.cs, project, with_issued=False)
        self.permit[j] = ms[0] if ms[0] == ms[0] else INF
        self.production[j] = ms[3] if ms[3] == ms[3] else INF
        self.capped[j] = float(project.capped)

    def finish(
        self,
        agencies: dict[str, tuple[float, float]],
        series: dict[str, tuple[np.ndarray, np.ndarray]],
        events: list[EventRow] | None,
    ) -> ForecastReplication:
        """The replication's arrays."""
        return ForecastReplication(self.rep, self.issued, self.within, self.permit, self.production, self.capped)


def forecast_replication(
    cs: CompiledScenario, warm: WarmStart, stages: list[str], rep: int, seed: int
) -> ForecastReplication:
    """Replication ``rep`` of ``cs`` started from ``warm``, reduced to the backlog's dates."""
    with gc_paused():
        sink = ForecastSink(cs, rep, len(warm.projects), stages)
        replication = WarmReplication(cs, warm, rep, seed, sink)
        sink.first = replication.first
        result: ForecastReplication = replication.run()
        return result


class _Packed:
    """The compiled scenario and the warm start, pickled once in the parent; unpickled once per worker."""

    def __init__(self, cs: CompiledScenario, warm: WarmStart, stages: list[str]) -> None:
        self.token = uuid.uuid4().hex
        self.data = pickle.dumps((cs, warm, stages), protocol=pickle.HIGHEST_PROTOCOL)


_unpacked: dict[str, tuple[CompiledScenario, WarmStart, list[str]]] = {}


def _chunk(packed: _Packed, reps: list[int], seed: int) -> list[ForecastReplication]:
    got = _unpacked.get(packed.token)
    if got is None:
        if len(_unpacked) >= 4:
            _unpacked.pop(next(iter(_unpacked)))
        got = _unpacked[packed.token] = pickle.loads(packed.data)
    cs, warm, stages = got
    return [_guarded(cs, warm, stages, r, seed) for r in reps]


def _guarded(cs: CompiledScenario, warm: WarmStart, stages: list[str], rep: int, seed: int) -> ForecastReplication:
    """:func:`forecast_replication`, a failure named with its replication and seed."""
    return guarded(rep, seed, lambda: forecast_replication(cs, warm, stages, rep, seed))


#: replications per chunk sent to a worker
CHUNK = 10


def forecast_replications(
    cs: CompiledScenario,
    warm: WarmStart,
    stages: list[str],
    n: int,
    seed: int,
    *,
    jobs: int = 1,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[ForecastReplication]:
    """Replications 0..n-1 of ``cs`` started from ``warm``, in order (serially, on a local pool of ``jobs``
    processes, or on ``executor``); the same results whatever runs them.

    Raises:
        ReplicationFailed: naming the replication and seed of the first one that failed.
    """
    done = 0
    if executor is None and (jobs <= 1 or n == 1):
        for rep in range(n):
            yield _guarded(cs, warm, stages, rep, seed)
            done += 1
            if progress is not None:
                progress(done, n)
        return
    workers = jobs if executor is None else max(jobs, executor_threads(executor), 2)
    size = max(1, min(CHUNK, n // (4 * workers)))
    packed = _Packed(cs, warm, stages)
    chunks = (Chunk(i, _chunk, (packed, list(range(i, min(n, i + size))), seed)) for i in range(0, n, size))
    for batch in in_order(chunks, executor or local_pool(jobs), 4 * workers, seed, own=executor is None):
        for reduced in batch:
            yield reduced
            done += 1
            if progress is not None:
                progress(done, n)
