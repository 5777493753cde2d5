"""Whatever validates runs: Hypothesis builds valid scenarios over the format's whole value ranges, and every one
that :func:`sim.load` accepts must run one replication (``sim.run(sc, n=1)``) without error, within a time limit.

The scenarios are written with the tests' scenario builder (:func:`helpers.scenarios.scenario_toml`) and aim at
the edges of every range the validation allows (``sim.scenario.limits``): durations of every kind and unit whose
99.9th percentile is up to 1000 years, down to the smallest float; lognormals as wide as allowed; staff,
sittings, rework rounds, class weights, scales, amounts of money, probabilities (0 and 1) and dates (year 1 to
9999) at their bounds; horizons of a day to 100 years; calendars with no working day at all; levers and a
cut-over; agents, tolerant acceptance, feedback, pre-review, regional assessment, credit commitment and
shutdowns.  The number of projects is kept small (a run's length grows with it, not its validity).

An example that validation refuses is discarded (``assume``): the builder means to stay inside the ranges, so
Hypothesis fails the test (a health check) should most examples be refused.  A run is stopped after
:data:`TIME_LIMIT` seconds by ``SIGALRM`` and fails the test like an error does, with the scenario's text.

Budget: :data:`EXAMPLES` (200) examples, about 15-30 s in all.  ``benchmarks/valid_scenarios_run.py`` runs the
same property with more examples, through the environment variable ``APPROVAL_SIM_VALID_RUN_EXAMPLES``.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import signal
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, event, given, note, settings
from hypothesis import strategies as st

import sim
from sim.scenario.limits import (
    MAX_CNY,
    MAX_DURATION,
    MAX_FEEDBACK_P,
    MAX_LOGNORMAL_RATIO,
    MAX_ROUNDS,
    MAX_SCALE,
    MAX_STAFF,
    MAX_WEIGHT,
    MAX_WORKDAYS,
)

from helpers.scenarios import project, scenario_toml, stage
from helpers.toml_text import toml_sections

#: seconds one run may take (a few seconds is the norm; the margin is for a loaded machine)
TIME_LIMIT = 30
#: examples of the property (the default suite: 200; the benchmark sets more)
EXAMPLES = int(os.environ.get("APPROVAL_SIM_VALID_RUN_EXAMPLES", "200"))
#: z of the 99.9th and the 90th percentile of a standard normal: a lognormal's p99.9 is median * ratio ** Z_RATIO
Z_RATIO = 3.090232306167813 / 1.2815515655446004
TIME_UNITS = tuple(MAX_DURATION)
CALENDAR_UNITS = ("day", "week", "month")
TINY = 5e-324  # the smallest positive float


def edge(lo: float, hi: float) -> st.SearchStrategy[float]:
    """A float in [lo, hi], often one of the edges."""
    return st.one_of(st.sampled_from([lo, hi]), st.floats(lo, hi))


def edge_int(lo: int, hi: int) -> st.SearchStrategy[int]:
    """An integer in [lo, hi], often one of the edges."""
    return st.one_of(st.sampled_from([lo, hi]), st.integers(lo, hi))


@st.composite
def distributions(draw: st.DrawFn, units: tuple[str, ...] = TIME_UNITS, bounds: dict[str, float] | None = None) -> dict:
    """A distribution table in one of ``units`` whose values stay within the unit's bound (99.9th percentile)."""
    unit = draw(st.sampled_from(units))
    top = (bounds or MAX_DURATION)[unit] * draw(st.sampled_from([1.0, 1.0, 1e-3, 1e-9]))
    kind = draw(st.sampled_from(["fixed", "uniform", "triangular", "exponential", "lognormal", "empirical"]))
    if kind == "fixed":
        return {"dist": kind, "value": draw(st.one_of(edge(0.0, top), st.just(TINY))), "unit": unit}
    if kind == "uniform":
        a, b = sorted(draw(st.lists(edge(0.0, top), min_size=2, max_size=2, unique=True)))
        return {"dist": kind, "low": a, "high": b, "unit": unit}
    if kind == "triangular":
        a, m, b = sorted(draw(st.lists(edge(0.0, top), min_size=3, max_size=3)))
        assume(a < b)
        return {"dist": kind, "low": a, "mode": m, "high": b, "unit": unit}
    inside = top * (1 - 1e-9)  # the 99.9th percentile of these is computed: stay clear of its rounding at the bound
    if kind == "exponential":
        return {"dist": kind, "mean": draw(edge(TINY, inside / -math.log(0.001))), "unit": unit}
    if kind == "lognormal":
        ratio = draw(edge(1.0 + 1e-9, MAX_LOGNORMAL_RATIO))
        median = draw(edge(TINY, inside / ratio**Z_RATIO))
        assume(median * ratio > median)
        return {"dist": kind, "median": median, "p90": median * ratio, "unit": unit}
    return {"dist": kind, "samples": draw(st.lists(edge(0.0, top), min_size=1, max_size=5)), "unit": unit}


