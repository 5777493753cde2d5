"""Option types and the options several commands share: replications, seed, where to run, ``--set``,
``--levers``, the output folder ``-o``, and how an event log is read (its CSV columns, ``--zone``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from sim.core.output import OutputDir
    from sim.scenario.scenario import Scenario


def positive_int(text: str) -> int:
    import argparse

    try:
        value = whole(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def whole(text: str) -> int:
    """A whole number written with the digits 0-9 only (``int`` also takes other scripts' digits, ``_`` and signs)."""
    if not (text.isascii() and text.strip().lstrip("-").isdigit()):
        raise ValueError(text)
    return int(text)


def seed_number(text: str) -> int:
    import argparse

    try:
        value = whole(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def event_formats(text: str) -> tuple[str, ...]:
    import argparse

    from sim.runs.event_output import parse_formats

    try:
        return parse_formats(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_run_options(parser: argparse.ArgumentParser, out_help: str) -> None:
    from pathlib import Path

    parser.add_argument("-n", "--replications", type=positive_int, default=100, help="replications (default 100)")
    parser.add_argument(
        "--seed", type=seed_number, default=None, help="root seed (default: the (first) scenario's seed)"
    )
    add_execution(parser)
    parser.add_argument("-o", "--out", type=Path, required=True, help=out_help)
    parser.add_argument("--force", action="store_true", help="replace an earlier approval-sim output folder")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors (no progress bar)")


def add_execution(parser: argparse.ArgumentParser) -> None:
    from sim.runs.executors import KINDS

    parser.add_argument(
        "-j",
        "--jobs",
        type=positive_int,
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


def add_overrides(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=help)


def add_levers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--levers",
        default=None,
        metavar="LIST",
        help='reform levers to switch on: comma-separated ids, "all" or "none" '
        "(default: the scenario's own scenario.levers)",
    )


def output_dir(args: argparse.Namespace, scenarios: Sequence[Scenario]) -> OutputDir:
    """The output folder ``-o``, claimed before anything runs; the scenarios' files may not be written over."""
    from sim.core.output import OutputDir

    return OutputDir(args.out, force=args.force, inputs=[f for sc in scenarios for f in sc.files])


#: the CSV columns of an event log that an option may name (``--case COL`` ...), as ``read_log`` takes them
LOG_COLUMNS = ("case", "activity", "time", "start", "resource", "group", "lifecycle")


def add_log_reading(parser: argparse.ArgumentParser) -> None:
    """The options that say how to read an event log: a CSV column for each role, and ``--zone``."""
    what = {
        "case": "the case id",
        "activity": "the activity",
        "time": "the (completion) time",
        "start": "the start time",
        "resource": "the resource",
        "group": "the group (agency, department)",
        "lifecycle": "the lifecycle transition (start/complete)",
    }
    for role in LOG_COLUMNS:
        parser.add_argument(
            f"--{role}",
            metavar="COL",
            default=None,
            help=f"CSV column of {what[role]} (default: guessed from its name)",
        )
    parser.add_argument(
        "--zone",
        default=None,
        metavar="TZ",
        help="convert times to this time zone, e.g. Europe/Amsterdam (default: each timestamp's own offset)",
    )
