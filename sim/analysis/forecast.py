"""Forecasts from today's open files: ``sim.forecast(scenario, backlog, as_of=...)``.

Each replication starts at the as-of date with the backlog's files where they stand (:mod:`sim.engine.warm`),
new projects arriving by the scenario's arrivals, and runs on; a :class:`Forecast` holds, replication by
replication, when each file's stages are decided and when it reaches the construction permit and production.
Its tables (:mod:`sim.analysis.forecast_result`) give per file the p10/p50/p90 dates and the probability of
missing each statutory limit, per agency the backlog's clearance curve, and, between two forecasts of the same
backlog with the same seed, paired per-file differences (the files meet the same random numbers in both).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path

import numpy as np

from sim.analysis.compare import run_args, scenario_arg
from sim.analysis.forecast_result import Forecast
from sim.core.arguments import bad
from sim.engine.compiled import compile_scenario
from sim.engine.warm import warm_start
from sim.runs.forecast_runs import forecast_replications
from sim.scenario.backlog import Backlog
from sim.scenario.backlog_reading import read_backlog
from sim.scenario.frozen import thaw
from sim.scenario.scenario import Scenario, build_scenario

#: how far past the as-of date a forecast runs by default, in years
DEFAULT_YEARS = 2


def forecast_scenario(sc: Scenario, backlog: Backlog, until: dt.date | None = None) -> Scenario:
    """``sc`` ready to forecast ``backlog``: its start moved back to the backlog's first date (and the as-of
    date) if they are earlier, its end to ``until`` (default: the later of its own end and
    :data:`DEFAULT_YEARS` after the as-of date).  A scenario given with ``horizon_years`` is given an end date.

    Raises:
        ScenarioError: ``until`` is not after the as-of date.
    """
    from sim.core.errors import Problem, ScenarioError

    start = min(sc.start_date, backlog.earliest(), backlog.as_of)
    end = until if until is not None else max(sc.end_date, years_after(backlog.as_of, DEFAULT_YEARS))
    if end <= backlog.as_of:
        raise ScenarioError([Problem(sc.source, "--until", f"{end} is not after the as-of date {backlog.as_of}")])
    if start == sc.start_date and end == sc.end_date:
        return sc
    raw = thaw(sc.raw)
    table = raw.setdefault("scenario", {})
    table.pop("horizon_years", None)
    table["start_date"], table["end_date"] = start, end
    built = build_scenario(raw, sc.source, levers=sc.levers, overrides=thaw(dict(sc.overrides)))
    if built.end_date <= backlog.as_of:  # an override of scenario.end_date
        raise ScenarioError(
            [Problem(sc.source, "scenario.end_date", f"{built.end_date} is not after the as-of date {backlog.as_of}")]
        )
    return replace(built, files=sc.files, assumptions=sc.assumptions)


def years_after(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (29 February: 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def forecast(
    scenario: Scenario,
    backlog: Backlog | str | Path,
    as_of: dt.date | str | None = None,
    *,
    n: int = 100,
    seed: int | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    until: dt.date | str | None = None,
    baseline: Forecast | None = None,
) -> Forecast:
    """Forecast today's open files: each replication starts at ``as_of`` with the backlog in place.

    Args:
        scenario: a loaded scenario (:func:`sim.load`); its levers and overrides apply to the backlog's files
            from the as-of date on (a reform date applies, as always, by signing date).
        backlog: a backlog CSV file (``docs/forecast.md``), or a :class:`~sim.scenario.backlog.Backlog`.
        as_of: the date the backlog describes (its state at 00:00 of that day); needed with a file.
        n: replications.
        seed: root seed (default: the scenario's); two forecasts with the same seed and backlog see the same
            random numbers file by file, so they differ only by what changed.
        jobs, executor, progress: as for :func:`sim.run`.
        until: the last day simulated (default: the later of the scenario's end and two years after
            ``as_of``).
        baseline: a forecast of the same backlog to compare with (:meth:`Forecast.versus`).

    Raises:
        ScenarioError: a backlog file with problems (each naming its row and column), or ``until`` too early.
        ValueError: an argument outside what is allowed.
    """
    where = "sim.forecast"
    scenario = scenario_arg(where, "scenario", scenario)
    n, seed, jobs = run_args(where, n, seed, jobs, executor, progress)
    if isinstance(backlog, Backlog):
        found = backlog
        if as_of is not None and _date(where, "as_of", as_of) != backlog.as_of:
            raise bad(where, "as_of", f"the backlog's own as-of date {backlog.as_of} or None", as_of)
    elif isinstance(backlog, (str, Path)):
        if as_of is None:
            raise bad(where, "as_of", "the date of the backlog file (a datetime.date or 'YYYY-MM-DD')", as_of)
        found = read_backlog(backlog, scenario, _date(where, "as_of", as_of))
    else:
        raise bad(where, "backlog", "a backlog CSV file or a Backlog", backlog)
    end = None if until is None else _date(where, "until", until)
    if baseline is not None and not isinstance(baseline, Forecast):
        raise bad(where, "baseline", "a Forecast or None", baseline)
    sc = forecast_scenario(scenario, found, end)
    seed = sc.seed if seed is None else seed
    cs = compile_scenario(sc)
    warm = warm_start(cs, found)
    stages = [s.id for s in sc.stages]
    reps = list(forecast_replications(cs, warm, stages, n, seed, jobs=jobs, executor=executor, progress=progress))
    result = Forecast(
        sc,
        found,
        seed,
        n,
        stages,
        np.stack([r.issued for r in reps]),
        np.stack([r.within for r in reps]),
        np.stack([r.permit for r in reps]),
        np.stack([r.production for r in reps]),
        np.stack([r.capped for r in reps]),
        baseline,
        cs.zone,
    )
    if baseline is not None:
        result.versus()  # the same backlog, date, seed and replications, or a ValueError now
    return result


def _date(where: str, name: str, value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise bad(where, name, "a date (datetime.date or 'YYYY-MM-DD')", value)