def cny() -> st.SearchStrategy[dict]:
    return distributions(("cny",), {"cny": MAX_CNY})


def probability() -> st.SearchStrategy[float]:
    return edge(0.0, 1.0)


@st.composite
def calendars(draw: st.DrawFn) -> tuple[bool, dict | None]:
    """(always_open, the [calendar] table or None for the default)."""
    if draw(st.booleans()):
        return draw(st.booleans()), None
    table: dict[str, Any] = {"country": draw(st.sampled_from(["CN", "none", "US"]))}
    if draw(st.booleans()):  # any weekend, up to all seven days (no working day at all)
        table["weekend"] = draw(
            st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), max_size=7)
        )
    if draw(st.booleans()):
        o = draw(st.integers(0, 23))
        c = draw(st.integers(o + 1, 24))
        table["hours"] = [f"{o:02d}:00", f"{c:02d}:00"]
    return False, table


@st.composite
def scenarios(draw: st.DrawFn) -> str:
    """The TOML text of a valid scenario (or, rarely, one just outside a bound)."""
    year = draw(st.one_of(st.sampled_from([1, 1800, 1950, 2024, 9899]), st.integers(1, 9899)))
    start = dt.date(year, draw(st.integers(1, 12)), draw(st.integers(1, 28)))
    years = draw(st.one_of(st.sampled_from([1 / 365, 1.0, 100.0]), st.floats(1 / 365, 100.0)))
    end = start + dt.timedelta(days=max(0, round(years * 365.2425) - 1))
    assume(end.year <= 9999)
    horizon = (end - start).days
    settings_: dict[str, Any] = {
        "seed": draw(edge_int(0, 2**63 - 1)),
        "warmup_days": draw(st.sampled_from([0.0, float(horizon), draw(st.floats(0, max(horizon, 0)))])),
    }
    always_open, calendar = draw(calendars())

    classes = {}
    for cid in draw(st.sampled_from([["a"], ["a", "b"]])):
        table: dict[str, Any] = {"investment_cny": draw(cny()), "attributes": {"flag": {"p": draw(probability())}}}
        if draw(st.booleans()):
            table["attributes"]["size"] = draw(edge(-1e300, 1e300))
        if draw(st.booleans()):
            table["construction_scale"] = draw(edge(TINY, MAX_SCALE))
        classes[cid] = table

    agencies: dict[str, Any] = {}
    for aid in draw(st.sampled_from([["office"], ["office", "panel"]])):
        table = {"staff": draw(edge_int(1, MAX_STAFF))}
        if draw(st.booleans()):
            table["sittings"] = {
                "every": draw(edge_int(1, MAX_WORKDAYS)),
                "capacity": draw(edge_int(1, MAX_STAFF)),
                "offset": draw(edge_int(0, MAX_WORKDAYS)),
            }
        if draw(st.booleans()):
            table["priority"] = {"class": "a"}
        agencies[aid] = table

    def signed() -> dt.date:
        return start + dt.timedelta(days=draw(st.integers(0, horizon)))

    projects = []
    for i in range(draw(st.integers(0, 3))):
        extra = {"investment_cny": draw(edge(0.0, MAX_CNY))} if draw(st.booleans()) else {}
        projects.append(project(f"p{i}", draw(st.sampled_from(sorted(classes))), signed(), **extra))
    stream = None
    if not projects or draw(st.booleans()):
        per = draw(st.sampled_from(["year", "month", "week", "day"]))
        per_days = {"year": 365.2425, "month": 365.2425 / 12, "week": 7.0, "day": 1.0}[per]
        stream = {
            "rate": draw(edge(TINY, 15.0 / (horizon + 1) * per_days)),  # up to 15 projects in the horizon
            "per": per,
            "classes": {
                c: draw(st.one_of(st.sampled_from([TINY, MAX_WEIGHT]), edge(TINY, MAX_WEIGHT))) for c in classes
            },
        }

    names = [f"s{i}" for i in range(draw(st.integers(1, 4)))]
    stages: dict[str, dict] = {}
    reviewed: list[str] = []  # stages with an agency and an effort (feedback may go back to them)
    for i, sid in enumerate(names):
        after = names[i - 1] if i else ()
        if i == len(names) - 1 and draw(st.booleans()):  # construction
            fields: dict[str, Any] = {"build": draw(distributions(CALENDAR_UNITS))}
            if draw(st.booleans()):
                fields["shutdowns"] = ["winter"]
            stages[sid] = stage(after=after, **fields)
            continue
        agency = draw(st.sampled_from(sorted(agencies)))
        fields = {"effort": draw(distributions())}
        for key in ("prepare", "lag"):
            if draw(st.booleans()):
                fields[key] = draw(distributions())
        if draw(st.booleans()):
            fields["defect"] = {
                "p": draw(probability()),
                "decay": draw(probability()),
                "max_rounds": draw(edge_int(1, MAX_ROUNDS)),
                "fix": draw(distributions()),
            }
            if draw(st.booleans()):
                fields["tolerant"] = {
                    "deadline_workdays": draw(edge(TINY, MAX_WORKDAYS)),
                    "fail_p": draw(probability()),
                }
        if draw(st.booleans()):
            fields["limit"] = {"workdays": draw(edge(TINY, MAX_WORKDAYS)), "excludes": ["sitting", "lag"]}
        if draw(st.booleans()):
            fields["fees_cny"] = draw(edge(0.0, MAX_CNY))
            fields["consultancy_cny"] = draw(edge(0.0, MAX_CNY))
        if draw(st.booleans()):
            fields["when"] = {"class": "a"}
        if reviewed and draw(st.booleans()):
            fields["feedback"] = {"p": draw(edge(0.0, MAX_FEEDBACK_P)), "to": draw(st.sampled_from(reviewed))}
        option = draw(st.sampled_from(["none", "prereview", "regional", "commitment"]))
        if option == "prereview":
            fields["prereview"] = {"signoff": draw(distributions()), "attribute": "flag"}
        elif option == "regional":
            fields["regional"] = {"mode": "light", "attribute": "flag", "effort": draw(distributions())}
        elif option == "commitment":
            fields["commitment"] = {
                "attribute": "flag",
                "verify": draw(distributions()),
                "penalty_p": draw(probability()),
                "penalty": draw(distributions(CALENDAR_UNITS)),
            }
        stages[sid] = stage(agency, after=after, **fields)
        reviewed.append(sid)

    agents = None
    if draw(st.booleans()):
        agents = {
            "staff": draw(edge_int(1, MAX_STAFF)),
            "when": {"class": "a"},
            "prepare_scale": draw(edge(0.0, MAX_SCALE)),
            "defect_scale": draw(probability()),
            "effort": draw(distributions()),
        }
    levers = None
    if draw(st.booleans()):
        key = "effort" if "effort" in stages[names[0]] else "build"
        levers = {"faster": {"scale": {f"stages.{names[0]}.{key}": draw(edge(0.0, 1.0))}, "one_off_cny": 1e6}}
        settings_["levers"] = ["faster"]
        if draw(st.booleans()):
            settings_["reform_date"] = signed()

    text = scenario_toml(
        "generated",
        agencies=agencies,
        stages=stages,
        milestones={
            "construction_permit": names[0],
            "construction_start": names[-1],
            "completion": names[-1],
            "production": names[-1],
        },
        classes=classes,
        projects=projects,
        stream=stream,
        start_date=start,
        end_date=end,
        settings=settings_,
        always_open=always_open,
        calendar=calendar,
        shutdowns={"winter": {"from": "11-15", "to": "03-15", "exempt": {"class": "b"}}},
        agents=agents,
        levers=levers,
    )
    costs = {"costs": {"applicant_day_cny": draw(edge(0.0, MAX_CNY)), "capital_rate": draw(probability())}}
    return text + "\n" + toml_sections(costs, ())


