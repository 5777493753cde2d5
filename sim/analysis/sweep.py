"""Parameter sweeps and one-at-a-time sensitivity (tornado), with common random numbers.

Every point of a sweep runs the same replications with the same seed, so
differences between points are differences of the parameter, not of luck.
A grid is a mapping of dotted override paths (or ``"levers"``) to lists of
values; the points are their cartesian product.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from sim.analysis.compare import run_args, scenario_arg, study_precision
from sim.core.arguments import bad, sequence
from sim.core.kpi import KPIS
from sim.runs.pool import pool_for
from sim.runs.precision import Precision
from sim.runs.runner import run
from sim.runs.summary import kpi_names
from sim.scenario.scenario import Scenario
from sim.scenario.targets import STATS, kpi_entry


def _scenario_at(base: Scenario, point: Mapping[str, Any]) -> Scenario:
    overrides = {k: v for k, v in point.items() if k != "levers"}
    sc = base.with_overrides(overrides) if overrides else base
    return sc.with_levers(point["levers"]) if "levers" in point else sc


def _measure(
    sc: Scenario, n: int, seed: int, kpi: str, jobs: int, executor: Executor | None, rule: Precision | None = None
) -> dict[str, Any]:
    """Run ``sc`` and return the statistics of ``kpi`` as a sweep point or tornado end keeps them (with a
    precision ``rule``, also the replications run and whether the precision was reached)."""
    rel, kpis = (None, None) if rule is None else (rule.rel, rule.kpis)
    summary = run(
        sc, n=n, seed=seed, jobs=jobs, executor=executor, keep_rows=False, precision=rel, precision_kpis=kpis
    ).summary
    entry = kpi_entry(summary, kpi)
    if entry is None:  # check_kpi accepted the name, so the summary must have it
        raise ValueError(f"the summary of {sc.name!r} has no {kpi!r}")
    return {
        "unit": entry["unit"],
        "mean": entry["mean"],
        "ci_lo": entry["ci95"][0],
        "ci_hi": entry["ci95"][1],
        **{s: entry.get(s) for s in STATS if s not in ("mean", "sd")},
        "n": entry["n"],
        "censored": entry["censored"],
        **({} if rule is None else {"replications": summary["meta"]["replications"]}),
        **({} if rule is None else {"reached": summary["precision"]["reached"]}),
    }


def _rule(where: str, sc: Scenario, kpi: str, precision: object, kpis: object) -> Precision | None:
    """The precision rule of a sweep or tornado (on ``kpi`` unless ``kpis`` names others), checked."""
    return study_precision(where, sc, precision, kpis, kpi_names(sc), (kpi,))


def _precision(rule: Precision | None, n: int, measured: list[dict[str, Any]]) -> dict[str, Any] | None:
    """sweep.json's or tornado.json's ``precision``: the rule, the cap and whether every run reached it."""
    if rule is None:
        return None
    return {
        "rel": rule.rel,
        "kpis": list(rule.kpis),
        "cap": n,
        "reached": all(m["reached"] for m in measured),
        "not_reached": sum(not m["reached"] for m in measured),
        "replications": [m["replications"] for m in measured],
    }


def check_kpi(sc: Scenario, kpi: object, where: str = "kpi") -> str:
    """``kpi`` if it is a KPI of ``sc`` (as targets name them); else ScenarioError, at key path ``where``."""
    from sim.core.errors import Problem, ScenarioError, did_you_mean
    from sim.core.kpi import kpi_names

    names = kpi_names(sc.stage_by_id, sc.class_by_id, sc.agency_by_id)
    if not isinstance(kpi, str) or kpi not in names:
        close = did_you_mean(kpi, names) if isinstance(kpi, str) else ""
        raise ScenarioError(
            [Problem(sc.source, where, f"unknown KPI {kpi!r}{close}; e.g. {', '.join(KPIS)}, stages.<stage id>")]
        )
    return kpi


def _grid(where: str, name: str, grid: object, pairs: bool = False) -> dict[str, list[Any]]:
    """A sweep's grid (path -> values) or a tornado's ranges (path -> (low, high)), checked: a non-empty
    mapping of dotted paths (or "levers"), each to a non-empty list of distinct values, or to exactly two."""
    want = "(low, high)" if pairs else "[value, ...]"
    if not isinstance(grid, Mapping) or not grid:
        raise bad(where, name, f'a non-empty dict of dotted paths (or "levers") to {want}', grid)
    out: dict[str, list[Any]] = {}
    for path, values in grid.items():
        if not isinstance(path, str) or not path.strip() or path != path.strip():
            raise bad(where, f"{name} key", 'a dotted path such as "agencies.planning.staff", or "levers"', path)
        if path == "scenario.levers":
            raise bad(where, f"{name} key", 'the path "levers" for the levers switched on (not scenario.levers)', path)
        listed = sequence(where, f"{name}[{path!r}]", values, "values")
        if pairs and len(listed) != 2:
            raise bad(where, f"{name}[{path!r}]", "a (low, high) pair", values)
        twice = [v for i, v in enumerate(listed) if v in listed[:i]]
        if twice and not pairs:
            raise bad(where, f"{name}[{path!r}]", "a list of distinct values (each point once)", values)
        out[path] = listed
    return out


@dataclass
class SweepResult:
    """One row per grid point: the parameter values and the KPI's statistics."""

    scenario: str
    kpi: str
    parameters: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    n: int = 0
    seed: int = 0
    #: with a precision rule: the rule, the cap ``n`` and whether every point reached it (each row has its
    #: ``replications`` and ``reached``)
    precision: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The content of sweep.json."""
        return {
            "scenario": self.scenario,
            "kpi": self.kpi,
            "parameters": self.parameters,
            "replications": self.n,
            "seed": self.seed,
            **({} if self.precision is None else {"precision": self.precision}),
            "points": self.rows,
        }


def sweep(
    scenario: Scenario,
    grid: Mapping[str, Sequence[Any]],
    n: int = 50,
    seed: int | None = None,
    *,
    kpi: str = "approval_workdays",
    jobs: int = 1,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    precision: float | None = None,
    precision_kpis: Sequence[str] | None = None,
) -> SweepResult:
    """Run ``scenario`` at every point of ``grid`` and measure ``kpi`` (a KPI name as a target gives it).

    Example: ``sweep(sc, {"agencies.planning.staff": [1, 2, 4], "levers": ["none", "all"]}, n=100)``.

    With ``precision`` (0 < precision < 1), each point runs replications until the 95 % CI half-width of
    ``kpi`` (or of each of ``precision_kpis``) is at most ``precision`` x |its mean|, at most ``n`` (see
    :func:`sim.run`); each row then has the ``replications`` it ran and whether the precision was ``reached``.

    Raises:
        ValueError: an argument outside what is allowed (an empty grid, a path without values, a value
            twice, n < 1 ...), named in the message.
        ScenarioError: a path or value the scenario does not take, or an unknown ``kpi``; every point is
            checked before any runs.
    """
    where = "sim.sweep"
    scenario = scenario_arg(where, "scenario", scenario)
    grid = _grid(where, "grid", grid)
    n, given_seed, jobs = run_args(where, n, seed, jobs, executor, progress)
    seed = scenario.seed if given_seed is None else given_seed
    check_kpi(scenario, kpi)
    rule = _rule(where, scenario, kpi, precision, precision_kpis)
    names = list(grid)
    points = [dict(zip(names, values)) for values in itertools.product(*(list(grid[k]) for k in names))]
    scenarios = [_scenario_at(scenario, p) for p in points]  # validates every point before running any
    result = SweepResult(scenario.name, kpi, names, n=n, seed=seed)
    with pool_for(jobs, executor) as ex:
        for i, (point, sc) in enumerate(zip(points, scenarios), 1):
            measured = _measure(sc, n, seed, kpi, jobs, ex, rule)
            result.rows.append({**{k: _show(v) for k, v in point.items()}, **measured})
            if progress is not None:
                progress(i, len(points))
    result.precision = _precision(rule, n, result.rows)
    return result


@dataclass
class TornadoResult:
    """Base value and, per parameter, the KPI at its low and high value (others at base)."""

    scenario: str
    kpi: str
    unit: str
    base: float | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    n: int = 0
    seed: int = 0
    #: with a precision rule: the rule, the cap ``n``, whether every run reached it and the replications of
    #: each (the base first, then each row's low and high)
    precision: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The content of tornado.json."""
        return {
            "scenario": self.scenario,
            "kpi": self.kpi,
            "unit": self.unit,
            "base": self.base,
            "replications": self.n,
            "seed": self.seed,
            **({} if self.precision is None else {"precision": self.precision}),
            "parameters": self.rows,
        }


