"""Exact traces: one replication of a tiny scenario, and its clock times as dates to compare with hand counts.

Clock time is calendar days since the scenario's start date (2024-01-01 unless a test says otherwise).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, NamedTuple

import pytest

from sim.engine.compiled import compile_scenario
from sim.engine.replication import simulate

START = dt.date(2024, 1, 1)


def stamp(t: float, origin: dt.date = START) -> str:
    """Clock time -> 'YYYY-MM-DD HH:MM' (rounded to the minute); '' for NaN."""
    if math.isnan(t):
        return ""
    return (dt.datetime.combine(origin, dt.time()) + dt.timedelta(minutes=round(t * 1440))).strftime("%Y-%m-%d %H:%M")


def clock(text: str, origin: dt.date = START) -> float:
    """'YYYY-MM-DD HH:MM' -> clock time in days since ``origin``."""
    return (
        dt.datetime.strptime(text, "%Y-%m-%d %H:%M") - dt.datetime.combine(origin, dt.time())
    ).total_seconds() / 86400


def wd(x: float):
    """A number of (working) days, compared to 1e-9."""
    return pytest.approx(x, abs=1e-9)


class Trace(NamedTuple):
    """Replication 0 (seed 0) of a scenario, with lookups of its records."""

    cs: Any  # the compiled scenario
    res: Any  # the replication's result (its .events only when asked for)
    projects: dict  # project id -> project record
    stages: dict  # (project id, stage id) -> stage record; a skipped stage has none


def simulate_one(sc, events: bool = False) -> Trace:
    """Compile ``sc`` and run replication 0 with seed 0 (fixed durations make the seed irrelevant)."""
    cs = compile_scenario(sc)
    res = simulate(cs, rep=0, seed=0, events=events)
    projects = {p.id: p for p in res.projects}
    stages = {(pid, r.stage): r for _idx, pid, r in res.stages}
    return Trace(cs, res, projects, stages)
