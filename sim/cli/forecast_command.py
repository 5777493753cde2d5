"""The ``forecast`` command: today's open files (a backlog CSV, or the open cases of an event log) forecast to
their decisions, construction permit and production, with what-ifs paired file by file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.cli.console import say, show
from sim.cli.options import add_run_options, add_variants, iso_date, load_variant

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from sim.analysis.forecast_result import Forecast
    from sim.scenario.backlog import Backlog
    from sim.scenario.scenario import Scenario


def add_parsers(sub: Any) -> None:
    """Add ``forecast`` to the subcommands ``sub``."""
    from pathlib import Path

    from sim.eventlog.stages import STAGE_BY_HELP

    cmd = sub.add_parser(
        "forecast",
        help="forecast today's open files: per-file decision dates, statutory limits at risk, what-ifs",
        description="Each replication starts at the as-of date with the open files where they stand and runs on; "
        "several scenarios (FILE@KEY=VALUE variants) are what-ifs compared file by file with the same random "
        "numbers. See docs/forecast.md.",
    )
    add_variants(cmd)
    source = cmd.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--backlog", type=Path, metavar="CSV", help="the open files: one row per project and stage (docs/forecast.md)"
    )
    source.add_argument(
        "--backlog-from",
        type=Path,
        metavar="LOG",
        help="take the cases of an event log (CSV or XES) open at the as-of date as the backlog",
    )
    cmd.add_argument(
        "--as-of", type=iso_date, required=True, metavar="DATE", help="the date the backlog describes (00:00 of it)"
    )
    cmd.add_argument(
        "--until",
        type=iso_date,
        default=None,
        metavar="DATE",
        help="last day simulated (default: the scenario's end, or two years after the as-of date if later)",
    )
    add_run_options(
        cmd,
        out_help="output folder for forecast.csv, forecast.json, versus.csv and the figures forecast_files and "
        "clearance (PNG, SVG, CSV); without it only the tables are printed",
        several=True,
        out_required=False,
    )
    logs = cmd.add_argument_group("with --backlog-from")
    logs.add_argument("--stage-by", default="activity", help=f"stages of the log's activities: {STAGE_BY_HELP}")
    logs.add_argument("--stage-sep", default="_", metavar="SEP", help="separator of an activity name's parts")
    logs.add_argument("--stage-map", type=Path, default=None, metavar="TOML", help="a stage map file (regexes)")
    logs.add_argument("--zone", default=None, metavar="TZ", help="read the log's times in this time zone")
    for role in ("case", "activity", "time", "start"):
        logs.add_argument(f"--{role}", metavar="COL", default=None, help=f"CSV column of the {role} (default: guessed)")


def _backlog(args: argparse.Namespace, sc: Scenario) -> Backlog:
    """The backlog of the command, checked against ``sc``."""
    if args.backlog is not None:
        from sim.scenario.backlog_reading import read_backlog

        return read_backlog(args.backlog, sc, args.as_of)
    from sim.eventlog.reading import read_log
    from sim.eventlog.stages import StageMap
    from sim.scenario.backlog_log import backlog_from_log

    columns = {c: getattr(args, c) for c in ("case", "activity", "time", "start")}
    log = read_log(args.backlog_from, zone=args.zone, **columns)
    stages = StageMap.parse(args.stage_by, args.stage_sep, args.stage_map)
    return backlog_from_log(log, stages, sc, args.as_of)


def _forecasts(args: argparse.Namespace, scenarios: list[Scenario]) -> tuple[Backlog, list[Forecast]]:
    from sim.analysis.forecast import forecast
    from sim.present.progress import Progress
    from sim.runs.pool import pool_for

    backlogs = [_backlog(args, sc) for sc in scenarios]  # every variant checks the backlog (levers change the graph)
    seed = scenarios[0].seed if args.seed is None else args.seed
    out: list[Forecast] = []
    with Progress("replications", not args.quiet) as tick, pool_for(args.jobs, args.ex) as ex:
        total = args.replications * len(scenarios)
        for i, (sc, backlog) in enumerate(zip(scenarios, backlogs)):

            def progress(done: int, n: int, before: int = i * args.replications) -> None:
                tick(before + done, total)

            out.append(
                forecast(
                    sc,
                    backlog,
                    n=args.replications,
                    seed=seed,
                    jobs=args.jobs,
                    executor=ex,
                    progress=progress,
                    until=args.until,
                    baseline=out[0] if out else None,
                )
            )
    return backlogs[0], out


def _cmd_forecast(args: argparse.Namespace) -> int:
    from sim.present.forecast_text import format_forecast, format_versus

    scenarios = [load_variant(p, args.overrides, args.levers) for p in args.scenarios]
    if args.out is None:
        backlog, forecasts = _forecasts(args, scenarios)
        written: list[str] = []
    else:
        from sim.core.output import OutputDir

        given = args.backlog if args.backlog is not None else args.backlog_from
        inputs = [*(f for sc in scenarios for f in sc.files), given]
        with OutputDir(args.out, force=args.force, inputs=inputs) as outdir:
            backlog, forecasts = _forecasts(args, scenarios)
            written = _write(outdir, backlog, forecasts, args.backlog_from is not None)
            out = outdir.commit()
    if not args.quiet:
        for fc in forecasts:
            say(format_forecast(fc) + "\n")
        for fc in forecasts[1:]:
            say(format_versus(fc.versus(), forecasts[0].scenario.name, fc.scenario.name, VERSUS_ITEMS) + "\n")
        if written:
            say(f"wrote {show(out)}/: {', '.join(written)}")
            say(f"open {show(out / 'forecast_files.png')}")
    return 0


#: the paired differences the terminal shows (versus.csv has the next decision and production too)
VERSUS_ITEMS = ("construction_permit", "limit_missed")


def _write(outdir: Any, backlog: Backlog, forecasts: list[Forecast], from_log: bool) -> list[str]:
    """forecast.csv, forecast.json, versus.csv (what-ifs), the figures forecast_files and clearance and, from a
    log, backlog.csv."""
    from sim.core.output import spreadsheet_safe
    from sim.present import forecast_plots
    from sim.present.plots import save

    def table(name: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        writer = outdir.csv_writer(name, list(rows[0]))
        writer.writerows([[spreadsheet_safe(v) for v in r.values()] for r in rows])

    files = [{"scenario": fc.scenario.name, **r} for fc in forecasts for r in fc.files()]
    table("forecast.csv", files)
    written = ["forecast.csv", "forecast.json"]
    outdir.write_json("forecast.json", {"scenarios": [fc.to_dict() for fc in forecasts]})
    if len(forecasts) > 1:
        rows = [
            {"scenario": fc.scenario.name, "versus": forecasts[0].scenario.name, **r}
            for fc in forecasts[1:]
            for r in fc.versus()
        ]
        table("versus.csv", rows)
        written.append("versus.csv")
    if from_log:
        table("backlog.csv", backlog.rows())
        written.append("backlog.csv")
    plots = forecast_plots
    save(plots.forecast_figure(forecasts), plots.forecast_data(forecasts), outdir.tmp, "forecast_files")
    save(plots.clearance_figure(forecasts), plots.clearance_data(forecasts), outdir.tmp, "clearance")
    written.append("figures forecast_files and clearance (PNG, SVG, CSV)")
    return written


#: each command's handler, by name
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "forecast": _cmd_forecast,
}
