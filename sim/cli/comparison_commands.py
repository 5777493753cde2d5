"""The commands that compare: ``compare``, ``attribute`` (Shapley values of levers) and ``report``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from sim.cli.console import say, show
from sim.cli.options import (
    add_execution,
    add_overrides,
    add_precision,
    add_run_options,
    add_variants,
    load_variant,
    output_dir,
    positive_int,
    precision_kpis,
    seed_number,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from sim.analysis.attribution import Attribution
    from sim.analysis.compare import Comparison
    from sim.scenario.scenario import Scenario


def add_parsers(sub: Any) -> None:
    """Add ``compare``, ``attribute`` and ``report`` to the subcommands ``sub``."""
    from pathlib import Path

    compare_cmd = sub.add_parser(
        "compare", help="run scenarios with common random numbers; paired differences, figures, report"
    )
    add_variants(compare_cmd)
    add_run_options(
        compare_cmd,
        out_help="output folder for compare.json, figures (PNG, SVG, CSV) and report.html "
        "(without it only the table is printed)",
        several=True,
        out_required=False,
    )
    _add_paired_precision(compare_cmd)
    _add_attribution(compare_cmd)
    _add_timeline_project(compare_cmd)

    attribute_cmd = sub.add_parser(
        "attribute", help="how much each lever contributes (Shapley values over lever subsets)"
    )
    attribute_cmd.add_argument("scenario", type=Path, help="scenario file (TOML)")
    add_run_options(attribute_cmd, out_help="output folder for attribution.json and the waterfall figures")
    add_overrides(attribute_cmd, "override a scenario value by dotted path (repeatable)")
    attribute_cmd.add_argument(
        "--levers",
        default=None,
        metavar="LIST",
        help="levers to attribute (default: the scenario's own scenario.levers)",
    )
    attribute_cmd.add_argument(
        "--max-orders",
        type=positive_int,
        default=200,
        help="sampled lever orders when there are too many levers for all subsets (default 200)",
    )

    report_cmd = sub.add_parser("report", help="write one self-contained HTML report comparing scenarios")
    add_variants(report_cmd)
    report_cmd.add_argument("-o", "--out", type=Path, required=True, help="the HTML file to write")
    report_cmd.add_argument("--force", action="store_true", help="replace an earlier report of approval-sim")
    report_cmd.add_argument("-n", "--replications", type=positive_int, default=100, help="replications (default 100)")
    report_cmd.add_argument(
        "--seed", type=seed_number, default=None, help="root seed (default: the first scenario's seed)"
    )
    add_execution(report_cmd)
    _add_paired_precision(report_cmd)
    _add_attribution(report_cmd)
    report_cmd.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    _add_timeline_project(report_cmd)


def _add_timeline_project(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeline-project",
        default=None,
        metavar="ID|median|large",
        help="the project the timeline follows: a project id of replication 0 (e.g. s00005), 'median' (median time "
        "to production) or 'large' (the median one of the class with the largest investments; the default when "
        "the first scenario has more than one class)",
    )


def _add_paired_precision(parser: argparse.ArgumentParser) -> None:
    """``--precision`` and ``--kpi`` of ``compare`` and ``report``: on the paired differences."""
    from sim.core.kpi import KPIS

    add_precision(
        parser,
        kpis="the paired difference of each --kpi, every scenario against the first, (relative to the first's mean)",
        allowed=", ".join(KPIS),
    )


def _add_attribution(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--attribute",
        action="store_true",
        help="also attribute the last scenario's levers (Shapley values) and add the waterfall",
    )
    parser.add_argument(
        "--attribution-n",
        type=positive_int,
        default=None,
        metavar="N",
        help="replications per lever subset for --attribute (default: min(n, 20))",
    )


def _scenarios(args: argparse.Namespace) -> list[Scenario]:
    """The scenarios of ``compare`` and ``report``, loaded; with ``--attribute`` the last must have levers on,
    and ``--kpi`` must name KPIs (kept as ``args.precision_kpis``), which is checked here, before anything runs."""
    from sim.core.errors import Problem, ScenarioError
    from sim.core.kpi import KPIS

    args.precision_kpis = precision_kpis(args, str(args.scenarios[0]), list(KPIS))

    scenarios = [load_variant(p, args.overrides, args.levers) for p in args.scenarios]
    if args.attribute and not scenarios[-1].levers:
        last = scenarios[-1]
        raise ScenarioError(
            [
                Problem(
                    last.source,
                    "scenario.levers",
                    "--attribute attributes the levers of the last scenario, and it has none on: switch some on "
                    "in scenario.levers, put a scenario with levers last, or leave out --attribute",
                )
            ]
        )
    return scenarios


def _comparison(args: argparse.Namespace, scenarios: list[Scenario]) -> Comparison:
    from sim.analysis.compare import compare
    from sim.analysis.traced import UnknownProject
    from sim.core.errors import Problem, ScenarioError
    from sim.present.progress import Progress

    try:
        with Progress("replications", not args.quiet) as tick:
            return compare(
                scenarios,
                n=args.replications,
                seed=args.seed,
                jobs=args.jobs,
                executor=args.ex,
                progress=tick,
                timeline_project=args.timeline_project,
                precision=args.precision,
                precision_kpis=args.precision_kpis,
            )
    except UnknownProject as e:  # checked before the replications run
        raise ScenarioError([Problem("--timeline-project", "", e.detail)]) from None


def _attribution(args: argparse.Namespace, sc: Scenario, n: int, levers: tuple[str, ...] | None = None) -> Attribution:
    from sim.analysis.attribution import attribute
    from sim.present.progress import Progress

    with Progress(f"{sc.name}: lever subsets", not args.quiet, unit="subset") as tick:
        return attribute(
            sc,
            n=n,
            seed=args.seed,
            jobs=args.jobs,
            executor=args.ex,
            levers=levers,
            progress=tick,
            max_orders=getattr(args, "max_orders", 200),
        )


def _cmd_compare(args: argparse.Namespace) -> int:
    from sim.core.errors import Problem, ScenarioError
    from sim.present import plots
    from sim.present.report import write_report
    from sim.present.terminal import format_attribution, format_comparison

    if len(args.scenarios) < 2:
        raise ScenarioError([Problem("compare", "", "give at least two scenarios")])
    scenarios = _scenarios(args)
    if args.out is None:  # the table only
        cmp = _comparison(args, scenarios)
        att = _attribution(args, cmp.scenarios[-1], _attribution_n(args)) if args.attribute else None
        out = None
    else:
        with output_dir(args, scenarios) as outdir:
            cmp = _comparison(args, scenarios)
            att = _attribution(args, cmp.scenarios[-1], _attribution_n(args)) if args.attribute else None
            figures = plots.all_figures(cmp, att)
            plots.save_all(figures, outdir.tmp, cmp, att, jobs=args.jobs)
            outdir.write_json("compare.json", cmp.to_dict())
            if att is not None:
                outdir.write_json("attribution.json", att.to_dict())
            pngs = {name: outdir.path(f"{name}.png").read_bytes() for name in figures}  # drawn once, by save
            write_report(outdir.path("report.html"), cmp, figures, att, " ".join(sys.argv[1:]), pngs=pngs)
            out = outdir.commit()
    if not args.quiet:
        say(format_comparison(cmp))
        if att is not None:
            say("\n" + format_attribution(att))
        if out is not None:
            files = ["compare.json", *(["attribution.json"] if att is not None else []), "report.html"]
            say(f"\nwrote {show(out)}/: {', '.join(files)} and {len(figures)} figures (PNG, SVG and CSV each)")
            say(f"open {show(out / 'report.html')}")
    return 0


def _attribution_n(args: argparse.Namespace) -> int:
    """Replications per lever subset: ``--attribution-n``, else min(n, 20)."""
    return int(args.attribution_n or min(args.replications, 20))


def _cmd_attribute(args: argparse.Namespace) -> int:
    from sim.present import plots
    from sim.present.terminal import format_attribution
    from sim.scenario.loading import load

    sc = load(args.scenario, args.overrides)
    levers = None if args.levers is None else sc.with_levers(args.levers).levers
    with output_dir(args, [sc]) as outdir:
        att = _attribution(args, sc, args.replications, levers)
        outdir.write_json("attribution.json", att.to_dict())
        for kpi in ("approval_workdays", "to_production_months", "cost_pre_construction_cny"):
            plots.save(plots.waterfall(att, kpi), plots.waterfall_data(att, kpi), outdir.tmp, f"waterfall_{kpi}")
        out = outdir.commit()
    if not args.quiet:
        say(format_attribution(att))
        say(f"\nwrote {show(out)}/")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from sim.present import plots
    from sim.present.report import report_target, write_report

    scenarios = _scenarios(args)
    with report_target(args.out, args.force, [f for sc in scenarios for f in sc.files]) as target:
        cmp = _comparison(args, scenarios)
        att = _attribution(args, cmp.scenarios[-1], _attribution_n(args)) if args.attribute else None
        path = write_report(target, cmp, plots.all_figures(cmp, att), att, " ".join(sys.argv[1:]))
    if not args.quiet:
        say(f"wrote {show(path)}; open it in a browser")
    return 0


#: each command's handler, by name
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "compare": _cmd_compare,
    "attribute": _cmd_attribute,
    "report": _cmd_report,
}
