"""Paired comparison of scenarios with common random numbers.

Every scenario runs replications 0..n-1 with the same root seed, so
replication ``r`` of each sees the same arrivals and, stage by stage, the same
random numbers.  The difference of each KPI is taken replication by
replication (mean over that replication's projects, scenario minus the first
one) and summarised with its own 95 % confidence interval: much tighter than
comparing two independent intervals, and exactly zero for a scenario compared
with itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.analysis.traced import TypicalProject, UnknownProject, check_choice, choose_projects, trace
from sim.core.arguments import bad, callable_or_none, executor_or_none, flag, seed_or_none, sequence, whole
from sim.core.errors import Problem, ScenarioError
from sim.core.kpi import KPIS
from sim.engine.compiled import compile_scenario
from sim.engine.records import ReplicationResult
from sim.runs.pool import pool_for
from sim.runs.precision import Batch, Check, Precision, Sequential, check, precision_rule
from sim.runs.reducer import ReducedReplication
from sim.runs.runner import replications
from sim.runs.stats import Accumulator
from sim.runs.summary import Summary
from sim.scenario.scenario import Scenario
from sim.scenario.targets import check_targets


@dataclass
class Comparison:
    """Summaries of several scenarios run with common random numbers, and their paired differences."""

    scenarios: list[Scenario]
    summaries: list[Summary]
    seed: int
    n: int
    differences: list[dict[str, Accumulator]] = field(default_factory=list)  # per scenario, vs the first
    typical: list[TypicalProject] = field(default_factory=list)
    #: replication 0 of each scenario with its event log, from which the timeline's project is chosen (empty
    #: when compare ran with ``typical=False``)
    traces: list[ReplicationResult] = field(default_factory=list, repr=False, compare=False)
    #: how a comparison with a precision rule ended (compare.json's ``precision``), None without one
    precision: dict[str, Any] | None = None

    @property
    def names(self) -> list[str]:
        """The scenarios' names, the reference first."""
        return [s.name for s in self.scenarios]

    def trace_project(self, project: str | None = None) -> list[TypicalProject]:
        """One project of replication 0 traced in each scenario (:mod:`sim.analysis.traced`): ``"median"``,
        ``"large"``, a project id, or None for the one :attr:`typical` follows.

        Raises:
            ValueError: ``project`` is not one of those, or the comparison ran with ``typical=False``.
        """
        if project is None:
            return self.typical
        if not self.traces:
            raise ValueError("this comparison traced no project: run compare(..., typical=True)")
        return choose_projects(self.traces, self.scenarios, self.summaries, project)

    def summary_dicts(self) -> list[dict[str, Any]]:
        """Each scenario's summary.json content."""
        return [s.to_dict(self.seed) for s in self.summaries]

    def to_dict(self) -> dict[str, Any]:
        """The content of compare.json."""
        dicts = self.summary_dicts()
        return {
            "seed": self.seed,
            "replications": self.n,
            **({} if self.precision is None else {"precision": self.precision}),
            "scenarios": [
                {
                    "name": sc.name,
                    "file": sc.source,
                    "levers": list(sc.levers),
                    "description": sc.description,
                    "summary": summary,
                    "targets": [
                        {
                            "id": checked.target.id,
                            "kpi": checked.target.kpi,
                            "bound": checked.target.describe(),
                            "value": checked.value,
                            "met": checked.met,
                            "source": checked.target.source,
                        }
                        for checked in check_targets(sc.targets, summary)
                    ],
                }
                for sc, summary in zip(self.scenarios, dicts)
            ],
            "differences": [
                {
                    "scenario": sc.name,
                    "versus": self.scenarios[0].name,
                    "kpis": {k: _diff_entry(acc) for k, acc in diff.items()},
                }
                for sc, diff in zip(self.scenarios[1:], self.differences[1:])
            ],
        }


def _diff_entry(acc: Accumulator) -> dict[str, Any]:
    d = acc.to_dict()
    return {"unit": d["unit"], "mean": d["mean"], "ci95": d["ci95"], "n": d["n"]}


def scenario_arg(where: str, name: str, value: object) -> Scenario:
    """``value`` if it is a loaded :class:`Scenario` (a path is not: load it first)."""
    if not isinstance(value, Scenario):
        raise bad(where, name, "a Scenario (from sim.load(path))", value)
    return value


def run_args(
    where: str, n: object, seed: object, jobs: object, executor: object, progress: object
) -> tuple[int, int | None, int]:
    """The arguments every study shares, checked: (n, seed, jobs); ``executor`` and ``progress`` as given."""
    checked = (
        whole(where, "n", n, 1, "replications"),
        seed_or_none(where, seed),
        whole(where, "jobs", jobs, 1, "worker processes"),
    )
    executor_or_none(where, executor)
    callable_or_none(where, "progress", progress, "a function called as progress(done, total)")
    return checked


def replication_means(reduced: ReducedReplication) -> dict[str, float]:
    """Mean of each KPI over one replication's projects (NaN if none reached it)."""
    out = {}
    for kpi, values in reduced.kpis.items():
        reached = values[~np.isnan(values)]
        out[kpi] = float(reached.mean()) if len(reached) else math.nan
    return out


