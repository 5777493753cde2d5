"""Streaming statistics against direct computation on the full sample."""
import math

import numpy as np
import pytest

from sim.stats import EXACT_LIMIT, Accumulator, t975

# Student t 97.5 % quantiles from printed tables
T_TABLE = {1: 12.706, 2: 4.303, 5: 2.571, 10: 2.228, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980, 1000: 1.962}


@pytest.mark.parametrize("df, expected", sorted(T_TABLE.items()))
def test_t975_matches_tables(df, expected):
    assert t975(df) == pytest.approx(expected, abs=1.5e-3)


def test_moments_and_exact_quantiles_match_numpy():
    rng = np.random.default_rng(7)
    reps = [rng.lognormal(3, 0.5, size=rng.integers(5, 30)) for _ in range(40)]
    acc = Accumulator("workday")
    for r in reps:
        acc.add(r)
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
    acc = Accumulator("day")
    for r in reps:
        acc.add(r)
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
