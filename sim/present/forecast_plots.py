"""The figures of a forecast: every open file's forecast dates on one date axis, and each agency's backlog clearing.

Both take one forecast or several of the same backlog (what-ifs: the first is the reference) and have a data
twin (``*_data``) whose rows are what was plotted, written beside the picture by :func:`sim.present.plots.save`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.analysis.forecast_result import (
    Forecast,
    clearance_table,
    deadline,
    missed_any,
    next_decision,
    pending,
    quantiles,
)
from sim.present.axes import date_axis, date_num, legend
from sim.present.colours import scenario_colour
from sim.present.figure import Figure
from sim.present.fonts import styled
from sim.present.labels import label, shorten
from sim.present.rows import Rows

#: most files drawn in the forecast figure (the earliest construction permits first)
MAX_FILES = 80
#: the colours of the next decision by its chance of missing a statutory limit: below 10 %, below 50 %, else
RISK = (("#7f7f7f", 0.1, "< 10 %"), ("#ff7f0e", 0.5, "10-50 %"), ("#d62728", math.inf, ">= 50 %"))


def _many(forecasts: Forecast | Sequence[Forecast]) -> Sequence[Forecast]:
    """One forecast or several, as a sequence (the first the reference)."""
    return [forecasts] if isinstance(forecasts, Forecast) else forecasts


def scenario_names(forecasts: Sequence[Forecast]) -> list[str]:
    """The scenarios' names as the figures show them; a name that repeats gets its number ("name (2)")."""
    names = [shorten(label(fc.scenario.name, f"scenario {i + 1}"), 48) for i, fc in enumerate(forecasts)]
    return [n if names.count(n) == 1 else f"{n} ({i + 1})" for i, n in enumerate(names)]


def _risk_colour(p: float) -> str:
    if p != p:
        return RISK[0][0]
    return next(c for c, top, _ in RISK if p < top)


def forecast_data(forecasts: Forecast | Sequence[Forecast]) -> Rows:
    """One row per scenario and open file: p10/p50/p90 of its next decision, construction permit and production
    (clock times, calendar days since the reference scenario's start date), the statutory deadline of its stage
    under way and its chance of missing a statutory limit."""
    forecasts = _many(forecasts)
    rows: Rows = []
    ref = forecasts[0]
    for i, fc in enumerate(forecasts):
        shift = (fc.scenario.start_date - ref.scenario.start_date).days
        for j, p in enumerate(fc.backlog.projects):
            nxt, permit, prod = (quantiles(v) for v in (next_decision(fc, j), fc.permit[:, j], fc.production[:, j]))
            due = min((deadline(fc, j, s.stage) for s in p.stages), default=math.nan, key=lambda t: (t != t, t))
            row: dict[str, object] = {
                "scenario": fc.scenario.name,
                "scenario_index": i,
                "project": p.id,
                "class": p.cls,
            }
            for name, q in (("next", nxt), ("permit", permit), ("production", prod)):
                for level, t in zip(("p10", "p50", "p90"), q):
                    row[f"{name}_{level}"] = _cell(t + shift)
            row["deadline"] = _cell(due + shift)
            row["p_miss_limit"] = _cell(missed_any(fc, j, pending(fc, j)))
            rows.append(row)
    return rows


def _cell(x: float) -> float | str:
    """A CSV cell: rounded, empty for NaN, ``inf`` past the horizon (and ``-inf`` reached before, date unknown)."""
    if x != x:
        return ""
    return x if math.isinf(x) else round(float(x), 4)


def _num(x: object) -> float:
    return math.nan if x == "" else float(x)  # type: ignore[arg-type]


