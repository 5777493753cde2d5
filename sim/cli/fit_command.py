"""The ``fit`` command: a scenario of the process an event log records (docs/event-logs.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.cli.console import say, show
from sim.cli.options import LOG_COLUMNS, add_log_reading, add_stage_options

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from sim.fitting.fit import FittedScenario


def _share(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, got {text}")
    return value


def add_parsers(sub: Any) -> None:
    """Add ``fit`` to the subcommands ``sub``."""
    from pathlib import Path

    from sim.fitting.fit import DEFAULT_WAITING
    from sim.fitting.graph import FLOWS

    cmd = sub.add_parser(
        "fit", help="fit a scenario to an event log (CSV or XES): every fitted value commented in the file written"
    )
    cmd.add_argument("log", type=Path, help="the event log: CSV or XES, plain or gzipped (.gz)")
    cmd.add_argument("-o", "--out", type=Path, required=True, help="the scenario file to write (TOML)")
    cmd.add_argument("--force", action="store_true", help="replace a scenario file that fit wrote earlier")
    add_log_reading(cmd)
    cmd.add_argument(
        "--country",
        default="none",
        metavar="CC",
        help="public holidays of the calendar: a country code of the holidays package, e.g. NL or CN (default none)",
    )
    add_stage_options(cmd)
    cmd.add_argument(
        "--replay", action="store_true", help="projects sign on the log's case start dates, not as a Poisson stream"
    )
    cmd.add_argument(
        "--min-share", type=_share, default=0.02, metavar="X", help="leave out stages seen in fewer of the cases (0.02)"
    )
    cmd.add_argument(
        "--min-profile-share",
        type=_share,
        default=0.02,
        metavar="X",
        help="a set of optional stages run by at least this share of the cases is a class of its own (0.02)",
    )
    cmd.add_argument(
        "--waiting",
        default=DEFAULT_WAITING,
        metavar="REGEX",
        help="activities that are waiting, not work, when the log has start times "
        "(default: approval-sim's own queue, sitting, lag, agent_wait, supplement)",
    )
    cmd.add_argument(
        "--utilisation",
        type=_share,
        default=0.8,
        metavar="U",
        help="without start times: the agencies' assumed utilisation, from which effort follows (0.8)",
    )
    cmd.add_argument(
        "--flow",
        choices=FLOWS,
        default="graph",
        help="graph: stages follow the precedence found in the log (default); sequence: one after the other in "
        "the order of their first events, for day-granular logs that record parallel stages in one burst",
    )
    cmd.add_argument(
        "--investment", default=None, metavar="ATTR", help="a numeric case attribute to fit investment_cny to"
    )


def _cmd_fit(args: argparse.Namespace) -> int:
    from sim.eventlog.reading import read_log
    from sim.fitting.fit import fit, fit_target

    inputs = [str(args.log)] + ([str(args.stage_map)] if args.stage_map is not None else [])
    target = fit_target(args.out, args.force, inputs)  # claimed before anything is read
    with target:
        log = read_log(args.log, zone=args.zone, **{c: getattr(args, c) for c in LOG_COLUMNS})
        fitted = fit(
            log,
            stage_by=args.stage_by,
            stage_sep=args.stage_sep,
            stage_map=args.stage_map,
            country=args.country,
            replay=args.replay,
            min_share=args.min_share,
            min_profile_share=args.min_profile_share,
            waiting=args.waiting,
            utilisation=args.utilisation,
            investment=args.investment,
            flow=args.flow,
        )
        out = fitted.write(target)
    say(summary(fitted, str(out)))
    return 0


def summary(fitted: FittedScenario, out: str) -> str:
    """What was fitted, in a few lines, and the next command to run."""
    f = fitted.facts
    stages = f["stages"]
    left = f", {len(f['left_out'])} left out (seen in too few cases)" if f["left_out"] else ""
    optional = [s for s, v in stages.items() if v["optional"]]
    rework = [f"{s} p={v['defect']['p']:.2g}" for s, v in stages.items() if "defect" in v]
    agencies = ", ".join(f"{a} ({v['staff']} staff)" for a, v in f["agencies"].items())
    profiles = ", ".join(f"{p['class']} {p['cases'] / f['cases']:.0%}" for p in f["profiles"])
    mode = "start times: effort measured" if f["mode"] == "start" else "completion times only: effort ASSUMED"
    lines = [
        f"fitted {show(out)} from {show(f['log'])}: {f['cases']:,} cases, {f['start_date']} to {f['end_date']}; {mode}",
        f"  stages     {len(stages)} by {f['stage_by']}{left}; {len(optional)} optional",
        f"  agencies   {agencies}",
        f"  graph      {len(f['edges'])} edges; case_end after {', '.join(f['sinks'])}",
        f"  profiles   {profiles}",
        f"  rework     {', '.join(rework) or 'none'}",
        *_warnings(f),
        "every fitted value is commented in the file; next:",
        f"  approval-sim validate {show(out)}",
        f"  approval-sim run {show(out)} -n 20 -o out/fitted",
    ]
    return "\n".join(lines)


def _warnings(facts: dict[str, Any]) -> list[str]:
    """Lines that warn of an assumed effort the log contradicts (longer than most visits of a stage)."""
    if facts["mode"] != "lead":
        return []
    short = [s for s, v in facts["stages"].items() if v.get("shorter_than_effort_share", 0) > SHORT_WARNING]
    if not short:
        return []
    return [
        f"warning: the assumed effort is longer than most visits of {len(short)} stage(s) ({', '.join(short[:4])}"
        f"{', ...' if len(short) > 4 else ''}): the agencies spend less of their time here; lower --utilisation"
    ]


#: the share of a stage's visits shorter than the assumed effort above which ``fit`` warns
SHORT_WARNING = 0.5

#: each command's handler, by name
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "fit": _cmd_fit,
}
