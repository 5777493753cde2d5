"""The project's own error and warning types.

Every problem with a scenario (a file, an override, a reference) is raised as
:class:`ScenarioError`, which carries one or more :class:`Problem` s, each
naming the file, the key path inside it, what was wrong and what is allowed.
The CLI turns it into a message and exit status 2, never a traceback.
An event log that cannot be read raises :class:`LogError`, with the same kind of problems.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from sim.core.text import printable


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where it is and what is wrong."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        """One line, safe to print: control characters from the user's file are shown escaped."""
        where = f"{self.file}: {self.path}" if self.path else self.file
        return printable(f"{where}: {self.message}")


class ProblemsError(ValueError):
    """Bad input holding every problem found; the CLI prints one line per problem and exits with status 2."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        # the problems are the args: pickling (from a worker process) and SimPy (re-raising a failed process's
        # exception as ``type(e)(*e.args)``) make the error again from them
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class ScenarioError(ProblemsError):
    """A scenario that cannot be loaded or run; holds every problem found."""


class LogError(ProblemsError):
    """An event log that cannot be read; holds every problem found.

    Each :class:`Problem` names the file, where in it (``line 12``, ``trace 3 (case A-17)``), what was wrong and
    what is allowed.
    """


class CalendarWarning(UserWarning):
    """Working-time calendar falls back to rules the holiday data does not confirm."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean "x"?)' for the closest choice, or ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
