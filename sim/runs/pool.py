"""Local worker pools that the parent can stop at once (Ctrl-C, SIGTERM), and replication failures.

Workers ignore SIGINT: the parent decides. When the parent is interrupted it
terminates its workers instead of waiting for their chunks, so an
interrupted run ends promptly and leaves nothing behind.
"""

from __future__ import annotations

import signal
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

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
        # not cancel_futures: the pool marks them broken itself once it sees its workers gone, and on Python
        # 3.11 it fails with a traceback on any that were cancelled first
        ex.shutdown(wait=False)
    else:
        ex.shutdown(wait=True, cancel_futures=True)


def guarded(rep: int, seed: int, fn: Callable[[], T]) -> T:
    """Run one replication; any error becomes :class:`ReplicationFailed` naming it, except a problem of the
    scenario found while running (a :class:`~sim.core.errors.ScenarioError`, e.g. a stage that loops without
    time passing), which is the scenario's, not the replication's."""
    try:
        return fn()
    except ScenarioError:
        raise
    except Exception:
        raise ReplicationFailed(rep, seed, traceback.format_exc()) from None


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
