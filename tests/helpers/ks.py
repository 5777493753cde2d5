"""Kolmogorov-Smirnov tests with numpy alone: does a sample follow a distribution, do two samples agree?

The p-value is the asymptotic Kolmogorov distribution with Stephens' small-sample correction
(lambda = (sqrt(n) + 0.12 + 0.11 / sqrt(n)) D, n the effective sample size), good to about 0.01 from n = 20 on:
enough to tell a right model from a wrong one, which is what the tests ask.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def kolmogorov_p(d: float, n: float) -> float:
    """P(D > d) for the Kolmogorov-Smirnov statistic of effective sample size ``n``."""
    lam = (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n)) * d
    if lam < 0.2:
        return 1.0
    terms = [2 * (-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101)]
    return min(1.0, max(0.0, sum(terms)))


def ks_two_sample(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(D, p): the largest gap between the empirical distribution functions of ``a`` and ``b``, and the
    probability of a gap at least as large if both come from one continuous distribution."""
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    x = np.concatenate([a, b])
    d = float(np.max(np.abs(np.searchsorted(a, x, "right") / len(a) - np.searchsorted(b, x, "right") / len(b))))
    return d, kolmogorov_p(d, len(a) * len(b) / (len(a) + len(b)))


def ks_one_sample(x: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray]) -> tuple[float, float]:
    """(D, p): the largest gap between the empirical distribution function of ``x`` and ``cdf``."""
    x = np.sort(np.asarray(x, float))
    n = len(x)
    f = cdf(x)
    d = float(max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n)))
    return d, kolmogorov_p(d, n)
