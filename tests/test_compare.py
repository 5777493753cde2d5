"""Paired comparison and Shapley attribution against their defining properties."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.analysis.attribution import _shapley, attribute
from sim.analysis.compare import compare
from sim.core.kpi import KPIS

from helpers.shared_scenarios import SMALL_WITH_LEVERS


@pytest.fixture
def small(write_scenario) -> Path:
    return write_scenario(SMALL_WITH_LEVERS, "small.toml")


def test_a_scenario_compared_with_itself_differs_by_exactly_zero(small):
    sc = sim.load(small)
    cmp = compare([sc, sc], n=6, seed=2)
    for k in KPIS:
        d = cmp.differences[1][k].to_dict()
        if d["n"]:
            assert d["mean"] == 0.0 and d["ci95"] == [0.0, 0.0], k


def test_paired_difference_is_the_mean_of_per_replication_differences(small):
    a, b = sim.load(small, levers="none"), sim.load(small, levers="fast_a")
    cmp = compare([a, b], n=8, seed=3)
    # recompute from two plain runs with the same seed: replication means, differenced by hand
    ra = sim.run(a, n=8, seed=3, keep_rows=True)
    rb = sim.run(b, n=8, seed=3, keep_rows=True)
    col = sim.runs.rows.project_columns(sim.engine.compiled.compile_scenario(a)).index("approval_workdays")

    def rep_means(res):
        by_rep = {}
        for row in res.project_rows:
            if row[col] != "":
                by_rep.setdefault(row[0], []).append(float(row[col]))
        return np.array([np.mean(by_rep[r]) for r in sorted(by_rep)])

    diff = rep_means(rb) - rep_means(ra)
    d = cmp.differences[1]["approval_workdays"].to_dict()
    assert d["mean"] == pytest.approx(diff.mean(), rel=1e-6)
    half = 2.3646243 * diff.std(ddof=1) / math.sqrt(len(diff))  # t(7)
    assert d["ci95"][0] == pytest.approx(diff.mean() - half, rel=1e-4)
    assert d["mean"] < 0  # halving the review can only make approval faster here


def test_shapley_values_sum_to_the_total_difference(small):
    sc = sim.load(small, levers="all")
    att = attribute(sc, n=4, seed=1)
    d = att.to_dict()
    assert d["subsets_run"] == 8 and att.exact
    for kpi, attributed in d["kpis"].items():
        if attributed["all"]["mean"] is None or attributed["none"]["mean"] is None:
            continue
        total = sum(v["mean"] for v in attributed["shapley"].values())
        assert total == pytest.approx(attributed["all"]["mean"] - attributed["none"]["mean"], abs=1e-9), kpi


def test_shapley_of_additive_levers_is_their_own_effect():
    # v(S) = sum of independent effects: every lever's Shapley value is its own effect, exactly
    effects = np.array([[-3.0], [-5.0], [2.0]])
    values = {}
    from itertools import combinations

    for size in range(4):
        for s in combinations(range(3), size):
            values[s] = np.full((1, 1), 100.0) + sum((effects[i] for i in s), np.zeros(1))
    exact = _shapley(values, 3, None)
    sampled = _shapley(values, 3, [(0, 1, 2), (2, 1, 0)])
    for i in range(3):
        assert exact[i][0, 0] == pytest.approx(effects[i][0])
        assert sampled[i][0, 0] == pytest.approx(effects[i][0])


def test_shapley_splits_a_pure_interaction_equally():
    # only both levers together help (by 10): each gets 5
    values = {(): np.zeros((1, 1)), (0,): np.zeros((1, 1)), (1,): np.zeros((1, 1)), (0, 1): np.full((1, 1), -10.0)}
    phi = _shapley(values, 2, None)
    assert phi[0][0, 0] == pytest.approx(-5.0) and phi[1][0, 0] == pytest.approx(-5.0)


def test_sampled_orders_also_sum_exactly(small, monkeypatch):
    import sim.analysis.attribution as A

    monkeypatch.setattr(A, "EXACT_MAX_LEVERS", 2)
    att = attribute(sim.load(small, levers="all"), n=3, seed=1, max_orders=4)
    assert not att.exact and att.orders == 4
    attributed = att.to_dict()["kpis"]["approval_workdays"]
    total = sum(v["mean"] for v in attributed["shapley"].values())
    assert total == pytest.approx(attributed["all"]["mean"] - attributed["none"]["mean"], abs=1e-9)
