"""How close a scenario is to an event log: the scenario replays the log's own case dates, its replications
are cut at the log's observation end, and both sides are measured by the same code.

Like with like:

- **arrivals**: the simulated projects sign on the log's case dates (:mod:`sim.analysis.replay`), so a
  difference is not a difference of arrivals; no arrival model is involved;
- **observation end**: the simulated events completing after the log's last one (or ``observed_until``) are
  dropped, as the log has none; cases still open then are open on both sides;
- **metrics**: :func:`sim.eventlog.metrics.log_metrics` on the observed log and on each replication's event
  log, which is written by the normal runner and read back by the same reader as the observed one.

The simulated side's 95 % ranges (``ci95``) are the 2.5th and 97.5th percentiles of the replications' own
values: where one replication of the observed period falls, so an observed value outside its range is one
the scenario seldom gives.  ``wasserstein_rel`` is the 1-Wasserstein distance between the observed and the
pooled simulated case durations, over the observed mean: 0 for the same distribution, 0.1 when the quantile
functions differ by a tenth of the mean on average.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.compare import run_args
from sim.analysis.replay import replay_scenario
from sim.core.arguments import bad
from sim.core.errors import LogError, Problem
from sim.core.output import OutputDir
from sim.eventlog.metrics import DAY, case_table, log_metrics, month_range
from sim.eventlog.model import EventLog
from sim.eventlog.reading import read_log
from sim.eventlog.stages import SEPARATOR, StageMap
from sim.eventlog.times import clock
from sim.runs.runner import run
from sim.scenario.loading import load
from sim.scenario.scenario import Scenario

#: how the simulated event log is cut into stages: ``STAGE:STEP`` -> the scenario's stage id
SIMULATED_STAGES = StageMap(parts=1, separator=":")
#: what the simulated ``ci95`` ranges are
CI_METHOD = (
    "2.5th and 97.5th percentiles of the replications' own values (linear interpolation): where one "
    "replication of the observed period falls, 95 % of the time"
)
#: what a case duration is
DURATION = "calendar days from a case's first time (a start, else a completion) to its last completion"


def wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    """The 1-Wasserstein distance between two samples: the mean absolute difference of their quantile
    functions, :math:`\\int_0^1 |F_a^{-1}(u) - F_b^{-1}(u)|\\,du` (NaN if either is empty).

    Both quantile functions are steps (NumPy's ``inverted_cdf`` quantiles: the ``ceil(u n)``-th smallest
    value), constant between the levels ``k/len(a)`` and ``k/len(b)``, so the integral is the exact sum over
    those intervals, each valued at its middle."""
    a, b = np.sort(np.asarray(a, dtype=float)), np.sort(np.asarray(b, dtype=float))
    if len(a) == 0 or len(b) == 0:
        return math.nan
    levels = np.union1d(np.arange(1, len(a) + 1) / len(a), np.arange(1, len(b) + 1) / len(b))
    lower = np.concatenate(([0.0], levels[:-1]))
    middle = (lower + levels) / 2
    qa, qb = (x[np.clip(np.ceil(middle * len(x)).astype(int) - 1, 0, len(x) - 1)] for x in (a, b))
    return float(np.sum(np.abs(qa - qb) * (levels - lower)))


def spread(values: Sequence[float | None]) -> list[float] | None:
    """The 95 % range of per-replication values (:data:`CI_METHOD`), None where none is defined."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    return [float(x) for x in np.percentile(known, [2.5, 97.5])]


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None


