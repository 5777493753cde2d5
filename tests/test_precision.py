"""``--precision REL``: replications until the 95 % CI half-width of the chosen KPIs is at most REL x |mean|.

The truth is the textbook rule for independent replications: with ``s`` the standard deviation of the
replications' values, the run stops at the first ``n >= 10`` with ``t(0.975, n - 1) s / sqrt(n) <= REL x |mean|``,
i.e. ``n >= (t s / (REL x mean))^2``.  The scenario :data:`KNOWN` makes it exact and computable: one project per
replication, one review of uniform(0, 4) days on a 24/7 calendar, so each replication's approval time is one draw
of U(0, 4) (mean 2, standard deviation 4 / sqrt(12)) and ``n`` must come out near ``(1.96 x 0.5774 / REL)^2``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from statistics import NormalDist

import pytest

import sim
from sim.core.units import DAYS_PER_MONTH

from helpers.cli import run_cli
from helpers.scenarios import dist, project, scenario_toml, stage

#: one project per replication whose approval time is a single uniform(0, 4)-day review, 24/7
KNOWN = scenario_toml(
    "known variance",
    agencies={"desk": 1},
    projects=[project("p", "std", "2024-01-01")],
    stages={"review": stage("desk", effort=dist("uniform", "day", low=0, high=4))},
    milestones="review",
    always_open=True,
    levers={"half": {"name": "Half the review", "scale": {"stages.review.effort": 0.5}}},
)
MEAN, SD = 2.0, 4 / math.sqrt(12)  # of U(0, 4)
Z = NormalDist().inv_cdf(0.975)


def t975(df: int) -> float:
    """Student's t 97.5 % quantile by its Cornish-Fisher expansion about the normal (error < 1e-5 for df > 30)."""
    g1 = (Z**3 + Z) / 4
    g2 = (5 * Z**5 + 16 * Z**3 + 3 * Z) / 96
    g3 = (3 * Z**7 + 19 * Z**5 + 17 * Z**3 - 15 * Z) / 384
    return Z + g1 / df + g2 / df**2 + g3 / df**3


def textbook_met(summary: dict, kpi: str, rel: float) -> bool:
    """Whether n >= (t s / (rel x mean))^2 with the n, s and mean a summary reports (one value per replication)."""
    n = summary["meta"]["replications"]
    stats = summary["kpis"][kpi]
    assert stats["n"] == n  # one project per replication: its values are the replications'
    return n >= (t975(n - 1) * stats["sd"] / (rel * abs(stats["mean"]))) ** 2


@pytest.fixture
def known(write_scenario) -> sim.Scenario:
    return sim.load(write_scenario(KNOWN))


def test_the_number_of_replications_is_the_textbook_one(known):
    rel = 0.05
    res = sim.run(known, n=2000, seed=4, precision=rel, keep_rows=False)
    summary, status = res.summary, res.summary["precision"]
    n = summary["meta"]["replications"]
    assert status["reached"] and status["replications"] == n and status["cap"] == 2000
    # near the n that the true spread asks for: (1.96 x 0.5774 / 0.05)^2 = 512 (the estimated s varies)
    expected = (Z * SD / (rel * MEAN)) ** 2
    assert 0.8 * expected <= n <= 1.2 * expected, (n, expected)
    # exactly the first n at which the rule holds: it holds at n by the reported s, and not at n - 1
    for kpi in ("approval_workdays", "to_production_months"):
        assert textbook_met(summary, kpi, rel)
        assert not textbook_met(sim.run(known, n=n - 1, seed=4, keep_rows=False).summary, kpi, rel)
    # both default KPIs are the same draw in other units, so each bound the run alike
    assert summary["kpis"]["to_production_months"]["mean"] == pytest.approx(
        summary["kpis"]["approval_workdays"]["mean"] / DAYS_PER_MONTH
    )
    entry = {c["kpi"]: c for c in status["checks"]}["approval_workdays"]
    lo, hi = summary["kpis"]["approval_workdays"]["ci95"]
    assert entry["half_width"] == pytest.approx((hi - lo) / 2) and entry["met"]
    assert entry["target"] == pytest.approx(rel * summary["kpis"]["approval_workdays"]["mean"])


