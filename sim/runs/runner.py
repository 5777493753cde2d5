"""Replications: seeding, parallel execution and streaming aggregation.

Replication ``r`` of a run with seed ``s`` draws only from
``SeedSequence(s, spawn_key=(r, ...))``, so its results do not depend on which
process runs it.  Replications go to workers in chunks through any
``concurrent.futures``-style executor; results come back in replication order
(a bounded window of submitted chunks) and are folded into the summary as they arrive, so memory
does not grow with the number of replications (unless rows are kept).
"""

from __future__ import annotations

import os
import pickle
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from sim.engine.compiled import CompiledScenario, compile_scenario
from sim.engine.replication import Replication, gc_paused
from sim.runs.event_output import EventOutput, parse_formats
from sim.runs.executors import executor_threads
from sim.runs.output import OutputDir
from sim.runs.pool import ReplicationFailed, guarded, local_pool, stop
from sim.runs.reducer import ReducedReplication, Reducer, project_columns, stage_columns
from sim.runs.summary import Summary
from sim.runs.tables import Row, SummaryDict, Table
from sim.scenario.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class RunResult:
    """What a run produced.

    Attributes:
        scenario: the scenario that ran.
        summary: the content of summary.json (``res.summary()`` works too).
        out: the output folder, when one was written.
        project_rows, stage_rows: the rows of projects.csv and stages.csv, when kept.
    """

    scenario: Scenario
    summary: SummaryDict
    out: Path | None = None
    project_rows: list[Row] = field(default_factory=list)
    stage_rows: list[Row] = field(default_factory=list)
    project_header: list[str] = field(default_factory=list)

    @property
    def projects(self) -> Table:
        """One row per project per replication (the columns of projects.csv)."""
        return Table(self.project_header, self.project_rows)

    @property
    def stages(self) -> Table:
        """One row per stage visit (the columns of stages.csv)."""
        return Table(stage_columns(), self.stage_rows)

    def to_dataframe(self, table: str = "projects") -> pd.DataFrame:
        """``projects`` or ``stages`` as a pandas DataFrame (needs pandas)."""
        return {"projects": self.projects, "stages": self.stages}[table].to_dataframe()


def reduced_replication(
    cs: CompiledScenario, rep: int, seed: int, rows: bool = False, events: bool = False
) -> ReducedReplication:
    """Replication ``rep``, each project folded into arrays (and rows) as it finishes."""
    with gc_paused():
        replication: Replication[ReducedReplication] = Replication(cs, rep, seed, Reducer(cs, rep, rows), events)
        return replication.run()


def _one(cs: CompiledScenario, rep: int, seed: int, rows: bool, events: bool) -> ReducedReplication:
    return guarded(rep, seed, lambda: reduced_replication(cs, rep, seed, rows, events))


class _Packed:
    """A compiled scenario pickled once in the parent; a worker unpickles it once per run, not per chunk."""

    def __init__(self, cs: CompiledScenario):
        self.token = uuid.uuid4().hex
        self.data = pickle.dumps(cs, protocol=pickle.HIGHEST_PROTOCOL)


_unpacked: dict[str, CompiledScenario] = {}  # in a worker: the scenarios of the runs it serves lately


def _unpack(packed: _Packed) -> CompiledScenario:
    cs = _unpacked.get(packed.token)
    if cs is None:
        if len(_unpacked) >= 4:
            _unpacked.pop(next(iter(_unpacked)))
        cs = _unpacked[packed.token] = pickle.loads(packed.data)
    return cs


def _run_chunk(packed: _Packed, reps: list[int], seed: int, rows: bool, events: bool) -> list[ReducedReplication]:
    cs = _unpack(packed)
    return [_one(cs, r, seed, rows, events) for r in reps]