@dataclass
class Evaluation:
    """A scenario against an event log (:func:`evaluate`): the metrics of both sides, and how they compare.

    Attributes:
        scenario: the scenario evaluated; ``variant``: it, replaying the log's case dates (what ran).
        log_path, log_format, zone: the log, its format and the zone it was read in (None: as written).
        stage_map: how the log was cut into stages.
        n, seed: the replications and the root seed.
        until: the observation end, in seconds on the log's clock; ``until_from`` says where it came from.
        observed: :func:`~sim.eventlog.metrics.log_metrics` of the log.
        simulated: the same of every replication's cases pooled; ``replications``: of each replication.
        observed_durations, simulated_durations: the case durations in days (simulated: pooled), and
            ``simulated_replication`` the replication of each simulated one.
        months: the months compared, from the first case's to the observation end's.
        warnings: what the reader should know (no stage in common, cases lost at the end).
    """

    scenario: Scenario
    variant: Scenario
    log_path: str
    log_format: str
    zone: str | None
    stage_map: StageMap
    n: int
    seed: int
    until: float
    until_from: str
    observed: dict[str, Any]
    simulated: dict[str, Any]
    replications: list[dict[str, Any]]
    observed_durations: np.ndarray
    simulated_durations: np.ndarray
    simulated_replication: np.ndarray
    months: list[str]
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def wasserstein_days(self) -> float:
        """The 1-Wasserstein distance between the observed and the pooled simulated case durations, in days."""
        return wasserstein(self.observed_durations, self.simulated_durations)

    @property
    def wasserstein_rel(self) -> float | None:
        """:attr:`wasserstein_days` over the observed mean duration (None when that is 0)."""
        mean = self.observed["case_duration_days"]["mean"]
        return self.wasserstein_days / mean if mean else None

    @cached_property
    def wasserstein_rel_replications(self) -> list[float]:
        """The same distance for each replication: from its case durations to those of the other replications,
        over its own mean (with one replication, none).  The scale of :attr:`wasserstein_rel`: how far a log
        of the scenario itself lies from its pooled replications."""
        out = []
        for r in range(self.n if self.n > 1 else 0):
            mine = self.simulated_replication == r
            d = self.simulated_durations[mine]
            if len(d) and d.mean() > 0 and not mine.all():
                out.append(wasserstein(d, self.simulated_durations[~mine]) / float(d.mean()))
        return out

    @property
    def t_end(self) -> str:
        """The observation end as a clock time of the log, ISO 8601 to the second."""
        return clock(math.floor(self.until), 0).isoformat(timespec="seconds")

    def case_duration(self) -> dict[str, Any]:
        """``case_duration_days`` of evaluate.json: both sides' n, mean, p10, p50, p90, the simulated 95 %
        ranges and the pooled values, and the Wasserstein distance."""
        obs = self.observed["case_duration_days"]
        pooled = self.simulated["case_duration_days"]
        per_rep = [r["case_duration_days"] for r in self.replications]
        q = ("p10", "p50", "p90")
        return {
            "observed": {k: _r(obs[k]) if k != "n" else obs[k] for k in ("n", "mean", *q)},
            "simulated": {
                "n": pooled["n"],
                "n_per_replication": _r(pooled["n"] / self.n, 2),
                "mean": _r(pooled["mean"]),
                **{k: _r(pooled[k]) for k in q},
                "ci95": {k: _rounded(spread([r[k] for r in per_rep])) for k in q},
                "replication_mean": {k: _r(_mean([r[k] for r in per_rep])) for k in q},
            },
            "wasserstein_days": _r(self.wasserstein_days),
            "wasserstein_rel": _r(self.wasserstein_rel),
            "wasserstein_rel_replications": _rounded(spread(self.wasserstein_rel_replications)),
        }

    def stage_comparison(self) -> dict[str, Any]:
        """``stages`` of evaluate.json: the stages in both, only in the log, only in the scenario; per stage
        both sides' share, rework share and time to the stage's end, and a ``gap``; the worst stages first."""
        observed = {s: m for s, m in self.observed["stages"].items() if m["cases"]}
        ids = [s.id for s in self.scenario.stages]
        matched = [s for s in ids if s in observed]
        only_log = [s for s in observed if s not in ids]
        only_scenario = [s for s in ids if s not in observed]
        by_stage: dict[str, Any] = {}
        for s in (*matched, *only_log, *only_scenario):
            obs = observed.get(s)
            o = None if obs is None else {k: _r(v) if k != "cases" else v for k, v in obs.items()}
            sim = self._simulated_stage(s) if s in ids else None
            by_stage[s] = {"observed": o, "simulated": sim, "gap": _gap(o, sim) if s in matched else None}
        worst = sorted((s for s in matched if by_stage[s]["gap"] is not None), key=lambda s: -by_stage[s]["gap"])
        return {
            "matched": matched,
            "only_in_log": only_log,
            "only_in_scenario": only_scenario,
            "worst": worst,
            "by_stage": by_stage,
        }

    def _simulated_stage(self, stage: str) -> dict[str, Any]:
        empty = {"cases": 0, "share": 0.0, "rework_share": None, "to_end_p50": None, "to_end_p90": None}
        pooled = self.simulated["stages"].get(stage, empty)
        per_rep = [r["stages"].get(stage, empty) for r in self.replications]
        keys = ("share", "rework_share", "to_end_p50")
        return {
            "cases_per_replication": _r(pooled["cases"] / self.n, 2),
            **{k: _r(pooled[k]) for k in ("share", "rework_share", "to_end_p50", "to_end_p90")},
            "ci95": {k: _rounded(spread([m[k] for m in per_rep])) for k in keys},
        }

    def monthly(self) -> dict[str, Any]:
        """``monthly`` of evaluate.json: per month, the cases started and ended, observed and simulated (the
        mean per replication)."""
        out = {}
        for m in self.months:
            out[m] = {
                what: {
                    "observed": self.observed[f"{what}_per_month"].get(m, 0),
                    "simulated": _r(sum(r[f"{what}_per_month"].get(m, 0) for r in self.replications) / self.n, 2),
                }
                for what in ("started", "ended")
            }
        return out

    def meta(self) -> dict[str, Any]:
        """``meta`` of evaluate.json: what was compared, and how."""
        v = self.variant
        assert v.stream is not None
        return {
            "scenario": self.scenario.name,
            "scenario_file": self.scenario.source,
            "log": self.log_path,
            "log_format": self.log_format,
            "zone": self.zone or "as written (each timestamp's own offset)",
            "replications": self.n,
            "seed": self.seed,
            "T_end": self.t_end,
            "T_end_from": self.until_from,
            "replay": {
                "cases": len(v.stream.days),
                "start_date": v.start_date.isoformat(),
                "end_date": v.end_date.isoformat(),
                "classes": dict(v.stream.classes),
                "levers": list(v.levers),
            },
            "stage_map": {"log": self.stage_map.describe(), "simulated": "--stage-by prefix:1 --stage-sep ':'"},
            "case_duration": DURATION,
            "ci95": CI_METHOD,
            "warnings": list(self.warnings),
        }

    def to_dict(self) -> dict[str, Any]:
        """evaluate.json: ``meta``, ``case_duration_days``, ``stages`` and ``monthly`` (strict JSON: None where
        a value is not defined)."""
        return {
            "meta": self.meta(),
            "case_duration_days": self.case_duration(),
            "stages": self.stage_comparison(),
            "monthly": self.monthly(),
        }

    def write(self, out: str | Path, force: bool = False, extra: Callable[[Path], object] | None = None) -> Path:
        """Write evaluate.json into the folder ``out``, atomically (:class:`sim.core.output.OutputDir`: a new
        or empty folder, or with ``force`` an earlier output of approval-sim; never the scenario's files or the
        log).  ``extra(folder)`` may add files first, e.g. the figure (``sim.plots.save``)."""
        with OutputDir(out, force=force, inputs=[*self.scenario.files, self.log_path]) as outdir:
            outdir.write_json("evaluate.json", self.to_dict())
            if extra is not None:
                extra(outdir.tmp)
            return outdir.commit()


