"""Scenarios that more than one test module runs (a module's own scenarios stay in that module)."""

from __future__ import annotations

from helpers.scenarios import date, days, dist, milestones_at, scenario_toml, stage

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
