"""Exact traces of tiny scenarios on the real 2024 Chinese working calendar.

Every expected date, time and working-day count below is counted by hand; the
comment next to it says how.  Durations are fixed, so nothing is random.

The 2024 calendar facts used (from the ``holidays`` package, official 调休):

* 2024-01-01 (Mon) New Year holiday.
* Spring Festival: 2024-02-10 .. 02-17 off (02-12 .. 02-16 are weekdays);
  Sun 2024-02-04 and Sun 2024-02-18 are make-up working days; Fri 02-09 works.
* Qingming: Thu 2024-04-04 and Fri 04-05 off; Sun 2024-04-07 is a working day.
* National Day: Tue 2024-10-01 .. Mon 10-07 off; Sun 09-29 and Sat 10-12 work; Mon 09-30 works.
* March 2024 has no holidays: every Monday-Friday works.

Office hours are 09:00-17:00 unless an agency sets its own; a named project
signs at 09:00 of its ``signed`` date; work that ends exactly at closing time
ends at 17:00 that day (not at the next opening).
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib

import pytest

from sim.core.units import DAYS_PER_MONTH
from sim.runs.rows import project_columns, stage_columns
from sim.runs.runner import run
from sim.scenario.loading import load

from helpers.scenarios import days, milestones_at, project, project_class, scenario_toml, stage, workdays, workhours
from helpers.shared_scenarios import winter_works_toml
from helpers.traces import clock, simulate_one, stamp, wd


def trace_toml(**parts) -> str:
    """The scenario "trace": the year 2024, seed 1, one class "std" investing 1e8 unless ``parts`` say otherwise."""
    return scenario_toml("trace", settings={"seed": 1}, **parts)


def rows_by_project(result, cs):
    cols = project_columns(cs)
    return {row[1]: dict(zip(cols, row)) for row in result.project_rows}


def rows_by_stage(result):
    cols = stage_columns()
    return {(row[1], row[2]): dict(zip(cols, row)) for row in result.stage_rows}


# ---------------------------------------------------------------------------
def test_serial_stages_and_join_start_when_the_later_predecessor_ends(write_scenario):
    text = trace_toml(
        agencies={"ga": 1, "gb": 1, "gc": 1, "gd": 1},
        projects=[project("p", "std", "2024-03-04")],
        stages={
            "a": stage("ga", effort=workdays(2)),
            "b": stage("gb", after="a", effort=workdays(1)),
            "c": stage("gc", after="a", effort=workdays(3)),
            "d": stage("gd", after=["b", "c"], effort=workdays(1)),
        },
        milestones="d",
    )
    sc = load(write_scenario(text))
    cs, res, projects, stages = simulate_one(sc)
    p = projects["p"]
    # named project: Mon 2024-03-04 at 09:00
    assert stamp(p.signed) == "2024-03-04 09:00"
    a, b, c, d = (stages["p", s] for s in "abcd")
    # a: 2 working days Mon 09:00 -> Tue 03-05 17:00
    assert (stamp(a.started), stamp(a.submitted), stamp(a.issued)) == (
        "2024-03-04 09:00",
        "2024-03-04 09:00",
        "2024-03-05 17:00",
    )
    assert a.review == wd(2) and a.queue == wd(0)
    # b and c both start when a ends (Tue 17:00); b works Wed, c works Wed-Fri
    assert stamp(b.started) == stamp(c.started) == "2024-03-05 17:00"
    assert stamp(b.issued) == "2024-03-06 17:00"
    assert stamp(c.issued) == "2024-03-08 17:00"
    # the join d starts when the later of b and c ends: Fri 03-08 17:00, not Wed;
    # submissions are made in office hours, so d is submitted at the next opening, Mon 03-11 09:00
    assert d.started == c.issued
    assert stamp(d.started) == "2024-03-08 17:00"
    assert stamp(d.submitted) == "2024-03-11 09:00"
    # d: its one working day is Mon 03-11 (weekend skipped); review counts 1 working day
    assert stamp(d.issued) == "2024-03-11 17:00"
    assert d.review == wd(1) and d.queue == wd(0)
    # first submission Mon 03-04 09:00 to permit Mon 03-11 17:00: Mar 4,5,6,7,8,11 = 6 working days,
    # 7 days 8 hours
    assert p.first_submission == a.submitted
    assert p.kpi["approval_workdays"] == wd(6)
    assert p.kpi["approval_days"] == wd(7 + 8 / 24)
    # construction_start given as a string means the stage's start (d has no build)
    assert stamp(p.milestones["construction_start"]) == "2024-03-08 17:00"
    assert p.submissions == 4 and not p.capped
    # the same through the runner's rows
    result = run(sc, n=1, keep_rows=True)
    prow = rows_by_project(result, cs)["p"]
    assert prow["signed"] == "2024-03-04 09:00"
    assert prow["first_submission"] == "2024-03-04 09:00"
    assert prow["construction_permit"] == prow["production"] == "2024-03-11 17:00"
    assert prow["issued_b"] == "2024-03-06 17:00" and prow["issued_c"] == "2024-03-08 17:00"
    assert prow["review_wd"] == 7.0  # 2 + 1 + 3 + 1
    assert prow["approval_workdays"] == 6.0
    srow = rows_by_stage(result)["p", "d"]
    assert (srow["started"], srow["issued"]) == ("2024-03-08 17:00", "2024-03-11 17:00")


# ---------------------------------------------------------------------------
def test_when_false_skips_the_stage_instantly_and_dependents_go_on(write_scenario):
    text = trace_toml(
        agencies={"bureau": 2, "panel": 2},
        classes={"std": project_class(attributes={"pre_consulted": False})},
        projects=[
            project("does_eia", "std", "2024-03-04"),
            project("skips_eia", "std", "2024-03-04", attributes={"pre_consulted": True}),
        ],
        stages={
            "filing": stage("bureau", effort=workdays(1)),
            "eia": stage("panel", after="filing", when={"pre_consulted": False}, effort=workdays(5)),
            "permit": stage("bureau", after=["filing", "eia"], effort=workdays(1)),
            "notice": stage(after="eia", prepare=workdays(1)),
        },
        milestones="permit",
    )
    sc = load(write_scenario(text))
    cs, res, projects, stages = simulate_one(sc)
    # both file on Mon 03-04, decided 17:00 the same day (staff = 2: no queue)
    for pid in ("does_eia", "skips_eia"):
        assert stamp(stages[pid, "filing"].issued) == "2024-03-04 17:00"
    # does_eia: eia Tue-Fri + Mon = 5 working days -> Mon 03-11 17:00; permit Tue 03-12 17:00
    assert stamp(stages["does_eia", "eia"].issued) == "2024-03-11 17:00"
    assert stamp(stages["does_eia", "permit"].started) == "2024-03-11 17:00"
    assert stamp(stages["does_eia", "permit"].issued) == "2024-03-12 17:00"
    assert stamp(stages["does_eia", "notice"].started) == "2024-03-11 17:00"
    # skips_eia: no eia record at all; eia completes the instant filing does (Mon 17:00),
    # so permit and notice (which waits for eia only) both start then and end Tue 17:00
    assert ("skips_eia", "eia") not in stages
    assert stamp(stages["skips_eia", "permit"].started) == "2024-03-04 17:00"
    assert stamp(stages["skips_eia", "permit"].issued) == "2024-03-05 17:00"
    assert stamp(stages["skips_eia", "notice"].started) == "2024-03-04 17:00"
    assert stamp(stages["skips_eia", "notice"].issued) == "2024-03-05 17:00"
    assert projects["skips_eia"].submissions == 2  # filing and permit only
    assert projects["does_eia"].submissions == 3
    assert projects["skips_eia"].kpi["approval_workdays"] == wd(2)  # Mon 09:00 -> Tue 17:00
    assert projects["does_eia"].kpi["approval_workdays"] == wd(7)  # Mar 4-8, 11, 12


# ---------------------------------------------------------------------------
def test_applicant_prepare_then_agency_effort_default_and_own_office_hours(write_scenario):
    text = trace_toml(
        agencies={"bureau": 1, "window": {"staff": 1, "hours": ["08:00", "12:00"]}},
        projects=[project("p", "std", "2024-02-08")],
        stages={
            "std_hours": stage("bureau", prepare=workdays(1.5), effort=workhours(6)),
            "own_hours": stage("window", prepare=workdays(1.5), effort=workhours(6)),
        },
        milestones=milestones_at("std_hours", completion="own_hours"),
    )
    sc = load(write_scenario(text))
    cs, res, projects, stages = simulate_one(sc)
    for sid in ("std_hours", "own_hours"):
        r = stages["p", sid]
        # signed Thu 02-08 09:00; the applicant prepares 1.5 zone working days:
        # Thu 09:00-17:00 (1.0) and Fri 02-09 09:00-13:00 (0.5)
        assert stamp(r.started) == "2024-02-08 09:00"
        assert r.prepare == wd(1.5)
        assert stamp(r.submitted) == "2024-02-09 13:00"
        assert r.queue == wd(0)
    # default hours 09:00-17:00: 6 working hours = Fri 13:00-17:00 (4 h), then the
    # Spring Festival (02-10..02-17) and the make-up working Sunday 02-18 09:00-11:00 (2 h)
    r = stages["p", "std_hours"]
    assert stamp(r.issued) == "2024-02-18 11:00"
    assert r.review == wd(0.75)  # 6 h / 8 h, in zone working days
    # the window works 08:00-12:00 (4 h days): it is closed when the file arrives at Fri 13:00,
    # so the 6 hours are Sun 02-18 08:00-12:00 (4 h) and Mon 02-19 08:00-10:00 (2 h)
    r = stages["p", "own_hours"]
    assert stamp(r.issued) == "2024-02-19 10:00"
    # review is reported in zone (09:00-17:00) working days: Fri 13-17 (0.5) + Sun 02-18 (1) + Mon 09-10 (0.125)
    assert r.review == wd(1.625)


# ---------------------------------------------------------------------------
def queue_toml(projects, priority=None) -> str:
    """One desk (one reviewer; ``priority`` its rule, if given) deciding a 2-working-day permit."""
    bureau = {"staff": 1} if priority is None else {"staff": 1, "priority": priority}
    return trace_toml(
        agencies={"bureau": bureau},
        classes={"small": project_class(1e7), "large": project_class(1e9)},
        projects=projects,
        stages={"permit": stage("bureau", effort=workdays(2))},
        milestones="permit",
    )


def test_single_staff_queue_second_project_waits_exactly_the_first_review(write_scenario):
    sc = load(write_scenario(queue_toml([project("p1", "small", "2024-03-04"), project("p2", "small", "2024-03-04")])))
    cs, res, projects, stages = simulate_one(sc)
    p1, p2 = stages["p1", "permit"], stages["p2", "permit"]
    # both submit Mon 03-04 09:00; p1 (listed first) is reviewed Mon-Tue -> Tue 17:00
    assert stamp(p1.submitted) == stamp(p2.submitted) == "2024-03-04 09:00"
    assert p1.queue == wd(0) and p1.review == wd(2)
    assert stamp(p1.issued) == "2024-03-05 17:00"
    # p2 waits exactly p1's review (2 working days), then is reviewed Wed-Thu -> Thu 03-07 17:00
    assert p2.queue == wd(p1.review) == wd(2)
    assert p2.review == wd(2)
    assert stamp(p2.issued) == "2024-03-07 17:00"
    assert projects["p2"].kpi["approval_workdays"] == wd(4)


def test_priority_overtakes_waiting_files_but_does_not_preempt(write_scenario):
    named = [
        project("s1", "small", "2024-03-04"),
        project("s2", "small", "2024-03-04"),
        project("s3", "small", "2024-03-04"),
        project("big", "large", "2024-03-05"),
    ]
    sc = load(write_scenario(queue_toml(named, priority={"class": "large"})))
    cs, res, projects, stages = simulate_one(sc)
    s1, s2, s3, big = (stages[k, "permit"] for k in ("s1", "s2", "s3", "big"))
    # s1 is in service Mon 03-04 09:00 - Tue 03-05 17:00; big arrives Tue 09:00 and is NOT pre-empting it
    assert stamp(s1.issued) == "2024-03-05 17:00" and s1.review == wd(2)
    # big overtakes s2 and s3, which have waited since Monday: Wed-Thu -> Thu 03-07 17:00,
    # after waiting Tue 09:00-17:00 = 1 working day
    assert stamp(big.submitted) == "2024-03-05 09:00"
    assert big.queue == wd(1)
    assert stamp(big.issued) == "2024-03-07 17:00"
    # then the small ones in signing order: s2 Fri 03-08 + Mon 03-11, s3 Tue-Wed 03-12/13
    assert stamp(s2.issued) == "2024-03-11 17:00"
    assert s2.queue == wd(4)  # Mon 03-04 09:00 -> Thu 03-07 17:00
    assert stamp(s3.issued) == "2024-03-13 17:00"
    assert s3.queue == wd(6)  # Mon 03-04 09:00 -> Mon 03-11 17:00
    # control: without the priority rule the large project is served last
    sc_fifo = load(write_scenario(queue_toml(named), "fifo.toml"))
    _, _, _, fifo = simulate_one(sc_fifo)
    assert stamp(fifo["s2", "permit"].issued) == "2024-03-07 17:00"
    assert stamp(fifo["big", "permit"].issued) == "2024-03-13 17:00"


# ---------------------------------------------------------------------------
def test_sittings_every_fifth_working_day_from_start_one_file_each(write_scenario):
    origin = dt.date(2024, 4, 1)
    text = scenario_toml(
        "sittings",
        start_date="2024-04-01",
        agencies={"panel": {"staff": 1, "sittings": {"every": 5, "capacity": 1}}},
        projects=[project(f"p{i}", "std", "2024-04-02") for i in (1, 2, 3)],
        stages={"expert": stage("panel", limit={"workdays": 1, "excludes": ["sitting"]})},
        milestones="expert",
    )
    sc = load(write_scenario(text))
    cs, res, projects, stages = simulate_one(sc)
    # working days counted from Mon 2024-04-01: #0 04-01, #1 04-02, #2 04-03, (Qingming 04-04/05 off,
    # Sat 04-06 off), #3 Sun 04-07 (make-up day), #4 04-08, #5 04-09, #6 04-10, #7 04-11, #8 04-12,
    # #9 04-15, #10 04-16, #11 04-17, #12 04-18, #13 04-19, #14 04-22, #15 04-23.
    # Sittings open at 09:00 of #0, #5, #10, #15: 04-01, 04-09, 04-16, 04-23.
    sittings = [stamp(t, origin) for t in cs.agencies["panel"].sitting_times[:4]]
    assert sittings == ["2024-04-01 09:00", "2024-04-09 09:00", "2024-04-16 09:00", "2024-04-23 09:00"]
    # three files ready Tue 04-02 09:00; one file per sitting, in signing order
    expected = {
        "p1": ("2024-04-09 09:00", 4),  # waits 04-02, 04-03, 04-07, 04-08
        "p2": ("2024-04-16 09:00", 9),  # + 04-09 .. 04-15 (5 more)
        "p3": ("2024-04-23 09:00", 14),
    }  # + 04-16 .. 04-22 (5 more)
    for pid, (when, waited) in expected.items():
        r = stages[pid, "expert"]
        assert stamp(r.submitted, origin) == "2024-04-02 09:00"
        assert stamp(r.issued, origin) == when
        assert r.sitting == wd(waited)
        # the limit excludes waiting for the sitting: the clock stands at 0
        assert r.clock == wd(0) and r.within == 1.0


# ---------------------------------------------------------------------------
def test_strict_rework_capped_after_max_rounds(write_scenario):
    text = trace_toml(
        agencies={"bureau": 1},
        projects=[project("p", "std", "2024-03-04")],
        stages={
            "check": stage("bureau", effort=workdays(1), defect={"p": 1, "max_rounds": 3, "fix": workdays(2)}),
            "permit": stage("bureau", after="check", effort=workdays(1)),
            "works": stage(after="permit", build=days(10)),
        },
        milestones=milestones_at("permit", "works"),
    )
    sc = load(write_scenario(text))
    cs, res, projects, stages = simulate_one(sc, events=True)
    r = stages["p", "check"]
    # every round is defective (p = 1, decay 1); the third defective round hits max_rounds = 3
    assert r.submissions == 3
    assert r.capped is True
    assert r.review == wd(3) and r.rework == wd(4)  # 3 reviews of 1 day, 2 fixes of 2 days
    assert math.isnan(r.issued) and math.isnan(r.clock)
    # the project never reaches the next stage
    assert ("p", "permit") not in stages and ("p", "works") not in stages
    p = projects["p"]
    assert p.capped is True and p.submissions == 3
    for name in ("construction_permit", "construction_start", "completion", "production"):
        assert math.isnan(p.milestones[name])
    for k in (
        "approval_workdays",
        "approval_days",
        "to_production_months",
        "submissions",
        "cost_pre_construction_cny",
        "cost_delay_cny",
    ):
        assert math.isnan(p.kpi[k])
    # the trace: review Mon 03-04; fix Tue-Wed; review Thu 03-07; fix Fri 03-08 + Mon 03-11; review Tue 03-12
    # (each resubmission is made at the next office opening, 09:00)
    trace = [(stage, step, stamp(t0), stamp(t1)) for _idx, stage, step, _res, t0, t1 in res.events]
    assert trace == [
        ("check", "review", "2024-03-04 09:00", "2024-03-04 17:00"),
        ("check", "rework", "2024-03-04 17:00", "2024-03-06 17:00"),
        ("check", "review", "2024-03-07 09:00", "2024-03-07 17:00"),
        ("check", "rework", "2024-03-07 17:00", "2024-03-11 17:00"),
        ("check", "review", "2024-03-12 09:00", "2024-03-12 17:00"),
    ]
    # through the runner: counted as capped and censored
    result = run(sc, n=1, keep_rows=True)
    counts = result.summary["projects"]
    assert counts == {
        "projects": 1,
        "reached_construction_permit": 0,
        "reached_production": 0,
        "capped": 1,
        "permit_without_application": 0,
    }
    for k in ("approval_days", "to_production_months", "submissions"):
        assert result.summary["kpis"][k]["n"] == 0
        assert result.summary["kpis"][k]["censored"] == 1
    prow = rows_by_project(result, cs)["p"]
    assert prow["capped"] == 1 and prow["submissions"] == 3
    assert prow["construction_permit"] == prow["construction_start"] == prow["production"] == ""
    srow = rows_by_stage(result)["p", "check"]
    assert srow["capped"] == 1 and srow["submissions"] == 3 and srow["issued"] == ""


def test_rework_with_decay_zero_two_submissions_and_clock_pauses_for_the_fix(write_scenario):
    text = trace_toml(
        agencies={"bureau": 1},
        projects=[project("p", "std", "2024-03-04")],
        stages={
            "permit": stage(
                "bureau",
                effort=workdays(1),
                defect={"p": 1, "decay": 0, "fix": workdays(3)},
                limit={"workdays": 3},
            )
        },
        milestones="permit",
    )
    sc = load(write_scenario(text))
    cs, res, projects, stages = simulate_one(sc)
    r = stages["p", "permit"]
    # round 1 defective (p * decay**0 = 1), round 2 never (p * decay**1 = 0)
    assert r.submissions == 2 and not r.capped
    # review Mon 03-04; fix Tue-Thu (3 working days) -> Thu 17:00; review Fri 03-08 -> 17:00
    assert r.rework == wd(3)  # exactly the fix duration
    assert r.review == wd(2)
    assert stamp(r.issued) == "2024-03-08 17:00"
    # statutory clock: Mon 09:00 -> Fri 17:00 = 5 working days, minus the 3 days of rework = 2 <= 3
    assert r.clock == wd(2) and r.within == 1.0
    p = projects["p"]
    assert p.submissions == 2 and p.kpi["submissions"] == 2
    assert p.kpi["approval_workdays"] == wd(5)
    assert p.split["rework"] == wd(3)


# ---------------------------------------------------------------------------
def test_lag_in_calendar_days_versus_working_days_and_limit_excluding_lag(write_scenario):
    text = trace_toml(
        agencies={"gx": 1, "gn": 1, "gw": 1},
        projects=[project("p", "std", "2024-03-04")],
        stages={
            "cal_excl": stage("gx", effort=workdays(2), lag=days(10), limit={"workdays": 5, "excludes": ["lag"]}),
            "cal_incl": stage("gn", effort=workdays(2), lag=days(10), limit={"workdays": 5}),
            "wd_excl": stage("gw", effort=workdays(2), lag=workdays(10), limit={"workdays": 5, "excludes": ["lag"]}),
            "permit": stage(after=["cal_excl", "cal_incl", "wd_excl"], prepare=workhours(1)),
        },
        milestones="permit",
    )
    sc = load(write_scenario(text))
    cs, res, projects, stages = simulate_one(sc)
    for sid in ("cal_excl", "cal_incl", "wd_excl"):
        r = stages["p", sid]
        assert r.review == wd(2)  # Mon 03-04 09:00 -> Tue 03-05 17:00
    # 10 calendar days from Tue 03-05 17:00 -> Fri 03-15 17:00; that is 8 working days (Mar 6-8, 11-15)
    for sid in ("cal_excl", "cal_incl"):
        r = stages["p", sid]
        assert stamp(r.issued) == "2024-03-15 17:00"
        assert r.lag == wd(8)
    # elapsed Mon 03-04 09:00 -> Fri 03-15 17:00 = 10 working days
    assert stages["p", "cal_excl"].clock == wd(10 - 8) and stages["p", "cal_excl"].within == 1.0
    assert stages["p", "cal_incl"].clock == wd(10) and stages["p", "cal_incl"].within == 0.0
    # 10 working days from Tue 03-05 17:00: Mar 6-8, 11-15, 18-19 -> Tue 03-19 17:00
    r = stages["p", "wd_excl"]
    assert stamp(r.issued) == "2024-03-19 17:00"
    assert r.lag == wd(10)
    assert r.clock == wd(12 - 10) and r.within == 1.0  # Mar 4-8, 11-15, 18-19 = 12 elapsed
    # the join waits for the latest (Tue 03-19 17:00); 1 working hour -> Wed 03-20 10:00
    assert stamp(stages["p", "permit"].started) == "2024-03-19 17:00"
    assert stamp(stages["p", "permit"].issued) == "2024-03-20 10:00"


def test_lag_and_review_over_national_day_golden_week(write_scenario):
    """2024 National Day: Tue 10-01 .. Mon 10-07 off; Sun 09-29 and Sat 10-12 are make-up working
    days; Mon 09-30 works."""
    text = trace_toml(
        agencies={"ga": 1, "gb": 1, "gc": 1},
        projects=[project("p", "std", "2024-09-27")],
        stages={
            "notice_days": stage("ga", effort=workdays(1), lag=days(10), limit={"workdays": 1, "excludes": ["lag"]}),
            "notice_workdays": stage("gb", effort=workdays(1), lag=workdays(10)),
            "permit": stage("gc", after="notice_days", effort=workdays(3)),
        },
        milestones="permit",
    )
    sc = load(write_scenario(text))
    cs, res, projects, stages = simulate_one(sc)
    # both reviews: Fri 09-27 09:00 -> 17:00
    # 10 calendar days from Fri 09-27 17:00 end on the holiday Mon 10-07 17:00; the working days
    # in between are Sun 09-29 and Mon 09-30
    r = stages["p", "notice_days"]
    assert stamp(r.issued) == "2024-10-07 17:00"
    assert r.lag == wd(2)
    # limit clock: 09-27, 09-29, 09-30 = 3 working days elapsed, less the 2 of lag = 1 <= 1
    assert r.clock == wd(1) and r.within == 1.0
    # 10 working days from Fri 09-27 17:00: 09-29, 09-30, 10-08, 10-09, 10-10, 10-11, Sat 10-12,
    # 10-14, 10-15, 10-16 -> Wed 10-16 17:00
    r = stages["p", "notice_workdays"]
    assert stamp(r.issued) == "2024-10-16 17:00"
    assert r.lag == wd(10)
    # permit starts on the holiday at 10-07 17:00, is submitted at the next office opening
    # (Tue 10-08 09:00) and works Tue 10-08 .. Thu 10-10
    r = stages["p", "permit"]
    assert stamp(r.started) == "2024-10-07 17:00"
    assert stamp(r.submitted) == "2024-10-08 09:00"
    assert stamp(r.issued) == "2024-10-10 17:00"
    assert r.review == wd(3)


# ---------------------------------------------------------------------------
def test_build_pauses_for_winter_shutdown_and_scales_with_project_class(write_scenario):
    text = winter_works_toml(
        staff=3,
        classes={"std": project_class(1e8), "big": project_class(1e9, construction_scale=1.5)},
        projects=[
            project("before", "std", "2024-11-01"),
            project("inside", "std", "2024-12-02"),
            project("inside_big", "big", "2024-12-02"),
            project("summer_big", "big", "2024-06-03"),
        ],
    )
    sc = load(write_scenario(text))
    cs, res, projects, stages = simulate_one(sc)
    # before: permit Fri 2024-11-01 17:00; works from then: 7 h on 11-01 + 11-02..11-14 (13 days)
    # = 13 d 7 h before the window (11-15 .. 03-15 closed), the remaining 16 d 17 h from
    # 2025-03-16 00:00 -> 2025-04-01 17:00.  Calendar time 151 days = 30 work + 121 shut
    # (Nov 15-30: 16, Dec 31, Jan 31, Feb 28, Mar 1-15: 15).
    r = stages["before", "works"]
    assert stamp(r.started) == stamp(r.build_start) == "2024-11-01 17:00"
    assert stamp(r.issued) == "2025-04-01 17:00"
    assert r.build == wd(151)
    p = projects["before"]
    assert stamp(p.milestones["construction_start"]) == "2024-11-01 17:00"
    assert stamp(p.milestones["production"]) == "2025-04-01 17:00"
    # signed 2024-11-01 09:00 -> production 2025-04-01 17:00 = 151 days 8 hours
    assert p.kpi["to_production_months"] == pytest.approx((151 + 8 / 24) / (365.2425 / 12), abs=1e-12)
    assert DAYS_PER_MONTH == 365.2425 / 12
    # inside: permit Mon 2024-12-02 17:00 falls in the window; work starts when it reopens,
    # 2025-03-16 00:00, which is the construction_start milestone; 30 days -> 2025-04-15 00:00
    r = stages["inside", "works"]
    assert stamp(r.started) == "2024-12-02 17:00"
    assert stamp(r.build_start) == "2025-03-16 00:00"
    p = projects["inside"]
    assert stamp(p.milestones["construction_start"]) == "2025-03-16 00:00"
    assert stamp(p.milestones["completion"]) == "2025-04-15 00:00"
    assert r.build == wd(clock("2025-04-15 00:00") - clock("2024-12-02 17:00"))
    # signed 2024-12-02 09:00 -> 2025-04-15 00:00: 2024-12-02 00:00 -> 2025-01-01 is 30 days, then
    # Jan 31 + Feb 28 + Mar 31 + 14 = 134 days, less the 9 hours before signing = 133 days 15 hours
    assert p.kpi["to_production_months"] == pytest.approx((133 + 15 / 24) / DAYS_PER_MONTH, abs=1e-12)
    # inside_big: construction_scale 1.5 -> 45 days from 2025-03-16 00:00 -> 2025-04-30 00:00
    assert stamp(stages["inside_big", "works"].build_start) == "2025-03-16 00:00"
    assert stamp(projects["inside_big"].milestones["completion"]) == "2025-04-30 00:00"
    # summer_big: permit Mon 2024-06-03 17:00, 45 days with no shutdown -> 2024-07-18 17:00
    r = stages["summer_big", "works"]
    assert stamp(r.build_start) == "2024-06-03 17:00"
    assert stamp(r.issued) == "2024-07-18 17:00"
    assert r.build == wd(45)
    # the runner's rows carry the same stamps
    result = run(sc, n=1, keep_rows=True)
    rows = rows_by_project(result, cs)
    assert rows["inside"]["construction_start"] == "2025-03-16 00:00"
    assert rows["before"]["production"] == "2025-04-01 17:00"
    assert rows["before"]["to_production_months"] == round((151 + 8 / 24) / DAYS_PER_MONTH, 6)


# ---------------------------------------------------------------------------
def post_permit_toml(end_date: str = "2024-12-31", acceptance_workdays: float = 1) -> str:
    """A permit (fee 100), 10 days of works, then an acceptance inspection after the permit (fee 5000)."""
    return trace_toml(
        end_date=end_date,
        agencies={"bureau": 1},
        projects=[project("p", "std", "2024-03-04")],
        stages={
            "permit": stage("bureau", effort=workdays(1), fees_cny=100),
            "works": stage(after="permit", build=days(10)),
            "acceptance": stage("bureau", after="works", effort=workdays(acceptance_workdays), fees_cny=5000),
        },
        milestones=milestones_at("permit", "works", production="acceptance"),
    )


def test_submissions_kpi_counts_only_submissions_up_to_the_permit(write_scenario):
    """docs/outputs.md: submissions = "applicant submissions (trips) up to the construction permit"; a
    submission to a stage after the permit (here an acceptance inspection) is not one of them."""
    sc = load(write_scenario(post_permit_toml()))
    cs, res, projects, stages = simulate_one(sc)
    # permit Mon 03-04 17:00; works 10 days -> Thu 03-14 17:00; acceptance Fri 03-15 17:00
    assert stamp(stages["p", "permit"].issued) == "2024-03-04 17:00"
    assert stamp(stages["p", "acceptance"].issued) == "2024-03-15 17:00"
    p = projects["p"]
    assert p.submissions == 2  # all submissions, permit and acceptance
    assert p.kpi["submissions"] == 1  # only the permit's submission is "to the permit"


def test_pre_construction_cost_leaves_out_post_permit_stage_still_running(write_scenario):
    """docs/scenario-format.md: the cost counts the stages "issued up to the construction permit".
    A post-permit stage still under way at the horizon (not issued) is not one of them, just as a
    finished post-permit stage is not."""
    _, _, projects, _ = simulate_one(load(write_scenario(post_permit_toml(), "finished.toml")))
    # acceptance is issued Fri 03-15 17:00, after the permit: only the permit's fee counts
    assert projects["p"].kpi["cost_pre_construction_cny"] == 100
    # same, but acceptance takes 3 working days (Fri 03-15, Mon 03-18, Tue 03-19) and the horizon
    # ends with 2024-03-15: acceptance has started (Thu 03-14 17:00) and is still under way
    text = post_permit_toml(end_date="2024-03-15", acceptance_workdays=3)
    # the horizon and the acceptance's effort are all that differ from the finished case
    finished, running = tomllib.loads(post_permit_toml()), tomllib.loads(text)
    assert running["scenario"].pop("end_date") == dt.date(2024, 3, 15)
    assert running["stages"]["acceptance"].pop("effort")["value"] == 3
    del finished["scenario"]["end_date"], finished["stages"]["acceptance"]["effort"]
    assert running == finished
    _, _, projects, stages = simulate_one(load(write_scenario(text, "running.toml")))
    assert stamp(stages["p", "permit"].issued) == "2024-03-04 17:00"
    assert stamp(stages["p", "acceptance"].started) == "2024-03-14 17:00"
    assert math.isnan(stages["p", "acceptance"].issued)
    assert projects["p"].kpi["cost_pre_construction_cny"] == 100


def test_work_below_float_resolution_at_opening_time_takes_no_time(write_scenario):
    """A positive duration too small to change the cumulative working time (here 1e-15 working
    days, started at the 09:00 opening) must end at the start, not at the previous closing
    (which would be a negative SimPy delay)."""
    text = trace_toml(
        agencies={"bureau": 1},
        projects=[project("p", "std", "2024-03-05")],
        stages={"permit": stage("bureau", effort=workdays(1e-15))},
        milestones="permit",
    )
    sc = load(write_scenario(text))
    cs, res, projects, stages = simulate_one(sc)
    # Tue 03-05 09:00: the review ends (to the minute) when it starts, not Mon 03-04 17:00
    assert stamp(stages["p", "permit"].issued) == "2024-03-05 09:00"
    assert stages["p", "permit"].issued >= stages["p", "permit"].submitted


def test_file_ready_exactly_at_a_sitting_opening_is_decided_there_whatever_brought_it(write_scenario):
    """Sittings are held at the opening of every 5th working day from Mon 2024-04-01: 04-01, 04-09,
    04-16 (see the sittings test).  Two files reach the panel at exactly Tue 04-09 09:00: "direct" is
    signed that day (the project starts at the opening) and goes straight to the panel; "noticed"
    signed Mon 04-08 and first runs a 1-calendar-day public notice, 04-08 09:00 -> 04-09 09:00.
    The 04-09 sitting has room for both (capacity 5).  How a file got to the panel must not decide
    whether it is on that sitting's agenda or waits 5 more working days."""
    text = scenario_toml(
        "sitting-tie",
        start_date="2024-04-01",
        agencies={"panel": {"staff": 1, "sittings": {"every": 5, "capacity": 5}}},
        classes={"direct": project_class(1e8), "noticed": project_class(1e8)},
        projects=[project("direct", "direct", "2024-04-09"), project("noticed", "noticed", "2024-04-08")],
        stages={
            "expert_direct": stage("panel", when={"class": "direct"}),
            "notice": stage(when={"class": "noticed"}, prepare=days(1)),
            "expert_noticed": stage("panel", after="notice", when={"class": "noticed"}),
        },
        milestones="expert_direct",
    )
    sc = load(write_scenario(text))
    origin = dt.date(2024, 4, 1)
    cs, res, projects, stages = simulate_one(sc)
    assert stamp(stages["noticed", "notice"].issued, origin) == "2024-04-09 09:00"
    for pid, sid in (("direct", "expert_direct"), ("noticed", "expert_noticed")):
        r = stages[pid, sid]
        assert stamp(r.submitted, origin) == "2024-04-09 09:00", pid
    decided = {
        pid: stamp(stages[pid, sid].issued, origin)
        for pid, sid in (("direct", "expert_direct"), ("noticed", "expert_noticed"))
    }
    assert decided == {"direct": "2024-04-09 09:00", "noticed": "2024-04-09 09:00"}
