"""A desk: ``servers`` interchangeable staff (or agents) handed from one file to the next.

The engine's equivalent of ``simpy.Resource`` / ``simpy.PriorityResource`` (first come, first served; with
priorities, lower first and then first come), at a fraction of the cost: a file that finds a free server
takes it at once, without an event; a file that has to wait gets one event, which the server that frees up
triggers, handing itself over directly (nobody can slip in between).
"""

from __future__ import annotations

from collections import deque
from heapq import heappop, heappush

import simpy


class Desk:
    """Servers and the files waiting for them."""

    __slots__ = ("env", "free", "by_priority", "_fifo", "_heap", "_seq")

    def __init__(self, env: simpy.Environment, servers: int, by_priority: bool = False) -> None:
        self.env = env
        self.free = servers
        self.by_priority = by_priority
        self._fifo: deque[simpy.Event] = deque()
        self._heap: list[tuple[int, int, simpy.Event]] = []
        self._seq = 0

    def take(self, priority: int = 0) -> simpy.Event | None:
        """Take a server now (returns None) or an event that fires when one is handed over.

        The event's value is what :meth:`give_back` passes on (the engine: the zone's working time then).
        """
        if self.free:
            self.free -= 1
            return None
        ev = simpy.Event(self.env)
        if self.by_priority:
            self._seq += 1
            heappush(self._heap, (priority, self._seq, ev))
        else:
            self._fifo.append(ev)
        return ev

    def give_back(self, value: float | None = None) -> None:
        """A server is done: hand it to the next file waiting (its event succeeds with ``value``: the engine
        passes the zone's working time now, if it has it), or free it."""
        if self.by_priority:
            if self._heap:
                heappop(self._heap)[2].succeed(value)
                return
        elif self._fifo:
            self._fifo.popleft().succeed(value)
            return
        self.free += 1

    @property
    def queue_length(self) -> int:
        """Files waiting for a server."""
        return len(self._heap) + len(self._fifo)
