"""The timeline figure: the project it follows is the one asked for (or a large plant by default), shutdown
windows are shaded where the scenario puts them, phases are numbered as in the national scheme, no label is
cut, the milestones agree with the bars, decisions on the day of application are marked, and the titles give
the approval working days and months to production that projects.csv gives."""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import matplotlib.dates as mdates
import pytest

import sim
from sim.present import fonts, plots

from helpers import REPO
from helpers.cli import run_cli
from helpers.scenarios import milestones_at, project, project_class, scenario_toml, stage, workdays

PRE, REFORM = REPO / "scenarios/pre_reform.toml", REPO / "scenarios/reform.toml"

#: two projects signed on 2 September 2024, one of them exempt from a winter stop from 1 December to 28
#: February; their works take 6 months (182.62 days) once the one-day permit is issued
WINTER = scenario_toml(
    "winter",
    agencies={"bureau": 1},
    classes={"std": project_class(), "key": project_class()},
    projects=[project("p", "std", "2024-09-02"), project("k", "key", "2024-09-02")],
    shutdowns={"winter": {"from": "12-01", "to": "02-28", "name": "winter stop", "exempt": {"class": "key"}}},
    stages={
        "permit": stage("bureau", effort=workdays(1)),
        "works": stage(after="permit", build={"dist": "fixed", "value": 6, "unit": "month"}, shutdowns=["winter"]),
    },
    milestones=milestones_at("permit", "works"),
    end_date="2025-12-31",
)


#: one class: the timeline follows the median project (a and b take as long; the earlier signed wins)
ONE_CLASS = scenario_toml(
    "one",
    agencies={"bureau": 2},
    projects=[project("a", "std", "2024-03-04"), project("b", "std", "2024-04-01")],
    stages={"permit": stage("bureau", effort=workdays(1))},
    milestones="permit",
)


@pytest.fixture(scope="module")
def cmp():
    return sim.compare([sim.load(PRE), sim.load(REFORM)], n=2, seed=5)


@pytest.fixture
def no_cjk(monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)


def _panel_rows(rows, i, kind):
    return [r for r in rows if r["scenario_index"] == i and r["kind"] == kind]


def test_shutdown_windows_are_shaded_where_the_scenario_puts_them(write_scenario, no_cjk):
    sc = sim.load(write_scenario(WINTER))
    cmp = sim.compare([sc], n=1, seed=1)
    day = mdates.date2num(dt.datetime(2024, 12, 1))
    for pid, exempt in (("p", False), ("k", True)):
        rows = plots.timeline_data(cmp, project=pid)
        shaded = _panel_rows(rows, 0, "shutdown")
        # 1 December 2024 00:00 to the end of 28 February 2025: 31 + 31 + 28 = 90 days, one window only
        assert [(r["stage"], r["start"], r["end"], r["duration_days"]) for r in shaded] == [
            ("works", "2024-12-01 00:00", "2025-03-01 00:00", 90.0)
        ]
        assert shaded[0]["note"] == ("exempt" if exempt else "")
        build = next(r for r in _panel_rows(rows, 0, "step") if r["step"] == "build")
        stopped = 90.0 if not exempt else 0.0  # the works stop for the window unless the project is exempt
        assert build["duration_days"] == pytest.approx(6 * 365.2425 / 12 + stopped, abs=1e-4)
        fig = plots.timeline(cmp, project=pid)
        patch = next(p for p in fig.axes[0].patches if p.get_gid() == "shutdown:works:winter:2024-12-01")
        assert patch.get_x() == pytest.approx(day) and patch.get_width() == pytest.approx(90)
        assert patch.get_zorder() > 2 if not exempt else patch.get_zorder() < 2  # over the bar when work stops
        legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
        what = "this project is exempt and builds through it" if exempt else "construction stops"
        assert f"winter stop (01 Dec to 28 Feb): {what}" in legend


def test_the_timeline_follows_the_project_named(cmp, no_cjk):
    ids = [p.id for p in cmp.traces[0].projects]
    for pid in (ids[0], ids[-1]):
        rows = plots.timeline_data(cmp, project=pid)
        assert {r["project"] for r in rows} == {pid}
        assert f"Project {pid} " in plots.timeline(cmp, project=pid).get_suptitle()
    with pytest.raises(ValueError, match="no project 'nope' in replication 0 of 'Pre-reform"):
        plots.timeline(cmp, project="nope")
    with pytest.raises(ValueError, match="timeline_project: no project 'nope'"):
        sim.compare([sim.load(PRE)], n=1, timeline_project="nope")


