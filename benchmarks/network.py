"""The rework network every model in this folder simulates (scenarios/examples/mmc_rework.toml).

Five M/M/c stations (c = 2, 3, 1, 4, 2), Poisson arrivals at rate 1 per day, exponential service,
20 % feedback 3 -> 2 and 5 -> 4; every station at utilisation 0.7.  The Jackson mean sojourn is
14.8725 days (computed here, not copied).
"""

from __future__ import annotations

import math

LAMBDA = 1.0  # arrivals per day
SERVERS = (2, 3, 1, 4, 2)  # c per station
MEANS = (1.4, 1.68, 0.56, 2.24, 1.12)  # mean service (days) = 0.7 c / lambda_s
FEEDBACK = {2: (0.2, 1), 4: (0.2, 3)}  # station index -> (p, back to station index), 0-based
WARMUP = 100.0  # days left out of the measurement, as in the scenario


def erlang_c(c: int, lam: float, mu: float) -> float:
    a = lam / mu
    top = a**c / math.factorial(c) / (1 - a / c)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def jackson_sojourn() -> float:
    """Mean time through the network: sum over stations of visits x (Erlang C wait + service)."""
    lam = [LAMBDA] + [LAMBDA / (1 - 0.2)] * 4  # traffic equations
    total = 0.0
    for c, rate, s in zip(SERVERS, lam, MEANS):
        mu = 1.0 / s
        total += (rate / LAMBDA) * (erlang_c(c, rate, mu) / (c * mu - rate) + s)
    return total


JACKSON = jackson_sojourn()
assert abs(JACKSON - 14.8725) < 1e-4, JACKSON


def batch_means_ci(values: list[float], batches: int = 20) -> tuple[float, float]:
    """Mean and 95 % half-width by batch means (values in arrival order; autocorrelated)."""
    n = len(values) // batches
    if n < 2:
        return (sum(values) / len(values) if values else math.nan), math.nan
    means = [sum(values[i * n : (i + 1) * n]) / n for i in range(batches)]
    m = sum(means) / batches
    sd = math.sqrt(sum((x - m) ** 2 for x in means) / (batches - 1))
    return sum(values) / len(values), 2.093 * sd / math.sqrt(batches)  # t(0.975, 19)
