"""The ``approval-sim`` command line.

Exit status: 0 success, 1 a run failed, 2 bad input (scenario, option or
output folder), 130 interrupted.  Bad input never prints a traceback.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Sequence

from .errors import CalendarWarning, ScenarioError
from .loading import load
from .output import OutputError
from .levers import describe_levers
from .report_table import format_summary, format_targets
from .targets import check_targets
from .runner import run


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def _seed(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v}")
    return v


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``approval-sim``."""
    p = argparse.ArgumentParser(prog="approval-sim", description="Simulate project-approval workflows.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="run a scenario and summarise its key figures")
    r.add_argument("scenario", type=Path, help="scenario file (TOML)")
    r.add_argument("-n", "--replications", type=_positive_int, default=100, help="replications (default 100)")
    r.add_argument("--seed", type=_seed, default=None, help="root seed (default: the scenario's seed)")
    r.add_argument("-o", "--out", type=Path, default=None, help="output folder for summary.json and CSV files")
    r.add_argument("-j", "--jobs", type=_positive_int, default=1, help="worker processes (same results for any)")
    r.add_argument("--events", action="store_true", help="also write the event log events.csv")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario value by dotted path, e.g. agencies.planning.staff=4 (repeatable)")
    r.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    r.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    _add_levers(r)

    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("scenarios", type=Path, nargs="+", help="scenario files (TOML)")
    v.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="check with this override applied (repeatable)")
    _add_levers(v)

    lv = sub.add_parser("levers", help="list a scenario's reform levers and what each changes, stage by stage")
    lv.add_argument("scenario", type=Path, help="scenario file (TOML)")

    c = sub.add_parser("check", help="run a scenario and check its calibration targets (exit 1 if any is missed)")
    c.add_argument("scenario", type=Path, help="scenario file (TOML)")
    c.add_argument("-n", "--replications", type=_positive_int, default=100, help="replications (default 100)")
    c.add_argument("--seed", type=_seed, default=None, help="root seed (default: the scenario's seed)")
    c.add_argument("-j", "--jobs", type=_positive_int, default=1, help="worker processes")
    c.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario value by dotted path (repeatable)")
    _add_levers(c)
    return p


def _add_levers(p: argparse.ArgumentParser) -> None:
    p.add_argument("--levers", default=None, metavar="LIST",
                   help='reform levers to switch on: comma-separated ids, "all" or "none" '
                        "(default: the scenario's own scenario.levers)")


def _cmd_run(a: argparse.Namespace) -> int:
    sc = load(a.scenario, a.overrides, a.levers)
    res = run(sc, n=a.replications, seed=a.seed, jobs=a.jobs, out=a.out, events=a.events, force=a.force)
    if not a.quiet:
        print(format_summary(res.summary))
        if res.out is not None:
            print(f"\nwrote {res.out}/")
    return 0


def _cmd_validate(a: argparse.Namespace) -> int:
    status = 0
    for path in a.scenarios:
        try:
            sc = load(path, a.overrides, a.levers)
        except ScenarioError as e:
            for problem in e.problems:
                print(f"error: {problem}", file=sys.stderr)
            status = 2
        else:
            on = f", levers on: {', '.join(sc.levers)}" if sc.levers else ""
            print(f"ok: {path} ({sc.name}: {len(sc.stages)} stages, {len(sc.agencies)} agencies{on})")
    return status


def _cmd_levers(a: argparse.Namespace) -> int:
    sc = load(a.scenario, levers="none")
    described = describe_levers(sc.raw, str(a.scenario))
    if not described:
        print(f"{a.scenario} declares no levers")
    default_on = set(load(a.scenario).levers)
    for lever_id, name, lines in described:
        print(f"{lever_id}: {name}{'  [on by default]' if lever_id in default_on else ''}")
        for line in lines:
            print(f"    {line}")
    return 0


def _cmd_check(a: argparse.Namespace) -> int:
    sc = load(a.scenario, a.overrides, a.levers)
    if not any(t.applies(sc.levers) for t in sc.targets):
        print(f"{a.scenario} declares no [targets] for the levers {', '.join(sc.levers) or 'none'}")
        return 0
    res = run(sc, n=a.replications, seed=a.seed, jobs=a.jobs)
    results = check_targets(sc.targets, res.summary)
    print(format_targets(results, res.summary))
    return 0 if all(t.met for t in results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    warnings.simplefilter("default", CalendarWarning)
    warnings.formatwarning = lambda msg, cat, *a, **k: f"warning: {msg}\n"
    try:
        commands = {"run": _cmd_run, "validate": _cmd_validate, "levers": _cmd_levers, "check": _cmd_check}
        return commands[args.command](args)
    except ScenarioError as e:
        for problem in e.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except OutputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
