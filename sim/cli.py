"""The ``approval-sim`` command line.

Exit status: 0 success, 1 a run failed, 2 bad input (scenario, option,
output folder or an executor that cannot be set up), 130 interrupted.  Bad
input never prints a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from sim.core.errors import CalendarWarning, LogError, Problem, ScenarioError
from sim.present.progress import Progress
from sim.present.terminal import format_attribution, format_comparison, format_points, format_summary, format_targets
from sim.runs.executors import KINDS, ExecutorError, executor_threads, make_executor
from sim.runs.output import OutputDir, OutputError
from sim.runs.pool import ReplicationFailed
from sim.runs.runner import run
from sim.scenario.levers import describe_levers
from sim.scenario.loading import load
from sim.scenario.targets import check_targets

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.analysis.attribution import Attribution
    from sim.analysis.compare import Comparison
    from sim.analysis.sweep import SweepResult, TornadoResult
    from sim.present.style import Rows
    from sim.scenario.scenario import Scenario


def _positive_int(text: str) -> int:
    try:
        value = _whole(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _whole(text: str) -> int:
    """A whole number written with the digits 0-9 only (``int`` also takes other scripts' digits, ``_`` and signs)."""
    if not (text.isascii() and text.strip().lstrip("-").isdigit()):
        raise ValueError(text)
    return int(text)


def _seed(text: str) -> int:
    try:
        value = _whole(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _event_formats(text: str) -> tuple[str, ...]:
    from sim.runs.event_output import parse_formats

    try:
        return parse_formats(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``approval-sim``."""
    parser = argparse.ArgumentParser(prog="approval-sim", description="Simulate project-approval workflows.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run_cmd = sub.add_parser("run", help="run a scenario and summarise its KPIs")
    run_cmd.add_argument("scenario", type=Path, help="scenario file (TOML)")
    run_cmd.add_argument("-n", "--replications", type=_positive_int, default=100, help="replications (default 100)")
    run_cmd.add_argument("--seed", type=_seed, default=None, help="root seed (default: the scenario's seed)")
    run_cmd.add_argument("-o", "--out", type=Path, default=None, help="output folder for summary.json and CSV files")
    _add_execution(run_cmd)
    run_cmd.add_argument("--events", action="store_true", help="also write the event log events.csv")
    run_cmd.add_argument(
        "--events-format",
        type=_event_formats,
        default=None,
        metavar="LIST",
        help="event-log formats, comma-separated: csv (events.csv), xes (events.xes), ocel (events.ocel.json); "
        "implies --events (default csv)",
    )
    run_cmd.add_argument(
        "--replication",
        type=_seed,
        default=None,
        metavar="K",
        help="run only replication K (with --seed), e.g. to rerun one that failed",
    )
    _add_overrides(run_cmd, "override a scenario value by dotted path, e.g. agencies.planning.staff=4 (repeatable)")
    run_cmd.add_argument("--force", action="store_true", help="replace an earlier approval-sim output folder")
    run_cmd.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    _add_levers(run_cmd)

    validate_cmd = sub.add_parser("validate", help="check scenario files without running them")
    validate_cmd.add_argument("scenarios", type=Path, nargs="+", help="scenario files (TOML)")
    _add_overrides(validate_cmd, "check with this override applied (repeatable)")
    _add_levers(validate_cmd)

    levers_cmd = sub.add_parser("levers", help="list a scenario's reform levers and what each changes, stage by stage")
    levers_cmd.add_argument("scenario", type=Path, help="scenario file (TOML)")

    check_cmd = sub.add_parser(
        "check", help="run a scenario and check its calibration targets (exit 1 if any is missed)"
    )
    check_cmd.add_argument("scenario", type=Path, help="scenario file (TOML)")
    check_cmd.add_argument("-n", "--replications", type=_positive_int, default=100, help="replications (default 100)")
    check_cmd.add_argument("--seed", type=_seed, default=None, help="root seed (default: the scenario's seed)")
    _add_execution(check_cmd)
    _add_overrides(check_cmd, "override a scenario value by dotted path (repeatable)")
    _add_levers(check_cmd)

    compare_cmd = sub.add_parser(
        "compare", help="run scenarios with common random numbers; paired differences, figures, report"
    )
    compare_cmd.add_argument(
        "scenarios", type=Path, nargs="+", help="two or more scenario files; the first is the reference"
    )
    _add_run_options(compare_cmd, out_help="output folder for compare.json, figures (PNG, SVG, CSV) and report.html")
    compare_cmd.add_argument(
        "--attribute",
        action="store_true",
        help="also attribute the last scenario's levers (Shapley) and add the waterfall",
    )
    compare_cmd.add_argument(
        "--attribution-n",
        type=_positive_int,
        default=None,
        metavar="N",
        help="replications per lever subset for --attribute (default: min(n, 20))",
    )

    attribute_cmd = sub.add_parser(
        "attribute", help="how much each lever contributes (Shapley values over lever subsets)"
    )
    attribute_cmd.add_argument("scenario", type=Path, help="scenario file (TOML)")
    _add_run_options(attribute_cmd, out_help="output folder for attribution.json and the waterfall figures")
    attribute_cmd.add_argument(
        "--levers",
        default=None,
        metavar="LIST",
        help="levers to attribute (default: the scenario's own scenario.levers)",
    )
    attribute_cmd.add_argument(
        "--max-orders",
        type=_positive_int,
        default=200,
        help="sampled lever orders when there are too many levers for all subsets (default 200)",
    )

    report_cmd = sub.add_parser("report", help="write one self-contained HTML report comparing scenarios")
    report_cmd.add_argument("scenarios", type=Path, nargs="+", help="scenario files; the first is the reference")
    report_cmd.add_argument("-o", "--out", type=Path, required=True, help="the HTML file to write")
    report_cmd.add_argument("--force", action="store_true", help="replace an earlier report of approval-sim")
    report_cmd.add_argument("-n", "--replications", type=_positive_int, default=100, help="replications (default 100)")
    report_cmd.add_argument("--seed", type=_seed, default=None, help="root seed (default: the first scenario's seed)")
    _add_execution(report_cmd)
    report_cmd.add_argument(
        "--attribute", action="store_true", help="include the Shapley attribution of the last scenario"
    )
    report_cmd.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")

    sweep_cmd = sub.add_parser("sweep", help="run a grid of parameter values with common random numbers")
    sweep_cmd.add_argument("scenario", type=Path, help="scenario file (TOML)")
    sweep_cmd.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="PATH=V1,V2,...",
        required=True,
        help="a parameter and its values, e.g. agencies.planning.staff=1,2,3,4 or levers=none,all "
        "(repeatable: the grid is the product)",
    )
    _add_overrides(sweep_cmd, "override a scenario value by dotted path at every grid point (repeatable)")
    sweep_cmd.add_argument("--kpi", default="approval_workdays", help="KPI to measure (default approval_workdays)")
    _add_run_options(sweep_cmd, out_help="output folder for sweep.json and the sweep figure (PNG, SVG, CSV)")

    log_cmd = sub.add_parser(
        "log", help="read an event log (CSV or XES) and print what to check before fitting a scenario to it"
    )
    log_cmd.add_argument("log", type=Path, help="the event log: CSV or XES, plain or gzipped (.gz)")
    for role, what in (
        ("case", "the case id"),
        ("activity", "the activity"),
        ("time", "the (completion) time"),
        ("start", "the start time"),
        ("resource", "the resource"),
        ("group", "the group (agency, department)"),
        ("lifecycle", "the lifecycle transition (start/complete)"),
    ):
        log_cmd.add_argument(
            f"--{role}", metavar="COL", default=None, help=f"CSV column of {what} (default: guessed from its name)"
        )
    log_cmd.add_argument(
        "--zone",
        default=None,
        metavar="TZ",
        help="convert times to this time zone, e.g. Europe/Amsterdam (default: each timestamp's own offset)",
    )
    log_cmd.add_argument("-o", "--out", type=Path, default=None, help="output folder for log.json")
    log_cmd.add_argument("--force", action="store_true", help="replace a non-empty output folder")

    tornado_cmd = sub.add_parser(
        "tornado", help="one-at-a-time sensitivity of a KPI to parameters (low and high values)"
    )
    tornado_cmd.add_argument("scenario", type=Path, help="scenario file (TOML)")
    tornado_cmd.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="PATH=LOW,HIGH",
        required=True,
        help="a parameter with its low and high value, e.g. agents.staff=2,8 (repeatable)",
    )
    _add_overrides(tornado_cmd, "override a scenario value by dotted path in every run (repeatable)")
    tornado_cmd.add_argument("--kpi", default="approval_workdays", help="KPI to measure (default approval_workdays)")
    _add_levers(tornado_cmd)
    _add_run_options(tornado_cmd, out_help="output folder for tornado.json and the tornado figure (PNG, SVG, CSV)")
    return parser


def _varied(items: list[str], overrides: list[str], file: str, pairs: bool = False) -> dict[str, list[Any]]:
    """The ``--vary`` parameters: path -> its values (with ``pairs``, exactly two: low and high).

    A path may not also be fixed by ``--set``: which of the two would hold is not obvious.
    """
    from sim.analysis.sweep import parse_values
    from sim.scenario.overrides import parse_overrides

    fixed = parse_overrides(overrides, file)
    varied: dict[str, list[Any]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        values = parse_values(text) if sep else []
        if not sep or not key or not values or (pairs and len(values) != 2):
            want = "PATH=LOW,HIGH" if pairs else "PATH=V1,V2,..."
            raise ScenarioError([Problem(file, f"--vary {item}", f"must be {want}")])
        if key in fixed:
            raise ScenarioError([Problem(file, f"--vary {item}", f"{key} is also fixed by --set: give it once")])
        if key in varied:
            raise ScenarioError([Problem(file, f"--vary {item}", f"{key} is varied twice: give its values once")])
        varied[key] = values
    return varied


def _cmd_sweep(args: argparse.Namespace) -> int:
    from sim.analysis.sweep import sweep
    from sim.present import plots

    grid = _varied(args.vary, args.overrides, str(args.scenario))
    sc = load(args.scenario, args.overrides)
    with _output_dir(args, [sc]) as outdir:
        with Progress("grid points", not args.quiet) as tick:
            res = sweep(
                sc,
                grid,
                n=args.replications,
                seed=args.seed,
                kpi=args.kpi,
                jobs=args.jobs,
                executor=args.ex,
                progress=tick,
            )
        out = _write_study(outdir, "sweep", res, plots.sweep_figure(res), plots.sweep_data(res))
    if not args.quiet:
        print(format_points(res.rows, res.parameters, res.kpi))
        print(f"\nwrote {out}/")
    return 0


def _output_dir(args: argparse.Namespace, scenarios: Sequence[Scenario]) -> OutputDir:
    """The output folder ``-o``, claimed before anything runs; the scenarios' files may not be written over."""
    return OutputDir(args.out, force=args.force, inputs=[f for sc in scenarios for f in sc.files])


def _write_study(outdir: OutputDir, name: str, res: SweepResult | TornadoResult, fig: Figure, rows: Rows) -> Path:
    """Write NAME.json and the figure (PNG, SVG, CSV) into the output folder, atomically."""
    from sim.present import plots

    outdir.write_json(f"{name}.json", res.to_dict())
    plots.save(fig, rows, outdir.tmp, name)
    return outdir.commit()


def _cmd_tornado(args: argparse.Namespace) -> int:
    from sim.analysis.sweep import tornado
    from sim.present import plots

    varied = _varied(args.vary, args.overrides, str(args.scenario), pairs=True)
    ranges = {path: (low, high) for path, (low, high) in varied.items()}
    sc = load(args.scenario, args.overrides, args.levers)
    with _output_dir(args, [sc]) as outdir:
        with Progress("parameters", not args.quiet) as tick:
            res = tornado(
                sc,
                ranges,
                n=args.replications,
                seed=args.seed,
                kpi=args.kpi,
                jobs=args.jobs,
                executor=args.ex,
                progress=tick,
            )
        out = _write_study(outdir, "tornado", res, plots.tornado_figure(res), plots.tornado_data(res))
    if not args.quiet:
        print(f"{res.kpi} at base: {res.base:.4g}")
        print(
            format_points(
                res.rows, ["parameter", "low_value", "high_value"], res.kpi, stats=("low_mean", "high_mean", "swing")
            )
        )
        print(f"\nwrote {out}/")
    return 0


def _add_run_options(parser: argparse.ArgumentParser, out_help: str) -> None:
    parser.add_argument("-n", "--replications", type=_positive_int, default=100, help="replications (default 100)")
    parser.add_argument("--seed", type=_seed, default=None, help="root seed (default: the (first) scenario's seed)")
    _add_execution(parser)
    parser.add_argument("-o", "--out", type=Path, required=True, help=out_help)
    parser.add_argument("--force", action="store_true", help="replace an earlier approval-sim output folder")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors (no progress bar)")


def _add_execution(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        default=None,
        help="worker processes (same results for any; default 1); with --executor dask, "
        "replications in progress at once (default: the cluster's threads)",
    )
    parser.add_argument(
        "--executor",
        choices=KINDS,
        default="local",
        help="where replications run: local processes (default) or a Dask cluster (same results)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="the Dask scheduler for --executor dask, e.g. tcp://HOST:8786",
    )


def _add_overrides(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=help)


def _add_levers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--levers",
        default=None,
        metavar="LIST",
        help='reform levers to switch on: comma-separated ids, "all" or "none" '
        "(default: the scenario's own scenario.levers)",
    )


def _cmd_run(args: argparse.Namespace) -> int:
    sc = load(args.scenario, args.overrides, args.levers)
    with Progress("replications", not args.quiet) as tick:
        res = run(
            sc,
            n=args.replications,
            seed=args.seed,
            jobs=args.jobs,
            executor=args.ex,
            out=args.out,
            events=args.events,
            event_formats=args.events_format,
            force=args.force,
            keep_rows=False,
            progress=tick,
            only=args.replication,
        )
    for w in res.summary.get("warnings", []):
        print(f"warning: {w}", file=sys.stderr)
    if not args.quiet:
        print(format_summary(res.summary))
        if res.out is not None:
            print(f"\nwrote {res.out}/")
    return 0


def _cmd_log(args: argparse.Namespace) -> int:
    from sim.eventlog.profile import profile
    from sim.eventlog.reading import read_log
    from sim.present.log_text import format_log_profile

    columns = ("case", "activity", "time", "start", "resource", "group", "lifecycle")
    log = read_log(args.log, zone=args.zone, **{c: getattr(args, c) for c in columns})
    facts = profile(log)
    print(format_log_profile(facts))
    if args.out is not None:
        with OutputDir(args.out, force=args.force) as outdir:
            outdir.write_json("log.json", facts)
            out = outdir.commit()
        print(f"\nwrote {out}/log.json")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    status = 0
    for path in args.scenarios:
        try:
            scenario = load(path, args.overrides, args.levers)
        except ScenarioError as e:
            for problem in e.problems:
                print(f"error: {problem}", file=sys.stderr)
            status = 2
        else:
            on = f", levers on: {', '.join(scenario.levers)}" if scenario.levers else ""
            print(f"ok: {path} ({scenario.name}: {len(scenario.stages)} stages, {len(scenario.agencies)} agencies{on})")
    return status


def _cmd_levers(args: argparse.Namespace) -> int:
    scenario = load(args.scenario, levers="none")
    described = describe_levers(scenario.raw, str(args.scenario))
    if not described:
        print(f"{args.scenario} declares no levers")
    default_on = set(load(args.scenario).levers)
    for lever_id, name, lines in described:
        print(f"{lever_id}: {name}{'  [on by default]' if lever_id in default_on else ''}")
        for line in lines:
            print(f"    {line}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    sc = load(args.scenario, args.overrides, args.levers)
    if not any(t.applies(sc.levers) for t in sc.targets):
        print(f"{args.scenario} declares no [targets] for the levers {', '.join(sc.levers) or 'none'}")
        return 0
    with Progress("replications") as tick:
        res = run(
            sc, n=args.replications, seed=args.seed, jobs=args.jobs, executor=args.ex, keep_rows=False, progress=tick
        )
    results = check_targets(sc.targets, res.summary)
    print(format_targets(results, res.summary))
    return 0 if all(t.met for t in results) else 1


def _loaded_for_comparison(args: argparse.Namespace) -> list[Scenario]:
    """The scenarios of ``compare``/``report``, loaded; ``--attribute`` needs levers on the last one."""
    scenarios = [load(p) for p in args.scenarios]
    if getattr(args, "attribute", False) and not scenarios[-1].levers:
        why = "has no levers on: --attribute splits the effect of the last scenario's levers"
        raise ScenarioError([Problem(str(args.scenarios[-1]), "--attribute", why)])
    return scenarios


def _comparison(args: argparse.Namespace, scenarios: list[Scenario]) -> Comparison:
    from sim.analysis.compare import compare

    with Progress("replications", not args.quiet) as tick:
        return compare(scenarios, n=args.replications, seed=args.seed, jobs=args.jobs, executor=args.ex, progress=tick)


def _attribution(args: argparse.Namespace, sc: Scenario, n: int, levers: tuple[str, ...] | None = None) -> Attribution:
    from sim.analysis.attribution import attribute

    with Progress("lever subsets", not args.quiet) as tick:
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
    from sim.present import plots
    from sim.present.report import write_report

    if len(args.scenarios) < 2:
        raise ScenarioError([Problem("compare", "", "give at least two scenario files")])
    scenarios = _loaded_for_comparison(args)
    with _output_dir(args, scenarios) as outdir:
        cmp = _comparison(args, scenarios)
        att = None
        if args.attribute and cmp.scenarios[-1].levers:
            att = _attribution(args, cmp.scenarios[-1], args.attribution_n or min(args.replications, 20))
        figures = plots.all_figures(cmp, att)
        for name, (fig, rows) in figures.items():
            plots.save(fig, rows, outdir.tmp, name)
        outdir.write_json("compare.json", cmp.to_dict())
        if att is not None:
            outdir.write_json("attribution.json", att.to_dict())
        write_report(outdir.path("report.html"), cmp, figures, att, " ".join(sys.argv[1:]))
        out = outdir.commit()
    if not args.quiet:
        print(format_comparison(cmp))
        print(f"\nwrote {out}/ (compare.json, report.html, figures as PNG, SVG and CSV)")
    return 0


def _cmd_attribute(args: argparse.Namespace) -> int:
    from sim.present import plots

    sc = load(args.scenario)
    levers = None if args.levers is None else sc.with_levers(args.levers).levers
    with _output_dir(args, [sc]) as outdir:
        att = _attribution(args, sc, args.replications, levers)
        outdir.write_json("attribution.json", att.to_dict())
        for kpi in ("approval_workdays", "to_production_months", "cost_pre_construction_cny"):
            plots.save(plots.waterfall(att, kpi), plots.waterfall_data(att, kpi), outdir.tmp, f"waterfall_{kpi}")
        out = outdir.commit()
    if not args.quiet:
        print(format_attribution(att))
        print(f"\nwrote {out}/")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from sim.present import plots
    from sim.present.report import report_target, write_report

    scenarios = _loaded_for_comparison(args)
    with report_target(args.out, args.force, [f for sc in scenarios for f in sc.files]) as target:
        cmp = _comparison(args, scenarios)
        att = (
            _attribution(args, cmp.scenarios[-1], min(args.replications, 20))
            if args.attribute and cmp.scenarios[-1].levers
            else None
        )
        path = write_report(target, cmp, plots.all_figures(cmp, att), att, " ".join(sys.argv[1:]))
    if not args.quiet:
        print(f"wrote {path}")
    return 0


class Terminated(BaseException):
    """SIGTERM, turned into an exception so that outputs are cleaned up on the way out."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def entry_point() -> None:
    """The ``approval-sim`` command: :func:`main`, then exit with its status.

    After an interruption (130) or SIGTERM (143) the outputs are already cleaned up and the workers
    stopped; the process then leaves at once (``os._exit``) instead of running the interpreter's exit
    handlers, which join the worker pool's threads: the signal may have arrived while one of them held
    a lock, and the join would then wait forever.
    """
    status = main()
    if status in (130, 143):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    raise SystemExit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 a run failed or a target was missed, 2 bad input,
    130 interrupted, 143 terminated)."""
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    warnings.simplefilter("default", CalendarWarning)
    warnings.formatwarning = lambda msg, cat, *a, **k: f"warning: {msg}\n"
    try:
        commands = {
            "run": _cmd_run,
            "validate": _cmd_validate,
            "levers": _cmd_levers,
            "check": _cmd_check,
            "compare": _cmd_compare,
            "attribute": _cmd_attribute,
            "report": _cmd_report,
            "sweep": _cmd_sweep,
            "tornado": _cmd_tornado,
            "log": _cmd_log,
        }
        if not hasattr(args, "executor"):  # validate, levers: nothing to run
            return commands[args.command](args)
        with make_executor(args.executor, args.scheduler) as args.ex:
            args.jobs = args.jobs or executor_threads(args.ex) or 1
            return commands[args.command](args)
    except (ScenarioError, LogError) as e:
        for problem in e.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except (OutputError, ExecutorError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head and the like
        sys.stderr.close()
        return 0
    except ReplicationFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: no output was written", file=sys.stderr)
        return 130
    except Terminated:
        print("terminated: no output was written", file=sys.stderr)
        return 143
