"""The Python API's arguments: every public study function checks them before anything runs.

A wrong argument raises ``ValueError`` naming the function, the argument, what was given and what is
allowed; a path, lever or KPI the scenario does not have raises ``sim.ScenarioError`` with its key path.
No case here may start a replication: the runner is replaced by one that fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim
import sim.analysis.attribution
import sim.analysis.compare
import sim.analysis.sweep

from helpers.scenarios import project, scenario_toml, stage, workdays

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests/data/valid_small.toml"

#: a small scenario with two levers, the first on
LEVERED = scenario_toml(
    "levered",
    agencies={"bureau": 1},
    projects=[project("p", "std", "2024-03-04")],
    stages={
        "filing": stage("bureau", effort=workdays(2)),
        "permit": stage("bureau", after="filing", effort=workdays(1)),
    },
    milestones="permit",
    settings={"levers": ["fast"]},
    levers={
        "fast": {"name": "Fast filing", "scale": {"stages.filing.effort": 0.5}},
        "faster": {"name": "Faster permit", "scale": {"stages.permit.effort": 0.5}},
    },
)


@pytest.fixture(scope="module")
def small() -> sim.Scenario:
    return sim.load(SMALL)


@pytest.fixture(scope="module")
def levered(tmp_path_factory: pytest.TempPathFactory) -> sim.Scenario:
    path = tmp_path_factory.mktemp("levered") / "levered.toml"
    path.write_text(LEVERED, encoding="utf-8")
    return sim.load(path)


@pytest.fixture
def no_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any replication started fails the test: the arguments must be refused before."""

    def ran(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a replication ran before the arguments were checked")

    monkeypatch.setattr(sim.analysis.compare, "replications", ran)
    monkeypatch.setattr(sim.analysis.attribution, "replications_of", ran)
    monkeypatch.setattr(sim.analysis.sweep, "run", ran)


NOT_WHOLE = [0, -3, 2.0, 2.5, True, "5", None]
"""Values of ``n`` (or ``jobs``) that are not a whole number >= 1."""
BAD_SEEDS = [-1, 1.5, "1", True, [1]]


def _study(name: str, sc: sim.Scenario, **kwargs: Any) -> Any:
    """Call the study ``name`` with valid arguments, except those in ``kwargs``."""
    if name == "compare":
        return sim.compare(kwargs.pop("scenarios", [sc, sc]), **kwargs)
    if name == "sweep":
        return sim.sweep(sc, kwargs.pop("grid", {"agencies.bureau.staff": [1, 2]}), **kwargs)
    if name == "tornado":
        return sim.tornado(sc, kwargs.pop("ranges", {"agencies.bureau.staff": (1, 2)}), **kwargs)
    return sim.attribute(sc, **kwargs)


STUDIES = ["compare", "sweep", "tornado", "attribute"]


@pytest.mark.parametrize("study", STUDIES)
@pytest.mark.parametrize("n", NOT_WHOLE, ids=repr)
def test_n_must_be_a_whole_number_of_at_least_one(levered, no_runs, study, n):
    with pytest.raises(ValueError) as e:
        _study(study, levered, n=n)
    assert not isinstance(e.value, sim.ScenarioError)
    assert str(e.value) == f"sim.{study}: n must be a whole number >= 1 (replications), got {n!r}"


@pytest.mark.parametrize("study", STUDIES)
@pytest.mark.parametrize("seed", BAD_SEEDS, ids=repr)
def test_seed_must_be_none_or_a_whole_number_from_zero(levered, no_runs, study, seed):
    with pytest.raises(ValueError, match=rf"^sim\.{study}: seed must be a whole number >= 0 .*got ") as e:
        _study(study, levered, n=2, seed=seed)
    assert repr(seed) in str(e.value)


@pytest.mark.parametrize("study", STUDIES)
@pytest.mark.parametrize("jobs", [0, -1, 1.5, "2"], ids=repr)
def test_jobs_must_be_a_whole_number_of_at_least_one(levered, no_runs, study, jobs):
    with pytest.raises(ValueError, match=rf"^sim\.{study}: jobs must be a whole number >= 1 \(worker processes\)"):
        _study(study, levered, n=2, jobs=jobs)


@pytest.mark.parametrize("study", STUDIES)
def test_executor_and_progress_must_be_what_they_say(levered, no_runs, study):
    with pytest.raises(ValueError, match=rf"^sim\.{study}: executor must be None or a concurrent.futures executor"):
        _study(study, levered, n=2, executor="dask")
    with pytest.raises(ValueError, match=rf"^sim\.{study}: progress must be None or a function"):
        _study(study, levered, n=2, progress="yes")


@pytest.mark.parametrize("study", STUDIES)
def test_the_scenario_must_be_loaded_not_a_path(no_runs, study):
    arg = "scenarios[0]" if study == "compare" else "sc" if study == "attribute" else "scenario"
    with pytest.raises(ValueError, match=rf"^sim\.{study}: {re.escape(arg)} must be a Scenario \(from sim.load"):
        if study == "compare":
            sim.compare([str(SMALL)], n=2)
        else:
            _study(study, str(SMALL), n=2)  # type: ignore[arg-type]


def test_numpy_integers_are_whole_numbers(small):
    cmp = sim.compare([small], n=np.int64(2), seed=np.uint32(3), jobs=np.int8(1))
    assert (cmp.n, cmp.seed) == (2, 3) and type(cmp.n) is int


# -- compare ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "scenarios, fragment",
    [
        ([], "scenarios must be a non-empty list or tuple of Scenarios (the first is the reference), got []"),
        ("a.toml", "scenarios must be a non-empty list or tuple of Scenarios"),
        (None, "scenarios must be a non-empty list or tuple of Scenarios"),
    ],
    ids=["empty", "a string", "None"],
)
def test_compare_needs_a_list_of_scenarios(no_runs, scenarios, fragment):
    with pytest.raises(ValueError) as e:
        sim.compare(scenarios, n=2)
    assert str(e.value) == f"sim.compare: {fragment}" or str(e.value).startswith(f"sim.compare: {fragment}")