def test_the_replications_are_those_of_a_plain_run_of_that_many(known, tmp_path):
    """Batches change nothing: the summary is that of a run of n replications, and the rows are theirs."""
    res = sim.run(known, n=1000, seed=9, precision=0.1, out=tmp_path / "out", keep_rows=False)
    n = res.summary["meta"]["replications"]
    plain = sim.run(known, n=n, seed=9, keep_rows=False).summary
    assert {k: v for k, v in res.summary.items() if k != "precision"} == plain
    reps = [line.split(",")[0] for line in (tmp_path / "out" / "projects.csv").read_text().splitlines()[1:]]
    assert reps == [str(r) for r in range(n)]
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["precision"] == res.summary["precision"]


def test_same_seed_same_n_and_results_whatever_the_workers():
    chain = sim.load(Path(__file__).resolve().parents[1] / "scenarios/examples/approval_chain.toml")
    one = sim.run(chain, n=200, seed=5, precision=0.03, jobs=1, keep_rows=False).summary
    two = sim.run(chain, n=200, seed=5, precision=0.03, jobs=2, keep_rows=False).summary
    assert one["precision"]["reached"] and one["meta"]["replications"] < 200
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)


def test_the_cap_is_honoured_and_a_miss_reported(known):
    done = []
    res = sim.run(known, n=30, seed=1, precision=0.01, keep_rows=False, progress=lambda i, total: done.append(i))
    status = res.summary["precision"]
    assert res.summary["meta"]["replications"] == 30 == status["replications"] == status["cap"]
    assert not status["reached"] and not any(c["met"] for c in status["checks"])
    assert status["bound_by"] in ("approval_workdays", "to_production_months")
    assert done == list(range(1, 31))


def test_a_cap_below_ten_runs_the_cap(known):
    res = sim.run(known, n=4, seed=1, precision=0.5, keep_rows=False)
    assert res.summary["meta"]["replications"] == 4


def test_compare_stops_on_the_paired_differences(known):
    """With common random numbers the difference of "half the review" from the base is -0.5 x the base's draw:
    its half-width is half the base's, against the base's mean, so a quarter of the replications suffice."""
    rel = 0.05
    half = known.with_levers(["half"])
    cmp = sim.compare([known, half], n=2000, seed=4, precision=rel, typical=False)
    status = cmp.precision
    assert status["reached"] and cmp.n == status["replications"] == cmp.summary_dicts()[1]["meta"]["replications"]
    expected = (Z * 0.5 * SD / (rel * MEAN)) ** 2  # 128
    assert 0.75 * expected <= cmp.n <= 1.25 * expected, (cmp.n, expected)
    diff = cmp.to_dict()["differences"][0]["kpis"]["approval_workdays"]
    reference = cmp.summary_dicts()[0]["kpis"]["approval_workdays"]["mean"]
    assert diff["mean"] == pytest.approx(-0.5 * reference)
    assert (diff["ci95"][1] - diff["ci95"][0]) / 2 <= rel * reference
    assert {c["scenario"] for c in status["checks"]} == {half.name}
    assert cmp.to_dict()["precision"] == status


def test_sweep_and_tornado_run_each_point_to_its_precision(known):
    grid = sim.sweep(known, {"agencies.desk.staff": [1, 2]}, n=2000, seed=4, precision=0.1)
    for row in grid.rows:
        assert row["reached"] and 10 <= row["replications"] < 2000
    assert grid.precision["replications"] == [row["replications"] for row in grid.rows]
    assert grid.to_dict()["precision"]["kpis"] == ["approval_workdays"]
    counts = sorted(row["replications"] for row in grid.rows)
    note = " ".join(t.get_text() for t in sim.plots.sweep_figure(grid).axes[0].texts)
    assert f"{counts[0]} to {counts[-1]} replications per point (95 % CI within 10 % of the mean)" in note
    sens = sim.tornado(known, {"agencies.desk.staff": (1, 2)}, n=50, seed=4, precision=0.01, kpi="stages.review")
    assert sens.precision["reached"] is False and sens.precision["not_reached"] == 3
    assert sens.rows[0]["low_replications"] == sens.rows[0]["high_replications"] == 50


