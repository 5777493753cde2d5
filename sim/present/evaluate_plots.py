"""The figure of ``approval-sim evaluate``: a scenario against an event log (:class:`sim.analysis.evaluate.Evaluation`).

Top: the case durations' empirical CDFs, observed and simulated (pooled, with the 95 % range of the
replications' own curves), their p50 and p90 marked and the headline numbers written on the figure.  Below:
per stage in both, the share of cases with it and the median time from the case's start to the stage's end,
observed and simulated side by side (simulated with its 95 % range).

See :mod:`sim.present.plots` for the conventions every figure follows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.present.axes import legend
from sim.present.figure import Figure
from sim.present.fonts import styled
from sim.present.labels import label, shorten
from sim.present.rows import Rows, num

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from sim.analysis.evaluate import Evaluation

OBSERVED = "#222222"
SIMULATED = "#1f77b4"
#: the quantile levels of the curves written to the CSV and drawn
LEVELS = np.linspace(0.0, 1.0, 201)
#: stages drawn at most (the worst ones, in the scenario's order)
MOST_STAGES = 20


def _curve(durations: np.ndarray) -> np.ndarray:
    """The quantile function at :data:`LEVELS` (NaN without durations)."""
    if len(durations) == 0:
        return np.full(len(LEVELS), np.nan)
    return np.quantile(durations, LEVELS, method="inverted_cdf")


def _band(ev: Evaluation) -> tuple[np.ndarray, np.ndarray]:
    """The 95 % range (2.5th to 97.5th percentile) of the replications' quantile functions at :data:`LEVELS`."""
    curves = [_curve(ev.simulated_durations[ev.simulated_replication == r]) for r in range(ev.n)]
    curves = [c for c in curves if not np.isnan(c).all()]
    if not curves:
        nan = np.full(len(LEVELS), np.nan)
        return nan, nan
    lo, hi = np.percentile(np.array(curves), [2.5, 97.5], axis=0)
    return lo, hi


def _stages_drawn(ev: Evaluation) -> list[str]:
    """The stages in both, in the scenario's order: the :data:`MOST_STAGES` worst ones if there are more."""
    st = ev.stage_comparison()
    if len(st["matched"]) <= MOST_STAGES:
        return list(st["matched"])
    worst = set(st["worst"][:MOST_STAGES])
    return [s for s in st["matched"] if s in worst]


def evaluate_data(ev: Evaluation) -> Rows:
    """The plotted data: the duration curves (observed, simulated pooled and its 95 % range) at 201 quantile
    levels, then one row per stage drawn (shares and median times to the stage's end, with the ranges)."""
    obs, sim = _curve(ev.observed_durations), _curve(ev.simulated_durations)
    lo, hi = _band(ev)
    rows: Rows = [
        {
            "panel": "case_duration",
            "quantile": num(float(q)),
            "observed_days": num(float(o)),
            "simulated_days": num(float(s)),
            "simulated_lo_days": num(float(a)),
            "simulated_hi_days": num(float(b)),
        }
        for q, o, s, a, b in zip(LEVELS, obs, sim, lo, hi)
    ]
    by_stage = ev.stage_comparison()["by_stage"]
    for s in _stages_drawn(ev):
        o, m = by_stage[s]["observed"], by_stage[s]["simulated"]
        share, p50 = m["ci95"]["share"] or [None, None], m["ci95"]["to_end_p50"] or [None, None]
        rows.append(
            {
                "panel": "stage",
                "stage": s,
                "observed_share": num(o["share"]),
                "simulated_share": num(m["share"]),
                "simulated_share_lo": num(share[0]),
                "simulated_share_hi": num(share[1]),
                "observed_to_end_p50_days": num(o["to_end_p50"]),
                "simulated_to_end_p50_days": num(m["to_end_p50"]),
                "simulated_to_end_p50_lo_days": num(p50[0]),
                "simulated_to_end_p50_hi_days": num(p50[1]),
                "gap": num(by_stage[s]["gap"]),
            }
        )
    return rows