@styled
def forecast_figure(forecasts: Forecast | Sequence[Forecast]) -> Figure:
    """One row per open file (earliest median construction permit on top): its next decision as a thin line
    from p10 to p90, coloured by its chance of missing a statutory limit, with the deadline of its stage under
    way marked; its construction permit as a thick bar (p10-p90, median tick) and production as a light one;
    today marked.  What-ifs: one bar per scenario, in the scenario's colour."""
    forecasts = _many(forecasts)
    rows = forecast_data(forecasts)
    ref = forecasts[0]
    start = ref.scenario.start_date
    by_file: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        by_file.setdefault(str(row["project"]), []).append(row)
    order = sorted(by_file, key=lambda pid: (_key(_num(by_file[pid][0]["permit_p50"])), pid))[:MAX_FILES]
    k = len(forecasts)
    height = 3.2 + 0.3 * k + 0.32 * len(order) * (1 + 0.45 * (k - 1))
    fig = Figure(figsize=(12, height), layout="constrained")
    ax = fig.add_subplot()
    step = 0.8 / k
    lo, hi = math.inf, -math.inf
    for y, pid in enumerate(order):
        for row in by_file[pid]:
            i = int(row["scenario_index"])  # type: ignore[call-overload]
            yy = y - 0.4 + step * (i + 0.5)
            colour = scenario_colour(i)
            n10, n50, n90 = (_num(row[f"next_{q}"]) for q in ("p10", "p50", "p90"))
            if math.isfinite(n10):
                risk = _risk_colour(_num(row["p_miss_limit"]))
                ax.plot(
                    date_num(start, np.array([n10, n90 if math.isfinite(n90) else ref.horizon])),
                    [yy, yy],
                    color=risk,
                    lw=1.2,
                    solid_capstyle="butt",
                )
                ax.plot(date_num(start, n50), yy, "o", ms=3.5, color=risk) if math.isfinite(n50) else None
                lo = min(lo, n10)
            due = _num(row["deadline"])
            if math.isfinite(due):
                ax.plot(date_num(start, due), yy, marker="|", ms=11, mew=2, color="#d62728")
            for name, alpha, width in (("production", 0.3, 0.55), ("permit", 0.9, 0.55)):
                a, m, b = (_num(row[f"{name}_{q}"]) for q in ("p10", "p50", "p90"))
                if not math.isfinite(a):
                    continue
                b = b if math.isfinite(b) else ref.horizon
                ax.barh(yy, b - a, left=date_num(start, a), height=step * width, color=colour, alpha=alpha, lw=0)
                if math.isfinite(m):
                    ax.plot([date_num(start, m)] * 2, [yy - step * 0.3, yy + step * 0.3], color="white", lw=1.5)
                lo, hi = min(lo, a), max(hi, b)
    today = date_num(start, ref.at)
    ax.axvline(today, color="black", lw=1, ls="--")
    ax.text(today, -0.9, label(f" 今天 as of {ref.as_of}", f" as of {ref.as_of}"), fontsize=8, va="bottom")
    ax.set_yticks(range(len(order)), [label(shorten(f"{pid} ({by_file[pid][0]['class']})", 30)) for pid in order])
    ax.set_ylim(len(order) - 0.5, -1.0)
    if math.isfinite(lo):
        span = max(hi, ref.at + 30) - min(lo, ref.at)
        ax.set_xlim(date_num(start, min(lo, ref.at)) - 0.02 * span, date_num(start, max(hi, ref.at)) + 0.02 * span)
    date_axis(ax)
    ax.set_xlabel(label("日期 Date", "Date"))
    ax.grid(axis="x", alpha=0.3)
    _legend(fig, forecasts)
    fig.suptitle(_headline(forecasts, rows, len(order) < len(by_file)), fontsize=11)
    return fig


def _key(t: float) -> float:
    return math.inf if t != t else t


def _headline(forecasts: Sequence[Forecast], rows: Rows, cut: bool) -> str:
    ref = forecasts[0]
    parts = []
    names = scenario_names(forecasts)
    for i, fc in enumerate(forecasts):
        mine = [r for r in rows if r["scenario_index"] == i]
        permits = [_num(r["permit_p50"]) for r in mine]
        pending_permits = [t for t in permits if math.isfinite(t) and t >= fc.at]
        late = sum(1 for r in mine if r["p_miss_limit"] != "" and _num(r["p_miss_limit"]) >= 0.5)
        median = np.median(pending_permits) if pending_permits else math.nan
        when = (ref.scenario.start_date.toordinal() + median) if median == median else None
        date = "" if when is None else f"median construction permit {_date(int(when))}; "
        parts.append(f"{names[i]}: {date}{late} of {len(mine)} likely (>= 50 %) to miss a statutory limit")
    head = f"{len(ref.backlog)} open files as of {ref.as_of} ({ref.n} replications)"
    note = f"; the {MAX_FILES} earliest shown" if cut else ""
    return head + note + "\n" + "\n".join(parts)


def _date(ordinal: int) -> str:
    import datetime as dt

    return dt.date.fromordinal(ordinal).isoformat()


