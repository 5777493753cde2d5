"""Exact traces of the reform primitives on tiny scenarios and the real 2024 Chinese calendar.

Tolerant acceptance, the agent pool, regional assessment, pre-consultation, credit commitment, the
cut-over at a reform date and shutdown exemptions.  Every duration is fixed and every probability 0
or 1, so the traces are exact; each expected time is counted by hand in the comment next to it.

Calendar facts used: March 2024 has no public holiday (Mon 03-04, Mon 03-11, Mon 03-18 start
working weeks); office hours 09:00-17:00; work ending at closing time ends at 17:00 that day; a
submission made at 17:00 is made at the next opening.
"""

from __future__ import annotations

import math

import pytest

from sim.scenario.loading import load

# (with the engine's callback path).  Nothing here uses them.
from helpers.scenarios import (
    date,
    days,
    milestones_at,
    project,
    project_class,
    scenario_toml,
    stage,
    workdays,
    workhours,
)
from helpers.shared_scenarios import winter_works_toml
from helpers.traces import simulate_one, stamp, wd


def flagged_and_plain(attribute: str, flagged: str, plain: str, signed: str = "2024-03-04") -> dict:
    """The ``classes`` and ``projects`` of a scenario: the class "std" with ``attribute`` false, and two projects
    signed on ``signed`` (Mon 03-04 unless given): ``flagged`` with the attribute true, ``plain`` without."""
    return {
        "classes": {"std": project_class(attributes={attribute: False})},
        "projects": [project(flagged, "std", signed, attributes={attribute: True}), project(plain, "std", signed)],
    }


# ---------------------------------------------------------------------------
# Tolerant acceptance (容缺受理)
# ---------------------------------------------------------------------------
def test_tolerant_success_one_submission_decision_waits_for_a_longer_supplement(write_scenario):
    # Two independent stages, always defective (p = 1), supplement never fails (fail_p = 0).
    text = scenario_toml(
        "primitives",
        agencies={"ga": 1, "gb": 1},
        projects=[project("p", "std", "2024-03-04")],
        stages={
            "long_fix": stage(
                "ga",
                effort=workdays(2),
                limit={"workdays": 3},
                defect={"p": 1, "decay": 1, "max_rounds": 1, "fix": workdays(2.5)},
                tolerant={"deadline_workdays": 5, "fail_p": 0},
            ),
            "short_fix": stage(
                "gb",
                effort=workdays(2),
                defect={"p": 1, "decay": 1, "max_rounds": 1, "fix": workdays(1)},
                tolerant={"deadline_workdays": 5},
            ),
            "permit": stage("gb", after=["long_fix", "short_fix"], effort=workhours(1)),
        },
        milestones="permit",
    )
    sc = load(write_scenario(text))
    _, res, projects, stages = simulate_one(sc)
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


def test_tolerant_failure_voids_the_decision_at_the_deadline_and_the_stage_is_redone(write_scenario):
    # Defective at the first submission only (p = 1, decay = 0); deadline 5 working days.
    def tolerant(agency: str, effort: float, fix: float, fail_p: float) -> dict:
        return stage(
            agency,
            effort=workdays(effort),
            defect={"p": 1, "decay": 0, "max_rounds": 3, "fix": workdays(fix)},
            tolerant={"deadline_workdays": 5, "fail_p": fail_p},
        )

    text = scenario_toml(
        "primitives",
        agencies={"ga": 1, "gb": 1, "gc": 1},
        projects=[project("p", "std", "2024-03-04")],
        stages={
            # the supplement fails (fail_p = 1)
            "fails": tolerant("ga", effort=1, fix=2, fail_p=1),
            # the supplement fails and the review outlasts the deadline
            "late_review": tolerant("gb", effort=6, fix=2, fail_p=1),
            # the supplement would end after the deadline (6 wd > 5 wd): it fails although fail_p = 0
            "late_supplement": tolerant("gc", effort=1, fix=6, fail_p=0),
        },
        milestones="fails",
    )
    sc = load(write_scenario(text))
    _, res, projects, stages = simulate_one(sc)
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
AGENTS = scenario_toml(
    "primitives",
    agents={"staff": 1, "prepare_scale": 0.5, "defect_scale": 0, "effort": workdays(1)},
    agencies={"bureau": 3},
    classes={"std": project_class(attributes={"uses_agent": True})},
    projects=[
        project("a1", "std", "2024-03-04"),
        project("a2", "std", "2024-03-04"),
        project("walk_in", "std", "2024-03-04", attributes={"uses_agent": False}),
    ],
    stages={
        "filing": stage(
            "bureau",
            prepare=workdays(4),
            effort=workdays(1),
            defect={"p": 1, "decay": 0, "max_rounds": 2, "fix": workdays(1)},
        )
    },
    milestones="filing",
)