def tornado(
    scenario: Scenario,
    ranges: Mapping[str, tuple[Any, Any]],
    n: int = 50,
    seed: int | None = None,
    *,
    kpi: str = "approval_workdays",
    jobs: int = 1,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    precision: float | None = None,
    precision_kpis: Sequence[str] | None = None,
) -> TornadoResult:
    """One-at-a-time sensitivity: ``kpi`` with each parameter at its low and at its high value.

    ``ranges`` maps dotted override paths to (low, high), e.g. the assumptions no source gives:
    ``{"agents.staff": (2, 8), "stages.eia.tolerant.fail_p": (0.0, 0.2)}``.  Rows are sorted by swing.
    ``precision`` and ``precision_kpis``: as for :func:`sweep`, for the base run and each end; each row then
    has ``low_replications`` and ``high_replications``.

    Raises:
        ValueError: an argument outside what is allowed (empty ranges, a range that is not a pair, n < 1 ...),
            named in the message.
        ScenarioError: a path or value the scenario does not take, or an unknown ``kpi``; checked before
            anything runs.
    """
    where = "sim.tornado"
    scenario = scenario_arg(where, "scenario", scenario)
    ranges = {path: (low, high) for path, (low, high) in _grid(where, "ranges", ranges, pairs=True).items()}
    n, given_seed, jobs = run_args(where, n, seed, jobs, executor, progress)
    seed = scenario.seed if given_seed is None else given_seed
    check_kpi(scenario, kpi)
    rule = _rule(where, scenario, kpi, precision, precision_kpis)
    variants = [
        (path, which, _scenario_at(scenario, {path: value}))
        for path, (lo, hi) in ranges.items()
        for which, value in (("low", lo), ("high", hi))
    ]
    with pool_for(jobs, executor) as ex:
        base = _measure(scenario, n, seed, kpi, jobs, ex, rule)
        measured = [base]
        values: dict[str, dict[str, Any]] = {
            p: {"parameter": p, "low_value": _show(lo), "high_value": _show(hi)} for p, (lo, hi) in ranges.items()
        }
        for i, (path, which, sc) in enumerate(variants, 1):
            m = _measure(sc, n, seed, kpi, jobs, ex, rule)
            measured.append(m)
            values[path][f"{which}_mean"] = m["mean"]
            values[path][f"{which}_ci_lo"], values[path][f"{which}_ci_hi"] = m["ci_lo"], m["ci_hi"]
            if rule is not None:
                values[path][f"{which}_replications"] = m["replications"]
            if progress is not None:
                progress(i, len(variants))
    rows = list(values.values())
    for r in rows:
        lo, hi = r.get("low_mean"), r.get("high_mean")
        r["swing"] = abs(hi - lo) if lo is not None and hi is not None else math.nan
    rows.sort(key=lambda r: -r["swing"] if not math.isnan(r["swing"]) else 0.0)
    return TornadoResult(scenario.name, kpi, base["unit"], base["mean"], rows, n, seed, _precision(rule, n, measured))


def _show(v: object) -> int | float | str:
    """A value as it goes into a table: numbers and strings as they are, anything else as text."""
    return v if isinstance(v, (int, float, str)) else str(v)


def parse_values(text: str) -> list[Any]:
    """``--vary path=v1,v2,...`` values: a TOML array body (numbers, booleans, quoted strings, tables)
    or, failing that, comma-separated words (e.g. ``none,all``)."""
    import tomllib

    try:
        return list(tomllib.loads(f"v = [{text}]")["v"])
    except tomllib.TOMLDecodeError:
        return [w.strip() for w in text.split(",") if w.strip()]


def kpi_unit(kpi: str) -> str:
    """The unit of a KPI (for labels); '' if not one of :data:`sim.core.kpi.KPIS`."""
    return KPIS.get(kpi, ("", ""))[0]
