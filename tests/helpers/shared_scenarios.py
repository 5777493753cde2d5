"""Scenarios that more than one test module runs (a module's own scenarios stay in that module)."""

from __future__ import annotations

from typing import Any

from helpers.scenarios import Table, date, days, dist, milestones_at, scenario_toml, stage, workdays

SMALL_WITH_LEVERS = scenario_toml(
    "small",
    end_date="2025-12-31",
    settings={"seed": 4},
    agencies={"bureau": 1},
    stream={"rate": 12, "until": date("2024-06-30"), "classes": {"std": 1}},
    stages={
        "a": stage(
            "bureau",
            prepare=dist("triangular", low=1, mode=2, high=5),
            effort=dist("triangular", low=1, mode=2, high=4),
            defect={"p": 0.4, "fix": dist("uniform", low=1, high=3)},
        ),
        "b": stage("bureau", after="a", effort=dist("exponential", mean=2)),
        "c": stage(after="b", build=days(30)),
    },
    milestones=milestones_at("b", "c"),
    levers={
        "fast_a": {"scale": {"stages.a.effort": 0.5}},
        "no_defects": {"set": {"stages.a.defect.p": 0.0}},
        "skip_b": {"skip": ["b"]},
    },
)
"""Half a year of a stream into one desk (stages a, b) and then construction (c); three levers on a and b.

Random durations, so runs differ by seed: for paired comparison and Shapley attribution.
"""


def winter_works_toml(*, staff: int, classes: dict[str, Table], projects: list[Table], exempt: Any = None) -> str:
    """2024-2025 with a winter shutdown from 11-15 to 03-15 (exempting the projects that match ``exempt``, if
    given): a 1-working-day permit at "bureau" (``staff`` reviewers), then 30 days of works that stop for it.
    """
    winter = {"from": "11-15", "to": "03-15"}
    if exempt is not None:
        winter["exempt"] = exempt
    return scenario_toml(
        "winter",
        end_date="2025-12-31",
        shutdowns={"winter": winter},
        agencies={"bureau": staff},
        classes=classes,
        projects=projects,
        stages={
            "permit": stage("bureau", effort=workdays(1)),
            "works": stage(after="permit", build=days(30), shutdowns=["winter"]),
        },
        milestones=milestones_at("permit", "works"),
    )