def test_compare_refuses_a_lone_scenario_and_a_non_scenario_in_the_list(small, no_runs):
    with pytest.raises(ValueError, match=r"^sim\.compare: scenarios must be a non-empty list or tuple"):
        sim.compare(small, n=2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^sim\.compare: scenarios\[1\] must be a Scenario .*got 'b\.toml'"):
        sim.compare([small, "b.toml"], n=2)  # type: ignore[list-item]


def test_compare_typical_is_true_or_false(small, no_runs):
    with pytest.raises(ValueError, match=r"^sim\.compare: typical must be True or False, got 'no'"):
        sim.compare([small], n=2, typical="no")  # type: ignore[arg-type]


# -- sweep and tornado -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "grid, fragment",
    [
        ({}, "grid must be a non-empty dict of dotted paths"),
        ([("agencies.bureau.staff", [1, 2])], "grid must be a non-empty dict of dotted paths"),
        ({"agencies.bureau.staff": []}, "grid['agencies.bureau.staff'] must be a non-empty list or tuple of values"),
        ({"agencies.bureau.staff": "1,2"}, "grid['agencies.bureau.staff'] must be a non-empty list or tuple"),
        ({"agencies.bureau.staff": 2}, "grid['agencies.bureau.staff'] must be a non-empty list or tuple"),
        ({"agencies.bureau.staff": [1, 2, 1]}, "grid['agencies.bureau.staff'] must be a list of distinct values"),
        ({"levers": [["fast"], ["fast"]]}, "grid['levers'] must be a list of distinct values"),
        ({" agencies.bureau.staff": [1]}, "grid key must be a dotted path"),
        ({"": [1]}, "grid key must be a dotted path"),
        ({3: [1]}, "grid key must be a dotted path"),
        ({"scenario.levers": [["fast"]]}, 'grid key must be the path "levers"'),
    ],
    ids=[
        "empty", "pairs not a dict", "no values", "a string", "a number", "a value twice", "levers twice",
        "spaces", "empty path", "not a string", "scenario.levers",
    ],
)  # fmt: skip
def test_a_sweep_grid_must_have_points(levered, no_runs, grid, fragment):
    with pytest.raises(ValueError) as e:
        sim.sweep(levered, grid, n=2)
    assert not isinstance(e.value, sim.ScenarioError)
    assert str(e.value).startswith(f"sim.sweep: {fragment}"), str(e.value)


@pytest.mark.parametrize(
    "ranges, fragment",
    [
        ({}, "ranges must be a non-empty dict of dotted paths"),
        ({"agencies.bureau.staff": (1, 2, 3)}, "ranges['agencies.bureau.staff'] must be a (low, high) pair"),
        ({"agencies.bureau.staff": (1,)}, "ranges['agencies.bureau.staff'] must be a (low, high) pair"),
        ({"agencies.bureau.staff": "12"}, "ranges['agencies.bureau.staff'] must be a non-empty list or tuple"),
        ({"agencies.bureau.staff": 4}, "ranges['agencies.bureau.staff'] must be a non-empty list or tuple"),
    ],
    ids=["empty", "three values", "one value", "a string of two letters", "a number"],
)
def test_a_tornado_range_is_a_pair(levered, no_runs, ranges, fragment):
    with pytest.raises(ValueError) as e:
        sim.tornado(levered, ranges, n=2)
    assert str(e.value).startswith(f"sim.tornado: {fragment}"), str(e.value)


