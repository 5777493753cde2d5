"""A run's results are whole and true: every project counted once, the same in projects.csv, summary.json and the
terminal; strict JSON; nothing loops forever; memory does not depend on ``-n``; arguments checked up front.

The truth each test checks against is counted by hand from the scenario (its named projects, their dates), or
read back from the files with a strict parser, never from the code under test.
"""

from __future__ import annotations

import csv
import json
import re
import signal
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim
from sim.engine.compiled import compile_scenario
from sim.runs.runner import replications
from sim.runs.stats import Accumulator

from helpers import REPO
from helpers.cli import run_cli
from helpers.scenarios import (
    days,
    milestones_at,
    project,
    project_class,
    scenario_toml,
    stage,
    workdays,
)


def strict_json(text: str) -> Any:
    """``json.loads`` that refuses NaN and Infinity, which are not JSON."""

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# -- every project counted once ------------------------------------------------------------------------------

CLASSES = {"std": project_class(), "exempt": project_class()}
#: two projects that go through the stages, and two exempt from all of them (the class "exempt")
PROJECTS = [
    project("a1", "std", "2024-03-04"),
    project("x1", "exempt", "2024-03-05"),
    project("a2", "std", "2024-04-01"),
    project("x2", "exempt", "2024-06-03"),
]
SKIPPED = {"x1", "x2"}


def two_stages(**skip: Any) -> dict[str, Any]:
    """A filing, then the permit, at one bureau; ``skip`` (``enabled``, ``when``) applies to both."""
    return {
        "filing": stage("bureau", effort=workdays(1), **skip),
        "permit": stage("bureau", after="filing", effort=workdays(2), **skip),
        "works": stage(after="permit", build=days(30)),
    }


def skipped_by(how: str) -> str:
    """The scenario of :data:`PROJECTS` where the exempt projects skip every approval stage ``how``: by a ``when``
    no exempt project meets, or (for every project: ``PROJECTS`` must then be exempt alone) by ``enabled = false``
    or by a lever."""
    common: dict[str, Any] = {
        "agencies": {"bureau": 1},
        "classes": CLASSES,
        "milestones": milestones_at("permit", "works"),
    }
    if how == "when":
        return scenario_toml("skip-when", projects=PROJECTS, stages=two_stages(when={"class": "std"}), **common)
    exempt = [p for p in PROJECTS if p["id"] in SKIPPED]
    if how == "enabled":
        return scenario_toml("skip-enabled", projects=exempt, stages=two_stages(enabled=False), **common)
    assert how == "lever"
    return scenario_toml(
        "skip-lever",
        projects=exempt,
        stages=two_stages(),
        levers={"no_approval": {"skip": ["filing", "permit"]}},
        settings={"levers": ["no_approval"]},
        **common,
    )


@pytest.mark.parametrize("how", ["when", "enabled", "lever"])
def test_projects_that_skip_every_stage_are_counted_once_and_pass_the_permit_with_no_approval_time(
    write_scenario, tmp_path, how
):
    path = write_scenario(skipped_by(how))
    out = tmp_path / "out"
    n = 3
    done = run_cli("run", path, "-n", n, "-o", out)
    assert done.returncode == 0, done.stderr
    ids = [p["id"] for p in PROJECTS] if how == "when" else sorted(SKIPPED)
    rows = read_csv(out / "projects.csv")
    # one row per project and replication, no more
    assert Counter((r["rep"], r["project"]) for r in rows) == Counter((str(k), i) for k in range(n) for i in ids)
    summary = strict_json((out / "summary.json").read_text(encoding="utf-8"))
    counts = summary["projects"]
    assert counts["projects"] == n * len(ids)
    # a skipped permit is passed the moment it is skipped (at signing): reached, with 0 approval time
    for r in rows:
        assert r["construction_permit"] != ""
        if r["project"] in SKIPPED:
            assert r["construction_permit"] == r["signed"] and r["first_submission"] == ""
            assert float(r["approval_workdays"]) == float(r["approval_days"]) == 0.0
    assert counts["reached_construction_permit"] == n * len(ids)
    assert counts["permit_without_application"] == n * len(SKIPPED)
    for kpi in ("approval_workdays", "approval_days", "submissions"):
        assert (summary["kpis"][kpi]["n"], summary["kpis"][kpi]["censored"]) == (n * len(ids), 0)
    # ... and said so, in summary.json and on the terminal, which agree with projects.csv
    assert any(
        f"{n * len(SKIPPED)} of {n * len(ids)} projects passed the construction permit" in w
        for w in summary["warnings"]
    )
    assert f"{n * len(ids)} reached the construction permit" in done.stdout
    assert f"warning: {n * len(SKIPPED)} of {n * len(ids)} projects passed the construction permit" in done.stderr


