"""``fit --flow sequence`` against ``graph`` on a log that records parallel-looking stages in one burst.

The truth is built into the log: every case is A on its first day, B and C on one later day X (the same day:
a clerk records both at once), then D on a day Y after that; X and Y are drawn per case.  The case's duration
is X + Y.  Read as a graph, B and C are parallel (neither ends before the other starts), so a run draws their
waits independently and each case waits for the longer: the fitted process is slower than the log.  Read as
a sequence, C follows B with no wait, so the fitted stage times add up to each case's duration.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

import sim

from helpers.logs import write_csv

CASES = 300


def burst_log(path: Path) -> tuple[Path, np.ndarray]:
    """The log, and each case's duration in working days."""
    rng = np.random.default_rng(7)
    start = dt.date(2024, 1, 8)  # a Monday
    rows, durations = [], []
    for k in range(CASES):
        first = k // 2  # two cases a working day
        x, y = int(rng.integers(2, 20)), int(rng.integers(1, 8))
        for activity, day in (("A", first), ("B", first + x), ("C", first + x), ("D", first + x + y)):
            weeks, rest = divmod(day, 5)
            date = start + dt.timedelta(weeks=weeks, days=rest)
            rows.append([f"c{k}", activity, f"{date} 10:00"])
        durations.append(x + y)
    return write_csv(path, ["case", "activity", "timestamp"], rows), np.array(durations, dtype=float)


@pytest.fixture(scope="module")
def burst(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    return burst_log(tmp_path_factory.mktemp("burst") / "burst.csv")


def permit_workdays(fitted: sim.FittedScenario) -> np.ndarray:
    res = sim.run(fitted.scenario, n=3, seed=2)
    days = res.projects.column("approval_workdays").astype(float)
    return days[~np.isnan(days)]  # the cases still open at the horizon (the log's last day) left out


def test_sequence_is_a_chain_in_the_order_of_first_events(burst: tuple[Path, np.ndarray]) -> None:
    path, _ = burst
    graph = sim.fit(path, flow="graph", utilisation=0.05)
    sequence = sim.fit(path, flow="sequence", utilisation=0.05)
    stages = sequence.scenario.stage_by_id
    assert stages["B"].after == ("A",) and stages["C"].after == ("B",) and stages["D"].after == ("C",)
    assert set(graph.scenario.stage_by_id["D"].after) == {"B", "C"}  # B and C parallel in the graph
    assert "--flow sequence" in sequence.text.splitlines()[1]


def test_sequence_keeps_the_duration_the_graph_overstates(burst: tuple[Path, np.ndarray]) -> None:
    path, truth = burst
    graph = permit_workdays(sim.fit(path, flow="graph", utilisation=0.05))
    sequence = permit_workdays(sim.fit(path, flow="sequence", utilisation=0.05))
    # the log's mean duration, within 10 %; the graph's parallel waits make it clearly longer
    assert abs(sequence.mean() / truth.mean() - 1) < 0.10, (sequence.mean(), truth.mean())
    assert graph.mean() > 1.15 * sequence.mean(), (graph.mean(), sequence.mean())


def test_an_unknown_flow_is_refused() -> None:
    with pytest.raises(sim.LogError, match="--flow"):
        sim.fit(Path("nowhere.csv"), flow="tree")
