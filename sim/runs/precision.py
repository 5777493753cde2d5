"""Replications until the KPIs are precise enough: the rule behind ``--precision REL`` and ``precision=``.

The rule: replications are folded in replication order, and after each one, from the
:data:`MIN_REPLICATIONS`-th on, the 95 % confidence interval of every chosen KPI is compared with the mean:
the run stops at the first replication ``n`` at which every half-width is at most ``REL x |mean|``, or at the
cap (``-n``), reporting that the precision was not reached.  For paired differences (``compare``) the
half-width of each difference is compared with ``REL x |mean|`` of the reference scenario's KPI, since a
difference near zero has no relative precision to reach.  With one value per replication of known spread
this is the textbook sequential rule: the first ``n >= 10`` with ``n >= (t(n-1) s / (REL x mean))^2``.

Replications are computed in batches, sized from the spread seen so far (:func:`next_end`), so that the
workers stay busy without running far past the stopping point; but the stopping replication is decided one
replication at a time, in replication order, so ``n`` and every result depend on the seed only, never on the
batch sizes, ``--jobs`` or the executor.  Replication ``r``'s random numbers come from the root seed and
``r`` alone, as in every run.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sim.core.errors import did_you_mean
from sim.runs.stats import Accumulator

T = TypeVar("T")

#: the KPIs whose precision is asked for when none are named
DEFAULT_KPIS = ("approval_workdays", "to_production_months")
#: replications before the rule is first checked (fewer estimate the spread too poorly: Law and Kelton's
#: sequential procedure asks for at least 10)
MIN_REPLICATIONS = 10
#: the rule, as summary.json states it
RULE = (
    "stop at the first replication n >= {min} (or at the cap) at which every chosen KPI's 95 % CI half-width "
    "is at most rel x |mean|{of}"
)


@dataclass(frozen=True)
class Precision:
    """What ``--precision REL --kpi ...`` asks for.

    Attributes:
        rel: the largest 95 % CI half-width allowed, as a share of the mean (0 < rel < 1).
        kpis: the KPIs it applies to (names as targets give them: ``approval_workdays``, ``stages.<id>`` ...).
    """

    rel: float
    kpis: tuple[str, ...]


def precision_problem(value: object) -> str | None:
    """Why ``value`` is not a precision (a number strictly between 0 and 1), or None if it is one."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 < float(value) < 1.0:
        return (
            "must be a number between 0 and 1, exclusive (the largest 95 % CI half-width as a share of the mean, "
            f"e.g. 0.05), got {value!r}"
        )
    return None


def kpi_problems(kpis: object, allowed: Iterable[str]) -> list[str]:
    """What is wrong with ``kpis`` as the KPIs of a precision rule (a non-empty list or tuple of distinct
    names): a name not in ``allowed``, a name given twice."""
    choices = list(allowed)
    out: list[str] = []
    if not isinstance(kpis, (list, tuple)):
        return out
    plain = [c for c in choices if "." not in c]
    more = ", stages.<stage id>, classes.<class>.<KPI> ..." if len(plain) < len(choices) else ""
    for kpi in kpis:
        if kpi not in choices:
            out.append(f"unknown KPI {kpi!r}{did_you_mean(kpi, choices)}; allowed: {', '.join(plain)}{more}")
    out += [f"{k!r} is given twice" for i, k in enumerate(kpis) if k in kpis[:i]]
    return out


def precision_rule(
    precision: object, kpis: object, allowed: Iterable[str], default: tuple[str, ...] = DEFAULT_KPIS
) -> tuple[Precision | None, list[tuple[str, str]], list[str]]:
    """The rule that ``precision=`` and ``precision_kpis=`` ask for (None without a precision), with what is
    wrong: (argument, message) pairs for arguments of the wrong kind, and the messages about KPI names the
    scenario does not have (the caller raises them its own way)."""
    if precision is None:
        if kpis is not None:
            return None, [("precision_kpis", "names the KPIs of a precision rule: give precision too")], []
        return None, [], []
    problems = []
    if (why := precision_problem(precision)) is not None:
        problems.append(("precision", why))
    names = default if kpis is None else kpis
    if not isinstance(names, (list, tuple)) or not names or not all(isinstance(k, str) for k in names):
        problems.append(("precision_kpis", f"must be a non-empty list or tuple of KPI names, got {names!r}"))
        return None, problems, []
    unknown = kpi_problems(names, allowed)
    if problems or unknown or not isinstance(precision, numbers.Real):
        return None, problems, unknown
    return Precision(float(precision), tuple(names)), [], []


