"""The callback fast path (:mod:`sim.engine.plain_chain`) against the general SimPy-process path.

A replication with ``plain_callbacks=False`` runs every stage visit as a generator process
(:meth:`sim.engine.stage_visit.StageFlow.stage`), the path the exact traces of ``test_reform_primitives.py``
and the queueing tests were written against.  With the fast path on, every record must be the same
to the last bit: the same uniforms, the same delays, the same desks taken in the same order.  The tests
also check that both paths really ran (a comparison of two runs of the general path would prove nothing).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest
from test_reform_primitives import HEAD, MILESTONES, fixed, named, write

import sim
import sim.engine.plain_chain
from sim.engine.compiled import compile_scenario
from sim.engine.records import STAGE_FIELDS
from sim.engine.replication import Replication, gc_paused

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(ROOT.glob("scenarios/*.toml")) + sorted(ROOT.glob("scenarios/examples/*.toml"))


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _run(cs, rep: int, fast: bool):
    """One replication, with or without the fast path."""
    with gc_paused():
        return Replication(cs, rep, 11, plain_callbacks=fast).run()


@pytest.fixture
def counts(monkeypatch):
    """Stage visits run by a PlainChain and by the general path, counted while the test runs."""
    n = {"plain": 0, "general": 0}
    begin, stage = sim.engine.plain_chain.PlainChain.begin, Replication.stage

    def counted_begin(self, st, plan, now):
        n["plain"] += plan is not None
        return begin(self, st, plan, now)

    def counted_stage(self, p, st):
        n["general"] += 1
        return (yield from stage(self, p, st))

    monkeypatch.setattr(sim.engine.plain_chain.PlainChain, "begin", counted_begin)
    monkeypatch.setattr(Replication, "stage", counted_stage)
    return n


def assert_identical(cs, reps: int) -> None:
    for rep in range(reps):
        a = _run(cs, rep, True)
        b = _run(cs, rep, False)
        assert [p.idx for p in a.projects] == [p.idx for p in b.projects]
        for x, y in zip(a.projects, b.projects):
            assert (x.id, x.submissions, x.capped) == (y.id, y.submissions, y.capped)
            assert _same(x.first_submission, y.first_submission)
            for part in ("milestones", "issued", "split", "kpi"):
                dx, dy = getattr(x, part), getattr(y, part)
                assert dx.keys() == dy.keys()
                assert all(_same(dx[k], dy[k]) for k in dx), (x.id, part, dx, dy)
        assert [(i, r.stage) for i, _, r in a.stages] == [(i, r.stage) for i, _, r in b.stages]
        for (_, pid, r), (_, _, s) in zip(a.stages, b.stages):
            for f in STAGE_FIELDS:
                assert _same(getattr(r, f), getattr(s, f)), (pid, r.stage, f, getattr(r, f), getattr(s, f))
        assert a.agencies == b.agencies
        for k in a.series:
            for u, v in zip(a.series[k], b.series[k]):
                assert u.tobytes() == v.tobytes()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_give_identical_records_on_both_paths(path, counts):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = compile_scenario(sim.load(path))
    assert_identical(cs, reps=2)
    if "mmc" in path.name:  # queueing networks: every visit is plain
        assert counts["plain"] > 2000 and counts["general"] > 2000
    else:  # the zone's stages all have preparation, defects or sittings: general
        assert counts["plain"] == 0 and counts["general"] > 30


@pytest.mark.parametrize("calendar", ["office", "office-workday"])
def test_rework_network_on_a_working_calendar_gives_identical_records(calendar, counts):
    """Submissions wait for office hours and queue together at opening: many simultaneous events."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import engine_model

    cs = compile_scenario(engine_model.load(3000, calendar))
    gates, opened = [0], sim.engine.plain_chain.Opening._opened

    def counted_opened(self):
        gates[0] += 1
        counts["waited"] = counts.get("waited", 0) + len(self.waiting)
        opened(self)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sim.engine.plain_chain.Opening, "_opened", counted_opened)
        mp.setattr(sim.engine.plain_chain, "_OPENED", [counted_opened])
        assert_identical(cs, reps=1)
    assert counts["plain"] > 3000 * 5 * 0.9 and counts["general"] > 3000 * 5 * 0.9
    # the submissions that waited for an office opening shared one wake-up event per opening
    assert gates[0] > 0 and counts["waited"] > 3 * gates[0], (gates[0], counts["waited"])


