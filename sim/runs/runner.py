"""Replications: seeding, parallel execution and streaming aggregation.

Replication ``r`` of a run with seed ``s`` draws only from
``SeedSequence(s, spawn_key=(r, ...))``, so its results do not depend on which
process runs it.  Replications go to workers in chunks through any
``concurrent.futures``-style executor; results come back in replication order
(a bounded window of submitted chunks) and are folded into the summary as they arrive, so memory
does not grow with the number of replications (unless rows are kept).
"""

from __future__ import annotations

import numbers
import os
import pickle
import uuid
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sim.core.errors import Problem, ScenarioError
from sim.core.output import OutputDir
from sim.core.units import DAYS_PER_YEAR
from sim.engine.compiled import CompiledScenario, compile_scenario
from sim.engine.footprint import footprint
from sim.engine.replication import Replication, gc_paused
from sim.runs.event_output import EventOutput, parse_formats
from sim.runs.executors import executor_threads
from sim.runs.pool import (
    Chunk,
    OutOfMemory,
    available_memory,
    guarded,
    in_order,
    local_pool,
    pool_for,
)
from sim.runs.precision import Batch, Sequential, check, precision_rule
from sim.runs.reducer import ReducedReplication, Reducer
from sim.runs.rows import project_columns, spreadsheet_rows, stage_columns, text_positions
from sim.runs.summary import Summary, kpi_names
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
    cs: CompiledScenario, rep: int, seed: int, rows: bool = False, events: bool = False, detail: bool = True
) -> ReducedReplication:
    """Replication ``rep``, each project folded into arrays (and rows) as it finishes (``detail``: as
    :class:`~sim.runs.reducer.Reducer`)."""
    with gc_paused():
        reducer = Reducer(cs, rep, rows, detail)
        replication: Replication[ReducedReplication] = Replication(cs, rep, seed, reducer, events)
        return replication.run()


def _one(
    cs: CompiledScenario, rep: int, seed: int, rows: bool, events: bool, detail: bool = True
) -> ReducedReplication:
    return guarded(rep, seed, lambda: reduced_replication(cs, rep, seed, rows, events, detail))


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


def _run_chunk(
    packed: _Packed, reps: list[int], seed: int, rows: bool, events: bool, detail: bool = True
) -> list[ReducedReplication]:
    cs = _unpack(packed)
    return [_one(cs, r, seed, rows, events, detail) for r in reps]


#: replications per chunk sent to a worker, at most (1 when the rows of so many would not fit in memory)
CHUNK = 10


