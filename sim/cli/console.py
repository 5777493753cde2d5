"""What the command line prints: every text goes through :func:`sim.present.terminal.printable`, so a control
character in a user's file is shown escaped, never sent to the terminal."""

from __future__ import annotations

import sys


def say(text: str) -> None:
    """Print ``text`` on stdout, control characters escaped (line breaks laid out by approval-sim are kept)."""
    from sim.present.terminal import printable_lines

    print(printable_lines(text))


def tell(text: str) -> None:
    """Print ``text`` on stderr, like :func:`say`."""
    from sim.present.terminal import printable_lines

    print(printable_lines(text), file=sys.stderr)


def show(value: object) -> str:
    """A user's text (a path, a name) inside one of our messages: one line, control characters escaped."""
    from sim.present.terminal import printable

    return printable(value)