def compare(
    scenarios: list[Scenario],
    n: int = 100,
    seed: int | None = None,
    *,
    jobs: int = 1,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    typical: bool = True,
    timeline_project: str | None = None,
    precision: float | None = None,
    precision_kpis: Sequence[str] | None = None,
) -> Comparison:
    """Run ``scenarios`` with common random numbers and compute paired differences against the first.

    Args:
        scenarios: a list of loaded scenarios, the first the reference (with one alone, there is nothing to
            take differences from, but its summary and figures are made all the same).
        n: replications per scenario (>= 1).
        seed: root seed shared by all (>= 0; default: the first scenario's seed).
        jobs: worker processes (>= 1); results do not depend on it.
        executor: a ``concurrent.futures`` executor instead of a local process pool.
        progress: called as ``progress(done, total)`` after each replication of each scenario.
        typical: also trace replication 0 step by step, for the timeline figure's project.
        timeline_project: the project the timeline follows (:attr:`Comparison.typical`): ``"median"``, ``"large"``
            or a project id of replication 0, checked before the replications run (default: ``"large"`` if the
            first scenario has more than one project class, else ``"median"``; see :mod:`sim.analysis.traced`).
        precision: run replications until the 95 % CI half-width of each paired difference (of the
            ``precision_kpis``, every scenario against the first) is at most ``precision`` x |the first
            scenario's mean| (0 < precision < 1), with ``n`` as the cap (see :func:`sim.run`); with one scenario,
            its own CI.  ``Comparison.n`` is the number run, ``Comparison.precision`` says how it ended.
        precision_kpis: the KPIs of ``precision``, names of :data:`sim.core.kpi.KPIS` (default
            ``approval_workdays`` and ``to_production_months``).

    Raises:
        ValueError: an argument outside what is allowed, named in the message.
        ScenarioError: a ``precision_kpis`` name that is not a KPI.
    """
    where = "sim.compare"
    listed = sequence(where, "scenarios", scenarios, "Scenarios (the first is the reference)")
    scenarios = [scenario_arg(where, f"scenarios[{i}]", sc) for i, sc in enumerate(listed)]
    n, seed, jobs = run_args(where, n, seed, jobs, executor, progress)
    flag(where, "typical", typical)
    if timeline_project is not None and not isinstance(timeline_project, str):
        raise bad(where, "timeline_project", "'median', 'large' or a project id", timeline_project)
    rule = study_precision(where, scenarios[0], precision, precision_kpis, KPIS)
    seed = scenarios[0].seed if seed is None else seed
    compiled = [compile_scenario(sc) for sc in scenarios]
    traces = trace(compiled, seed) if typical else []
    if traces and timeline_project is not None:
        try:
            check_choice(traces, scenarios, timeline_project)
        except UnknownProject as e:
            raise UnknownProject(f"{where}: timeline_project: {e.detail}", e.detail) from None
    summaries = [Summary(cs) for cs in compiled]
    diffs = [{kpi: Accumulator(unit) for kpi, (unit, _) in KPIS.items()} for _ in scenarios]
    with pool_for(jobs, executor) as ex:

        def together(start: int, end: int, signal: Batch | None = None) -> Iterator[tuple[ReducedReplication, ...]]:
            """Replication r of every scenario, for r from ``start`` to ``end`` - 1."""
            streams = [
                replications(cs, end, seed, jobs=jobs, executor=ex, start=start, signal=signal) for cs in compiled
            ]
            try:
                yield from zip(*streams)
            finally:
                for stream in streams:
                    stream.close()

        sequential = None if rule is None else Sequential(rule, n, jobs, lambda: _checks(rule, summaries, diffs), OF)
        done = 0
        for per_scenario in together(0, n) if sequential is None else sequential.run(together):
            means = [replication_means(reduced) for reduced in per_scenario]
            for i, (summary, reduced) in enumerate(zip(summaries, per_scenario)):
                summary.add(reduced)
                for kpi, acc in diffs[i].items():
                    acc.add(np.array([means[i][kpi] - means[0][kpi]]))
                done += 1
                if progress is not None:
                    progress(done, len(scenarios) * (n if sequential is None else sequential.planned))
    cmp = Comparison(list(scenarios), summaries, seed, summaries[0].reps, diffs, traces=traces)
    if sequential is not None:
        cmp.precision = sequential.status
    if typical:
        cmp.typical = choose_projects(traces, scenarios, summaries, timeline_project)
    return cmp


#: what the precision of a comparison is measured on (summary's ``precision.rule``)
OF = " of the reference scenario, for the paired difference of every other scenario from the reference"


def _checks(rule: Precision, summaries: list[Summary], diffs: list[dict[str, Accumulator]]) -> list[Check]:
    """The precision of every paired difference against the first scenario (of the first's own mean, alone)."""
    names = [s.cs.scenario.name for s in summaries]
    reference = summaries[0].kpis
    if len(summaries) == 1:
        return [check(kpi, reference[kpi]) for kpi in rule.kpis]
    return [
        check(kpi, diff[kpi], reference[kpi], name) for name, diff in zip(names[1:], diffs[1:]) for kpi in rule.kpis
    ]


def study_precision(
    where: str, sc: Scenario, precision: object, kpis: object, allowed: Iterable[str], default: tuple[str, ...] = ()
) -> Precision | None:
    """The precision rule of a study, checked: a bad ``precision`` is a ValueError, an unknown KPI a ScenarioError
    naming ``precision_kpis``."""
    rule, problems, unknown = precision_rule(precision, kpis, allowed, *((default,) if default else ()))
    for name, message in problems:
        raise ValueError(f"{where}: {name} {message}")
    if unknown:
        raise ScenarioError([Problem(sc.source, "precision_kpis", message) for message in unknown])
    return rule
