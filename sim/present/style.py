"""Shared look of the figures in :mod:`sim.plots`: fonts, labels, colours, units, dates and atomic writes.

Labels are English; Chinese (lever, stage, agency and phase names are "中文 English" strings in the
scenarios) is kept only when an installed font covers it (:func:`cjk_font`).  Without one, CJK
characters are stripped (:func:`strip_cjk`) so matplotlib never draws a missing glyph.

:func:`styled` builds every figure, and checks every text of it last (:func:`make_drawable`): what the
fonts cannot draw is left out, or, when nothing readable would be left (an id that is Chinese only, and no
Chinese font), written as code points (``\\u89c4\\u5212``); a dollar sign is never taken for mathtext.
So no figure warns of a missing glyph, whatever the names in the scenario.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

import matplotlib
import matplotlib.dates as mdates
import numpy as np
from matplotlib import font_manager

from sim.core.kpi import MILESTONES

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

    from sim.analysis.compare import Comparison, TypicalProject
    from sim.runs.stats import Accumulator
    from sim.scenario.scenario import Scenario, Stage
    from sim.scenario.targets import Target

#: sample text a CJK font must render
CJK_SAMPLE = "蓝图管控容缺受理区域评估代办服务"
#: preferred CJK families, best first (any other installed font covering the sample is the last resort)
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK JP",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Sarasa Gothic SC",
    "AR PL UMing CN",
    "SimSun",
)
BASE_FONT = "DejaVu Sans"

_CJK = re.compile(
    "[\u2e80-\u2fff\u3000-\u303f\u3040-\u31ff\u3200-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]+"
)
_SEP = r"\s+/,;:·&|\-–—"
_EMPTY_BRACKETS = re.compile(rf"[(\[{{][{_SEP}]*[)\]}}]")
_EDGE_SEP = re.compile(rf"^[{_SEP}]+|[{_SEP}]+$")
_REPEATED_SEP = re.compile(r"\s*([+/,;&|])(?:\s*[+/,;&|])+\s*")

#: the four national phases of 国办发〔2019〕11号, for phase names that are Chinese only
PHASE_GLOSSARY = {
    "立项用地规划许可": "Project approval and land-use planning",
    "工程建设许可": "Engineering construction permit",
    "施工许可": "Construction permit",
    "竣工验收": "Completion acceptance",
}

#: one colour per scenario, by position in the comparison (the reference first)
SCENARIO_COLOURS = ("#4d4d4d", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
#: time categories of the figures: (key, label, colour); keys are the record categories of sim.engine.records.SPLIT
CATEGORIES = (
    ("prepare", "preparing the file", "#fdd49e"),
    ("queue", "queueing", "#d7301f"),
    ("review", "review", "#2b8cbe"),
    ("sitting", "waiting for a sitting", "#8c6bb1"),
    ("rework", "rework after a rejection", "#fc8d59"),
    ("supplement", "supplementing (tolerant acceptance)", "#c7b300"),
    ("lag", "lag (listing, fixed waits)", "#a6a6a6"),
    ("build", "construction", "#74c476"),
)
CATEGORY_LABEL = {k: lab for k, lab, _ in CATEGORIES}
CATEGORY_COLOUR = {k: c for k, _, c in CATEGORIES}
#: event-log step -> category, as the records count it (the agent's own effort is preparation; waiting for a
#: free agent is queueing; a pre-consultation is counted as review time of the stage)
STEP_CATEGORY = {
    "prepare": "prepare",
    "agent": "prepare",
    "agent_wait": "queue",
    "queue": "queue",
    "pre-consultation": "review",
    "review": "review",
    "sitting": "sitting",
    "rework": "rework",
    "supplement": "supplement",
    "lag": "lag",
    "build": "build",
}
#: who holds the file during a step: hatching for the applicant's side and the agent service
HOLDER_HATCH = {"applicant": "////", "agent service": "...."}
PHASE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")

#: one row of a figure's data (a CSV row: numbers, strings, "" for missing)
Row = dict[str, Any]
Rows = list[Row]

P = ParamSpec("P")
R = TypeVar("R")


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font that renders Chinese (e.g. "蓝图管控"), or None."""
    entries = [e for e in font_manager.fontManager.ttflist if "last resort" not in e.name.lower()]
    rank = {name.lower(): i for i, name in enumerate(CJK_FAMILIES)}
    entries.sort(key=lambda e: (rank.get(e.name.lower(), len(rank)), e.name, e.fname))
    for e in entries:
        if _covers(e.fname, CJK_SAMPLE):
            return e.name
    return None


