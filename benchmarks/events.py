"""SimPy events per customer of the engine on the rework network, for each calendar of run.py's part 2.

Counts every ``Environment.step`` (one processed event) during one replication through
``sim.runs.runner.reduced_replication``, divided by the customers counted; the wall time is not measured (the
counting slows the run).

    python benchmarks/events.py [N_CUSTOMERS]        # default 20000
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
import engine_model  # noqa: E402


def events_per_customer(n_customers: int, calendar: str, seed: int = 1) -> float:
    """Events processed per counted customer in one replication on ``calendar``."""
    from sim.engine.compiled import compile_scenario
    from sim.runs.runner import reduced_replication

    count = 0
    step = simpy.Environment.step

    def counting(self):
        nonlocal count
        count += 1
        return step(self)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = compile_scenario(engine_model.load(n_customers, calendar))
    simpy.Environment.step = counting
    try:
        red = reduced_replication(cs, 0, seed)
    finally:
        simpy.Environment.step = step
    return count / red.counts["projects"]


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    for cal in engine_model.CALENDARS:
        print(f"{cal:15s} {events_per_customer(n, cal):6.2f} events per customer")