PRIORITY_CUTOVER = (
    HEAD.replace('name = "primitives"', 'name = "priority cut-over"\nreform_date = 2024-05-06\nlevers = ["reform"]')
    + f"""
[agencies.desk]
staff = 2
[agencies.bureau]
staff = 1
priority = {{class = "large"}}
[agencies.checker]
staff = 1

[classes.std]
investment_cny = {fixed(1e8, "cny")}
[classes.large]
investment_cny = {fixed(5e8, "cny")}

[arrivals.stream]
rate = 14
per = "month"
until = 2024-10-31
classes = {{std = 3, large = 1}}

[stages.filing]
agency = "desk"
effort = {{dist = "exponential", mean = 0.2, unit = "workday"}}
[stages.review]
agency = "bureau"
after = ["filing"]
effort = {{dist = "exponential", mean = 1.2, unit = "workday"}}
[stages.old_check]
agency = "checker"
after = ["filing"]
effort = {{dist = "exponential", mean = 0.8, unit = "day"}}
feedback = {{p = 0.3, to = "filing"}}
[stages.permit]
agency = "desk"
after = ["review", "old_check"]
effort = {{dist = "uniform", low = 0.1, high = 0.5, unit = "workhour"}}

[levers.reform]
skip = ["old_check"]
set = {{"stages.review.effort" = {{dist = "exponential", mean = 0.6, unit = "workday"}}}}
"""
    + MILESTONES.format("permit")
)


def test_priority_desks_forks_and_cut_over_give_identical_records(tmp_path, counts):
    """A priority desk, a fork and a join, feedback, working hours, and two processes around a reform date."""
    sc = sim.load(write(tmp_path, PRIORITY_CUTOVER))
    assert sc.base is not None and sc.agency_by_id["bureau"].priority is not None
    assert_identical(compile_scenario(sc), reps=2)
    assert counts["plain"] > 500


FEEDBACK_CUTOVER = (
    HEAD.replace('name = "primitives"', 'name = "feedback cut-over"\nreform_date = 2024-06-03\nlevers = ["reform"]')
    + f"""
[agencies.front]
staff = 5
[agencies.back]
staff = 5
[classes.std]
investment_cny = {fixed(1e8, "cny")}
"""
    + "".join(named(f"b{i}", "std", f"2024-03-{4 + 7 * i:02d}") for i in range(4))
    + "".join(named(f"a{i}", "std", f"2024-06-{3 + 7 * i:02d}") for i in range(4))
    + f"""
[stages.intake]
agency = "back"
effort = {fixed(2)}
[stages.check]
agency = "front"
after = ["intake"]
effort = {fixed(1)}
feedback = {{p = 0.8, to = "intake"}}

[levers.reform]
set = {{"stages.intake.effort" = {fixed(0.5)}}}
"""
    + MILESTONES.format("check")
)


@pytest.mark.parametrize("fast", [True, False])
def test_feedback_before_the_reform_date_goes_back_to_the_old_desk_work(tmp_path, fast):
    """Each loop back costs the back desk's effort of the project's own process: 2 wd before, 0.5 after."""
    cs = compile_scenario(sim.load(write(tmp_path, FEEDBACK_CUTOVER)))
    with gc_paused():
        res = Replication(cs, 0, 3, plain_callbacks=fast).run()
    loops = {}
    for _, pid, r in res.stages:
        if r.stage == "check":  # review = own 1 wd + loops x (back effort + own 1 wd); no queue (5 staff)
            back = 2.0 if pid.startswith("b") else 0.5
            k = (r.review - 1.0) / (back + 1.0)
            assert k == pytest.approx(round(k), abs=1e-9), (pid, r.review)
            loops[pid] = round(k)
    assert len(loops) == 8
    assert any(loops[f"b{i}"] > 0 for i in range(4)) and any(loops[f"a{i}"] > 0 for i in range(4))


def test_plain_record_reads_like_a_fresh_stage_record_and_keeps_its_constants():
    """A PlainRecord has every field of a StageRecord; the ones a plain visit never sets read as a new
    StageRecord's and cannot be set; it survives pickling (records go to worker processes' parents)."""
    import pickle

    from sim.engine.records import PlainRecord, StageRecord

    fresh, plain = StageRecord("s1", 2.5), PlainRecord("s1", 2.5)
    for f in STAGE_FIELDS + ("build_start",):
        a, b = getattr(fresh, f), getattr(plain, f)
        assert a == b or (math.isnan(a) and math.isnan(b)), f
    plain.queue, plain.review, plain.submitted = 1.5, 0.25, 3.0
    with pytest.raises(AttributeError):
        plain.prepare = 1.0
    back = pickle.loads(pickle.dumps(plain))
    assert (back.stage, back.started, back.queue, back.review, back.submitted, back.prepare) == (
        "s1",
        2.5,
        1.5,
        0.25,
        3.0,
        0.0,
    )
    assert plain.plain and not fresh.plain