@functools.lru_cache(maxsize=64)
def _charmap(fname: str) -> frozenset[int]:
    try:
        return frozenset(font_manager.get_font(fname).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


def _covers(fname: str, text: str) -> bool:
    cmap = _charmap(fname)
    return all(ord(ch) in cmap for ch in text)


def _base_charmap() -> frozenset[int]:
    return _charmap(font_manager.findfont(BASE_FONT, fallback_to_default=True))


def strip_cjk(text: str) -> str:
    """``text`` without CJK characters, tidied: "环境影响评价 EIA report approval" -> "EIA report approval",
    "Reform (蓝图管控 + 容缺受理)" -> "Reform"."""
    return _tidy(_CJK.sub(" ", text))


def _tidy(s: str) -> str:
    """What is left of a name once characters were taken out: no empty brackets, doubled or dangling
    separators, or runs of spaces."""
    for _ in range(3):
        s = _EMPTY_BRACKETS.sub(" ", s)
    s = _REPEATED_SEP.sub(r" \1 ", s)
    s = re.sub(r"\s+", " ", s)
    return _EDGE_SEP.sub("", s).strip()


def _drawable_chars() -> tuple[frozenset[int], ...]:
    """The code points the figures' fonts can draw, font by font (none if the base font could not be read)."""
    base = _base_charmap()
    if not base:
        return ()
    cjk = cjk_font()
    return (base, _family_charmap(cjk)) if cjk else (base,)


@functools.lru_cache(maxsize=8)
def _family_charmap(family: str) -> frozenset[int]:
    try:
        return _charmap(font_manager.findfont(family, fallback_to_default=False))
    except ValueError:
        return frozenset()


def drawable(text: str) -> str:
    """``text`` in characters the figures' fonts have, line by line: the others left out (and what they
    leave behind tidied), or, if no letter or digit would be left, written as code points: "规划局" ->
    "\\u89c4\\u5212\\u5c40" without a Chinese font.  Control characters are never drawn."""
    if text.isascii() and text.isprintable():  # most texts: numbers, dates, English
        return text
    fonts = _drawable_chars()
    if not fonts:
        return text

    def ok(ch: str) -> bool:
        code = ord(ch)
        return code >= 32 and any(code in chars for chars in fonts)

    lines = []
    for line in text.split("\n"):
        if all(ok(ch) for ch in line):
            lines.append(line)
            continue
        kept = _tidy("".join(ch if ok(ch) else " " for ch in line))
        if not any(ch.isalnum() for ch in kept):
            kept = "".join(ch if ok(ch) else _code_point(ch) for ch in line.strip())
        lines.append(kept)
    return "\n".join(lines)


def _code_point(ch: str) -> str:
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}"


_MATH_DOLLAR = re.compile(r"(?<!\\)\$")


def make_drawable(fig: Figure) -> Figure:
    """Every text of ``fig`` (titles, labels, tick labels, legends, annotations) made :func:`drawable`, and
    its dollar signs escaped (no text of ours is mathtext: a "$" in a name must not start it)."""
    from matplotlib.axis import Axis
    from matplotlib.text import Text
    from matplotlib.ticker import FixedFormatter, FuncFormatter

    def fixed(text: str) -> str:
        return _MATH_DOLLAR.sub(r"\\$", drawable(text))

    def texts(artist: Artist) -> Iterator[Text]:
        if isinstance(artist, Text):
            yield artist
        if isinstance(artist, Axis):  # not its ticks: their labels are made from the formatters when drawn
            yield artist.label
            return
        for child in artist.get_children():
            yield from texts(child)

    for text in texts(fig):
        if fixed(text.get_text()) != text.get_text():
            text.set_text(fixed(text.get_text()))
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for formatter in (axis.get_major_formatter(), axis.get_minor_formatter()):
                # tick labels given as text (set_ticks(..., labels)) are made anew from the formatter when
                # the figure is drawn: a FixedFormatter's list, or a FuncFormatter over a dict (matplotlib 3.9+)
                if isinstance(formatter, FixedFormatter):
                    formatter.seq = [fixed(str(t)) for t in formatter.seq]
                elif isinstance(formatter, FuncFormatter) and not isinstance(formatter.func, _Fixed):
                    formatter.func = _Fixed(formatter.func)
    return fig


