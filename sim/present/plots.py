"""Figures for policy readers: a typical project's timeline, distributions, where the time goes, which lever
bought how much, agency load and the zone's delivery curve.

Every figure function returns a :class:`matplotlib.figure.Figure` (object-oriented API, no pyplot state:
nothing to close) and has a data function (``timeline_data`` ...) returning the plotted data as a list of
dicts with the same keys, written next to the picture by :func:`save`.  The same seeds give identical rows.
Times are clock times (calendar days since the scenario's start date) shown as dates.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.analysis.attribution import Attribution
from sim.analysis.compare import Comparison
from sim.core.kpi import KPIS
from sim.core.units import DAYS_PER_MONTH, UNIT_LABEL
from sim.engine.monitor import BIN_DAYS
from sim.present.style import (
    CATEGORIES,
    CATEGORY_COLOUR,
    CATEGORY_LABEL,
    KPI_SHORT,
    KPI_TEXT,
    MILESTONE_LABEL,
    PHASE_COLOURS,
    STEP_CATEGORY,
    TIMELINE_MILESTONES,
    Rows,
    acc_stats,
    arrays,
    capital,
    date_axis,
    date_num,
    draw_gantt,
    draw_milestones,
    draw_target,
    gantt_legend,
    gantt_rows,
    holder,
    iter_phases,
    label,
    num,
    phase_label,
    scenario_colour,
    scenario_labels,
    signed,
    stamp,
    styled,
    targets_for,
    typical_index,
    write_csv,
)
from sim.present.sweep_plots import sweep_data, sweep_figure, tornado_data, tornado_figure
from sim.runs.output import atomic_write
from sim.runs.reducer import SERIES_MILESTONES

__all__ = [
    "agency_load",
    "agency_load_data",
    "all_figures",
    "distributions",
    "distributions_data",
    "save",
    "time_split",
    "time_split_data",
    "timeline",
    "timeline_data",
    "waterfall",
    "waterfall_data",
    "zone_view",
    "zone_view_data",
    "sweep_data",
    "sweep_figure",
    "tornado_data",
    "tornado_figure",
]


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


# -- 2. distributions --------------------------------------------------------------------------------------
def distributions_data(cmp: Comparison) -> Rows:
    """Empirical CDF points per scenario (share of all counted projects, censored ones never reaching it),
    of class ECDFs where a class target exists, and the applicable calibration targets."""
    rows: Rows = []
    for key in ("approval_workdays", "to_production_months"):
        for i, (sc, summ) in enumerate(zip(cmp.scenarios, cmp.summaries)):
            targets = targets_for(sc, key)
            accs = [(key, summ.kpis[key])] + [
                (f"classes.{c}.{key}", summ.classes[c][key]) for c in dict.fromkeys(c for _, c in targets if c)
            ]
            for kpi_key, acc in accs:
                x, y = acc.q.ecdf()
                scale = acc.n / (acc.n + acc.censored) if acc.n else 0.0
                rows += [
                    {
                        "kind": "ecdf",
                        "scenario": sc.name,
                        "scenario_index": i,
                        "kpi": kpi_key,
                        "unit": KPIS[key][0],
                        "value": num(v),
                        "share": num(s * scale),
                        "stat": "",
                        "lo": "",
                        "hi": "",
                        "target": "",
                        "source": "",
                    }
                    for v, s in zip(x, y)
                ]
            rows += [
                {
                    "kind": "target",
                    "scenario": sc.name,
                    "scenario_index": i,
                    "kpi": t.kpi,
                    "unit": KPIS[key][0],
                    "value": "",
                    "share": "",
                    "stat": t.stat,
                    "lo": num(t.lo),
                    "hi": num(t.hi),
                    "target": t.id,
                    "source": t.source,
                }
                for t, _ in targets
            ]
    return rows


@styled
def distributions(cmp: Comparison) -> Figure:
    """ECDFs of approval time (working days) and signing to production (months) per scenario, with the
    calibration targets of each scenario's lever set as shaded ranges or dashed bounds."""
    rows = distributions_data(cmp)
    names = scenario_labels(cmp)
    fig = Figure(figsize=(13, 6.6), layout="constrained")
    axes = fig.subplots(1, 2)
    panels = (
        ("approval_workdays", "Approval: first application to construction permit", "working days"),
        ("to_production_months", "Signing to production start", "months"),
    )
    censored = False
    for ax, (key, title, unit) in zip(axes, panels):
        for i in range(len(cmp.scenarios)):
            mine = [row for row in rows if row["scenario_index"] == i and row["kind"] == "ecdf"]
            for kpi_key in dict.fromkeys(row["kpi"] for row in mine if row["kpi"].endswith(key)):
                pts = [row for row in mine if row["kpi"] == kpi_key]
                if not pts:
                    continue
                x = np.array([row["value"] for row in pts])
                y = np.array([row["share"] for row in pts])
                censored |= bool(y[-1] < 0.999)
                cls = kpi_key.split(".")[1] if kpi_key.startswith("classes.") else None
                ax.step(
                    np.r_[x[0], x],
                    np.r_[0.0, y],
                    where="post",
                    color=scenario_colour(i),
                    linewidth=1.3 if cls else 2,
                    linestyle=":" if cls else "-",
                    gid=f"ecdf:{i}:{kpi_key}",
                    label=f"{names[i]}" + (f": {cls} projects only" if cls else ""),
                )
            for row in rows:
                if row["scenario_index"] != i or row["kind"] != "target" or not row["kpi"].endswith(key):
                    continue
                draw_target(ax, row, names[i], scenario_colour(i))
        ax.set_title(title, loc="left")
        ax.set_xlabel(unit)
        ax.set_ylabel("share of projects reaching it (cumulative)")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.13), fontsize=8)
    note = (
        "; curves end below 1 where projects had not reached the milestone by the end of the horizon"
        if censored
        else ""
    )
    fig.suptitle(
        "How long approval and delivery take, project by project\nShaded or dashed: calibration "
        "targets of each scenario's lever set (the statistic, e.g. the median p50, should lie in the "
        f"range){note}",
        fontsize=11,
    )
    return fig


