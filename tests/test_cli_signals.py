"""Signals to the command line: Ctrl-C (SIGINT) at any moment exits with 130, SIGTERM with 143, without a
traceback and without leaving anything half-written.

"Any moment" starts when approval-sim's first line runs: the handlers are installed before any heavy import
(checked here by watching which modules are loaded when they are installed). The tests read from
``/proc/PID/status`` when the child has installed them, then send the signal 0 to 100 ms later (while it
imports NumPy, SimPy and the rest), in the middle of a run, repeatedly during the clean-up, and around the
moment a short command exits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests/data/valid_small.toml"
STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}
WORD = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/PID/status (Linux)")


def caught_signals(pid: int) -> int:
    """The mask of signals ``pid`` has handlers for (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def handlers_installed(proc: subprocess.Popen[str], timeout: float = 60) -> None:
    """Wait until ``proc`` handles both SIGINT and SIGTERM (Python alone never handles SIGTERM)."""
    both = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
    deadline = time.monotonic() + timeout
    while caught_signals(proc.pid) & both != both:
        assert proc.poll() is None, f"exited before installing its handlers: {proc.communicate()}"
        assert time.monotonic() < deadline, "the handlers were never installed"
        time.sleep(0.0005)


def start(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the command did not stop within a minute of the signal")


HEAVY = ("numpy", "simpy", "matplotlib", "tqdm", "sim.core.kpi", "sim.scenario", "sim.engine", "sim.runs")
SPY = f"""
import signal, sys
real = signal.signal
def spy(sig, handler):
    if sig == signal.SIGTERM:
        heavy = sorted(m for m in sys.modules if m.startswith({HEAVY!r}))
        print("loaded:", heavy, flush=True)
    return real(sig, handler)
signal.signal = spy
sys.argv = ["approval-sim", "validate", {str(SMALL)!r}]
"""


@pytest.mark.parametrize(
    "launch",
    [
        "import runpy; runpy.run_module('sim', run_name='__main__', alter_sys=True)",
        "import sim.cli; sim.cli.entry_point()",
    ],
    ids=["python -m sim", "the approval-sim script"],
)
def test_the_handlers_come_before_any_heavy_import(launch):
    res = subprocess.run([sys.executable, "-c", SPY + launch], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0] == "loaded: []"
    assert res.stdout.splitlines()[1].startswith("ok: ")  # and the command then ran as usual


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("delay", [0, 0.02, 0.05, 0.1, "mid-run"])
def test_a_signal_at_any_moment_exits_cleanly(tmp_path, sig, delay):
    out = tmp_path / "out"
    proc = start("run", SMALL, "-n", 100000, "-o", out, "-q")
    try:
        handlers_installed(proc)
        if delay == "mid-run":
            deadline = time.monotonic() + 60
            while not any(p.name.startswith(".out.") for p in tmp_path.iterdir()):  # it is writing its output
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.01)
            time.sleep(0.2)
        else:
            time.sleep(delay)
        proc.send_signal(sig)
        stdout, stderr = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == STATUS[sig], stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert stderr.strip().splitlines()[-1] == f"{WORD[sig]}: no output was written"
    assert stdout == ""
    assert list(tmp_path.iterdir()) == [], "a signal left files behind"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_more_signals_during_the_clean_up_do_not_break_it_off(tmp_path, sig):
    """Ctrl-C pressed again and again: the first one stops the run, the others cannot interrupt its clean-up
    (stopping two workers, removing the temporary folder) nor the exit."""
    out = tmp_path / "out"
    proc = start("run", SMALL, "-n", 100000, "-o", out, "-q", "--jobs", 2)
    try:
        handlers_installed(proc)
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(".out.") for p in tmp_path.iterdir()):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.3)
        # a burst first, without looking whether it exited: the clean-up may take only milliseconds, and an
        # exited child not yet waited for still takes signals (as a zombie), so all five are sent
        sent = 0
        for _ in range(5):
            os.kill(proc.pid, sig)
            sent += 1
        while proc.poll() is None and sent < 2000:
            try:
                os.kill(proc.pid, sig)
            except ProcessLookupError:
                break
            sent += 1
            time.sleep(0.002)
        stdout, stderr = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert sent > 1
    assert proc.returncode == STATUS[sig], stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert stderr.strip().splitlines()[-1] == f"{WORD[sig]}: no output was written"
    assert list(tmp_path.iterdir()) == [], "the clean-up was broken off"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_command_finishes(tmp_path, sig):
    """Signals sent around the moment a short run writes its output and exits: the status is 0 (it came too
    late to matter) or the signal's, never a traceback or a death by the signal (-2, -15), and the output
    folder is either complete and reported as written, or absent."""

    def timed_run(out: Path) -> tuple[subprocess.Popen[str], float]:
        proc = start("run", SMALL, "-n", 2, "-o", out, "-q")
        handlers_installed(proc)
        return proc, time.monotonic()

    proc, t0 = timed_run(tmp_path / "clean")
    finish(proc)
    assert proc.returncode == 0
    length = time.monotonic() - t0
    for k, fraction in enumerate((0.7, 0.85, 0.92, 0.96, 1.0, 1.04)):
        out = tmp_path / f"out{k}"
        proc, t0 = timed_run(out)
        time.sleep(max(0.0, fraction * length - (time.monotonic() - t0)))
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        stdout, stderr = finish(proc)
        assert proc.returncode in (0, STATUS[sig]), (fraction, proc.returncode, stderr)
        assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
        if out.exists():
            assert (out / "summary.json").is_file()
            assert proc.returncode == 0 or f"{WORD[sig]} after writing {out} (complete)" in stderr
        else:
            assert f"{WORD[sig]}: no output was written" in stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [], "a temporary folder was left"