def test_agents_halve_preparation_and_a_second_project_waits_for_the_single_agent(write_scenario):
    sc = load(write_scenario(AGENTS))
    _, res, projects, stages = simulate_one(sc, events=True)
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


def test_agent_fix_time_is_scaled_like_preparation(write_scenario):
    sc = load(write_scenario(AGENTS), {"agents.defect_scale": 1.0})
    _, res, projects, stages = simulate_one(sc)
    a1 = stages["a1", "filing"]
    # now defective: review Thu 03-07 09:00 -> 17:00, fix 1 wd x 0.5 -> Fri 03-08 13:00, resubmitted
    # at once (office hours), review 1 wd -> Mon 03-11 13:00
    assert a1.submissions == 2 and a1.rework == wd(0.5)
    assert stamp(a1.issued) == "2024-03-11 13:00"


# ---------------------------------------------------------------------------
# Regional assessment (区域评估)
# ---------------------------------------------------------------------------
def test_regional_assessment_skips_or_lightens_the_stage_inside_the_assessed_zone(write_scenario):
    text = scenario_toml(
        "primitives",
        agencies={"desk": 2, "env": 2, "water": 2},
        **flagged_and_plain("in_assessed_zone", "inside", "outside"),
        stages={
            "filing": stage("desk", effort=workdays(1)),
            "eia": stage(
                "env",
                after="filing",
                prepare=workdays(5),
                effort=workdays(3),
                lag=days(10),
                defect={"p": 1, "decay": 0, "max_rounds": 3, "fix": workdays(2)},
                consultancy_cny=200000,
                regional={"mode": "light", "prepare": workdays(1), "effort": workhours(2), "lag": days(1)},
            ),
            "water": stage("water", after="filing", prepare=workdays(2), effort=workdays(1), regional={"mode": "skip"}),
            "permit": stage("desk", after=["eia", "water"], effort=workdays(1)),
        },
        milestones="permit",
    )
    sc = load(write_scenario(text))
    _, res, projects, stages = simulate_one(sc)
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
def preconsult_toml(land_hours: int) -> str:
    """Land (``land_hours`` working hours), then a planning permit that pre-consulted projects may review early."""
    return scenario_toml(
        "primitives",
        agencies={
            "land": 2,
            "planning": {"staff": 1, "sittings": {"every": 1, "capacity": 5}},  # a sitting at every opening
        },
        **flagged_and_plain("pre_consulted", "pc", "plain"),
        stages={
            "land": stage("land", effort=workhours(land_hours)),
            "planning_permit": stage(
                "planning",
                after="land",
                prepare=workdays(1),
                effort=workdays(1),
                lag=workhours(2),
                defect={"p": 1, "decay": 0, "max_rounds": 3, "fix": workdays(0.5)},
                prereview={"signoff": workhours(1)},
            ),
        },
        milestones="planning_permit",
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
    write_scenario, land_hours, land_end, submitted, issued, plain_issued
):
    sc = load(write_scenario(preconsult_toml(land_hours)))
    _, res, projects, stages = simulate_one(sc, events=True)
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
def commitment_toml(**more_stages) -> str:
    """A permit under credit commitment (always penalised after verification), then 30 days of works."""
    return scenario_toml(
        "primitives",
        agencies={"housing": 2},
        **flagged_and_plain("credit_commitment", "committed", "plain"),
        stages={
            "permit": stage(
                "housing",
                effort=workdays(5),
                commitment={"verify": workdays(2), "penalty_p": 1, "penalty": days(10)},
            ),
            "works": stage(after="permit", build=days(30)),
            **more_stages,
        },
        milestones=milestones_at("permit", "works"),
    )


COMMITMENT = commitment_toml()