def _days(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def _headline(ev: Evaluation) -> str:
    cd = ev.case_duration()
    o, s = cd["observed"], cd["simulated"]

    def ci(q: str) -> str:
        pair = s["ci95"][q]
        return "" if pair is None else f" [{_days(pair[0])}–{_days(pair[1])}]"

    rel = cd["wasserstein_rel"]
    return "\n".join(
        [
            f"observed: {o['n']:,} cases, p50 {_days(o['p50'])} d, p90 {_days(o['p90'])} d",
            f"simulated ({ev.n} replications, {s['n_per_replication']:,.0f} cases each): "
            f"p50 {_days(s['p50'])}{ci('p50')} d, p90 {_days(s['p90'])}{ci('p90')} d",
            f"Wasserstein distance / observed mean = {'-' if rel is None else f'{rel:.3f}'}",
        ]
    )


def _draw_durations(ax: Axes, ev: Evaluation) -> None:
    obs, sim = _curve(ev.observed_durations), _curve(ev.simulated_durations)
    lo, hi = _band(ev)
    ax.fill_betweenx(
        LEVELS,
        lo,
        hi,
        color=SIMULATED,
        alpha=0.18,
        linewidth=0,
        label="simulated, 95 % range of replications",
    )
    ax.step(
        sim,
        LEVELS,
        where="post",
        color=SIMULATED,
        linewidth=2,
        gid="ecdf:simulated",
        label="simulated (replications pooled)",
    )
    ax.step(obs, LEVELS, where="post", color=OBSERVED, linewidth=1.6, gid="ecdf:observed", label="observed (the log)")
    cd = ev.case_duration()
    for level, q in ((0.5, "p50"), (0.9, "p90")):
        ax.axhline(level, color="#999999", linewidth=0.6, linestyle=":")
        ax.text(1.005, level, q, transform=ax.get_yaxis_transform(), ha="left", va="center", fontsize=8, color="#666")
        o, s = cd["observed"][q], cd["simulated"][q]
        pair = cd["simulated"]["ci95"][q]
        if s is not None:
            err = None if pair is None else [[s - pair[0]], [pair[1] - s]]
            ax.errorbar(
                [s], [level], xerr=err, fmt="o", color=SIMULATED, capsize=4, markersize=6, gid=f"mark:simulated:{q}"
            )
        if o is not None:
            ax.plot([o], [level], marker="D", color=OBSERVED, markersize=6, linestyle="", gid=f"mark:observed:{q}")
    both = [d for d in (ev.observed_durations, ev.simulated_durations) if len(d)]
    left = 0.0
    if both:  # from 0, or from near the 1st percentile when the durations start far from it
        right = max(max(float(np.percentile(d, 99)) for d in both) * 1.05, 1.0)
        first = min(float(np.percentile(d, 1)) for d in both)
        left = first * 0.9 if first > 0.25 * right else 0.0
        ax.set_xlim(left, right)
    ax.set_ylim(0, 1.02)
    cut = "the 1st and 99th percentiles" if left > 0 else "the 99th percentile"
    ax.set_xlabel(f"case duration, calendar days (first to last event; axis cut at {cut})")
    ax.set_ylabel("share of cases (cumulative)")
    ax.set_title(_headline(ev), loc="left", fontsize=9, fontweight="normal")  # the headline numbers, over the plot
    legend(ax, loc="best", fontsize=8, frameon=True, facecolor="white", edgecolor="#bbbbbb")
    ax.grid(alpha=0.3)


def _draw_stages(ax_share: Axes, ax_time: Axes, ev: Evaluation, stages: list[str]) -> None:
    by_stage = ev.stage_comparison()["by_stage"]
    names = [shorten(label(ev.scenario.stage_by_id[s].name, fallback=s), 46) for s in stages]
    y = np.arange(len(stages))
    h = 0.38
    for ax, key, ci_key in ((ax_share, "share", "share"), (ax_time, "to_end_p50", "to_end_p50")):
        o = np.array([np.nan if by_stage[s]["observed"][key] is None else by_stage[s]["observed"][key] for s in stages])
        m = np.array(
            [np.nan if by_stage[s]["simulated"][key] is None else by_stage[s]["simulated"][key] for s in stages]
        )
        pairs = [by_stage[s]["simulated"]["ci95"][ci_key] for s in stages]
        err = np.array(
            [[0.0, 0.0] if p is None else [max(v - p[0], 0.0), max(p[1] - v, 0.0)] for v, p in zip(m, pairs)]
        ).T
        ax.barh(y - h / 2, o, height=h, color="#9a9a9a", label="observed", gid=f"bars:observed:{key}")
        ax.barh(
            y + h / 2,
            m,
            height=h,
            color=SIMULATED,
            alpha=0.85,
            xerr=np.nan_to_num(err),
            capsize=2,
            label="simulated (95 % range)",
            gid=f"bars:simulated:{key}",
        )
        ax.set_yticks(y, names if ax is ax_share else [""] * len(names))
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
    legend(ax_time, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, fontsize=7.5)
    ax_share.set_xlim(0, 1.05)
    ax_share.set_xlabel("share of cases with the stage")
    ax_share.set_title("Stages: who goes through them", loc="left")
    ax_time.set_xlabel("calendar days from the case's start to the stage's last event, p50")
    ax_time.set_title("When the stage ends", loc="left")


@styled
def evaluate_figure(ev: Evaluation) -> Figure:
    """The case durations' CDFs (observed, simulated with its 95 % range; p50 and p90 marked, the headline
    numbers written) and, per stage in both, the share of cases and the median time to the stage's end."""
    stages = _stages_drawn(ev)
    below = 0.8 + 0.3 * max(len(stages), 4)
    fig = Figure(figsize=(12, 5.5 + below), layout="constrained")
    # two sub-figures, laid out each on its own: the stage names' margin does not narrow the curves
    parts = fig.subfigures(2, 1, height_ratios=[5.5, below])
    assert isinstance(parts, np.ndarray)
    top, bottom = parts
    ax = top.add_subplot()
    _draw_durations(ax, ev)
    name = label(ev.scenario.name, fallback=Path(ev.scenario.source).stem)
    fig.suptitle(
        f"{name} against {Path(ev.log_path).name}: case duration, observed until {ev.t_end}",
        x=0.01,
        ha="left",
        fontsize=11,
        fontweight="bold",
    )
    ax_share, ax_time = bottom.subplots(1, 2)
    if stages:
        _draw_stages(ax_share, ax_time, ev, stages)
    else:
        st = ev.stage_comparison()
        for a in (ax_share, ax_time):
            a.set_axis_off()
        ax_share.text(
            0.0,
            0.5,
            "No stage of the log is a stage of the scenario: no stage is compared.\n"
            f"log: {shorten(', '.join(st['only_in_log']), 90)}\n"
            f"scenario: {shorten(', '.join(st['only_in_scenario']), 90)}",
            transform=ax_share.transAxes,
            va="center",
            fontsize=9,
        )
    return fig
