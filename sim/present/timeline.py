"""One project's timeline before and after: stage by stage on one date axis, who holds the file, the decisions made
on the day of application, the shutdown windows of construction, the milestones, and the approval time and time
to production it took.

See :mod:`sim.present.plots` for the conventions every figure follows.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Iterator

from sim.analysis.compare import Comparison
from sim.analysis.traced import TypicalProject
from sim.core.kpi import KPIS, MILESTONES
from sim.present.axes import date_axis, date_num
from sim.present.colours import STEP_CATEGORY, scenario_colour
from sim.present.figure import Figure
from sim.present.fonts import styled
from sim.present.gantt import (
    draw_gantt,
    draw_milestones,
    draw_same_day,
    draw_shutdowns,
    gantt_legend,
    gantt_rows,
    row_height,
    typical_index,
)
from sim.present.labels import holder, iter_phases, phase_labels, scenario_labels
from sim.present.rows import Row, Rows, num, stamp
from sim.scenario.scenario import Scenario

#: the KPIs of the project that the timeline states (and the run's means beside them)
TIMELINE_KPIS = ("approval_workdays", "to_production_months")
_COLUMNS = (
    "scenario",
    "scenario_index",
    "project",
    "class",
    "kind",
    "stage",
    "stage_name",
    "phase",
    "step",
    "category",
    "resource",
    "holder",
    "start",
    "end",
    "start_day",
    "end_day",
    "duration_days",
    "value",
    "unit",
    "note",
)


def shutdown_spans(window: tuple[tuple[int, int], tuple[int, int]], first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """The first day of each yearly occurrence of ``window`` ((month, day) to (month, day), both days inside,
    possibly over the new year) that overlaps ``first`` to ``last``; with :func:`window_end`, its last day."""
    for year in range(first.year - 1, last.year + 1):
        start = _day(year, window[0], start=True)
        if start <= last and window_end(window, start) >= first:
            yield start


def window_end(window: tuple[tuple[int, int], tuple[int, int]], start: dt.date) -> dt.date:
    """The last day of the occurrence of ``window`` that begins on ``start``."""
    year = start.year if window[1] >= window[0] else start.year + 1
    return _day(year, window[1], start=False)


def _day(year: int, month_day: tuple[int, int], start: bool) -> dt.date:
    """The date of ``month_day`` in ``year``; 29 February in a common year is 1 March as a first day and 28
    February as a last day (as :func:`sim.scenario.calendar.shutdown_mask` counts it)."""
    try:
        return dt.date(year, *month_day)
    except ValueError:
        return dt.date(year, 3, 1) if start else dt.date(year, 2, 28)


def timeline_data(cmp: Comparison, project: str | None = None) -> Rows:
    """The project's steps in each scenario (one row each, ``kind`` "step"), its milestones, its decisions on
    the day of application ("same_day"), the shutdown windows on its construction rows ("shutdown", ``note``
    "exempt" if the project keeps building through them), its KPIs ("kpi") and the run's means ("kpi_mean").

    Args:
        cmp: the comparison (run with ``typical=True``).
        project: ``"median"``, ``"large"``, a project id of replication 0, or None for ``cmp.typical``
            (:meth:`sim.analysis.compare.Comparison.trace_project`).
    """
    traced = cmp.trace_project(project)
    return [row for i, tp in zip(typical_index(cmp, traced), traced) for row in _project_rows(cmp, i, tp)]


def _row(base: Row, start: dt.date, kind: str, t0: float = math.nan, t1: float = math.nan, **cells: object) -> Row:
    """One row of the timeline's data, every column present ("" where it does not apply)."""
    out: Row = dict.fromkeys(_COLUMNS, "")
    out.update(base, kind=kind, **cells)
    if t0 == t0:
        out.update(start=stamp(start, t0), start_day=num(t0))
        out.update(end=stamp(start, t1), end_day=num(t1), duration_days=num(t1 - t0))
    return out


