"""SIGINT and SIGTERM at any moment: the first one stops the command (outputs cleaned up on the way out),
later ones cannot break that clean-up off; :mod:`sim.cli.main` turns them into exit statuses 130 and 143."""

from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING, Any

from sim.cli.console import show

if TYPE_CHECKING:
    from pathlib import Path
    from types import FrameType


class Terminated(BaseException):
    """SIGTERM, turned into an exception so that outputs are cleaned up on the way out."""


#: the exit status after each signal
SIGNAL_STATUS: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143}
#: SIGINT and SIGTERM as received, in order
received: list[int] = []
#: whether the next signal is raised (only the first is; it is off once the command is done)
armed = [True]
#: the command's output (folder or file) and what was there when it started (for the message after a signal)
outputs: dict[Path, tuple[int, int] | None] = {}


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Record SIGINT or SIGTERM, and raise the first as KeyboardInterrupt or :class:`Terminated`.

    Later signals are only recorded: the first one started the clean-up (workers stopped, temporary files
    removed), and a second Ctrl-C must not break it off half-way.
    """
    received.append(signum)
    _raise_when_safe(frame)


def _raise_when_safe(frame: FrameType | None) -> None:
    """Raise the first signal's exception here, unless an import is under way: then a moment later.

    An exception raised inside an import does not always come out as itself: NumPy, for one, turns
    whatever stops the import of its C extension into an ImportError with a page of advice, and the
    import system's own clean-up callbacks can only print it ("Exception ignored").  Imports take
    tenths of a second; the signal waits for them (a timer looks again every 10 ms).
    """
    if not armed[0] or not received:
        return
    if _importing(frame) and hasattr(signal, "setitimer"):
        signal.signal(signal.SIGALRM, _retry)
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        return
    armed[0] = False
    raise KeyboardInterrupt if received[0] == signal.SIGINT else Terminated()


def _retry(signum: int, frame: FrameType | None) -> None:
    _raise_when_safe(frame)


def _importing(frame: FrameType | None) -> bool:
    """Whether ``frame`` (the main thread's, when a signal came) is inside an import."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def install_signal_handlers() -> None:
    for sig in SIGNAL_STATUS:
        if signal.getsignal(sig) is not signal.SIG_IGN:  # ignored by whoever started us (nohup, &): stays so
            signal.signal(sig, _on_signal)
    sys.unraisablehook = _on_unraisable


def _on_unraisable(unraisable: Any) -> None:
    """The exception of a signal raised where Python cannot let it propagate (a finaliser, a weakref callback
    of the import system) would be printed as "Exception ignored ... Traceback" and the signal lost: send the
    signal again instead, to be raised at the next point where it can propagate."""
    if issubclass(unraisable.exc_type, (KeyboardInterrupt, Terminated)) and received:
        armed[0] = True
        signal.raise_signal(received[-1])
        return
    sys.__unraisablehook__(unraisable)


def identity(path: Path) -> tuple[int, int] | None:
    """What is at ``path`` (device and inode; None for nothing): outputs are moved into place whole, so a
    new identity means a complete new output."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def stopped(what: str) -> str:
    """The message after a signal: whether this command's output had been written, complete, before it came."""
    written = [p for p, before in outputs.items() if identity(p) not in (None, before)]
    if not written:
        return f"{what}: no output was written"
    return f"{what} after writing {', '.join(show(p) for p in written)} (complete); nothing else was written"
