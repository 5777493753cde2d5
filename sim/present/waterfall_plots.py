"""Which lever bought how much: the Shapley values of a lever attribution as a waterfall.

See :mod:`sim.present.plots` for the conventions every figure follows.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
from matplotlib.patches import Patch

from sim.analysis.attribution import Attribution
from sim.core.kpi import KPIS
from sim.core.units import UNIT_LABEL
from sim.present.axes import legend
from sim.present.figure import Figure
from sim.present.fonts import styled
from sim.present.labels import KPI_SHORT, KPI_TEXT, capital, label, signed
from sim.present.rows import Rows, acc_stats, num


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
    legend(
        ax,
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
