"""``python -m sim check``: calibration targets met or missed, bad target KPIs, targets chosen by
the active levers, and the shipped scenarios' own targets.

Every test runs the CLI in a subprocess and looks only at the exit status and the printed text.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.scenario.loading import read_with_extends

from helpers.cli import run_cli
from helpers.scenarios import project, scenario_toml, stage, workdays

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def check_toml(**targets) -> str:
    """One project, fixed durations (every replication is the same), two levers and the given targets.

    filing 1 wd (Mon 03-04) + permit 1 wd (Tue 03-05): approval 2 working days; with the lever "fast"
    the filing takes half a day: 1.5 working days.
    """
    return scenario_toml(
        "check",
        agencies={"bureau": 1},
        projects=[project("p", "std", "2024-03-04")],
        stages={
            "filing": stage("bureau", effort=workdays(1)),
            "permit": stage("bureau", after="filing", effort=workdays(1)),
        },
        milestones="permit",
        levers={
            "fast": {"name": "fast filing", "scale": {"stages.filing.effort": 0.5}},
            "other": {"set": {"agencies.bureau.staff": 2}},
        },
        targets=targets or None,
    )


MET = {"two_days": {"kpi": "approval_workdays", "stat": "mean", "value": 2, "tolerance": 0.01, "source": "exact trace"}}

MISSED = {"one_day": {"kpi": "approval_workdays", "stat": "p50", "max": 1, "source": "wishful thinking"}}


def test_met_target_exits_0(write_scenario):
    res = run_cli("check", write_scenario(check_toml(**MET)), "-n", 3)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert any(line.startswith("met") and "two_days" in line and "measured 2" in line for line in lines)
    assert "MISSED" not in res.stdout
    assert "1 of 1 targets met" in res.stdout
    assert "source: exact trace" in res.stdout


def test_a_missed_target_exits_1(write_scenario):
    res = run_cli("check", write_scenario(check_toml(**MET, **MISSED)), "-n", 3)
    assert res.returncode == 1, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert any(line.startswith("MISSED") and "one_day" in line and "measured 2" in line for line in lines)
    assert any(line.startswith("met") and "two_days" in line for line in lines)
    assert "1 of 2 targets met" in res.stdout
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("kpi", ["approval_wd", "stages.nope", "classes.std.approval", "agencies.bureau.busy"])
def test_a_bad_target_kpi_is_bad_input_exit_2(write_scenario, kpi):
    text = check_toml(**MET, bad={"kpi": kpi, "max": 1, "source": "typo"})
    res = run_cli("check", write_scenario(text), "-n", 3)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "targets.bad.kpi" in res.stderr
    assert repr(kpi) in res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout == ""


def test_kpis_of_every_kind_can_be_targets(write_scenario):
    text = check_toml(
        # submission to issue of the permit: one working day
        stage={"kpi": "stages.permit", "value": 1, "tolerance": 0.001, "source": "trace"},
        # submitted Tue 09:00, issued Tue 17:00
        same_day={"kpi": "same_day.permit", "min": 1, "source": "trace"},
        by_class={
            "kpi": "classes.std.approval_workdays",
            "stat": "p90",
            "value": 2,
            "tolerance": 0.001,
            "source": "trace",
        },
        busy={
            "kpi": "agencies.bureau.utilisation",
            "min": 0.001,
            "max": 0.1,
            "source": "two working days in a year",
        },
    )
    res = run_cli("check", write_scenario(text), "-n", 2)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "4 of 4 targets met" in res.stdout
    assert "no value" not in res.stdout


TARGETS_BY_LEVERS = {
    "any_run": {"kpi": "approval_workdays", "min": 1, "source": "any lever set"},
    "no_reform": {
        "levers": "none",
        "kpi": "approval_workdays",
        "value": 2,
        "tolerance": 0.01,
        "source": "without levers",
    },
    "fast_only": {
        "levers": ["fast"],
        "kpi": "approval_workdays",
        "value": 1.5,
        "tolerance": 0.01,
        "source": "with the fast filing",
    },
    "everything": {
        "levers": "all",
        "kpi": "approval_workdays",
        "value": 1.5,
        "tolerance": 0.01,
        "source": "with every lever",
    },
}


@pytest.mark.parametrize(
    "levers, shown",
    [
        ("none", {"any_run", "no_reform"}),
        ("fast", {"any_run", "fast_only"}),
        ("all", {"any_run", "everything"}),
        ("other,fast", {"any_run", "everything"}),
        ("other", {"any_run"}),
    ],
)
def test_targets_are_filtered_by_the_active_levers(write_scenario, levers, shown):
    res = run_cli("check", write_scenario(check_toml(**TARGETS_BY_LEVERS)), "-n", 2, "--levers", levers)
    assert res.returncode == 0, res.stdout + res.stderr
    listed = {line.split()[1].rstrip(":") for line in res.stdout.splitlines() if line.startswith(("met", "MISSED"))}
    assert listed == shown
    assert f"{len(shown)} of {len(shown)} targets met" in res.stdout


def test_a_target_of_another_lever_set_is_not_checked_and_none_apply(write_scenario):
    # the "none" target would be missed with the lever on, but it is not checked then
    path = write_scenario(check_toml(no_reform=TARGETS_BY_LEVERS["no_reform"]))
    res = run_cli("check", path, "-n", 2, "--levers", "fast")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "declares no [targets] for the levers fast" in res.stdout
    assert run_cli("check", path, "-n", 2).returncode == 0
    # the same target fails when its value no longer holds for its own lever set
    res = run_cli("check", path, "-n", 2, "--set", "stages.permit.effort.value=2")
    assert res.returncode == 1 and "MISSED no_reform" in res.stdout


def test_bad_target_levers_and_unknown_active_levers_are_bad_input(write_scenario):
    text = check_toml(t={"levers": ["fats"], "kpi": "approval_workdays", "max": 5, "source": "typo"})
    res = run_cli("check", write_scenario(text), "-n", 2)
    assert res.returncode == 2 and "targets.t.levers" in res.stderr and "'fats'" in res.stderr
    res = run_cli("check", write_scenario(check_toml(**MET)), "-n", 2, "--levers", "fats")
    assert res.returncode == 2 and "unknown lever 'fats'" in res.stderr


def test_a_share_of_exactly_the_bound_is_met_whatever_the_order_of_the_replications():
    # 20 replications of one project each, same-day in 18 of them: the share is 18/20 = 0.9 exactly,
    # so a target "mean >= 0.9" is met.  The streaming mean must not round it to 0.8999999999999998.
    from sim.runs.stats import Accumulator
    from sim.scenario.targets import Target, check_targets

    target = Target("same_day", "same_day.permit", "mean", 0.9, None, "trace")
    for zeros in ((0, 1), (0, 19), (18, 19), (3, 11)):
        acc = Accumulator("share", quantiles=False)
        for rep in range(20):
            acc.add(np.array([0.0 if rep in zeros else 1.0]))
        summary = {"meta": {"levers": []}, "kpis": {}, "same_day": {"permit": acc.to_dict()}}
        (result,) = check_targets((target,), summary)
        assert result.value == pytest.approx(0.9, abs=1e-12)
        assert result.met, (zeros, result.value)


# ---------------------------------------------------------------------------
# The shipped scenarios
# ---------------------------------------------------------------------------
def declares_targets(path: Path) -> bool:
    """Whether the file (with what it extends) has [targets]; unreadable files are kept, to fail below."""
    try:
        return bool(read_with_extends(path).get("targets"))
    except Exception:
        return True


SHIPPED = [
    (p, ("--levers", "none") if p.name == "pre_reform.toml" else ())
    for p in sorted(SCENARIOS.rglob("*.toml"))
    if declares_targets(p)
]


def test_the_shipped_reform_scenarios_are_among_those_checked():
    names = {p.name for p, _ in SHIPPED}
    assert {"pre_reform.toml", "reform.toml"} <= names


@pytest.mark.parametrize("path, extra", SHIPPED, ids=[str(p.relative_to(SCENARIOS)) for p, _ in SHIPPED])
def test_shipped_scenarios_meet_their_targets(path, extra):
    # a single-plant scenario has one project per replication: give its shares more replications
    n = 100 if path.name == "hongbin_anode.toml" else 20
    res = run_cli("check", path, "-n", n, "--jobs", 2, *extra)
    assert res.returncode == 0, f"{path.name}:\n{res.stdout}\n{res.stderr}"
    assert "MISSED" not in res.stdout
    assert "targets met" in res.stdout  # at least one target applied and was checked
