"""Streaming statistics of KPIs over replications.

An :class:`Accumulator` takes one replication's values at a time and keeps a
fixed amount of memory: exact moments (Chan's parallel update), the sums the
confidence interval needs, and quantiles, exact up to :data:`EXACT_LIMIT`
values and from a log-bucket sketch with 0.05 % relative accuracy past it.
Replications must be added in replication order; the runner guarantees that,
so results do not depend on the number of worker processes.

The 95 % confidence interval of the mean treats replications as independent
clusters (ratio estimator): with projects of one replication sharing queues,
project values are not independent, but replications are.

Values too large for floating point (a cost of 10^308 yuan and more is infinite) are observed values, not
censored ones; a statistic that is not a finite number is reported as None (JSON null) with a ``note``
saying why, and no numpy warning is issued.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

EXACT_LIMIT = 20_000
_BUCKET_BATCH = 8192  # sketch values bucketed together
_ALPHA = 5e-4
_GAMMA = (1 + _ALPHA) / (1 - _ALPHA)
_LOG_GAMMA = math.log(_GAMMA)
_T975 = (
    12.7062047,
    4.3026527,
    3.1824463,
    2.7764451,
    2.5705818,
    2.4469119,
    2.3646243,
    2.3060041,
    2.2621572,
    2.2281389,
    2.2009852,
    2.1788128,
    2.1603687,
    2.1447867,
    2.1314495,
    2.1199053,
    2.1098155,
    2.1009220,
    2.0930241,
    2.0859634,
    2.0796138,
    2.0738731,
    2.0686576,
    2.0638986,
    2.0595386,
    2.0555294,
    2.0518305,
    2.0484071,
    2.0452296,
    2.0422725,
)


def t975(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom."""
    if df < 1:
        return math.nan
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959963984540054  # Cornish-Fisher expansion; error < 1e-5 for df > 30
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


