"""The ``approval-sim`` command line.

Exit status: 0 success, 1 a run failed, 2 bad input (scenario, option,
output folder or an executor that cannot be set up), 130 interrupted (SIGINT,
Ctrl-C), 143 terminated (SIGTERM).  Bad input never prints a traceback, and
neither does a signal, whenever it comes.

:func:`entry_point` installs the signal handlers before anything heavy is
imported: this module imports only the standard library's lightest modules
at load time, and every command imports what it needs when it runs.
Everything printed goes through :func:`sim.present.terminal.printable`, so
a control character in a user's file is shown escaped, never sent to the
terminal.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from types import FrameType

    from sim.analysis.attribution import Attribution
    from sim.analysis.compare import Comparison
    from sim.analysis.sweep import SweepResult, TornadoResult
    from sim.runs.output import OutputDir
    from sim.scenario.scenario import Scenario

#: a study's result: a sweep or a tornado
S = TypeVar("S", bound="SweepResult | TornadoResult")


# -- signals and leaving ---------------------------------------------------------------------------------
class Terminated(BaseException):
    """SIGTERM, turned into an exception so that outputs are cleaned up on the way out."""


#: the exit status after each signal
SIGNAL_STATUS: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143}
#: SIGINT and SIGTERM as received, in order
_received: list[int] = []
#: whether the next signal is raised (only the first is; it is off once the command is done)
_armed = [True]
#: the command's output (folder or file) and what was there when it started (for the message after a signal)
_output: dict[Path, tuple[int, int] | None] = {}


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Record SIGINT or SIGTERM, and raise the first as KeyboardInterrupt or :class:`Terminated`.

    Later signals are only recorded: the first one started the clean-up (workers stopped, temporary files
    removed), and a second Ctrl-C must not break it off half-way.
    """
    _received.append(signum)
    _raise_when_safe(frame)


def _raise_when_safe(frame: FrameType | None) -> None:
    """Raise the first signal's exception here, unless an import is under way: then a moment later.

    An exception raised inside an import does not always come out as itself: NumPy, for one, turns
    whatever stops the import of its C extension into an ImportError with a page of advice, and the
    import system's own clean-up callbacks can only print it ("Exception ignored").  Imports take
    tenths of a second; the signal waits for them (a timer looks again every 10 ms).
    """
    if not _armed[0] or not _received:
        return
    if _importing(frame) and hasattr(signal, "setitimer"):
        signal.signal(signal.SIGALRM, _retry)
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        return
    _armed[0] = False
    raise KeyboardInterrupt if _received[0] == signal.SIGINT else Terminated()


def _retry(signum: int, frame: FrameType | None) -> None:
    _raise_when_safe(frame)


def _importing(frame: FrameType | None) -> bool:
    """Whether ``frame`` (the main thread's, when a signal came) is inside an import."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _install_signal_handlers() -> None:
    for sig in SIGNAL_STATUS:
        if signal.getsignal(sig) is not signal.SIG_IGN:  # ignored by whoever started us (nohup, &): stays so
            signal.signal(sig, _on_signal)
    sys.unraisablehook = _on_unraisable


def _on_unraisable(unraisable: Any) -> None:
    """The exception of a signal raised where Python cannot let it propagate (a finaliser, a weakref callback
    of the import system) would be printed as "Exception ignored ... Traceback" and the signal lost: send the
    signal again instead, to be raised at the next point where it can propagate."""
    if issubclass(unraisable.exc_type, (KeyboardInterrupt, Terminated)) and _received:
        _armed[0] = True
        signal.raise_signal(_received[-1])
        return
    sys.__unraisablehook__(unraisable)


def entry_point() -> NoReturn:
    """The ``approval-sim`` command: :func:`main`, then exit with its status.

    The signal handlers come first, before any heavy import, so that Ctrl-C at any moment exits with 130 and
    SIGTERM with 143, without a traceback.  The process then leaves through ``os._exit`` once its output is
    flushed, whatever the status: the outputs are complete (or removed) and the workers stopped by then, and
    the interpreter's own exit would join the worker pool's threads (one may hold a lock after a signal, so
    the join could wait forever) and run while a signal could still kill it with a traceback or a bare -2.
    """
    status = 1
    try:
        _install_signal_handlers()
        status = _main_status()
        _armed[0] = False  # from here on a signal is recorded, never raised
    except KeyboardInterrupt:  # between main's own handlers and the line above
        status = 130
    except Terminated:
        status = 143
    _leave(status)


def _main_status() -> int:
    """:func:`main`'s status; ``sys.exit`` inside it (argparse: ``--help``, a bad option) and bugs too."""
    try:
        return main()
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        _tell(str(e.code))
        return 1
    except (KeyboardInterrupt, Terminated):
        raise
    except BaseException:  # a bug: show it as Python would, then leave like any other failure
        import traceback

        traceback.print_exc()
        return 1


