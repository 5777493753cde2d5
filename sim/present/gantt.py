"""The timeline's drawing: a typical project's rows grouped by phase, a bar segment per step, the milestones
and the legend."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sim.present.axes import date_num
from sim.present.colours import CATEGORIES, CATEGORY_COLOUR, HOLDER_HATCH, scenario_colour
from sim.present.labels import MILESTONE_LABEL, TIMELINE_MILESTONES, capital, iter_phases, label, phase_label, shorten
from sim.present.rows import stamp

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

    from sim.analysis.compare import Comparison, TypicalProject
    from sim.scenario.scenario import Scenario


def typical_index(cmp: Comparison) -> list[int]:
    """The scenario index of each typical project (the list skips scenarios that lack the project)."""
    out, j = [], 0
    for tp in cmp.typical:
        while j < len(cmp.scenarios) and cmp.scenarios[j].name != tp.scenario:
            j += 1
        out.append(j)
        j += 1
    return out


def draw_milestones(ax: Axes, sc: Scenario, typical: TypicalProject, i: int) -> None:
    """Vertical lines for the milestones; coinciding ones share a line and a label."""
    marks: list[tuple[float, list[str]]] = []
    for m in TIMELINE_MILESTONES:
        text = MILESTONE_LABEL[m]
        t = typical.milestones.get(m, math.nan)
        if t != t:
            continue
        if marks and abs(marks[-1][0] - t) < 1.0:
            marks[-1][1].append(text)
        else:
            marks.append((t, [text]))
    for t, texts in marks:
        x = date_num(sc.start_date, t)
        ax.axvline(x, color=scenario_colour(i), linestyle="--", linewidth=1)
        ax.text(
            x,
            -1.3,
            " " + capital(" = ".join(texts)) + f"\n {stamp(sc.start_date, t)[:10]}",
            fontsize=7,
            va="center",
            ha="left",
            color=scenario_colour(i),
        )


def gantt_rows(sc: Scenario, visited: set[str]) -> list[tuple[str, str | None]]:
    """Timeline rows (label, stage id) of the visited stages grouped by phase; a phase header has id None."""
    out: list[tuple[str, str | None]] = []
    for ph in iter_phases(sc.stages):
        stages = [s.id for s in sc.stages if (s.phase or "(no phase)") == ph and s.id in visited]
        if stages:
            out += [(phase_label(ph), None)] + [(shorten(label(sc.stage_by_id[s].name, fallback=s)), s) for s in stages]
    return out


def draw_gantt(
    ax: Axes, sc: Scenario, steps: Sequence[Mapping[str, Any]], ylines: list[tuple[str, str | None]]
) -> tuple[float, float]:
    """One scenario's timeline panel: a bar segment per step, the deciding agency at each row's end, phase
    headers in bold on a grey band.  Returns the date range drawn."""
    ypos = {s: k for k, (_, s) in enumerate(ylines) if s is not None}
    ends: dict[str, float] = {}
    lo, hi = math.inf, -math.inf
    for step in steps:
        x0, x1 = date_num(sc.start_date, step["start_day"]), date_num(sc.start_date, step["end_day"])
        lo, hi = min(lo, x0), max(hi, x1)
        ends[step["stage"]] = max(ends.get(step["stage"], -math.inf), x1)
        ax.barh(
            ypos[step["stage"]],
            x1 - x0,
            left=x0,
            height=0.62,
            color=CATEGORY_COLOUR.get(step["category"], "k"),
            hatch=HOLDER_HATCH.get(step["holder"]),
            edgecolor="#444444",
            linewidth=0,
            gid=f"step:{step['stage']}",
        )
    for s, x in ends.items():
        st = sc.stage_by_id[s]
        ax.text(
            x,
            ypos[s],
            f" {st.agency or ('contractor' if st.build is not None else '')}",
            va="center",
            fontsize=7,
            color="#333333",
        )
    header = [s is None for _, s in ylines]
    for k in (k for k, h in enumerate(header) if h):
        ax.axhline(k, color="#dddddd", linewidth=8, zorder=0)
    ax.set_yticks(range(len(ylines)), [t for t, _ in ylines], fontsize=7.5)
    for tl, is_header in zip(ax.get_yticklabels(), header):
        tl.set_fontweight("bold" if is_header else "normal")
    ax.set_ylim(len(ylines) - 0.4, -2.2)
    ax.tick_params(axis="y", length=0)
    return lo, hi


def gantt_legend(used: set[str]) -> list[Artist]:
    """Legend entries of the timeline: the categories used, the holders' hatching and the milestone line."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    out: list[Artist] = [Patch(color=c, label=capital(lab)) for k, lab, c in CATEGORIES if k in used]
    out += [
        Patch(facecolor="white", edgecolor="#444444", hatch=h, label=f"file held by the {who}")
        for who, h in HOLDER_HATCH.items()
    ]
    return out + [Line2D([], [], color="#333333", linestyle="--", label="milestone")]
