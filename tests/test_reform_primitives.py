"""Exact traces of the reform primitives on tiny scenarios and the real 2024 Chinese calendar.

Tolerant acceptance, the agent pool, regional assessment, pre-consultation, credit commitment, the
cut-over at a reform date and shutdown exemptions.  Every duration is fixed and every probability 0
or 1, so the traces are exact; each expected time is counted by hand in the comment next to it.

Calendar facts used: March 2024 has no public holiday (Mon 03-04, Mon 03-11, Mon 03-18 start
working weeks); office hours 09:00-17:00; work ending at closing time ends at 17:00 that day; a
submission made at 17:00 is made at the next opening.
"""

from __future__ import annotations

import datetime as dt
import math
from textwrap import dedent

import pytest

from sim.engine.compiled import compile_scenario
from sim.engine.replication import simulate
from sim.scenario.loading import load

START = dt.date(2024, 1, 1)


def stamp(t: float) -> str:
    """Clock time -> 'YYYY-MM-DD HH:MM' (rounded to the minute); '' for NaN."""
    if math.isnan(t):
        return ""
    return (dt.datetime.combine(START, dt.time()) + dt.timedelta(minutes=round(t * 1440))).strftime("%Y-%m-%d %H:%M")


def wd(x: float):
    return pytest.approx(x, abs=1e-9)


def write(tmp_path, text: str, name: str = "s.toml"):
    path = tmp_path / name
    path.write_text(dedent(text), encoding="utf-8")
    return path


def simulate_one(sc, events: bool = False):
    res = simulate(compile_scenario(sc), rep=0, seed=0, events=events)
    projects = {p.id: p for p in res.projects}
    stages = {(pid, r.stage): r for _idx, pid, r in res.stages}
    return res, projects, stages


def named(pid: str, cls: str, signed: str, attributes: str = "") -> str:
    extra = f"attributes = {{{attributes}}}\n" if attributes else ""
    return f'[[arrivals.projects]]\nid = "{pid}"\nclass = "{cls}"\nsigned = {signed}\n{extra}'


HEAD = """
[scenario]
name = "primitives"
start_date = 2024-01-01
end_date = 2024-12-31
"""

MILESTONES = """
[milestones]
construction_permit = "{0}"
construction_start = "{0}"
completion = "{0}"
production = "{0}"
"""


def fixed(value, unit="workday") -> str:
    return f'{{dist = "fixed", value = {value}, unit = "{unit}"}}'


# ---------------------------------------------------------------------------
# Tolerant acceptance (容缺受理)
# ---------------------------------------------------------------------------
def test_tolerant_success_one_submission_decision_waits_for_a_longer_supplement(tmp_path):
    # Two independent stages, always defective (p = 1), supplement never fails (fail_p = 0).
    sc = load(
        write(
            tmp_path,
            HEAD
            + f"""
        [agencies.ga]
        staff = 1
        [agencies.gb]
        staff = 1
        [classes.std]
        investment_cny = {fixed(1e8, "cny")}
        """
            + named("p", "std", "2024-03-04")
            + f"""
        [stages.long_fix]
        agency = "ga"
        effort = {fixed(2)}
        limit = {{workdays = 3}}
        defect = {{p = 1, decay = 1, max_rounds = 1, fix = {fixed(2.5)}}}
        tolerant = {{deadline_workdays = 5, fail_p = 0}}
        [stages.short_fix]
        agency = "gb"
        effort = {fixed(2)}
        defect = {{p = 1, decay = 1, max_rounds = 1, fix = {fixed(1)}}}
        tolerant = {{deadline_workdays = 5}}
        [stages.permit]
        agency = "gb"
        after = ["long_fix", "short_fix"]
        effort = {fixed(1, "workhour")}
        """
            + MILESTONES.format("permit"),
        )
    )
    res, projects, stages = simulate_one(sc)
    r = stages["p", "long_fix"]
    # submitted Mon 03-04 09:00 and accepted although defective: one submission, no rework
    assert stamp(r.submitted) == "2024-03-04 09:00"
    assert r.submissions == 1 and r.rework == 0 and not r.capped
    # review 2 wd: Mon, Tue -> Tue 03-05 17:00; supplement 2.5 wd from the submission -> Wed 03-06 13:00;
    # the decision waits for it: issued Wed 03-06 13:00, 0.5 wd of supplement
    assert r.review == wd(2)
    assert r.supplement == wd(0.5)
    assert stamp(r.issued) == "2024-03-06 13:00"
    # statutory clock: 2.5 working days from submission, nothing paused -> within 3
    assert r.clock == wd(2.5) and r.within == 1.0
    # a supplement shorter than the review (1 wd -> Mon 17:00) does not delay the decision (Tue 17:00)
    r = stages["p", "short_fix"]
    assert r.submissions == 1 and r.supplement == 0 and r.rework == 0
    assert stamp(r.issued) == "2024-03-05 17:00"
    # permit: after Wed 13:00, one working hour -> Wed 03-06 14:00; three submissions in all, not capped
    p = projects["p"]
    assert stamp(p.milestones["construction_permit"]) == "2024-03-06 14:00"
    assert p.submissions == 3 and not p.capped
    assert p.split["supplement"] == wd(0.5)