@dataclass(frozen=True)
class Check:
    """One KPI's precision at the current number of replications.

    Attributes:
        kpi: its name.
        mean: the mean the precision is relative to (for a difference, the reference scenario's).
        half: the 95 % CI half-width (NaN while it is not defined).
        scenario: for a paired difference, the scenario compared with the reference.
    """

    kpi: str
    mean: float
    half: float
    scenario: str | None = None

    def target(self, rel: float) -> float:
        """The largest half-width allowed."""
        return rel * abs(self.mean)

    def ratio(self, rel: float) -> float:
        """Half-width over the largest allowed: at most 1 when met (inf when it cannot be told)."""
        target = self.target(rel)
        if not (math.isfinite(self.half) and math.isfinite(target)):
            return math.inf
        if target == 0.0:
            return 0.0 if self.half == 0.0 else math.inf
        return self.half / target

    def met(self, rel: float) -> bool:
        """Whether the half-width is within the allowed."""
        return self.ratio(rel) <= 1.0


def check(kpi: str, acc: Accumulator, reference: Accumulator | None = None, scenario: str | None = None) -> Check:
    """The precision of ``acc``'s mean (relative to ``reference``'s mean, if given)."""
    lo, hi = acc.ci95()
    ref = acc if reference is None else reference
    return Check(kpi, ref.s / ref.k if ref.k else math.nan, (hi - lo) / 2.0, scenario)


def next_end(done: int, cap: int, checks: Sequence[Check], rel: float, workers: int) -> int:
    """Where the next batch of replications ends: where the spread so far says the rule will be met (a half-width
    shrinks as one over the square root of the replications), at most twice as far as now, at least two per
    worker more, and never past the cap."""
    need = done
    for c in checks:
        ratio = c.ratio(rel)
        if ratio > 1.0:
            need = max(need, math.ceil(done * ratio * ratio) if math.isfinite(ratio) else 2 * done)
    return min(cap, max(done + 2 * max(1, workers), min(need, 2 * done)))


class Batch:
    """What a batch of replications is told when it is closed: ``early`` if the rule was met (a normal end, its
    queued replications are cancelled), not if the run was interrupted."""

    def __init__(self) -> None:
        self.early = False


class Sequential:
    """Runs replications batch by batch until ``rule`` is met or ``cap`` are done; :attr:`status` says how it
    ended (summary.json's ``precision``).

    ``batch(first, end, signal)`` yields the replications ``first .. end - 1`` in order; ``measure()`` gives the
    :class:`Check` of every KPI once the caller has folded in each replication it was handed.
    """

    def __init__(
        self, rule: Precision, cap: int, workers: int, measure: Callable[[], list[Check]], of: str = ""
    ) -> None:
        self.rule, self.cap, self.workers, self.measure, self.of = rule, cap, workers, measure, of
        self.done = 0
        #: the end of the batch under way: the replications planned so far (for a progress bar)
        self.planned = min(cap, max(MIN_REPLICATIONS, 2 * workers))
        self.status: dict[str, Any] | None = None

    def run(self, batch: Callable[[int, int, Batch], Iterator[T]]) -> Iterator[T]:
        """The replications, each handed over to be folded in before the rule is checked."""
        rel, cap = self.rule.rel, self.cap
        while True:
            signal = Batch()
            stream = batch(self.done, self.planned, signal)
            try:
                for item in stream:
                    yield item
                    self.done += 1
                    if self.done >= min(MIN_REPLICATIONS, cap):
                        checks = self.measure()
                        if all(c.met(rel) for c in checks) or self.done >= cap:
                            self.status = self._status(checks)
                            signal.early = True
                            return
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
            if self.done < MIN_REPLICATIONS:
                self.planned = min(cap, max(MIN_REPLICATIONS, self.done + 2 * max(1, self.workers)))
            else:
                self.planned = next_end(self.done, cap, self.measure(), rel, self.workers)

    def _status(self, checks: list[Check]) -> dict[str, Any]:
        rel = self.rule.rel
        worst = max(checks, key=lambda c: c.ratio(rel))
        reached = all(c.met(rel) for c in checks)

        def num(x: float) -> float | None:
            return float(x) if math.isfinite(x) else None

        return {
            "rel": rel,
            "kpis": list(self.rule.kpis),
            "rule": RULE.format(min=MIN_REPLICATIONS, of=self.of),
            "replications": self.done,
            "cap": self.cap,
            "reached": reached,
            "bound_by": worst.kpi if worst.scenario is None else f"{worst.kpi} ({worst.scenario})",
            "checks": [
                {
                    "kpi": c.kpi,
                    **({} if c.scenario is None else {"scenario": c.scenario}),
                    "mean": num(c.mean),
                    "half_width": num(c.half),
                    "target": num(c.target(rel)),
                    "met": c.met(rel),
                }
                for c in checks
            ],
        }
