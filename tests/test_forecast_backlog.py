"""A backlog file is checked like a scenario: every problem names the file, the row and the column, says what was
wrong and what is allowed, and the command line exits with status 2 without a traceback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import sim
from sim.core.errors import ScenarioError

from helpers import REPO
from helpers.cli import run_cli

PRE = REPO / "scenarios" / "pre_reform.toml"
AS_OF = dt.date(2024, 9, 2)
HEAD = "project,class,signed,stage,state,since,round"


@pytest.fixture(scope="module")
def pre_reform():
    return sim.load(PRE)


def _problems(tmp_path: Path, sc, *lines: str, head: str = HEAD) -> list[str]:
    path = tmp_path / "open.csv"
    path.write_text("\n".join([head, *lines]) + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        sim.read_backlog(path, sc, AS_OF)
    return [f"{p.path}: {p.message}" for p in e.value.problems]


CASES = [
    (
        ["P1,small,2024-03-01,land_prereveiw,done,2024-05-01,"],
        "row 2, column stage: unknown stage 'land_prereveiw' (did you mean \"land_prereview\"?)",
    ),
    (["P1,medium,2024-03-01,site_selection,in_review,2024-08-01,1"], "row 2, column class: unknown class 'medium'"),
    (["P1,small,2024-03-01,site_selection,in_reveiw,2024-08-01,1"], '(did you mean "in_review"?)'),
    (
        ["P1,small,2024-03-01,site_selection,in_review,2024-09-02,1"],
        "row 2, column since: 2024-09-02 is not before the as-of date 2024-09-02",
    ),
    (["P1,small,2024-03-01,site_selection,in_review,2024-13-01,1"], "row 2, column since: '2024-13-01' is not a date"),
    (["P1,small,2024-03-01,site_selection,in_review,02/08/2024,1"], "row 2, column since: '02/08/2024' is not a date"),
    (
        [
            "P1,small,2024-03-01,site_selection,in_review,2024-08-01,1",
            "P1,small,2024-03-01,site_selection,done,2024-08-20,",
        ],
        "row 3, column stage: project 'P1' lists stage 'site_selection' twice (rows 2 and 3)",
    ),
    (
        [
            "P1,small,2024-03-01,site_selection,in_review,2024-08-01,1",
            "P1,small,2024-03-01,filing,in_review,2024-08-20,1",
        ],
        "row 2, column state: stage site_selection is in_review, but planning_coordination, which waits for it, was "
        "decided: filing after it is in_review (row 3)",
    ),
    (
        [
            "P1,small,2024-03-01,site_selection,queued,2024-08-01,1",
            "P1,small,2024-03-01,planning_coordination,in_review,2024-08-20,1",
        ],
        "row 3, column state: stage planning_coordination is in_review, but site_selection, which it waits for, is "
        "queued (row 2)",
    ),
    (
        [
            "P1,small,2024-03-01,site_selection,done,2024-08-20,",
            "P1,small,2024-03-01,planning_coordination,in_review,2024-08-10,1",
        ],
        "row 3, column since: stage planning_coordination is in_review since 2024-08-10 09:00, before the decision "
        "of site_selection it waits for (2024-08-20 09:00, row 2)",
    ),
    (
        ["P1,small,2024-03-01,site_selection,waiting_sitting,2024-08-01,1"],
        "row 2, column state: stage site_selection cannot be waiting_sitting",
    ),
    (
        ["P1,small,2024-03-01,site_selection,returned,2024-08-01,7"],
        "row 2, column round: is 7, but stage site_selection ",
    ),
    (["P1,small,2024-03-01,site_selection,in_review,2024-08-01,0"], "row 2, column round: must be a whole number"),
    (
        ["P1,small,2024-03-01,site_selection,done,2024-08-01,", "P1,large,2024-03-01,eia,in_review,2024-08-20,1"],
        "row 3, column class: 'large' differs from 'small' on row 2 of project 'P1'",
    ),
    (["P1,small,2024-03-01,commissioning,done,2025-08-01,"], "row 2, column since: 2025-08-01 is not before"),
    (["P1,small,,site_selection,in_review,2024-08-01,1"], "row 2, column signed: project 'P1' has no signing date"),
    (
        ["P1,small,2024-08-10,site_selection,in_review,2024-08-01,1"],
        "row 2, column since: 2024-08-01 is before the project signed",
    ),
    ([",small,2024-03-01,site_selection,in_review,2024-08-01,1"], "row 2, column project: is empty"),
    (
        ["P1,small,2024-03-01,site_selection,not_started,2024-08-01,"],
        "row 2, column since: a stage not started has no date",
    ),
    (["P1,small,2024-03-01,site_selection,in_review,,1"], "row 2, column since: is empty"),
]


@pytest.mark.parametrize(("lines", "expected"), CASES, ids=range(len(CASES)))
def test_each_problem_names_the_row_and_the_column(tmp_path, pre_reform, lines, expected) -> None:
    found = _problems(tmp_path, pre_reform, *lines)
    assert any(expected in p for p in found), found


def test_every_stage_done_is_not_an_open_file(tmp_path, pre_reform) -> None:
    """A file whose last stages are done (the others implied) is not open."""
    found = _problems(
        tmp_path,
        pre_reform,
        "P1,small,2024-01-08,completion_acceptance,done,2024-08-20,",
        "P1,small,2024-01-08,commissioning,done,2024-08-21,",
    )
    assert any("row 2, column state: project P1 is not open: every stage is done" in p for p in found), found


def test_columns_are_checked(tmp_path, pre_reform) -> None:
    found = _problems(
        tmp_path, pre_reform, "P1,small,2024-03-01,site_selection,1", head="project,clas,signed,stage,round"
    )
    assert any("row 1, column 2: unknown column 'clas' (did you mean \"class\"?)" in p for p in found), found
    assert any("row 1: the column 'state' is missing" in p for p in found), found


def test_attribute_columns_are_typed(tmp_path, pre_reform) -> None:
    """A project attribute of the scenario may be a column; a boolean one takes true or false."""
    head = HEAD + ",uses_agent"
    found = _problems(
        tmp_path, pre_reform, "P1,small,2024-03-01,site_selection,in_review,2024-08-01,1,maybe", head=head
    )
    assert any("row 2, column uses_agent: the attribute uses_agent is true or false, got 'maybe'" in p for p in found)
    path = tmp_path / "ok.csv"
    path.write_text(head + "\nP1,small,2024-03-01,site_selection,in_review,2024-08-01 14:30,1,yes\n", encoding="utf-8")
    backlog = sim.read_backlog(path, pre_reform, AS_OF)
    (p,) = backlog.projects
    assert dict(p.attributes) == {"uses_agent": True}
    assert p.stages[0].since == dt.datetime(2024, 8, 1, 14, 30)
    assert p.signed == dt.datetime(2024, 3, 1, 9, 0)  # a date alone: the office opening


def test_a_bad_file_exits_2_naming_row_and_column(tmp_path) -> None:
    path = tmp_path / "open.csv"
    path.write_text(HEAD + "\nP1,small,2024-03-01,site_selection,in_review,2024-10-01,1\n", encoding="utf-8")
    res = run_cli("forecast", PRE, "--backlog", path, "--as-of", "2024-09-02", "-n", 2, "-q")
    assert res.returncode == 2
    assert f"error: {path}: row 2, column since: 2024-10-01 is not before the as-of date 2024-09-02" in res.stderr
    assert "Traceback" not in res.stderr
    for text, message in ((b"\xff\xfe", "is not UTF-8 text"), (b"", "the file is empty")):
        path.write_bytes(text)
        res = run_cli("forecast", PRE, "--backlog", path, "--as-of", "2024-09-02", "-q")
        assert res.returncode == 2 and message in res.stderr, res.stderr
    res = run_cli("forecast", PRE, "--backlog", tmp_path / "missing.csv", "--as-of", "2024-09-02", "-q")
    assert res.returncode == 2 and "cannot read the backlog" in res.stderr
    res = run_cli("forecast", PRE, "--backlog", path, "--as-of", "2024-9-2", "-q")
    assert res.returncode == 2 and "must be a date YYYY-MM-DD" in res.stderr