class _Fixed:
    """A tick-label function whose labels are made drawable, as :func:`make_drawable` does."""

    def __init__(self, func: Callable[..., str]):
        self.func = func

    def __call__(self, x: float, pos: int | None = None) -> str:
        return _MATH_DOLLAR.sub(r"\\$", drawable(str(self.func(x, pos))))


def legend(ax: Axes, **kwargs: Any) -> None:
    """``ax.legend(**kwargs)`` when something on ``ax`` has a label: matplotlib warns "No artists with
    labels found to put in legend" otherwise (a tornado with no bars, a panel with no line)."""
    if kwargs.get("handles") or ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


def label(text: str, fallback: str = "") -> str:
    """A label for the figures: as is with a CJK font, CJK stripped without one (then ``fallback`` if
    nothing readable is left); dollar signs escaped so they never start mathtext."""
    if cjk_font() is None:
        cmap = _base_charmap()
        s = strip_cjk(text)
        s = "".join(ch for ch in s if not cmap or ord(ch) in cmap)
        if not re.search(r"[A-Za-z]", s):
            s = fallback or s
    else:
        s = text
    return s.replace("$", r"\$")


def phase_label(phase: str) -> str:
    """A phase name; a Chinese-only national phase ("1 立项用地规划许可") gets its English name."""
    english = next((en for zh, en in PHASE_GLOSSARY.items() if zh in phase), None)
    has_latin = re.search(r"[A-Za-z]", strip_cjk(phase)) is not None
    if english and not has_latin:
        number = re.match(r"\s*(\d+)", phase)
        plain = f"{number.group(1)} {english}" if number else english
        return label(f"{phase} {english}") if cjk_font() else plain
    return capital(label(phase, fallback=f"phase {strip_cjk(phase)}" if strip_cjk(phase) else "other phase"))


def capital(text: str) -> str:
    """The first letter upper-case ("4 construction" -> "4 Construction")."""
    m = re.search(r"[^\W\d_]", text)
    return text if m is None else text[: m.start()] + text[m.start()].upper() + text[m.start() + 1 :]


def signed(x: float, digits: int = 1) -> str:
    """A signed number with a true minus sign: "+3.0", "−4.7"."""
    return f"{x:+.{digits}f}".replace("-", "\u2212")


def shorten(text: str, width: int = 52) -> str:
    """Cut a long label with an ellipsis."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def scenario_colour(i: int) -> str:
    """The colour of the ``i``-th scenario of a comparison."""
    return SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)]


def rc() -> dict[RcKeyType, Any]:
    """Matplotlib settings for the figures (font families are explicit, so texts keep them after the context)."""
    cjk = cjk_font()
    return {
        "font.family": [cjk, BASE_FONT] if cjk else [BASE_FONT],
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.titleweight": "bold",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.fontsize": 8,
        "legend.frameon": False,
        "svg.hashsalt": "approval-sim",
    }


def styled(fn: Callable[P, R]) -> Callable[P, R]:
    """Build the figure under :func:`rc`, then make each of its texts :func:`drawable` (:func:`make_drawable`)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from matplotlib.figure import Figure

        with matplotlib.rc_context(rc()):
            out = fn(*args, **kwargs)
        if isinstance(out, Figure):
            make_drawable(out)
        return out

    return wrapper


@overload
def date_num(start: dt.date, t: float) -> float: ...
@overload
def date_num(start: dt.date, t: np.ndarray) -> np.ndarray: ...
def date_num(start: dt.date, t: float | np.ndarray) -> float | np.ndarray:
    """Matplotlib date number(s) of clock time ``t`` (calendar days since ``start`` 00:00)."""
    return float(mdates.date2num(dt.datetime.combine(start, dt.time()))) + t


def stamp(start: dt.date, t: float) -> str:
    """Clock time as "YYYY-MM-DD HH:MM" (empty for NaN)."""
    if t != t:
        return ""
    return (dt.datetime.combine(start, dt.time()) + dt.timedelta(days=float(t))).strftime("%Y-%m-%d %H:%M")


def date_axis(ax: Axes) -> None:
    """Concise date ticks on the x axis."""
    loc = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def num(x: float | str | None, digits: int = 6) -> str | int | float:
    """A CSV cell: floats rounded (identical text for identical runs), NaN/None empty."""
    if x is None:
        return ""
    if isinstance(x, (bool, int, str)):
        return x
    value = float(x)
    return "" if value != value else round(value, digits)


