"""``evaluate``: a scenario against an event log, like with like.

The metrics are checked on a log written here, against durations, quantiles, shares, rework and months
counted by hand; the Wasserstein distance against integrals worked out by hand.  The comparison itself is
checked on a log the scenario made: the same scenario must land on it (observed p50 inside the replications'
95 % range, Wasserstein under a tenth of the mean), one with its reviews twice as long must not, and the
replay must start the simulated cases on the log's own dates.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.analysis.evaluate import wasserstein
from sim.eventlog.metrics import case_table, log_metrics
from sim.eventlog.rounds import round_numbers, stage_rounds
from sim.eventlog.stages import StageMap

from helpers.cli import run_cli
from helpers.logs import write_csv
from helpers.scenarios import date, dist, milestones_at, project_class, scenario_toml, stage

# -- metrics on a hand-made log ---------------------------------------------------------------------------

HEADER = ("case", "activity", "start", "end")
# stages by prefix:1 (reg, rev, pub); times at +08:00 except case D (dates alone: the clock as written)
ROWS = [
    ("A", "reg_intake", "", "2024-01-30 09:00+08:00"),
    ("A", "rev_check", "", "2024-02-01 09:00+08:00"),
    ("A", "rev_decide", "", "2024-02-03 09:00+08:00"),
    ("A", "rev_check", "", "2024-02-05 09:00+08:00"),  # rev_check again: a second round of rev
    ("A", "rev_decide", "", "2024-02-09 21:00+08:00"),
    ("B", "reg_intake", "", "2024-02-01 07:00+08:00"),  # 2024-01-31 23:00 UTC: a February case on its clock
    ("B", "rev_check", "", "2024-02-03 07:00+08:00"),
    ("B", "rev_decide", "", "2024-02-06 07:00+08:00"),
    ("B", "pub_notice", "", "2024-03-02 07:00+08:00"),
    ("C", "reg_intake", "2024-02-10 08:00+08:00", "2024-02-10 10:00+08:00"),  # with a start time
    ("C", "rev_check", "", "2024-02-12 08:00+08:00"),
    ("D", "reg_intake", "", "2024-03-01"),
    ("D", "rev_check", "", "2024-03-02"),
    ("D", "rev_check", "", "2024-03-08"),  # again: rework
]
# by hand: A 2024-01-30 09:00 -> 02-09 21:00 = 10.5 days; B 02-01 07:00 -> 03-02 07:00 = 30 days (2024 is a
# leap year); C 02-10 08:00 (its start) -> 02-12 08:00 = 2 days; D 03-01 -> 03-08 = 7 days
DURATIONS = {"A": 10.5, "B": 30.0, "C": 2.0, "D": 7.0}


@pytest.fixture
def tiny(tmp_path: Path) -> sim.EventLog:
    return sim.read_log(write_csv(tmp_path / "tiny.csv", HEADER, ROWS))


def test_rounds_start_where_an_activity_recurs():
    assert round_numbers(["prepare", "queue", "review", "rework", "queue", "review", "lag"]) == [0, 0, 0, 0, 1, 1, 1]
    assert round_numbers(["a", "a", "a"]) == [0, 1, 2]
    assert round_numbers([]) == []
    # two cases, stages 0 and 1 interleaved, -1 in no stage; case 1 starts afresh
    case = np.array([0, 0, 0, 0, 0, 1, 1])
    stage = np.array([0, 1, 0, -1, 1, 0, 0])
    activity = np.array([5, 5, 5, 7, 6, 5, 6])
    assert stage_rounds(case, stage, activity).tolist() == [0, 0, 1, -1, 0, 0, 0]


def test_metrics_of_a_hand_made_log(tiny):
    table = case_table(tiny, StageMap.parse("prefix:1"))
    assert dict(zip(table.ids, table.durations().tolist())) == pytest.approx(DURATIONS)
    m = log_metrics(table, ["2024-01", "2024-02", "2024-03", "2024-04"])
    d = m["case_duration_days"]
    # sorted 2, 7, 10.5, 30; linear quantiles at positions 0.3, 1.5 and 2.7
    assert d == pytest.approx({"n": 4, "mean": 49.5 / 4, "p10": 3.5, "p50": 8.75, "p90": 24.15})
    stages = m["stages"]
    assert list(stages) == ["reg", "rev", "pub"]
    # reg: ends with the case's first event, except C's (2 h after its start): 0, 0, 0, 1/12
    assert stages["reg"] == pytest.approx(
        {"cases": 4, "share": 1.0, "rework_share": 0.0, "to_end_p50": 0.0, "to_end_p90": 0.7 / 12}
    )
    # rev: reworked in A and D; ends 10.5 (A), 5 (B), 2 (C), 7 (D) days after the case's start
    assert stages["rev"] == pytest.approx(
        {"cases": 4, "share": 1.0, "rework_share": 0.5, "to_end_p50": 6.0, "to_end_p90": 7 + 0.7 * 3.5}
    )
    assert stages["pub"] == pytest.approx(
        {"cases": 1, "share": 0.25, "rework_share": 0.0, "to_end_p50": 30.0, "to_end_p90": 30.0}
    )
    assert m["started_per_month"] == {"2024-01": 1, "2024-02": 2, "2024-03": 1, "2024-04": 0}
    assert m["ended_per_month"] == {"2024-01": 0, "2024-02": 2, "2024-03": 2, "2024-04": 0}


def test_metrics_leave_out_what_completes_after_the_observation_end(tiny):
    until = (dt.datetime(2024, 3, 5) - dt.datetime(1970, 1, 1)).total_seconds()  # 03-05 00:00 on the clock
    table = case_table(tiny, StageMap.parse("prefix:1"), until)
    # D loses its second rev_check (03-08): 1 day long, no rework; B's pub_notice (03-02) stays
    assert dict(zip(table.ids, table.durations().tolist())) == pytest.approx({**DURATIONS, "D": 1.0})
    assert log_metrics(table)["stages"]["rev"]["rework_share"] == pytest.approx(0.25)
    # 02-04 00:00: A and B only, A to its rev_decide of 02-03 (4 days), B to its rev_check of 02-03 (2 days)
    early = case_table(tiny, StageMap.parse("prefix:1"), until - 30 * 86400)
    assert dict(zip(early.ids, early.durations().tolist())) == pytest.approx({"A": 4.0, "B": 2.0})


# -- the Wasserstein distance -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # quantile functions: a is 0, 1, 3 on thirds; b is 1, 2 on halves; |difference| 1, 0, 1, 1 on
        # (0, 1/3], (1/3, 1/2], (1/2, 2/3], (2/3, 1]: 1/3 + 0 + 1/6 + 1/3
        ([0, 1, 3], [1, 2], 5 / 6),
        ([1, 2, 3, 4], [1, 1, 1, 1], (0 + 1 + 2 + 3) / 4),
        ([0, 10], [0, 0, 10], 10 * (2 / 3 - 1 / 2)),  # they differ on (1/2, 2/3] only
        ([3, 1, 2], [1, 2, 3], 0.0),  # order does not matter
        ([1, 2, 3], [6, 7, 8], 5.0),  # a shift
    ],
)
def test_wasserstein_against_hand_computed_values(a, b, expected):
    assert wasserstein(np.array(a), np.array(b)) == pytest.approx(expected, abs=1e-12)
    assert wasserstein(np.array(b), np.array(a)) == pytest.approx(expected, abs=1e-12)


def test_wasserstein_agrees_with_scipy_on_random_samples():
    stats = pytest.importorskip("scipy.stats")  # an independent implementation (pm4py, a test dependency, needs it)
    rng = np.random.default_rng(np.random.SeedSequence(15))
    for n, m in ((1, 1), (3, 7), (40, 25), (400, 9000)):
        a, b = rng.gamma(2.0, 5.0, n).round(1), rng.lognormal(2.0, 0.8, m).round(1)  # rounded: ties too
        assert wasserstein(a, b) == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-9)


def test_wasserstein_of_an_empty_sample_is_undefined():
    assert math.isnan(wasserstein(np.array([]), np.array([1.0])))


# -- like with like ---------------------------------------------------------------------------------------

#: a process open around the clock (see test_the_scenario_lands_on_its_own_log): filing (reworked 30 % of the
#: time), an EIA for large projects only, a permit
PROCESS = {
    "always_open": True,
    "agencies": {"bureau": 3, "panel": 2},
    "classes": {"small": project_class(5e7), "large": project_class(5e8)},
    "stream": {"rate": 500, "until": date("2024-09-30"), "classes": {"small": 3, "large": 1}},
    "stages": {
        "filing": stage(
            "bureau",
            prepare=dist("triangular", low=1, mode=3, high=8),
            effort=dist("exponential", mean=0.4),
            defect={"p": 0.3, "fix": dist("uniform", low=1, high=4)},
        ),
        "eia": stage("panel", after="filing", when={"class": "large"}, effort=dist("lognormal", median=2, p90=5)),
        "permit": stage("bureau", after=["filing", "eia"], effort=dist("exponential", mean=0.5)),
    },
    "milestones": milestones_at("permit"),
}


@pytest.fixture(scope="module")
def like(tmp_path_factory):
    """The process's own log (one replication), and the process and a slower one evaluated against it."""
    root = tmp_path_factory.mktemp("like")
    path = root / "process.toml"
    path.write_text(scenario_toml("process", settings={"seed": 11}, **PROCESS), encoding="utf-8")
    sc = sim.load(path)
    sim.run(sc, n=1, seed=5, event_formats=("csv",), out=root / "run")
    log = sim.read_log(root / "run" / "events.csv")
    kw = {"n": 20, "seed": 9, "stage_by": "prefix:1", "stage_sep": ":"}
    same = sim.evaluate(sc, log, **kw)
    slow = sim.evaluate(
        sc.with_overrides({"stages.filing.effort.mean": 0.8, "stages.permit.effort.mean": 1.0}), log, **kw
    )
    return {"path": path, "log": log, "root": root, "same": same, "slow": slow}


