"""Figures of parameter sweeps (lines with 95 % bands) and one-at-a-time sensitivity (tornado)."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.core.units import UNIT_LABEL
from sim.present.axes import legend
from sim.present.figure import Figure
from sim.present.fonts import styled
from sim.present.labels import KPI_TEXT, capital, label, shorten
from sim.present.rows import Rows

if TYPE_CHECKING:
    from sim.analysis.sweep import SweepResult, TornadoResult


def sweep_data(res: SweepResult) -> Rows:
    """The plotted points of a sweep (one row per grid point)."""
    return [dict(row) for row in res.rows]


def tornado_data(res: TornadoResult) -> Rows:
    """The plotted bars of a tornado (one row per parameter, with the base value)."""
    return [{**row, "base": res.base} for row in res.rows]


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@styled
def sweep_figure(res: SweepResult) -> Figure:
    """The swept KPI against the first parameter, one line (with its 95 % band) per value of the others."""
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.add_subplot()
    x_name, others = res.parameters[0], res.parameters[1:]
    unit = UNIT_LABEL.get(res.rows[0]["unit"], res.rows[0]["unit"]) if res.rows else ""
    groups: dict[tuple[Any, ...], Rows] = {}
    for row in res.rows:
        groups.setdefault(tuple(row[o] for o in others), []).append(row)
    xs_all = [row[x_name] for row in res.rows]
    numeric = all(_is_number(v) for v in xs_all)
    categories = list(dict.fromkeys(xs_all))
    for key, rows in groups.items():
        x = np.array([row[x_name] if numeric else categories.index(row[x_name]) for row in rows], dtype=float)
        y = np.array([np.nan if row["mean"] is None else row["mean"] for row in rows], dtype=float)
        lo = np.array([np.nan if row["ci_lo"] is None else row["ci_lo"] for row in rows], dtype=float)
        hi = np.array([np.nan if row["ci_hi"] is None else row["ci_hi"] for row in rows], dtype=float)
        name = ", ".join(f"{o} = {v}" for o, v in zip(others, key)) or res.kpi
        (line,) = ax.plot(x, y, marker="o", label=label(name))
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
    if not numeric:
        ax.set_xticks(range(len(categories)), [label(str(c)) for c in categories])
    elif len(categories) <= 12:
        ax.set_xticks(sorted(categories))
    ax.set_xlabel(label(x_name))
    ax.set_ylabel(f"{res.kpi}, mean ({unit})")
    title = f"{label(res.scenario).strip()}: {res.kpi} by {x_name}"
    ax.set_title("\n".join(textwrap.wrap(title, 80)), fontsize=11)  # a variant's name can be long
    note = f"{_replications(res)}, seed {res.seed}, common random numbers; band: 95 % CI of the mean"
    ax.text(
        0,
        -0.16,
        note.replace(", seed", ",\nseed") if res.precision else note,
        transform=ax.transAxes,
        fontsize=8,
        color="#555",
        va="top" if res.precision else "baseline",
    )
    ax.grid(alpha=0.3)
    if len(groups) > 1:
        legend(ax, fontsize=8)
    return fig


def _replications(res: SweepResult) -> str:
    """How many replications each point ran: ``n``, or with a precision rule the range and the rule."""
    p = res.precision
    if p is None:
        return f"{res.n} replications per point"
    n = p["replications"]
    reached = "" if p["reached"] else f"; not reached at {p['not_reached']} points"
    return f"{min(n)} to {max(n)} replications per point (95 % CI within {100 * p['rel']:.3g} % of the mean{reached})"


@styled
def tornado_figure(res: TornadoResult) -> Figure:
    """Horizontal bars: the KPI at each parameter's low and high value, around the base value.

    Each parameter has two bars on rows of their own, the low value's above the high value's, so their ends
    and labels never meet, even when both move the KPI the same way or not at all; each bar ends in its
    value and the KPI it gives.  Parameters are sorted by swing (largest on top), each labelled with it.  No
    whiskers: every variant runs on the same random numbers as the base, so its difference from the base is
    far surer than the confidence interval of its own mean would suggest.
    """
    rows = [row for row in res.rows if row.get("low_mean") is not None and row.get("high_mean") is not None]
    fig = Figure(figsize=(9, 2.0 + 0.8 * max(1, len(rows))), layout="constrained")
    ax = fig.add_subplot()
    unit = UNIT_LABEL.get(res.unit, res.unit)
    base = res.base if res.base is not None else 0.0
    ends = [base]
    for i, row in enumerate(reversed(rows)):
        for which, colour, dy in (("low", "#4C78A8", 0.2), ("high", "#E45756", -0.2)):
            v = row[f"{which}_mean"]
            ax.barh(i + dy, v - base, left=base, height=0.36, color=colour, alpha=0.85, label=f"{which} value")
            right = v >= base
            ax.text(
                v,
                i + dy,
                f"  {shorten(label(str(row[f'{which}_value'])), 24)} \u2192 {v:.4g}  ",
                va="center",
                ha="left" if right else "right",
                fontsize=8,
            )
            ends.append(v)
    span = (max(ends) - min(ends)) or max(abs(base), 1.0) * 0.1
    ax.set_xlim(min(ends) - 0.3 * span, max(ends) + 0.3 * span)  # room for the labels at the bar ends
    ax.set_ylim(-0.6, max(1, len(rows)) - 0.4)
    ax.axvline(base, color="black", linewidth=1)
    ax.set_yticks(
        range(len(rows)),
        [f"{label(row['parameter'])}\nswing {row['swing']:.3g} {unit}" for row in reversed(rows)],
    )
    ax.set_xlabel(f"{res.kpi}, mean ({unit})")
    what = KPI_TEXT.get(res.kpi, res.kpi)
    title = f"{capital(what)}: {base:.4g} {unit} in {label(res.scenario).strip()}"
    fig.suptitle("\n".join(textwrap.wrap(title, 80)), fontsize=11, fontweight="bold")
    fig.supxlabel(
        f"Each parameter alone at its low and its high value, the rest as in the scenario; black line: the "
        f"scenario itself. Means of {res.n} replications each, seed {res.seed}, on common random numbers.",
        fontsize=8,
        color="#555",
        wrap=True,
    )
    handles, labels = ax.get_legend_handles_labels()
    keep = dict(zip(labels, handles))
    ax.legend(keep.values(), keep.keys(), fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="x", alpha=0.3)
    return fig
