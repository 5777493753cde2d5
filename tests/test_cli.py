"""End-to-end tests of the command line: ``python -m sim run`` and ``python -m sim validate``.

Every test runs the CLI in a subprocess on ``tests/data/valid_small.toml`` (or a
broken copy of it) and looks only at exit status, printed text and files.
"""

from __future__ import annotations

import csv
import json
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.cli import run_cli

DATA = Path(__file__).parent / "data"
VALID = DATA / "valid_small.toml"
VALID_TEXT = VALID.read_text(encoding="utf-8")
N = 5
STAGES = ("filing", "eia", "permit", "civil", "commissioning")
AGENCIES = ("bureau", "panel")
STAT_KEYS = {"unit", "mean", "sd", "ci95", "p10", "p50", "p90", "n", "censored"}
EVENT_COLUMNS = ["case", "activity", "resource", "start", "end", "lifecycle"]


def run_ok(out: Path, *extra) -> subprocess.CompletedProcess:
    res = run_cli("run", VALID, "-n", N, "-o", out, *extra)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    return res


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """A few runs of the valid scenario, shared by the tests of this module."""
    base = tmp_path_factory.mktemp("runs")
    spec = {
        "events": ("--seed", 11, "--events"),
        "events_jobs2": ("--seed", 11, "--events", "--jobs", 2),
        "plain": ("--seed", 11),
        "plain_again": ("--seed", 11),
        "other_seed": ("--seed", 12),
    }
    return {name: (base / name, run_ok(base / name, *extra)) for name, extra in spec.items()}


# -- a successful run ------------------------------------------------------------