def test_tolerant_failure_voids_the_decision_at_the_deadline_and_the_stage_is_redone(tmp_path):
    # Defective at the first submission only (p = 1, decay = 0); deadline 5 working days.
    sc = load(
        write(
            tmp_path,
            HEAD
            + f"""
        [agencies.ga]
        staff = 1
        [agencies.gb]
        staff = 1
        [agencies.gc]
        staff = 1
        [classes.std]
        investment_cny = {fixed(1e8, "cny")}
        """
            + named("p", "std", "2024-03-04")
            + f"""
        # the supplement fails (fail_p = 1)
        [stages.fails]
        agency = "ga"
        effort = {fixed(1)}
        defect = {{p = 1, decay = 0, max_rounds = 3, fix = {fixed(2)}}}
        tolerant = {{deadline_workdays = 5, fail_p = 1}}
        # the supplement fails and the review outlasts the deadline
        [stages.late_review]
        agency = "gb"
        effort = {fixed(6)}
        defect = {{p = 1, decay = 0, max_rounds = 3, fix = {fixed(2)}}}
        tolerant = {{deadline_workdays = 5, fail_p = 1}}
        # the supplement would end after the deadline (6 wd > 5 wd): it fails although fail_p = 0
        [stages.late_supplement]
        agency = "gc"
        effort = {fixed(1)}
        defect = {{p = 1, decay = 0, max_rounds = 3, fix = {fixed(6)}}}
        tolerant = {{deadline_workdays = 5, fail_p = 0}}
        """
            + MILESTONES.format("fails"),
        )
    )
    res, projects, stages = simulate_one(sc)
    r = stages["p", "fails"]
    # submitted Mon 03-04 09:00; review Mon -> 17:00; deadline 5 wd -> Fri 03-08 17:00: the decision
    # is voided then (4 wd of supplement: Tue-Fri); rework 2 wd -> Tue 03-12 17:00; resubmitted at the
    # next opening Wed 03-13 09:00, reviewed, not defective -> Wed 03-13 17:00
    assert stamp(r.submitted) == "2024-03-04 09:00"
    assert r.submissions == 2
    assert r.supplement == wd(4) and r.rework == wd(2) and r.review == wd(2)
    assert stamp(r.issued) == "2024-03-13 17:00"
    assert not r.capped
    r = stages["p", "late_review"]
    # review 6 wd Mon 03-04 -> Mon 03-11 17:00, after the deadline (Fri 17:00): voided after the
    # review, no supplement wait; rework 2 wd -> Wed 03-13 17:00; resubmitted Thu 03-14 09:00;
    # review 6 wd: 14, 15, 18, 19, 20, 21 -> Thu 03-21 17:00
    assert r.submissions == 2 and r.supplement == 0
    assert r.rework == wd(2) and r.review == wd(12)
    assert stamp(r.issued) == "2024-03-21 17:00"
    r = stages["p", "late_supplement"]
    # supplement due Mon 03-11 17:00 > deadline Fri 03-08 17:00 -> voided at the deadline (4 wd wait);
    # rework 6 wd: 11, 12, 13, 14, 15, 18 -> Mon 03-18 17:00; resubmitted Tue 03-19 09:00 -> 17:00
    assert r.submissions == 2
    assert r.supplement == wd(4) and r.rework == wd(6)
    assert stamp(r.issued) == "2024-03-19 17:00"
    assert projects["p"].submissions == 6


