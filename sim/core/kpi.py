"""The key performance indicators (KPIs) a run reports, with their units, and the milestones of a project.

Units are those of :data:`sim.core.units.REPORTED_UNITS`.
"""

from __future__ import annotations

from collections.abc import Iterable

#: KPIs per project: name -> (unit, description)
KPIS: dict[str, tuple[str, str]] = {
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
#: KPIs per agency (units: share of staff working time; files waiting, time-weighted)
AGENCY_KPIS = ("utilisation", "mean_queue")


def kpi_names(stage_ids: Iterable[str], class_ids: Iterable[str], agency_ids: Iterable[str]) -> list[str]:
    """Every KPI a calibration target may name in a scenario with these stages, project classes and agencies.

    Args:
        stage_ids: the scenario's stage ids (``stages.<id>``, ``same_day.<id>``).
        class_ids: its project class ids (``classes.<class>.<KPI>``).
        agency_ids: its agency ids (``agencies.<id>.utilisation`` and ``.mean_queue``).

    Returns:
        The names, the plain KPIs first.
    """
    stage_ids, class_ids, agency_ids = list(stage_ids), list(class_ids), list(agency_ids)
    names = list(KPIS)
    names += [f"stages.{s}" for s in stage_ids] + [f"same_day.{s}" for s in stage_ids]
    names += [f"classes.{c}.{k}" for c in class_ids for k in KPIS]
    names += [f"agencies.{a}.{k}" for a in agency_ids for k in AGENCY_KPIS]
    return names