@pytest.mark.parametrize("precision", [0, 1, 1.5, -0.1, math.nan, True, "0.1"], ids=repr)
def test_the_api_refuses_a_precision_outside_zero_to_one(known, precision):
    with pytest.raises(sim.ScenarioError, match="sim.run: precision: must be a number between 0 and 1"):
        sim.run(known, n=5, precision=precision)
    with pytest.raises(ValueError, match="sim.compare: precision must be a number between 0 and 1") as e:
        sim.compare([known, known], n=5, precision=precision)
    assert not isinstance(e.value, sim.ScenarioError)


def test_the_api_refuses_unknown_kpis_and_kpis_without_a_precision(known):
    with pytest.raises(sim.ScenarioError, match="unknown KPI 'stages.nope'"):
        sim.run(known, n=5, precision=0.1, precision_kpis=["stages.nope"])
    with pytest.raises(sim.ScenarioError, match="unknown KPI 'stages.review'"):  # compare: differences of KPIs only
        sim.compare([known, known], n=5, precision=0.1, precision_kpis=["stages.review"])
    with pytest.raises(sim.ScenarioError, match="give precision too"):
        sim.run(known, n=5, precision_kpis=["approval_workdays"])
    with pytest.raises(ValueError, match="sim.sweep: precision_kpis names the KPIs of a precision rule"):
        sim.sweep(known, {"agencies.desk.staff": [1]}, n=5, precision_kpis=["approval_workdays"])
    with pytest.raises(sim.ScenarioError, match="only: runs one replication"):
        sim.run(known, n=5, precision=0.1, only=2)


def test_the_command_line_reports_n_and_whether_the_precision_was_reached(write_scenario, tmp_path):
    path = write_scenario(KNOWN)
    done = run_cli("run", path, "-n", 2000, "--precision", 0.05, "--seed", 4, "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    n = json.loads((tmp_path / "out" / "summary.json").read_text())["meta"]["replications"]
    assert f"reached after {n} replications (cap 2000)" in done.stdout
    missed = run_cli("run", path, "-n", 20, "--precision", 0.01, "--kpi", "stages.review")
    assert missed.returncode == 0, missed.stderr
    assert "(stages.review): NOT reached in 20 replications (the cap, -n): stages.review ±" in missed.stdout


@pytest.mark.parametrize("value", ["0", "1", "1.5", "-0.1", "nan", "inf", "five"])
@pytest.mark.parametrize("command", ["run", "check", "sweep", "compare"])
def test_the_command_line_refuses_a_precision_outside_zero_to_one(write_scenario, tmp_path, command, value):
    path = write_scenario(KNOWN)
    extra = {"sweep": ["--vary", "agencies.desk.staff=1,2", "-o", tmp_path / "s"], "compare": [path]}
    done = run_cli(command, path, *extra.get(command, []), "--precision", value)
    assert done.returncode == 2
    assert "argument --precision: must be" in done.stderr and "Traceback" not in done.stderr


def test_the_command_line_checks_kpi_before_running(write_scenario):
    path = write_scenario(KNOWN)
    cases = {
        ("--kpi", "approval_workdays"): "--kpi: chooses the KPIs of --precision",
        ("--precision", "0.1", "--kpi", "stages.nope"): "--kpi: unknown KPI 'stages.nope'",
        ("--precision", "0.1", "--replication", "3"): "--replication: runs one replication",
    }
    for args, message in cases.items():
        done = run_cli("run", path, *args)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
    done = run_cli("compare", path, path, "--precision", "0.1", "--kpi", "stages.review")
    assert done.returncode == 2 and "--kpi: unknown KPI 'stages.review'" in done.stderr
