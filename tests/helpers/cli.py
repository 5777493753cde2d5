"""Run the command line as a user would: ``python -m sim ARGS`` in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import REPO


def run_cli(
    *args: object, timeout: float = 120, cwd: Path = REPO, memory_limit: int | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m sim ARGS`` from the repository root (or ``cwd``); returns the exit status and the text.

    Arguments are turned into strings, so paths and numbers can be passed as they are.  Look at
    ``.returncode``, ``.stdout`` and ``.stderr`` of the result; a non-zero status is not an error here.
    ``memory_limit`` (bytes) limits the process's address space, as ``ulimit -v`` does (Unix only).
    """

    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        preexec_fn=limit if memory_limit is not None else None,
    )