class QuantileStore:
    """Exact quantiles for small samples, a relative-error sketch for large ones.

    Exact values live in one growing float64 buffer (not one array per
    replication, whose overhead would dominate for one value per replication).
    """

    def __init__(self) -> None:
        self._buf: np.ndarray | None = np.empty(16)
        self.count = 0
        self._buckets: dict[int, int] = {}
        self._zeros = 0
        self._infinite = 0  # values too large for floating point (kept outside the log buckets)
        self._pending: list[np.ndarray] = []  # sketch mode: values not yet bucketed
        self._n_pending = 0

    @property
    def buckets(self) -> dict[int, int]:
        """Sketch bucket index -> count (after bucketing any pending values)."""
        self._flush()
        return self._buckets

    @property
    def zeros(self) -> int:
        """Values at zero (kept outside the log buckets)."""
        self._flush()
        return self._zeros

    @property
    def values(self) -> list[np.ndarray] | None:
        """The exact values seen so far (as a one-item list), or None once the sketch took over."""
        return None if self._buf is None else [self._buf[: self.count]]

    def add(self, v: np.ndarray) -> None:
        """Add values (exactly kept until :data:`EXACT_LIMIT` values, then bucketed into the sketch)."""
        if self._buf is None:  # sketch: bucket in batches (bucketing costs ~15 us a call, whatever its size)
            self.count += len(v)
            self._pending.append(v)
            self._n_pending += len(v)
            if self._n_pending >= _BUCKET_BATCH:
                self._flush()
            return
        need = self.count + len(v)
        if need > EXACT_LIMIT:
            all_values = np.concatenate((self._buf[: self.count], v))
            self._buf = None
            self.count = need
            self._bucket(all_values)
            return
        if need > len(self._buf):
            grown = np.empty(min(EXACT_LIMIT, max(need, 2 * len(self._buf))))
            grown[: self.count] = self._buf[: self.count]
            self._buf = grown
        self._buf[self.count : need] = v
        self.count = need

    def _flush(self) -> None:
        if self._pending:
            v = np.concatenate(self._pending)
            self._pending, self._n_pending = [], 0
            self._bucket(v)

    @property
    def infinite(self) -> int:
        """Values too large for floating point (infinite), kept outside the log buckets."""
        self._flush()
        return self._infinite

    def _bucket(self, v: np.ndarray) -> None:
        if np.any(v < 0):
            raise ValueError("the quantile sketch takes non-negative values only")
        big = np.isinf(v)
        if big.any():
            self._infinite += int(big.sum())
            v = v[~big]
        pos = v[v > 1e-12]
        self._zeros += len(v) - len(pos)
        idx, counts = np.unique(np.ceil(np.log(pos) / _LOG_GAMMA).astype(np.int64), return_counts=True)
        for i, c in zip(idx.tolist(), counts.tolist()):
            self._buckets[i] = self._buckets.get(i, 0) + c

    @property
    def exact(self) -> bool:
        """Whether every value is still kept (quantiles exact) rather than the sketch."""
        return self._buf is not None

    def ecdf(self) -> tuple[np.ndarray, np.ndarray]:
        """(values, cumulative share): exact points, or bucket representatives of the sketch."""
        if self.count == 0:
            return np.array([]), np.array([])
        if self.values is not None:
            x = np.sort(np.concatenate(self.values))
            return x, np.arange(1, len(x) + 1) / len(x)
        keys = sorted(self.buckets)
        big = bool(self.infinite)
        x = np.array([0.0] * bool(self.zeros) + [2 * _GAMMA**k / (_GAMMA + 1) for k in keys] + [math.inf] * big)
        counts = np.array(
            [self.zeros] * bool(self.zeros) + [self.buckets[k] for k in keys] + [self.infinite] * big, dtype=float
        )
        return x, np.cumsum(counts) / self.count

    def quantiles(self, qs: tuple[float, ...]) -> list[float]:
        """The quantiles ``qs`` (0-1) of the values: exact, or within the sketch's relative accuracy; NaN if
        there are none."""
        if self.count == 0:
            return [math.nan] * len(qs)
        if self.values is not None:
            with np.errstate(all="ignore"):  # infinite values: the quantiles next to them are not numbers
                return [float(x) for x in np.quantile(np.concatenate(self.values), qs)]
        keys = sorted(self.buckets)
        cum = np.cumsum([self.zeros] + [self.buckets[k] for k in keys])
        out = []
        for q in qs:
            rank = q * (self.count - 1)
            j = int(np.searchsorted(cum, rank, side="right"))
            if j > len(keys):  # among the infinite values
                out.append(math.inf)
            else:
                out.append(0.0 if j == 0 else 2 * _GAMMA ** keys[j - 1] / (_GAMMA + 1))
        return out


def batch(values: np.ndarray, censored: int | None = None) -> tuple[float, int, float, int]:
    """(sum, count, sum of squared deviations from their mean, censored count) of one replication's finite
    values (NaN: censored, unless ``censored`` gives the count): the array work of :meth:`Accumulator.add`,
    so that it can run where the replication ran (see :meth:`Accumulator.add_batch`)."""
    values = np.asarray(values, dtype=float)
    with np.errstate(all="ignore"):  # values too large for floating point give inf or NaN sums, not warnings
        sb = float(np.add.reduce(values))
        if sb != sb:  # NaN somewhere: censored values (or infinite ones, or an overflow)
            finite = values[~np.isnan(values)]
            sb = float(np.add.reduce(finite))
        else:
            finite = values
        nb = len(finite)
        m2b = 0.0
        if nb:
            d = finite - sb / nb
            m2b = float(np.add.reduce(d * d))
    return sb, nb, m2b, (len(values) - nb) if censored is None else censored


