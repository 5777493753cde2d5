"""Calibration targets: facts a scenario must reproduce, checked against a run's summary.

A scenario declares them under ``[targets.<id>]``::

    [targets.pre_reform_time]
    kpi = "approval_workdays"             # a KPI, "stages.<id>", "same_day.<id>",
                                          # "classes.<class>.<KPI>" or "agencies.<id>.utilisation"
    stat = "p50"                          # mean, sd, p10, p50 or p90
    value = 137                           # with tolerance; or min and/or max
    tolerance = 20
    source = "china.com 2017-08-18: LNA approval 137 working days before the reform"
    levers = "none"                       # optional: the lever set the fact belongs to
                                          # ("none", "all" or a list); absent = any
    enabled = false                       # optional: drop a target inherited through extends

A target applies only when the scenario runs with exactly its lever set, so a
scenario file can hold the facts of the pre-reform and the reformed process
side by side.  A target is met when the statistic lies within its bounds.  The measured
value is reported with the 95 % confidence interval of the mean when the
statistic is the mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.scenario.schema import Reader

STATS = ("mean", "sd", "p10", "p50", "p90")


@dataclass(frozen=True)
class Target:
    """One calibration fact: a statistic of a KPI within [lo, hi], with its source."""

    id: str
    kpi: str
    stat: str
    lo: float | None
    hi: float | None
    source: str
    levers: tuple[str, ...] | None = None

    def applies(self, active: tuple[str, ...]) -> bool:
        """Whether the target belongs to a run with the levers ``active``."""
        return self.levers is None or set(self.levers) == set(active)

    def describe(self) -> str:
        """The bound as text, e.g. 'p50 in [117, 157]' or 'mean >= 0.9'."""
        if self.lo is not None and self.hi is not None:
            return f"{self.stat} in [{self.lo:g}, {self.hi:g}]"
        return f"{self.stat} >= {self.lo:g}" if self.lo is not None else f"{self.stat} <= {self.hi:g}"


def parse_targets(r: Reader, raw: Any, declared: tuple[str, ...] = ()) -> tuple[Target, ...]:
    """Validate ``[targets.<id>]`` tables (KPI names are checked against the scenario later)."""
    out = []
    for key, v in r.id_table(raw, "targets").items():
        path = f"targets.{key}"
        t = r.table(
            v,
            path,
            ("kpi", "stat", "value", "tolerance", "min", "max", "source", "levers", "enabled"),
            required=("kpi", "source"),
        )
        if not r.boolean(t, "enabled", path, True):  # a scenario that extends another may drop its targets
            continue
        levers = None
        if "levers" in t:
            lv = t["levers"]
            if lv in ("all", "none"):
                levers = tuple(declared) if lv == "all" else ()
            elif isinstance(lv, list) and all(isinstance(x, str) for x in lv):
                levers = tuple(lv)
                for x in lv:
                    if x not in declared:
                        r.error(f"{path}.levers", f"unknown lever {x!r}; declared: {', '.join(declared) or 'none'}")
            else:
                r.error(f"{path}.levers", f'must be "all", "none" or a list of lever ids, got {lv!r}')
        stat = r.string(t, "stat", path, "mean", choices=STATS)
        lo = r.number(t, "min", path, None)
        hi = r.number(t, "max", path, None)
        if "value" in t:
            value = r.number(t, "value", path, 0.0)
            tol = r.number(t, "tolerance", path, 0.0, lo=0)
            if lo is not None or hi is not None:
                r.error(path, "give either value (with tolerance) or min/max, not both")
            lo, hi = value - tol, value + tol
        elif "tolerance" in t:
            r.error(f"{path}.tolerance", "a tolerance needs a value")
        if lo is None and hi is None:
            r.error(path, "give value (with tolerance), min or max")
        elif lo is not None and hi is not None and lo > hi:
            r.error(path, f"min ({lo:g}) is above max ({hi:g})")
        out.append(Target(key, r.string(t, "kpi", path, ""), stat, lo, hi, r.string(t, "source", path, ""), levers))
    return tuple(out)


def kpi_entry(summary: Mapping[str, Any], kpi: str) -> dict[str, Any] | None:
    """The statistics dict of ``kpi`` in a run summary, or None if there is no such KPI."""
    parts = kpi.split(".")
    if len(parts) == 1:
        return summary["kpis"].get(kpi)
    head = parts[0]
    if head in ("stages", "same_day") and len(parts) == 2:
        return summary.get(head, {}).get(parts[1])
    if head == "classes" and len(parts) == 3:
        return summary.get("classes", {}).get(parts[1], {}).get(parts[2])
    if head == "agencies" and len(parts) == 3:
        return summary.get("agencies", {}).get(parts[1], {}).get(parts[2])
    return None


@dataclass(frozen=True)
class TargetResult:
    """A target checked against a summary."""

    target: Target
    value: float | None
    ci95: tuple[float | None, float | None] | None
    met: bool


def check_targets(targets: Iterable[Target], summary: Mapping[str, Any]) -> list[TargetResult]:
    """Check the targets that apply to the run's levers; a KPI with no value counts as missed."""
    out = []
    active = tuple(summary["meta"].get("levers", ()))
    for t in targets:
        if not t.applies(active):
            continue
        entry = kpi_entry(summary, t.kpi)
        value = None if entry is None else entry.get(t.stat)
        met = value is not None and (t.lo is None or value >= t.lo) and (t.hi is None or value <= t.hi)
        ci = tuple(entry["ci95"]) if entry is not None and t.stat == "mean" else None
        out.append(TargetResult(t, value, ci, bool(met)))
    return out
