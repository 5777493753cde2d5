"""The timeline's drawing: a project's rows grouped by phase, a bar segment per step, decisions on the day of
application, shutdown windows on the construction rows, the milestones and the legend."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sim.present.axes import date_num
from sim.present.colours import CATEGORIES, CATEGORY_COLOUR, HOLDER_HATCH
from sim.present.labels import MILESTONE_LABEL, capital, iter_phases, label
from sim.present.rows import stamp

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

    from sim.analysis.compare import Comparison, TypicalProject
    from sim.scenario.scenario import Scenario

#: a row label's width in characters before it wraps (labels are wrapped, never cut)
ROW_LABEL_WIDTH = 46
#: the colour of a shutdown window on a construction row
SHUTDOWN_COLOUR = "#9ecae1"
#: the marker of a decision on the day of application
SAME_DAY_MARKER = "*"


def typical_index(cmp: Comparison, traced: Sequence[TypicalProject]) -> list[int]:
    """The scenario index of each traced project (the list skips scenarios that lack the project)."""
    out, j = [], 0
    for tp in traced:
        while j < len(cmp.scenarios) and cmp.scenarios[j].name != tp.scenario:
            j += 1
        out.append(j)
        j += 1
    return out


def wrapped(text: str, width: int = ROW_LABEL_WIDTH) -> str:
    """``text`` on as many lines of at most ``width`` characters as it needs (words are not cut)."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)) or text


def gantt_rows(sc: Scenario, visited: set[str], phase_text: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """Timeline rows (label, stage id) of the visited stages grouped by phase, in the order the phases first
    appear; a phase header has id None.  Labels are wrapped, not cut."""
    out: list[tuple[str, str | None]] = []
    for ph in iter_phases(sc.stages):
        stages = [s.id for s in sc.stages if (s.phase or "(no phase)") == ph and s.id in visited]
        if stages:
            out.append((wrapped(phase_text[ph]), None))
            out += [(wrapped(label(sc.stage_by_id[s].name, fallback=s)), s) for s in stages]
    return out


def row_height(ylines: Sequence[tuple[str, str | None]]) -> float:
    """The rows' height in lines of text (a wrapped label takes more than one)."""
    return sum(max(1.0, 0.75 * (text.count("\n") + 1)) for text, _ in ylines)


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
            zorder=2,
        )
    for s, x in ends.items():
        st = sc.stage_by_id[s]
        ax.annotate(
            st.agency or ("contractor" if st.build is not None else ""),
            (x, ypos[s]),
            xytext=(7, 0),
            textcoords="offset points",
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
    ax.set_ylim(len(ylines) - 0.4, -2.9)
    ax.tick_params(axis="y", length=0)
    return lo, hi


def draw_same_day(
    ax: Axes, sc: Scenario, decisions: Sequence[Mapping[str, Any]], ylines: list[tuple[str, str | None]]
) -> None:
    """A star at each decision made on the day of application, at the decision's time on its stage's row."""
    ypos = {s: k for k, (_, s) in enumerate(ylines) if s is not None}
    for row in decisions:
        if row["stage"] in ypos:
            ax.plot(
                date_num(sc.start_date, row["start_day"]),
                ypos[row["stage"]],
                marker=SAME_DAY_MARKER,
                markersize=9,
                color="black",
                linestyle="none",
                zorder=4,
                gid=f"same_day:{row['stage']}",
            )


def draw_shutdowns(
    ax: Axes, sc: Scenario, windows: Sequence[Mapping[str, Any]], ylines: list[tuple[str, str | None]]
) -> None:
    """Each shutdown window shaded on the row of the construction stage it stops: over the bar when the works
    stop, behind it when the project is exempt and builds through."""
    from matplotlib.patches import Rectangle

    ypos = {s: k for k, (_, s) in enumerate(ylines) if s is not None}
    for row in windows:
        if row["stage"] not in ypos:
            continue
        x0, x1 = date_num(sc.start_date, row["start_day"]), date_num(sc.start_date, row["end_day"])
        ax.add_patch(
            Rectangle(
                (x0, ypos[row["stage"]] - 0.45),
                x1 - x0,
                0.9,
                facecolor=SHUTDOWN_COLOUR,
                edgecolor="none",
                alpha=0.6 if row["note"] == "exempt" else 0.75,
                zorder=1 if row["note"] == "exempt" else 3,  # over the bar when the works stop
                gid=f"shutdown:{row['stage']}:{row['step']}:{row['start'][:10]}",
            )
        )


def draw_milestones(ax: Axes, sc: Scenario, milestones: Sequence[Mapping[str, Any]], colour: str) -> None:
    """Vertical lines for the milestones reached, labelled above the rows on two staggered levels; coinciding
    ones share a line and a label."""
    marks: list[tuple[float, list[str]]] = []
    for row in sorted((m for m in milestones if m["start_day"] != ""), key=lambda m: m["start_day"]):
        t = row["start_day"]
        if marks and abs(marks[-1][0] - t) < 1.0:
            marks[-1][1].append(MILESTONE_LABEL[row["step"]])
        else:
            marks.append((t, [MILESTONE_LABEL[row["step"]]]))
    for k, (t, texts) in enumerate(marks):
        x = date_num(sc.start_date, t)
        ax.axvline(x, color=colour, linestyle="--", linewidth=1, zorder=3)
        ax.text(
            x,
            -2.2 if k % 2 == 0 else -1.25,
            f" {capital(' = '.join(texts))} {stamp(sc.start_date, t)[:10]}",
            fontsize=7,
            va="center",
            ha="left",
            color=colour,
        )


def gantt_legend(used: set[str], same_day: bool, windows: Sequence[str]) -> list[Artist]:
    """Legend entries of the timeline: the categories used, the holders' hatching, the milestone line, the
    same-day star (if any) and the shutdown windows (their descriptions)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    out: list[Artist] = [Patch(color=c, label=capital(lab)) for k, lab, c in CATEGORIES if k in used]
    out += [
        Patch(facecolor="white", edgecolor="#444444", hatch=h, label=f"file held by the {who}")
        for who, h in HOLDER_HATCH.items()
    ]
    out.append(Line2D([], [], color="#333333", linestyle="--", label="milestone"))
    if same_day:
        out.append(
            Line2D(
                [],
                [],
                marker=SAME_DAY_MARKER,
                color="black",
                linestyle="none",
                label="decided on the day of application",
            )
        )
    out += [Patch(facecolor=SHUTDOWN_COLOUR, alpha=0.6, label=text) for text in windows]
    return out