def _leave(status: int) -> NoReturn:
    """Flush what was printed and exit at once (see :func:`entry_point`).  A signal received at any point
    decides the status; one that came after the command had finished is reported as such."""
    _armed[0] = False
    if _received and status != SIGNAL_STATUS[_received[0]]:
        status = SIGNAL_STATUS[_received[0]]
        try:
            _tell(_stopped("interrupted" if status == 130 else "terminated"))
        except BaseException:  # stderr closed or gone: the status says it
            pass
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (| head), a closed stream
            pass
    os._exit(status)


# -- printing --------------------------------------------------------------------------------------------
def _say(text: str) -> None:
    """Print ``text`` on stdout, control characters escaped (line breaks laid out by approval-sim are kept)."""
    from sim.present.terminal import printable_lines

    print(printable_lines(text))


def _tell(text: str) -> None:
    """Print ``text`` on stderr, like :func:`_say`."""
    from sim.present.terminal import printable_lines

    print(printable_lines(text), file=sys.stderr)


def _show(value: object) -> str:
    """A user's text (a path, a name) inside one of our messages: one line, control characters escaped."""
    from sim.present.terminal import printable

    return printable(value)


def _identity(path: Path) -> tuple[int, int] | None:
    """What is at ``path`` (device and inode; None for nothing): outputs are moved into place whole, so a
    new identity means a complete new output."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _stopped(what: str) -> str:
    """The message after a signal: whether this command's output had been written, complete, before it came."""
    written = [p for p, before in _output.items() if _identity(p) not in (None, before)]
    if not written:
        return f"{what}: no output was written"
    return f"{what} after writing {', '.join(_show(p) for p in written)} (complete); nothing else was written"