def iter_phases(stages: Iterable[Stage]) -> Iterator[str]:
    """Phase names in stage order, each once."""
    seen: set[str] = set()
    for st in stages:
        ph = st.phase or "(no phase)"
        if ph not in seen:
            seen.add(ph)
            yield ph


def arrays(pts: Sequence[Mapping[str, Any]], keys: tuple[str, ...]) -> list[np.ndarray]:
    """Columns of data rows as float arrays (empty cells are NaN)."""
    return [np.array([math.nan if row[k] == "" else row[k] for row in pts], dtype=float) for k in keys]


def write_csv(f: IO[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows as CSV (the header is every key, in order of first appearance)."""
    w = csv.DictWriter(
        f, fieldnames=list(dict.fromkeys(k for row in rows for k in row)), restval="", lineterminator="\n"
    )
    w.writeheader()
    w.writerows(rows)


# -- figure helpers ----------------------------------------------------------------------------------------
#: how each milestone of :data:`sim.core.kpi.MILESTONES` is named on the figures
MILESTONE_LABEL = {m: m.replace("_", " ") for m in MILESTONES}
#: the milestones a typical project's timeline marks (completion is not drawn)
TIMELINE_MILESTONES = tuple(m for m in MILESTONES if m != "completion")
KPI_SHORT = {
    "approval_workdays": "approval time",
    "approval_days": "approval time",
    "to_production_months": "signing to production",
    "submissions": "submissions",
    "cost_pre_construction_cny": "cost to the permit",
    "cost_delay_cny": "cost of delay",
}
KPI_TEXT = {
    "approval_workdays": "approval time (first application to construction permit)",
    "approval_days": "approval time (first application to construction permit)",
    "to_production_months": "signing to production start",
    "submissions": "submissions to the permit",
    "cost_pre_construction_cny": "cost up to the construction permit",
    "cost_delay_cny": "capital cost of the time to production",
}


def scenario_labels(cmp: Comparison) -> list[str]:
    """Readable scenario names, in comparison order."""
    return [label(sc.name, fallback=Path(sc.source).stem) for sc in cmp.scenarios]


def holder(resource: str) -> str:
    """Who holds the file during an event-log step, from its resource."""
    return {
        "applicant": "applicant",
        "agents": "agent service",
        "agent": "agent service",
        "contractor": "contractor",
        "-": "nobody",
    }.get(resource, "agency")


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


def targets_for(sc: Scenario, key: str) -> list[tuple[Target, str | None]]:
    """Targets of ``sc``'s lever set on KPI ``key`` or on a class's ``key`` (then the class id)."""
    out = []
    for t in sc.targets:
        parts = t.kpi.split(".")
        if t.applies(sc.levers) and (t.kpi == key or (len(parts) == 3 and parts[0] == "classes" and parts[2] == key)):
            out.append((t, parts[1] if len(parts) == 3 else None))
    return out


def draw_target(ax: Axes, row: Mapping[str, Any], name: str, colour: str) -> None:
    """A calibration target: a shaded range, or a dashed line for a one-sided bound."""
    cls = row["kpi"].split(".")[1] if row["kpi"].startswith("classes.") else None
    lo, hi = row["lo"], row["hi"]
    who = f"{name}, {cls} projects" if cls else name
    src = shorten(label(row["source"], fallback="source in the scenario file"), 64)
    if lo != "" and hi != "":
        text = textwrap.fill(f"target {row['stat']} {lo:g}–{hi:g} ({who}): {src}", 80)
        ax.axvspan(lo, hi, color=colour, alpha=0.12, label=text, hatch="\\\\" if cls else None)
    else:
        bound = lo if lo != "" else hi
        text = textwrap.fill(f"target {row['stat']} {'≥' if lo != '' else '≤'} {bound:g} ({who}): {src}", 80)
        ax.axvline(bound, color=colour, linestyle="--", linewidth=1.2, label=text)
    level = {"p10": 0.1, "p50": 0.5, "p90": 0.9}.get(row["stat"])
    if level is not None:
        ax.axhline(level, color="#999999", linewidth=0.6, linestyle=":")


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


def acc_stats(acc: Accumulator) -> tuple[float, float, float]:
    """(mean, CI low, CI high) of a :class:`sim.runs.stats.Accumulator`, NaN where missing."""
    stats = acc.to_dict()
    mean, (lo, hi) = stats["mean"], stats["ci95"]
    return (
        math.nan if mean is None else mean,
        math.nan if lo is None else lo,
        math.nan if hi is None else hi,
    )