# -- 3. time split -----------------------------------------------------------------------------------------
def time_split_data(cmp: Comparison) -> Rows:
    """Mean time per project by category and by phase, summed over stages (working days; construction in
    calendar days)."""
    rows: Rows = []
    for i, (sc, summ) in enumerate(zip(cmp.scenarios, cmp.summaries)):
        split = summ.phase_split()
        base = {"scenario": sc.name, "scenario_index": i}
        for k, lab, _ in CATEGORIES:
            v = sum(x for (_, c), x in split.items() if c == k)
            rows.append(
                {
                    **base,
                    "panel": "construction" if k == "build" else "category",
                    "key": k,
                    "label": lab,
                    "unit": "day" if k == "build" else "workday",
                    "mean": num(v),
                }
            )
        for ph in iter_phases(sc.stages):
            v = sum(x for (p, c), x in split.items() if p == ph and c != "build")
            rows.append(
                {**base, "panel": "phase", "key": ph, "label": phase_label(ph), "unit": "workday", "mean": num(v)}
            )
    return rows


@styled
def time_split(cmp: Comparison) -> Figure:
    """Where the time goes: stacked bars per scenario by time category and by phase (working days per
    project, summed over stages), and construction in calendar days in its own panel."""
    rows = time_split_data(cmp)
    names = scenario_labels(cmp)
    n = len(cmp.scenarios)
    fig = Figure(figsize=(13, 3.2 + 1.1 * n), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=(3, 1))
    ax_cat, ax_build, ax_ph = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])
    y = np.arange(n)
    phases = list(dict.fromkeys(row["key"] for row in rows if row["panel"] == "phase" and row["mean"]))
    colours = {ph: PHASE_COLOURS[j % len(PHASE_COLOURS)] for j, ph in enumerate(phases)}
    for ax, panel, keys in (
        (ax_cat, "category", [k for k, _, _ in CATEGORIES if k != "build"]),
        (ax_ph, "phase", phases),
    ):
        left = np.zeros(n)
        for k in keys:
            vals = np.array(
                [
                    next(
                        (
                            row["mean"] or 0.0
                            for row in rows
                            if row["scenario_index"] == i and row["panel"] == panel and row["key"] == k
                        ),
                        0.0,
                    )
                    for i in range(n)
                ]
            )
            if not vals.any():
                continue
            text = capital(CATEGORY_LABEL[k]) if panel == "category" else phase_label(k)
            ax.barh(
                y,
                vals,
                left=left,
                color=CATEGORY_COLOUR[k] if panel == "category" else colours[k],
                label=text,
                edgecolor="white",
                linewidth=0.5,
            )
            left += vals
        for i in range(n):
            ax.text(left[i], i, f" {left[i]:.0f}", va="center", fontsize=8)
        ax.set_xlim(0, max(left.max(), 1) * 1.12)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7.5)
    build = [
        next(row["mean"] or 0.0 for row in rows if row["scenario_index"] == i and row["key"] == "build")
        for i in range(n)
    ]
    ax_build.barh(y, build, color=[scenario_colour(i) for i in range(n)], alpha=0.85)
    for i, v in enumerate(build):
        ax_build.text(v, i, f" {v:.0f}", va="center", fontsize=8)
    ax_build.set_xlim(0, max(max(build), 1) * 1.25)
    for ax in (ax_cat, ax_build, ax_ph):
        ax.set_yticks(y, names if ax is not ax_build else [""] * n)
        ax.invert_yaxis()
        for tl, i in zip(ax.get_yticklabels(), range(n)):
            tl.set_color(scenario_colour(i))
    ax_cat.set_title("By kind of time (approval and acceptance stages)", loc="left")
    ax_cat.set_xlabel("working days per project, summed over stages (parallel stages add up)")
    ax_build.set_title("Construction", loc="left")
    ax_build.set_xlabel("calendar days per project (construction stages summed)")
    ax_ph.set_title("By phase of the national approval process", loc="left")
    ax_ph.set_xlabel("working days per project, summed over stages (construction excluded)")
    fig.suptitle("Where the time goes: mean per project", fontsize=12)
    return fig


