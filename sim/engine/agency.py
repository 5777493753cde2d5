"""An agency during one replication: its staff desk, its sittings and its monitors."""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from simpy.events import EventPriority

from sim.engine.compiled import CompiledAgency
from sim.engine.desk import Desk
from sim.engine.monitor import LevelMonitor, WorkMonitor

#: SimPy's priority of an event scheduled after every URGENT (0) and NORMAL (1) event of the same instant
AFTER_INSTANT = EventPriority(2)


class AfterInstant(simpy.Event):
    """An event at ``now + delay`` that fires after every ordinary event of that instant.

    SimPy orders simultaneous events by (time, priority, id); this one has priority :data:`AFTER_INSTANT`,
    so a sitting sees every file that reaches the panel at the moment it opens, whatever brought the file
    there.  Like :class:`simpy.Timeout`, it is triggered when it is made.
    """

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, AFTER_INSTANT, delay)


class AgencyState:
    """An agency during one replication: staff desk, sittings and monitors."""

    def __init__(self, env: simpy.Environment, agency: CompiledAgency, warmup: float, horizon: float) -> None:
        self.env = env
        self.compiled = agency
        self.spec = agency.spec
        self.calendar = agency.calendar
        self.sitting_times = agency.sitting_times
        self.desk = Desk(env, agency.spec.staff, by_priority=agency.spec.priority is not None)
        self.horizon = horizon
        self.queue = LevelMonitor(warmup, horizon)
        self.work_done = WorkMonitor(agency.calendar, agency.spec.staff, warmup, horizon)
        self._pending: list[tuple[int, int, simpy.Event]] = []  # (priority, seq, event) waiting for a sitting
        self._seq = 0
        self._idle: simpy.Event | None = None  # while no file waits: the sittings' process sleeps on it
        if agency.sitting_times is not None:
            env.process(self._sittings(agency.sitting_times))

    def wait_for_sitting(self, priority: int) -> simpy.Event:
        """An event that fires at the sitting that decides this file."""
        ev = self.env.event()
        self._seq += 1
        heapq.heappush(self._pending, (priority, self._seq, ev))
        if self._idle is not None:
            self._idle.succeed()
            self._idle = None
        return ev

    def _sittings(self, times: np.ndarray) -> Generator[simpy.Event, Any, None]:
        """Hold each sitting of ``times`` that has files waiting, in order; while none waits, sleep until one
        does (a sitting with no file decides nothing, so it need not be an event), then go on with the first
        sitting at or after that instant that has not been held."""
        sittings = self.spec.sittings
        capacity = sittings.capacity if sittings is not None else 0
        env, pending = self.env, self._pending
        at = times.tolist()
        i = bisect.bisect_left(at, env.now)  # the next sitting to hold (a warm start begins later)
        while i < len(at) and at[i] < self.horizon:
            if not pending:
                self._idle = env.event()
                yield self._idle
                i = bisect.bisect_left(at, env.now, i)
                continue
            yield AfterInstant(env, max(0.0, at[i] - env.now))
            i += 1
            for _ in range(min(capacity, len(pending))):
                heapq.heappop(pending)[2].succeed()

    def stats(self) -> tuple[float, float]:
        """(utilisation, mean number waiting for staff) over [warm-up, horizon]."""
        return self.work_done.utilisation(), self.queue.mean()

    def series(self) -> tuple[np.ndarray, np.ndarray]:
        """Weekly (utilisation, mean number waiting) over the whole horizon."""
        return self.work_done.bin_utilisation(), self.queue.bin_means()