# ---------------------------------------------------------------------------
# Agent pool (代办服务): the applicant's preparation is scaled; then an agent, held for its own
# effort, prepares and files the application (waiting for a free agent counts as queue)
# ---------------------------------------------------------------------------
AGENTS = (
    HEAD
    + f"""
[agents]
staff = 1
prepare_scale = 0.5
defect_scale = 0
effort = {fixed(1)}

[agencies.bureau]
staff = 3

[classes.std]
investment_cny = {fixed(1e8, "cny")}
attributes = {{uses_agent = true}}
"""
    + named("a1", "std", "2024-03-04")
    + named("a2", "std", "2024-03-04")
    + named("walk_in", "std", "2024-03-04", "uses_agent = false")
    + f"""
[stages.filing]
agency = "bureau"
prepare = {fixed(4)}
effort = {fixed(1)}
defect = {{p = 1, decay = 0, max_rounds = 2, fix = {fixed(1)}}}
"""
    + MILESTONES.format("filing")
)


def test_agents_halve_preparation_and_a_second_project_waits_for_the_single_agent(tmp_path):
    sc = load(write(tmp_path, AGENTS))
    res, projects, stages = simulate_one(sc, events=True)
    a1, a2, walk = (stages[p, "filing"] for p in ("a1", "a2", "walk_in"))
    # both applicants prepare 4 wd halved: Mon 03-04 09:00 -> Tue 03-05 17:00; then the agent:
    # a1 takes it at once, 1 wd -> Wed 03-06 17:00; submitted at the next opening Thu 03-07 09:00;
    # defect p scaled to 0: accepted, issued Thu 03-07 17:00
    assert a1.queue == 0 and a1.prepare == wd(3)
    assert stamp(a1.submitted) == "2024-03-07 09:00"
    assert stamp(a1.issued) == "2024-03-07 17:00"
    assert a1.submissions == 1 and a1.rework == 0
    # a2 waits for the single agent until Wed 03-06 17:00 (1 wd of queue), agent 1 wd -> Thu 03-07
    # 17:00, submits Fri 03-08 09:00, issued Fri 03-08 17:00
    assert a2.queue == wd(1) and a2.prepare == wd(3)
    assert stamp(a2.submitted) == "2024-03-08 09:00"
    assert stamp(a2.issued) == "2024-03-08 17:00"
    assert a2.submissions == 1 and a2.rework == 0
    log = [(e[2], e[3], stamp(e[4]), stamp(e[5])) for e in res.events if e[0] == 1 and e[1] == "filing"]
    assert log[:3] == [
        ("prepare", "applicant", "2024-03-04 09:00", "2024-03-05 17:00"),
        ("agent_wait", "agents", "2024-03-05 17:00", "2024-03-06 17:00"),
        ("agent", "agents", "2024-03-06 17:00", "2024-03-07 17:00"),
    ]
    # walk_in does not use an agent: 4 wd -> Thu 03-07 17:00, submits Fri 09:00, defective (p = 1),
    # rework 1 wd -> Mon 03-11 17:00, resubmits Tue 03-12 09:00, issued Tue 03-12 17:00
    assert walk.queue == 0 and walk.prepare == wd(4)
    assert walk.submissions == 2 and walk.rework == wd(1)
    assert stamp(walk.issued) == "2024-03-12 17:00"


