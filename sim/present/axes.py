"""What the figures draw on an axis besides the data: date ticks, legends (only when something is labelled) and
calibration targets."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, overload

import matplotlib.dates as mdates
import numpy as np

from sim.present.labels import label, shorten

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from sim.scenario.scenario import Scenario
    from sim.scenario.targets import Target


@overload
def date_num(start: dt.date, t: float) -> float: ...
@overload
def date_num(start: dt.date, t: np.ndarray) -> np.ndarray: ...
def date_num(start: dt.date, t: float | np.ndarray) -> float | np.ndarray:
    """Matplotlib date number(s) of clock time ``t`` (calendar days since ``start`` 00:00)."""
    return float(mdates.date2num(dt.datetime.combine(start, dt.time()))) + t


class _DateLocator(mdates.AutoDateLocator):
    """Matplotlib's automatic date ticks, worked out once per view of the axis.

    Drawing a figure asks an axis for its ticks about ten times (layout, ticks, labels, spines), and each time
    the automatic locator builds a new date rule: with the 22 axes of the agency-load figure that was a third
    of the time to save it.  The ticks depend only on the view limits, so they are kept until those change.
    """

    def __init__(self) -> None:
        super().__init__(minticks=4, maxticks=10)
        self._ticks: tuple[tuple[float, ...], np.ndarray] | None = None

    def __call__(self) -> Any:
        view = tuple(self.axis.get_view_interval()) if self.axis is not None else ()
        if self._ticks is None or self._ticks[0] != view:
            self._ticks = (view, np.asarray(super().__call__()))
        return self._ticks[1].copy()


def date_axis(ax: Axes) -> None:
    """Concise date ticks on the x axis."""
    loc = _DateLocator()
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def legend(ax: Axes, **kwargs: Any) -> None:
    """``ax.legend(**kwargs)`` when something on ``ax`` has a label: matplotlib warns "No artists with
    labels found to put in legend" otherwise (a tornado with no bars, a panel with no line)."""
    if kwargs.get("handles") or ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


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