class Accumulator:
    """Running statistics of one KPI over replications."""

    def __init__(self, unit: str, quantiles: bool = True):
        self.unit = unit
        self.with_quantiles = quantiles
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.reps = 0
        self.censored = 0
        self.s = self.s2 = self.k = self.k2 = self.sk = 0.0  # per-replication sums and counts
        self.q = QuantileStore()

    def add(self, values: np.ndarray, censored: int | None = None) -> None:
        """Add one replication: its observed values (NaN counts as censored)."""
        values = np.asarray(values, dtype=float)
        if len(values) == 1 and censored is None:  # one value per replication (agencies): the same, in scalars
            self._add_one(float(values[0]), values)
            return
        self.add_batch(values, *batch(values, censored))

    def add_batch(self, values: np.ndarray, sb: float, nb: int, m2b: float, censored: int) -> None:
        """Add one replication's ``values`` already reduced by :func:`batch` (in a worker, say): the same
        as :meth:`add`."""
        self.censored += censored
        self.reps += 1
        self.s += sb
        self.s2 += sb * sb
        self.k += nb
        self.k2 += nb * nb
        self.sk += sb * nb
        if nb == 0:
            return
        mb = sb / nb
        n = self.n + nb
        delta = mb - self.mean
        self.mean += delta * nb / n
        self.m2 += m2b + delta * delta * self.n * nb / n
        self.n = n
        if self.with_quantiles:
            self.q.add(values if nb == len(values) else values[~np.isnan(values)])

    def _add_one(self, x: float, values: np.ndarray) -> None:
        self.reps += 1
        if x != x:
            self.censored += 1
            return
        self.s += x
        self.s2 += x * x
        self.k += 1
        self.k2 += 1
        self.sk += x
        n = self.n + 1
        delta = x - self.mean
        self.mean += delta / n
        self.m2 += 0.0 + delta * delta * self.n / n
        self.n = n
        if self.with_quantiles:
            self.q.add(values)

    def ci95(self) -> tuple[float, float]:
        """95 % confidence interval of the mean (replications as clusters)."""
        if self.n == 0:
            return math.nan, math.nan
        m = self.s / self.k
        if self.reps >= 2:
            kbar = self.k / self.reps
            ss = self.s2 - 2 * m * self.sk + m * m * self.k2
            ss = max(0.0, ss) if math.isfinite(ss) else math.nan  # (an overflow is not a zero spread)
            half = t975(self.reps - 1) * math.sqrt(ss / (self.reps * (self.reps - 1))) / kbar
        elif self.n >= 2:
            half = t975(self.n - 1) * math.sqrt(self.m2 / (self.n - 1) / self.n)
        else:
            return math.nan, math.nan
        return m - half, m + half

    def to_dict(self) -> dict[str, Any]:
        """The summary.json entry: unit, mean, sd, ci95, p10, p50, p90, n, censored (and a ``note`` when a
        statistic that the values define is not a finite number, and so null)."""
        p10, p50, p90 = self.q.quantiles((0.1, 0.5, 0.9)) if self.with_quantiles else (math.nan,) * 3
        sd = math.sqrt(self.m2 / (self.n - 1)) if self.n >= 2 else math.nan
        lo, hi = self.ci95()
        mean = self.s / self.k if self.k else math.nan
        out: dict[str, Any] = {
            "unit": self.unit,
            "mean": _num(mean),
            "sd": _num(sd),
            "ci95": [_num(lo), _num(hi)],
            "p10": _num(p10),
            "p50": _num(p50),
            "p90": _num(p90),
            "n": self.n,
            "censored": self.censored,
            "quantiles": ("exact" if self.q.exact else "sketch") if self.with_quantiles else None,
        }
        # what the values define: the mean from one value, the spread from two, the quantiles if kept
        defined = {
            "mean": (mean, self.n >= 1),
            "sd": (sd, self.n >= 2),
            "ci95": (lo + hi, self.n >= 1 and (self.reps >= 2 or self.n >= 2)),
        }
        defined.update(
            {k: (v, self.with_quantiles and self.n >= 1) for k, v in zip(("p10", "p50", "p90"), (p10, p50, p90))}
        )
        lost = [k for k, (v, expected) in defined.items() if expected and not math.isfinite(v)]
        if lost:
            out["note"] = (
                f"{', '.join(lost)} {'is' if len(lost) == 1 else 'are'} null: the values are too large for "
                f"floating-point numbers (beyond {sys.float_info.max:.3g})"
            )
        return out


def _num(x: float | None) -> float | None:
    """JSON has no NaN nor infinity: a missing or non-finite statistic is null."""
    return None if x is None or not math.isfinite(x) else float(x)
