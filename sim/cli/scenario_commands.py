"""The commands on one scenario: ``run``, ``validate``, ``levers`` and ``check``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.cli.console import say, show, tell
from sim.cli.options import (
    add_execution,
    add_levers,
    add_overrides,
    add_precision,
    event_formats,
    positive_int,
    precision_kpis,
    seed_number,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from sim.scenario.scenario import Scenario


def add_parsers(sub: Any) -> None:
    """Add ``run``, ``validate``, ``levers`` and ``check`` to the subcommands ``sub``."""
    from pathlib import Path

    run_cmd = sub.add_parser("run", help="run a scenario and summarise its KPIs")
    run_cmd.add_argument("scenario", type=Path, help="scenario file (TOML)")
    run_cmd.add_argument("-n", "--replications", type=positive_int, default=100, help="replications (default 100)")
    add_precision(run_cmd)
    run_cmd.add_argument("--seed", type=seed_number, default=None, help="root seed (default: the scenario's seed)")
    run_cmd.add_argument("-o", "--out", type=Path, default=None, help="output folder for summary.json and CSV files")
    add_execution(run_cmd)
    run_cmd.add_argument("--events", action="store_true", help="also write the event log events.csv")
    run_cmd.add_argument(
        "--events-format",
        type=event_formats,
        default=None,
        metavar="LIST",
        help="event-log formats, comma-separated: csv (events.csv), xes (events.xes), ocel (events.ocel.json); "
        "implies --events (default csv)",
    )
    run_cmd.add_argument(
        "--replication",
        type=seed_number,
        default=None,
        metavar="K",
        help="run only replication K (with --seed), e.g. to rerun one that failed",
    )
    add_overrides(run_cmd, "override a scenario value by dotted path, e.g. agencies.planning.staff=4 (repeatable)")
    run_cmd.add_argument("--force", action="store_true", help="replace an earlier approval-sim output folder")
    run_cmd.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    add_levers(run_cmd)

    validate_cmd = sub.add_parser("validate", help="check scenario files without running them")
    validate_cmd.add_argument("scenarios", type=Path, nargs="+", help="scenario files (TOML)")
    add_overrides(validate_cmd, "check with this override applied (repeatable)")
    add_levers(validate_cmd)

    levers_cmd = sub.add_parser("levers", help="list a scenario's reform levers and what each changes, stage by stage")
    levers_cmd.add_argument("scenario", type=Path, help="scenario file (TOML)")

    check_cmd = sub.add_parser(
        "check", help="run a scenario and check its calibration targets (exit 1 if any is missed)"
    )
    check_cmd.add_argument("scenario", type=Path, help="scenario file (TOML)")
    check_cmd.add_argument("-n", "--replications", type=positive_int, default=100, help="replications (default 100)")
    add_precision(check_cmd)
    check_cmd.add_argument("--seed", type=seed_number, default=None, help="root seed (default: the scenario's seed)")
    add_execution(check_cmd)
    add_overrides(check_cmd, "override a scenario value by dotted path (repeatable)")
    add_levers(check_cmd)
    check_cmd.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing but errors: the exit status says if targets were met"
    )


def _precision_kpis(args: argparse.Namespace, sc: Scenario) -> tuple[str, ...] | None:
    """``--kpi``, checked against the KPIs of a run of ``sc``."""
    from sim.runs.summary import kpi_names

    return precision_kpis(args, str(args.scenario), kpi_names(sc))


def _cmd_run(args: argparse.Namespace) -> int:
    from sim.core.errors import Problem, ScenarioError
    from sim.present.progress import Progress
    from sim.present.terminal import format_summary
    from sim.runs.runner import run
    from sim.scenario.loading import load

    sc = load(args.scenario, args.overrides, args.levers)
    kpis = _precision_kpis(args, sc)
    if args.precision is not None and args.replication is not None:
        raise ScenarioError(
            [
                Problem(
                    str(args.scenario),
                    "--replication",
                    "runs one replication, which has no precision: leave out --precision or --replication",
                )
            ]
        )
    with Progress(f"{sc.name}: replications", not args.quiet) as tick:
        res = run(
            sc,
            n=args.replications,
            precision=args.precision,
            precision_kpis=kpis,
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
        tell(f"warning: {show(w)}")
    if not args.quiet:
        say(format_summary(res.summary))
        if res.out is not None:
            say(f"\nwrote {show(res.out)}/")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from sim.core.errors import ScenarioError
    from sim.scenario.loading import load

    status = 0
    for path in args.scenarios:
        try:
            scenario = load(path, args.overrides, args.levers)
        except ScenarioError as e:
            for problem in e.problems:
                tell(f"error: {problem}")
            status = 2
        else:
            on = f", levers on: {', '.join(scenario.levers)}" if scenario.levers else ""
            counts = f"{len(scenario.stages)} stages, {len(scenario.agencies)} agencies{on}"
            say(show(f"ok: {path} ({scenario.name}: {counts})"))
    return status


def _cmd_levers(args: argparse.Namespace) -> int:
    from sim.scenario.levers import describe_levers
    from sim.scenario.loading import load

    scenario = load(args.scenario, levers="none")
    described = describe_levers(scenario.raw, str(args.scenario))
    if not described:
        say(f"{show(args.scenario)} declares no levers")
    default_on = set(load(args.scenario).levers)
    for lever_id, name, lines in described:
        say(show(f"{lever_id}: {name}") + ("  [on by default]" if lever_id in default_on else ""))
        for line in lines:
            say(f"    {show(line)}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from sim.present.progress import Progress
    from sim.present.terminal import format_targets
    from sim.runs.runner import run
    from sim.scenario.loading import load
    from sim.scenario.targets import check_targets

    sc = load(args.scenario, args.overrides, args.levers)
    if not any(t.applies(sc.levers) for t in sc.targets):
        say(show(f"{args.scenario} declares no [targets] for the levers {', '.join(sc.levers) or 'none'}"))
        return 0
    kpis = _precision_kpis(args, sc)
    with Progress(f"{sc.name}: replications", not args.quiet) as tick:
        res = run(
            sc,
            n=args.replications,
            seed=args.seed,
            jobs=args.jobs,
            executor=args.ex,
            keep_rows=False,
            progress=tick,
            precision=args.precision,
            precision_kpis=kpis,
        )
    results = check_targets(sc.targets, res.summary)
    if not args.quiet:
        say(format_targets(results, res.summary))
    return 0 if all(t.met for t in results) else 1


#: each command's handler, by name
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": _cmd_run,
    "validate": _cmd_validate,
    "levers": _cmd_levers,
    "check": _cmd_check,
}
