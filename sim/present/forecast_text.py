"""A forecast as text for the terminal: one line per open file, each agency's clearance, paired differences."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from sim.analysis.forecast_result import Forecast
from sim.core.text import printable
from sim.runs.tables import Table


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _aligned(table: Sequence[Sequence[str]], left: int = 3) -> str:
    """Rows as aligned columns under a dashed header rule; the first ``left`` columns left-aligned."""
    rows = [[printable(cell) for cell in row] for row in table]
    widths = [max(_width(row[c]) for row in rows) for c in range(len(rows[0]))]
    lines = []
    for j, row in enumerate(rows):
        cells = []
        for k, (c, w) in enumerate(zip(row, widths)):
            pad = " " * (w - _width(c))
            cells.append(c + pad if k < left else pad + c)
        lines.append("  ".join(cells))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _span(p10: str, p50: str, p90: str) -> str:
    """'2025-03-21 (02-19 .. 04-21)'; a bound past the horizon shows as '>horizon'."""
    if not p50:
        return "after the horizon"
    lo = p10[5:] if p10[:4] == p50[:4] else p10
    hi = (p90[5:] if p90[:4] == p50[:4] else p90) if p90 else "later"
    return f"{p50} ({lo} .. {hi})"


def _share(x: object) -> str:
    return "-" if x == "" else f"{100 * float(x):.0f} %"  # type: ignore[arg-type]


def format_forecast(fc: Forecast, width: int = 46) -> str:
    """Per open file: where it stands, its next decision and construction permit (median, p10 .. p90),
    production (median), the chance it misses a statutory limit; then when each agency's backlog clears."""
    head = (
        f"{fc.scenario.name}: {len(fc.backlog)} open files as of {fc.as_of}, {fc.n} replications (seed {fc.seed}); "
        f"dates are medians (p10 .. p90)"
    )
    table = [["file", "class", "under way", "next decision", "construction permit", "production", "limit missed"]]
    for r in fc.summary():
        now = r["under_way"]
        now = now if len(now) <= width else now[: width - 1] + "…"
        table.append(
            [
                r["project"],
                r["class"],
                now,
                _span(r["next_p10"], r["next_p50"], r["next_p90"]),
                _span(r["permit_p10"], r["permit_p50"], r["permit_p90"]),
                r["production_p50"] or "after the horizon",
                _share(r["p_miss_limit"]),
            ]
        )
    return f"{head}\n\n{_aligned(table)}\n\n{format_clearance(fc)}"


def format_clearance(fc: Forecast) -> str:
    """Per agency: the backlog's files waiting for a decision there now, and the date by which none is left
    in half and in nine tenths of the replications."""
    rows: dict[str, list[dict[str, object]]] = {}
    for r in fc.clearance():
        rows.setdefault(str(r["agency"]), []).append(r)
    table = [["agency", "name", "files now", "all decided (median)", "(p90)"]]
    for agency, points in rows.items():
        median = next((str(p["date"]) for p in points if p["p50"] == 0), "after the horizon")
        late = next((str(p["date"]) for p in points if p["p90"] == 0), "after the horizon")
        name = str(points[0]["name"])
        table.append([agency, name[:40], str(points[0]["p50"]), median, late])
    return "Backlog clearance, decisions up to the construction permit:\n" + _aligned(table, left=2)


def format_versus(rows: Table, reference: str, name: str, items: Sequence[str] | None = None) -> str:
    """Paired per-file differences of ``name`` minus ``reference`` (calendar days; limit_missed: share), of the
    ``items`` given (default all)."""
    table = [["file", "item", reference[:24], name[:24], "difference", "95% CI", "earlier", "later"]]
    for r in rows:
        if items is not None and r["item"] not in items:
            continue
        days = r["item"] != "limit_missed"
        diff = f"{r['mean_difference']:+.1f} d" if days else f"{100 * r['mean_difference']:+.0f} pp"
        ci = (
            "-"
            if r["ci95_low"] == ""
            else (
                f"[{r['ci95_low']:+.1f}, {r['ci95_high']:+.1f}]"
                if days
                else f"[{100 * r['ci95_low']:+.0f}, {100 * r['ci95_high']:+.0f}]"
            )
        )
        ref, got = (str(r["reference_p50"]), str(r["p50"])) if days else (_share(r["reference_p50"]), _share(r["p50"]))
        table.append([r["project"], r["item"], ref, got, diff, ci, _share(r["p_earlier"]), _share(r["p_later"])])
    head = f"{name} vs {reference}, file by file (the same random numbers in both; median dates, mean differences):"
    return head + "\n" + _aligned(table, left=2)
