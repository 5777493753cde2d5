"""How the KPIs spread over projects (distributions) and where the time goes (time split by phase and category).

See :mod:`sim.present.plots` for the conventions every figure follows.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sim.analysis.compare import Comparison
from sim.core.kpi import KPIS
from sim.present.axes import draw_target, legend, targets_for
from sim.present.colours import CATEGORIES, CATEGORY_COLOUR, CATEGORY_LABEL, PHASE_COLOURS, scenario_colour
from sim.present.fonts import styled
from sim.present.labels import capital, iter_phases, phase_label, scenario_labels
from sim.present.rows import Rows, num


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
        legend(ax, loc="upper left", bbox_to_anchor=(0.0, -0.13), fontsize=8)
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
        legend(ax, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7.5)
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
