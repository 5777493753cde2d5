"""Where the approval time goes: the critical path's working days by kind of time and by phase, adding up to the
mean approval time; the work summed over all stages; construction in calendar days.

Stages run in parallel, so the working days summed over every stage are more than the approval time a project
waits.  The main panels follow each project's critical path instead (:mod:`sim.runs.critical_path`): its
working days add up to the project's approval time, so each bar's total is the mean ``approval_workdays`` of
the KPIs.  The summed view is kept, titled as what it is.

See :mod:`sim.present.plots` for the conventions every figure follows.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes

from sim.analysis.compare import Comparison
from sim.present.colours import CATEGORIES, CATEGORY_COLOUR, CATEGORY_LABEL, PHASE_COLOURS, scenario_colour
from sim.present.figure import Figure
from sim.present.fonts import styled
from sim.present.labels import capital, iter_phases, phase_labels, scenario_labels
from sim.present.rows import Rows, num
from sim.runs.critical_path import PATH_CATEGORIES

#: a segment narrower than this share of its panel's width is not listed in the legend (it would not be seen)
VISIBLE_SHARE = 0.004
#: the panels of the data rows: what each one sums
PANELS = {
    "critical_path": "working days on the critical path by kind of time (they add up to the approval time)",
    "critical_path_phase": "working days on the critical path by phase (they add up to the approval time)",
    "all_stages": "working days summed over all stages by kind of time (parallel stages add up)",
    "construction": "calendar days of construction, summed over the construction stages",
    "approval_time": "the mean approval time of the KPIs (approval_workdays)",
}


def time_split_data(cmp: Comparison) -> Rows:
    """Mean time per project of each scenario, one row per (panel, key): the critical path by category
    (``critical_path``) and by phase (``critical_path_phase``), each adding up to the mean approval time (also
    given, ``approval_time``); working days summed over all stages by category (``all_stages``); construction
    in calendar days (``construction``)."""
    rows: Rows = []
    for i, (sc, summ) in enumerate(zip(cmp.scenarios, cmp.summaries)):
        base = {"scenario": sc.name, "scenario_index": i}
        path = summ.approval_path()
        split = summ.phase_split()
        phases = list(iter_phases(sc.stages))
        text = phase_labels(phases)

        out: list[tuple[str, str, str, str, float]] = [
            ("approval_time", "approval_workdays", "approval time", "workday", summ.kpis["approval_workdays"].mean)
        ]
        for k in PATH_CATEGORIES:
            if k != "build" or any(c == k for _, c in path):
                out.append(("critical_path", k, CATEGORY_LABEL[k], "workday", _sum(path, k)))
        phase_of = {st.id: st.phase or "(no phase)" for st in sc.stages}
        for ph in phases:
            days = sum(v for (s, _), v in path.items() if phase_of[s] == ph)
            out.append(("critical_path_phase", ph, text[ph], "workday", days))
        for k, lab, _ in CATEGORIES:
            if k not in ("build", "wait"):
                out.append(("all_stages", k, lab, "workday", _sum(split, k)))
        out.append(("construction", "build", CATEGORY_LABEL["build"], "day", _sum(split, "build")))
        rows += [
            {**base, "panel": panel, "key": key, "label": label, "unit": unit, "mean": num(mean)}
            for panel, key, label, unit, mean in out
        ]
    return rows


def _sum(split: dict[tuple[str, str], float], category: str) -> float:
    """The total of ``category`` in a split keyed by (stage or phase, category)."""
    return sum(v for (_, c), v in split.items() if c == category)


def _values(rows: Rows, panel: str, key: str, n: int) -> np.ndarray:
    """The means of (``panel``, ``key``) of each of ``n`` scenarios (0 where missing)."""
    out = np.zeros(n)
    for row in rows:
        if row["panel"] == panel and row["key"] == key and row["mean"] != "":
            out[row["scenario_index"]] = row["mean"]
    return out


def _total(rows: Rows, panel: str, n: int) -> np.ndarray:
    """Each scenario's sum over the keys of ``panel``."""
    out = np.zeros(n)
    for row in rows:
        if row["panel"] == panel and row["mean"] != "":
            out[row["scenario_index"]] += row["mean"]
    return out


def _headline(approval: float) -> str:
    """A bar's total: the mean approval time of the KPIs."""
    return "permit not reached" if approval != approval else f"{approval:.1f} working days\n = mean approval time"


def _stacked(
    ax: Axes, rows: Rows, panel: str, keys: Sequence[str], colours: dict[str, str], names: dict[str, str], n: int
) -> dict[str, float]:
    """Stacked horizontal bars of ``panel``, one per scenario, a segment per key (its value written in it
    when it is wide enough).  Returns each key's widest segment as a share of the panel's width."""
    left = np.zeros(n)
    drawn = {}
    for k in keys:
        vals = _values(rows, panel, k, n)
        if not vals.any():
            continue
        ax.barh(
            range(n),
            vals,
            left=left,
            color=colours[k],
            label=names[k],
            edgecolor="white",
            linewidth=0.5,
            gid=f"{panel}:{k}",
        )
        drawn[k] = vals
        left = left + vals
    width = max(float(left.max()), 1e-9) * 1.3
    ax.set_xlim(0, width)
    start = np.zeros(n)
    for vals in drawn.values():
        for i, v in enumerate(vals):
            if v / width >= 0.045:
                ax.text(start[i] + v / 2, i, f"{v:.0f}", ha="center", va="center", fontsize=7.5, color="#222222")
        start = start + vals
    return {k: float(vals.max()) / width for k, vals in drawn.items()}


