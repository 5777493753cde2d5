"""Runs that go wrong: a failing replication is named, signals stop workers and leave nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sim
import sim.runs.runner
from sim.runs.pool import ReplicationFailed

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests/data/valid_small.toml"


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_replication_is_named_with_its_seed(monkeypatch, jobs):
    real = sim.runs.runner.reduced_replication

    def flaky(cs, rep, seed, *rest):
        if rep == 3:
            raise ZeroDivisionError("boom")
        return real(cs, rep, seed, *rest)

    monkeypatch.setattr(sim.runs.runner, "reduced_replication", flaky)  # workers are forked, so they see it too
    with pytest.raises(ReplicationFailed) as e:
        sim.run(sim.load(SMALL), n=6, seed=11, jobs=jobs)
    assert (e.value.rep, e.value.seed) == (3, 11)
    assert "--seed 11 --replication 3" in str(e.value) and "ZeroDivisionError" in str(e.value)


def test_one_replication_alone_matches_the_same_replication_in_a_run():
    sc = sim.load(SMALL)
    full = sim.run(sc, n=4, seed=5)
    alone = sim.run(sc, n=4, seed=5, only=2)
    assert alone.project_rows == [r for r in full.project_rows if r[0] == 2]


def test_extends_may_not_climb_out_of_the_scenario_folder(tmp_path):
    (tmp_path / "base.toml").write_text(SMALL.read_text(encoding="utf-8"), encoding="utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "child.toml").write_text('extends = "../base.toml"\n', encoding="utf-8")
    with pytest.raises(sim.ScenarioError) as e:
        sim.load(sub / "child.toml")
    assert e.value.problems[0].path == "extends" and "outside the scenario's folder" in str(e.value)
    (sub / "abs.toml").write_text(f'extends = "{(tmp_path / "base.toml").as_posix()}"\n', encoding="utf-8")
    assert sim.load(sub / "abs.toml").name  # an absolute path is explicit, and allowed


PRE, REFORM = str(ROOT / "scenarios/pre_reform.toml"), str(ROOT / "scenarios/reform.toml")


@pytest.mark.parametrize(
    "command, sig, status",
    [
        (["run", PRE, "-n", "5000"], signal.SIGTERM, 143),
        (["run", PRE, "-n", "5000"], signal.SIGINT, 130),
        (["compare", PRE, REFORM, "-n", "2000"], signal.SIGTERM, 143),
    ],
    ids=["run-SIGTERM", "run-SIGINT", "compare-SIGTERM"],
)
def test_a_signal_during_a_parallel_run_leaves_no_output(tmp_path, command, sig, status):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", *command, "--jobs", "2", "-q", "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while not any(p.name.startswith(".out.") for p in tmp_path.iterdir()):  # the run has started writing
        assert proc.poll() is None and time.time() < deadline, proc.stderr.read() if proc.poll() is not None else ""
        time.sleep(0.1)
    time.sleep(1.0)
    os.kill(proc.pid, sig)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the run did not stop within a minute of the signal")
    assert proc.returncode == status, err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # neither the output folder nor its temporary folder
    time.sleep(0.5)
    # the output path names this run's processes alone (other test runs may be going on)
    children = subprocess.run(["pgrep", "-f", f"{out}$"], capture_output=True, text=True).stdout.split()
    assert children == [], "worker processes survived the signal"


def test_agencies_that_never_open_are_reported_not_waited_for(tmp_path):
    text = SMALL.read_text(encoding="utf-8").replace(
        "[scenario]",
        '[calendar]\ncountry = "none"\nweekend = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n\n[scenario]',
        1,
    )
    f = tmp_path / "closed.toml"
    f.write_text(text, encoding="utf-8")
    res = sim.run(sim.load(f), n=2, seed=1, keep_rows=False)
    warnings = res.summary["warnings"]
    assert any("agency 'bureau' has no working time" in w for w in warnings)
    assert any("had not reached production" in w for w in warnings)
    kpi = res.summary["kpis"]["approval_workdays"]
    assert kpi["n"] == 0 and kpi["censored"] == res.summary["projects"]["projects"] > 0


@pytest.mark.parametrize("n, workers", [(1, 2), (7, 2), (100, 2), (1000, 2), (1000, 4)])
def test_chunks_cover_every_replication_in_order_and_shrink_towards_the_end(n, workers):
    """Workers get consecutive chunks of at most 10 replications, none larger than the one before it,
    ending with single replications so that no worker idles through another's long last chunk."""
    chunks = list(sim.runs.runner._chunks(range(n), workers))
    assert [r for c in chunks for r in c] == list(range(n))
    sizes = [len(c) for c in chunks]
    assert max(sizes) <= 10 and sizes == sorted(sizes, reverse=True) and sizes[-1] == 1
    assert sizes.count(1) >= min(n, 8 * workers)
