"""Which lever bought how much: Shapley values over subsets of a scenario's levers.

The value of a lever subset S is the mean of a KPI over the projects of
a replication, with exactly the levers in S on.  All subsets run with the
same seed (common random numbers), so a lever's marginal contribution is
measured replication by replication.  The Shapley value of lever i is its
marginal contribution averaged over all orders in which the levers could be
switched on; the values add up exactly to the difference between all levers
and none.  With more than :data:`EXACT_MAX_LEVERS` levers the orders are
sampled (each sampled order still adds up exactly).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from sim.analysis.compare import replication_means, run_args, scenario_arg
from sim.core.arguments import bad, names, whole
from sim.core.errors import Problem, ScenarioError
from sim.core.kpi import KPIS
from sim.engine.compiled import compile_scenario
from sim.runs.runner import replications_of
from sim.runs.stats import Accumulator
from sim.scenario.scenario import LeverChoice, Scenario

EXACT_MAX_LEVERS = 8
ATTRIBUTED = (
    "approval_workdays",
    "approval_days",
    "to_production_months",
    "submissions",
    "cost_pre_construction_cny",
    "cost_delay_cny",
)


@dataclass
class Attribution:
    """Shapley values of levers for several KPIs."""

    scenario: Scenario
    levers: tuple[str, ...]
    n: int
    seed: int
    exact: bool
    orders: int  # orders averaged (k! when exact)
    subsets_run: int
    base: dict[str, Accumulator]  # KPI with no lever
    full: dict[str, Accumulator]  # KPI with every lever
    shapley: dict[str, dict[str, Accumulator]]  # KPI -> lever -> per-replication Shapley value
    alone: dict[str, dict[str, Accumulator]]  # KPI -> lever -> effect of the lever on its own

    def to_dict(self) -> dict[str, Any]:
        """The content of attribution.json."""
        names = dict(self.scenario.lever_names)

        def entry(acc: Accumulator) -> dict[str, Any]:
            stats = acc.to_dict()
            return {"mean": stats["mean"], "ci95": stats["ci95"]}

        return {
            "scenario": self.scenario.name,
            "file": self.scenario.source,
            "seed": self.seed,
            "replications": self.n,
            "method": "exact Shapley over all subsets" if self.exact else f"Shapley over {self.orders} sampled orders",
            "subsets_run": self.subsets_run,
            "levers": [{"id": i, "name": names.get(i, i)} for i in self.levers],
            "kpis": {
                kpi: {
                    "unit": KPIS[kpi][0],
                    "none": entry(self.base[kpi]),
                    "all": entry(self.full[kpi]),
                    "shapley": {i: entry(self.shapley[kpi][i]) for i in self.levers},
                    "alone": {i: entry(self.alone[kpi][i]) for i in self.levers},
                    "interaction": {i: _sub(self.shapley[kpi][i], self.alone[kpi][i]) for i in self.levers},
                }
                for kpi in self.base
            },
        }


def _sub(a: Accumulator, b: Accumulator) -> float | None:
    x, y = a.to_dict()["mean"], b.to_dict()["mean"]
    return None if x is None or y is None else x - y


def subset_values(
    sc: Scenario,
    subsets: Sequence[tuple[str, ...]],
    n: int,
    seed: int,
    kpis: tuple[str, ...],
    jobs: int,
    executor: Executor | None,
    progress: Callable[[int, int], None] | None = None,
) -> list[np.ndarray]:
    """Per-replication means of ``kpis`` with exactly each subset of levers on: one array (n, len(kpis)) per
    subset.  The subsets run as one stream (:func:`sim.runs.runner.replications_of`): on a pool, no worker
    waits for the last replications of a subset before the next begins."""
    out = [np.empty((n, len(kpis))) for _ in subsets]
    runs = ((compile_scenario(sc.with_levers(list(subset))), n) for subset in subsets)
    for i, reduced in replications_of(runs, seed, jobs=jobs, executor=executor, detail=False):
        means = replication_means(reduced)
        out[i][reduced.rep] = [means[k] for k in kpis]
        if progress is not None and reduced.rep == n - 1:
            progress(i + 1, len(subsets))
    return out


def attribute(
    sc: Scenario,
    n: int = 50,
    seed: int | None = None,
    *,
    levers: LeverChoice = None,
    kpis: tuple[str, ...] = ATTRIBUTED,
    jobs: int = 1,
    executor: Executor | None = None,
    max_orders: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> Attribution:
    """Shapley attribution of ``sc``'s levers (its active ones unless ``levers`` is given).

    Exact over all 2^k subsets for k <= EXACT_MAX_LEVERS; otherwise ``max_orders`` random orders
    (drawn from a generator seeded by ``seed``) and only the subsets they need.

    Args:
        sc: a loaded scenario.
        n: replications per lever subset (>= 1).
        seed: root seed (>= 0; default: the scenario's).
        levers: the levers to attribute: lever ids (a list or tuple), or as ``Scenario.with_levers`` takes
            them ("all", "a,b"); default: those on in ``sc``.  Each must be declared by the scenario.
        kpis: the KPIs to attribute, names of :data:`sim.core.kpi.KPIS`, each once.
        jobs, executor, progress: as for :func:`sim.run`.
        max_orders: sampled orders (>= 1) when there are more than EXACT_MAX_LEVERS levers.

    Raises:
        ValueError: an argument outside what is allowed, named in the message.
        ScenarioError: a lever the scenario does not declare, or no lever at all to attribute.
    """
    where = "sim.attribute"
    sc = scenario_arg(where, "sc", sc)
    n, given_seed, jobs = run_args(where, n, seed, jobs, executor, progress)
    kpis = names(where, "kpis", kpis, KPIS, "KPI")
    max_orders = whole(where, "max_orders", max_orders, 1, "sampled lever orders")
    if levers is not None and not (
        isinstance(levers, str) or (isinstance(levers, (list, tuple)) and all(isinstance(x, str) for x in levers))
    ):
        raise bad(where, "levers", 'None, lever ids (a list or tuple), "all" or "a,b"', levers)
    seed = sc.seed if given_seed is None else given_seed
    levers = sc.levers if levers is None else sc.with_levers(levers).levers  # unknown ids: ScenarioError
    if not levers:
        raise ScenarioError(
            [
                Problem(
                    sc.source,
                    "scenario.levers",
                    "no levers to attribute: switch some on (scenario.levers, or --levers a,b / all)",
                )
            ]
        )
    k = len(levers)
    exact = k <= EXACT_MAX_LEVERS
    if exact:
        orders = None
        subsets = [c for size in range(k + 1) for c in combinations(range(k), size)]
    else:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(2**31,))))
        orders = [tuple(rng.permutation(k).tolist()) for _ in range(max_orders)]
        subsets = sorted({tuple(sorted(o[:j])) for o in orders for j in range(k + 1)}, key=lambda s: (len(s), s))
    named = [tuple(levers[j] for j in subset) for subset in subsets]
    values = dict(zip(subsets, subset_values(sc, named, n, seed, kpis, jobs, executor, progress)))
    phi = _shapley(values, k, orders)
    none, full = values[()], values[tuple(range(k))]

    def acc(col: np.ndarray, kpi: str) -> Accumulator:
        a = Accumulator(KPIS[kpi][0])
        for x in col:
            a.add(np.array([x]))
        return a

    kpi_column = {kpi: j for j, kpi in enumerate(kpis)}
    return Attribution(
        sc,
        levers,
        n,
        seed,
        exact,
        len(orders) if orders is not None else math.factorial(k),
        len(subsets),
        base={kpi: acc(none[:, j], kpi) for kpi, j in kpi_column.items()},
        full={kpi: acc(full[:, j], kpi) for kpi, j in kpi_column.items()},
        shapley={kpi: {levers[i]: acc(phi[i][:, j], kpi) for i in range(k)} for kpi, j in kpi_column.items()},
        alone={
            kpi: {levers[i]: acc(values[(i,)][:, j] - none[:, j], kpi) for i in range(k)}
            for kpi, j in kpi_column.items()
        }
        if all((i,) in values for i in range(k))
        else {kpi: {levers[i]: Accumulator(KPIS[kpi][0]) for i in range(k)} for kpi in kpis},
    )


def _shapley(
    values: dict[tuple[int, ...], np.ndarray], k: int, orders: list[tuple[int, ...]] | None
) -> list[np.ndarray]:
    """Per-replication Shapley values of each lever (list over levers of arrays (n, KPIs))."""
    shape = values[()].shape
    phi = [np.zeros(shape) for _ in range(k)]
    if orders is None:  # exact by the subset formula: weight |S|!(k-|S|-1)!/k!
        for s, v in values.items():
            for i in range(k):
                if i in s:
                    continue
                w = math.factorial(len(s)) * math.factorial(k - len(s) - 1) / math.factorial(k)
                phi[i] += w * (values[tuple(sorted(s + (i,)))] - v)
        return phi
    for order in orders:
        prefix: tuple[int, ...] = ()
        for i in order:
            nxt = tuple(sorted(prefix + (i,)))
            phi[i] += values[nxt] - values[prefix]
            prefix = nxt
    return [p / len(orders) for p in phi]
