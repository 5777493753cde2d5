"""From reduced replications to the summary.

:class:`~sim.runs.reducer.Reducer` runs in the worker: it turns a replication's
finished projects into KPI arrays and, when asked, CSV rows.  :class:`Summary`
runs in the parent: it folds the reduced replications, in replication order,
into streaming accumulators and renders ``summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.core.kpi import AGENCY_KPIS, KPIS
from sim.core.units import REPORTED_UNITS
from sim.engine.compiled import CompiledScenario
from sim.runs.reducer import PER_CLASS, ReducedReplication, per_kpi
from sim.runs.stats import Accumulator, t975
from sim.scenario.scenario import Scenario


class SeriesAccumulator:
    """Mean and 95 % confidence band across replications, element by element (NaN elements are skipped).

    The values may be any shape: :class:`Summary` keeps all its weekly series as the rows of one matrix.
    """

    def __init__(self) -> None:
        self.n: np.ndarray | None = None
        self.s: np.ndarray | None = None
        self.s2: np.ndarray | None = None
        self._band: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def add(self, v: np.ndarray) -> None:
        """Add one replication's values (the same shape every time)."""
        ok = ~np.isnan(v)
        x = np.where(ok, v, 0.0)
        self._band = None
        if self.n is None:
            self.n, self.s, self.s2 = ok.astype(float), x.copy(), x * x
        else:
            self.n += ok
            self.s += x
            self.s2 += x * x

    def band(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean, low, high) per element; the band is the 95 % CI of the mean across replications."""
        if self._band is None:
            n, s, s2 = self.n, self.s, self.s2
            if n is None or s is None or s2 is None:
                raise ValueError("no replication was added yet")
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = s / n
                var = (s2 - n * mean * mean) / (n - 1)
                df = n.astype(int) - 1
                t = np.array([t975(k) if k >= 1 else np.nan for k in range(int(df.max(initial=0)) + 1)])[
                    np.maximum(df, 0)
                ]
                t[df < 1] = np.nan
                half = t * np.sqrt(np.maximum(var, 0.0) / n)
            self._band = (mean, mean - half, mean + half)
        return self._band


class SeriesRow:
    """One named series of a :class:`SeriesAccumulator` matrix (what the plots ask for)."""

    def __init__(self, table: SeriesAccumulator, row: int):
        self.table, self.row = table, row

    @property
    def n(self) -> np.ndarray | None:
        """Replications counted per bin (None before any)."""
        return None if self.table.n is None else self.table.n[self.row]

    def band(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean, low, high) per weekly bin."""
        mean, low, high = self.table.band()
        return mean[self.row], low[self.row], high[self.row]


