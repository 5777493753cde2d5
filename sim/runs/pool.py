"""Local worker pools that the parent can stop at once (Ctrl-C, SIGTERM), chunks of replications run on
them in order, and replication failures.

Workers ignore SIGINT: the parent decides. When the parent is interrupted it
terminates its workers instead of waiting for their chunks, so an
interrupted run ends promptly and leaves nothing behind.
"""

from __future__ import annotations

import os
import signal
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any, Generic, TypeVar

from sim.core.errors import ScenarioError

T = TypeVar("T")


class ReplicationFailed(RuntimeError):
    """A replication raised an error: names the replication and seed so it can be rerun alone."""

    def __init__(self, rep: int, seed: int, detail: str):
        self.rep, self.seed, self.detail = rep, seed, detail
        super().__init__(
            f"replication {rep} (seed {seed}) failed: {detail.strip().splitlines()[-1]}\n"
            f"rerun it alone with: --seed {seed} --replication {rep}"
        )

    def __reduce__(self) -> tuple[type[ReplicationFailed], tuple[int, int, str]]:  # crosses processes intact
        return ReplicationFailed, (self.rep, self.seed, self.detail)


class OutOfMemory(ReplicationFailed):
    """A replication (or the run folding it in) ran out of memory: a clean message instead of a traceback."""

    def __init__(self, rep: int, seed: int):
        super().__init__(rep, seed, "MemoryError")
        self.args = (
            f"replication {rep} (seed {seed}) ran out of memory: lower the stream's rate (arrivals.stream.rate) "
            "or the horizon, run fewer --jobs, leave out --events, or use a machine with more memory",
        )

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[type[OutOfMemory], tuple[int, int]]:  # type: ignore[override]
        return OutOfMemory, (self.rep, self.seed)