def test_agent_fix_time_is_scaled_like_preparation(tmp_path):
    sc = load(write(tmp_path, AGENTS), {"agents.defect_scale": 1.0})
    res, projects, stages = simulate_one(sc)
    a1 = stages["a1", "filing"]
    # now defective: review Thu 03-07 09:00 -> 17:00, fix 1 wd x 0.5 -> Fri 03-08 13:00, resubmitted
    # at once (office hours), review 1 wd -> Mon 03-11 13:00
    assert a1.submissions == 2 and a1.rework == wd(0.5)
    assert stamp(a1.issued) == "2024-03-11 13:00"


# ---------------------------------------------------------------------------
# Regional assessment (区域评估)
# ---------------------------------------------------------------------------
def test_regional_assessment_skips_or_lightens_the_stage_inside_the_assessed_zone(tmp_path):
    sc = load(
        write(
            tmp_path,
            HEAD
            + f"""
        [agencies.desk]
        staff = 2
        [agencies.env]
        staff = 2
        [agencies.water]
        staff = 2
        [classes.std]
        investment_cny = {fixed(1e8, "cny")}
        attributes = {{in_assessed_zone = false}}
        """
            + named("inside", "std", "2024-03-04", "in_assessed_zone = true")
            + named("outside", "std", "2024-03-04")
            + f"""
        [stages.filing]
        agency = "desk"
        effort = {fixed(1)}
        [stages.eia]
        agency = "env"
        after = ["filing"]
        prepare = {fixed(5)}
        effort = {fixed(3)}
        lag = {fixed(10, "day")}
        defect = {{p = 1, decay = 0, max_rounds = 3, fix = {fixed(2)}}}
        consultancy_cny = 200000
        regional = {{mode = "light", prepare = {fixed(1)}, effort = {fixed(2, "workhour")}, lag = {fixed(1, "day")}}}
        [stages.water]
        agency = "water"
        after = ["filing"]
        prepare = {fixed(2)}
        effort = {fixed(1)}
        regional = {{mode = "skip"}}
        [stages.permit]
        agency = "desk"
        after = ["eia", "water"]
        effort = {fixed(1)}
        """
            + MILESTONES.format("permit"),
        )
    )
    res, projects, stages = simulate_one(sc)
    # inside: filing Mon 03-04 09:00 -> 17:00; water skipped (no record, done at once)
    assert ("inside", "water") not in stages
    # eia light: prepare 1 wd -> Tue 03-05 17:00; submitted Wed 03-06 09:00; 2 working hours -> 11:00;
    # light lag 1 day -> Thu 03-07 11:00; no defect even though p = 1
    r = stages["inside", "eia"]
    assert r.prepare == wd(1) and r.review == wd(0.25) and r.rework == 0 and r.submissions == 1
    assert stamp(r.submitted) == "2024-03-06 09:00"
    assert stamp(r.issued) == "2024-03-07 11:00"
    # permit from Thu 11:00, one working day -> Fri 03-08 11:00
    assert stamp(stages["inside", "permit"].started) == "2024-03-07 11:00"
    assert stamp(projects["inside"].milestones["construction_permit"]) == "2024-03-08 11:00"
    assert projects["inside"].submissions == 3
    # outside: the full stages
    r = stages["outside", "water"]
    # prepare 2 wd from Mon 17:00 -> Wed 03-06 17:00, submitted Thu 09:00, issued Thu 03-07 17:00
    assert stamp(r.issued) == "2024-03-07 17:00"
    r = stages["outside", "eia"]
    # prepare 5 wd -> Mon 03-11 17:00; submitted Tue 03-12 09:00; review 3 wd -> Thu 03-14 17:00;
    # defective: rework 2 wd -> Mon 03-18 17:00; resubmitted Tue 03-19 09:00; review -> Thu 03-21 17:00;
    # lag 10 days -> Sun 03-31 17:00
    assert r.prepare == wd(5) and r.rework == wd(2) and r.review == wd(6) and r.submissions == 2
    assert stamp(r.issued) == "2024-03-31 17:00"
    # permit submitted Mon 04-01 09:00 -> 17:00
    assert stamp(projects["outside"].milestones["construction_permit"]) == "2024-04-01 17:00"
    assert projects["outside"].submissions == 5  # filing, eia twice, water, permit
    # consultancy is paid only where the stage ran
    assert projects["outside"].kpi["cost_pre_construction_cny"] == 200000