def _scenario_ticks(ax: Axes, names: list[str], shown: bool = True) -> None:
    n = len(names)
    ax.set_yticks(range(n), names if shown else [""] * n)
    ax.invert_yaxis()
    for tl, i in zip(ax.get_yticklabels(), range(n)):
        tl.set_color(scenario_colour(i))


def _legend(ax: Axes, handles: dict[str, Artist], hidden: list[str], title: str) -> None:
    """A legend in ``ax`` (an empty panel beside the bars) of the visible keys; the others named below it."""
    ax.axis("off")
    if handles:
        labels = [textwrap.fill(text, 40, break_on_hyphens=False) for text in handles]
        ax.legend(handles=list(handles.values()), labels=labels, loc="upper left", fontsize=7.5, title=title)
    if hidden:
        text = "Too small to see, not listed:\n" + "\n".join(hidden)
        ax.text(0.0, 0.0, text, fontsize=7, va="bottom", color="#555555")


@styled
def time_split(cmp: Comparison) -> Figure:
    """Where the approval time goes: per scenario, the mean working days on the critical path by kind of time
    and by phase (each bar adds up to the mean approval time, written at its end), then the working days
    summed over all stages (parallel stages add up: more than the approval time) and construction in
    calendar days.  A legend lists only what can be seen; smaller parts are named under it."""
    from matplotlib.patches import Patch

    rows = time_split_data(cmp)
    names = scenario_labels(cmp)
    n = len(cmp.scenarios)
    fig = Figure(figsize=(13, 4.2 + 2.0 * n), layout="constrained")
    grid = fig.add_gridspec(3, 2, width_ratios=(3.2, 1))
    ax_path, ax_phase, ax_all = (fig.add_subplot(grid[r, 0]) for r in range(3))
    leg_cat, leg_phase, ax_build = (fig.add_subplot(grid[r, 1]) for r in range(3))
    category_colour = {k: CATEGORY_COLOUR[k] for k in PATH_CATEGORIES}
    category_name = {k: capital(CATEGORY_LABEL[k]) for k in PATH_CATEGORIES}
    keys = list(PATH_CATEGORIES)
    seen = _stacked(ax_path, rows, "critical_path", keys, category_colour, category_name, n)
    summed = _stacked(ax_all, rows, "all_stages", keys, category_colour, category_name, n)
    phases = list(dict.fromkeys(row["key"] for row in rows if row["panel"] == "critical_path_phase"))
    phase_colour = {ph: PHASE_COLOURS[j % len(PHASE_COLOURS)] for j, ph in enumerate(phases)}
    phase_name = {row["key"]: row["label"] for row in rows if row["panel"] == "critical_path_phase"}
    seen_phase = _stacked(ax_phase, rows, "critical_path_phase", phases, phase_colour, phase_name, n)
    approval = _values(rows, "approval_time", "approval_workdays", n)
    for ax, panel in ((ax_path, "critical_path"), (ax_phase, "critical_path_phase"), (ax_all, "all_stages")):
        total = _total(rows, panel, n)
        for i in range(n):
            text = f"{total[i]:.0f}" if panel == "all_stages" else _headline(approval[i])
            ax.text(
                total[i],
                i,
                f" {text}",
                va="center",
                fontsize=8,
                fontweight="normal" if panel == "all_stages" else "bold",
            )
    visible = {k for k in keys if max(seen.get(k, 0.0), summed.get(k, 0.0)) >= VISIBLE_SHARE}
    _legend(
        leg_cat,
        {category_name[k]: Patch(color=category_colour[k]) for k in keys if k in visible},
        [
            f"{category_name[k]}: "
            + " / ".join(f"{v:.2f}" for v in _values(rows, "critical_path", k, n))
            + " working days"
            for k in keys
            if k in seen and k not in visible
        ],
        "Kind of time",
    )
    _legend(
        leg_phase,
        {phase_name[ph]: Patch(color=phase_colour[ph]) for ph in phases if seen_phase.get(ph, 0) >= VISIBLE_SHARE},
        [
            f"{phase_name[ph]}: " + " / ".join(f"{v:.2f}" for v in _values(rows, "critical_path_phase", ph, n))
            for ph in phases
            if ph in seen_phase and seen_phase[ph] < VISIBLE_SHARE
        ],
        "Phase",
    )
    build = _values(rows, "construction", "build", n)
    ax_build.barh(range(n), build, color=[scenario_colour(i) for i in range(n)], alpha=0.85)
    for i, v in enumerate(build):
        ax_build.text(v, i, f" {v:.0f}", va="center", fontsize=8)
    ax_build.set_xlim(0, max(float(build.max()), 1) * 1.3)
    for ax in (ax_path, ax_phase, ax_all, ax_build):
        _scenario_ticks(ax, names, shown=ax is not ax_build)
    ax_path.set_title("Approval time on the critical path, by kind of time", loc="left")
    ax_path.set_xlabel("working days per project (first application to construction permit; the bar is the mean)")
    ax_phase.set_title("Approval time on the critical path, by phase", loc="left")
    ax_phase.set_xlabel("working days per project (first application to construction permit)")
    ax_all.set_title("Work summed over all stages: parallel stages add up, so more than the approval time", loc="left")
    ax_all.set_xlabel("working days per project, summed over every approval and acceptance stage")
    ax_build.set_title("Construction", loc="left")
    ax_build.set_xlabel("calendar days per project")
    fig.suptitle(
        "Where the approval time goes: mean per project\nThe critical path is the chain of stages that decided "
        "last, so its working days add up to the approval time",
        fontsize=12,
    )
    return fig
