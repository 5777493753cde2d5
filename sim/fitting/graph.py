"""The process's shape from stage visits: which stage follows which, which stages every case runs, and the
case profiles (which optional stages run together).

**Precedence.** A -> B when A's last event is at or before B's first event in at least :data:`FOLLOWS` of the
cases having both (compared by day when either event has no clock time) and B's last at or before A's first
in fewer than :data:`REVERSE`.  Stages are ordered by the median time of their first event after the case's
start; only edges going forward in that order are kept (so there can be no cycle), then the transitive
reduction: A -> C goes when A -> B -> C says it already.

**Profiles.** A stage seen in at least :data:`ALWAYS` of the cases always runs; the others are optional.
Optional stages are correlated in real logs, so a case's *profile* is the set of optional stages it ran; each
profile of at least ``min_profile_share`` of the cases is a class of its own, and the rest form a class
``other`` whose optional stages run independently, each with its share among those cases.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from sim.fitting.visits import Visits

#: how stages follow each other: ``graph``, the precedence found (parallel where the log shows no order);
#: ``sequence``, every stage after the one before it in the order of first events.  In a sequence a stage's
#: time runs from the latest end of the stages before it, so each case's stage times add up to its duration;
#: in a graph, parallel branches drawn independently make a case wait for the slowest, which overstates
#: durations where the log records parallel stages in one burst (as day-granular logs do)
FLOWS = ("graph", "sequence")
#: share of the cases having both in which A ends before B starts, for A -> B
FOLLOWS = 0.9
#: largest share of those cases in which B ends before A starts, for A -> B
REVERSE = 0.05
#: stages seen in at least this share of the cases run for every case
ALWAYS = 0.98


@dataclass(frozen=True)
class Precedence:
    """The stage graph.

    Attributes:
        edges: (before, after) stage numbers, transitively reduced.
        support: (before, after) -> (share A before B, share B before A, cases having both), for every edge
            found before the reduction.
        order: the stages by the median time of their first event after the case's start (a topological order).
        median_first: that median, in calendar days, per stage.
    """

    edges: list[tuple[int, int]]
    support: dict[tuple[int, int], tuple[float, float, int]]
    order: list[int]
    median_first: list[float]

    def before(self, stage: int) -> list[int]:
        """The direct predecessors of ``stage``, in order."""
        return sorted((a for a, b in self.edges if b == stage), key=self.order.index)

    def sinks(self) -> list[int]:
        """The stages no other stage follows, in order."""
        sources = {a for a, _ in self.edges}
        return [s for s in self.order if s not in sources]


def _at_or_before(t0: np.ndarray, day0: np.ndarray, t1: np.ndarray, day1: np.ndarray) -> np.ndarray:
    """t0 <= t1, by day where either has no clock time."""
    by_day = day0 | day1
    return np.where(by_day, np.floor(t0) <= np.floor(t1), t0 <= t1)


def precedence(visits: Visits, case_start: np.ndarray, flow: str = "graph") -> Precedence:
    """The stage graph of ``visits`` (``case_start``: each case's first event, clock days); with ``flow``
    ``"sequence"``, the stages one after the other in :attr:`Precedence.order` instead (see :data:`FLOWS`)."""
    present = visits.present
    n = present.shape[1]
    median_first = [
        float(np.median(visits.first[present[:, s], s] - case_start[present[:, s]])) if present[:, s].any() else 0.0
        for s in range(n)
    ]
    order = sorted(range(n), key=lambda s: (median_first[s], s))
    rank = {s: i for i, s in enumerate(order)}
    support: dict[tuple[int, int], tuple[float, float, int]] = {}
    for a in range(n):
        for b in range(n):
            if a == b or rank[a] > rank[b]:
                continue
            both = present[:, a] & present[:, b]
            k = int(both.sum())
            if not k:
                continue
            fa, la, fb, lb = (
                x[both] for x in (visits.first[:, a], visits.last[:, a], visits.first[:, b], visits.last[:, b])
            )
            da, ea, db, eb = (
                x[both]
                for x in (visits.first_day[:, a], visits.last_day[:, a], visits.first_day[:, b], visits.last_day[:, b])
            )
            ab = float(_at_or_before(la, ea, fb, db).mean())
            ba = float(_at_or_before(lb, eb, fa, da).mean())
            if ab >= FOLLOWS and ba < REVERSE:
                support[(a, b)] = (ab, ba, k)
    if flow == "sequence":
        return Precedence(list(zip(order, order[1:])), support, order, median_first)
    return Precedence(transitive_reduction(n, list(support)), support, order, median_first)


def transitive_reduction(n: int, edges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The edges of the acyclic graph on ``n`` nodes that no longer path implies."""
    reach = np.zeros((n, n), dtype=bool)
    for a, b in edges:
        reach[a, b] = True
    for k in range(n):  # Warshall: reach[i, j] if a path leads from i to j
        reach |= reach[:, [k]] & reach[[k], :]
    return sorted((a, b) for a, b in edges if not (reach[a] & reach[:, b]).any())


@dataclass(frozen=True)
class ProfileClass:
    """A class of cases: those running exactly the optional stages ``runs``, or (``other``) the rest.

    Attributes:
        id: ``profile_1``, ``profile_2``, ... by size, or ``other``.
        cases: the cases of the class.
        runs: the optional stages a profile's cases run (empty for ``other``).
        shares: (``other`` only) each optional stage's share among its cases.
    """

    id: str
    cases: int
    runs: frozenset[int] = frozenset()
    shares: dict[int, float] = field(default_factory=dict)

    @property
    def is_other(self) -> bool:
        """The class of the cases whose profile is too rare for a class of its own."""
        return self.id == OTHER


OTHER = "other"


@dataclass(frozen=True)
class Profiles:
    """Which stages every case runs, which are optional, and the classes of cases by profile.

    Attributes:
        always: stages seen in at least :data:`ALWAYS` of the cases.
        optional: the others.
        share: each stage's share of the cases.
        classes: the profile classes, largest first, ``other`` last.
        member: each case's class number in ``classes``.
    """

    always: list[int]
    optional: list[int]
    share: list[float]
    classes: list[ProfileClass]
    member: np.ndarray


def profiles(present: np.ndarray, min_profile_share: float) -> Profiles:
    """The optional stages of the (cases x stages) ``present`` matrix and the case profiles."""
    n_cases, n = present.shape
    share = present.mean(axis=0).tolist()
    always = [s for s in range(n) if share[s] >= ALWAYS]
    optional = [s for s in range(n) if share[s] < ALWAYS]
    keys = [frozenset(s for s in optional if row[s]) for row in present]
    counts = Counter(keys)
    common = sorted(
        (k for k, c in counts.items() if c >= min_profile_share * n_cases), key=lambda k: (-counts[k], sorted(k))
    )
    classes = [ProfileClass(f"profile_{i}", counts[k], k) for i, k in enumerate(common, 1)]
    if not optional:
        classes = [ProfileClass("profile_1", n_cases, frozenset())]
    chosen = set(common)
    rest = np.array([k not in chosen for k in keys]) if optional else np.zeros(n_cases, dtype=bool)
    number = {k: i for i, k in enumerate(common)}
    member = (
        np.array([number.get(k, len(common)) for k in keys], dtype=np.int64)
        if optional
        else np.zeros(n_cases, np.int64)
    )
    if rest.any():
        sub = present[rest]
        classes.append(
            ProfileClass(OTHER, int(rest.sum()), frozenset(), {s: float(sub[:, s].mean()) for s in optional})
        )
    return Profiles(always, optional, share, classes, member)
