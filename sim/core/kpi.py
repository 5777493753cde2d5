"""The key figures a run reports, with their units."""

from __future__ import annotations

#: key figures per project: name -> (unit, description)
KEY_FIGURES: dict[str, tuple[str, str]] = {
    "approval_workdays": ("workday", "first application to construction permit"),
    "approval_days": ("day", "first application to construction permit"),
    "to_production_months": ("month", "signing to production start"),
    "submissions": ("count", "applicant submissions per project (to the construction permit)"),
    "within_limit_share": ("share", "stage decisions within their statutory or promised limit"),
    "cost_pre_construction_cny": ("cny", "fees, consultancy and applicant staff days to the construction permit"),
    "cost_delay_cny": ("cny", "capital cost of time from signing to production"),
}
#: the milestones every project reports, besides each stage's issue time, in the order of the records
MILESTONES = ("construction_permit", "construction_start", "completion", "production")
AGENCY_FIGURES = ("utilisation", "mean_queue")
#: how each unit is written in tables and on axes
UNIT_LABEL = {
    "workday": "working days",
    "day": "calendar days",
    "month": "months",
    "count": "submissions",
    "share": "share",
    "cny": "CNY",
    "files": "files",
}


def figure_names(stage_ids, class_ids, agency_ids) -> list[str]:
    """Every figure a target may name in a scenario with these stages, classes and agencies."""
    names = list(KEY_FIGURES)
    names += [f"stages.{s}" for s in stage_ids] + [f"same_day.{s}" for s in stage_ids]
    names += [f"classes.{c}.{k}" for c in class_ids for k in KEY_FIGURES]
    names += [f"agencies.{a}.{k}" for a in agency_ids for k in AGENCY_FIGURES]
    return names