# ---------------------------------------------------------------------------
# Pre-consultation (提前咨询 / 预审批)
# ---------------------------------------------------------------------------
PRECONSULT = (
    HEAD
    + """
[agencies.land]
staff = 2
[agencies.planning]
staff = 1
sittings = {every = 1, capacity = 5}   # a sitting at every opening

[classes.std]
investment_cny = {dist = "fixed", value = 1e8, unit = "cny"}
attributes = {pre_consulted = false}
"""
    + named("pc", "std", "2024-03-04", "pre_consulted = true")
    + named("plain", "std", "2024-03-04")
    + """
[stages.land]
agency = "land"
effort = {dist = "fixed", value = LAND_HOURS, unit = "workhour"}

[stages.planning_permit]
agency = "planning"
after = ["land"]
prepare = {dist = "fixed", value = 1, unit = "workday"}
effort = {dist = "fixed", value = 1, unit = "workday"}
lag = {dist = "fixed", value = 2, unit = "workhour"}
defect = {p = 1, decay = 0, max_rounds = 3, fix = {dist = "fixed", value = 0.5, unit = "workday"}}
prereview = {signoff = {dist = "fixed", value = 1, unit = "workhour"}}
"""
    + MILESTONES.format("planning_permit")
)


@pytest.mark.parametrize(
    "land_hours, land_end, submitted, issued, plain_issued",
    [
        # 41 working hours from Mon 03-04 09:00: five days and one hour -> Mon 03-11 10:00, submitted then,
        # one working hour of sign-off -> 11:00 the same day
        (41, "2024-03-11 10:00", "2024-03-11 10:00", "2024-03-11 11:00", "2024-03-18 11:00"),
        # 40 working hours -> Fri 03-08 17:00: submitted at the next opening Mon 03-11 09:00 -> 10:00
        (40, "2024-03-08 17:00", "2024-03-11 09:00", "2024-03-11 10:00", "2024-03-15 11:00"),
    ],
)
def test_pre_consultation_reviews_alongside_predecessors_and_issues_the_same_day(
    tmp_path, land_hours, land_end, submitted, issued, plain_issued
):
    sc = load(write(tmp_path, PRECONSULT.replace("LAND_HOURS", str(land_hours))))
    res, projects, stages = simulate_one(sc, events=True)
    assert stamp(stages["pc", "land"].issued) == land_end
    r = stages["pc", "planning_permit"]
    # the stage starts when land ends; the formal step is one submission and the sign-off, no sitting
    assert stamp(r.started) == land_end
    assert stamp(r.submitted) == submitted
    assert stamp(r.issued) == issued
    assert r.same_day == 1.0
    assert r.submissions == 1 and r.sitting == 0 and r.rework == 0 and r.prepare == 0
    assert r.review == wd(0.125)  # the sign-off hour; the pre-review ended before the stage started
    # the pre-review ran from signing: prepare 1 wd Mon 03-04 09:00 -> 17:00; review 1 wd -> Tue 03-05
    # 17:00; sitting Wed 03-06 09:00; defective: rework 0.5 wd -> Wed 13:00; review -> Thu 03-07 13:00;
    # sitting Fri 03-08 09:00; lag 2 working hours -> Fri 03-08 11:00: 4.25 working days from signing
    assert r.prereview == wd(4.25)
    pc_idx = next(p.idx for p in res.projects if p.id == "pc")
    log = [(e[2], stamp(e[4]), stamp(e[5])) for e in res.events if e[0] == pc_idx and e[1] == "planning_permit"]
    assert log == [
        ("pre-consultation", "2024-03-04 09:00", "2024-03-04 17:00"),
        ("review", "2024-03-04 17:00", "2024-03-05 17:00"),
        ("sitting", "2024-03-05 17:00", "2024-03-06 09:00"),
        ("rework", "2024-03-06 09:00", "2024-03-06 13:00"),
        ("review", "2024-03-06 13:00", "2024-03-07 13:00"),
        ("sitting", "2024-03-07 13:00", "2024-03-08 09:00"),
        ("review", submitted, issued),  # the formal sign-off
    ]
    # every informal review ended before the predecessor did
    reviews = [e for e in res.events if e[0] == pc_idx and e[1] == "planning_permit" and e[2] == "review"]
    assert all(e[5] <= stages["pc", "land"].issued for e in reviews[:-1])
    # only the formal submission counts: land + the sign-off
    assert projects["pc"].submissions == 2
    # the plain project goes through the whole stage after land: prepare 1 wd, review 1 wd, sitting,
    # rework 0.5 wd, review, sitting, lag 2 h
    p = stages["plain", "planning_permit"]
    assert stamp(p.issued) == plain_issued
    assert p.submissions == 2 and p.same_day == 0.0 and math.isnan(p.prereview)


