"""How the KPIs spread over projects: distributions of approval time and time to production, with the targets.

See :mod:`sim.present.plots` for the conventions every figure follows.
"""

from __future__ import annotations

import numpy as np

from sim.analysis.compare import Comparison
from sim.core.kpi import KPIS
from sim.present.axes import draw_target, legend, targets_for
from sim.present.colours import scenario_colour
from sim.present.figure import Figure
from sim.present.fonts import styled
from sim.present.labels import scenario_labels
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