def _chunks(reps: Sequence[int], workers: int, most: int = CHUNK) -> Iterator[list[int]]:
    """Consecutive chunks of ``reps``, made as they are asked for (a run of 10^9 replications holds none of
    them in advance): at most ``most`` replications (a chunk amortises the round trip to a worker) and at
    most an eighth of what is left per worker, so they shrink towards the end and the workers finish
    together instead of one idling through another's long last chunk."""
    i = 0
    while i < len(reps):
        size = max(1, min(most, -(-(len(reps) - i) // (8 * workers))))
        yield list(reps[i : i + size])
        i += size


def _workers(jobs: int, executor: Executor | None) -> int:
    """How many chunks are worked on at once: for another executor, at least its threads (a Dask cluster's)."""
    return jobs if executor is None else max(jobs, executor_threads(executor), 2)


def check_memory(
    cs: CompiledScenario,
    n: int,
    *,
    jobs: int = 1,
    rows: bool = False,
    events: bool = False,
    executor: Executor | None = None,
    only: int | None = None,
    keep_rows: bool = False,
) -> int:
    """Refuse a run that cannot fit in this machine's memory, before it starts; the chunk size to use.

    What a run holds: each replication running here (one at a time, or one per local worker process) with its
    projects under way and, when kept, its rows (:func:`sim.engine.footprint.footprint`); in the parent, the
    rows of the replications in flight and, with ``keep_rows``, those of every replication.

    Raises:
        ScenarioError: at the stream's rate (or the named projects), with the estimate and the memory available.
    """
    fp = footprint(cs, rows, events)
    n_run = n if only is None else 1
    pool = executor is None and jobs > 1 and n_run > 1  # local worker processes
    here = executor is None and not pool  # replications run in this process
    workers = min(jobs, n_run) if pool else 0
    machine, process = available_memory()
    ahead = 4 * _workers(jobs, executor) if not here else 0  # chunks in flight
    for most in (CHUNK, 1):  # large rows: one replication a chunk, so that fewer wait in the parent
        window = min(n_run, ahead * most) if not here else 1
        parent = (fp.bytes if here else 0.0) + window * fp.row_bytes + (n_run * fp.row_bytes if keep_rows else 0.0)
        total = parent + workers * fp.bytes
        per_process = max(parent, fp.bytes if pool else 0.0)
        if (machine is None or total <= machine) and (process is None or per_process <= process):
            return most
    if machine is not None and total > machine:
        how = f"{workers} replications at once" if workers > 1 else "the run"
        shortfall = f"{how} about {_size(total)}, but this machine has {_size(machine)} available"
    else:
        shortfall = f"but the process limit (ulimit -v) leaves {_size(process or 0.0)} available"
        if per_process > fp.bytes:
            shortfall = f"this process would hold about {_size(per_process)}, " + shortfall
    sc = cs.scenario
    s = sc.stream
    source = (
        f"a stream of {s.rate_per_day * DAYS_PER_YEAR:,.0f} projects a year" if s is not None else "the named projects"
    )
    late = ""
    if fp.overloaded:
        names = ", ".join(fp.overloaded[:3]) + (f" and {len(fp.overloaded) - 3} more" if len(fp.overloaded) > 3 else "")
        late = f" (agencies {names} get more work than their staff can do)"
    kept = (", with its CSV rows" if rows else "") + (" and events" if events else "")
    fewer = {"arrivals.stream": "lower arrivals.stream.rate", "arrivals.replay": "replay fewer dates"}
    hints = [fewer[s.key] if s is not None else "name fewer projects", "shorten the horizon"]
    if workers > 1 and machine is not None and total > machine:
        hints.append("run fewer --jobs")
    if events:
        hints.append("leave out --events")
    if keep_rows:
        hints.append("pass keep_rows=False")
    raise ScenarioError(
        [
            Problem(
                sc.source,
                {"arrivals.stream": "arrivals.stream.rate", "arrivals.replay": "arrivals.replay.dates"}[s.key]
                if s is not None
                else "arrivals.projects",
                f"the run does not fit in memory: {source} gives about {fp.projects:,.0f} projects per replication, "
                f"up to {fp.alive:,.0f} under way at once{late}; a replication needs about {_size(fp.bytes)}{kept}, "
                f"{shortfall}: {', '.join(hints[:-1])} or {hints[-1]}",
            )
        ]
    )


def _size(b: float) -> str:
    """A number of bytes for people: 5.9 GB, 350 MB."""
    return f"{b / 1e9:.1f} GB" if b >= 1e9 else f"{b / 1e6:.0f} MB"


def check_run_args(
    n: object, seed: object, jobs: object = 1, only: object = None, *, caller: str = "sim.run"
) -> tuple[int, int, int, int | None]:
    """``n``, ``seed``, ``jobs`` and ``only`` as plain ints, checked before anything runs.

    Whole numbers may be Python or numpy integers (not booleans, not floats).

    Raises:
        ScenarioError: naming each bad argument and what is allowed (the command line exits with 2).
    """
    problems = []

    def whole(name: str, value: object, low: int, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < low:
            problems.append(Problem(caller, name, f"must be {what}, got {value!r}"))
            return low
        return int(value)

    out = (
        whole("n", n, 1, "a whole number of replications >= 1"),
        whole("seed", seed, 0, "a whole number >= 0 (the root seed)"),
        whole("jobs", jobs, 1, "a whole number of worker processes >= 1"),
        None if only is None else whole("only", only, 0, "None or a replication number >= 0"),
    )
    if problems:
        raise ScenarioError(problems)
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
    start: int = 0,
    signal: Batch | None = None,
) -> Generator[ReducedReplication, None, None]:
    """The reduced replications ``start``..n-1 (or just ``only``), in order, serially or on an executor.

    The arguments are checked at once (:func:`check_run_args`); replications are made as they are
    consumed, so memory does not depend on ``n``.  Closed early, the stream cancels the replications it has
    queued; ``signal`` (:class:`~sim.runs.precision.Batch`) tells it whether that is a normal end (the
    precision was reached) or an interruption, which also stops a local pool's workers.

    Raises:
        ScenarioError: bad arguments.
        ReplicationFailed: naming the replication and seed of the first one that failed.
    """
    n, seed, jobs, only = check_run_args(n, seed, jobs, only, caller="arguments")
    most = check_memory(cs, n, jobs=jobs, rows=rows, events=events, executor=executor, only=only)
    return _replications(cs, n, seed, jobs, rows, events, executor, only, most, start, signal)


def replications_of(
    runs: Iterable[tuple[CompiledScenario, int]],
    seed: int,
    *,
    jobs: int = 1,
    executor: Executor | None = None,
    detail: bool = True,
) -> Generator[tuple[int, ReducedReplication], None, None]:
    """Several runs one after the other: (run index, reduced replication) for replications 0..n-1 of each
    (compiled scenario, n) of ``runs``, in order, each replication the same as :func:`replications` gives.

    On a pool the runs form one stream: the next run's chunks start while the last ones of a run finish, so
    the workers never wait for each other between runs (the lever subsets of an attribution).  ``runs`` is consumed
    as the stream needs it: each scenario is compiled (and checked for memory) when its turn comes.
    ``detail=False``: the replications are reduced to their KPIs only (:class:`~sim.runs.reducer.Reducer`).

    Raises:
        ScenarioError: bad arguments, or a run that cannot fit in memory.
        ReplicationFailed: naming the replication and seed of the first one that failed.
    """
    _, seed, jobs, _ = check_run_args(1, seed, jobs, None, caller="arguments")
    if executor is None and jobs <= 1:
        for i, (cs, n) in enumerate(runs):
            check_memory(cs, n)
            for rep in range(n):
                yield i, _one(cs, rep, seed, False, False, detail)
        return
    workers = _workers(jobs, executor)
    sizes: deque[tuple[int, int]] = deque()  # (run index, its n) of the runs whose chunks were made

    def chunks() -> Iterator[Chunk[ReducedReplication]]:
        for i, (cs, n) in enumerate(runs):
            most = check_memory(cs, n, jobs=jobs, executor=executor)
            sizes.append((i, n))
            packed = _Packed(cs)
            for c in _chunks(range(n), workers, most):
                yield Chunk(c[0], _run_chunk, (packed, c, seed, False, False, detail))

    own = executor is None
    left = 0
    for batch in in_order(chunks(), executor or local_pool(jobs), 4 * workers, seed, own=own):
        for reduced in batch:
            while not left:  # (a run of no replications yields none)
                i, left = sizes.popleft()
            left -= 1
            yield i, reduced


def _replications(
    cs: CompiledScenario,
    n: int,
    seed: int,
    jobs: int,
    rows: bool,
    events: bool,
    executor: Executor | None,
    only: int | None,
    most: int = CHUNK,
    start: int = 0,
    signal: Batch | None = None,
) -> Generator[ReducedReplication, None, None]:
    reps: Sequence[int] = range(start, n) if only is None else (only,)
    workers = _workers(jobs, executor)  # how many chunks to keep in flight
    if executor is None and (jobs <= 1 or len(reps) == 1):
        for rep in reps:
            yield _one(cs, rep, seed, rows, events)
        return
    # small chunks (with CSV rows, four chunks per worker are held in memory)
    own = executor is None
    ex = executor or local_pool(jobs)
    packed = _Packed(cs)
    chunks = (Chunk(c[0], _run_chunk, (packed, c, seed, rows, events)) for c in _chunks(reps, workers, most))
    early = (lambda: signal.early) if signal is not None else (lambda: False)
    for batch in in_order(chunks, ex, 4 * workers, seed, own=own, early=early):
        yield from batch


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
    precision: float | None = None,
    precision_kpis: Sequence[str] | None = None,
) -> RunResult:
    """Run ``n`` replications of ``scenario`` (with ``precision``, until the KPIs are that precise, at most
    ``n``) and summarise them.

    Args:
        scenario: a loaded scenario (see :func:`sim.load`).
        n: number of replications.
        seed: root seed; the scenario's own ``seed`` when None.
        jobs: worker processes (results are identical for any value).
        out: folder for summary.json, projects.csv, stages.csv (and the event logs); written atomically, and only
            if it is new or empty (:class:`sim.core.output.OutputDir`; checked before anything runs).
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
        precision: run replications until the 95 % CI half-width of each of ``precision_kpis`` is at most
            ``precision`` x |its mean| (0 < precision < 1), checked after each replication from the 10th, with
            ``n`` as the cap (:mod:`sim.runs.precision`); the summary's ``precision`` says how it ended and
            ``meta.replications`` how many ran.  The result depends on the seed only, not on ``jobs``.
        precision_kpis: the KPIs of ``precision`` (default ``approval_workdays`` and ``to_production_months``),
            named as targets name them (``stages.<id>``, ``classes.<class>.<KPI>`` ...).

    Raises:
        ScenarioError: bad arguments (``n`` < 1, a negative seed, a precision outside (0, 1) ...) or a run that
            cannot fit in memory; the command line reports it with exit status 2.
        ReplicationFailed: a replication failed (or ran out of memory), named with its seed.
    """
    n, seed, jobs, only = check_run_args(n, scenario.seed if seed is None else seed, jobs, only)
    formats = parse_formats(",".join(event_formats or ["csv"]))
    events = events or event_formats is not None
    rule, problems, unknown = precision_rule(precision, precision_kpis, kpi_names(scenario))
    problems += [("precision_kpis", message) for message in unknown]
    if rule is not None and only is not None:
        problems.append(("only", "runs one replication, which has no precision: leave out one of the two"))
    if problems:
        raise ScenarioError([Problem("sim.run", name, message) for name, message in problems])
    cs = compile_scenario(scenario)
    summary = Summary(cs)
    rows = out is not None or keep_rows
    events = events and rows
    most = check_memory(cs, n, jobs=jobs, rows=rows, events=events, executor=executor, only=only, keep_rows=keep_rows)
    result = RunResult(scenario, SummaryDict(), project_header=project_columns(cs))
    outdir = OutputDir(out, force=force, inputs=scenario.files) if out is not None else None
    event_log = None
    sequential = None
    with ExitStack() as stack:  # the pool shared by the batches of a precision rule
        try:
            writers = None
            text = (text_positions(project_columns(cs)), text_positions(stage_columns()))
            if outdir is not None:
                writers = (
                    outdir.csv_writer("projects.csv", project_columns(cs)),
                    outdir.csv_writer("stages.csv", stage_columns()),
                )
                if events:
                    event_log = EventOutput(outdir, cs, formats, event_zone)
            rep = 0 if only is None else only  # the replication being received or folded in
            ex = stack.enter_context(pool_for(jobs, executor)) if rule is not None else executor
            stream: Iterator[ReducedReplication]
            if rule is None:
                stream = _replications(cs, n, seed, jobs, rows, events, executor, only, most)
            else:
                kpis = rule.kpis
                sequential = Sequential(
                    rule, n, _workers(jobs, ex), lambda: [check(k, summary.accumulator(k)) for k in kpis]
                )
                stream = sequential.run(
                    lambda start, end, signal: _replications(
                        cs, end, seed, jobs, rows, events, ex, None, most, start, signal
                    )
                )
            for i, reduced in enumerate(stream, 1):
                rep = reduced.rep
                summary.add(reduced)
                if writers is not None:
                    writers[0].writerows(spreadsheet_rows(reduced.project_rows, text[0]))
                    writers[1].writerows(spreadsheet_rows(reduced.stage_rows, text[1]))
                    if event_log is not None:
                        event_log.add(reduced)
                if keep_rows:
                    result.project_rows.extend(reduced.project_rows)
                    result.stage_rows.extend(reduced.stage_rows)
                if progress is not None:
                    progress(i, n if sequential is None else sequential.planned)
                rep += 1
            if sequential is not None:
                summary.precision = sequential.status
            result.summary = SummaryDict(summary.to_dict(seed))
            if event_log is not None:
                event_log.close()
            if outdir is not None:
                outdir.write_json("summary.json", result.summary)
                result.out = outdir.commit()
        except MemoryError:  # here, folding replication i in (one that ran out in a worker is OutOfMemory already)
            if outdir is not None:
                outdir.abort()
            raise OutOfMemory(rep, seed) from None
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
