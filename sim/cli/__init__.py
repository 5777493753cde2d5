"""The ``approval-sim`` command line.

Exit status: 0 success, 1 a run failed, 2 bad input (scenario, event log, option, output folder or an
executor that cannot be set up), 130 interrupted (SIGINT, Ctrl-C), 143 terminated (SIGTERM).  Bad input
never prints a traceback, and neither does a signal, whenever it comes.

:func:`entry_point` installs the signal handlers before anything heavy is imported: the modules of this
package import only the standard library's lightest modules at load time, and every command imports what
it needs when it runs.  Everything printed goes through :mod:`sim.cli.console`, so a control character in a
user's file is shown escaped, never sent to the terminal.

One module per group of commands (``scenario_commands``: run, validate, levers, check;
``comparison_commands``: compare, attribute, report; ``study_commands``: sweep, tornado; ``log_commands``:
log), each with ``add_parsers(sub)`` and ``COMMANDS``; :mod:`sim.cli.main` puts them together.
"""

from sim.cli.main import build_parser, entry_point, main

__all__ = ["build_parser", "entry_point", "main"]
