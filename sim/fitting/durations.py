"""Samples measured in a log (working days, yuan) -> a scenario distribution, with the reason for its kind.

The choice: a **lognormal** (``median``, ``p90``) when a Kolmogorov-Smirnov test against the lognormal fitted
to the positive values does not reject it at 5 % and fewer than 5 % of the values are zero; else an
**empirical** distribution of at most :data:`MAX_SAMPLES` quantiles; fewer than :data:`MIN_SAMPLES` values give
their median, **fixed**.  The p-value is Kolmogorov's asymptotic one with Stephens' small-sample correction;
since the lognormal's parameters are estimated from the same values it is approximate (too large: the test
rejects less often than 5 %), which the comment says.

No scipy: the normal CDF comes from :func:`math.erf`, the Kolmogorov series from numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.core.units import VALUE_UNITS
from sim.scenario.distributions import parse_dist

#: fewer values than this give a fixed median
MIN_SAMPLES = 5
#: the most samples an empirical distribution keeps (quantiles of the values beyond that)
MAX_SAMPLES = 50
#: the test's level: a p-value below it rejects the lognormal
ALPHA = 0.05
#: the largest share of zeros a lognormal may leave out
MAX_ZERO_SHARE = 0.05
#: values below this count as zero (a tenth of a second in working days)
ZERO = 1e-6
#: decimals a time sample keeps (1e-4 of a working day is about 3 seconds)
DECIMALS = 4
#: the standard normal's 90th percentile
Z90 = 1.2815515655446004


def kolmogorov_p(lam: float) -> float:
    """P(K > lam) for the Kolmogorov distribution K, the limit of sqrt(n) times the KS statistic."""
    if lam <= 0.0:
        return 1.0
    if lam < 1.18:  # the theta-function form converges fast for small lam
        j = np.arange(1, 8)
        cdf = math.sqrt(2.0 * math.pi) / lam * float(np.exp(-((2 * j - 1) ** 2) * math.pi**2 / (8 * lam * lam)).sum())
        return float(min(1.0, max(0.0, 1.0 - cdf)))
    j = np.arange(1, 101)
    terms = 2.0 * (-1.0) ** (j - 1) * np.exp(-2.0 * j * j * lam * lam)
    return float(min(1.0, max(0.0, terms.sum())))


def ks_statistic(values: np.ndarray, cdf: np.ndarray) -> float:
    """The Kolmogorov-Smirnov statistic D of sorted ``values`` whose model CDF at each value is ``cdf``."""
    n = len(values)
    i = np.arange(1, n + 1)
    return float(max((i / n - cdf).max(), (cdf - (i - 1) / n).max()))


def ks_p_value(d: float, n: int) -> float:
    """The asymptotic p-value of a KS statistic ``d`` of ``n`` values (Stephens' correction for small n)."""
    root = math.sqrt(n)
    return kolmogorov_p((root + 0.12 + 0.11 / root) * d)


def lognormal_cdf(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """The CDF of the lognormal with log-mean ``mu`` and log-sd ``sigma`` at the positive ``x``."""
    z = (np.log(x) - mu) / (sigma * math.sqrt(2.0))
    return 0.5 * (1.0 + np.frompyfunc(math.erf, 1, 1)(z).astype(float))


def significant(x: float, digits: int = 3) -> float:
    """``x`` rounded to ``digits`` significant digits (0 stays 0)."""
    if x == 0.0 or not math.isfinite(x):
        return 0.0 if x == 0.0 else x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


@dataclass(frozen=True)
class FittedDist:
    """A distribution fitted to samples.

    Attributes:
        table: the scenario's inline table (``{"dist": "lognormal", "median": ..., "p90": ..., "unit": ...}``).
        comment: how it was chosen, for its ``# FITTED`` comment (``n=312, lognormal: KS D=0.041, ...``).
        facts: the same as numbers (JSON-safe): kind, n, zero share, KS statistic and p-value, median, mean.
    """

    table: dict[str, Any]
    comment: str
    facts: dict[str, Any] = field(default_factory=dict)


def fit_distribution(values: np.ndarray | list[float], unit: str, what: str = "values") -> FittedDist | None:
    """The distribution of ``values`` (non-negative, in ``unit``), chosen as the module says; None without
    values.  ``what`` names the values in the comment (``"rounds"``, ``"visits"``)."""
    v = np.sort(np.asarray(values, dtype=float))
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return None
    v = np.where(v < ZERO, 0.0, v)
    median = float(np.median(v))
    facts: dict[str, Any] = {"n": n, "median": median, "mean": float(v.mean()), "zero_share": float((v == 0).mean())}
    if n < MIN_SAMPLES:
        value = significant(median, 4)
        facts["kind"] = "fixed"
        return FittedDist(
            _table("fixed", unit, value=value), f"n={n} {what}, too few for a distribution: their median", facts
        )
    if _equal(v):
        facts["kind"] = "fixed"
        value = significant(median, 4)
        return FittedDist(_table("fixed", unit, value=value), f"n={n} {what}, all equal", facts)
    zeros = float((v == 0).mean())
    positive = v[v > 0]
    reason = ""
    if zeros >= MAX_ZERO_SHARE:
        reason = f"{zeros:.0%} of them are zero (a lognormal allows under {MAX_ZERO_SHARE:.0%})"
    elif len(positive) < MIN_SAMPLES or _equal(positive):
        reason = "too few distinct positive values for a lognormal"
    else:
        logs = np.log(positive)
        mu, sigma = float(logs.mean()), float(logs.std())
        d = ks_statistic(positive, lognormal_cdf(positive, mu, sigma))
        p = ks_p_value(d, len(positive))
        facts.update(ks_d=d, ks_p=p)
        test = f"KS D={d:.3f}, p={p:.2g} (approximate: parameters estimated from the same values)"
        if p >= ALPHA:
            table = _table(
                "lognormal", unit, median=significant(math.exp(mu), 4), p90=significant(math.exp(mu + Z90 * sigma), 4)
            )
            _, problems = parse_dist(table, "fitted", VALUE_UNITS if unit in VALUE_UNITS else None)
            if not problems and table["median"] < table["p90"]:
                facts["kind"] = "lognormal"
                zero_note = f", {zeros:.1%} zeros left out" if zeros else ""
                return FittedDist(table, f"n={n} {what}, lognormal: {test}{zero_note}", facts)
            reason = f"the lognormal ({test}) is out of the allowed range"
        else:
            reason = f"KS rejects the lognormal at {ALPHA:.0%}: {test}"
    if n <= MAX_SAMPLES:
        chosen, kept = v, "the values"
    else:
        chosen, kept = np.quantile(v, (np.arange(MAX_SAMPLES) + 0.5) / MAX_SAMPLES), f"{MAX_SAMPLES} quantiles"
    decimals = DECIMALS if unit not in VALUE_UNITS else 0  # times to a few seconds, money to the yuan
    samples = [significant(round(float(x), decimals)) for x in chosen]
    facts["kind"] = "empirical"
    return FittedDist(_table("empirical", unit, samples=samples), f"n={n} {what}, empirical ({kept}): {reason}", facts)


def _equal(sorted_values: np.ndarray) -> bool:
    """Whether the sorted values are all equal, but for float noise (measured times)."""
    return bool(sorted_values[-1] - sorted_values[0] <= ZERO * max(1.0, abs(float(sorted_values[-1]))))


def _table(kind: str, unit: str, **params: Any) -> dict[str, Any]:
    return {"dist": kind, **params, "unit": unit}
