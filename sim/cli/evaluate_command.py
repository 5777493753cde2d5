"""The command that checks a scenario against an event log: ``evaluate``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.cli.console import say, show, tell
from sim.cli.options import (
    LOG_COLUMNS,
    add_execution,
    add_log_reading,
    add_stage_options,
    iso_date,
    positive_int,
    seed_number,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable


def add_parsers(sub: Any) -> None:
    """Add ``evaluate`` to the subcommands ``sub``."""
    from pathlib import Path

    cmd = sub.add_parser(
        "evaluate",
        help="how close a scenario is to an event log: replay the log's case dates, compare durations, stages, months",
    )
    cmd.add_argument("scenario", type=Path, help="scenario file (TOML)")
    cmd.add_argument("log", type=Path, help="the event log: CSV or XES, plain or gzipped (.gz)")
    cmd.add_argument("-o", "--out", type=Path, required=True, help="output folder for evaluate.json and the figure")
    cmd.add_argument("--force", action="store_true", help="replace an earlier approval-sim output folder")
    cmd.add_argument("-n", "--replications", type=positive_int, default=20, help="replications (default 20)")
    cmd.add_argument("--seed", type=seed_number, default=None, help="root seed (default: the scenario's seed)")
    add_execution(cmd)
    add_log_reading(cmd)
    add_stage_options(cmd)
    cmd.add_argument(
        "--observed-until",
        type=iso_date,
        default=None,
        metavar="DATE",
        help="the end of the observation, to the end of that day (default: the log's last event)",
    )
    cmd.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors and warnings")


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from sim.analysis.evaluate import evaluate
    from sim.core.output import OutputDir
    from sim.eventlog.reading import read_log
    from sim.eventlog.stages import StageMap
    from sim.present import plots
    from sim.present.evaluate_text import format_evaluation
    from sim.present.progress import Progress
    from sim.scenario.loading import load

    scenario = load(args.scenario)
    StageMap.parse(args.stage_by, args.stage_sep, args.stage_map)  # its mistakes before the log is read
    log = read_log(args.log, zone=args.zone, **{c: getattr(args, c) for c in LOG_COLUMNS})
    # claimed before anything runs; the scenario's files and the log are never written over
    with OutputDir(args.out, force=args.force, inputs=[*scenario.files, args.log]) as outdir:
        with Progress("replications", not args.quiet) as tick:
            ev = evaluate(
                scenario,
                log,
                n=args.replications,
                seed=args.seed,
                jobs=args.jobs,
                stage_by=args.stage_by,
                stage_sep=args.stage_sep,
                stage_map=args.stage_map,
                observed_until=args.observed_until,
                executor=args.ex,
                progress=tick,
            )
        facts = ev.to_dict()
        outdir.write_json("evaluate.json", facts)
        plots.save(plots.evaluate_figure(ev), plots.evaluate_data(ev), outdir.tmp, "evaluate")
        out = outdir.commit()
    for warning in ev.warnings:
        tell(f"warning: {show(warning)}")
    if not args.quiet:
        say(format_evaluation(facts))
        say(f"\nwrote {show(out)}/ (evaluate.json, evaluate.png, .svg and .csv)")
    return 0


#: each command's handler, by name
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "evaluate": _cmd_evaluate,
}