def _chunks(reps: list[int], workers: int, most: int = 10) -> list[list[int]]:
    """Consecutive chunks of ``reps``: at most ``most`` replications (a chunk amortises the round trip
    to a worker) and at most an eighth of what is left per worker, so they shrink towards the end and
    the workers finish together instead of one idling through another's long last chunk."""
    out, i = [], 0
    while i < len(reps):
        size = max(1, min(most, -(-(len(reps) - i) // (8 * workers))))
        out.append(reps[i : i + size])
        i += size
    return out


def replications(
    cs: CompiledScenario,
    n: int,
    seed: int,
    *,
    jobs: int = 1,
    rows: bool = False,
    events: bool = False,
    executor: Executor | None = None,
    only: int | None = None,
) -> Iterator[ReducedReplication]:
    """Yield the reduced replications 0..n-1 (or just ``only``) in order, serially or on an executor.

    Raises:
        ReplicationFailed: naming the replication and seed of the first one that failed.
    """
    reps = [only] if only is not None else list(range(n))
    # how many chunks to keep in flight: for another executor, at least its threads (a Dask cluster's)
    workers = jobs if executor is None else max(jobs, executor_threads(executor), 2)
    if executor is None and (jobs <= 1 or len(reps) == 1):
        for rep in reps:
            yield _one(cs, rep, seed, rows, events)
        return
    # small chunks (with CSV rows, four chunks per worker are held in memory)
    chunks = _chunks(reps, workers)
    own = executor is None
    ex = executor or local_pool(jobs)
    packed = _Packed(cs)
    todo = iter(chunks)
    # (first replication of the chunk, future): names the chunk if it is lost
    pending: deque[tuple[int, Future[list[ReducedReplication]]]] = deque()
    interrupted = False
    try:
        # a bounded window of chunks in flight: results are consumed in order and never pile up
        for chunk in islice(todo, 4 * workers):
            pending.append((chunk[0], ex.submit(_run_chunk, packed, chunk, seed, rows, events)))
        while pending:
            first, future = pending.popleft()
            try:
                batch = future.result()
            except ReplicationFailed:
                raise
            except BrokenProcessPool as e:  # a worker died (killed, out of memory): name its chunk
                raise ReplicationFailed(first, seed, f"a worker process died ({e})") from None
            except Exception as e:
                if own:
                    raise
                # another executor lost the chunk (e.g. Dask's KilledWorker, or cancelled: the scheduler went away)
                raise ReplicationFailed(first, seed, f"the executor lost it: {type(e).__name__}: {e}") from None
            if (more := next(todo, None)) is not None:
                pending.append((more[0], ex.submit(_run_chunk, packed, more, seed, rows, events)))
            yield from batch
    except BaseException:
        interrupted = True
        raise
    finally:
        if not (interrupted and isinstance(ex, ProcessPoolExecutor)):
            # (a local pool torn down after an interruption marks its own futures broken; cancelling them first
            # makes its manager thread fail on the cancelled ones, with a traceback, on Python 3.11)
            for _, f in pending:
                f.cancel()
        if own:
            stop(ex, interrupted)


def run(
    scenario: Scenario,
    n: int = 100,
    seed: int | None = None,
    *,
    jobs: int = 1,
    out: str | Path | None = None,
    events: bool = False,
    force: bool = False,
    keep_rows: bool = True,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    only: int | None = None,
    event_formats: Sequence[str] | None = None,
    event_zone: str | None = None,
) -> RunResult:
    """Run ``n`` replications of ``scenario`` and summarise them.

    Args:
        scenario: a loaded scenario (see :func:`sim.load`).
        n: number of replications.
        seed: root seed; the scenario's own ``seed`` when None.
        jobs: worker processes (results are identical for any value).
        out: folder for summary.json, projects.csv, stages.csv (and the event logs); written atomically, and only
            if it is new or empty (:class:`sim.runs.output.OutputDir`; checked before anything runs).
        events: also write the event log, in ``event_formats`` (see :mod:`sim.runs.event_output`).
        force: replace an earlier approval-sim output in ``out`` (never other files, nor the scenario's own).
        keep_rows: keep project and stage rows in memory (``RunResult.projects``, ``.stages``); the
            command line turns this off so that memory does not grow with ``n``.
        executor: a ``concurrent.futures`` executor to run on instead of a local process pool.
        progress: called as ``progress(done, n)`` after each replication.
        only: run just this replication (to rerun one that failed, with the same seed).
        event_formats: the event logs to write, any of ``csv`` (events.csv), ``xes`` (events.xes), ``ocel``
            (events.ocel.json); given, it implies ``events`` (which alone means ``csv``).
        event_zone: the time zone the XES and OCEL logs state their times in (an IANA name); default that of
            the calendar's country, UTC without one.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    formats = parse_formats(",".join(event_formats or ["csv"]))
    events = events or event_formats is not None
    seed = scenario.seed if seed is None else seed
    cs = compile_scenario(scenario)
    summary = Summary(cs)
    rows = out is not None or keep_rows
    result = RunResult(scenario, SummaryDict(), project_header=project_columns(cs))
    outdir = OutputDir(out, force=force, inputs=scenario.files) if out is not None else None
    event_log = None
    try:
        writers = None
        if outdir is not None:
            writers = (
                outdir.csv_writer("projects.csv", project_columns(cs)),
                outdir.csv_writer("stages.csv", stage_columns()),
            )
            if events:
                event_log = EventOutput(outdir, cs, formats, event_zone)
        for i, reduced in enumerate(
            replications(cs, n, seed, jobs=jobs, rows=rows, events=events and rows, executor=executor, only=only), 1
        ):
            summary.add(reduced)
            if writers is not None:
                writers[0].writerows(reduced.project_rows)
                writers[1].writerows(reduced.stage_rows)
                if event_log is not None:
                    event_log.add(reduced)
            if keep_rows:
                result.project_rows.extend(reduced.project_rows)
                result.stage_rows.extend(reduced.stage_rows)
            if progress is not None:
                progress(i, n)
        result.summary = SummaryDict(summary.to_dict(seed))
        if event_log is not None:
            event_log.close()
        if outdir is not None:
            outdir.write_json("summary.json", result.summary)
            result.out = outdir.commit()
    except BaseException:
        if event_log is not None:
            event_log.abort()
        if outdir is not None:
            outdir.abort()
        raise
    return result


def default_jobs() -> int:
    """Worker processes to use by default: the machine's cores."""
    return os.cpu_count() or 1