# -- 4. waterfall ------------------------------------------------------------------------------------------
def waterfall_data(att: Attribution, kpi: str = "approval_workdays") -> Rows:
    """From no lever through each lever's Shapley value (largest first) to all levers, with 95 % CIs."""
    if kpi not in att.base:
        raise ValueError(f"{kpi!r} was not attributed; available: {', '.join(att.base)}")
    names = dict(att.scenario.lever_names)
    unit = KPIS[kpi][0]
    base, full = acc_stats(att.base[kpi]), acc_stats(att.full[kpi])
    shap = {lv: acc_stats(att.shapley[kpi][lv]) for lv in att.levers}
    order = sorted(att.levers, key=lambda lv: -abs(np.nan_to_num(shap[lv][0])))
    common = {"kpi": kpi, "unit": unit}
    rows: Rows = [
        {
            **common,
            "step": 0,
            "kind": "none",
            "lever": "",
            "name": "no lever",
            "start": 0.0,
            "end": num(base[0]),
            "value": num(base[0]),
            "ci_lo": num(base[1]),
            "ci_hi": num(base[2]),
            "alone": "",
            "interaction": "",
        }
    ]
    running = base[0]
    for j, lv in enumerate(order, 1):
        m, lo, hi = shap[lv]
        alone = att.alone[kpi][lv].to_dict()["mean"]
        rows.append(
            {
                **common,
                "step": j,
                "kind": "lever",
                "lever": lv,
                "name": names.get(lv, lv),
                "start": num(running),
                "end": num(running + m),
                "value": num(m),
                "ci_lo": num(lo),
                "ci_hi": num(hi),
                "alone": num(alone),
                "interaction": num(None if alone is None else m - alone),
            }
        )
        running += m
    rows.append(
        {
            **common,
            "step": len(order) + 1,
            "kind": "all",
            "lever": "",
            "name": "all levers",
            "start": 0.0,
            "end": num(full[0]),
            "value": num(full[0]),
            "ci_lo": num(full[1]),
            "ci_hi": num(full[2]),
            "alone": "",
            "interaction": "",
        }
    )
    return rows


