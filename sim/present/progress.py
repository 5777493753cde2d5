"""A progress bar on stderr for runs longer than a second (tqdm), off when quiet or not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable


class Progress:
    """``with Progress(desc, enabled) as tick: tick(done, total)`` — a bar that appears after one second."""

    def __init__(self, desc: str, enabled: bool = True):
        self.desc = desc
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None

    def __enter__(self) -> Callable[[int, int], None]:
        return self.update

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.desc, file=sys.stderr, delay=1.0, leave=False, unit="rep")
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