def test_the_scenario_lands_on_its_own_log(like):
    """The log's stream signs projects at any hour, the replay at the office opening of their day: on a 24/7
    calendar that changes nothing but the start, which the durations measure from.  (On working days, the
    evening's projects start work a day later than their replay: docs/event-logs.md.)"""
    cd = like["same"].case_duration()
    o, s = cd["observed"], cd["simulated"]
    assert o["n"] > 300 and s["n_per_replication"] == pytest.approx(o["n"])
    lo, hi = s["ci95"]["p50"]
    assert lo <= o["p50"] <= hi
    assert cd["wasserstein_rel"] < 0.1
    assert cd["wasserstein_rel"] <= cd["wasserstein_rel_replications"][1]  # no farther than a replication
    st = like["same"].stage_comparison()
    assert st["matched"] == ["filing", "eia", "permit"] and st["only_in_log"] == st["only_in_scenario"] == []
    eia, filing = st["by_stage"]["eia"], st["by_stage"]["filing"]
    assert eia["simulated"]["ci95"]["share"][0] <= eia["observed"]["share"] <= eia["simulated"]["ci95"]["share"][1]
    assert eia["observed"]["share"] == pytest.approx(0.25, abs=0.06)  # the large projects
    assert filing["observed"]["rework_share"] == pytest.approx(0.3, abs=0.07)  # defect p = 0.3
    assert filing["simulated"]["rework_share"] == pytest.approx(0.3, abs=0.03)
    assert like["same"].warnings == []


