"""The tables of the HTML report: KPIs with paired differences, calibration targets, decisions on the day of
application, the lever attribution and the assumptions of the scenario files.

Each function returns an HTML fragment; every text from a scenario file is escaped.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sim.core.kpi import KPIS
from sim.core.units import UNIT_LABEL, format_value
from sim.present.assumptions import assumptions

if TYPE_CHECKING:
    from sim.analysis.attribution import Attribution
    from sim.analysis.compare import Comparison


#: the marker word at the start of a comment, left out of the table of assumptions (it is the table's subject)
_MARKER = re.compile(r"^\s*ASSUMPTION\b\s*[:,;.-]?\s*")


def _e(x: object) -> str:
    return html.escape(str(x))


def _fmt(x: float | None, unit: str) -> str:
    return format_value(x, unit, missing="–")


def kpi_table(cmp: Comparison) -> str:
    """HTML table: each scenario's mean [95% CI] and median, and the paired difference to the first."""
    dicts = cmp.summary_dicts()
    head = "".join(f"<th>{_e(n)}<br><span class=small>mean [95% CI] · p50</span></th>" for n in cmp.names)
    diff_head = "".join(
        f"<th>{_e(n)} − {_e(cmp.names[0])}<br><span class=small>paired mean [95% CI]</span></th>" for n in cmp.names[1:]
    )
    rows = []
    for k, (unit, what) in KPIS.items():
        cells = []
        for d in dicts:
            stats = d["kpis"][k]
            lo, hi = stats["ci95"]
            p50 = "" if stats["p50"] is None else f" · {_fmt(stats['p50'], unit)}"
            cells.append(f"<td>{_fmt(stats['mean'], unit)} [{_fmt(lo, unit)}, {_fmt(hi, unit)}]{p50}</td>")
        for diff in cmp.differences[1:]:
            stats = diff[k].to_dict()
            lo, hi = stats["ci95"]
            cells.append(f"<td>{_fmt(stats['mean'], unit)} [{_fmt(lo, unit)}, {_fmt(hi, unit)}]</td>")
        rows.append(
            f"<tr><td class=l><b>{_e(k)}</b><br><span class=small>{_e(what)}, "
            f"{_e(UNIT_LABEL.get(unit, unit))}</span></td>{''.join(cells)}</tr>"
        )
    return f"<table><tr><th class=l>KPI</th>{head}{diff_head}</tr>{''.join(rows)}</table>"


def targets_table(cmp: Comparison) -> str:
    """HTML table of every scenario's applicable calibration targets and their status."""
    from sim.scenario.targets import check_targets

    rows = []
    for sc, d in zip(cmp.scenarios, cmp.summary_dicts()):
        for r in check_targets(sc.targets, d):
            status = "<span class=met>met</span>" if r.met else "<span class=missed>MISSED</span>"
            value = "–" if r.value is None else f"{r.value:.4g}"
            rows.append(
                f"<tr><td class=l>{_e(sc.name)}</td><td class=l>{_e(r.target.kpi)}</td>"
                f"<td class=l>{_e(r.target.describe())}</td><td>{value}</td><td>{status}</td>"
                f"<td class=l>{_e(r.target.source)}</td></tr>"
            )
    if not rows:
        return "<p>No calibration targets apply to these scenarios.</p>"
    return (
        "<table><tr><th class=l>scenario</th><th class=l>KPI</th><th class=l>target</th><th>measured</th>"
        f"<th>status</th><th class=l>source</th></tr>{''.join(rows)}</table>"
    )