def available_memory() -> tuple[float | None, float | None]:
    """(bytes the machine can still give all processes, bytes this process may still grow by), None if unknown.

    The machine's is the least of the memory the kernel reports available and what the control group (a
    container's limit) leaves; the process's is what its address-space limit (``ulimit -v``) leaves, which a
    forked worker inherits with about this process's size.
    """
    machine: list[float] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    machine.append(float(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),  # cgroup v2
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),  # v1
    ):
        try:
            with open(limit_file, encoding="ascii") as f:
                limit = f.read().strip()
            with open(usage_file, encoding="ascii") as f:
                usage = float(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and float(limit) < 2**60:  # "max" or a huge number: no limit
            machine.append(max(0.0, float(limit) - usage))
    if not machine:
        try:
            machine.append(float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")))
        except (AttributeError, ValueError, OSError):
            pass
    process = None
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            size = 0.0
            with open("/proc/self/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmSize:"):
                        size = float(line.split()[1]) * 1024
            process = max(0.0, soft - size)
    except (ImportError, OSError, ValueError, IndexError):
        pass
    return (min(machine) if machine else None), process


def _worker_signals() -> None:
    # Ctrl-C goes to the whole process group: the parent decides what happens
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # a forked worker inherits the command line's SIGTERM handler, which raises an exception; a worker
    # blocked sending a result to a parent that is gone catches it and blocks again, forever. Terminated
    # workers must simply die.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def local_pool(jobs: int) -> ProcessPoolExecutor:
    """A process pool whose workers leave SIGINT to the parent and die on SIGTERM."""
    return ProcessPoolExecutor(max_workers=jobs, initializer=_worker_signals)


def stop(ex: Executor, interrupted: bool) -> None:
    """Shut a pool down: wait for it normally, terminate its workers when the run was interrupted."""
    if interrupted and isinstance(ex, ProcessPoolExecutor):
        for p in list(getattr(ex, "_processes", {}).values()):  # no public API before Python 3.14
            p.terminate()
        # chunks still queued for the dead workers: the queue's feeder thread may be blocked writing them into a
        # full pipe, and at exit multiprocessing would wait for it forever; drop them instead
        call_queue = getattr(ex, "_call_queue", None)
        if call_queue is not None:
            call_queue.cancel_join_thread()
        # a worker terminated while it sent a result leaves half a message in the result pipe: the pool's manager
        # thread waits for the rest for ever, and the interpreter waits for that thread at exit.  This process
        # holds the pipe's other writing end; closed, the wait ends (end of file) once the workers are gone.
        result_queue = getattr(ex, "_result_queue", None)
        if result_queue is not None:
            for p in list(getattr(ex, "_processes", {}).values()):
                p.join(timeout=5)
            writer = getattr(result_queue, "_writer", None)
            if writer is not None:
                writer.close()
        # not cancel_futures: the pool marks them broken itself once it sees its workers gone, and on Python
        # 3.11 it fails with a traceback on any that were cancelled first
        ex.shutdown(wait=False)
    else:
        ex.shutdown(wait=True, cancel_futures=True)


def guarded(rep: int, seed: int, fn: Callable[[], T]) -> T:
    """Run one replication; any error becomes :class:`ReplicationFailed` naming it, except a problem of the
    scenario found while running (a :class:`~sim.core.errors.ScenarioError`), which is the scenario's, not the
    replication's."""
    try:
        return fn()
    except ScenarioError:
        raise
    except MemoryError:
        pass  # leave the handler first: the replication's frames, and its memory, go with the exception
    except Exception:
        raise ReplicationFailed(rep, seed, traceback.format_exc()) from None
    raise OutOfMemory(rep, seed)


@contextmanager
def pool_for(jobs: int, executor: Executor | None) -> Iterator[Executor | None]:
    """The executor to share across several runs: the caller's, a local pool for ``jobs`` > 1, or None."""
    if executor is not None or jobs <= 1:
        yield executor
        return
    ex = local_pool(jobs)
    interrupted = False
    try:
        yield ex
    except BaseException:
        interrupted = True
        raise
    finally:
        stop(ex, interrupted)


@dataclass(frozen=True)
class Chunk(Generic[T]):
    """Replications to run in a worker: ``fn(*args)`` returns their results, in order; ``first`` (the first
    of them) names the chunk if it is lost."""

    first: int
    fn: Callable[..., list[T]]
    args: tuple[Any, ...]


def in_order(
    chunks: Iterable[Chunk[T]],
    ex: Executor,
    window: int,
    seed: int,
    *,
    own: bool,
    early: Callable[[], bool] = lambda: False,
) -> Generator[list[T], None, None]:
    """Each chunk's results, in the order of ``chunks``, with at most ``window`` chunks in flight on ``ex``.

    Chunks are submitted as earlier ones are consumed, so results never pile up and a long stream (of one
    run, or of several runs one after the other) keeps every worker busy.  A chunk that fails names its
    replication (:class:`ReplicationFailed`).  When the consumer stops early (closes the generator), the
    chunks still queued are cancelled; unless ``early()`` says the stop was planned (a precision reached), it
    counts as an interruption, which also stops ``ex``'s workers if it is a local pool.  ``own``: ``ex`` is
    this stream's own pool, shut down at its end.
    """
    todo = iter(chunks)
    pending: deque[tuple[int, Future[list[T]]]] = deque()
    interrupted = False
    try:
        for chunk in islice(todo, window):
            pending.append((chunk.first, ex.submit(chunk.fn, *chunk.args)))
        while pending:
            first, future = pending.popleft()
            batch = _chunk_result(future, first, seed, own)
            if (more := next(todo, None)) is not None:
                pending.append((more.first, ex.submit(more.fn, *more.args)))
            yield batch
    except GeneratorExit:  # closed by the consumer
        interrupted = not early()
        raise
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


def _chunk_result(future: Future[list[T]], first: int, seed: int, own: bool) -> list[T]:
    """A chunk's results; a chunk lost with its worker, or by another executor, named by its first replication."""
    try:
        return future.result()
    except (ReplicationFailed, ScenarioError):
        raise
    except BrokenProcessPool as e:  # a worker died (killed, out of memory)
        raise ReplicationFailed(first, seed, f"a worker process died ({e})") from None
    except Exception as e:
        if own:
            raise
        # another executor lost the chunk (e.g. Dask's KilledWorker, or cancelled: the scheduler went away)
        raise ReplicationFailed(first, seed, f"the executor lost it: {type(e).__name__}: {e}") from None
