"""A self-contained HTML report of a comparison: descriptions, KPIs, figures, targets, assumptions.

Figures are embedded as base64 PNG, styles are inline, and nothing refers to
an external address, so the file can be mailed and opened offline.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.core.kpi import KPIS
from sim.core.output_file import OutputFile
from sim.core.output_places import generator
from sim.core.units import UNIT_LABEL, format_value

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.analysis.attribution import Attribution
    from sim.analysis.compare import Comparison
    from sim.scenario.scenario import Scenario

#: how a report says that approval-sim wrote it (the start of its generator tag, in its first line), so that
#: --force may replace it and nothing else
GENERATOR_META = '<meta name="generator" content="approval-sim'

#: the figures of a report by name, each with its plotted data (:func:`sim.present.plots.all_figures`)
Figures = Mapping[str, tuple["Figure", list[dict[str, Any]]]]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.met{color:#1a7f37;font-weight:600}.missed{color:#b42318;font-weight:600}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.9em;color:#555}
.small{font-size:.85em;color:#555}code{background:#f6f6f6;padding:0 .2em}
"""


def _e(x: object) -> str:
    return html.escape(str(x))


def _fmt(x: float | None, unit: str) -> str:
    return format_value(x, unit, missing="–")


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def assumptions(scenarios: Iterable[Scenario]) -> list[tuple[str, int, str]]:
    """Lines marked ASSUMPTION in the scenario files and the files they extend: (file, line, text).

    They are the lines the loader recorded as it read the files (``Scenario.assumptions``): only files it
    loaded, by its rules for ``extends``; a file shared by several scenarios is listed once.
    """
    seen, out = set(), []
    for sc in scenarios:
        for file, line_no, text in sc.assumptions:
            key = (os.path.realpath(file), line_no)
            if key not in seen:
                seen.add(key)
                out.append((file, line_no, text))
    return out


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


def render(cmp: Comparison, figures: Figures, attribution: Attribution | None = None, command: str = "") -> str:
    """The whole report as one HTML string.

    Args:
        cmp: the comparison to report.
        figures: the figures to embed, by name (as PNG).
        attribution: the Shapley attribution of the last scenario's levers, if any.
        command: the command line that made the report, shown in it.
    """
    parts = [
        f'<!DOCTYPE html><html lang=en><head><meta charset=utf-8><meta name="generator" content="{_e(generator())}">'
        "<title>approval-sim report</title>"
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Approval reform comparison: {' vs '.join(_e(n) for n in cmp.names)}</h1>",
        f"<p class=small>{cmp.n} replications per scenario, seed {cmp.seed}, common random numbers; "
        f"generated {dt.date.today().isoformat()} by approval-sim"
        + (f" with <code>{_e(command)}</code>" if command else "")
        + ".</p>",
        "<h2>Scenarios</h2>",
    ]
    for sc in cmp.scenarios:
        names = dict(sc.lever_names)
        levers = ", ".join(_e(names.get(x, x)) for x in sc.levers) or "none (pre-reform process)"
        parts.append(
            f"<h3>{_e(sc.name)}</h3><p>{_e(sc.description)}</p>"
            f"<p class=small>file <code>{_e(sc.source)}</code>; levers on: {levers}; "
            f"{sc.start_date} to {sc.end_date}</p>"
        )
    parts += [
        "<h2>Key performance indicators (KPIs)</h2>",
        kpi_table(cmp),
        "<p class=small>Means are over projects of all replications; the confidence interval treats "
        "replications as independent clusters. Differences are paired replication by replication.</p>",
        "<h2>Figures</h2>",
    ]
    for name, (fig, _rows) in figures.items():
        title = fig.axes[0].get_title() if fig.axes and fig.axes[0].get_title() else name
        parts.append(
            f"<figure><img alt='{_e(name)}' src='data:image/png;base64,{_png(fig)}'>"
            f"<figcaption>{_e(name)}: {_e(title)}</figcaption></figure>"
        )
    if attribution is not None:
        parts.append("<h2>What each lever buys</h2>" + attribution_table(attribution))
    parts += [
        "<h2>Calibration targets</h2>",
        targets_table(cmp),
        "<h2>Assumptions</h2>",
        "<p>Parameters that no source gives, as marked in the scenario files; candidates for sensitivity "
        "sweeps.</p><table><tr><th class=l>file:line</th><th class=l>line</th></tr>",
    ]
    for file, line_no, text in assumptions(cmp.scenarios):
        parts.append(
            f"<tr><td class=l>{_e(Path(file).name)}:{line_no}</td><td class=l><code>{_e(text)}</code></td></tr>"
        )
    parts.append("</table></body></html>")
    return "\n".join(parts)


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


def report_target(path: str | Path, force: bool = False, inputs: Iterable[str | Path] = ()) -> OutputFile:
    """Claim ``path`` for a report, before anything is computed (:class:`sim.core.output_file.OutputFile`).

    Raises:
        OutputError: ``path`` exists and is not a report of approval-sim (or is one, without ``force``), is one
            of ``inputs``, a folder or a link, or cannot be written.
    """
    return OutputFile(path, force=force, inputs=inputs, marker=GENERATOR_META.encode("ascii"))


def scenario_files(cmp: Comparison) -> tuple[str, ...]:
    """Every file the scenarios of ``cmp`` were loaded from (with what they extend): a report's inputs."""
    return tuple(f for sc in cmp.scenarios for f in sc.files)


def write_report(
    path: str | Path | OutputFile,
    cmp: Comparison,
    figures: Figures,
    attribution: Attribution | None = None,
    command: str = "",
    force: bool = False,
) -> Path:
    """Write the report (:func:`render`) to ``path`` atomically (a partial file put in place when complete).

    ``path`` is a new file, or with ``force`` an earlier report of approval-sim; never another file nor a
    scenario file of ``cmp``.  Given an :class:`OutputFile` (:func:`report_target`), that claim is used.

    Raises:
        OutputError: as :func:`report_target`.
    """
    target = path if isinstance(path, OutputFile) else report_target(path, force, scenario_files(cmp))
    with target:
        target.write(render(cmp, figures, attribution, command))
        return target.commit()