def _check_stats(s: dict, where: str) -> None:
    assert STAT_KEYS <= set(s), f"{where}: missing {STAT_KEYS - set(s)}"
    assert isinstance(s["unit"], str) and s["unit"], where
    assert isinstance(s["n"], int) and isinstance(s["censored"], int) and s["n"] >= 0 and s["censored"] >= 0, where
    assert isinstance(s["ci95"], list) and len(s["ci95"]) == 2, where
    if s["n"] >= 2:
        values = [s["mean"], s["sd"], *s["ci95"]]
        assert all(_is_number(v) for v in values), f"{where}: {s}"
        assert s["sd"] >= 0, where
        assert s["ci95"][0] <= s["mean"] <= s["ci95"][1], where
        if s.get("quantiles") is None and s["unit"] == "share":
            # 0/1 shares carry no quantiles by design
            assert s["p10"] is s["p50"] is s["p90"] is None, where
        else:
            assert all(_is_number(s[k]) for k in ("p10", "p50", "p90")), f"{where}: {s}"
            assert s["p10"] <= s["p50"] <= s["p90"], where


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def test_run_writes_summary_with_schema(runs):
    out, _ = runs["events"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["meta"]["replications"] == N and summary["meta"]["seed"] == 11
    assert summary["meta"]["scenario"] == "valid-small"
    assert summary["kpis"], "no KPIs"
    for name, s in summary["kpis"].items():
        _check_stats(s, f"kpis.{name}")
    for name in ("approval_workdays", "approval_days", "to_production_months"):
        assert summary["kpis"][name]["n"] > 0, name
    assert summary["kpis"]["approval_workdays"]["unit"] == "workday"
    assert summary["kpis"]["approval_days"]["unit"] == "day"
    assert set(summary["stages"]) == set(STAGES)
    for name, s in summary["stages"].items():
        _check_stats(s, f"stages.{name}")
    assert set(summary["agencies"]) == set(AGENCIES)
    for name, a in summary["agencies"].items():
        _check_stats(a["utilisation"], f"agencies.{name}.utilisation")
        _check_stats(a["mean_queue"], f"agencies.{name}.mean_queue")
        assert a["utilisation"]["n"] == N
        assert 0 <= a["utilisation"]["mean"] <= 1
        assert a["mean_queue"]["mean"] >= 0
    counts = summary["projects"]
    assert counts["projects"] >= counts["reached_construction_permit"] >= counts["reached_production"] > 0


def test_run_writes_projects_and_stages_csv(runs):
    out, _ = runs["events"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["meta"]["warmup_days"] == 0
    header, *rows = read_csv(out / "projects.csv")
    assert header[:3] == ["rep", "project", "class"]
    for col in ("signed", "construction_permit", "production", "approval_workdays", "submissions"):
        assert col in header
    assert len(rows) == summary["projects"]["projects"]
    assert all(len(r) == len(header) for r in rows)
    assert {r[0] for r in rows} == {str(i) for i in range(N)}
    assert len({(r[0], r[1]) for r in rows}) == len(rows), "one row per project per replication"
    assert {r[2] for r in rows} <= {"small", "large"}
    assert sum(r[1] == "flagship" for r in rows) == N  # the named project in every replication

    sheader, *srows = read_csv(out / "stages.csv")
    assert sheader[:3] == ["rep", "project", "stage"]
    assert srows and all(len(r) == len(sheader) for r in srows)
    assert {r[2] for r in srows} <= set(STAGES)
    assert {(r[0], r[1]) for r in srows} <= {(r[0], r[1]) for r in rows}


def test_events_csv_only_with_events(runs):
    out, _ = runs["events"]
    header, *rows = read_csv(out / "events.csv")
    assert header == EVENT_COLUMNS
    assert rows and all(len(r) == len(EVENT_COLUMNS) for r in rows)
    assert {r[5] for r in rows} == {"complete"}
    assert all(r[3] <= r[4] for r in rows), "an event ends before it starts"
    assert sorted(p.name for p in runs["plain"][0].iterdir()) == [
        ".approval-sim",
        "projects.csv",
        "stages.csv",
        "summary.json",
    ]


def test_jobs_do_not_change_results(runs):
    one, two = files(runs["events"][0]), files(runs["events_jobs2"][0])
    assert one.keys() == two.keys() == {".approval-sim", "events.csv", "projects.csv", "stages.csv", "summary.json"}
    for name in ("events.csv", "projects.csv", "stages.csv"):
        assert one[name] == two[name], f"{name} differs between --jobs 1 and --jobs 2"
    assert json.loads(one["summary.json"]) == json.loads(two["summary.json"])


def test_same_seed_same_output_other_seed_differs(runs):
    plain, again, other = (files(runs[k][0]) for k in ("plain", "plain_again", "other_seed"))
    assert plain == again
    assert plain["projects.csv"] != other["projects.csv"]
    assert json.loads(plain["summary.json"])["kpis"] != json.loads(other["summary.json"])["kpis"]
    # the CSVs do not depend on --events
    ev = files(runs["events"][0])
    assert ev["projects.csv"] == plain["projects.csv"] and ev["stages.csv"] == plain["stages.csv"]


def test_printed_table_shows_units(runs):
    _, res = runs["events"]
    assert "working days" in res.stdout
    assert "calendar days" in res.stdout
    assert "approval_workdays" in res.stdout and "utilisation" in res.stdout


def test_quiet_prints_nothing(tmp_path):
    res = run_ok(tmp_path / "out", "-q")
    assert res.stdout == ""


def test_force_replaces_an_earlier_output_folder(tmp_path):
    """(A folder approval-sim did not write is never replaced: tests/test_outputs.py.)"""
    out = tmp_path / "out"
    run_ok(out, "-q", "--events")
    run_ok(out, "-q", "--force")
    assert sorted(p.name for p in out.iterdir()) == [".approval-sim", "projects.csv", "stages.csv", "summary.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"], "temporary or old folders left behind"


# -- validate ------------------------------------------------------------------


def test_validate_valid_file():
    res = run_cli("validate", VALID)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    assert "ok" in res.stdout and str(VALID) in res.stdout


def test_validate_bad_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(VALID_TEXT.replace("staff = 2", "stafff = 2"), encoding="utf-8")
    res = run_cli("validate", VALID, bad)
    assert res.returncode == 2
    assert f"{bad}: agencies.bureau.stafff: unknown key" in res.stderr
    assert 'did you mean "staff"' in res.stderr
    assert "Traceback" not in res.stderr
    assert f"ok: {VALID}" in res.stdout  # the good file is still checked


def test_validate_reports_every_problem(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(VALID_TEXT.replace("p = 0.3", "p = 1.3").replace("staff = 2", "staff = 0"), encoding="utf-8")
    res = run_cli("validate", bad)
    assert res.returncode == 2
    assert f"{bad}: stages.filing.defect.p:" in res.stderr
    assert f"{bad}: agencies.bureau.staff:" in res.stderr


# -- bad input: status 2, a clear message, no traceback, nothing left behind ----


def _bad(text_from: str, text_to: str) -> str:
    assert VALID_TEXT.count(text_from) == 1
    return VALID_TEXT.replace(text_from, text_to)


# (id, scenario text or None for the valid file, extra arguments, fragments expected on stderr;
#  "{file}" stands for the scenario path, "{out}" for the output folder)
BAD_RUNS = [
    ("unknown-key", _bad("staff = 2", "stafff = 2"), [], ["{file}: agencies.bureau.stafff:", 'did you mean "staff"']),
    ("syntax-error", _bad("staff = 2", "staff = = 2"), [], ["{file}:", "TOML syntax error", "line", "column"]),
    (
        "bad-distribution",
        _bad("median = 2, p90 = 5", "median = 5, p90 = 2"),
        [],
        ["{file}: stages.eia.effort:", "median < p90"],
    ),
    (
        "unknown-agency",
        _bad('agency = "panel"', 'agency = "panle"'),
        [],
        ["{file}: stages.eia.agency:", 'did you mean "panel"'],
    ),
    (
        "cycle",
        _bad("[stages.filing]\n", '[stages.filing]\nafter = ["eia"]\n'),
        [],
        ["{file}: stages.filing.after:", "filing -> eia -> filing"],
    ),
    ("missing-file", None, ["MISSING"], ["{file}: file not found"]),
    (
        "set-missing-table",
        None,
        ["--set", "agencies.nope.staff=3"],
        ["{file}: --set agencies.nope.staff:", "'agencies.nope' is not a table"],
    ),
    ("set-bad-type", None, ["--set", "agencies.bureau.staff=two"], ["{file}: agencies.bureau.staff:", "integer"]),
    ("set-without-equals", None, ["--set", "agencies.bureau.staff"], ["{file}: --set:", "key.path=value"]),
    ("zero-replications", None, ["-n", "0"], ["-n/--replications", "at least 1"]),
    ("negative-seed", None, ["--seed", "-1"], ["--seed"]),
    ("dask-without-scheduler", None, ["--executor", "dask"], ["error: ", "--scheduler tcp://HOST:8786"]),
    ("scheduler-without-dask", None, ["--scheduler", "tcp://127.0.0.1:8786"], ["error: ", "--executor dask"]),
    ("unknown-executor", None, ["--executor", "mpi"], ["--executor", "invalid choice"]),
]


@pytest.mark.parametrize("text, extra, fragments", [pytest.param(t, e, f, id=i) for i, t, e, f in BAD_RUNS])
def test_bad_run_input(tmp_path, text, extra, fragments):
    inputs, parent = tmp_path / "in", tmp_path / "results"
    inputs.mkdir()
    parent.mkdir()
    scenario = VALID
    if text is not None:
        scenario = inputs / "bad.toml"
        scenario.write_text(text, encoding="utf-8")
    if extra[:1] == ["MISSING"]:
        scenario, extra = inputs / "missing.toml", extra[1:]
    out = parent / "out"
    res = run_cli("run", scenario, "-n", N, "-o", out, *extra)  # a later -n wins
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    for fragment in fragments:
        assert fragment.format(file=scenario, out=out) in res.stderr, res.stderr
    assert list(parent.iterdir()) == [], "a failed run left files behind"


def test_dask_executor_without_the_extra_says_how_to_install_it(tmp_path):
    # the dask extra made unimportable, as where it is not installed
    code = "import sys; sys.modules['distributed'] = None; from sim.cli import main; sys.exit(main(sys.argv[1:]))"
    out = tmp_path / "out"
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "run",
            str(VALID),
            "-n",
            "2",
            "-o",
            str(out),
            "--executor",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:8786",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip() == "error: the Dask executor needs the dask extra: pip install 'approval-sim[dask]'"
    assert list(tmp_path.iterdir()) == []


def test_non_empty_output_without_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    res = run_cli("run", VALID, "-n", N, "-o", out)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert str(out) in res.stderr and "--force" in res.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"] and (out / "keep.txt").read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["out"], "temporary folder left behind"


def test_output_path_is_an_existing_file(tmp_path):
    target = tmp_path / "results.txt"
    target.write_text("mine")
    res = run_cli("run", VALID, "-n", N, "-o", target)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert str(target) in res.stderr
    assert target.read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["results.txt"]


def test_output_folder_inside_a_file(tmp_path):
    """An output folder that cannot be created is bad input (status 2), not a crash."""
    blocker = tmp_path / "results.txt"
    blocker.write_text("mine")
    res = run_cli("run", VALID, "-n", N, "-o", blocker / "out")
    assert "Traceback" not in res.stderr, res.stderr
    assert res.returncode == 2
    assert str(blocker) in res.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["results.txt"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_interrupted_run_leaves_nothing_behind(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(VALID), "-n", "100000", "-o", str(out), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not any(p.name.startswith(".out.") for p in tmp_path.iterdir()):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run never created its temporary folder"
            time.sleep(0.02)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == [], "an interrupted run left files behind"
