"""Figures for policy readers: a typical project's timeline, distributions, where the time goes, which lever
bought how much, agency load and the zone's delivery curve.

Every figure function returns a :class:`matplotlib.figure.Figure` (object-oriented API, no pyplot state:
nothing to close; the subclass of :mod:`sim.present.figure`, which a notebook shows as a picture) and has a
data function (``timeline_data`` ...) returning the plotted data as a list of dicts with the same keys,
written next to the picture by :func:`save`.  The same seeds give identical rows.
Times are clock times (calendar days since the scenario's start date) shown as dates.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path

from sim.analysis.attribution import Attribution
from sim.analysis.compare import Comparison
from sim.core.output_file import atomic_write
from sim.present.evaluate_plots import evaluate_data, evaluate_figure
from sim.present.figure import Figure, png_bytes
from sim.present.forecast_plots import clearance_data, clearance_figure, forecast_data, forecast_figure
from sim.present.rows import Rows, write_csv
from sim.present.spread_plots import distributions, distributions_data
from sim.present.sweep_plots import sweep_data, sweep_figure, tornado_data, tornado_figure
from sim.present.time_split_plots import time_split, time_split_data
from sim.present.timeline import timeline, timeline_data
from sim.present.waterfall_plots import waterfall, waterfall_data
from sim.present.zone_plots import agency_load, agency_load_data, zone_view, zone_view_data
from sim.runs.pool import pool_for

__all__ = [
    "agency_load",
    "agency_load_data",
    "all_figures",
    "clearance_data",
    "clearance_figure",
    "distributions",
    "distributions_data",
    "evaluate_data",
    "evaluate_figure",
    "forecast_data",
    "forecast_figure",
    "save",
    "save_all",
    "time_split",
    "time_split_data",
    "timeline",
    "timeline_data",
    "waterfall",
    "waterfall_data",
    "zone_view",
    "zone_view_data",
    "sweep_data",
    "sweep_figure",
    "tornado_data",
    "tornado_figure",
]


# -- output ------------------------------------------------------------------------------------------------
def save(fig: Figure, rows: Rows, out_dir: str | Path, name: str) -> list[Path]:
    """Write ``name``.png (:data:`~sim.present.figure.FILE_DPI` dpi), ``name``.svg and ``name``.csv (``rows``)
    into ``out_dir``, each atomically (temporary file in the folder, then ``os.replace``).  Returns the three
    paths."""
    import matplotlib

    out = Path(out_dir)
    paths = []
    with matplotlib.rc_context({"svg.hashsalt": "approval-sim"}):
        png = png_bytes(fig)
        paths.append(atomic_write(out / f"{name}.png", lambda f: f.write(png)))
        paths.append(atomic_write(out / f"{name}.svg", lambda f: fig.savefig(f, format="svg", metadata={"Date": None})))
    paths.append(atomic_write(out / f"{name}.csv", lambda f: write_csv(f, rows), binary=False))
    return paths


def all_figures(
    cmp: Comparison, att: Attribution | None = None, timeline_project: str | None = None
) -> dict[str, tuple[Figure, Rows]]:
    """Every figure with its data: timeline, distributions, time_split, agency_load, zone_view and, given an
    attribution, waterfall (approval time) and waterfall_production (signing to production).

    ``timeline_project`` is the timeline's project (``"median"``, ``"large"`` or a project id; None: the one
    ``cmp.typical`` follows); ValueError if replication 0 has no such project."""
    return {name: build() for name, build in _builders(cmp, att, timeline_project).items()}


def _builders(
    cmp: Comparison, att: Attribution | None, timeline_project: str | None
) -> dict[str, Callable[[], tuple[Figure, Rows]]]:
    """How to build each figure of :func:`all_figures` (with its data), by name, in its order."""
    out: dict[str, Callable[[], tuple[Figure, Rows]]] = {
        "timeline": lambda: (timeline(cmp, timeline_project), timeline_data(cmp, timeline_project)),
        "distributions": lambda: (distributions(cmp), distributions_data(cmp)),
        "time_split": lambda: (time_split(cmp), time_split_data(cmp)),
        "agency_load": lambda: (agency_load(cmp), agency_load_data(cmp)),
        "zone_view": lambda: (zone_view(cmp), zone_view_data(cmp)),
    }
    if att is not None:
        for name, kpi in (("waterfall", "approval_workdays"), ("waterfall_production", "to_production_months")):
            if kpi in att.base:
                out[name] = functools.partial(_waterfall, att, kpi)
    return out


def _waterfall(att: Attribution, kpi: str) -> tuple[Figure, Rows]:
    return waterfall(att, kpi), waterfall_data(att, kpi)


#: the figures a second process draws when there are two cores to draw on (:func:`save_all`): the agency load
#: (its 22 axes take the longest) and the waterfalls, about half the drawing time of the main job's figures
SECOND_PROCESS = ("agency_load", "waterfall", "waterfall_production")


def save_all(
    figures: Mapping[str, tuple[Figure, Rows]],
    out_dir: str | Path,
    cmp: Comparison,
    att: Attribution | None = None,
    timeline_project: str | None = None,
    jobs: int = 1,
) -> None:
    """:func:`save` every figure of :func:`all_figures` into ``out_dir``.

    With ``jobs`` >= 2, a worker process draws the figures of :data:`SECOND_PROCESS` while this one draws the
    others: it builds them again from ``cmp`` and ``att``, so it writes the bytes this process would have.
    """
    second = [name for name in figures if name in SECOND_PROCESS] if jobs > 1 else []
    with pool_for(2 if second else 1, None) as ex:
        done = None
        if ex is not None:
            done = ex.submit(_save_figures, cmp, att, timeline_project, second, str(out_dir))
        for name, (fig, rows) in figures.items():
            if name not in second:
                save(fig, rows, out_dir, name)
        if done is not None:
            done.result()


def _save_figures(
    cmp: Comparison, att: Attribution | None, timeline_project: str | None, names: list[str], out_dir: str
) -> None:
    """In a worker: build and :func:`save` the figures ``names`` of :func:`all_figures`."""
    builders = _builders(cmp, att, timeline_project)
    for name in names:
        fig, rows = builders[name]()
        save(fig, rows, out_dir, name)
