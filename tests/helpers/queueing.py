"""Queueing theory from the textbook formulas (Erlang C, Little, Jackson), never from the engine's code.

The truth the engine's queues are checked against: on a 24/7 calendar with Poisson arrivals,
exponential service and FIFO staff, a desk is an M/M/c queue and desks in a network form an
open Jackson network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def erlang_c(c: int, lam: float, mu: float) -> float:
    """Probability that an arriving job waits in an M/M/c queue (Erlang's C formula)."""
    a = lam / mu  # offered load in servers
    rho = a / c
    assert rho < 1, "unstable queue"
    tail = a**c / math.factorial(c) / (1 - rho)
    return tail / (sum(a**k / math.factorial(k) for k in range(c)) + tail)


def mmc_wq(c: int, lam: float, mean_service: float) -> float:
    """Mean waiting time in queue (before service) of an M/M/c queue."""
    mu = 1.0 / mean_service
    return erlang_c(c, lam, mu) / (c * mu - lam)


def jackson_sojourn(servers: Sequence[int], rates: Sequence[float], means: Sequence[float]) -> float:
    """Mean time through an open Jackson network entered at the first station.

    ``rates`` are the stations' total arrival rates (the solution of the traffic equations, the
    first one the external rate), ``means`` their mean service times: the sum over stations of
    visits per job (rate / external rate) x (M/M/c wait + service).
    """
    return sum(rate / rates[0] * (mmc_wq(c, rate, s) + s) for c, rate, s in zip(servers, rates, means))