@styled
def waterfall(att: Attribution, kpi: str = "approval_workdays") -> Figure:
    """Which lever bought how much: a waterfall from the value with no lever through each lever's Shapley
    value to the value with every lever, 95 % confidence intervals as error bars."""
    rows = waterfall_data(att, kpi)
    units = UNIT_LABEL.get(KPIS[kpi][0], KPIS[kpi][0])
    k = len(rows) - 2
    fig = Figure(figsize=(max(8.0, 1.35 * (k + 2) + 3), 6.2), layout="constrained")
    ax = fig.add_subplot()
    ticks = []
    for j, row in enumerate(rows):
        total = row["kind"] != "lever"
        start, end = (0.0, row["end"]) if total else (row["start"], row["end"])
        colour = "#7f7f7f" if total else ("#1a9850" if end <= start else "#d73027")
        ax.bar(j, end - start, bottom=start, color=colour, width=0.62, gid=f"waterfall:{row['kind']}")
        if row["ci_lo"] != "" and row["ci_hi"] != "" and row["value"] != "":
            ax.errorbar(
                j,
                end,
                yerr=[[row["value"] - row["ci_lo"]], [row["ci_hi"] - row["value"]]],
                color="black",
                capsize=4,
                linewidth=1,
            )
        value = row["value"] if row["value"] != "" else math.nan
        ax.annotate(
            f"{value:.1f}" if total else signed(value),
            (j - 0.31, max(start, end)),
            xytext=(1, 3),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=8.5,
            fontweight="bold",
        )
        if j < len(rows) - 1:
            ax.plot([j + 0.31, j + 0.69], [end, end], color="#999999", linewidth=0.8, linestyle=":")
        name = label(row["name"], fallback=row["lever"] or row["name"])
        alone_text = f"\nalone {signed(row['alone'])}" if row["kind"] == "lever" and row["alone"] != "" else ""
        ticks.append(textwrap.fill(name, 16) + alone_text)
    ax.set_xticks(range(len(rows)), ticks, fontsize=8)
    steps = [row["value"] for row in rows if row["kind"] == "lever" and row["value"] != ""]
    ax.legend(
        handles=[
            Patch(color=c, label=t)
            for c, t, used in (
                ("#1a9850", "lever reduces it", any(v <= 0 for v in steps)),
                ("#d73027", "lever increases it", any(v > 0 for v in steps)),
                ("#7f7f7f", "no lever / all levers", True),
            )
            if used
        ],
        loc="upper right",
    )
    ax.set_ylabel(f"{capital(KPI_SHORT.get(kpi, kpi))}, mean per project ({units})")
    ax.set_xlabel("reform levers, largest effect first")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.grid(axis="y", alpha=0.3)
    levers = [row for row in rows if row["kind"] == "lever"]
    alone = [row["alone"] for row in levers if row["alone"] != ""]
    total = rows[-1]["value"] - rows[0]["value"] if rows[-1]["value"] != "" and rows[0]["value"] != "" else math.nan
    inter = (
        f" Each lever switched on alone ('alone' under its name) would add up to {signed(sum(alone))}; "
        f"interactions between levers account for {signed(total - sum(alone))} {units}."
        if len(alone) == len(levers)
        else ""
    )
    method = "all lever subsets" if att.exact else f"{att.orders} sampled orders"
    sub = (
        f"Shapley value of each lever: its effect averaged over every order of switching the levers on "
        f"({method}, {att.n} replications, seed {att.seed}); the bars add up from no lever to all levers "
        f"({signed(total)} {units}). Error bars: 95 % confidence intervals." + inter
    )
    fig.suptitle(f"Which lever bought how much: {KPI_TEXT.get(kpi, kpi)}", fontsize=12)
    ax.set_title(textwrap.fill(sub, int(fig.get_figwidth() * 15)), fontsize=8, fontweight="normal", loc="left")
    return fig


