"""Replications on a Dask distributed cluster: the same results as local runs, clear errors.

A local Dask cluster (a scheduler in this process, two worker processes) is started once for the
module.  Skipped only when the ``dask`` extra is not installed (``pip install -e '.[dask]'``).
"""

from __future__ import annotations

import os
import socket
from concurrent.futures import Executor
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
import dask  # noqa: E402  (after the skip: part of the same extra)

import sim  # noqa: E402
from sim.runs.executors import ExecutorError, make_executor  # noqa: E402
from sim.runs.pool import ReplicationFailed, guarded  # noqa: E402

from helpers.cli import run_cli  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests/data/valid_small.toml"
N, SEED = 6, 7
LEVERS = """
[levers.more_staff]
set = {"agencies.bureau.staff" = 4}
[levers.no_defects]
set = {"stages.filing.defect.p" = 0.0}
"""


def _cluster(**config):
    # processes=True: the workers are separate processes, as on a real cluster, so whatever a task needs
    # (the compiled scenario, the engine's code) crosses a process boundary as it would there.  The scheduler's
    # HTTP server starts even without a dashboard (on port 8787 if given None): a free loopback port instead.
    with dask.config.set(config):
        return distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
        )


@pytest.fixture(scope="module")
def cluster():
    with _cluster() as cl:
        yield cl


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster, set_as_default=False) as c:
        yield c


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- identical results ----------------------------------------------------------------


def test_run_on_dask_equals_a_local_run(client):
    sc = sim.load(SMALL)
    local = sim.run(sc, n=N, seed=SEED, jobs=1)
    for jobs in (1, 3):  # jobs only sizes the chunks and the window in flight
        remote = sim.run(sc, n=N, seed=SEED, jobs=jobs, executor=client.get_executor())
        assert remote.summary == local.summary
        assert remote.project_rows == local.project_rows
        assert remote.stage_rows == local.stage_rows


def test_one_replication_alone_on_dask_equals_local(client):
    sc = sim.load(SMALL)
    local = sim.run(sc, n=N, seed=SEED, only=4)
    assert sim.run(sc, n=N, seed=SEED, only=4, executor=client.get_executor()).summary == local.summary


def test_compare_attribute_sweep_and_tornado_on_dask_equal_local(client, tmp_path):
    path = tmp_path / "levers.toml"
    path.write_text(SMALL.read_text(encoding="utf-8") + LEVERS, encoding="utf-8")
    base = sim.load(path)
    both = base.with_levers("all")
    ex = client.get_executor()

    def same(fn, *args, **kw):
        assert fn(*args, executor=ex, **kw).to_dict() == fn(*args, **kw).to_dict(), fn.__name__

    same(sim.compare, [base, both], n=4, seed=SEED, typical=False)
    same(sim.attribute, both, n=3, seed=SEED)
    same(sim.sweep, base, {"agencies.bureau.staff": [1, 3]}, n=3, seed=SEED)
    same(sim.tornado, base, {"agencies.panel.staff": (1, 2)}, n=3, seed=SEED)


def test_cli_run_on_dask_writes_the_same_files_as_a_local_run(cluster, tmp_path):
    local, remote = tmp_path / "local", tmp_path / "dask"
    res = run_cli("run", SMALL, "-n", N, "--seed", SEED, "-o", local, "-q")
    assert res.returncode == 0, res.stderr
    res = run_cli(
        "run",
        SMALL,
        "-n",
        N,
        "--seed",
        SEED,
        "-o",
        remote,
        "-q",
        "--executor",
        "dask",
        "--scheduler",
        cluster.scheduler_address,
    )
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert files(remote) == files(local)  # summary.json, projects.csv, stages.csv byte for byte


def test_cli_sweep_on_dask_writes_the_same_sweep_json(cluster, tmp_path):
    args = ("sweep", SMALL, "--vary", "agencies.bureau.staff=1,3", "-n", 3, "--seed", SEED, "-q")
    assert run_cli(*args, "-o", tmp_path / "local").returncode == 0
    res = run_cli(*args, "-o", tmp_path / "dask", "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "dask/sweep.json").read_bytes() == (tmp_path / "local/sweep.json").read_bytes()


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address, fragment",
    [
        ("tcp://127.0.0.1:{closed}", "cannot reach the Dask scheduler at tcp://127.0.0.1:"),
        ("nonsense://somewhere", "bad Dask scheduler address"),
        ("tcp://127.0.0.1:port", "bad Dask scheduler address"),
    ],
)
def test_cli_with_a_bad_scheduler_address_is_a_one_line_error(tmp_path, address, fragment):
    address = address.format(closed=closed_port())
    out = tmp_path / "out"
    res = run_cli("run", SMALL, "-n", 2, "-o", out, "--executor", "dask", "--scheduler", address, timeout=60)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], res.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_worker_address_is_not_taken_for_the_scheduler(client):
    worker = next(iter(client.scheduler_info()["workers"]))
    with pytest.raises(ExecutorError, match="is a Dask worker"):
        with make_executor("dask", worker):
            pass


def test_make_executor_connects_and_closes(cluster):
    with make_executor("dask", cluster.scheduler_address) as ex:
        assert (
            sim.run(sim.load(SMALL), n=2, seed=1, executor=ex).summary == sim.run(sim.load(SMALL), n=2, seed=1).summary
        )
        client = ex._client
    assert client.status == "closed"


def test_workers_running_other_code_are_refused(cluster, monkeypatch):
    # this process claims another Python version; the workers report theirs
    monkeypatch.setattr("platform.python_version_tuple", lambda: ("2", "7", "18"))
    with pytest.raises(ExecutorError, match=r"differs from this installation \(Python\)"):
        with make_executor("dask", cluster.scheduler_address):
            pass


class Swapping(Executor):
    """Runs ``replace`` instead of the chunk function for the chunk holding replication ``rep``."""

    def __init__(self, inner: Executor, rep: int, replace):
        self.inner, self.rep, self.replace = inner, rep, replace

    def submit(self, fn, cs, chunk, *args):
        return self.inner.submit(self.replace if self.rep in chunk else fn, cs, chunk, *args)


def test_a_failing_replication_on_dask_is_named(client):
    def fail(cs, chunk, seed, *rest):
        return [guarded(r, seed, lambda: 1 / 0) for r in chunk]

    with pytest.raises(ReplicationFailed) as e:
        sim.run(sim.load(SMALL), n=N, seed=SEED, jobs=2, executor=Swapping(client.get_executor(), 3, fail))
    assert (e.value.rep, e.value.seed) == (3, SEED) and "ZeroDivisionError" in e.value.detail


def test_a_lost_worker_names_the_replication_of_its_chunk():
    def die(*args):
        os._exit(3)  # the worker process dies, as if killed or out of memory

    # no retries on other workers: the first death fails the task (Dask's KilledWorker)
    with (
        _cluster(**{"distributed.scheduler.allowed-failures": 0}) as cl,
        distributed.Client(cl, set_as_default=False) as c,
    ):
        with pytest.raises(ReplicationFailed) as e:
            sim.run(sim.load(SMALL), n=N, seed=SEED, jobs=2, executor=Swapping(c.get_executor(), 4, die))
    # the chunk of replication 4 killed its worker; chunks queued on that worker before it are lost with it,
    # and results are read in order, so the first lost chunk named may be an earlier one (never a later one)
    assert e.value.rep <= 4 and e.value.seed == SEED
    assert "KilledWorker" in str(e.value)