# ---------------------------------------------------------------------------
# Credit commitment (信用承诺制)
# ---------------------------------------------------------------------------
COMMITMENT = (
    HEAD
    + f"""
[agencies.housing]
staff = 2

[classes.std]
investment_cny = {fixed(1e8, "cny")}
attributes = {{credit_commitment = false}}
"""
    + named("committed", "std", "2024-03-04", "credit_commitment = true")
    + named("plain", "std", "2024-03-04")
    + f"""
[stages.permit]
agency = "housing"
effort = {fixed(5)}
commitment = {{verify = {fixed(2)}, penalty_p = 1, penalty = {fixed(10, "day")}}}

[stages.works]
after = ["permit"]
build = {fixed(30, "day")}

[milestones]
construction_permit = "permit"
construction_start = "works"
completion = "works"
production = "works"
"""
)


def test_credit_commitment_starts_construction_at_the_submission_and_a_penalty_stops_work(tmp_path):
    sc = load(write(tmp_path, COMMITMENT))
    res, projects, stages = simulate_one(sc, events=True)
    r = stages["committed", "permit"]
    # issued at the first submission, Mon 03-04 09:00; review runs on to Fri 03-08 17:00, then
    # verification 2 wd -> Tue 03-12 17:00
    assert stamp(r.submitted) == stamp(r.issued) == "2024-03-04 09:00"
    assert r.review == wd(5)
    assert stamp(r.verified) == "2024-03-12 17:00"
    w = stages["committed", "works"]
    p = projects["committed"]
    assert stamp(w.build_start) == "2024-03-04 09:00"
    assert stamp(p.milestones["construction_start"]) == "2024-03-04 09:00"
    idx = projects["committed"].idx
    (review,) = [e for e in res.events if e[0] == idx and e[1] == "permit" and e[2] == "review"]
    assert stamp(review[5]) == "2024-03-08 17:00" and w.build_start < review[5]  # before the review ended
    assert p.kpi["approval_workdays"] == wd(0)
    # 30 days -> Wed 04-03 09:00, plus the 10-day stop-work order imposed on 03-12 -> Sat 04-13 09:00
    assert stamp(w.issued) == "2024-04-13 09:00"
    assert w.build == wd(40)
    # the plain project waits for the decision: Fri 03-08 17:00, works to Sun 04-07 17:00
    assert stamp(stages["plain", "permit"].issued) == "2024-03-08 17:00"
    assert math.isnan(stages["plain", "permit"].verified)
    assert stamp(stages["plain", "works"].build_start) == "2024-03-08 17:00"
    assert stamp(stages["plain", "works"].issued) == "2024-04-07 17:00"