# -- 5. agency load ----------------------------------------------------------------------------------------
def agency_load_data(cmp: Comparison) -> Rows:
    """Weekly utilisation (share of staff working time) and queue (files waiting, time-weighted mean) per
    agency and scenario: mean and 95 % band across replications; agencies that never had work are left out."""
    ids = list(dict.fromkeys(a.id for sc in cmp.scenarios for a in sc.agencies))
    rows: Rows = []
    for a in ids:
        bands = {}
        for i, summ in enumerate(cmp.summaries):
            for measure in ("utilisation", "queue"):
                acc = summ.series.get(f"agencies.{a}.{measure}")
                if acc is not None and acc.n is not None:
                    bands[i, measure] = acc.band()
        if not any(np.nanmax(np.r_[b[0], 0.0]) > 0 for b in bands.values()):
            continue
        for (i, measure), (m, lo, hi) in bands.items():
            sc = cmp.scenarios[i]
            rows += [
                {
                    "scenario": sc.name,
                    "scenario_index": i,
                    "agency": a,
                    "measure": measure,
                    "unit": "share" if measure == "utilisation" else "files",
                    "week_start": stamp(sc.start_date, w * BIN_DAYS)[:10],
                    "day": num(w * BIN_DAYS),
                    "mean": num(m[w]),
                    "lo": num(lo[w]),
                    "hi": num(hi[w]),
                }
                for w in range(len(m))
            ]
    return rows


@styled
def agency_load(cmp: Comparison) -> Figure:
    """Utilisation and queue of each agency that had work, week by week, one line per scenario with its
    95 % band across replications."""
    rows = agency_load_data(cmp)
    names = scenario_labels(cmp)
    agencies = list(dict.fromkeys(row["agency"] for row in rows))
    fig = Figure(figsize=(13, 1.2 + 1.75 * max(1, len(agencies))), layout="constrained")
    axes = fig.subplots(max(1, len(agencies)), 2, sharex=True, squeeze=False)
    agency_name = {agency.id: agency.name for sc in cmp.scenarios for agency in sc.agencies}
    for panels, agency in zip(axes, agencies):
        for col, measure in enumerate(("utilisation", "queue")):
            ax = panels[col]
            for i in range(len(cmp.scenarios)):
                pts = [
                    row
                    for row in rows
                    if row["agency"] == agency and row["measure"] == measure and row["scenario_index"] == i
                ]
                if not pts:
                    continue
                sc = cmp.scenarios[i]
                days, m, lo, hi = arrays(pts, ("day", "mean", "lo", "hi"))
                x = date_num(sc.start_date, days + BIN_DAYS / 2)
                ax.plot(x, m, color=scenario_colour(i), linewidth=1.1, label=names[i])
                ax.fill_between(x, lo, hi, color=scenario_colour(i), alpha=0.2, linewidth=0)
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
            if measure == "utilisation":
                ax.set_ylim(0, 1.05)
                ax.set_ylabel("utilisation (share)")
                ax.set_title(
                    f"{label(agency_name.get(agency, agency), fallback=agency)} ({agency})", loc="left", fontsize=9
                )
            else:
                ax.set_ylabel("queue (files)")
    busy = [row["day"] for row in rows if row["mean"] not in ("", 0.0)]
    if busy:
        sc0 = cmp.scenarios[0]
        axes[-1][0].set_xlim(
            date_num(sc0.start_date, min(busy) - 2 * BIN_DAYS), date_num(sc0.start_date, max(busy) + 4 * BIN_DAYS)
        )
    for ax in axes[-1]:
        date_axis(ax)
        ax.set_xlabel("Date (weekly means)")
    if agencies:
        axes[0][1].legend(loc="upper right")
    fig.suptitle(
        "Agency load: share of staff working time used (left) and files waiting for a reviewer "
        "(right, time-weighted)\nweekly mean over replications, band = 95 % confidence interval",
        fontsize=11,
    )
    return fig