def test_a_slower_process_is_told_apart(like):
    same, slow = like["same"].case_duration(), like["slow"].case_duration()
    assert slow["wasserstein_rel"] > 0.2 and slow["wasserstein_rel"] > 3 * same["wasserstein_rel"]
    assert slow["wasserstein_rel"] > 2 * slow["wasserstein_rel_replications"][1]
    lo, hi = slow["simulated"]["ci95"]["p50"]
    assert not lo <= slow["observed"]["p50"] <= hi
    worst = like["slow"].stage_comparison()["worst"]
    assert worst[0] in ("filing", "permit")  # where the time was added, not the EIA


def test_the_replay_starts_the_cases_on_the_logs_dates(like):
    ev = like["same"]
    first = case_table(like["log"], StageMap(1, ":")).first
    log_days = sorted(int(t // 86400) for t in first)
    assert ev.variant.stream is not None and ev.variant.projects == ()
    assert sorted((ev.variant.start_date - dt.date(1970, 1, 1)).days + d for d in ev.variant.stream.days) == log_days
    monthly = ev.monthly()
    assert all(m["started"]["simulated"] == m["started"]["observed"] for m in monthly.values()), monthly
    assert sum(m["started"]["observed"] for m in monthly.values()) == len(log_days)


def test_evaluate_json_is_strict_and_complete(like, tmp_path):
    out = like["same"].write(tmp_path / "ev")
    data = json.loads((out / "evaluate.json").read_text(encoding="utf-8"), parse_constant=_refuse)
    cd = data["case_duration_days"]
    assert set(cd["observed"]) == {"n", "mean", "p10", "p50", "p90"}
    assert {"n", "mean", "p10", "p50", "p90", "ci95"} <= set(cd["simulated"])
    assert set(cd["simulated"]["ci95"]) == {"p10", "p50", "p90"} and "wasserstein_rel" in cd
    assert {"matched", "only_in_log", "only_in_scenario", "worst", "by_stage"} <= set(data["stages"])
    assert {"scenario", "log", "replications", "seed", "T_end", "stage_map"} <= set(data["meta"])
    assert data["meta"]["replications"] == 20 and data["meta"]["seed"] == 9
    with pytest.raises(sim.OutputError):
        like["same"].write(tmp_path / "ev")  # an earlier output is replaced only with force
    assert like["same"].write(tmp_path / "ev", force=True) == out


def test_the_figure_shows_both_curves_the_marks_and_the_stages(like, tmp_path):
    ev = like["same"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = sim.plots.evaluate_figure(ev)
        rows = sim.plots.evaluate_data(ev)
        paths = sim.plots.save(fig, rows, tmp_path, "evaluate")
    assert not [w for w in caught if "Glyph" in str(w.message)]
    gids = [a.get_gid() for ax in fig.axes for a in (*ax.lines, *ax.patches)]
    assert {"ecdf:observed", "ecdf:simulated", "mark:observed:p50", "mark:observed:p90"} <= set(gids)
    for bars in ("bars:observed:share", "bars:simulated:share", "bars:observed:to_end_p50"):
        assert gids.count(bars) == 3, bars  # one bar per stage in both
    o = ev.case_duration()["observed"]
    texts = " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
    assert f"p50 {o['p50']:.1f} d" in texts and f"{o['n']:,} cases" in texts and "Wasserstein" in texts
    curve = [r for r in rows if r["panel"] == "case_duration"]
    stages = [r for r in rows if r["panel"] == "stage"]
    assert len(curve) == 201 and [r["stage"] for r in stages] == ["filing", "eia", "permit"]
    at_half = next(r for r in curve if r["quantile"] == 0.5)  # the inverted CDF: the ceil(n/2)-th smallest
    durations = sorted(ev.observed_durations.tolist())
    assert at_half["observed_days"] == pytest.approx(durations[math.ceil(len(durations) / 2) - 1], abs=1e-6)
    assert [p.suffix for p in paths] == [".png", ".svg", ".csv"]


def _refuse(constant: str) -> None:
    raise AssertionError(f"evaluate.json holds {constant}, which is not JSON")


def test_bad_arguments_are_named(like):
    with pytest.raises(ValueError, match="sim.evaluate: n must be"):
        sim.evaluate(like["path"], like["log"], n=0)
    with pytest.raises(ValueError, match="zone"):
        sim.evaluate(like["path"], like["log"], zone="UTC")
    with pytest.raises(sim.LogError, match="before the log's first event"):
        sim.evaluate(like["path"], like["log"], observed_until="2023-12-01", n=1)


# -- the command line -------------------------------------------------------------------------------------


def test_cli_writes_evaluate_json_and_the_figure(like, tmp_path):
    out = tmp_path / "out"
    events = like["root"] / "run" / "events.csv"
    r = run_cli("evaluate", like["path"], events, "-o", out, "-n", 3, "--stage-by", "prefix:1", "--stage-sep", ":")
    assert r.returncode == 0, r.stderr
    data = json.loads((out / "evaluate.json").read_text(encoding="utf-8"), parse_constant=_refuse)
    assert {"meta", "case_duration_days", "stages", "monthly"} <= set(data)
    assert data["stages"]["matched"] == ["filing", "eia", "permit"]
    for suffix in ("png", "svg", "csv"):
        assert (out / f"evaluate.{suffix}").stat().st_size > 0
    assert "95% range of replications" in r.stdout and "the worst stages" in r.stdout


def test_cli_bad_log_exits_2_naming_the_file(like, tmp_path):
    bad = write_csv(tmp_path / "bad.csv", ("case", "when"), [("A", "2024-01-01")])
    r = run_cli("evaluate", like["path"], bad, "-o", tmp_path / "out", "-n", 1)
    assert r.returncode == 2 and "bad.csv" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_cli_log_without_a_stage_of_the_scenario_says_so(like, tmp_path):
    events = like["root"] / "run" / "events.csv"
    # cut by activity, the log's stages are filing_prepare, filing_queue ...: none is a stage of the scenario
    r = run_cli("evaluate", like["path"], events, "-o", tmp_path / "out", "-n", 1, "-q")
    assert r.returncode == 0, r.stderr
    assert "warning: no stage of the log is a stage of the scenario" in r.stderr and "--stage-map" in r.stderr
    data = json.loads((tmp_path / "out" / "evaluate.json").read_text(encoding="utf-8"))
    assert data["stages"]["matched"] == [] and "filing_prepare" in data["stages"]["only_in_log"]
    assert data["stages"]["only_in_scenario"] == ["filing", "eia", "permit"]
