"""The rework network written by hand in plain SimPy: the yardstick for the engine.

One ``simpy.Resource`` per station, one generator process per customer, exponential service with the
means of scenarios/examples/mmc_rework.toml, one ``numpy.random.Generator`` seeded from
``SeedSequence(seed)``.  Customers arrive over ``WARMUP + n_customers`` days (rate 1 per day) and the
run stops there, like the engine's horizon; the sojourns of customers that arrived after the warm-up
and finished by then are measured (the others are censored, as in the engine).

    python benchmarks/handwritten_simpy.py 20000 1
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from network import FEEDBACK, LAMBDA, MEANS, SERVERS, WARMUP, batch_means_ci  # noqa: E402


def simulate(n_customers: int, seed: int) -> tuple[list[float], int]:
    """(sojourns of measured customers that finished, in arrival order; customers that arrived after the warm-up)."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    env = simpy.Environment()
    stations = [simpy.Resource(env, c) for c in SERVERS]
    horizon = WARMUP + n_customers / LAMBDA
    done: list[tuple[int, float]] = []  # (arrival number, sojourn)
    arrived = [0]

    def visit(k: int):
        with stations[k].request() as req:
            yield req
            yield env.timeout(rng.exponential(MEANS[k]))

    def customer(i: int):
        t0 = env.now
        k = 0
        while k < len(SERVERS):
            yield from visit(k)
            fb = FEEDBACK.get(k)
            if fb is not None and rng.random() < fb[0]:
                yield from visit(fb[1])  # back to the earlier desk ...
                continue  # ... and through this one again (then maybe back again)
            k += 1
        if t0 >= WARMUP:
            done.append((i, env.now - t0))

    def source():
        i = 0
        while True:
            yield env.timeout(rng.exponential(1.0 / LAMBDA))
            if env.now >= horizon:
                return
            i += 1
            if env.now >= WARMUP:
                arrived[0] += 1
            env.process(customer(i))

    env.process(source())
    env.run(until=horizon)
    done.sort()
    return [s for _, s in done], arrived[0]


def run(n_customers: int, seed: int) -> dict:
    """Simulate and measure: wall time, customers (arrived after the warm-up), completed, mean sojourn."""
    t = time.perf_counter()
    sojourns, arrived = simulate(n_customers, seed)
    mean, half = batch_means_ci(sojourns)
    wall = time.perf_counter() - t
    return {"wall_s": wall, "customers": arrived, "completed": len(sojourns), "mean_sojourn": mean, "ci95_half": half}


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    s = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    print(run(n, s))