@dataclass
class Summary:
    """Streaming aggregate of reduced replications into the summary.json structure."""

    cs: CompiledScenario
    kpis: dict[str, Accumulator] = field(default_factory=dict)
    stages: dict[str, Accumulator] = field(default_factory=dict)
    agencies: dict[str, tuple[Accumulator, Accumulator]] = field(default_factory=dict)
    same_day: dict[str, Accumulator] = field(default_factory=dict)
    classes: dict[str, dict[str, Accumulator]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    series: dict[str, SeriesRow] = field(default_factory=dict)  # weekly series by name: rows of _series
    phase_totals: dict[tuple[str, str], float] = field(default_factory=dict)
    path_totals: dict[tuple[str, str], float] = field(default_factory=dict)  # (stage, category) on critical paths
    reps: int = 0
    #: how a run with a precision rule ended (summary.json's ``precision``), None without one
    precision: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # a share of 0/1 outcomes has a mean but no meaningful quantiles
        self.kpis = {kpi: Accumulator(unit, quantiles=unit != "share") for kpi, (unit, _) in KPIS.items()}
        sc = self.cs.scenario
        self.stages = {stage.id: Accumulator("workday" if stage.agency is not None else "day") for stage in sc.stages}
        self.agencies = {agency: (Accumulator("share"), Accumulator("files")) for agency in self.cs.agencies}
        self.same_day = {
            stage.id: Accumulator("share", quantiles=False) for stage in sc.stages if stage.agency is not None
        }
        self.classes = {cls.id: {kpi: Accumulator(KPIS[kpi][0]) for kpi in PER_CLASS} for cls in sc.classes}

    def accumulator(self, kpi: str) -> Accumulator:
        """The statistics of ``kpi``, named as in :func:`kpi_names` (``stages.<id>``, ``agencies.<id>.utilisation``
        ...); KeyError for another name."""
        if kpi in self.kpis:
            return self.kpis[kpi]
        section, _, rest = kpi.partition(".")
        if section == "stages":
            return self.stages[rest]
        if section == "same_day":
            return self.same_day[rest]
        if section == "classes":
            cls, _, name = rest.partition(".")
            return self.classes[cls][name]
        if section == "agencies":
            agency, _, which = rest.rpartition(".")
            utilisation, mean_queue = self.agencies[agency]
            return {"utilisation": utilisation, "mean_queue": mean_queue}[which]
        raise KeyError(kpi)

    def add(self, reduced: ReducedReplication) -> None:
        """Fold in the next replication (in replication order)."""
        self.reps += 1
        # the array work was done in the worker: one row of reduced.batches per array, in the same order
        for acc, values, (sb, nb, m2b, censored) in zip(per_kpi(self), reduced.arrays(), reduced.batches.tolist()):
            acc.add_batch(values, sb, int(nb), m2b, int(censored))
        for agency, (utilisation, mean_queue) in self.agencies.items():
            busy, waiting = reduced.agencies[agency]
            utilisation.add(np.array([busy]))
            mean_queue.add(np.array([waiting]))
        for name, count in reduced.counts.items():
            self.counts[name] = self.counts.get(name, 0) + count
        if reduced.series:  # every series has one value per weekly bin: one matrix, one update
            if not self.series:
                self._series = SeriesAccumulator()
                self.series = {name: SeriesRow(self._series, i) for i, name in enumerate(reduced.series)}
            self._series.add(np.stack([reduced.series[name] for name in self.series]))
        for key, days in reduced.phase_split.items():
            self.phase_totals[key] = self.phase_totals.get(key, 0.0) + days
        for key, days in reduced.approval_path.items():
            self.path_totals[key] = self.path_totals.get(key, 0.0) + days

    def warnings(self) -> list[str]:
        """What a reader of the KPIs must know: projects capped, censored or that needed no approval, KPIs that
        could not be measured for another reason than censoring, agencies without working time."""
        out = []
        counts, n = self.counts, self.counts.get("projects", 0)
        if counts.get("capped"):
            out.append(
                f"{counts['capped']} of {n} projects stopped at a stage's rework cap (defect.max_rounds) and are "
                "censored in every KPI after it"
            )
        missing = n - counts.get("reached_production", 0) - counts.get("capped", 0)
        if n and missing:
            out.append(
                f"{missing} of {n} projects had not reached production by the end date "
                f"{self.cs.scenario.end_date} (censored, not dropped): extend scenario.end_date"
            )
        if counts.get("permit_without_application"):
            stage = self.cs.milestone_at[0][0]
            out.append(
                f"{counts['permit_without_application']} of {n} projects passed the construction permit (stage "
                f"{stage!r}) without submitting anything before it (the stages up to it were skipped for them): "
                "their approval time is 0, their submissions and costs to the permit 0"
            )
        if n == 0:
            out.append("no project was counted: check the arrivals, the horizon and warmup_days")
        for kpi, acc in self.kpis.items():
            if n and acc.n == 0 and acc.censored == 0:
                out.append(f"{kpi} could not be measured: {self._unmeasured(kpi)}")
        for agency, compiled in self.cs.agencies.items():
            if compiled.calendar.workdays_between(0.0, self.cs.horizon) <= 0:
                out.append(f"agency {agency!r} has no working time in the horizon: its files never move")
        return out

    def _unmeasured(self, kpi: str) -> str:
        """Why ``kpi`` has no value although projects were counted and none was censored."""
        if kpi == "within_limit_share":
            if not any(s.limit is not None for s in self.cs.scenario.stages):
                return "no stage has a time limit (stages.<id>.limit)"
            return "no counted project was decided at a stage with a time limit (they skipped those stages)"
        return "no counted project has a value for it"

    def notes(self, summary: dict[str, Any]) -> list[str]:
        """The notes of the statistics in ``summary`` (the :meth:`to_dict` content) that are null for a reason of
        their own (values too large for floating point), each with its key path."""
        out = []
        for section in ("kpis", "stages", "same_day"):
            for name, stats in summary[section].items():
                if "note" in stats:
                    out.append(f"{section}.{name}: {stats['note']}")
        for agency, kinds in summary["agencies"].items():
            out += [f"agencies.{agency}.{k}: {stats['note']}" for k, stats in kinds.items() if "note" in stats]
        for cls, kpis in summary["classes"].items():
            out += [f"classes.{cls}.{k}: {stats['note']}" for k, stats in kpis.items() if "note" in stats]
        return out

    def phase_split(self) -> dict[tuple[str, str], float]:
        """Mean time per counted project by (phase, category): working days (build: calendar days)."""
        n = self.counts.get("projects", 0)
        return {k: v / n for k, v in self.phase_totals.items()} if n else {}

    def approval_path(self) -> dict[tuple[str, str], float]:
        """Mean approval time along the critical path by (stage, category), in working days per counted project
        that reached the construction permit: the parts add up to the mean of ``approval_workdays``
        (:mod:`sim.runs.critical_path`)."""
        n = self.kpis["approval_workdays"].n
        return {k: v / n for k, v in self.path_totals.items()} if n else {}

    def to_dict(self, seed: int) -> dict[str, Any]:
        """The summary.json content: strict JSON (a statistic that is not a finite number is null, and its
        ``note`` says why; the notes are repeated in the warnings)."""
        sc = self.cs.scenario
        out: dict[str, Any] = {
            "meta": {
                "scenario": sc.name,
                "file": sc.source,
                "seed": seed,
                "replications": self.reps,
                "start_date": sc.start_date.isoformat(),
                "end_date": sc.end_date.isoformat(),
                "warmup_days": sc.warmup_days,
                "levers": list(sc.levers),
                "reform_date": sc.reform_date.isoformat() if sc.reform_date else None,
                "one_off_cny": sc.one_off_cny,
                "units": dict(REPORTED_UNITS),
            },
            "kpis": {kpi: {**acc.to_dict(), "what": KPIS[kpi][1]} for kpi, acc in self.kpis.items()},
            "stages": {stage: acc.to_dict() for stage, acc in self.stages.items()},
            "agencies": {
                agency: {"utilisation": utilisation.to_dict(), "mean_queue": mean_queue.to_dict()}
                for agency, (utilisation, mean_queue) in self.agencies.items()
            },
            "warnings": self.warnings(),
            "same_day": {stage: acc.to_dict() for stage, acc in self.same_day.items()},
            "classes": {cls: {kpi: acc.to_dict() for kpi, acc in accs.items()} for cls, accs in self.classes.items()},
            "projects": self.counts,
        }
        out["warnings"] += self.notes(out)
        if self.precision is not None:
            out["precision"] = self.precision
        return out


def kpi_names(sc: Scenario) -> list[str]:
    """Every KPI of a run of ``sc`` that has a mean and a confidence interval in its summary, as
    :meth:`Summary.accumulator` takes them: the KPIs, ``stages.<id>``, ``same_day.<id>`` (stages an agency
    reviews), ``classes.<class>.<KPI>`` and ``agencies.<id>.utilisation`` / ``.mean_queue``."""
    names = list(KPIS)
    names += [f"stages.{s.id}" for s in sc.stages]
    names += [f"same_day.{s.id}" for s in sc.stages if s.agency is not None]
    names += [f"classes.{c.id}.{k}" for c in sc.classes for k in PER_CLASS]
    names += [f"agencies.{a.id}.{k}" for a in sc.agencies for k in AGENCY_KPIS]
    return names