def test_without_penalty_committed_construction_ends_exactly_the_penalty_earlier(tmp_path):
    path = write(tmp_path, COMMITMENT)
    with_penalty = simulate_one(load(path))[2]["committed", "works"]
    without = simulate_one(load(path, {"stages.permit.commitment.penalty_p": 0}))[2]["committed", "works"]
    assert stamp(without.issued) == "2024-04-03 09:00"
    assert with_penalty.issued - without.issued == pytest.approx(10, abs=1e-9)
    assert stamp(without.build_start) == stamp(with_penalty.build_start)


def test_stop_work_delays_every_construction_stage_running_at_that_moment(tmp_path):
    # Two construction stages run side by side when the stop-work order comes (Tue 03-12 17:00):
    # both stop, so both end 10 days later than planned.
    sc = load(
        write(
            tmp_path,
            COMMITMENT
            + f"""
        [stages.installation]
        after = ["permit"]
        build = {fixed(40, "day")}
        """,
        )
    )
    res, projects, stages = simulate_one(sc)
    assert stamp(stages["committed", "works"].issued) == "2024-04-13 09:00"  # 04-03 + 10 days
    assert stamp(stages["committed", "installation"].issued) == "2024-04-23 09:00"  # 04-13 + 10 days


# ---------------------------------------------------------------------------
# Cut-over at the reform date
# ---------------------------------------------------------------------------
CUTOVER = (
    HEAD.replace('name = "primitives"', 'name = "cut-over"\nreform_date = 2024-03-05\nlevers = ["reform"]')
    + f"""
[agencies.desk]
staff = 2
[agencies.bureau]
staff = 1
[agencies.checker]
staff = 1

[classes.std]
investment_cny = {fixed(1e8, "cny")}
"""
    + named("before", "std", "2024-03-04")
    + named("after", "std", "2024-03-05")
    + f"""
[stages.filing]
agency = "desk"
effort = {fixed(1)}
[stages.review]
agency = "bureau"
after = ["filing"]
effort = {fixed(5)}
[stages.old_check]
agency = "checker"
after = ["filing"]
effort = {fixed(2)}
[stages.permit]
agency = "desk"
after = ["review", "old_check"]
effort = {fixed(1)}

[levers.reform]
skip = ["old_check"]
set = {{"stages.review.effort" = {fixed(1)}}}
"""
    + MILESTONES.format("permit")
)


def test_cut_over_projects_before_the_reform_date_follow_the_old_process_sharing_agencies(tmp_path):
    sc = load(write(tmp_path, CUTOVER))
    assert sc.base is not None and sc.base.levers == ()
    res, projects, stages = simulate_one(sc)
    # before (signed Mon 03-04, before 03-05): old process. filing Mon 09:00 -> 17:00; review 5 wd from
    # Tue 03-05 09:00 -> Mon 03-11 17:00; old_check Tue -> Wed 03-06 17:00; permit Tue 03-12 09:00 -> 17:00
    assert stamp(stages["before", "review"].issued) == "2024-03-11 17:00"
    assert stamp(stages["before", "old_check"].issued) == "2024-03-06 17:00"
    assert stamp(projects["before"].milestones["construction_permit"]) == "2024-03-12 17:00"
    # after (signed Tue 03-05 09:00, on the reform date): new process. filing Tue -> 17:00; review
    # submitted Wed 03-06 09:00 but the bureau's one reviewer is busy with "before" until Mon 03-11
    # 17:00 (4 wd of queue: 6, 7, 8, 11); the new 1 wd review -> Tue 03-12 17:00; old_check skipped;
    # permit Wed 03-13 09:00 -> 17:00
    r = stages["after", "review"]
    assert stamp(r.submitted) == "2024-03-06 09:00"
    assert r.queue == wd(4) and r.review == wd(1)
    assert stamp(r.issued) == "2024-03-12 17:00"
    assert ("after", "old_check") not in stages
    assert stamp(projects["after"].milestones["construction_permit"]) == "2024-03-13 17:00"
    assert projects["before"].submissions == 4 and projects["after"].submissions == 3
    # with the levers off there is no cut-over: both follow the old process
    off = load(write(tmp_path, CUTOVER), levers="none")
    assert off.base is None
    stages_off = simulate_one(off)[2]
    assert ("after", "old_check") in stages_off
    assert stages_off["after", "review"].review == wd(5)


