"""The property "whatever validates runs" (``tests/test_valid_scenarios_run.py``) with many more examples.

The default suite tries 200 random valid scenarios; this runs the same test with ``EXAMPLES`` of them (default
5000, about 10 minutes on 2 cores), in a fresh pytest process, and exits with its status.

    python benchmarks/valid_scenarios_run.py [EXAMPLES]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(examples: int) -> int:
    """Run the property test with ``examples`` examples; its exit status."""
    env = {**os.environ, "APPROVAL_SIM_VALID_RUN_EXAMPLES": str(examples)}
    test = "tests/test_valid_scenarios_run.py::test_every_scenario_that_validates_runs"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics", test]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
