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
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim
from sim.engine.compiled import compile_scenario
from sim.runs.runner import replications

from helpers import REPO
from helpers.cli import run_cli
from helpers.scenarios import (
    days,
    project,
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
def test_a_stage_that_loops_without_time_passing_stops_the_run_naming_it(write_scenario, kind, jobs):
    path = write_scenario(scenario_toml("loop", stages={"permit": LOOPS[kind]}, **ONE))
    key = "defect" if kind == "defect" else "feedback"
    done = run_cli("run", path, "-n", 3, "-j", jobs, timeout=90)  # a hang fails here
    assert done.returncode == 2, done.stderr
    assert re.fullmatch(
        rf"error: {re.escape(str(path))}: stages\.permit\.{key}: loops without time passing: .*\n", done.stderr
    )
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
    with pytest.raises(sim.ScenarioError, match=next(iter(kwargs))):
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