def test_by_default_a_large_plant_and_the_median_project_on_request(cmp, write_scenario):
    # the shipped scenarios invest CNY 800 m (median) in a large plant and 30 m in a small one
    assert {tp.cls for tp in cmp.typical} == {"large"} and "class 'large'" in cmp.typical[0].chosen
    median = cmp.trace_project("median")[0]
    reached = [p.kpi["to_production_months"] for p in cmp.traces[0].projects]
    p50 = cmp.summaries[0].kpis["to_production_months"].to_dict()["p50"]
    assert abs(median.kpi["to_production_months"] - p50) == pytest.approx(min(abs(m - p50) for m in reached))
    one_class = sim.compare([sim.load(write_scenario(ONE_CLASS))], n=1)
    assert one_class.typical[0].project == "a" and "median time to production in one" in one_class.typical[0].chosen


def test_phases_are_numbered_as_the_national_scheme_and_no_label_is_cut(cmp, no_cjk):
    fig = plots.timeline(cmp)
    for ax, i in zip(fig.axes, (0, 1)):
        labels = [t.get_text() for t in ax.get_yticklabels()]
        headers = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
        assert headers == [
            "1 Project approval and land-use planning",
            "Assessments",
            "2 Engineering construction permit",
            "3 Construction permit",
            "Construction",
            "4 Completion acceptance",
        ]
        assert not any("…" in t for t in labels)
        shown = {t.replace("\n", " ") for t in labels}
        sc = cmp.scenarios[i]
        for sid in {r["stage"] for r in _panel_rows(plots.timeline_data(cmp), i, "step")}:
            assert fonts.strip_cjk(sc.stage_by_id[sid].name) in shown, sid


def test_milestones_agree_with_the_bars(cmp, no_cjk):
    rows = plots.timeline_data(cmp)
    for i in (0, 1):
        steps = _panel_rows(rows, i, "step")
        marks = {r["step"]: r["start_day"] for r in _panel_rows(rows, i, "milestone") if r["start_day"] != ""}
        assert set(marks) == {"construction_permit", "construction_start", "completion", "production"}
        # no bar runs past the last milestone line; acceptance ends on the completion line, commissioning on production
        assert max(r["end_day"] for r in steps) <= max(marks.values()) + 1e-6
        acceptance = max(r["end_day"] for r in steps if r["stage"] == "completion_acceptance")
        assert acceptance == pytest.approx(marks["completion"], abs=1e-5)
        assert max(r["end_day"] for r in steps if r["stage"] == "commissioning") == pytest.approx(
            marks["production"], abs=1e-5
        )
        assert marks["construction_permit"] <= marks["construction_start"] <= marks["production"]


def test_decisions_on_the_day_of_application_are_marked(cmp, no_cjk):
    fig = plots.timeline(cmp)
    marked_any = False
    for ax, res, tp in zip(fig.axes, cmp.traces, cmp.typical):
        visits = [v for idx, pid, v in res.stages if pid == tp.project]
        truth = {v.stage for v in visits if v.submissions and math.floor(v.submitted) == math.floor(v.issued)}
        marked = {ln.get_gid().split(":", 1)[1] for ln in ax.lines if (ln.get_gid() or "").startswith("same_day:")}
        assert marked == truth
        marked_any |= bool(marked)
        decided = sum(1 for v in visits if v.submissions)
        assert f"{len(truth)} of {decided} decisions on the day of application" in ax.get_title(loc="left")
    assert marked_any  # the reform decides some files on the day they are submitted


def test_titles_give_the_approval_days_and_months_that_projects_csv_gives(cmp, tmp_path, no_cjk):
    fig = plots.timeline(cmp)
    for ax, path in zip(fig.axes, (PRE, REFORM)):
        out = tmp_path / path.stem
        sim.run(sim.load(path), n=1, seed=cmp.seed, out=out)  # replication 0, as the timeline's trace
        with (out / "projects.csv").open(encoding="utf-8") as f:
            row = next(r for r in csv.DictReader(f) if r["project"] == cmp.typical[0].project)
        title = ax.get_title(loc="left")
        assert f"approval {float(row['approval_workdays']):.0f} working days" in title
        assert f"production {float(row['to_production_months']):.1f} months after signing" in title


def test_the_command_line_option(tmp_path, write_scenario):
    f = write_scenario(WINTER)
    out = tmp_path / "out"
    res = run_cli("compare", f, f, "-n", 1, "-q", "--timeline-project", "k", "-o", out)
    assert res.returncode == 0, res.stderr
    with (out / "timeline.csv").open(encoding="utf-8") as fh:
        assert {r["project"] for r in csv.DictReader(fh)} == {"k"}
    bad = run_cli("report", f, f, "-n", 1, "--timeline-project", "z9", "-o", tmp_path / "r.html")
    assert bad.returncode == 2 and "--timeline-project: no project 'z9'" in bad.stderr
    assert "(p, k)" in bad.stderr and "Traceback" not in bad.stderr and not Path(tmp_path / "r.html").exists()