def test_credit_commitment_starts_construction_at_the_submission_and_a_penalty_stops_work(write_scenario):
    sc = load(write_scenario(COMMITMENT))
    _, res, projects, stages = simulate_one(sc, events=True)
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


def test_without_penalty_committed_construction_ends_exactly_the_penalty_earlier(write_scenario):
    path = write_scenario(COMMITMENT)
    with_penalty = simulate_one(load(path)).stages["committed", "works"]
    without = simulate_one(load(path, {"stages.permit.commitment.penalty_p": 0})).stages["committed", "works"]
    assert stamp(without.issued) == "2024-04-03 09:00"
    assert with_penalty.issued - without.issued == pytest.approx(10, abs=1e-9)
    assert stamp(without.build_start) == stamp(with_penalty.build_start)


def test_stop_work_delays_every_construction_stage_running_at_that_moment(write_scenario):
    # Two construction stages run side by side when the stop-work order comes (Tue 03-12 17:00):
    # both stop, so both end 10 days later than planned.
    sc = load(write_scenario(commitment_toml(installation=stage(after="permit", build=days(40)))))
    _, res, projects, stages = simulate_one(sc)
    assert stamp(stages["committed", "works"].issued) == "2024-04-13 09:00"  # 04-03 + 10 days
    assert stamp(stages["committed", "installation"].issued) == "2024-04-23 09:00"  # 04-13 + 10 days


# ---------------------------------------------------------------------------
# Cut-over at the reform date
# ---------------------------------------------------------------------------
CUT_OVER = {"reform_date": date("2024-03-05"), "levers": ["reform"]}  # projects signed before follow the old process

CUTOVER = scenario_toml(
    "cut-over",
    settings=CUT_OVER,
    agencies={"desk": 2, "bureau": 1, "checker": 1},
    projects=[project("before", "std", "2024-03-04"), project("after", "std", "2024-03-05")],
    stages={
        "filing": stage("desk", effort=workdays(1)),
        "review": stage("bureau", after="filing", effort=workdays(5)),
        "old_check": stage("checker", after="filing", effort=workdays(2)),
        "permit": stage("desk", after=["review", "old_check"], effort=workdays(1)),
    },
    levers={"reform": {"skip": ["old_check"], "set": {"stages.review.effort": workdays(1)}}},
    milestones="permit",
)


def test_cut_over_projects_before_the_reform_date_follow_the_old_process_sharing_agencies(write_scenario):
    sc = load(write_scenario(CUTOVER))
    assert sc.base is not None and sc.base.levers == ()
    _, res, projects, stages = simulate_one(sc)
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
    off = load(write_scenario(CUTOVER), levers="none")
    assert off.base is None
    stages_off = simulate_one(off).stages
    assert ("after", "old_check") in stages_off
    assert stages_off["after", "review"].review == wd(5)


def test_cut_over_projects_before_the_reform_date_keep_the_old_class_attributes_and_fees(write_scenario):
    # The lever abolishes the filing fee and declares that projects no longer need the check (a class
    # attribute read by the check's `when`).  A project signed before the reform date follows the
    # process without levers: it is checked and pays the fee.
    text = scenario_toml(
        "cut-over",
        settings=CUT_OVER,
        agencies={"desk": 2, "checker": 2},
        classes={"std": project_class(attributes={"needs_check": True})},
        projects=[project("before", "std", "2024-03-04"), project("after", "std", "2024-03-05")],
        stages={
            "filing": stage("desk", effort=workdays(1), fees_cny=5000),
            "check": stage("checker", after="filing", when={"needs_check": True}, effort=workdays(2)),
            "permit": stage("desk", after="check", effort=workdays(1)),
        },
        levers={"reform": {"set": {"stages.filing.fees_cny": 0, "classes.std.attributes.needs_check": False}}},
        milestones="permit",
    )
    sc = load(write_scenario(text))
    _, res, projects, stages = simulate_one(sc)
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
def test_exempt_projects_build_through_the_winter_shutdown(write_scenario):
    text = winter_works_toml(
        staff=2,
        exempt={"winter_construction": True},
        **flagged_and_plain("winter_construction", "key", "normal", signed="2024-12-02"),
    )
    sc = load(write_scenario(text))
    _, res, projects, stages = simulate_one(sc)
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