@pytest.mark.parametrize("study", ["sweep", "tornado"])
@pytest.mark.parametrize("kpi", ["approval_wrkdays", "stages.nowhere", 3, None], ids=repr)
def test_an_unknown_kpi_names_the_argument(levered, no_runs, study, kpi):
    with pytest.raises(sim.ScenarioError) as e:
        _study(study, levered, n=2, kpi=kpi)
    (problem,) = e.value.problems
    assert (problem.file, problem.path) == (levered.source, "kpi")
    assert problem.message.startswith(f"unknown KPI {kpi!r}") and "approval_workdays" in problem.message


@pytest.mark.parametrize("study", ["sweep", "tornado"])
def test_a_path_the_scenario_does_not_have_is_a_scenario_error(levered, no_runs, study):
    where = (
        {"grid": {"agencies.nowhere.staff": [1, 2]}}
        if study == "sweep"
        else {"ranges": {"agencies.nowhere.staff": (1, 2)}}
    )
    with pytest.raises(sim.ScenarioError) as e:
        _study(study, levered, n=2, **where)
    assert "agencies.nowhere.staff" in e.value.problems[0].path


# -- attribute -------------------------------------------------------------------------------------------
def test_attribute_with_no_replications_is_refused(levered, no_runs):
    """``attribute(n=0)`` used to return an attribution of nothing."""
    with pytest.raises(ValueError, match=r"^sim\.attribute: n must be a whole number >= 1 \(replications\), got 0$"):
        sim.attribute(levered, n=0)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"kpis": ("approval_wrkdays",)}, "kpis: unknown KPI 'approval_wrkdays'; allowed: approval_workdays, "),
        ({"kpis": "approval_workdays"}, "kpis must be a non-empty list or tuple of KPIs, got 'approval_workdays'"),
        ({"kpis": ()}, "kpis must be a non-empty list or tuple of KPIs, got ()"),
        ({"kpis": ("submissions", "submissions")}, "kpis: 'submissions' is given twice; give each KPI once"),
        ({"max_orders": 0}, "max_orders must be a whole number >= 1 (sampled lever orders), got 0"),
        ({"levers": 5}, 'levers must be None, lever ids (a list or tuple), "all" or "a,b", got 5'),
        ({"levers": {"fast"}}, "levers must be None, lever ids (a list or tuple)"),
        ({"levers": ["fast", 1]}, "levers must be None, lever ids (a list or tuple)"),
    ],
    ids=["unknown KPI", "a KPI as a string", "no KPI", "a KPI twice", "no orders", "levers a number", "a set",
         "a number among the ids"],
)  # fmt: skip
def test_attribute_arguments(levered, no_runs, kwargs, fragment):
    with pytest.raises(ValueError) as e:
        sim.attribute(levered, n=2, **kwargs)
    assert not isinstance(e.value, sim.ScenarioError)
    assert str(e.value).startswith(f"sim.attribute: {fragment}"), str(e.value)


def test_attribute_levers_are_those_the_scenario_declares(levered, no_runs):
    with pytest.raises(sim.ScenarioError) as e:
        sim.attribute(levered, n=2, levers=("fast", "fastest"))
    assert "fastest" in str(e.value) and 'did you mean "faster"' in str(e.value)
    with pytest.raises(sim.ScenarioError, match="no levers to attribute"):
        sim.attribute(levered, n=2, levers="none")
    with pytest.raises(sim.ScenarioError, match="no levers to attribute"):
        sim.attribute(levered.with_levers("none"), n=2)


def test_attribute_takes_levers_as_with_levers_does(levered):
    both = sim.attribute(levered, n=1, seed=1, levers="all", kpis=("approval_workdays",))
    assert both.levers == ("fast", "faster")
    listed = sim.attribute(levered, n=1, seed=1, levers=["faster", "fast"], kpis=("approval_workdays",))
    assert listed.levers == ("faster", "fast")
    totals = [a.full["approval_workdays"].to_dict()["mean"] for a in (both, listed)]
    assert totals[0] == totals[1]  # the same two levers on, whatever the order they are named in
