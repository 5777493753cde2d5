"""``approval-sim forecast`` as a user runs it: the example backlog, a what-if, the outputs, a backlog from a log."""

from __future__ import annotations

import csv
import datetime as dt
import json

import sim
from sim.engine.compiled import compile_scenario
from sim.engine.replication import simulate
from sim.eventlog.stages import StageMap
from sim.scenario.backlog_log import backlog_from_log

from helpers import REPO
from helpers.backlog_state import backlog_rows_at
from helpers.cli import run_cli
from helpers.scenarios import dist, project, scenario_toml, stage, workdays

PRE = REPO / "scenarios" / "pre_reform.toml"
EXAMPLE = REPO / "scenarios" / "examples" / "backlog_example.csv"


def test_forecast_writes_tables_figures_and_paired_differences(tmp_path) -> None:
    """The example backlog with a staffing what-if: a line per file in the terminal, forecast.csv/json, versus.csv
    and both figures; the reference scenario's first decisions of files at untouched agencies do not move."""
    out = tmp_path / "fc"
    variant = f"{PRE}@agencies.housing.staff=4@name=more housing staff"
    res = run_cli("forecast", PRE, variant, "--backlog", EXAMPLE, "--as-of", "2024-09-02", "-n", 8, "-o", out)
    assert res.returncode == 0, res.stderr
    assert "LNA-2024-001" in res.stdout and "construction permit" in res.stdout
    assert "more housing staff vs Pre-reform" in res.stdout
    names = {p.name for p in out.iterdir()}
    for f in ("forecast.csv", "forecast.json", "versus.csv", "forecast_files.png", "forecast_files.svg"):
        assert f in names
    assert {"forecast_files.csv", "clearance.png", "clearance.svg", "clearance.csv"} <= names
    with open(out / "forecast.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    files = {r["project"] for r in rows}
    assert len(files) == 19
    permits = [r for r in rows if r["item"] == "construction_permit" and r["agency"] == ""]
    assert len(permits) == 2 * 19
    for r in permits:
        assert r["p10"] <= r["p50"] <= r["p90"]
    data = json.loads((out / "forecast.json").read_text(encoding="utf-8"))
    first, second = data["scenarios"]
    assert first["as_of"] == "2024-09-02" and first["replications"] == 8 and first["open_files"] == 19
    assert second["versus"]["reference"] == first["scenario"]
    with open(out / "versus.csv", encoding="utf-8") as f:
        versus = list(csv.DictReader(f))
    early = [r for r in versus if r["item"] == "next_decision" and r["project"] == "LNA-2024-017"]
    assert (
        early and float(early[0]["mean_difference"]) == 0.0
    )  # site selection at planning: housing staff cannot move it
    again = run_cli("forecast", PRE, "--backlog", EXAMPLE, "--as-of", "2024-09-02", "-n", 2, "-o", out, "-q")
    assert again.returncode == 2 and "--force" in again.stderr


def test_forecast_from_an_event_log_takes_its_open_cases(tmp_path, write_scenario) -> None:
    """A simulated run's event log (events.csv) cut at an as-of date gives the backlog of the cases open then:
    the same files, the same stages decided and the same stages under way as the run's own state at that date
    (read from its records, helpers.backlog_state); and the command forecasts from it."""
    text = scenario_toml(
        "log",
        agencies={"a": 1, "b": 2},
        projects=[project(f"p{i:02d}", "std", dt.date(2024, 2, 5) + dt.timedelta(days=4 * i)) for i in range(20)],
        stages={
            "s1": stage("a", prepare=dist("triangular", low=1, mode=2, high=4), effort=workdays(1.5)),
            "s2": stage("b", after="s1", effort=dist("lognormal", median=2, p90=5)),
            "s3": stage("a", after="s2", prepare=workdays(1), effort=workdays(1)),
        },
        milestones="s3",
    )
    path = write_scenario(text)
    sc = sim.load(path)
    run = sim.run(sc, n=1, seed=4, out=tmp_path / "run", events=True)
    log = sim.read_log(run.out / "events.csv")
    as_of = dt.date(2024, 4, 8)
    backlog = backlog_from_log(log, StageMap.parse("prefix:1", ":"), sc, as_of)
    cs = compile_scenario(sc)
    truth = backlog_rows_at(cs, simulate(cs, 0, 4, events=True), float((as_of - sc.start_date).days))
    want_done = {(r["project"], r["stage"]) for _, r in truth if r["state"] == "done"}
    want_open = {(r["project"], r["stage"]) for _, r in truth if r["state"] != "done"}
    got_done = {(p.id.split(":")[1], s.stage) for p in backlog.projects for s in p.stages if s.state == "done"}
    got_open = {(p.id.split(":")[1], s.stage) for p in backlog.projects for s in p.stages if s.state != "done"}
    assert want_open and got_open == want_open
    assert got_done == want_done
    res = run_cli(
        "forecast", path, "--backlog-from", run.out / "events.csv", "--stage-by", "prefix:1", "--stage-sep", ":",
        "--as-of", as_of, "-n", 3, "-o", tmp_path / "fc", "-q",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "fc" / "backlog.csv").read_text(encoding="utf-8").startswith("project,class,signed,stage")
    res = run_cli("forecast", path, "--backlog-from", run.out / "events.csv", "--as-of", as_of, "-q")
    assert res.returncode == 2 and "are not stages of the scenario" in res.stderr and "--stage-map" in res.stderr
