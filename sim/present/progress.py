"""A progress bar on stderr for runs longer than a second (tqdm), off when quiet or not a terminal.

Its description may name a scenario, which is the user's text: it is shown :func:`printable`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from sim.core.text import printable

if TYPE_CHECKING:
    from tqdm import tqdm


#: seconds before a bar appears: a shorter run shows none
DELAY = 1.0


class Progress:
    """``with Progress(desc, enabled, unit) as tick: tick(done, total)`` — a bar that appears after one second
    and is wiped when the work is done, so that what is printed next starts on a clean line.

    ``desc`` is shown with its control characters escaped (it may be a scenario's name); ``unit`` names what is
    counted (``rep``: replications; ``subset``, ``point``, ``parameter``), for the rate shown.
    """

    def __init__(self, desc: str, enabled: bool = True, unit: str = "rep"):
        self.desc = printable(desc)
        self.unit = unit
        self.enabled = enabled and sys.stderr.isatty()
        self.bar: tqdm | None = None

    def __enter__(self) -> Callable[[int, int], None]:
        return self.update

    def update(self, done: int, total: int) -> None:
        """Show ``done`` of ``total`` (the bar is created on the first call; nothing when disabled)."""
        if not self.enabled:
            return
        bar = self.bar
        if bar is None:
            from tqdm import tqdm

            bar = self.bar = tqdm(
                total=total, desc=self.desc, file=sys.stderr, delay=DELAY, leave=False, unit=self.unit
            )
        bar.total = total
        # through update(), never n + refresh(): tqdm shows the bar only after DELAY, and wipes it on close only
        # if update() displayed it (a refreshed bar showed at once and stayed, glued to the next output)
        bar.update(done - bar.n)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.bar is not None:
            self.bar.close()
