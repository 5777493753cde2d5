"""The commands on event logs: ``log`` (what a log holds)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.cli.console import say, show
from sim.cli.options import LOG_COLUMNS, add_log_reading

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable


def add_parsers(sub: Any) -> None:
    """Add ``log`` to the subcommands ``sub``."""
    from pathlib import Path

    log_cmd = sub.add_parser(
        "log", help="read an event log (CSV or XES) and print what to check before fitting a scenario to it"
    )
    log_cmd.add_argument("log", type=Path, help="the event log: CSV or XES, plain or gzipped (.gz)")
    add_log_reading(log_cmd)
    log_cmd.add_argument("-o", "--out", type=Path, default=None, help="output folder for log.json")
    log_cmd.add_argument("--force", action="store_true", help="replace a non-empty output folder")


def _cmd_log(args: argparse.Namespace) -> int:
    from sim.core.output import OutputDir
    from sim.eventlog.profile import profile
    from sim.eventlog.reading import read_log
    from sim.present.log_text import format_log_profile

    log = read_log(args.log, zone=args.zone, **{c: getattr(args, c) for c in LOG_COLUMNS})
    facts = profile(log)
    say(format_log_profile(facts))
    if args.out is not None:
        with OutputDir(args.out, force=args.force) as outdir:
            outdir.write_json("log.json", facts)
            out = outdir.commit()
        say(f"\nwrote {show(out)}/log.json")
    return 0


#: each command's handler, by name
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "log": _cmd_log,
}