def _project_rows(cmp: Comparison, i: int, tp: TypicalProject) -> Rows:
    """The timeline's rows of project ``tp`` in scenario ``i``."""
    sc = cmp.scenarios[i]
    base = {"scenario": sc.name, "scenario_index": i, "project": tp.project, "class": tp.cls}
    rows: Rows = []
    for k in TIMELINE_KPIS:
        unit = KPIS[k][0]
        mean = cmp.summaries[i].kpis[k].to_dict()["mean"]
        rows.append(_row(base, sc.start_date, "kpi", step=k, value=num(tp.kpi.get(k, math.nan)), unit=unit))
        rows.append(_row(base, sc.start_date, "kpi_mean", step=k, value=num(mean), unit=unit))
    last = tp.signed
    for stage, step, resource, t0, t1 in tp.events:
        spec = sc.stage_by_id[stage]
        last = max(last, t1)
        cells = {"stage": stage, "stage_name": spec.name, "phase": spec.phase, "step": step}
        cells |= {"category": STEP_CATEGORY.get(step, step), "resource": resource, "holder": holder(resource)}
        rows.append(_row(base, sc.start_date, "step", t0, t1, **cells, unit="day"))
    for stage in tp.same_day:
        t = tp.issued.get(stage, math.nan)
        name = sc.stage_by_id[stage].name
        rows.append(_row(base, sc.start_date, "same_day", t, t, stage=stage, stage_name=name, step="decision"))
    for m in MILESTONES:
        t = tp.milestones.get(m, math.nan)
        rows.append(_row(base, sc.start_date, "milestone", t, t, step=m))
    first, end = sc.start_date + dt.timedelta(days=tp.signed), sc.start_date + dt.timedelta(days=last)
    for stage in dict.fromkeys(stage for stage, step, *_ in tp.events if step == "build"):
        name = sc.stage_by_id[stage].name
        for window in sc.stage_by_id[stage].shutdowns:
            win = next(w for w in sc.shutdowns if w.id == window)
            note = "exempt" if win.exempt is not None and win.exempt.holds(tp.attributes) else ""
            for day in shutdown_spans(win.window, first, end):
                t0 = float((day - sc.start_date).days)
                t1 = float((window_end(win.window, day) - sc.start_date).days + 1)  # to the end of its last day
                rows.append(
                    _row(base, sc.start_date, "shutdown", t0, t1, stage=stage, stage_name=name, step=window, note=note)
                )
    return rows


def _window_text(sc: Scenario, window: str, exempt: bool) -> str:
    spec = next(w for w in sc.shutdowns if w.id == window)
    (m0, d0), (m1, d1) = spec.window
    span = f"{dt.date(2000, m0, d0):%d %b} to {dt.date(2000, m1, d1):%d %b}"
    what = spec.name or window
    return f"{what} ({span}): " + ("this project is exempt and builds through it" if exempt else "construction stops")


def _money(x: float) -> str:
    if x != x:
        return "CNY ?"
    return f"CNY {x / 1e9:.2f} bn" if x >= 1e9 else f"CNY {x / 1e6:.0f} m"


def _kpi_text(rows: Rows, i: int, kind: str) -> tuple[float, float]:
    """(approval working days, months to production) of scenario ``i`` in the rows of ``kind``."""
    values = {r["step"]: r["value"] for r in rows if r["scenario_index"] == i and r["kind"] == kind}
    approval, months = (values.get(k, "") for k in TIMELINE_KPIS)
    return (math.nan if approval == "" else float(approval), math.nan if months == "" else float(months))


def _story(approval: float, months: float) -> str:
    """The project's approval time and time to production, in words."""
    a = "construction permit not reached" if approval != approval else f"approval {approval:.0f} working days"
    m = (
        "production not reached by the end date"
        if months != months
        else f"production {months:.1f} months after signing"
    )
    return f"This project: {a}, {m}"


