"""The command line's counterparts of the API's argument checks: options that cannot do what they say are
refused with exit status 2 before anything runs, and an empty result is reported, not a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests/data/valid_small.toml"  # declares no levers
REFORM = ROOT / "scenarios/reform.toml"


@pytest.mark.parametrize("command", ["compare", "report"])
def test_attribute_without_levers_in_the_last_scenario_is_refused(tmp_path, command):
    """``--attribute`` used to do nothing, silently, when the last scenario had no levers on."""
    out = tmp_path / ("out" if command == "compare" else "report.html")
    res = run_cli(command, REFORM, SMALL, "--attribute", "-n", 2, "-o", out)
    assert res.returncode == 2, res.stderr
    assert res.stderr == (
        f"error: {SMALL}: scenario.levers: --attribute attributes the levers of the last scenario, and it has "
        "none on: switch some on in scenario.levers, put a scenario with levers last, or leave out --attribute\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_path_varied_twice_is_refused(tmp_path):
    res = run_cli(
        "sweep", SMALL, "--vary", "agencies.bureau.staff=1,2", "--vary", "agencies.bureau.staff=3", "-o", tmp_path / "s"
    )
    assert res.returncode == 2
    assert (
        "--vary agencies.bureau.staff=3: agencies.bureau.staff is varied twice: give all its values in one --vary"
        in res.stderr
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "command, vary", [("sweep", "agencies.bureau.staff=1,2"), ("tornado", "agencies.bureau.staff=1,2")]
)
def test_an_unknown_kpi_is_refused_before_anything_runs(tmp_path, command, vary):
    res = run_cli(command, SMALL, "--vary", vary, "--kpi", "approval_wrkdays", "-o", tmp_path / "x")
    assert res.returncode == 2
    assert res.stderr.startswith(f"error: {SMALL}: --kpi: unknown KPI 'approval_wrkdays' (did you mean")
    assert list(tmp_path.iterdir()) == []


def test_a_tornado_with_no_value_is_reported_not_a_crash(tmp_path):
    """No project reaches production within a short horizon: the base and every end have no value."""
    out = tmp_path / "t"
    res = run_cli(
        "tornado", SMALL, "--vary", "agencies.bureau.staff=1,2", "--kpi", "to_production_months",
        "--set", "scenario.horizon_years=0.3", "--set", "arrivals.stream.until=2024-03-01",
        "--set", "arrivals.projects=[]", "-n", 1, "-o", out,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "to_production_months at base: no value (no project reached it)" in res.stdout
    assert "No artists with labels" not in res.stderr and "Traceback" not in res.stderr
    assert json.loads((out / "tornado.json").read_text(encoding="utf-8"))["base"] is None
    assert (out / "tornado.png").stat().st_size > 0
