"""The engine and a SimPy model written by hand agree on the same approval chain.

``scenarios/examples/approval_chain.toml`` (the engine) and ``benchmarks/handwritten_approval.py`` (plain SimPy,
its own working calendar from the ``holidays`` package, its own random numbers) describe one process: filing,
then land and EIA in parallel, then the permit after both, each stage with preparation on the CN working
calendar, submission in office hours, a staff queue, review in working days, rework rounds and lags.  The
hand-written model runs as a script, in its own process (tests import nothing from ``benchmarks/``).

The two use different random numbers, so their results agree in distribution only: for each measure (the
mean approval working days, months to the permit, and each stage's working days from first submission to
issue) the difference of the two means, over :data:`REPLICATIONS` replications each, must lie within its
confidence interval, at a family-wise level of 99 % over the six measures (Bonferroni).  Two 95 % intervals
that each hold the other's mean would be a weaker test that also fails equal models 17 % of the time per
measure (it needs |difference| <= 1.96 standard errors of one mean, where the difference has sqrt(2) of them);
the interval of the difference is the standard two-sample test, and the test also checks that it is narrow
enough (:data:`POWER`) to see a discrepancy of a few per cent.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tomllib
from statistics import NormalDist

import numpy as np
import pytest

import sim

from helpers import REPO

SCENARIO = REPO / "scenarios" / "examples" / "approval_chain.toml"
HANDWRITTEN = REPO / "benchmarks" / "handwritten_approval.py"
REPLICATIONS = 200
SEED = 1
MEASURES = (
    "approval_workdays",
    "to_production_months",
    "stages.filing",
    "stages.land",
    "stages.eia",
    "stages.permit",
)
#: two-sided z of a 99 % family-wise level over the measures (Bonferroni)
Z = NormalDist().inv_cdf(1 - 0.01 / (2 * len(MEASURES)))
#: the largest standard error of a difference, relative to the mean, that the test accepts as a test
POWER = 0.04


@pytest.fixture(scope="module")
def handwritten() -> dict:
    """What the hand-written model returns for :data:`REPLICATIONS` replications (run as a script)."""
    done = subprocess.run(
        [sys.executable, str(HANDWRITTEN), str(REPLICATIONS), str(SEED), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def engine() -> dict:
    """The engine's summary of the same number of replications."""
    return sim.run(sim.load(SCENARIO), n=REPLICATIONS, seed=SEED, keep_rows=False).summary


def cluster_mean(sums: list[float], counts: list[int]) -> tuple[float, float]:
    """Mean over all projects and its standard error, with replications as independent clusters (the
    projects of one replication share queues): the ratio estimator's textbook variance."""
    s, k = np.asarray(sums), np.asarray(counts, dtype=float)
    r = len(s)
    mean = s.sum() / k.sum()
    se = math.sqrt(((s - mean * k) ** 2).sum() / (r * (r - 1))) / k.mean()
    return float(mean), se


def engine_mean(summary: dict, measure: str) -> tuple[float, float]:
    """The engine's mean of ``measure`` and its standard error (from the 95 % CI it reports)."""
    entry = summary["stages"][measure[7:]] if measure.startswith("stages.") else summary["kpis"][measure]
    lo, hi = entry["ci95"]
    return entry["mean"], (hi - lo) / 2 / t975(REPLICATIONS - 1)


def t975(df: int) -> float:
    """Student's t 97.5 % quantile, for df large enough that the normal's Cornish-Fisher expansion holds."""
    z = NormalDist().inv_cdf(0.975)
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@pytest.mark.parametrize("measure", MEASURES)
def test_engine_and_handwritten_model_agree(engine: dict, handwritten: dict, measure: str) -> None:
    mine, se_mine = engine_mean(engine, measure)
    theirs, se_theirs = cluster_mean(handwritten["sums"][measure], handwritten["counts"][measure])
    se = math.hypot(se_mine, se_theirs)
    assert se <= POWER * abs(theirs), f"{measure}: too few replications to tell ({se:.3g} vs mean {theirs:.3g})"
    assert abs(mine - theirs) <= Z * se, (
        f"{measure}: engine {mine:.4g} ± {se_mine:.2g}, hand-written {theirs:.4g} ± {se_theirs:.2g}: "
        f"difference {mine - theirs:.3g} is {abs(mine - theirs) / se:.1f} standard errors"
    )


def test_both_simulate_every_project_to_the_permit(engine: dict, handwritten: dict) -> None:
    """Nothing is censored or capped in either, so the means compare the same projects; the project
    counts are both Poisson(60 a year x 366 days x replications)."""
    assert engine["projects"]["capped"] == 0
    assert engine["kpis"]["approval_workdays"]["censored"] == 0
    expected = 60 / 365.2425 * 366 * REPLICATIONS
    for projects in (engine["projects"]["projects"], handwritten["projects"]):
        assert abs(projects - expected) <= 4 * math.sqrt(expected)
    assert sum(handwritten["counts"]["approval_workdays"]) == handwritten["projects"]


def as_tuple(dist: dict) -> tuple:
    """A scenario distribution as the hand-written model writes it: (kind, parameters...)."""
    order = {"triangular": ("low", "mode", "high"), "exponential": ("mean",), "uniform": ("low", "high")}
    return (dist["dist"], *(dist[k] for k in order.get(dist["dist"], ("value",))))


def test_the_handwritten_model_has_the_scenarios_numbers(handwritten: dict) -> None:
    """Every number of the scenario file is the hand-written model's (so that a change to one is made to both)."""
    raw = tomllib.loads(SCENARIO.read_text(encoding="utf-8"))
    mine = handwritten["parameters"]
    stream = raw["arrivals"]["stream"]
    assert mine["dates"] == [str(raw["scenario"]["start_date"]), str(raw["scenario"]["end_date"])] + [
        str(stream["from"]),
        str(stream["until"]),
    ]
    assert (stream["rate"], stream["per"]) == (mine["rate_per_year"], "year")
    assert raw["calendar"] == {"country": "CN", "hours": ["09:00", "17:00"]}
    assert {a: t["staff"] for a, t in raw["agencies"].items()} == mine["staff"]
    assert set(raw["stages"]) == set(mine["stages"])
    for sid, stage in raw["stages"].items():
        theirs = mine["stages"][sid]
        assert stage["agency"] == theirs["agency"]
        for key in ("prepare", "effort"):
            assert stage[key]["unit"] == "workday"
            assert list(as_tuple(stage[key])) == theirs[key], (sid, key)
        if "defect" in stage:
            d = stage["defect"]
            assert d["fix"]["unit"] == "workday"
            assert [d["p"], d["decay"], d["max_rounds"], list(as_tuple(d["fix"]))] == theirs["defect"], sid
        else:
            assert "defect" not in theirs
        if "lag" in stage:
            assert [list(as_tuple(stage["lag"])), stage["lag"]["unit"]] == theirs["lag"], sid
        else:
            assert "lag" not in theirs
    assert [s.get("after", []) for s in raw["stages"].values()] == [[], ["filing"], ["filing"], ["land", "eia"]]
    assert set(raw["milestones"].values()) == {"permit"}