def _rounded(pair: list[float] | None) -> list[float | None] | None:
    return None if pair is None else [_r(x) for x in pair]


def _gap(obs: dict[str, Any] | None, sim: dict[str, Any] | None) -> float | None:
    """How far a stage is off: the larger of the difference of shares and the relative difference of the
    median time to the stage's end (over the observed one, at least a day)."""
    if obs is None or sim is None:
        return None
    parts = []
    if obs["share"] is not None and sim["share"] is not None:
        parts.append(abs(sim["share"] - obs["share"]))
    if obs["to_end_p50"] is not None and sim["to_end_p50"] is not None:
        parts.append(abs(sim["to_end_p50"] - obs["to_end_p50"]) / max(obs["to_end_p50"], 1.0))
    return _r(max(parts)) if parts else None


def _observation_end(log: EventLog, observed_until: dt.date | str | None) -> tuple[float, str]:
    """The observation end in seconds on the log's clock (inclusive), and where it came from."""
    if observed_until is None:
        return float(np.max(log.end + log.offset)), "the log's last event"
    day = observed_until
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day)
        except ValueError:
            raise bad("sim.evaluate", "observed_until", "a date (YYYY-MM-DD) or None", observed_until) from None
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise bad("sim.evaluate", "observed_until", "a date (YYYY-MM-DD) or None", observed_until)
    cut = (day + dt.timedelta(days=1) - dt.date(1970, 1, 1)).total_seconds() - 0.001
    begin = np.where(np.isnan(log.start), log.end, np.minimum(log.start, log.end)) + log.offset
    if cut < float(np.min(begin)):
        first = clock(float(np.min(begin)), 0).date()
        raise LogError(
            [
                Problem(
                    log.path, "--observed-until", f"{day} is before the log's first event ({first}); give a later date"
                )
            ]
        )
    return cut, f"--observed-until {day}"


