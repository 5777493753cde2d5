"""``[arrivals.replay]``: projects sign on given days (a log's own case dates), with classes drawn by weight."""

from __future__ import annotations

import math

import pytest

import sim
from sim.core.errors import ScenarioError

from helpers.scenarios import project_class, scenario_toml, stage, workdays


def replay_scenario(replay: dict, stream: dict | None = None) -> str:
    return scenario_toml(
        "replay",
        agencies={"bureau": 50},
        classes={"small": project_class(), "large": project_class(2e9)},
        stages={"permit": stage("bureau", effort=workdays(1))},
        milestones="permit",
        replay=replay,
        stream=stream,
    )


def test_projects_sign_on_the_given_days_at_the_office_opening(write_scenario):
    days = ["2024-03-05", "2024-03-04", "2024-03-04", "2024-07-01"]
    path = write_scenario(replay_scenario({"dates": days, "classes": {"small": 1}}))
    res = sim.run(sim.load(path), n=2, seed=3)
    for rep in ("0", "1"):
        signed = sorted(r["signed"] for r in list(res.projects) if str(r["rep"]) == rep)
        # the default calendar opens at 09:00; 2024-03-04 is a Monday, 07-01 too
        assert signed == ["2024-03-04 09:00", "2024-03-04 09:00", "2024-03-05 09:00", "2024-07-01 09:00"]


def test_classes_are_drawn_with_their_weights(write_scenario):
    dates = [f"2024-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)] * 3  # 1,008 projects
    path = write_scenario(replay_scenario({"dates": dates, "classes": {"small": 3, "large": 1}}))
    res = sim.run(sim.load(path), n=1, seed=5)
    rows = list(res.projects)
    large = sum(r["class"] == "large" for r in rows)
    n, p = len(rows), 0.25
    assert n == len(dates)
    assert abs(large - n * p) < 4 * math.sqrt(n * p * (1 - p))


@pytest.mark.parametrize(
    ("replay", "stream", "where", "what"),
    [
        ({"dates": ["2025-01-02"], "classes": {"small": 1}}, None, "arrivals.replay.dates[0]", "outside the horizon"),
        ({"dates": [], "classes": {"small": 1}}, None, "arrivals.replay.dates", "non-empty list"),
        ({"dates": ["2024-01-02", 7], "classes": {"small": 1}}, None, "arrivals.replay.dates[1]", "must be a date"),
        ({"dates": ["2024-01-02"], "classes": {"medium": 1}}, None, "arrivals.replay.classes.medium", "medium"),
        (
            {"dates": ["2024-01-02"], "classes": {"small": 1}},
            {"rate": 1, "classes": {"small": 1}},
            "arrivals.replay",
            "not both",
        ),
    ],
)
def test_bad_replays_are_named(write_scenario, replay, stream, where, what):
    path = write_scenario(replay_scenario(replay, stream))
    with pytest.raises(ScenarioError) as e:
        sim.load(path)
    assert any(p.path == where and what in p.message for p in e.value.problems), e.value