class TimeLimit(Exception):
    """A run took longer than its time limit."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`TimeLimit` in the block after ``seconds`` (``SIGALRM``: the main thread, POSIX)."""

    def expire(signum: int, frame: object) -> None:
        raise TimeLimit(f"the run took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load_and_run(path: Path, text: str, seconds: float = TIME_LIMIT) -> str | None:
    """Load ``text`` (written to ``path``); if it validates, run one replication and return None, else return
    why it was refused."""
    path.write_text(text, encoding="utf-8")
    try:
        scenario = sim.load(path)
    except sim.ScenarioError as e:
        return str(e)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sim.CalendarWarning)  # years outside the holiday data: expected here
        with time_limit(seconds):
            sim.run(scenario, n=1)
    return None


PROPERTY = settings(
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.large_base_example],
)


def check(tmp_path: Path, text: str) -> None:
    """The property: refused, or ran without error in time; on failure, the scenario's text is in the message."""
    try:
        refused = load_and_run(tmp_path / "generated.toml", text)
    except Exception as e:  # a validated scenario failed to run (or ran out of time)
        pytest.fail(f"a scenario that validates failed to run: {type(e).__name__}: {e}\n\n{text}")
    if refused:
        note(f"refused: {refused}")
        event(f"refused: {refused.split(': ', 2)[1]}")  # the key path, for --hypothesis-show-statistics
    assume(refused is None)


