"""The ``approval-sim`` entry point: the signal handlers first, then the command, then the exit status.

Exit status: 0 success, 1 a run failed, 2 bad input (scenario, event log, option, output folder or an
executor that cannot be set up), 130 interrupted (SIGINT, Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, NoReturn

from sim.cli import signals
from sim.cli.console import show, tell
from sim.cli.signals import SIGNAL_STATUS, Terminated, identity, install_signal_handlers, stopped

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence


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
        install_signal_handlers()
        status = _main_status()
        signals.armed[0] = False  # from here on a signal is recorded, never raised
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
        tell(str(e.code))
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
    signals.armed[0] = False
    received = signals.received
    if received and status != SIGNAL_STATUS[received[0]]:
        status = SIGNAL_STATUS[received[0]]
        try:
            tell(stopped("interrupted" if status == 130 else "terminated"))
        except BaseException:  # stderr closed or gone: the status says it
            pass
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (| head), a closed stream
            pass
    os._exit(status)


def _command_modules() -> list[str]:
    """The modules of the commands, in the order ``--help`` lists them; each has ``add_parsers(sub)`` and
    ``COMMANDS`` (name -> handler)."""
    return [
        "sim.cli.scenario_commands",
        "sim.cli.comparison_commands",
        "sim.cli.study_commands",
        "sim.cli.log_commands",
        "sim.cli.fit_command",
        "sim.cli.forecast_command",
        "sim.cli.evaluate_command",
    ]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``approval-sim``."""
    return _parser_and_commands()[0]


def _parser_and_commands() -> tuple[argparse.ArgumentParser, dict[str, Callable[[argparse.Namespace], int]]]:
    import argparse
    import importlib

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:  # it may quote the command line: escaped like the rest
            super().error(show(message))

    parser = Parser(prog="approval-sim", description="Simulate project-approval workflows.")
    parser.add_argument("--version", action="version", version=f"approval-sim {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands: dict[str, Callable[[argparse.Namespace], int]] = {}
    for name in _command_modules():
        module = importlib.import_module(name)
        module.add_parsers(sub)
        commands.update(module.COMMANDS)
    return parser, commands


def _version() -> str:
    """The installed version of approval-sim (its package metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("approval-sim")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 a run failed or a target was missed, 2 bad input,
    130 interrupted, 143 terminated).  Signal handlers are :func:`entry_point`'s business."""
    try:
        return _dispatch(argv)
    except KeyboardInterrupt:
        tell(stopped("interrupted"))
        return 130
    except Terminated:
        tell(stopped("terminated"))
        return 143


def _dispatch(argv: Sequence[str] | None) -> int:
    import warnings

    from sim.core.errors import CalendarWarning, LogError, ScenarioError
    from sim.core.output_places import OutputError
    from sim.runs.executors import ExecutorError, executor_threads, make_executor
    from sim.runs.pool import ReplicationFailed

    parser, commands = _parser_and_commands()
    args = parser.parse_args(argv)
    if getattr(args, "out", None) is not None:
        signals.outputs[args.out] = identity(args.out)
    warnings.simplefilter("default", CalendarWarning)
    warnings.formatwarning = lambda msg, cat, *a, **k: f"warning: {show(msg)}\n"
    try:
        if not hasattr(args, "executor"):  # validate, levers, log: nothing to run
            return commands[args.command](args)
        with make_executor(args.executor, args.scheduler) as args.ex:
            args.jobs = args.jobs or executor_threads(args.ex) or 1
            return commands[args.command](args)
    except (ScenarioError, LogError) as e:
        for problem in e.problems:
            tell(f"error: {problem}")
        return 2
    except (OutputError, ExecutorError) as e:
        tell(f"error: {show(e)}")
        return 2
    except BrokenPipeError:  # output piped into head and the like
        sys.stderr.close()
        return 0
    except ReplicationFailed as e:
        tell(f"error: {e}")
        return 1