@styled
def timeline(cmp: Comparison, project: str | None = None) -> Figure:
    """Gantt chart of one project, the same in each scenario: one panel per scenario on a shared date axis, a row
    per stage visited (grouped by phase, numbered as in the national four-phase scheme), bars coloured by time
    category, hatched while the applicant or an agent holds the file, a star where a decision came on the day
    of application, the shutdown windows shaded on the construction rows, the milestones as vertical lines, and
    in each panel's title the project's approval working days and months to production (with the run's means).

    Args:
        cmp: the comparison (run with ``typical=True``).
        project: ``"median"``, ``"large"``, a project id of replication 0, or None for the one ``cmp.typical``
            follows (by default a large plant when the scenario has classes of projects, else the median one).
    """
    rows = timeline_data(cmp, project)
    traced = cmp.trace_project(project)
    names = scenario_labels(cmp)
    idx = typical_index(cmp, traced)
    mine = [[row for row in rows if row["scenario_index"] == i] for i in idx]
    phase_text = phase_labels(ph for i in idx for ph in iter_phases(cmp.scenarios[i].stages))
    layout = [
        gantt_rows(cmp.scenarios[i], {row["stage"] for row in own if row["kind"] == "step"}, phase_text)
        for i, own in zip(idx, mine)
    ]
    heights = [row_height(y) + 3.4 for y in layout]
    fig = Figure(figsize=(13, 2.4 + 0.25 * sum(heights)), layout="constrained")
    if not layout:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "No project was traced (compare(..., typical=True))", ha="center")
        return fig
    axes = fig.subplots(len(layout), 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    lo, hi = math.inf, -math.inf
    windows: dict[str, None] = {}
    for ax, i, ylines, tp, own in zip(axes, idx, layout, traced, mine):
        sc = cmp.scenarios[i]
        x0, x1 = draw_gantt(ax, sc, [r for r in own if r["kind"] == "step"], ylines)
        lo, hi = min(lo, x0, date_num(sc.start_date, tp.signed)), max(hi, x1)
        shut = [r for r in own if r["kind"] == "shutdown"]
        draw_shutdowns(ax, sc, shut, ylines)
        for r in shut:
            windows[_window_text(sc, r["step"], r["note"] == "exempt")] = None
        decisions = [r for r in own if r["kind"] == "same_day"]
        draw_same_day(ax, sc, decisions, ylines)
        draw_milestones(ax, sc, [r for r in own if r["kind"] == "milestone"], scenario_colour(i))
        approval, months = _kpi_text(rows, i, "kpi")
        mean_approval, mean_months = _kpi_text(rows, i, "kpi_mean")
        ax.set_title(
            f"{names[i]}\n{_story(approval, months)}; {len(decisions)} of {len(tp.issued)} decisions on the day of "
            f"application\nAll projects (mean): approval {mean_approval:.0f} working days, production "
            f"{mean_months:.1f} months after signing",
            loc="left",
            color=scenario_colour(i),
            fontsize=9.5,
        )
    axes[-1].set_xlim(lo - 7, hi + 0.08 * (hi - lo))
    date_axis(axes[-1])
    axes[-1].set_xlabel("Date")
    tp0, sc0 = traced[0], cmp.scenarios[idx[0]]
    kpis = [_kpi_text(rows, i, "kpi") for i in idx]
    arrow = " → "
    head = (
        f"Approval {arrow.join(f'{a:.0f}' for a, _ in kpis)} working days, signing to production "
        f"{arrow.join(f'{m:.1f}' for _, m in kpis)} months: one project followed through "
        + ("both scenarios" if len(idx) == 2 else f"{len(idx)} scenarios")
    )
    sub = (
        f"Project {tp0.project} (class {tp0.cls}, {_money(tp0.investment_cny)}, signed "
        f"{stamp(sc0.start_date, tp0.signed)[:10]}): {tp0.chosen}, with the same random draws in each scenario. "
        "Approval runs from the first application to the construction permit. Gaps: waiting for other stages; "
        "text at a row's end: who decides (agency id)."
    )
    fig.suptitle(f"{head}\n{textwrap.fill(sub, 130)}", fontsize=11)
    fig.legend(
        handles=gantt_legend(
            {row["category"] for row in rows if row["kind"] == "step"},
            any(row["kind"] == "same_day" for row in rows),
            list(windows),
        ),
        loc="outside lower center",
        ncol=4,
        fontsize=8,
    )
    return fig
