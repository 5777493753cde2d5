"""The rework network in Ciw (https://ciw.readthedocs.io), an optional dependency: ``pip install ciw``.

A five-node Ciw network with the routing matrix of the rework (after node 3: 20 % back to node 2, 80 %
on to node 4; after node 5: 20 % back to node 4, 80 % leave), the same servers and exponential service
means, run to ``WARMUP + n_customers`` days.  Ciw draws from Python's ``random`` (seeded by
``ciw.seed``), so its sample path differs from the others; the measured quantity is the same.
Without Ciw, :func:`run` returns ``{"skipped": reason}`` rather than failing.

    python benchmarks/ciw_model.py 20000 1
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from network import LAMBDA, MEANS, SERVERS, WARMUP, batch_means_ci  # noqa: E402

try:
    import ciw
except ImportError:  # optional
    ciw = None

#: routing[i][j]: probability of going from node i to node j after service (the rest leave)
ROUTING = [
    [0.0, 1.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 1.0, 0.0, 0.0],
    [0.0, 0.2, 0.0, 0.8, 0.0],
    [0.0, 0.0, 0.0, 0.0, 1.0],
    [0.0, 0.0, 0.0, 0.2, 0.0],
]


def available() -> str | None:
    """None if Ciw can run, otherwise why not."""
    return None if ciw is not None else "ciw is not installed (pip install ciw)"


def network():
    return ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=LAMBDA)] + [None] * 4,
        service_distributions=[ciw.dists.Exponential(rate=1.0 / m) for m in MEANS],
        number_of_servers=list(SERVERS),
        routing=ROUTING,
    )


def run(n_customers: int, seed: int) -> dict:
    """Simulate and measure like :func:`handwritten_simpy.run`, or report that Ciw is missing."""
    if (why := available()) is not None:
        return {"skipped": why}
    t = time.perf_counter()
    ciw.seed(seed)
    q = ciw.Simulation(network())
    q.simulate_until_max_time(WARMUP + n_customers / LAMBDA)
    finished = []
    for ind in q.nodes[-1].all_individuals:  # the exit node: customers that left the network
        recs = ind.data_records
        t0 = recs[0].arrival_date
        if t0 >= WARMUP:
            finished.append((t0, recs[-1].exit_date - t0))
    finished.sort()
    sojourns = [s for _, s in finished]
    arrived = sum(
        1
        for ind in _everyone(q)
        if ind.data_records
        and ind.data_records[0].arrival_date >= WARMUP
        or not ind.data_records
        and getattr(ind, "arrival_date", 0.0) >= WARMUP
    )
    mean, half = batch_means_ci(sojourns)
    wall = time.perf_counter() - t
    return {"wall_s": wall, "customers": arrived, "completed": len(sojourns), "mean_sojourn": mean, "ci95_half": half}


def _everyone(q):
    """Every individual that entered the network: those that left, plus those still inside at the end."""
    yield from q.nodes[-1].all_individuals
    for node in q.transitive_nodes:
        yield from node.all_individuals


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    s = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    print(run(n, s))