def _positive_int(text: str) -> int:
    import argparse

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
    import argparse

    try:
        value = _whole(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _event_formats(text: str) -> tuple[str, ...]:
    import argparse

    from sim.runs.event_output import parse_formats

    try:
        return parse_formats(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``approval-sim``."""
    import argparse
    from pathlib import Path

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:  # it may quote the command line: escaped like the rest
            super().error(_show(message))

    parser = Parser(prog="approval-sim", description="Simulate project-approval workflows.")
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

    A path may be varied once, and not also be fixed by ``--set``: which value would hold is not obvious.
    """
    from sim.analysis.sweep import parse_values
    from sim.core.errors import Problem, ScenarioError
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
            raise ScenarioError(
                [Problem(file, f"--vary {item}", f"{key} is varied twice: give all its values in one --vary")]
            )
        varied[key] = values
    return varied


def _check_kpi(sc: Scenario, kpi: str) -> None:
    """Refuse an unknown ``--kpi`` before anything runs, naming the option."""
    from sim.analysis.sweep import check_kpi

    check_kpi(sc, kpi, "--kpi")


def _cmd_sweep(args: argparse.Namespace) -> int:
    from sim.analysis.sweep import sweep
    from sim.present.terminal import format_points
    from sim.scenario.loading import load

    grid = _varied(args.vary, args.overrides, str(args.scenario))
    sc = load(args.scenario, args.overrides)
    res, out = _study(args, sc, "sweep", lambda tick: sweep(sc, grid, progress=tick, **_study_options(args)))
    if not args.quiet:
        _say(format_points(res.rows, res.parameters, res.kpi))
        _say(f"\nwrote {_show(out)}/")
    return 0


def _output_dir(args: argparse.Namespace, scenarios: Sequence[Scenario]) -> OutputDir:
    """The output folder ``-o``, claimed before anything runs; the scenarios' files may not be written over."""
    from sim.runs.output import OutputDir

    return OutputDir(args.out, force=args.force, inputs=[f for sc in scenarios for f in sc.files])


def _study_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options ``sweep`` and ``tornado`` share: replications, seed, KPI and where to run."""
    return {"n": args.replications, "seed": args.seed, "kpi": args.kpi, "jobs": args.jobs, "executor": args.ex}


def _study(
    args: argparse.Namespace, sc: Scenario, name: str, compute: Callable[[Callable[[int, int], None]], S]
) -> tuple[S, Path]:
    """Claim ``-o``, compute the study (a sweep or a tornado) with a progress bar, then write NAME.json and its
    figure (PNG, SVG, CSV) atomically; the result and the folder written."""
    from sim.analysis.sweep import TornadoResult
    from sim.present import plots
    from sim.present.progress import Progress

    _check_kpi(sc, args.kpi)
    what = "grid points" if name == "sweep" else "parameters"
    with _output_dir(args, [sc]) as outdir:
        with Progress(f"{sc.name}: {what}", not args.quiet) as tick:
            res = compute(tick)
        if isinstance(res, TornadoResult):
            fig, rows = plots.tornado_figure(res), plots.tornado_data(res)
        else:
            fig, rows = plots.sweep_figure(res), plots.sweep_data(res)
        outdir.write_json(f"{name}.json", res.to_dict())
        plots.save(fig, rows, outdir.tmp, name)
        return res, outdir.commit()


def _cmd_tornado(args: argparse.Namespace) -> int:
    from sim.analysis.sweep import tornado
    from sim.present.terminal import format_points
    from sim.scenario.loading import load

    varied = _varied(args.vary, args.overrides, str(args.scenario), pairs=True)
    ranges = {path: (low, high) for path, (low, high) in varied.items()}
    sc = load(args.scenario, args.overrides, args.levers)
    res, out = _study(args, sc, "tornado", lambda tick: tornado(sc, ranges, progress=tick, **_study_options(args)))
    if not args.quiet:
        base = "no value (no project reached it)" if res.base is None else f"{res.base:.4g}"
        _say(f"{_show(res.kpi)} at base: {base}")
        _say(
            format_points(
                res.rows, ["parameter", "low_value", "high_value"], res.kpi, stats=("low_mean", "high_mean", "swing")
            )
        )
        _say(f"\nwrote {_show(out)}/")
    return 0


def _add_run_options(parser: argparse.ArgumentParser, out_help: str) -> None:
    from pathlib import Path

    parser.add_argument("-n", "--replications", type=_positive_int, default=100, help="replications (default 100)")
    parser.add_argument("--seed", type=_seed, default=None, help="root seed (default: the (first) scenario's seed)")
    _add_execution(parser)
    parser.add_argument("-o", "--out", type=Path, required=True, help=out_help)
    parser.add_argument("--force", action="store_true", help="replace an earlier approval-sim output folder")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors (no progress bar)")


def _add_execution(parser: argparse.ArgumentParser) -> None:
    from sim.runs.executors import KINDS

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
    from sim.present.progress import Progress
    from sim.present.terminal import format_summary
    from sim.runs.runner import run
    from sim.scenario.loading import load

    sc = load(args.scenario, args.overrides, args.levers)
    with Progress(f"{sc.name}: replications", not args.quiet) as tick:
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
        _tell(f"warning: {_show(w)}")
    if not args.quiet:
        _say(format_summary(res.summary))
        if res.out is not None:
            _say(f"\nwrote {_show(res.out)}/")
    return 0


def _cmd_log(args: argparse.Namespace) -> int:
    from sim.eventlog.profile import profile
    from sim.eventlog.reading import read_log
    from sim.present.log_text import format_log_profile
    from sim.runs.output import OutputDir

    columns = ("case", "activity", "time", "start", "resource", "group", "lifecycle")
    log = read_log(args.log, zone=args.zone, **{c: getattr(args, c) for c in columns})
    facts = profile(log)
    _say(format_log_profile(facts))
    if args.out is not None:
        with OutputDir(args.out, force=args.force) as outdir:
            outdir.write_json("log.json", facts)
            out = outdir.commit()
        _say(f"\nwrote {_show(out)}/log.json")
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
                _tell(f"error: {problem}")
            status = 2
        else:
            on = f", levers on: {', '.join(scenario.levers)}" if scenario.levers else ""
            counts = f"{len(scenario.stages)} stages, {len(scenario.agencies)} agencies{on}"
            _say(_show(f"ok: {path} ({scenario.name}: {counts})"))
    return status


def _cmd_levers(args: argparse.Namespace) -> int:
    from sim.scenario.levers import describe_levers
    from sim.scenario.loading import load

    scenario = load(args.scenario, levers="none")
    described = describe_levers(scenario.raw, str(args.scenario))
    if not described:
        _say(f"{_show(args.scenario)} declares no levers")
    default_on = set(load(args.scenario).levers)
    for lever_id, name, lines in described:
        _say(_show(f"{lever_id}: {name}") + ("  [on by default]" if lever_id in default_on else ""))
        for line in lines:
            _say(f"    {_show(line)}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from sim.present.progress import Progress
    from sim.present.terminal import format_targets
    from sim.runs.runner import run
    from sim.scenario.loading import load
    from sim.scenario.targets import check_targets

    sc = load(args.scenario, args.overrides, args.levers)
    if not any(t.applies(sc.levers) for t in sc.targets):
        _say(_show(f"{args.scenario} declares no [targets] for the levers {', '.join(sc.levers) or 'none'}"))
        return 0
    with Progress(f"{sc.name}: replications") as tick:
        res = run(
            sc, n=args.replications, seed=args.seed, jobs=args.jobs, executor=args.ex, keep_rows=False, progress=tick
        )
    results = check_targets(sc.targets, res.summary)
    _say(format_targets(results, res.summary))
    return 0 if all(t.met for t in results) else 1


def _scenarios(args: argparse.Namespace) -> list[Scenario]:
    """The scenarios of ``compare`` and ``report``, loaded; with ``--attribute`` the last must have levers on,
    which is checked here, before anything runs."""
    from sim.core.errors import Problem, ScenarioError
    from sim.scenario.loading import load

    scenarios = [load(p) for p in args.scenarios]
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
    from sim.present.progress import Progress

    with Progress("replications", not args.quiet) as tick:
        return compare(scenarios, n=args.replications, seed=args.seed, jobs=args.jobs, executor=args.ex, progress=tick)


def _attribution(args: argparse.Namespace, sc: Scenario, n: int, levers: tuple[str, ...] | None = None) -> Attribution:
    from sim.analysis.attribution import attribute
    from sim.present.progress import Progress

    with Progress(f"{sc.name}: lever subsets", not args.quiet) as tick:
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
    from sim.present.terminal import format_comparison

    if len(args.scenarios) < 2:
        raise ScenarioError([Problem("compare", "", "give at least two scenario files")])
    scenarios = _scenarios(args)
    with _output_dir(args, scenarios) as outdir:
        cmp = _comparison(args, scenarios)
        att = None
        if args.attribute:
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
        _say(format_comparison(cmp))
        _say(f"\nwrote {_show(out)}/ (compare.json, report.html, figures as PNG, SVG and CSV)")
    return 0


def _cmd_attribute(args: argparse.Namespace) -> int:
    from sim.present import plots
    from sim.present.terminal import format_attribution
    from sim.scenario.loading import load

    sc = load(args.scenario)
    levers = None if args.levers is None else sc.with_levers(args.levers).levers
    with _output_dir(args, [sc]) as outdir:
        att = _attribution(args, sc, args.replications, levers)
        outdir.write_json("attribution.json", att.to_dict())
        for kpi in ("approval_workdays", "to_production_months", "cost_pre_construction_cny"):
            plots.save(plots.waterfall(att, kpi), plots.waterfall_data(att, kpi), outdir.tmp, f"waterfall_{kpi}")
        out = outdir.commit()
    if not args.quiet:
        _say(format_attribution(att))
        _say(f"\nwrote {_show(out)}/")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from sim.present import plots
    from sim.present.report import report_target, write_report

    scenarios = _scenarios(args)
    with report_target(args.out, args.force, [f for sc in scenarios for f in sc.files]) as target:
        cmp = _comparison(args, scenarios)
        att = (
            _attribution(args, cmp.scenarios[-1], min(args.replications, 20))
            if args.attribute and cmp.scenarios[-1].levers
            else None
        )
        path = write_report(target, cmp, plots.all_figures(cmp, att), att, " ".join(sys.argv[1:]))
    if not args.quiet:
        _say(f"wrote {_show(path)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 a run failed or a target was missed, 2 bad input,
    130 interrupted, 143 terminated).  Signal handlers are :func:`entry_point`'s business."""
    try:
        return _dispatch(argv)
    except KeyboardInterrupt:
        _tell(_stopped("interrupted"))
        return 130
    except Terminated:
        _tell(_stopped("terminated"))
        return 143


def _dispatch(argv: Sequence[str] | None) -> int:
    import warnings

    from sim.core.errors import CalendarWarning, LogError, ScenarioError
    from sim.runs.executors import ExecutorError, executor_threads, make_executor
    from sim.runs.output import OutputError
    from sim.runs.pool import ReplicationFailed

    args = build_parser().parse_args(argv)
    if getattr(args, "out", None) is not None:
        _output[args.out] = _identity(args.out)
    warnings.simplefilter("default", CalendarWarning)
    warnings.formatwarning = lambda msg, cat, *a, **k: f"warning: {_show(msg)}\n"
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
            _tell(f"error: {problem}")
        return 2
    except (OutputError, ExecutorError) as e:
        _tell(f"error: {_show(e)}")
        return 2
    except BrokenPipeError:  # output piped into head and the like
        sys.stderr.close()
        return 0
    except ReplicationFailed as e:
        _tell(f"error: {e}")
        return 1
