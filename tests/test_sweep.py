"""Sweeps, tornado sensitivity and the notebook-facing API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sim
from sim.analysis.sweep import parse_values

from helpers.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests/data/valid_small.toml"


def test_scenarios_are_immutable_and_overrides_return_validated_copies():
    base = sim.load(SMALL)
    staff = base.agency_by_id["bureau"].staff
    more = base.with_overrides({"agencies.bureau.staff": staff + 3})
    assert more.agency_by_id["bureau"].staff == staff + 3
    assert base.agency_by_id["bureau"].staff == staff  # the original is untouched
    with pytest.raises(AttributeError):
        base.name = "changed"  # frozen
    with pytest.raises(sim.ScenarioError) as e:
        base.with_overrides({"agencies.bureau.staff": 0})
    assert e.value.problems[0].path == "agencies.bureau.staff"


def test_overrides_survive_a_change_of_levers():
    sc = sim.load(ROOT / "scenarios/reform.toml").with_overrides({"agents.staff": 9})
    assert sc.agents.staff == 9
    assert sc.with_levers("all").agents.staff == 9  # an override refines what a lever sets


def test_sweep_points_share_random_numbers_and_follow_the_grid():
    base = sim.load(SMALL)
    res = sim.sweep(base, {"agencies.bureau.staff": [1, 3]}, n=4, seed=2)
    assert [r["agencies.bureau.staff"] for r in res.rows] == [1, 3]
    # each point is exactly a plain run of the overridden scenario with the same seed
    for r in res.rows:
        direct = sim.run(base.with_overrides({"agencies.bureau.staff": r["agencies.bureau.staff"]}), n=4, seed=2)
        assert r["mean"] == direct.summary["kpis"]["approval_workdays"]["mean"]
    # more staff cannot make files wait longer for the same draws
    assert res.rows[1]["mean"] <= res.rows[0]["mean"]


def test_tornado_rows_are_sorted_by_swing_and_hold_both_ends():
    base = sim.load(SMALL)
    res = sim.tornado(base, {"agencies.bureau.staff": (1, 4), "stages.filing.defect.p": (0.0, 0.9)}, n=3, seed=1)
    swings = [r["swing"] for r in res.rows]
    assert swings == sorted(swings, reverse=True)
    for r in res.rows:
        assert {"low_mean", "high_mean", "low_value", "high_value"} <= set(r)
    assert res.base == sim.run(base, n=3, seed=1).summary["kpis"]["approval_workdays"]["mean"]


def test_an_unknown_kpi_is_a_scenario_error():
    with pytest.raises(sim.ScenarioError, match="unknown KPI"):
        sim.sweep(sim.load(SMALL), {"agencies.bureau.staff": [1]}, kpi="approval_wrkdays")


def test_parse_values():
    assert parse_values("1,2,3") == [1, 2, 3]
    assert parse_values("0.1, 0.5") == [0.1, 0.5]
    assert parse_values("none,all") == ["none", "all"]
    assert parse_values('"a b", true') == ["a b", True]


def test_result_tables_as_numpy_and_dataframe():
    res = sim.run(sim.load(SMALL), n=2, seed=1)
    col = res.projects.column("approval_workdays")
    assert col.dtype == float and len(col) == len(res.projects)
    assert res.summary() is res.summary
    stages = res.stages.to_numpy()
    assert set(stages) >= {"stage", "issued", "queue"}
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install pandas"):
            res.to_dataframe()
    else:
        df = res.to_dataframe("stages")
        assert len(df) == len(res.stages)


def test_sweep_and_tornado_from_the_command_line(tmp_path):
    out = tmp_path / "sw"
    r = run_cli(
        "sweep", SMALL, "--vary", "agencies.bureau.staff=1,2", "--vary", "levers=none",
        "--set", "stages.filing.defect.p=0.5", "-n", 2, "-q", "-o", out,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    d = json.loads((out / "sweep.json").read_text())
    assert len(d["points"]) == 2 and d["parameters"] == ["agencies.bureau.staff", "levers"]
    for ext in ("png", "svg", "csv"):
        assert (out / f"sweep.{ext}").stat().st_size > 100
    # --set is a fixed override at every grid point: each point is a plain run of the scenario so overridden
    for point in d["points"]:
        staff = point["agencies.bureau.staff"]
        direct = sim.load(SMALL, {"stages.filing.defect.p": 0.5, "agencies.bureau.staff": staff}, levers="none")
        assert point["mean"] == sim.run(direct, n=2).summary["kpis"]["approval_workdays"]["mean"]
    out2 = tmp_path / "tn"
    r = run_cli(
        "tornado", SMALL, "--vary", "agencies.bureau.staff=1,3", "--set", "stages.filing.defect.p=0.5",
        "-n", 2, "-q", "-o", out2,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    tn = json.loads((out2 / "tornado.json").read_text())
    assert tn["parameters"][0]["parameter"] == "agencies.bureau.staff"
    fixed = sim.load(SMALL, {"stages.filing.defect.p": 0.5})
    assert tn["base"] == sim.run(fixed, n=2).summary["kpis"]["approval_workdays"]["mean"]
    bad = run_cli("tornado", SMALL, "--vary", "agencies.bureau.staff=1", "-o", tmp_path / "x")
    assert bad.returncode == 2 and "PATH=LOW,HIGH" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("command", ["sweep", "tornado"])
def test_a_path_both_varied_and_fixed_is_bad_input(tmp_path, command):
    r = run_cli(
        command, SMALL, "--vary", "agencies.bureau.staff=1,3", "--set", "agencies.bureau.staff=2", "-o", tmp_path / "x"
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "--vary agencies.bureau.staff=1,3: agencies.bureau.staff is also fixed by --set" in r.stderr
    assert not (tmp_path / "x").exists()


def test_sweep_no_longer_takes_its_grid_from_set(tmp_path):
    """--set is an override everywhere; a grid given with it is refused by argparse (--vary is required)."""
    r = run_cli("sweep", SMALL, "--set", "agencies.bureau.staff=1,2", "-o", tmp_path)
    assert r.returncode == 2 and "--vary" in r.stderr
