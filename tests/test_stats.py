"""Streaming statistics against direct computation on the full sample."""

import math

import numpy as np
import pytest

from sim.runs.stats import EXACT_LIMIT, Accumulator, t975

# Student t 97.5 % quantiles from printed tables
T_TABLE = {1: 12.706, 2: 4.303, 5: 2.571, 10: 2.228, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980, 1000: 1.962}


def accumulated(unit: str, reps: list[np.ndarray]) -> Accumulator:
    """An Accumulator fed one array per replication."""
    acc = Accumulator(unit)
    for r in reps:
        acc.add(r)
    return acc


@pytest.mark.parametrize("df, expected", sorted(T_TABLE.items()))
def test_t975_matches_tables(df, expected):
    assert t975(df) == pytest.approx(expected, abs=1.5e-3)


def test_moments_and_exact_quantiles_match_numpy():
    rng = np.random.default_rng(7)
    reps = [rng.lognormal(3, 0.5, size=rng.integers(5, 30)) for _ in range(40)]
    acc = accumulated("workday", reps)
    allv = np.concatenate(reps)
    d = acc.to_dict()
    assert d["n"] == len(allv) and d["censored"] == 0
    assert d["mean"] == pytest.approx(allv.mean(), rel=1e-12)
    assert d["sd"] == pytest.approx(allv.std(ddof=1), rel=1e-10)
    for q, key in ((0.1, "p10"), (0.5, "p50"), (0.9, "p90")):
        assert d[key] == pytest.approx(np.quantile(allv, q), rel=1e-12)


def test_cluster_ci_is_the_ratio_estimator():
    rng = np.random.default_rng(3)
    reps = [rng.normal(10, 2, size=rng.integers(3, 9)) for _ in range(25)]
    acc = accumulated("day", reps)
    s = np.array([r.sum() for r in reps])
    k = np.array([len(r) for r in reps], dtype=float)
    m = s.sum() / k.sum()
    se = math.sqrt(((s - m * k) ** 2).sum() / (len(reps) * (len(reps) - 1))) / k.mean()
    lo, hi = acc.to_dict()["ci95"]
    assert lo == pytest.approx(m - 2.0639 * se, rel=1e-4)  # t(24) = 2.0639
    assert hi == pytest.approx(m + 2.0639 * se, rel=1e-4)


def test_nan_counts_as_censored():
    acc = Accumulator("month")
    acc.add(np.array([1.0, np.nan, 3.0]))
    acc.add(np.array([np.nan]))
    d = acc.to_dict()
    assert (d["n"], d["censored"], d["mean"]) == (2, 2, 2.0)


def test_sketch_quantiles_within_relative_accuracy():
    rng = np.random.default_rng(11)
    acc = Accumulator("workday")
    values = []
    for _ in range(30):
        v = rng.lognormal(4, 0.8, size=2000)
        values.append(v)
        acc.add(v)
    allv = np.concatenate(values)
    assert len(allv) > EXACT_LIMIT
    d = acc.to_dict()
    assert d["quantiles"] == "sketch"
    for q, key in ((0.1, "p10"), (0.5, "p50"), (0.9, "p90")):
        lo, hi = np.quantile(allv, q, method="lower"), np.quantile(allv, q, method="higher")
        assert lo * (1 - 6e-4) <= d[key] <= hi * (1 + 6e-4)


def test_order_of_replications_is_the_only_thing_that_matters():
    rng = np.random.default_rng(5)
    reps = [rng.exponential(2, size=10) for _ in range(10)]
    a, b = Accumulator("day"), Accumulator("day")
    for r in reps:
        a.add(r)
        b.add(r.copy())
    assert a.to_dict() == b.to_dict()


def test_summary_from_worker_batches_equals_adding_each_array():
    """Summary.add takes each array's sums from the worker (ReducedReplication.batches); the result must be
    the one Accumulator.add gives on the arrays themselves, KPI by KPI, including censored values."""
    import warnings

    import sim
    from sim.engine.compiled import compile_scenario
    from sim.runs.runner import reduced_replication
    from sim.runs.summary import Summary

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # an end date that cuts projects off: censored values in the arrays
        cs = compile_scenario(sim.load("scenarios/lanzhou_2024.toml", {"scenario.end_date": "2024-09-30"}))
    reds = [reduced_replication(cs, r, 5) for r in range(6)]
    summary = Summary(cs)
    for red in reds:
        summary.add(red)
    by_hand = {("kpis", k): [red.kpis[k] for red in reds] for k in summary.kpis}
    by_hand.update({("stages", k): [red.stages[k] for red in reds] for k in summary.stages})
    by_hand.update({("same_day", k): [red.same_day[k] for red in reds] for k in summary.same_day})
    by_hand.update(
        {("classes", c, k): [red.classes[c][k] for red in reds] for c in summary.classes for k in summary.classes[c]}
    )
    censored = 0
    for key, arrays in by_hand.items():
        acc = summary.kpis[key[1]] if key[0] == "kpis" else getattr(summary, key[0])[key[1]]
        if key[0] == "classes":
            acc = summary.classes[key[1]][key[2]]
        ref = Accumulator(acc.unit, quantiles=acc.with_quantiles)
        for a in arrays:
            ref.add(a)
        assert acc.to_dict() == ref.to_dict(), key
        censored += ref.censored
    assert censored > 0  # the comparison covered arrays with NaN (projects not through by the horizon)