def test_cut_over_projects_before_the_reform_date_keep_the_old_class_attributes_and_fees(tmp_path):
    # The lever abolishes the filing fee and declares that projects no longer need the check (a class
    # attribute read by the check's `when`).  A project signed before the reform date follows the
    # process without levers: it is checked and pays the fee.
    sc = load(
        write(
            tmp_path,
            HEAD.replace('name = "primitives"', 'name = "cut-over"\nreform_date = 2024-03-05\nlevers = ["reform"]')
            + f"""
        [agencies.desk]
        staff = 2
        [agencies.checker]
        staff = 2
        [classes.std]
        investment_cny = {fixed(1e8, "cny")}
        attributes = {{needs_check = true}}
        """
            + named("before", "std", "2024-03-04")
            + named("after", "std", "2024-03-05")
            + f"""
        [stages.filing]
        agency = "desk"
        effort = {fixed(1)}
        fees_cny = 5000
        [stages.check]
        agency = "checker"
        after = ["filing"]
        when = {{needs_check = true}}
        effort = {fixed(2)}
        [stages.permit]
        agency = "desk"
        after = ["check"]
        effort = {fixed(1)}

        [levers.reform]
        set = {{"stages.filing.fees_cny" = 0, "classes.std.attributes.needs_check" = false}}
        """
            + MILESTONES.format("permit"),
        )
    )
    res, projects, stages = simulate_one(sc)
    # after: filing Tue 03-05 09:00 -> 17:00, no check, permit Wed 03-06 09:00 -> 17:00, no fee
    assert ("after", "check") not in stages
    assert stamp(projects["after"].milestones["construction_permit"]) == "2024-03-06 17:00"
    assert projects["after"].kpi["cost_pre_construction_cny"] == 0
    # before: filing Mon 03-04 -> 17:00, check Tue-Wed -> Wed 03-06 17:00, permit Thu 03-07 09:00 -> 17:00
    assert ("before", "check") in stages
    assert stamp(projects["before"].milestones["construction_permit"]) == "2024-03-07 17:00"
    assert projects["before"].kpi["cost_pre_construction_cny"] == 5000


# ---------------------------------------------------------------------------
# Shutdown exemption
# ---------------------------------------------------------------------------
def test_exempt_projects_build_through_the_winter_shutdown(tmp_path):
    sc = load(
        write(
            tmp_path,
            f"""
        [scenario]
        name = "winter"
        start_date = 2024-01-01
        end_date = 2025-12-31

        [shutdowns.winter]
        from = "11-15"
        to = "03-15"
        exempt = {{winter_construction = true}}

        [agencies.bureau]
        staff = 2

        [classes.std]
        investment_cny = {fixed(1e8, "cny")}
        attributes = {{winter_construction = false}}
        """
            + named("key", "std", "2024-12-02", "winter_construction = true")
            + named("normal", "std", "2024-12-02")
            + f"""
        [stages.permit]
        agency = "bureau"
        effort = {fixed(1)}
        [stages.works]
        after = ["permit"]
        build = {fixed(30, "day")}
        shutdowns = ["winter"]

        [milestones]
        construction_permit = "permit"
        construction_start = "works"
        completion = "works"
        production = "works"
        """,
        )
    )
    res, projects, stages = simulate_one(sc)
    # both permits Mon 2024-12-02 17:00, inside the window
    # key project: builds at once, 30 days -> Wed 2025-01-01 17:00
    k = stages["key", "works"]
    assert stamp(k.build_start) == "2024-12-02 17:00"
    assert stamp(k.issued) == "2025-01-01 17:00"
    assert k.build == wd(30)
    # the others wait for the window to close: 2025-03-16 00:00 -> 2025-04-15 00:00
    n = stages["normal", "works"]
    assert stamp(n.build_start) == "2025-03-16 00:00"
    assert stamp(n.issued) == "2025-04-15 00:00"
