"""The progress bar as a user sees it in a terminal: run under a pseudo-terminal (80 columns), it appears only
for work longer than a second, and is wiped when the work is done, so the next line starts clean."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")


def in_terminal(code: str) -> str:
    """What a terminal receives (stdout and stderr) from a Python program running ``code``."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=follower, stdout=follower, stderr=follower, cwd=ROOT)
    os.close(follower)
    received = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the program has exited and closed its end
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 0, received
    return received.decode()


def ticking(seconds: float, unit: str = "rep") -> str:
    return f"""
import time
from sim.present.progress import Progress
with Progress("Pre-reform: replications", unit={unit!r}) as tick:
    for i in range(20):
        time.sleep({seconds} / 20)
        tick(i + 1, 20)
print("1: Pre-reform")
"""


def test_a_long_run_shows_a_bar_and_wipes_it_before_the_next_line():
    seen = in_terminal(ticking(1.6, unit="subset"))
    assert "Pre-reform: replications" in seen and "subset/s" in seen  # the bar was shown, counting its unit
    before, _, after = seen.rpartition("1: Pre-reform")
    assert after.strip() == ""
    last_line = before.rpartition("\r")[2]
    assert last_line.strip() == "", f"the bar was not wiped: {last_line!r}"
    assert before.rstrip(" ").endswith("\r")  # the cursor went back to the start of the wiped line


def test_a_short_run_shows_no_bar():
    seen = in_terminal(ticking(0.2))
    assert seen.replace("\r\n", "\n") == "1: Pre-reform\n"
