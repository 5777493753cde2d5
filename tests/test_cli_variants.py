"""The command line's conveniences: ``--version``, ``compare`` without ``-o``, scenario variants without new
files (``FILE@levers=...``, ``FILE@name=...``, ``FILE@KEY.PATH=VALUE``, ``--set`` and ``--levers`` for all),
``check -q``, and help texts that list what is allowed."""

from __future__ import annotations

import json
from importlib.metadata import version

from helpers import REPO
from helpers.cli import run_cli
from helpers.scenarios import scenario_toml, stage, workdays

SMALL = REPO / "tests/data/valid_small.toml"


def levered(write_scenario):
    """A one-stage scenario whose lever halves the effort; the lever is off by default."""
    return write_scenario(
        scenario_toml(
            "bureau",
            agencies={"bureau": 3},
            stream={"rate": 40, "classes": {"std": 1}},
            stages={"permit": stage("bureau", effort=workdays(10))},
            milestones="permit",
            levers={"fast": {"scale": {"stages.permit.effort": 0.5}}},
        )
    )


def test_version_is_the_installed_one():
    res = run_cli("--version")
    assert res.returncode == 0
    assert res.stdout.strip() == f"approval-sim {version('approval-sim')}"


def test_compare_without_out_prints_the_table_and_writes_nothing(tmp_path):
    res = run_cli("compare", SMALL, SMALL, "-n", 3, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "approval_workdays" in res.stdout and "wrote" not in res.stdout
    assert list(tmp_path.iterdir()) == []


def test_variants_of_one_file_are_named_apart_and_differ(write_scenario, tmp_path):
    path = levered(write_scenario)
    out = tmp_path / "out"
    res = run_cli(
        "compare",
        path,
        f"{path}@levers=fast",
        f"{path}@name=Five staff@agencies.bureau.staff=5",
        "-n",
        4,
        "-o",
        out,
        "-q",
    )
    assert res.returncode == 0, res.stderr
    cmp = json.loads((out / "compare.json").read_text())
    names = [s["name"] for s in cmp["scenarios"]]
    assert names == ["bureau", "bureau [levers: all]", "Five staff"]  # its one lever is all it declares
    means = [s["summary"]["kpis"]["approval_workdays"]["mean"] for s in cmp["scenarios"]]
    # halving a 10-working-day effort takes at least 5 working days off (queueing only adds to the difference)
    assert means[0] - means[1] >= 5
    assert means[2] < means[0]  # more staff, less queueing


def test_set_and_levers_apply_to_every_scenario(write_scenario, tmp_path):
    path = levered(write_scenario)
    res = run_cli(
        "compare",
        path,
        f"{path}@name=copy",
        "-n",
        3,
        "--levers",
        "fast",
        "--set",
        "stages.permit.effort.value=2",
        "-o",
        tmp_path / "out",
        "-q",
    )
    assert res.returncode == 0, res.stderr
    cmp = json.loads((tmp_path / "out/compare.json").read_text())
    assert [s["levers"] for s in cmp["scenarios"]] == [["fast"], ["fast"]]
    # effort 2 working days, halved by the lever: 1 working day each, so a mean of at least 1 and equal results
    a, b = (s["summary"]["kpis"]["approval_workdays"]["mean"] for s in cmp["scenarios"])
    assert a == b and a >= 1


def test_bad_variants_are_refused_naming_the_argument(write_scenario):
    path = levered(write_scenario)
    res = run_cli("compare", path, f"{path}@levers=nosuch", "-n", 2)
    assert res.returncode == 2 and "unknown lever 'nosuch'" in res.stderr and "Traceback" not in res.stderr
    res = run_cli("compare", path, f"{path}@oops", "-n", 2)
    assert res.returncode == 2 and "@oops" in res.stderr and "FILE@KEY=VALUE" in res.stderr


def test_check_quiet_prints_nothing_and_its_status_answers():
    res = run_cli("check", REPO / "scenarios/pre_reform.toml", "-n", 3, "-q")
    assert res.stdout == "" and res.returncode in (0, 1), res.stderr


def test_help_texts_list_what_is_allowed():
    sweep = run_cli("sweep", "--help").stdout
    assert "to_production_months" in sweep and "stages.<stage id>" in sweep
    attribute = " ".join(run_cli("attribute", "--help").stdout.split())
    assert "the scenario's seed" in attribute and "first" not in attribute
    compare = " ".join(run_cli("compare", "--help").stdout.split())
    assert "the first scenario's seed" in compare and "FILE@levers=a,b" in compare
