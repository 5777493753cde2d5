"""Several runs as one stream of replications (sim.runs.runner.replications_of): each replication is the one a
run of its own gives, whatever the number of workers, and the stream keeps the runs' order."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.engine.compiled import compile_scenario
from sim.runs.pool import ReplicationFailed
from sim.runs.runner import replications, replications_of

from helpers import REPO


def _key(reduced) -> tuple:
    return (reduced.rep, *(np.asarray(v).tobytes() for v in reduced.kpis.values()))


@pytest.mark.parametrize("jobs", [1, 2])
def test_each_run_of_the_stream_is_the_run_alone(jobs: int) -> None:
    sc = sim.load(REPO / "scenarios" / "reform.toml")
    variants = [sc.with_levers([]), sc, sc.with_levers(["blueprint"])]
    sizes = [3, 1, 4]
    alone = [[_key(r) for r in replications(compile_scenario(v), n, 5)] for v, n in zip(variants, sizes)]
    stream = list(replications_of(((compile_scenario(v), n) for v, n in zip(variants, sizes)), 5, jobs=jobs))
    assert [i for i, _ in stream] == [0, 0, 0, 1, 2, 2, 2, 2]
    by_run: list[list[tuple]] = [[], [], []]
    for i, reduced in stream:
        by_run[i].append(_key(reduced))
    assert by_run == alone


def test_a_failed_replication_of_the_stream_is_named(monkeypatch) -> None:
    import sim.runs.runner as runner

    real = runner.reduced_replication

    def failing(cs, rep, seed, *rest):
        if rep == 2:
            raise ValueError("boom")
        return real(cs, rep, seed, *rest)

    monkeypatch.setattr(runner, "reduced_replication", failing)  # workers are forked, so they see it too
    cs = compile_scenario(sim.load(REPO / "scenarios" / "reform.toml"))
    with pytest.raises(ReplicationFailed) as e:
        list(replications_of([(cs, 2), (cs, 3)], 7, jobs=2))
    assert (e.value.rep, e.value.seed) == (2, 7)


@pytest.mark.parametrize("scenario", ["pre_reform.toml", "reform.toml"])
def test_a_stream_of_kpis_only_gives_the_same_kpis(scenario: str) -> None:
    """Lever attribution reduces its replications to their KPIs alone (detail=False): every KPI, the share of
    decisions within the statutory limit included, is the full reduction's, value for value."""
    cs = compile_scenario(sim.load(REPO / "scenarios" / scenario))
    full = [r for _, r in replications_of([(cs, 3)], 9)]
    lean = [r for _, r in replications_of([(cs, 3)], 9, detail=False)]
    for a, b in zip(full, lean):
        assert a.kpis.keys() == b.kpis.keys()
        for k in a.kpis:
            np.testing.assert_array_equal(a.kpis[k], b.kpis[k])
        assert a.counts == b.counts
        assert b.stages == {} and b.series == {} and b.approval_path == {} and b.agencies == {}
