"""The pieces of a warm start: conditional draws, their inverse of time, and common random numbers per file."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

import sim
from sim.engine.resume import remaining
from sim.scenario.calendar import WorkCalendar, working_day_mask
from sim.scenario.distributions import Dist, elapsed_time, finish_time

from helpers.ks import ks_two_sample
from helpers.scenarios import dist, project, scenario_toml, stage

DISTS = [
    Dist("triangular", (1.0, 3.0, 6.0), "workday"),
    Dist("lognormal", (5.0, 12.0), "workday"),
    Dist("uniform", (2.0, 4.0), "day"),
    Dist("exponential", (3.0,), "day"),
    Dist("empirical", ((1.0, 2.0, 2.0, 5.0, 9.0),), "day"),
]


@pytest.mark.parametrize("d", DISTS, ids=lambda d: d.kind)
def test_cdf_inverts_the_quantile(d: Dist) -> None:
    """F(Q(u)) = u for a continuous distribution; for the empirical one, F(Q(u)) is the share of samples at or
    below the drawn one, at least u."""
    for u in np.linspace(0.01, 0.99, 25):
        if d.kind == "empirical":
            assert d.cdf(d.quantile(u)) >= u
        else:
            assert d.cdf(d.quantile(u)) == pytest.approx(u, abs=1e-9)


@pytest.mark.parametrize("d", DISTS, ids=lambda d: d.kind)
def test_quantile_above_draws_from_the_conditional_distribution(d: Dist) -> None:
    """Draws of ``quantile_above(u, x)`` and the draws of ``quantile(u)`` that exceed x (rejection sampling,
    the definition of the conditional distribution) are alike (two-sample KS) and all exceed x."""
    rng = np.random.default_rng(1)
    x = 2.5
    above = np.array([d.quantile(u) for u in rng.random(40_000)])
    above = above[above > x][:4000]
    drawn = np.array([d.quantile_above(u, x) for u in rng.random(4000)])
    assert (drawn > x).all()
    assert ks_two_sample(above, drawn)[1] > 0.01


def test_exponential_is_memoryless_and_fixed_work_is_what_is_left() -> None:
    """What is left of an exponential step is the same exponential, whatever its age; of a fixed step, its length
    less the time spent, and nothing once it has run longer."""
    e = Dist("exponential", (2.0,), "day")
    for u in (0.1, 0.5, 0.9):
        assert remaining(e, u, 40.0) == pytest.approx(e.quantile(u), rel=1e-12)
    f = Dist("fixed", (5.0,), "workday")
    assert remaining(f, 0.3, 2.0) == 3.0
    assert remaining(f, 0.3, 7.0) == 0.0
    assert remaining(f, 0.3, 3.0, scale=2.0) == 7.0  # twice 5 days, 3 of them spent


def test_elapsed_time_inverts_finish_time() -> None:
    """Work of a step measured from its start to its end is the work it was given, in every unit."""
    cal = WorkCalendar(dt.date(2024, 9, 20), working_day_mask(dt.date(2024, 9, 20), 60), 9.0, 17.0)
    for unit, value in (("workday", 3.25), ("workhour", 13.0), ("day", 4.5), ("week", 1.5), ("month", 0.7)):
        d = Dist("fixed", (value,), unit)
        t0 = 6.6  # Thu 26 Sep 14:24
        end = finish_time(t0, d, value, cal)
        assert elapsed_time(t0, end, d, cal) == pytest.approx(value, abs=1e-9), unit


def _two_stage(write_scenario, staff: int):
    text = scenario_toml(
        "crn",
        agencies={"first": 1, "second": staff},
        projects=[project("later", "std", "2024-11-04")],
        stages={
            "a": stage("first", effort=dist("lognormal", median=2, p90=6)),
            "b": stage("second", after="a", effort=dist("lognormal", median=3, p90=9)),
        },
        milestones="b",
    )
    return sim.load(write_scenario(text))


def _backlog(tmp_path, ids: list[str]):
    path = tmp_path / f"open_{'_'.join(ids)}.csv"
    rows = ["project,class,signed,stage,state,since"]
    rows += [f"{pid},std,2024-03-01,a,queued,2024-08-{10 + k:02d}" for k, pid in enumerate(ids)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_two_forecasts_differ_only_by_the_change(write_scenario, tmp_path) -> None:
    """Common random numbers, file by file: more staff at the second agency leaves every file's first decision
    (at the first agency) exactly where it was in every replication, and only moves the second; a forecast
    compared with itself differs by exactly zero."""
    sc1, sc3 = _two_stage(write_scenario, 1), _two_stage(write_scenario, 3)
    path = _backlog(tmp_path, ["F1", "F2", "F3", "F4"])
    base = sim.forecast(sc1, path, as_of="2024-09-02", n=30, seed=5)
    more = sim.forecast(sc3, path, as_of="2024-09-02", n=30, seed=5, baseline=base)
    assert np.array_equal(base.issued[:, :, 0], more.issued[:, :, 0])
    assert (more.issued[:, :, 1] <= base.issued[:, :, 1] + 1e-9).all()
    assert (more.issued[:, :, 1] < base.issued[:, :, 1] - 1e-9).any()
    same = sim.forecast(sc1, path, as_of="2024-09-02", n=30, seed=5)
    assert all(r["mean_difference"] == 0.0 for r in same.versus(base))
    permit = [r for r in more.versus() if r["item"] == "construction_permit"]
    assert len(permit) == 4 and all(r["mean_difference"] <= 0 for r in permit)
    assert any(r["ci95_high"] < 0 for r in permit)


def test_a_file_keeps_its_random_numbers_whatever_else_is_in_the_backlog(write_scenario, tmp_path) -> None:
    """A file draws from streams keyed by its name: with plenty of staff (no file waits for another), its dates
    are the same in a backlog of four files and in one of two, listed in another order."""
    sc = _two_stage(write_scenario, 9).with_overrides({"agencies.first.staff": 9})
    full = sim.forecast(sc, _backlog(tmp_path, ["F1", "F2", "F3", "F4"]), as_of="2024-09-02", n=10, seed=2)
    part = sim.forecast(sc, _backlog(tmp_path, ["F3", "F1"]), as_of="2024-09-02", n=10, seed=2)
    where = {p.id: j for j, p in enumerate(full.backlog.projects)}
    for j, p in enumerate(part.backlog.projects):
        assert np.array_equal(part.issued[:, j], full.issued[:, where[p.id]]), p.id
    assert not math.isclose(float(full.issued[0, 0, 1]), float(full.issued[0, 1, 1]))


def test_the_same_forecast_on_two_processes(write_scenario, tmp_path) -> None:
    """Replications on a pool of two worker processes give the same arrays as in this process."""
    sc = _two_stage(write_scenario, 1)
    path = _backlog(tmp_path, ["F1", "F2", "F3"])
    here = sim.forecast(sc, path, as_of="2024-09-02", n=6, seed=9)
    pool = sim.forecast(sc, path, as_of="2024-09-02", n=6, seed=9, jobs=2)
    for name in ("issued", "within", "permit", "production", "capped"):
        assert np.array_equal(getattr(here, name), getattr(pool, name), equal_nan=True), name


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"n": 0}, "sim.forecast: n must be a whole number >= 1"),
        ({"seed": -1}, "sim.forecast: seed must be"),
        ({"as_of": None}, "sim.forecast: as_of must be the date of the backlog file"),
        ({"as_of": "2 Sep 2024"}, "sim.forecast: as_of must be a date"),
        ({"until": 2025}, "sim.forecast: until must be a date"),
        ({"baseline": "other"}, "sim.forecast: baseline must be a Forecast or None"),
    ],
)
def test_arguments_are_checked_first(write_scenario, tmp_path, kwargs, fragment) -> None:
    sc = _two_stage(write_scenario, 1)
    path = _backlog(tmp_path, ["F1"])
    args = {"as_of": "2024-09-02", "n": 2, **kwargs}
    with pytest.raises(ValueError) as e:
        sim.forecast(sc, path, **args)
    assert str(e.value).startswith(fragment), str(e.value)
    with pytest.raises(ValueError, match="a backlog CSV file or a Backlog"):
        sim.forecast(sc, 42, as_of="2024-09-02", n=2)  # type: ignore[arg-type]


def test_paired_differences_need_the_same_backlog_and_seed(write_scenario, tmp_path) -> None:
    sc = _two_stage(write_scenario, 1)
    path = _backlog(tmp_path, ["F1", "F2"])
    a = sim.forecast(sc, path, as_of="2024-09-02", n=3, seed=1)
    with pytest.raises(ValueError, match="give the forecast to compare with"):
        a.versus()
    with pytest.raises(ValueError, match="the same seed and replications"):
        sim.forecast(sc, path, as_of="2024-09-02", n=3, seed=2, baseline=a)
    with pytest.raises(ValueError, match="same backlog"):
        sim.forecast(sc, _backlog(tmp_path, ["F2", "F1"]), as_of="2024-09-02", n=3, seed=1).versus(a)


def test_levers_reach_open_files_and_a_reform_date_only_new_ones(write_scenario, tmp_path) -> None:
    """A lever switched on applies to what is left of the open files (their second review is faster, file by
    file with the same draws); with a reform date after the as-of date it applies by signing date, so the
    open files (signed before) keep the old process and, with staff to spare, exactly their old dates."""
    text = scenario_toml(
        "levers",
        agencies={"first": 9, "second": 9},
        projects=[project("later", "std", "2024-11-04")],
        stages={
            "a": stage("first", effort=dist("lognormal", median=2, p90=6)),
            "b": stage("second", after="a", effort=dist("lognormal", median=3, p90=9)),
        },
        milestones="b",
        levers={"fast": {"scale": {"stages.b.effort": 0.5}}},
    )
    sc = sim.load(write_scenario(text))
    path = _backlog(tmp_path, ["F1", "F2", "F3"])
    base = sim.forecast(sc, path, as_of="2024-09-02", n=10, seed=3)
    fast = sim.forecast(sc.with_levers(["fast"]), path, as_of="2024-09-02", n=10, seed=3, baseline=base)
    assert np.array_equal(fast.issued[:, :, 0], base.issued[:, :, 0])
    assert (fast.issued[:, :, 1] < base.issued[:, :, 1]).all()
    later = sc.with_levers(["fast"]).with_overrides({"scenario.reform_date": dt.date(2024, 10, 1)})
    cut = sim.forecast(later, path, as_of="2024-09-02", n=10, seed=3, baseline=base)
    assert np.array_equal(cut.issued, base.issued, equal_nan=True)