@settings(PROPERTY, max_examples=EXAMPLES)
@given(text=scenarios())
def test_every_scenario_that_validates_runs(tmp_path, text):
    check(tmp_path, text)


def test_time_limit_stops_a_run(tmp_path):
    # the limit itself works: a pure-Python loop is interrupted (else the property could hang, not fail)
    def spin() -> None:
        while True:
            pass

    with pytest.raises(TimeLimit), time_limit(0.2):
        spin()


#: the edges the property is meant to reach, as explicit examples: a scenario each, loaded and run
EDGE_CASES: dict[str, Callable[[], dict[str, Any]]] = {
    "thousand-year exponential": lambda: {"effort": {"dist": "exponential", "mean": 366000 / 6.91, "unit": "workday"}},
    "widest lognormal": lambda: {
        "effort": {
            "dist": "lognormal",
            "median": 365999 / 1000**Z_RATIO,
            "p90": 365999 / 1000 ** (Z_RATIO - 1),
            "unit": "day",
        }
    },
    "smallest float": lambda: {"effort": {"dist": "fixed", "value": TINY, "unit": "workhour"}},
    "largest workhours": lambda: {"effort": {"dist": "fixed", "value": MAX_DURATION["workhour"], "unit": "workhour"}},
    "most rework": lambda: {
        "effort": {"dist": "fixed", "value": 1, "unit": "workhour"},
        "defect": {
            "p": 1,
            "decay": 1,
            "max_rounds": MAX_ROUNDS,
            "fix": {"dist": "fixed", "value": 1, "unit": "workhour"},
        },
    },
}


@pytest.mark.parametrize("name", EDGE_CASES)
def test_edges_of_the_ranges_validate_and_run(tmp_path, name):
    text = scenario_toml(
        name,
        agencies={"office": {"staff": MAX_STAFF}},
        classes={
            "a": {"investment_cny": {"dist": "fixed", "value": MAX_CNY, "unit": "cny"}, "construction_scale": MAX_SCALE}
        },
        projects=[project("p1", "a", "2024-01-02"), project("p2", "a", "2024-01-02")],
        stages={
            "s0": stage("office", **EDGE_CASES[name]()),
            "s1": stage(after="s0", build={"dist": "fixed", "value": MAX_DURATION["month"], "unit": "month"}),
        },
        milestones={"construction_permit": "s0", "construction_start": "s1", "completion": "s1", "production": "s1"},
    )
    assert load_and_run(tmp_path / "edge.toml", text) is None
