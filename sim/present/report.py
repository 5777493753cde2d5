"""A self-contained HTML report of a comparison: descriptions, KPIs, decisions on the day of application, figures
with their captions, the attribution, targets and assumptions.

Figures are embedded as base64 PNG, styles are inline, and nothing refers to
an external address, so the file can be mailed and opened offline.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.core.output_file import OutputFile
from sim.core.output_places import generator
from sim.present.captions import caption, title
from sim.present.figure import png_bytes
from sim.present.report_tables import assumptions_table, attribution_table, kpi_table, same_day_table, targets_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.analysis.attribution import Attribution
    from sim.analysis.compare import Comparison

#: how a report says that approval-sim wrote it (the start of its generator tag, in its first line), so that
#: --force may replace it and nothing else
GENERATOR_META = '<meta name="generator" content="approval-sim'

#: the figures of a report by name, each with its plotted data (:func:`sim.present.plots.all_figures`)
Figures = Mapping[str, tuple["Figure", list[dict[str, Any]]]]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC","Source Han Sans SC",
"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.met{color:#1a7f37;font-weight:600}.missed{color:#b42318;font-weight:600}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.9em;color:#555}
.small{font-size:.85em;color:#555}code{background:#f6f6f6;padding:0 .2em}
table.assumptions{width:100%;table-layout:fixed}table.assumptions td{vertical-align:top;overflow-wrap:anywhere}
table.assumptions code{white-space:pre-wrap}
"""


def _e(x: object) -> str:
    return html.escape(str(x))


def _base64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def render(
    cmp: Comparison,
    figures: Figures,
    attribution: Attribution | None = None,
    command: str = "",
    pngs: Mapping[str, bytes] | None = None,
) -> str:
    """The whole report as one HTML string.

    Args:
        cmp: the comparison to report.
        figures: the figures to embed, by name (as PNG).
        attribution: the Shapley attribution of the last scenario's levers, if any.
        command: the command line that made the report, shown in it.
        pngs: figures already drawn as PNG files (:func:`sim.present.plots.save`), by name: embedded as they
            are instead of drawn again (the same bytes :func:`~sim.present.figure.png_bytes` gives).
    """
    pngs = pngs or {}
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
        "<h2>Decisions on the day of application</h2>",
        "<p>The share of applications an agency decided on the day they were submitted (当日办结), stage by "
        "stage: over all decisions of all replications, with its 95 % confidence interval.</p>",
        same_day_table(cmp),
        "<h2>Figures</h2>",
    ]
    for name, (fig, _rows) in figures.items():
        heading = title(name)
        picture = _base64(pngs.get(name) or png_bytes(fig))
        parts.append(
            f"<figure id='{_e(name)}'><img alt='{_e(heading)}' src='data:image/png;base64,{picture}'>"
            f"<figcaption><b>{_e(heading)}</b> ({_e(name)}.png). {_e(caption(name, fig, cmp))}</figcaption></figure>"
        )
    if attribution is not None:
        parts.append("<h2>What each lever buys</h2>" + attribution_table(attribution))
    parts += [
        "<h2>Calibration targets</h2>",
        targets_table(cmp),
        "<h2>Assumptions</h2>",
        "<p>Values that no source gives, as the scenario files mark them (<code>ASSUMPTION</code>): candidates "
        "for sensitivity sweeps (<code>approval-sim tornado</code>).</p>",
        assumptions_table(cmp),
        "</body></html>",
    ]
    return "\n".join(parts)


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
    pngs: Mapping[str, bytes] | None = None,
) -> Path:
    """Write the report (:func:`render`) to ``path`` atomically (a partial file put in place when complete).

    ``path`` is a new file, or with ``force`` an earlier report of approval-sim; never another file nor a
    scenario file of ``cmp``.  Given an :class:`OutputFile` (:func:`report_target`), that claim is used.
    ``pngs``: as :func:`render`.

    Raises:
        OutputError: as :func:`report_target`.
    """
    target = path if isinstance(path, OutputFile) else report_target(path, force, scenario_files(cmp))
    with target:
        target.write(render(cmp, figures, attribution, command, pngs))
        return target.commit()