# -- 6. zone view ------------------------------------------------------------------------------------------
def zone_view_data(cmp: Comparison) -> Rows:
    """Cumulative counted projects at construction start and production by the end of each week: mean and
    95 % band across replications."""
    rows: Rows = []
    for i, (sc, summ) in enumerate(zip(cmp.scenarios, cmp.summaries)):
        for m in SERIES_MILESTONES:
            acc = summ.series.get(f"milestones.{m}")
            if acc is None or acc.n is None:
                continue
            mean, lo, hi = acc.band()
            rows += [
                {
                    "scenario": sc.name,
                    "scenario_index": i,
                    "milestone": m,
                    "unit": "projects",
                    "date": stamp(sc.start_date, (w + 1) * BIN_DAYS)[:10],
                    "day": num((w + 1) * BIN_DAYS),
                    "mean": num(mean[w]),
                    "lo": num(lo[w]),
                    "hi": num(hi[w]),
                }
                for w in range(len(mean))
            ]
    return rows


@styled
def zone_view(cmp: Comparison) -> Figure:
    """Cumulative projects reaching construction start and production over the calendar, per scenario, with
    the 95 % band across replications."""
    rows = zone_view_data(cmp)
    names = scenario_labels(cmp)
    fig = Figure(figsize=(11, 7.5), layout="constrained")
    axes = fig.subplots(2, 1, sharex=True, sharey=True)
    for ax, m in zip(axes, SERIES_MILESTONES):
        for i, (sc, summ) in enumerate(zip(cmp.scenarios, cmp.summaries)):
            pts = [row for row in rows if row["scenario_index"] == i and row["milestone"] == m]
            if not pts:
                continue
            days, mean, lo, hi = arrays(pts, ("day", "mean", "lo", "hi"))
            x = date_num(sc.start_date, days)
            ax.plot(x, mean, color=scenario_colour(i), linewidth=2, label=names[i], gid=f"zone:{i}:{m}")
            ax.fill_between(x, lo, hi, color=scenario_colour(i), alpha=0.2, linewidth=0)
            if summ.reps:
                ax.axhline(
                    summ.counts.get("projects", 0) / summ.reps, color=scenario_colour(i), linewidth=0.8, linestyle=":"
                )
        ax.set_title(f"Projects that reached {MILESTONE_LABEL[m]}", loc="left")
        ax.set_ylabel("projects (cumulative count)")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", title="mean; band = 95 % CI; dotted = projects signed")
    date_axis(axes[-1])
    axes[-1].set_xlabel("Date")
    fig.suptitle("The zone's view: when signed projects start building and start producing", fontsize=12)
    return fig


# -- output ------------------------------------------------------------------------------------------------
def save(fig: Figure, rows: Rows, out_dir: str | Path, name: str) -> list[Path]:
    """Write ``name``.png (150 dpi), ``name``.svg and ``name``.csv (``rows``) into ``out_dir``, each
    atomically (temporary file in the folder, then ``os.replace``).  Returns the three paths."""
    import matplotlib

    out = Path(out_dir)
    paths = []
    with matplotlib.rc_context({"svg.hashsalt": "approval-sim"}):
        paths.append(
            atomic_write(
                out / f"{name}.png", lambda f: fig.savefig(f, format="png", dpi=150, metadata={"Software": None})
            )
        )
        paths.append(atomic_write(out / f"{name}.svg", lambda f: fig.savefig(f, format="svg", metadata={"Date": None})))
    paths.append(atomic_write(out / f"{name}.csv", lambda f: write_csv(f, rows), binary=False))
    return paths


def all_figures(cmp: Comparison, att: Attribution | None = None) -> dict[str, tuple[Figure, Rows]]:
    """Every figure with its data: timeline, distributions, time_split, agency_load, zone_view and, given an
    attribution, waterfall (approval time) and waterfall_production (signing to production)."""
    out = {
        name: (fig_fn(cmp), data_fn(cmp))
        for name, fig_fn, data_fn in (
            ("timeline", timeline, timeline_data),
            ("distributions", distributions, distributions_data),
            ("time_split", time_split, time_split_data),
            ("agency_load", agency_load, agency_load_data),
            ("zone_view", zone_view, zone_view_data),
        )
    }
    if att is not None:
        for name, kpi in (("waterfall", "approval_workdays"), ("waterfall_production", "to_production_months")):
            if kpi in att.base:
                out[name] = (waterfall(att, kpi), waterfall_data(att, kpi))
    return out
