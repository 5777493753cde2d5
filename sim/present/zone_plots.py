"""The zone's side: agency load week by week and the delivery curve of projects starting construction and production.

See :mod:`sim.present.plots` for the conventions every figure follows.
"""

from __future__ import annotations

import numpy as np

from sim.analysis.compare import Comparison
from sim.engine.monitor import BIN_DAYS
from sim.present.axes import date_axis, date_num, legend
from sim.present.colours import scenario_colour
from sim.present.figure import Figure
from sim.present.fonts import styled
from sim.present.labels import MILESTONE_LABEL, label, scenario_labels
from sim.present.rows import Rows, arrays, num, stamp
from sim.runs.reducer import SERIES_MILESTONES


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
        legend(axes[0][1], loc="upper right")
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
        legend(ax, loc="upper left", title="mean; band = 95 % CI; dotted = projects signed")
    date_axis(axes[-1])
    axes[-1].set_xlabel("Date")
    fig.suptitle("The zone's view: when signed projects start building and start producing", fontsize=12)
    return fig
