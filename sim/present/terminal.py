"""Plain-text tables for the terminal: what the command line prints after a run, a check, a comparison, an
attribution, a sweep or a tornado.

Each ``format_*`` function returns the text of aligned columns (no colours, no terminal control codes), so
that it reads the same in a terminal, a log file or a notebook cell.

Whatever comes from a user's file (scenario names, ids, lever names, sources, parameter values) goes through
:func:`printable` before it is printed: a control character in it (an escape sequence, a carriage return, a
newline, a bidirectional override) is shown escaped (``\x1b``) instead of acting on the terminal.  The command
line's messages and the progress bar's description use the same function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sim.core.kpi import KPIS
from sim.core.text import printable, printable_lines
from sim.core.units import UNIT_LABEL, format_value

if TYPE_CHECKING:
    from sim.analysis.attribution import Attribution
    from sim.analysis.compare import Comparison
    from sim.scenario.targets import TargetResult

__all__ = [
    "format_attribution",
    "format_comparison",
    "format_points",
    "format_precision",
    "format_summary",
    "format_targets",
    "printable",
    "printable_lines",
]

#: the columns of a row of statistics (the first names what the row is about)
STATS_HEADER = ["KPI", "unit", "mean", "95% CI of mean", "p10", "p50", "p90", "n", "censored"]


def _stats_row(name: str, stats: Mapping[str, Any]) -> list[str]:
    """One row of :data:`STATS_HEADER` from a statistics entry of summary.json."""
    unit = stats["unit"]
    lo, hi = stats["ci95"]
    ci = f"[{format_value(lo, unit)}, {format_value(hi, unit)}]" if lo is not None else "-"
    return [
        name,
        UNIT_LABEL.get(unit, unit),
        format_value(stats["mean"], unit),
        ci,
        format_value(stats["p10"], unit),
        format_value(stats["p50"], unit),
        format_value(stats["p90"], unit),
        str(stats["n"]),
        str(stats["censored"]),
    ]


def _aligned(table: Sequence[Sequence[str]]) -> str:
    """Rows as aligned columns, the first row a header underlined with dashes; the first two columns are
    left-aligned (names), the others right-aligned (numbers).  Every cell is made :func:`printable`."""
    rows = [[printable(cell) for cell in row] for row in table]
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]))]
    lines = []
    for j, row in enumerate(rows):
        lines.append(
            "  ".join(cell.ljust(w) if col < 2 else cell.rjust(w) for col, (cell, w) in enumerate(zip(row, widths)))
        )
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_summary(summary: Mapping[str, Any]) -> str:
    """The KPIs, stage times and agency load of a run summary (summary.json) as aligned text tables."""
    meta = summary["meta"]
    out = [
        f"{printable(meta['scenario'])}: {meta['replications']} replications, seed {meta['seed']}, "
        f"{meta['start_date']} to {meta['end_date']}"
    ]
    if "precision" in summary:
        out.append(format_precision(summary["precision"]))
    out.append(_aligned([STATS_HEADER] + [_stats_row(k, stats) for k, stats in summary["kpis"].items()]))
    out.append("")
    out.append(
        _aligned(
            [["stage (submission to issue)", *STATS_HEADER[1:]]]
            + [_stats_row(k, stats) for k, stats in summary["stages"].items() if stats["n"]]
        )
    )
    out.append("")
    rows = [["agency", *STATS_HEADER[1:]]]
    for agency, load in summary["agencies"].items():
        rows.append(_stats_row(f"{agency} utilisation", load["utilisation"]))
        rows.append(_stats_row(f"{agency} queue", load["mean_queue"]))
    out.append(_aligned(rows))
    counts = summary["projects"]
    out.append(
        f"\nprojects: {counts.get('projects', 0)} in all replications, "
        f"{counts.get('reached_construction_permit', 0)} reached the construction permit, "
        f"{counts.get('reached_production', 0)} production, "
        f"{counts.get('capped', 0)} stopped at the rework cap; the rest are censored at the horizon"
    )
    return "\n".join(out)


def format_precision(status: Mapping[str, Any]) -> str:
    """One line on a precision rule (summary.json's ``precision``): reached after how many replications and
    which KPI bound it, or not reached within the cap and by how much."""
    checks = status["checks"]
    paired = any("scenario" in c for c in checks)
    what = "of the paired differences, relative to the reference's mean" if paired else "of the mean"
    head = f"precision: 95% CI half-width <= {100 * status['rel']:.3g}% {what} ({', '.join(status['kpis'])})"

    def shown(c: Mapping[str, Any]) -> str:
        half, target = c["half_width"], c["target"]
        name = c["kpi"] + (f" ({c['scenario']})" if "scenario" in c else "")
        if half is None or target is None:
            return f"{name}: no CI yet (no value, or too few replications)"
        return f"{name} ±{half:.3g} of ±{target:.3g} allowed"

    if status["reached"]:
        bound = max(checks, key=lambda c: (c["half_width"] or 0.0) / (c["target"] or 1.0))
        return printable(
            f"{head}: reached after {status['replications']} replications (cap {status['cap']}); "
            f"bound by {shown(bound)}"
        )
    missed = [shown(c) for c in checks if not c["met"]]
    return printable(f"{head}: NOT reached in {status['replications']} replications (the cap, -n): {'; '.join(missed)}")


def format_targets(results: Iterable[TargetResult], summary: Mapping[str, Any]) -> str:
    """One line per calibration target: met or missed, the measured value (with CI for means), the source."""
    results = list(results)
    meta = summary["meta"]
    lines = [
        f"{printable(meta['scenario'])}: {meta['replications']} replications, seed {meta['seed']}"
        + (f", levers: {printable(', '.join(meta['levers']))}" if meta.get("levers") else "")
    ]
    if "precision" in summary:
        lines.append(format_precision(summary["precision"]))
    for result in results:
        target = result.target
        value = "no value" if result.value is None else f"{result.value:.4g}"
        ci = ""
        if result.ci95 is not None and result.ci95[0] is not None and result.ci95[1] is not None:
            ci = f" (95% CI {result.ci95[0]:.4g} to {result.ci95[1]:.4g})"
        lines.append(
            f"{'met   ' if result.met else 'MISSED'} {printable(target.id)}: {printable(target.kpi)} "
            f"{printable(target.describe())}; measured {value}{ci}\n         source: {printable(target.source)}"
        )
    met = sum(result.met for result in results)
    lines.append(f"{met} of {len(results)} targets met")
    return "\n".join(lines)


def format_comparison(cmp: Comparison) -> str:
    """The KPIs of compared scenarios side by side, with the paired difference to the first and its 95 % CI."""
    dicts = cmp.summary_dicts()
    head = ["KPI", "unit"] + [f"{i + 1}: mean (p50)" for i in range(len(dicts))]
    head += [f"{i + 2} - 1 [95% CI]" for i in range(len(dicts) - 1)]
    rows = [head]
    for kpi, (unit, _) in KPIS.items():
        row = [kpi, UNIT_LABEL.get(unit, unit)]
        for d in dicts:
            stats = d["kpis"][kpi]
            mean = format_value(stats["mean"], unit)
            row.append(f"{mean} ({format_value(stats['p50'], unit)})" if stats["p50"] is not None else mean)
        for diff in cmp.differences[1:]:
            stats = diff[kpi].to_dict()
            lo, hi = stats["ci95"]
            row.append(f"{format_value(stats['mean'], unit)} [{format_value(lo, unit)}, {format_value(hi, unit)}]")
        rows.append(row)
    names = "\n".join(f"{i + 1}: {printable(name)}" for i, name in enumerate(cmp.names))
    precision = "" if cmp.precision is None else format_precision(cmp.precision) + "\n"
    title = f"{names}\n{cmp.n} replications each, seed {cmp.seed}, common random numbers\n{precision}"
    return f"{title}\n{_aligned(rows)}"


def format_attribution(att: Attribution) -> str:
    """One table per attributed KPI: each lever's Shapley value [95% CI], its effect alone, interaction."""
    d = att.to_dict()
    out = [f"{printable(d['scenario'])}: {d['method']}, {d['subsets_run']} subsets x {d['replications']} replications"]
    for kpi, attributed in d["kpis"].items():
        unit = attributed["unit"]
        rows = [["lever", "Shapley [95% CI]", "alone", "interaction"]]
        for lever in d["levers"]:
            shapley = attributed["shapley"][lever["id"]]
            lo, hi = shapley["ci95"]
            rows.append(
                [
                    f"{lever['id']} {lever['name']}",
                    f"{format_value(shapley['mean'], unit)} [{format_value(lo, unit)}, {format_value(hi, unit)}]",
                    format_value(attributed["alone"][lever["id"]]["mean"], unit),
                    format_value(attributed["interaction"][lever["id"]], unit),
                ]
            )
        out.append(
            f"\n{kpi} ({UNIT_LABEL.get(unit, unit)}): none {format_value(attributed['none']['mean'], unit)} -> "
            f"all {format_value(attributed['all']['mean'], unit)}"
        )
        out.append(_aligned(rows))
    return "\n".join(out)


def format_points(
    rows: Iterable[Mapping[str, Any]],
    keys: Sequence[str],
    kpi: str,
    stats: Sequence[str] = ("mean", "ci_lo", "ci_hi", "p50"),
) -> str:
    """A table of sweep points or tornado parameters: the parameter columns, then the statistics.

    Args:
        rows: one mapping per point (:attr:`sim.analysis.sweep.SweepResult.rows` or a tornado's).
        keys: the parameter columns, in order.
        kpi: the KPI measured, printed as the table's title.
        stats: the statistic columns.
    """
    table = [[*keys, *stats]]
    for row in rows:
        cells = [str(row.get(k, "")) for k in keys]
        table.append(cells + ["-" if row.get(s) is None else f"{row[s]:.4g}" for s in stats])
    return f"{printable(kpi)}:\n{_aligned(table)}"