def test_a_permit_skipped_before_later_submissions_takes_no_approval_time_not_a_negative_one(write_scenario):
    # the exempt project skips the permit at signing, then applies to the bureau for the works' licence
    text = scenario_toml(
        "later",
        agencies={"bureau": 1},
        classes=CLASSES,
        projects=[project("x", "exempt", "2024-03-04")],
        stages={
            "permit": stage("bureau", effort=workdays(2), when={"class": "std"}),
            "licence": stage("bureau", after="permit", prepare=workdays(2), effort=workdays(1)),
        },
        milestones=milestones_at("permit", "licence"),
    )
    res = sim.run(sim.load(write_scenario(text)), n=1)
    (row,) = list(res.projects)
    # permit passed at signing (Monday 09:00); two days preparing, then the first submission on Wednesday
    assert row["construction_permit"] == "2024-03-04 09:00" and row["first_submission"] == "2024-03-06 09:00"
    assert row["approval_days"] == row["approval_workdays"] == 0.0


def test_projects_under_way_at_the_horizon_are_counted_once_and_censored(write_scenario, tmp_path):
    # the permit takes 2 working days, then 30 days of works, in 2024: by 2024-12-31 (a Tuesday)
    text = scenario_toml(
        "horizon",
        agencies={"bureau": 1},
        projects=[
            project("done", "std", "2024-03-04"),  # everything by April
            project("building", "std", "2024-12-16"),  # permit 12-17, still building at the horizon
            project("queued", "std", "2024-12-31"),  # signed on the last day: the permit is not issued
        ],
        stages={"permit": stage("bureau", effort=workdays(2)), "works": stage(after="permit", build=days(30))},
        milestones=milestones_at("permit", "works"),
    )
    out = tmp_path / "out"
    n = 4
    done = run_cli("run", write_scenario(text), "-n", n, "-o", out, "-j", 2)
    assert done.returncode == 0, done.stderr
    rows = read_csv(out / "projects.csv")
    assert sorted((r["rep"], r["project"]) for r in rows) == sorted(
        (str(k), i) for k in range(n) for i in ("done", "building", "queued")
    )
    by_id = {r["project"]: r for r in rows if r["rep"] == "0"}
    assert by_id["queued"]["construction_permit"] == "" and by_id["building"]["production"] == ""
    summary = strict_json((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["projects"]["projects"] == 3 * n
    approval, production = summary["kpis"]["approval_workdays"], summary["kpis"]["to_production_months"]
    assert (approval["n"], approval["censored"]) == (2 * n, n)
    assert (production["n"], production["censored"]) == (n, 2 * n)
    assert f"{2 * n} of {3 * n} projects had not reached production" in done.stderr


def test_every_project_of_a_stream_is_counted_once(write_scenario, tmp_path):
    # a stream through an overloaded desk: many projects under way at the horizon, some never reviewed
    text = scenario_toml(
        "stream",
        agencies={"bureau": 1},
        stream={"rate": 400, "classes": {"std": 1}},
        stages={"permit": stage("bureau", effort=workdays(1)), "works": stage(after="permit", build=days(30))},
        milestones=milestones_at("permit", "works"),
    )
    res = sim.run(sim.load(write_scenario(text)), n=3, seed=2)
    per_rep = Counter(row["rep"] for row in res.projects)
    for rep, count in per_rep.items():
        ids = sorted(row["project"] for row in res.projects if row["rep"] == rep)
        assert ids == [f"s{i:05d}" for i in range(1, count + 1)]  # s00001 ... with no gap and no repeat
    assert res.summary["projects"]["projects"] == sum(per_rep.values()) == len(res.projects)
    approval = res.summary["kpis"]["approval_workdays"]
    unreached = sum(row["construction_permit"] == "" for row in res.projects)
    assert unreached > 0 and approval["censored"] == unreached and approval["n"] + unreached == len(res.projects)


def test_a_project_not_signed_by_the_horizon_is_counted_once_and_censored(write_scenario, monkeypatch):
    # no valid scenario signs a project after its end date; the engine still must not lose or double one
    import sim.engine.replication as replication

    text = scenario_toml(
        "late",
        agencies={"bureau": 1},
        projects=[project("p", "std", "2024-03-04")],
        stream={"rate": 2, "classes": {"std": 1}},
        stages={"permit": stage("bureau", effort=workdays(1))},
        milestones="permit",
    )
    real = replication.Replication.arrivals

    def one_more(self):
        a = real(self)
        return replication.Arrivals(a.named, [*a.stream_times, self.cs.horizon + 5.0], [*a.stream_classes, 0], ["std"])

    monkeypatch.setattr(replication.Replication, "arrivals", one_more)
    res = sim.run(sim.load(write_scenario(text)), n=2, seed=3)
    for rep in (0, 1):
        rows = [r for r in res.projects if r["rep"] == rep]
        late = rows[-1]  # numbered last: the stream's last project
        assert late["signed"].startswith("2025-01-0") and late["construction_permit"] == ""
        assert len({r["project"] for r in rows}) == len(rows)
    approval = res.summary["kpis"]["approval_workdays"]
    assert res.summary["projects"]["projects"] == len(res.projects)
    assert approval["censored"] == sum(r["construction_permit"] == "" for r in res.projects) >= 2


# -- strict JSON, no numpy warnings --------------------------------------------------------------------------


def test_money_beyond_floating_point_arithmetic_is_refused_before_the_run(write_scenario):
    """1.7e308 yuan at a capital rate of 1 would make the cost of delay infinite: validation bounds money (1e15
    CNY), so the run never computes it; strict JSON for what still overflows is tested on the accumulator below."""
    text = scenario_toml(
        "huge",
        end_date="2025-12-31",
        agencies={"bureau": 1},
        classes={"std": project_class(1.7e308)},
        projects=[project("p", "std", "2024-01-02"), project("q", "std", "2024-01-03")],
        stages={"permit": stage("bureau", effort=workdays(1)), "works": stage(after="permit", build=days(400))},
        milestones=milestones_at("permit", "works"),
        costs={"capital_rate": 1.0},
    )
    path = write_scenario(text)
    with pytest.raises(sim.ScenarioError) as e:
        sim.load(path)
    assert e.value.problems[0].path == "classes.std.investment_cny"
    done = run_cli("run", path, "-n", 3)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "RuntimeWarning" not in done.stderr


@pytest.mark.parametrize("size", [10, 30_000], ids=["exact", "sketch"])
def test_an_accumulator_with_infinite_values_gives_strict_json_and_no_warning(size):
    acc = Accumulator("cny")
    values = np.linspace(1.0, 2.0, size)
    values[-size // 5 :] = np.inf  # the top fifth overflowed
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        acc.add(values)
        acc.add(values)
        d = acc.to_dict()
    strict_json(json.dumps(d, allow_nan=False))
    assert d["n"] == 2 * size and d["censored"] == 0
    assert d["p10"] == pytest.approx(1.1, rel=1e-3) and d["p90"] is None and d["mean"] is None
    assert "p90" in d["note"] and "p10" not in d["note"]


def test_an_accumulator_whose_squares_overflow_has_no_confidence_interval_rather_than_a_zero_wide_one():
    acc = Accumulator("cny")
    for v in (1e200, 2e200, 3e200):
        acc.add(np.array([v, v]))
    d = acc.to_dict()
    assert d["mean"] == pytest.approx(2e200) and d["ci95"] == [None, None] and "ci95" in d["note"]


# -- nothing loops forever -----------------------------------------------------------------------------------

ONE = {"agencies": {"bureau": 1}, "projects": [project("p", "std", "2024-03-04")], "milestones": "permit"}
LOOPS = {
    "defect": stage("bureau", effort=workdays(0), defect={"p": 1, "fix": workdays(0), "max_rounds": 10**9}),
    "feedback": stage("bureau", effort=workdays(0), feedback={"p": 0.9999999999, "to": "permit"}),
    # time passes, by 86 microseconds a round: 10^9 rounds to the end of the year
    "tiny": stage("bureau", effort=days(1e-9), feedback={"p": 0.9999999999, "to": "permit"}),
}


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("kind", list(LOOPS))
def test_a_stage_that_would_loop_without_time_passing_never_runs(write_scenario, kind, jobs):
    """Validation bounds max_rounds (<= 100) and feedback.p (<= 0.99), so no stage can go round without end:
    the run is refused at once, naming the stage's key."""
    path = write_scenario(scenario_toml("loop", stages={"permit": LOOPS[kind]}, **ONE))
    key = "defect.max_rounds" if kind == "defect" else "feedback.p"
    done = run_cli("run", path, "-n", 3, "-j", jobs, timeout=90)  # a hang fails here
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: {path}: stages.permit.{key}: ") and "Traceback" not in done.stderr
    with pytest.raises(sim.ScenarioError) as e:
        sim.run(sim.load(path), n=2, jobs=jobs)
    assert e.value.problems[0].path == f"stages.permit.{key}"


def test_a_few_rounds_at_one_instant_are_no_loop(write_scenario):
    text = scenario_toml(
        "few",
        stages={"permit": stage("bureau", effort=workdays(0), defect={"p": 1, "fix": workdays(0), "max_rounds": 50})},
        **ONE,
    )
    res = sim.run(sim.load(write_scenario(text)), n=1)
    assert res.summary["projects"]["capped"] == 1


# -- memory does not depend on n; arguments are checked ------------------------------------------------------

SMALL = REPO / "tests/data/valid_small.toml"


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_billion_replications_start_at_once_without_a_list_of_them(jobs):
    cs = compile_scenario(sim.load(SMALL))
    tracemalloc.start()
    try:
        stream = replications(cs, 10**9, 1, jobs=jobs)
        first = next(stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    stream.close()  # stops the workers
    assert first.rep == 0 and peak < 20e6  # a list of 10^9 replication numbers would take 8 GB


def test_a_process_that_stopped_its_pool_mid_chunk_still_exits():
    """Twenty streams on two workers, each closed after its first replication: their workers are terminated
    while they send results, which left half a message in the result pipe, and the interpreter waited at exit
    for a pool thread that waited for the rest."""
    script = (
        "import sim\n"
        "from sim.engine.compiled import compile_scenario\n"
        "from sim.runs.runner import replications\n"
        f"cs = compile_scenario(sim.load({str(SMALL)!r}))\n"
        "for _ in range(20):\n"
        "    stream = replications(cs, 10**9, 1, jobs=2)\n"
        "    next(stream)\n"
        "    stream.close()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, timeout=120, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_command_line_starts_a_run_of_a_billion_replications(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(SMALL), "-n", "1000000000", "-q", "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        deadline = time.time() + 60
        while not any(p.name.startswith(".out.") for p in tmp_path.iterdir()):  # the run has started
            assert proc.poll() is None and time.time() < deadline, proc.communicate()[1]
            time.sleep(0.1)
        time.sleep(1.0)
        assert proc.poll() is None  # running, not out of memory
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "MemoryError" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    "kwargs, path",
    [
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"seed": True}, "seed"),
        ({"n": 0}, "n"),
        ({"n": 2.0}, "n"),
        ({"n": np.int64(-3)}, "n"),
        ({"jobs": 0}, "jobs"),
        ({"only": -1}, "only"),
    ],
)
def test_bad_run_arguments_are_refused_before_anything_runs(kwargs, path):
    with pytest.raises(sim.ScenarioError) as e:
        sim.run(sim.load(SMALL), **{"n": 2, **kwargs})
    (problem,) = e.value.problems
    assert problem.path == path and "must be" in problem.message and repr(kwargs[path]) in problem.message
    assert isinstance(e.value, ValueError)


@pytest.mark.parametrize("kwargs", [{"seed": -1}, {"n": 0}])
def test_studies_check_their_arguments_too(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        sim.compare([sim.load(SMALL), sim.load(SMALL)], **{"n": 2, **kwargs})


def test_numpy_integers_are_whole_numbers():
    sc = sim.load(SMALL)
    a = sim.run(sc, n=np.int64(2), seed=np.uint32(7), jobs=np.int8(1))
    b = sim.run(sc, n=2, seed=7)
    assert a.project_rows == b.project_rows and a.summary["meta"]["seed"] == 7
    json.dumps(a.summary, allow_nan=False)  # plain ints: summary.json can hold them


def test_a_negative_seed_on_the_command_line_is_bad_input():
    done = run_cli("run", SMALL, "-n", 2, "--seed", "-1")
    assert done.returncode == 2 and "Traceback" not in done.stderr and "--seed" in done.stderr


# -- memory: refused up front when it cannot fit, a clean message when it runs out -----------------------------

PRE_REFORM = REPO / "scenarios/pre_reform.toml"


def test_a_stream_that_cannot_fit_in_memory_is_refused_before_it_runs():
    # the red team's stream: 990 000 projects a year for 2024 (366 days) into pre_reform's agencies, which
    # cannot keep up, so every project stays under way; under a 2.5 GB address-space limit
    started = time.time()
    done = run_cli(
        "run", PRE_REFORM, "-n", 2, "--set", "arrivals.stream.rate=990000", memory_limit=2_500_000_000, timeout=60
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr and time.time() - started < 30
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"error: {PRE_REFORM}: arrivals.stream.rate: the run does not fit in memory")
    assert f"about {990_000 / 365.2425 * 366:,.0f} projects per replication" in line
    estimate, available = (float(x) for x in re.findall(r"([\d.]+) GB", line))
    assert 3 < estimate < 12  # 4.6 KB per project under way, measured
    assert available < 2.5 and "ulimit -v" in line and "lower arrivals.stream.rate" in line


def test_the_memory_check_names_the_machine_jobs_and_rows_kept(monkeypatch):
    import sim.runs.runner as runner

    sc = sim.load(PRE_REFORM, ["arrivals.stream.rate=2000"])
    cs = compile_scenario(sc)
    monkeypatch.setattr(runner, "available_memory", lambda: (200e6, None))
    assert runner.check_memory(cs, 1000, jobs=2, rows=True) in (1, 10)  # ~10 MB a replication, twice: fits
    with pytest.raises(sim.ScenarioError) as e:  # ... but not the rows of 1000 replications kept for Python
        runner.check_memory(cs, 1000, jobs=2, rows=True, keep_rows=True)
    assert "this machine has 200 MB available" in str(e.value) and "keep_rows=False" in str(e.value)
    monkeypatch.setattr(runner, "available_memory", lambda: (15e6, None))
    with pytest.raises(sim.ScenarioError, match="2 replications at once .* run fewer --jobs"):
        sim.run(sc, n=4, jobs=2, keep_rows=False)


def _measured_peak(cs: Any, rows: bool, events: bool) -> float:
    from sim.runs.runner import reduced_replication

    tracemalloc.start()
    try:
        reduced_replication(cs, 0, 1, rows, events)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _chain(build_days: float, staff: int) -> str:
    """Five reviews in a row at one bureau (with rework), then construction: 1000 projects a year."""
    names = [f"r{i}" for i in range(5)]
    stages = {
        name: stage(
            "bureau", after=names[i - 1] if i else (), effort=workdays(0.1), defect={"p": 0.3, "fix": workdays(0.1)}
        )
        for i, name in enumerate(names)
    }
    stages["works"] = stage(after=names[-1], build=days(build_days))
    return scenario_toml(
        "chain",
        agencies={"bureau": staff},
        stream={"rate": 1000, "classes": {"std": 1}},
        stages=stages,
        milestones=milestones_at(names[-1], "works"),
    )


@pytest.mark.parametrize(
    "case",
    ["pre_reform overloaded", "reform overloaded", "chain under way at the horizon", "chain done in a month"],
)
@pytest.mark.parametrize("rows, events", [(False, False), (True, True)])
def test_the_memory_estimate_is_within_a_factor_of_two_of_what_a_replication_takes(write_scenario, case, rows, events):
    from sim.engine.footprint import footprint

    if case.startswith("chain"):
        sc = sim.load(write_scenario(_chain(3000 if "horizon" in case else 30, staff=100)))
    else:
        sc = sim.load(REPO / f"scenarios/{case.split()[0]}.toml", ["arrivals.stream.rate=1000"])
    cs = compile_scenario(sc)
    estimate = footprint(cs, rows, events)
    assert bool(estimate.overloaded) == case.endswith("overloaded")
    assert 0.5 < estimate.bytes / _measured_peak(cs, rows, events) < 2


@pytest.mark.parametrize("jobs", [1, 2])
def test_running_out_of_memory_in_a_replication_is_a_clean_error(monkeypatch, jobs):
    import sim.runs.runner as runner
    from sim.runs.pool import ReplicationFailed

    real = runner.reduced_replication

    def hungry(cs, rep, seed, *rest):
        if rep == 1:
            raise MemoryError
        return real(cs, rep, seed, *rest)

    monkeypatch.setattr(runner, "reduced_replication", hungry)  # workers are forked, so they see it too
    with pytest.raises(ReplicationFailed) as e:
        sim.run(sim.load(SMALL), n=3, seed=4, jobs=jobs)
    assert str(e.value).startswith("replication 1 (seed 4) ran out of memory: lower the stream's rate")
    assert "Traceback" not in str(e.value)


def test_running_out_of_memory_while_folding_a_replication_in_is_a_clean_error(monkeypatch, tmp_path, capsys):
    import sim.runs.summary
    from sim.cli import main

    def hungry(self, reduced):
        raise MemoryError

    monkeypatch.setattr(sim.runs.summary.Summary, "add", hungry)
    assert main(["run", str(SMALL), "-n", "2", "-o", str(tmp_path / "out"), "--seed", "3"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: replication 0 (seed 3) ran out of memory") and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing half-written


# -- CSV files do not carry formulas -------------------------------------------------------------------------


def test_ids_that_a_spreadsheet_would_run_as_formulas_are_neutralised_in_the_csv_files(tmp_path):
    import dataclasses

    bad = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2", "@SUM(A1)", "\tx", "ok"]
    text = scenario_toml(
        "ids",
        agencies={"bureau": 1},
        projects=[project(f"p{k}", "std", "2024-03-04") for k in range(len(bad))],
        stages={"permit": stage("bureau", effort=workdays(1))},
        milestones="permit",
    )
    (tmp_path / "ids.toml").write_text(text, encoding="utf-8")
    sc = sim.load(tmp_path / "ids.toml")
    # the ids go in past the loader, whatever it accepts: the writer alone must make them safe
    named = tuple(dataclasses.replace(p, id=i) for p, i in zip(sc.projects, bad))
    res = sim.run(dataclasses.replace(sc, projects=named), n=1, out=tmp_path / "out", events=True)
    expected = {i: ("'" + i if i != "ok" else i) for i in bad}
    written = {r["project"] for r in read_csv(tmp_path / "out" / "projects.csv")}
    assert {expected[i] for i in bad} <= written
    assert {r["project"] for r in read_csv(tmp_path / "out" / "stages.csv")} >= {expected[i] for i in bad}
    cases = {r["case"].split(":", 1)[1] for r in read_csv(tmp_path / "out" / "events.csv")}
    assert set(bad) <= cases  # "0:=..." starts with the replication number: no formula
    for name in ("projects.csv", "stages.csv", "events.csv"):
        with open(tmp_path / "out" / name, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                text_cells = [c for c in row if not re.fullmatch(r"-?[\d.]+(e-?\d+)?", c)]  # not numbers
                assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in text_cells), (name, row)
    assert set(bad) <= {r["project"] for r in res.projects}  # in Python, the ids as they are