def _legend(fig: Figure, forecasts: Sequence[Forecast]) -> None:
    handles: list[object] = [
        Line2D([], [], color=c, lw=1.2, marker="o", ms=3.5, label=f"next decision p10-p90 (risk of a missed limit {t})")
        for c, _, t in RISK
    ]
    handles.append(
        Line2D(
            [], [], color="#d62728", marker="|", ms=11, mew=2, lw=0, label="statutory deadline of the stage under way"
        )
    )
    names = scenario_names(forecasts)
    for i in range(len(forecasts)):
        name = names[i] if len(forecasts) > 1 else ""
        handles.append(
            Patch(color=scenario_colour(i), alpha=0.9, label=f"construction permit p10-p90, median {name}".strip())
        )
        handles.append(Patch(color=scenario_colour(i), alpha=0.3, label=f"production p10-p90 {name}".strip()))
    handles.append(Line2D([], [], color="black", ls="--", label="as-of date"))
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=7)


def clearance_data(forecasts: Forecast | Sequence[Forecast]) -> Rows:
    """The clearance curves (:meth:`Forecast.clearance`) of each scenario, one row per agency and date."""
    rows: Rows = []
    for i, fc in enumerate(_many(forecasts)):
        for r in clearance_table(fc):
            rows.append({"scenario": fc.scenario.name, "scenario_index": i, **r})
    return rows


@styled
def clearance_figure(forecasts: Forecast | Sequence[Forecast]) -> Figure:
    """One panel per agency with backlog files and one for all files before their construction permit: how
    many of the backlog's files still wait for a decision there, date by date (median, p10-p90 band)."""
    forecasts = _many(forecasts)
    rows = clearance_data(forecasts)
    agencies = list(dict.fromkeys(str(r["agency"]) for r in rows))
    agencies = ["all", *[a for a in agencies if a != "all"]]
    cols = 3
    nrows = max(1, math.ceil(len(agencies) / cols))
    fig = Figure(figsize=(12, 1.2 + 2.3 * nrows), layout="constrained")
    axes = fig.subplots(nrows, cols, squeeze=False, sharex=True).ravel()
    ref = forecasts[0]
    names = scenario_names(forecasts)
    import datetime as dt

    from matplotlib.ticker import MaxNLocator

    busy = [dt.date.fromisoformat(str(r["date"])) for r in rows if int(r["p90"]) > 0]
    last = max(busy, default=ref.as_of)

    cleared: list[str] = []
    for ax, agency in zip(axes, agencies):
        for i in range(len(forecasts)):
            mine = [r for r in rows if r["agency"] == agency and r["scenario_index"] == i]
            if not mine:
                continue
            x = [date_num(dt.date.fromisoformat(str(r["date"])), 0.0) for r in mine]
            ax.fill_between(
                x,
                [int(r["p10"]) for r in mine],
                [int(r["p90"]) for r in mine],
                color=scenario_colour(i),
                alpha=0.2,
                lw=0,
                step="post",
            )
            ax.step(
                x,
                [int(r["p50"]) for r in mine],
                where="post",
                color=scenario_colour(i),
                lw=1.5,
                label=names[i],
            )
            if i == 0:
                done = next((r["date"] for r in mine if int(r["p50"]) == 0), None)
                if agency == "all" and done is not None:
                    cleared.append(str(done))
        name = next((str(r["name"]) for r in rows if r["agency"] == agency), agency)
        ax.set_title(label(shorten(name, 40), agency), fontsize=9, loc="left")
        ax.axvline(date_num(ref.scenario.start_date, ref.at), color="black", lw=0.8, ls="--")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(label("件 files", "files"), fontsize=8)
        ax.tick_params(labelbottom=True)
        date_axis(ax)
    span = max(30, (last - ref.as_of).days)
    axes[0].set_xlim(date_num(ref.as_of, -0.03 * span), date_num(last, 0.08 * span))
    for ax in axes[len(agencies) :]:
        ax.set_visible(False)
    if len(forecasts) > 1:
        legend(axes[0], fontsize=7)
    when = f": half the replications have every file past its construction permit by {cleared[0]}" if cleared else ""
    fig.suptitle(
        f"How the backlog of {len(ref.backlog)} files as of {ref.as_of} clears{when}\n"
        "backlog files still waiting for a decision at each agency: median line, p10-p90 band",
        fontsize=11,
    )
    return fig