def attribution_table(att: Attribution) -> str:
    """HTML table of Shapley values per lever for the attributed KPIs."""
    d = att.to_dict()
    out = [
        f"<p class=small>{_e(d['method'])}, {d['subsets_run']} lever subsets, {d['replications']} "
        "replications each. Shapley values add up to the difference between all levers and none; "
        "'alone' is a lever's effect when it is the only one on; their difference is its interaction "
        "with the others.</p>"
    ]
    for kpi in ("approval_workdays", "to_production_months", "cost_pre_construction_cny"):
        if kpi not in d["kpis"]:
            continue
        attributed = d["kpis"][kpi]
        unit = attributed["unit"]
        rows = []
        for lever in d["levers"]:
            shapley = attributed["shapley"][lever["id"]]
            lo, hi = shapley["ci95"]
            rows.append(
                f"<tr><td class=l>{_e(lever['name'])}</td>"
                f"<td>{_fmt(shapley['mean'], unit)} [{_fmt(lo, unit)}, {_fmt(hi, unit)}]</td>"
                f"<td>{_fmt(attributed['alone'][lever['id']]['mean'], unit)}</td>"
                f"<td>{_fmt(attributed['interaction'][lever['id']], unit)}</td></tr>"
            )
        out.append(
            f"<h3>{_e(kpi)} ({_e(UNIT_LABEL.get(unit, unit))}): {_fmt(attributed['none']['mean'], unit)} with no "
            f"lever → {_fmt(attributed['all']['mean'], unit)} with all</h3><table><tr><th class=l>lever</th>"
            f"<th>Shapley value [95% CI]</th><th>alone</th><th>interaction</th></tr>{''.join(rows)}</table>"
        )
    return "".join(out)


def same_day_table(cmp: Comparison) -> str:
    """HTML table: per stage an agency decides, the share of its decisions made on the day the application was
    submitted (当日办结) in each scenario, with its 95 % CI and the number of decisions, and over all stages."""
    dicts = cmp.summary_dicts()
    stages: dict[str, tuple[str, str]] = {}
    for sc in cmp.scenarios:
        for st in sc.stages:
            if st.agency is not None and st.id not in stages:
                stages[st.id] = (st.name, st.agency)
    rows = []
    totals = [[0.0, 0] for _ in dicts]
    for sid, (name, agency) in stages.items():
        cells, decided = [], False
        for d, total in zip(dicts, totals):
            stats = d["same_day"].get(sid)
            if stats is None or not stats["n"] or stats["mean"] is None:
                cells.append("<td>–</td>")
                continue
            decided = True
            lo, hi = stats["ci95"]
            total[0] += stats["mean"] * stats["n"]
            total[1] += stats["n"]
            interval = (
                "" if lo is None or hi is None or hi <= lo else f" [{max(lo, 0) * 100:.0f}, {min(hi, 1) * 100:.0f}]"
            )
            cells.append(
                f"<td>{stats['mean'] * 100:.0f} %{interval}<br><span class=small>{stats['n']:,} decisions</span></td>"
            )
        if decided:
            rows.append(
                f"<tr><td class=l>{_e(name)}<br><span class=small>{_e(agency)}</span></td>{''.join(cells)}</tr>"
            )
    if not rows:
        return "<p>No stage is decided by an agency in these scenarios.</p>"
    overall = "".join(
        f"<td><b>{same / n * 100:.0f} %</b><br><span class=small>{n:,} decisions</span></td>" if n else "<td>–</td>"
        for same, n in totals
    )
    head = "".join(f"<th>{_e(n)}<br><span class=small>share [95% CI]</span></th>" for n in cmp.names)
    return (
        f"<table><tr><th class=l>stage<br><span class=small>agency</span></th>{head}</tr>{''.join(rows)}"
        f"<tr><td class=l><b>all decisions</b></td>{overall}</tr></table>"
    )


def assumptions_table(cmp: Comparison) -> str:
    """HTML table of the values the scenario files mark ASSUMPTION: key path, value, the comment's text, and
    where it is (:func:`sim.present.assumptions.assumptions`)."""
    found = assumptions(cmp.scenarios)
    if not found:
        return "<p>The scenario files mark no value as an assumption.</p>"
    rows = [
        f"<tr><td class=l><code>{_e(a.key).replace('.', '.<wbr>')}</code></td><td class=l><code>{_e(a.value) or '–'}"
        f"</code></td><td class=l>{_e(_MARKER.sub('', a.comment)) or '–'}</td>"
        f"<td class='l small'>{_e(Path(a.file).name)}:{a.line}</td></tr>"
        for a in found
    ]
    return (
        "<table class=assumptions><colgroup><col style='width:23%'><col style='width:32%'><col style='width:32%'>"
        "<col style='width:13%'></colgroup><tr><th class=l>key path</th><th class=l>value</th>"
        f"<th class=l>what the file says</th><th class=l>where</th></tr>{''.join(rows)}</table>"
    )
