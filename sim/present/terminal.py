"""Plain-text tables of a summary, for the terminal."""

from __future__ import annotations

from sim.core.units import UNIT_LABEL, format_value

_f = format_value


def _row(name: str, s: dict) -> list[str]:
    u = s["unit"]
    lo, hi = s["ci95"]
    ci = f"[{_f(lo, u)}, {_f(hi, u)}]" if lo is not None else "-"
    return [
        name,
        UNIT_LABEL.get(u, u),
        _f(s["mean"], u),
        ci,
        _f(s["p10"], u),
        _f(s["p50"], u),
        _f(s["p90"], u),
        str(s["n"]),
        str(s["censored"]),
    ]


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


HEADER = ["KPI", "unit", "mean", "95% CI of mean", "p10", "p50", "p90", "n", "censored"]


def format_summary(summary: dict) -> str:
    """KPIs, stages and agencies of a summary as aligned text tables."""
    m = summary["meta"]
    out = [f"{m['scenario']}: {m['replications']} replications, seed {m['seed']}, {m['start_date']} to {m['end_date']}"]
    out.append(_table([HEADER] + [_row(k, s) for k, s in summary["kpis"].items()]))
    out.append("")
    out.append(
        _table(
            [["stage (submission to issue)", *HEADER[1:]]]
            + [_row(k, s) for k, s in summary["stages"].items() if s["n"]]
        )
    )
    out.append("")
    rows = [["agency", *HEADER[1:]]]
    for k, a in summary["agencies"].items():
        rows.append(_row(f"{k} utilisation", a["utilisation"]))
        rows.append(_row(f"{k} queue", a["mean_queue"]))
    out.append(_table(rows))
    c = summary["projects"]
    out.append(
        f"\nprojects: {c.get('projects', 0)} in all replications, {c.get('reached_construction_permit', 0)} "
        f"reached the construction permit, {c.get('reached_production', 0)} production, "
        f"{c.get('capped', 0)} stopped at the rework cap; the rest are censored at the horizon"
    )
    return "\n".join(out)


def format_targets(results: list, summary: dict) -> str:
    """One line per calibration target: met or missed, the measured value (with CI for means), the source."""
    m = summary["meta"]
    lines = [
        f"{m['scenario']}: {m['replications']} replications, seed {m['seed']}"
        + (f", levers: {', '.join(m['levers'])}" if m.get("levers") else "")
    ]
    for r in results:
        t = r.target
        value = "no value" if r.value is None else f"{r.value:.4g}"
        ci = f" (95% CI {r.ci95[0]:.4g} to {r.ci95[1]:.4g})" if r.ci95 and r.ci95[0] is not None else ""
        lines.append(
            f"{'met   ' if r.met else 'MISSED'} {t.id}: {t.kpi} {t.describe()}; measured {value}{ci}"
            f"\n         source: {t.source}"
        )
    met = sum(r.met for r in results)
    lines.append(f"{met} of {len(results)} targets met")
    return "\n".join(lines)


def format_comparison(cmp) -> str:
    """KPIs side by side, with the paired difference to the first scenario and its 95 % CI."""
    from sim.core.kpi import KPIS

    dicts = cmp.summary_dicts()
    head = ["KPI", "unit"] + [f"{i + 1}: mean (p50)" for i in range(len(dicts))]
    head += [f"{i + 2} - 1 [95% CI]" for i in range(len(dicts) - 1)]
    rows = [head]
    for k, (unit, _) in KPIS.items():
        row = [k, UNIT_LABEL.get(unit, unit)]
        for d in dicts:
            f = d["kpis"][k]
            row.append(f"{_f(f['mean'], unit)} ({_f(f['p50'], unit)})" if f["p50"] is not None else _f(f["mean"], unit))
        for diff in cmp.differences[1:]:
            f = diff[k].to_dict()
            row.append(f"{_f(f['mean'], unit)} [{_f(f['ci95'][0], unit)}, {_f(f['ci95'][1], unit)}]")
        rows.append(row)
    names = "\n".join(f"{i + 1}: {n}" for i, n in enumerate(cmp.names))
    return f"{names}\n{cmp.n} replications each, seed {cmp.seed}, common random numbers\n\n{_table(rows)}"


def format_attribution(att) -> str:
    """One table per attributed KPI: each lever's Shapley value [95% CI], its effect alone, interaction."""
    d = att.to_dict()
    out = [f"{d['scenario']}: {d['method']}, {d['subsets_run']} subsets x {d['replications']} replications"]
    for kpi, attributed in d["kpis"].items():
        unit = attributed["unit"]
        rows = [["lever", "Shapley [95% CI]", "alone", "interaction"]]
        for lv in d["levers"]:
            sh = attributed["shapley"][lv["id"]]
            rows.append(
                [
                    f"{lv['id']} {lv['name']}",
                    f"{_f(sh['mean'], unit)} [{_f(sh['ci95'][0], unit)}, {_f(sh['ci95'][1], unit)}]",
                    _f(attributed["alone"][lv["id"]]["mean"], unit),
                    _f(attributed["interaction"][lv["id"]], unit),
                ]
            )
        out.append(
            f"\n{kpi} ({UNIT_LABEL.get(unit, unit)}): none {_f(attributed['none']['mean'], unit)} -> "
            f"all {_f(attributed['all']['mean'], unit)}"
        )
        out.append(_table(rows))
    return "\n".join(out)


def format_points(
    rows: list[dict], keys: list[str], kpi: str, stats: tuple[str, ...] = ("mean", "ci_lo", "ci_hi", "p50")
) -> str:
    """A table of sweep points or tornado parameters: the parameter columns, then the statistics."""
    table = [[*keys, *stats]]
    for r in rows:
        table.append([str(r.get(k, "")) for k in keys] + ["-" if r.get(s) is None else f"{r[s]:.4g}" for s in stats])
    return f"{kpi}:\n{_table(table)}"
