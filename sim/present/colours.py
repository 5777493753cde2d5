"""The figures' colours and hatching: one colour per scenario, per time category and per phase; the time
categories themselves and the event-log step each one counts."""

from __future__ import annotations

#: one colour per scenario, by position in the comparison (the reference first)
SCENARIO_COLOURS = ("#4d4d4d", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
#: time categories of the figures: (key, label, colour); keys are the record categories of sim.engine.records.SPLIT
#: and the critical path's (sim.runs.critical_path.PATH_CATEGORIES)
CATEGORIES = (
    ("prepare", "preparing the file", "#fdd49e"),
    ("queue", "queueing", "#d7301f"),
    ("review", "review", "#2b8cbe"),
    ("sitting", "waiting for a sitting", "#8c6bb1"),
    ("rework", "rework after a rejection", "#fc8d59"),
    ("supplement", "supplementing (tolerant acceptance)", "#c7b300"),
    ("lag", "lag (listing, fixed waits)", "#a6a6a6"),
    ("build", "construction", "#74c476"),
    ("wait", "waiting, not otherwise counted", "#e0e0e0"),
)
CATEGORY_LABEL = {k: lab for k, lab, _ in CATEGORIES}
CATEGORY_COLOUR = {k: c for k, _, c in CATEGORIES}
#: event-log step -> category, as the records count it (the agent's own effort is preparation; waiting for a
#: free agent is queueing; a pre-consultation is counted as review time of the stage)
STEP_CATEGORY = {
    "prepare": "prepare",
    "agent": "prepare",
    "agent_wait": "queue",
    "queue": "queue",
    "pre-consultation": "review",
    "review": "review",
    "sitting": "sitting",
    "rework": "rework",
    "supplement": "supplement",
    "lag": "lag",
    "build": "build",
}
#: who holds the file during a step: hatching for the applicant's side and the agent service
HOLDER_HATCH = {"applicant": "////", "agent service": "...."}
PHASE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def scenario_colour(i: int) -> str:
    """The colour of the ``i``-th scenario of a comparison."""
    return SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)]
