"""Random numbers for the model: uniforms drawn in numpy blocks, one row per (project, stage).

Creating a ``numpy.random.Generator`` costs about 13 microseconds, more than a
whole stage visit should; so the engine does not create one per (project,
stage).  Instead, for each stream key (the projects' own draws, or one stage)
it draws a block of :data:`WIDTH` uniforms for each of :data:`BLOCK`
consecutive projects from the stream ``SeedSequence(seed, spawn_key=(rep, slot,
key))`` (block ``b`` at a fixed offset in it) and hands project ``idx`` its own row.  A row that runs out
(many rework rounds) continues from a generator keyed by the project and the
stage alone.  So a project's draws at a stage depend only on (seed,
replication, project number, stage id), never on the order in which
projects reach the stage or on what other stages do: switching a lever on one
stage leaves every other stage's draws where they were (common random numbers),
and the results do not depend on which worker runs the replication.

Every draw is one uniform, turned into a value by :meth:`sim.scenario.distributions.Dist.quantile`.
"""

from __future__ import annotations

from array import array

import numpy as np

#: projects per block
BLOCK = 128
#: uniforms per (project, stage) row; the first is kept for the agent's effort
WIDTH = 16
_CACHED = 4  # blocks kept per stream key (projects reach a stage roughly in order)
_PROJECT_SLOT = 0  # spawn-key slot of a project's own generators (when a row runs out)
_BLOCK_SLOT = 3  # spawn-key slot of the blocks (1: arrivals, 2: unused)


def generator(seed: int, *key: int) -> np.random.Generator:
    """The generator for spawn key ``key`` below ``SeedSequence(seed)``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


class Draws:
    """The uniforms of one (project, stream) pair, handed out in order by :meth:`u`.

    ``agent`` is the row's first uniform, reserved for the agent's effort, so that agent
    service never shifts the stage's own draws.
    """

    __slots__ = ("row", "pos", "end", "agent", "slot", "_overflow", "_source", "_key", "_idx")

    def __init__(self, row: array, start: int, source: DrawSource, key: int, idx: int) -> None:
        self.row, self.agent = row, row[start]
        self.pos, self.end = start + 1, start + WIDTH
        self._overflow: np.random.Generator | None = None
        self._source, self._key, self._idx = source, key, idx
        #: the spawn-key slot of the generator a row that runs out continues with
        self.slot = _PROJECT_SLOT

    def u(self) -> float:
        """The next uniform in [0, 1)."""
        i = self.pos
        if i < self.end:
            self.pos = i + 1
            return self.row[i]
        if self._overflow is None:  # keyed by the project (and stage) alone
            src, key = self._source, self._key
            stage = () if key == 0 else (key - 1,)
            self._overflow = generator(src.seed, src.rep, self.slot, self._idx, *stage)
        return float(self._overflow.random())

    def u4(self) -> tuple[float, float, float, float]:
        """The next four uniforms (as four calls of :meth:`u`)."""
        i = self.pos
        if i + 4 <= self.end:
            self.pos = i + 4
            return tuple(self.row[i : i + 4])
        return self.u(), self.u(), self.u(), self.u()


def _doubles(gen: np.random.Generator) -> array:
    """The generator's next block of uniforms as an ``array('d')``.

    Most of a row's sixteen uniforms are never read, yet ``ndarray.tolist`` made a Python float of
    each (about 19 ns apiece, 2 % of a plain visit); an array copies the doubles in one go and makes
    a float only of those that are read, with the same values.
    """
    return array("d", gen.random(BLOCK * WIDTH).tobytes())


class DrawSource:
    """Blocks of uniforms for one replication: ``draws(key, idx)`` is project ``idx``'s row for ``key``.

    Block ``b`` of stream ``key`` holds uniforms ``b * BLOCK * WIDTH`` onwards of the generator keyed
    ``(rep, slot, key)``.  Projects mostly ask for blocks in order, so each stream keeps a generator
    positioned at its next block; a block asked for out of order is reached by ``PCG64.advance``,
    which gives the same numbers.
    """

    def __init__(self, seed: int, rep: int) -> None:
        self.seed, self.rep = seed, rep
        self._blocks: dict[int, dict[int, array]] = {}
        self._next: dict[int, tuple[int, np.random.Generator]] = {}  # key -> (next block, generator there)
        self._last: dict[int, tuple[int, array]] = {}  # key -> (block, row) handed out last

    def _block(self, key: int, b: int) -> array:
        nxt = self._next.get(key)
        if nxt is not None and nxt[0] == b:
            gen = nxt[1]
        else:
            bits = np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=(self.rep, _BLOCK_SLOT, key)))
            if b:
                bits.advance(b * BLOCK * WIDTH)
            gen = np.random.Generator(bits)
            if nxt is not None and b < nxt[0]:  # an old block again: leave the running stream alone
                return _doubles(gen)
        row = _doubles(gen)
        self._next[key] = (b + 1, gen)
        return row

    def row(self, key: int, idx: int) -> tuple[array, int]:
        """(block, offset): project ``idx``'s uniforms for stream ``key`` are ``block[offset:offset + WIDTH]``."""
        b = idx // BLOCK
        last = self._last.get(key)  # the block this stream handed out last: usually the one wanted
        if last is None or last[0] != b:
            cache = self._blocks.get(key)
            if cache is None:
                cache = self._blocks[key] = {}
            row = cache.get(b)
            if row is None:
                if len(cache) >= _CACHED:
                    del cache[next(iter(cache))]  # the oldest block
                row = cache[b] = self._block(key, b)
            last = self._last[key] = (b, row)
        return last[1], (idx - b * BLOCK) * WIDTH

    def draws(self, key: int, idx: int) -> Draws:
        """Project ``idx``'s draws for stream ``key`` (0: the project itself, else a stage key + 1).

        A row that runs out continues from the generator keyed (rep, 0, idx) or (rep, 0, idx, stage key).
        """
        block, start = self.row(key, idx)
        return Draws(block, start, self, key, idx)


#: spawn-key slots of the draws of projects keyed by name (a warm start's backlog): rows, and rows run out
_NAMED_SLOT = 4
_NAMED_OVERFLOW_SLOT = 5


def name_key(name: str) -> int:
    """A stable 64-bit integer for a project's name, the key of its own random streams."""
    import hashlib

    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big")


class NamedDrawSource(DrawSource):
    """A :class:`DrawSource` in which projects from number ``first`` on draw from streams keyed by their names.

    A warm start's backlog projects are numbered after the new arrivals; each draws its uniforms for a
    stream (its own, or one stage) from the generator keyed ``(rep, 4, name key, stream)``, and continues a
    row that runs out with the one keyed ``(rep, 5, name key, stream)``.  So a backlog file meets the same
    random numbers in two forecasts whatever else changed (the levers, the staff, the other files):
    forecasts differ by the change alone (common random numbers).  Projects before ``first`` draw as in
    :class:`DrawSource`.
    """

    def __init__(self, seed: int, rep: int, first: int, names: list[str]) -> None:
        super().__init__(seed, rep)
        self.first = first
        self.keys = [name_key(n) for n in names]

    def draws(self, key: int, idx: int) -> Draws:
        """Project ``idx``'s draws for stream ``key``; a named project's from its own generator."""
        if idx < self.first:
            return super().draws(key, idx)
        name = self.keys[idx - self.first]
        row = array("d", generator(self.seed, self.rep, _NAMED_SLOT, name, key).random(WIDTH).tobytes())
        draws = Draws(row, 0, self, key, name)
        draws.slot = _NAMED_OVERFLOW_SLOT
        return draws
