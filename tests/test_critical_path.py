"""The approval time along the critical path (sim.runs.critical_path): on a process with fixed durations, the
chain and its kinds of time are computed by hand; on the shipped scenarios, its total is the mean approval time
that projects.csv gives, project by project, and the time_split figure shows that total."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

import sim
from sim.present import plots

from helpers.scenarios import milestones_at, project, scenario_toml, stage, workdays

ROOT = Path(__file__).resolve().parents[1]

#: two stages from signing in parallel, a (review 5) and b (prepare 3, review 10), then c after both: reviewed 2,
#: found defective once (fixed in 4), reviewed 2 again, 1 of lag; a 24/7 calendar, one reviewer per agency
PARALLEL = scenario_toml(
    "parallel",
    always_open=True,
    agencies={"ga": 1, "gb": 1, "gc": 1},
    projects=[project("p", "std", "2024-03-04")],
    stages={
        "a": stage("ga", effort=workdays(5)),
        "b": stage("gb", prepare=workdays(3), effort=workdays(10)),
        "c": stage(
            "gc",
            after=["a", "b"],
            effort=workdays(2),
            defect={"p": 1, "decay": 0, "max_rounds": 3, "fix": workdays(4)},
            lag=workdays(1),
        ),
        "works": stage(after="c", build={"dist": "fixed", "value": 10, "unit": "day"}),
    },
    milestones=milestones_at("c", "works"),
)


def test_the_critical_path_by_hand(write_scenario):
    """First submission at signing (a); b submits after 3 days of preparation, is reviewed for 10, and decides
    last, so the path is b then c: 3 prepare + 10 review in b, 2 + 2 review, 4 rework and 1 lag in c = 22
    working days, the approval time; a's 5 days of review run in parallel (summed over stages: 27)."""
    cmp = sim.compare([sim.load(write_scenario(PARALLEL))], n=1, seed=1)
    summary = cmp.summaries[0]
    assert summary.kpis["approval_workdays"].mean == pytest.approx(22)
    path = summary.approval_path()
    expected = {("b", "prepare"): 3, ("b", "review"): 10, ("c", "review"): 4, ("c", "rework"): 4, ("c", "lag"): 1}
    assert path.keys() == expected.keys()
    for key, days in expected.items():
        assert path[key] == pytest.approx(days, abs=1e-9), key
    rows = plots.time_split_data(cmp)
    by_kind = {r["key"]: r["mean"] for r in rows if r["panel"] == "critical_path"}
    assert by_kind["review"] == pytest.approx(14) and by_kind["prepare"] == pytest.approx(3)
    summed = {r["key"]: r["mean"] for r in rows if r["panel"] == "all_stages"}
    assert summed["review"] == pytest.approx(19) and sum(summed.values()) == pytest.approx(27)


def _mean_approval(projects_csv: Path) -> float:
    """The mean of the approval_workdays column over the projects that reached the permit, read as text."""
    with projects_csv.open(encoding="utf-8") as f:
        values = [float(row["approval_workdays"]) for row in csv.DictReader(f) if row["approval_workdays"]]
    return math.fsum(values) / len(values)


@pytest.mark.parametrize("name", ["pre_reform", "reform"])
def test_time_split_adds_up_to_the_approval_time_of_projects_csv(name, tmp_path):
    sc = sim.load(ROOT / f"scenarios/{name}.toml")
    sim.run(sc, n=3, seed=7, out=tmp_path / "run")
    truth = _mean_approval(tmp_path / "run" / "projects.csv")
    cmp = sim.compare([sc], n=3, seed=7, typical=False)
    rows = plots.time_split_data(cmp)
    for panel in ("critical_path", "critical_path_phase"):
        total = sum(r["mean"] for r in rows if r["panel"] == panel)
        assert total == pytest.approx(truth, rel=1e-6), panel
    summed = sum(r["mean"] for r in rows if r["panel"] == "all_stages")
    assert summed > truth * 1.5  # parallel stages add up: the summed view is not the approval time
    wait = [r["mean"] for r in rows if r["panel"] == "critical_path" and r["key"] == "wait"]
    assert wait == [pytest.approx(0, abs=1e-6)]  # every working day on the path has a kind
    fig = plots.time_split(cmp)
    ends = [t.get_text() for t in fig.axes[0].texts if "mean approval time" in t.get_text()]
    assert ends == [f" {truth:.1f} working days\n = mean approval time"]
