"""What each figure of the report shows and how to read it, in a sentence or two with the run's own numbers."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.present.rows import stamp

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.analysis.compare import Comparison


def _means(cmp: Comparison, kpi: str, digits: int) -> str:
    """The scenarios' means of ``kpi``, as "146 → 42"."""
    values = [summary.kpis[kpi].to_dict()["mean"] for summary in cmp.summaries]
    return " → ".join("–" if v is None or not math.isfinite(v) else f"{v:.{digits}f}" for v in values)


def _timeline(cmp: Comparison) -> str:
    if not cmp.typical:
        return "No project was traced for this comparison."
    tp = cmp.typical[0]
    sc = next(sc for sc in cmp.scenarios if sc.name == tp.scenario)
    return (
        f"One project, {tp.project} (class {tp.cls}, signed {stamp(sc.start_date, tp.signed)[:10]}), followed "
        "through each scenario with the same random draws: one panel per scenario, a row per stage grouped by the "
        "phases of the national scheme. Bar colours are the kinds of time, hatching shows who holds the file, a "
        "star marks a decision made on the day of application, blue bands on the construction rows are shutdown "
        "windows (over the bar where the works stop) and dashed lines the milestones. Each panel's title gives "
        "the project's approval working days and months from signing to production beside the means of all "
        "projects."
    )


def _distributions(cmp: Comparison) -> str:
    return (
        "How approval time (left, working days) and signing to production (right, months) spread over all "
        "projects: each curve climbs to the share of projects done within a given time, so a curve further left "
        "is faster. Shaded ranges and dashed lines are the calibration targets the scenarios' sources give; the "
        f"median (0.5) of the curve should lie in them. Mean approval time: {_means(cmp, 'approval_workdays', 0)} "
        "working days."
    )


def _time_split(cmp: Comparison) -> str:
    return (
        "Where the approval time goes. The top bars follow each project's critical path (the chain of stages that "
        "decided last), split by kind of time, so each adds up to the mean approval time "
        f"({_means(cmp, 'approval_workdays', 1)} working days); the middle bars split the same days by phase. "
        "The lower left bars add up the working days of every stage, parallel ones included, which is more work "
        "than elapsed time; the lower right bars give construction in calendar days."
    )


def _agency_load(cmp: Comparison) -> str:
    return (
        "Week by week, the share of each agency's staff time spent on files (left; near 1, the agency is the "
        "bottleneck) and the number of files waiting for a reviewer (right), one line per scenario with its 95 % "
        "band over the replications."
    )


def _zone_view(cmp: Comparison) -> str:
    return (
        "The zone's delivery: how many projects have started construction and how many produce, over the "
        "calendar, with 95 % bands; the horizontal gap between two scenarios' curves is how much earlier the "
        f"projects deliver (signing to production {_means(cmp, 'to_production_months', 1)} months on average)."
    )


def _waterfall(what: str) -> Callable[[Comparison], str]:
    def caption(cmp: Comparison) -> str:
        return (
            f"Which lever bought how much {what}: from the mean with no lever (left bar) through each lever's "
            "Shapley value, its effect averaged over every order of switching the levers on, to the mean with all "
            "levers (right bar). Green bars shorten, red ones lengthen; whiskers are 95 % confidence intervals; "
            "'alone' under a lever is its effect if it were the only one on."
        )

    return caption


#: the caption of each figure of :func:`sim.present.plots.all_figures`, by name
CAPTIONS: dict[str, Callable[[Comparison], str]] = {
    "timeline": _timeline,
    "distributions": _distributions,
    "time_split": _time_split,
    "agency_load": _agency_load,
    "zone_view": _zone_view,
    "waterfall": _waterfall("approval time (working days)"),
    "waterfall_production": _waterfall("time from signing to production (months)"),
}


#: the heading of each figure in the report, by name
TITLES = {
    "timeline": "One project, stage by stage, in each scenario",
    "distributions": "How long approval and delivery take, project by project",
    "time_split": "Where the approval time goes",
    "agency_load": "How busy each agency is",
    "zone_view": "When the zone's projects build and produce",
    "waterfall": "What each lever buys: approval time",
    "waterfall_production": "What each lever buys: time to production",
}


def title(name: str) -> str:
    """The heading of figure ``name`` in the report."""
    return TITLES.get(name, name.replace("_", " ").capitalize())


def caption(name: str, fig: Figure, cmp: Comparison) -> str:
    """What figure ``name`` shows and how to read it; for a figure this module does not know, its own title."""
    known = CAPTIONS.get(name)
    if known is not None:
        return known(cmp)
    title = fig.get_suptitle() or (fig.axes[0].get_title(loc="left") if fig.axes else "")
    return title.replace("\n", " ") or name
