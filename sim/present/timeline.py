"""A typical project's timeline before and after: stage by stage on one date axis, who holds the file, the milestones.

See :mod:`sim.present.plots` for the conventions every figure follows.
"""

from __future__ import annotations

import math
import textwrap

from matplotlib.figure import Figure

from sim.analysis.compare import Comparison
from sim.core.units import DAYS_PER_MONTH
from sim.present.axes import date_axis, date_num
from sim.present.colours import STEP_CATEGORY, scenario_colour
from sim.present.fonts import styled
from sim.present.gantt import draw_gantt, draw_milestones, gantt_legend, gantt_rows, typical_index
from sim.present.labels import TIMELINE_MILESTONES, holder, scenario_labels
from sim.present.rows import Rows, num, stamp


# -- 1. timeline -------------------------------------------------------------------------------------------
def timeline_data(cmp: Comparison) -> Rows:
    """Steps of the typical project in each scenario (one row each) and its milestones."""
    rows: Rows = []
    for i, typical in zip(typical_index(cmp), cmp.typical):
        sc = cmp.scenarios[i]
        base = {"scenario": sc.name, "scenario_index": i, "project": typical.project}
        for stage, step, resource, t0, t1 in typical.events:
            spec = sc.stage_by_id[stage]
            rows.append(
                {
                    **base,
                    "kind": "step",
                    "stage": stage,
                    "stage_name": spec.name,
                    "phase": spec.phase,
                    "step": step,
                    "category": STEP_CATEGORY.get(step, step),
                    "resource": resource,
                    "holder": holder(resource),
                    "start": stamp(sc.start_date, t0),
                    "end": stamp(sc.start_date, t1),
                    "start_day": num(t0),
                    "end_day": num(t1),
                    "duration_days": num(t1 - t0),
                }
            )
        for m in TIMELINE_MILESTONES:
            t = typical.milestones.get(m, math.nan)
            rows.append(
                {
                    **base,
                    "kind": "milestone",
                    "stage": "",
                    "stage_name": "",
                    "phase": "",
                    "step": m,
                    "category": "",
                    "resource": "",
                    "holder": "",
                    "start": stamp(sc.start_date, t),
                    "end": stamp(sc.start_date, t),
                    "start_day": num(t),
                    "end_day": num(t),
                    "duration_days": 0.0 if t == t else "",
                }
            )
    return rows


@styled
def timeline(cmp: Comparison) -> Figure:
    """Gantt chart of the typical project: one panel per scenario on a shared date axis, a row per stage
    visited (grouped by phase), bars coloured by time category, hatched while the applicant or an agent
    holds the file, the agency at the end of each row, and the milestones as vertical lines."""
    rows = timeline_data(cmp)
    names = scenario_labels(cmp)
    idx = typical_index(cmp)
    steps_by_scenario = [[row for row in rows if row["scenario_index"] == i and row["kind"] == "step"] for i in idx]
    layout = [
        gantt_rows(cmp.scenarios[i], {row["stage"] for row in scenario_steps})
        for i, scenario_steps in zip(idx, steps_by_scenario)
    ]
    fig = Figure(figsize=(13, 2.2 + 0.24 * sum(len(y) + 3 for y in layout)), layout="constrained")
    if not layout:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "No typical project was traced (compare(..., typical=True))", ha="center")
        return fig
    axes = fig.subplots(
        len(layout), 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": [len(y) + 3 for y in layout]}
    )[:, 0]
    lo, hi = math.inf, -math.inf
    for ax, i, ylines, typical, scenario_steps in zip(axes, idx, layout, cmp.typical, steps_by_scenario):
        sc = cmp.scenarios[i]
        x0, x1 = draw_gantt(ax, sc, scenario_steps, ylines)
        lo, hi = min(lo, x0, date_num(sc.start_date, typical.signed)), max(hi, x1)
        draw_milestones(ax, sc, typical, i)
        months = (typical.milestones.get("production", math.nan) - typical.signed) / DAYS_PER_MONTH
        ax.set_title(
            f"{names[i]}: signing to production {months:.1f} months"
            if months == months
            else f"{names[i]}: production not reached by the horizon",
            loc="left",
            color=scenario_colour(i),
        )
    axes[-1].set_xlim(lo - 7, hi + 0.08 * (hi - lo))
    date_axis(axes[-1])
    axes[-1].set_xlabel("Date")
    tp0 = cmp.typical[0]
    signed_on = stamp(cmp.scenarios[idx[0]].start_date, tp0.signed)[:10]
    sub = (
        f"The project of median time to production in {names[idx[0]]}, with the same random draws in each "
        "scenario. Gaps: waiting for other stages; text at a row's end: who decides (agency id)."
    )
    fig.suptitle(
        f"One typical project ({tp0.project}, signed {signed_on}) in {' vs '.join(names[i] for i in idx)}"
        f"\n{textwrap.fill(sub, 150)}",
        fontsize=11,
    )
    fig.legend(
        handles=gantt_legend({row["category"] for row in rows if row["kind"] == "step"}),
        loc="outside lower center",
        ncol=5,
        fontsize=8,
    )
    return fig
