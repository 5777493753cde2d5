"""A forecast from a backlog against independent truth (issue 18, item 5).

(a) State equivalence: a replication run to day T, its state at T written as a backlog from its own records and
    event log (helpers.backlog_state, which knows nothing of the warm start), and a forecast started from it
    must agree with the same replication continued: exactly, decision by decision, for fixed durations; in
    distribution (two-sample Kolmogorov-Smirnov over replications) for random ones.
(b) An M/M/1 queue started with one file in service and k waiting: the time to clear them is known in closed form.
(c) A tiny backlog on the Chinese calendar (make-up working days, National Day, office hours), dates counted by hand.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

import sim
from sim.engine.compiled import compile_scenario
from sim.engine.replication import Collector, simulate
from sim.engine.warm import WarmReplication, warm_start
from sim.scenario.backlog_reading import backlog_from_rows

from helpers.backlog_state import backlog_rows_at
from helpers.ks import ks_one_sample, ks_two_sample
from helpers.scenarios import days, dist, fixed, project, scenario_toml, stage, workdays

MILESTONES = {"construction_permit": "s4", "construction_start": "works", "completion": "works", "production": "works"}
EXCLUDES = ["sitting", "lag"]
HEAD = "project,class,signed,stage,state,since"
AGENCIES = {"a": 1, "b": {"staff": 2, "sittings": {"every": 3, "capacity": 1}}, "c": 1}


def _process(**d: dict) -> dict:
    """Five stages over three agencies: a defect loop, a panel with sittings, a statutory limit that excludes
    the sitting and the lag, a join, a second visit to the first agency, and construction."""
    return {
        "s1": stage("a", prepare=d["prep1"], effort=d["eff1"], limit={"workdays": 6}, defect=d["defect"]),
        "s2": stage("b", after="s1", effort=d["eff2"], lag=d["lag2"], limit={"workdays": 8, "excludes": EXCLUDES}),
        "s3": stage("c", after="s1", prepare=d["prep3"], effort=d["eff3"]),
        "s4": stage("a", after=["s2", "s3"], effort=d["eff4"]),
        "works": stage(None, after="s4", build=d["build"]),
    }


def _continued(cs, rep: int, seed: int, T: float):
    """Replication ``rep`` run whole, and a warm start of the same replication from its state at T."""
    full = simulate(cs, rep, seed, events=True)
    rows = backlog_rows_at(cs, full, T)
    if not rows:
        return full, None, None
    backlog = backlog_from_rows(rows, "state at T", cs.scenario, cs.scenario.start_date + dt.timedelta(days=T))
    warm = WarmReplication(cs, warm_start(cs, backlog), rep, seed, Collector(cs, rep)).run()
    return full, backlog, warm


def test_state_equivalence_is_exact_for_fixed_durations(write_scenario) -> None:
    """Fixed durations: every decision after T of every file open at T, and whether it kept its statutory limit,
    is the same in the forecast as in the replication continued, whatever step the file was in at T."""
    projects = [project(f"p{i:02d}", "std", dt.date(2024, 3, 4) + dt.timedelta(days=5 * i + i % 3)) for i in range(14)]
    process = _process(
        prep1=workdays(2.25),
        eff1=workdays(1.5),
        defect={"p": 1, "decay": 0, "fix": workdays(2.4)},  # every file is returned once
        eff2=workdays(2.2),
        lag2=days(5.5),
        prep3=workdays(1.1),
        eff3=workdays(3.3),
        eff4=workdays(1.2),
        build=fixed(1.5, "month"),
    )
    text = scenario_toml("exact", agencies=AGENCIES, projects=projects, stages=process, milestones=MILESTONES)
    cs = compile_scenario(sim.load(write_scenario(text)))
    states: set[str] = set()
    compared = 0
    for T in range(60, 200, 7):
        full, backlog, warm = _continued(cs, 0, 0, float(T))
        if backlog is None:
            continue
        states.update(s.state for p in backlog.projects for s in p.stages)
        truth = {(pid, r.stage): r for _, pid, r in full.stages}
        for _, pid, r in warm.stages:
            want = truth[(pid, r.stage)]
            if pid not in {p.id for p in backlog.projects} or not want.issued > T:
                continue
            assert r.issued == pytest.approx(want.issued, abs=1e-7), (T, pid, r.stage)
            assert (r.within == want.within) or (math.isnan(r.within) and math.isnan(want.within)), (T, pid, r.stage)
            compared += 1
    assert compared > 300
    assert {"preparing", "queued", "in_review", "waiting_sitting", "returned", "lag", "building"} <= states


def _random_case(write_scenario):
    process = _process(
        prep1=dist("triangular", low=1, mode=2, high=4),
        eff1=dist("lognormal", median=1.5, p90=4),
        defect={"p": 0.4, "decay": 0.5, "fix": dist("triangular", low=1, mode=2, high=4)},
        eff2=dist("exponential", mean=2),
        lag2=dist("uniform", "day", low=3, high=8),
        prep3=dist("triangular", low=0.5, mode=1, high=2),
        eff3=dist("lognormal", median=2, p90=6),
        eff4=dist("triangular", low=0.5, mode=1, high=2),
        build=dist("triangular", "month", low=1, mode=1.5, high=2),
    )
    stream = {"rate": 36, "per": "year", "until": dt.date(2024, 6, 30), "classes": {"std": 1}}
    text = scenario_toml("random", agencies=AGENCIES, stream=stream, stages=process, milestones=MILESTONES)
    return compile_scenario(sim.load(write_scenario(text)))


def _next_decision(result, ids: set[str], T: float) -> float:
    """Mean over the files ``ids`` of the time from T to their first decision after T."""
    first: dict[str, float] = {}
    for _, pid, r in result.stages:
        if pid in ids and r.issued > T:
            first[pid] = min(first.get(pid, math.inf), r.issued - T)
    return float(np.mean(list(first.values())))


def _permit(result, ids: set[str], T: float) -> float:
    """Mean over the files ``ids`` that had no construction permit at T of the time from T to it."""
    times = [p.milestones["construction_permit"] - T for p in result.projects if p.id in ids]
    return float(np.mean([t for t in times if t > 0])) if any(t > 0 for t in times) else math.nan


def test_state_equivalence_in_distribution_for_random_durations(write_scenario) -> None:
    """Random durations (lognormal, exponential, triangular, uniform), random defects and a Poisson stream:
    over 200 replications, the time from T to each open file's next decision and to its construction permit
    are distributed alike in the forecast and in the replication continued (two-sample KS, p > 0.01).  The
    same backlog with every step under way restarted at T (work already done thrown away) is rejected: the
    test can fail."""
    cs = _random_case(write_scenario)
    T = 121.0
    truth, warm, restarted = [], [], []
    for rep in range(200):
        full, backlog, result = _continued(cs, rep, 7, T)
        if backlog is None:
            continue
        ids = {p.id for p in backlog.projects}
        rows = backlog_rows_at(cs, full, T)
        just_before = (dt.datetime.combine(backlog.as_of, dt.time()) - dt.timedelta(minutes=1)).isoformat(sep=" ")
        moved = [(i, {**c, "since": just_before} if c["state"] != "done" else c) for i, c in rows]
        other = backlog_from_rows(moved, "restarted", cs.scenario, backlog.as_of)
        again = WarmReplication(cs, warm_start(cs, other), rep, 7, Collector(cs, rep)).run()
        for out, res in ((truth, full), (warm, result), (restarted, again)):
            out.append((_next_decision(res, ids, T), _permit(res, ids, T)))
    a, b, c = (np.array(x) for x in (truth, warm, restarted))
    assert len(a) > 150
    for k in (0, 1):
        ok = ~(np.isnan(a[:, k]) | np.isnan(b[:, k]))
        assert ks_two_sample(a[ok, k], b[ok, k])[1] > 0.01
    assert ks_two_sample(a[:, 0], c[:, 0])[1] < 1e-3


def test_mm1_backlog_clears_as_an_erlang_sum(write_scenario, tmp_path) -> None:
    """An M/M/1 queue (one reviewer, exponential service of mean 1/mu = 1 day, Poisson arrivals at 0.7 a day) at
    the as-of date holds one file under review for 40 days already and k = 9 waiting.

    Derivation: service is exponential, so what is left of the file under review is exponential with the same
    mean whatever its age (memorylessness); FIFO serves the 9 waiting files next, each an independent
    exponential, while later arrivals wait behind them.  The time until the i-th file of the backlog (in order)
    is decided is therefore a sum of i independent exponentials: Erlang(i, mu), mean i/mu; the whole backlog
    clears after Erlang(k + 1, mu), mean (k + 1)/mu = 10 days, variance (k + 1)/mu^2 = 10 days^2.
    """
    k, mu = 9, 1.0
    text = scenario_toml(
        "mm1",
        agencies={"desk": 1},
        always_open=True,
        stream={"rate": 0.7, "per": "day", "classes": {"std": 1}},
        stages={"serve": stage("desk", effort=dist("exponential", "day", mean=1 / mu))},
        milestones="serve",
        end_date="2024-04-30",
    )
    sc = sim.load(write_scenario(text))
    lines = ["project,class,signed,stage,state,since", "b0,std,2024-01-02,serve,in_review,2024-01-20"]
    lines += [f"b{i},std,2024-01-02,serve,queued,2024-02-{20 + i:02d} 10:00" for i in range(1, k + 1)]
    path = tmp_path / "open.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fc = sim.forecast(sc, path, as_of="2024-03-01", n=400, seed=3)
    waits = fc.issued[:, :, 0] - fc.at  # (replications, files in backlog order)
    assert np.isfinite(waits).all()
    assert (np.diff(waits, axis=1) > 0).all()  # first come, first served
    for i in (1, 5, k + 1):
        x = waits[:, i - 1]
        se = math.sqrt(i) / mu / math.sqrt(len(x))
        assert abs(x.mean() - i / mu) < 4 * se, (i, x.mean())
    clear = waits.max(axis=1)

    def erlang_cdf(t: np.ndarray) -> np.ndarray:
        terms = sum(np.exp(-mu * t) * (mu * t) ** j / math.factorial(j) for j in range(k + 1))
        return 1.0 - terms

    assert ks_one_sample(clear, erlang_cdf)[1] > 0.01
    assert abs(clear.var(ddof=1) - (k + 1) / mu**2) < 0.25 * (k + 1) / mu**2


def test_chinese_calendar_dates_counted_by_hand(write_scenario, tmp_path) -> None:
    """As of Friday 2024-09-27: one reviewer, reviews of 3 working days, then a public notice of 2 working days,
    a statutory limit of 5 working days that the notice does not count; offices open 09:00-17:00.  Days off:
    Sat 28 Sep, 1-7 Oct (National Day), Sun 13 Oct; make-up working days Sun 29 Sep and Sat 12 Oct.

    - F1 under review since Thu 26 Sep 13:00 (0.5 day done, 2.5 left): Fri 27 (1), Sun 29 (1), Mon 30 09-13 ->
      review ends Mon 30 Sep 13:00; notice Mon 30 13-17 (0.5), Tue 8 Oct (1), Wed 9 09-13 -> Wed 9 Oct 13:00.
      Clock: 26 Sep 13:00 -> 9 Oct 13:00 is 5 working days, less the 2 of the notice: 3 <= 5, kept.
    - F2 waiting since Wed 25 Sep 10:00, reviewed after F1: Mon 30 13-17, Tue 8, Wed 9, Thu 10 09-13 ->
      Thu 10 Oct 13:00; notice Thu 10 13-17, Fri 11, Sat 12 (make-up) 09-13 -> Sat 12 Oct 13:00.
      Clock: 25 Sep 10:00 -> 12 Oct 13:00 is 10.375 working days, less 2: 8.375 > 5, missed.
    - F3 preparing since Fri 20 Sep 09:00 (6 days of preparation: 5 done, 1 left): Fri 27 -> ready at 17:00,
      submitted at the next opening, Sun 29 Sep 09:00; reviewed after F2: Thu 10 13-17, Fri 11, Sat 12, Mon 14
      09-13 -> Mon 14 Oct 13:00; notice Mon 14 13-17, Tue 15, Wed 16 09-13 -> Wed 16 Oct 13:00.
      Clock: 29 Sep 09:00 -> 16 Oct 13:00 is 9.5 working days, less 2: 7.5 > 5, missed.
    """
    text = scenario_toml(
        "cn",
        agencies={"bureau": 1},
        stages={
            "permit": stage(
                "bureau",
                prepare=workdays(6),
                effort=workdays(3),
                lag=workdays(2),
                limit={"workdays": 5, "excludes": ["lag"]},
            )
        },
        milestones="permit",
        projects=[project("later", "std", "2024-12-02")],  # a new arrival, after the backlog is cleared
    )
    sc = sim.load(write_scenario(text))
    path = tmp_path / "open.csv"
    path.write_text(
        "project,class,signed,stage,state,since,submitted\n"
        "F1,std,2024-09-02,permit,in_review,2024-09-26 13:00,2024-09-26 13:00\n"
        "F2,std,2024-09-02,permit,queued,2024-09-25 10:00,\n"
        "F3,std,2024-09-02,permit,preparing,2024-09-20,\n",
        encoding="utf-8",
    )
    fc = sim.forecast(sc, path, as_of=dt.date(2024, 9, 27), n=2, seed=0)

    def clock(text: str) -> float:
        return (dt.datetime.fromisoformat(text) - dt.datetime(2024, 1, 1)).total_seconds() / 86400

    want = {"F1": "2024-10-09 13:00", "F2": "2024-10-12 13:00", "F3": "2024-10-16 13:00"}
    for j, p in enumerate(fc.backlog.projects):
        assert fc.issued[:, j, 0] == pytest.approx(clock(want[p.id]), abs=1e-9), p.id
    assert fc.within[0, :, 0].tolist() == [1.0, 0.0, 0.0]
    rows = {r["project"]: r for r in fc.files() if r["item"] == "permit"}
    assert [rows[f]["p50"] for f in ("F1", "F2", "F3")] == ["2024-10-09", "2024-10-12", "2024-10-16"]
    assert [rows[f]["p_miss_limit"] for f in ("F1", "F2", "F3")] == [0.0, 1.0, 1.0]


def test_supplementing_files_by_hand_and_by_bayes_rule(write_scenario, tmp_path) -> None:
    """Files accepted with missing documents (tolerant acceptance, deadline 5 days; a 24/7 calendar, so working
    days are days), as of 2 March 00:00, submitted on 1 March 00:00:

    - fix fixed 3 days: 1 day spent, the documents come 2 days later: decided Mon 4 March 00:00;
    - fix fixed 7 days: they would come after the deadline, so the decision is voided at the deadline (6 March),
      the applicant fixes for 7 days (13 March) and resubmits; round 2 is never defective (decay 0) and its
      review takes 1 day: decided 14 March.
    - fix exponential (mean 1 day) with failures of probability 1/2: given that nothing came in 1 day, a failure
      has the probability 0.5 / (0.5 + 0.5 e^-1) = 1 / (1 + e^-1) = 0.731 (Bayes' rule), and the documents of the
      others come after a further exponential day (memoryless), voided too if that is more than the 4 days left.
    """

    def case(name: str, fix: dict, fail_p: float) -> float:
        text = scenario_toml(
            name,
            agencies={"bureau": 9},
            always_open=True,
            projects=[project("later", "std", "2024-06-03")],
            stages={
                "permit": stage(
                    "bureau",
                    effort=days(1),
                    defect={"p": 1, "decay": 0, "fix": fix},
                    tolerant={"deadline_workdays": 5, "fail_p": fail_p},
                )
            },
            milestones="permit",
        )
        sc = sim.load(write_scenario(text, f"{name}.toml"))
        path = tmp_path / f"{name}.csv"
        path.write_text(f"{HEAD}\nF,std,2024-02-20,permit,supplementing,2024-03-01 00:00\n", encoding="utf-8")
        return sim.forecast(sc, path, as_of="2024-03-02", n=n, seed=5).issued[:, 0, 0]

    n = 1
    start = dt.datetime(2024, 1, 1)
    on = (dt.datetime(2024, 3, 4) - start).days
    assert case("in_time", days(3), 0.0)[0] == pytest.approx(on, abs=1e-9)
    assert case("too_late", days(7), 0.0)[0] == pytest.approx((dt.datetime(2024, 3, 14) - start).days, abs=1e-9)
    n = 2000
    issued = case("bayes", dist("exponential", "day", mean=1), 0.5)
    at = (dt.datetime(2024, 3, 2) - start).days
    voided = issued > (dt.datetime(2024, 3, 6) - start).days  # decided only after the deadline: voided, redone
    fail = 1 / (1 + math.exp(-1))
    p = fail + (1 - fail) * math.exp(-4)  # or the documents come after the deadline, 4 days after the as-of date
    assert abs(voided.mean() - p) < 4 * math.sqrt(p * (1 - p) / n)
    waited = issued[~voided] - at  # exponential, cut at the deadline
    assert ks_one_sample(waited, lambda t: (1 - np.exp(-t)) / (1 - math.exp(-4)))[1] > 0.01