def evaluate(
    scenario: Scenario | str | Path,
    log: EventLog | str | Path,
    *,
    n: int = 20,
    seed: int | None = None,
    jobs: int = 1,
    stage_by: str = "activity",
    stage_sep: str = SEPARATOR,
    stage_map: str | Path | None = None,
    zone: str | None = None,
    observed_until: dt.date | str | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Compare ``scenario`` with the event log ``log``, like with like (see the module's text).

    Args:
        scenario: a loaded scenario, or the path of its file.
        log: an event log (:func:`sim.read_log`), or the path of one (read in ``zone``).
        n: replications (>= 1); seed: root seed (default the scenario's); jobs: worker processes.
        stage_by, stage_sep, stage_map: how the log is cut into stages (:meth:`sim.eventlog.stages.StageMap.parse`,
            the options ``--stage-by``, ``--stage-sep`` and ``--stage-map``); the log's stage names are
            compared with the scenario's stage ids.
        zone: the time zone to read ``log`` in, when it is a path.
        observed_until: the observation end (a date: to its end); default the log's last event.
        executor: a ``concurrent.futures`` executor instead of a local process pool.
        progress: called as ``progress(done, n)`` after each replication.

    Raises:
        ScenarioError: a scenario that cannot be loaded, or whose replaying variant is not valid.
        LogError: a log that cannot be read, a bad stage map, an observation end before the log.
        ValueError: an argument outside what is allowed, named in the message.
    """
    where = "sim.evaluate"
    n, seed_given, jobs = run_args(where, n, seed, jobs, executor, progress)
    if isinstance(scenario, (str, Path)):
        scenario = load(scenario)
    elif not isinstance(scenario, Scenario):
        raise bad(where, "scenario", "a Scenario (sim.load) or the path of a scenario file", scenario)
    smap = StageMap.parse(stage_by, stage_sep, stage_map)
    if isinstance(log, EventLog):
        if zone is not None:
            raise bad(where, "zone", "None for a log already read (read_log(path, zone=...) reads it in a zone)", zone)
    elif isinstance(log, (str, Path)):
        log = read_log(log, zone=zone)
    else:
        raise bad(where, "log", "an EventLog (sim.read_log) or the path of an event log", log)
    until, until_from = _observation_end(log, observed_until)
    observed = case_table(log, smap, until)
    dates = [dt.date(1970, 1, 1) + dt.timedelta(days=int(t // DAY)) for t in observed.first.tolist()]
    end = dt.date(1970, 1, 1) + dt.timedelta(days=int(until // DAY))
    variant = replay_scenario(scenario, dates, end)
    seed = scenario.seed if seed_given is None else seed_given
    with tempfile.TemporaryDirectory(prefix="approval-sim-evaluate-") as tmp:
        run(
            variant,
            n,
            seed,
            jobs=jobs,
            out=Path(tmp) / "run",
            event_formats=("csv",),
            keep_rows=False,
            executor=executor,
            progress=progress,
        )
        simulated_log = read_log(Path(tmp) / "run" / "events.csv")
    simulated = case_table(simulated_log, SIMULATED_STAGES, until)
    months = month_range(float(observed.first.min()), until)
    rep_of = np.array([int(c.partition(":")[0]) for c in simulated.ids], dtype=int)
    per_rep = [log_metrics(simulated.select(rep_of == r), months) for r in range(n)]
    ev = Evaluation(
        scenario=scenario,
        variant=variant,
        log_path=log.path,
        log_format=log.format,
        zone=log.zone,
        stage_map=smap,
        n=n,
        seed=seed,
        until=until,
        until_from=until_from,
        observed=log_metrics(observed, months),
        simulated=log_metrics(simulated, months),
        replications=per_rep,
        observed_durations=observed.durations(),
        simulated_durations=simulated.durations(),
        simulated_replication=rep_of,
        months=months,
    )
    ev.warnings.extend(_warnings(ev, observed.n))
    return ev


def _warnings(ev: Evaluation, cases: int) -> list[str]:
    """What the reader of an evaluation should know."""
    out = []
    stages = ev.stage_comparison()
    if not stages["matched"]:
        logged = ", ".join(stages["only_in_log"][:8]) + (", ..." if len(stages["only_in_log"]) > 8 else "")
        out.append(
            f"no stage of the log is a stage of the scenario, so no stage is compared (the log's, cut with "
            f"{ev.stage_map.describe()}: {logged}; the scenario's: {', '.join(stages['only_in_scenario'])}): cut "
            "the log with --stage-by or --stage-map so that its stage names are the scenario's stage ids; case "
            "durations and months are compared all the same"
        )
    per_rep = ev.simulated["case_duration_days"]["n"] / ev.n
    if per_rep < cases * 0.99:
        out.append(
            f"the replications have {per_rep:,.1f} cases each for the log's {cases:,}: the others had no event "
            f"completed by {ev.t_end}"
        )
    return out
