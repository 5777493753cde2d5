"""Duration and value distributions with explicit units.

A scenario writes a distribution as a TOML inline table, e.g.
``{dist = "triangular", low = 2, mode = 3, high = 6, unit = "workday"}``.
:func:`parse_dist` validates it (naming the key path of every problem) and
returns a frozen :class:`Dist`; :meth:`Dist.quantile` turns a uniform draw into a
value (the engine draws uniforms, see :mod:`sim.engine.draws`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.core.units import CALENDAR_DAYS, TIME_UNITS
from sim.scenario.limits import MAX_DURATION, MAX_LOGNORMAL_RATIO, MAX_VALUE, finite_number, show

if TYPE_CHECKING:
    from sim.scenario.calendar import WorkCalendar

# z such that P(Z <= z) = 0.9 for a standard normal
Z90 = 1.2815515655446004
_STD_NORMAL = NormalDist()

#: required parameters of each distribution kind
KINDS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "exponential": ("mean",),
    "lognormal": ("median", "p90"),
    "empirical": ("samples",),
}


@dataclass(frozen=True)
class Dist:
    """A distribution of non-negative values in a unit.

    Attributes:
        kind: one of :data:`KINDS`.
        params: the parameters, in the order of ``KINDS[kind]`` (``samples`` is a tuple).
        unit: a key of :data:`TIME_UNITS`, or a value unit such as ``"cny"``.
    """

    kind: str
    params: tuple[Any, ...]  # floats; for "empirical" one item, the sorted samples as a tuple of floats
    unit: str

    def quantile(self, u: float) -> float:
        """The value below which a share ``u`` (0 <= u < 1) of draws fall: inversion sampling from a uniform.

        The engine draws uniforms in blocks and turns each into a value here, so one draw is
        one uniform whatever the distribution (common random numbers line up across levers).
        """
        k, p = self.kind, self.params
        if k == "exponential":
            return -p[0] * math.log1p(-u)
        if k == "fixed":
            return p[0]
        if k == "triangular":
            a, m, b = p
            if u * (b - a) < m - a:
                return a + math.sqrt(u * (b - a) * (m - a))
            return b - math.sqrt((1.0 - u) * (b - a) * (b - m))
        if k == "lognormal":
            mu, sigma = _lognormal_mu_sigma(p[0], p[1])
            return math.exp(mu + sigma * _STD_NORMAL.inv_cdf(min(max(u, 1e-300), 1.0 - 1e-16)))
        if k == "uniform":
            return p[0] + u * (p[1] - p[0])
        s = p[0]  # empirical: each sample equally likely
        return s[min(int(u * len(s)), len(s) - 1)]

    def cdf(self, x: float) -> float:
        """The share of draws at or below ``x``: the inverse of :meth:`quantile` (``cdf(quantile(u)) == u`` for a
        continuous distribution)."""
        k, p = self.kind, self.params
        if k == "fixed":
            return 1.0 if x >= p[0] else 0.0
        if k == "exponential":
            return 0.0 if x <= 0.0 else -math.expm1(-x / p[0])
        if k == "uniform":
            return min(1.0, max(0.0, (x - p[0]) / (p[1] - p[0])))
        if k == "triangular":
            a, m, b = p
            if x <= a:
                return 0.0
            if x >= b:
                return 1.0
            if x <= m:
                return (x - a) ** 2 / ((b - a) * (m - a))
            return 1.0 - (b - x) ** 2 / ((b - a) * (b - m))
        if k == "lognormal":
            if x <= 0.0:
                return 0.0
            mu, sigma = _lognormal_mu_sigma(p[0], p[1])
            return _STD_NORMAL.cdf((math.log(x) - mu) / sigma)
        s = p[0]  # empirical: the share of samples at or below x
        return float(np.searchsorted(s, x, side="right")) / len(s)

    def quantile_above(self, u: float, x: float) -> float:
        """Inversion sampling from the distribution conditioned on exceeding ``x``: the value ``quantile(v)`` with
        ``v = F(x) + u (1 - F(x))``, so a uniform ``u`` gives a draw from the values above ``x`` in their
        proportions.  This is how work already under way for ``x`` (a review ten days old) continues: the
        remaining part is ``quantile_above(u, x) - x``, never a restart.  When no value exceeds ``x``
        (``F(x) = 1``: the work has run longer than the distribution allows) it is the largest value.
        """
        if x <= 0.0:
            return self.quantile(u)
        f = self.cdf(x)
        if self.kind == "exponential":  # memoryless, and exact far in the tail where 1 - F(x) underflows
            return x + self.quantile(u)
        if self.kind == "empirical":  # the samples above x, each equally likely
            s = self.params[0]
            k = int(np.searchsorted(s, x, side="right"))
            return s[min(k + int(u * (len(s) - k)), len(s) - 1)]
        v = f + u * (1.0 - f)
        return self.quantile(min(v, _U_MAX))

    def mean(self) -> float:
        """The distribution's mean (in its own unit)."""
        k, p = self.kind, self.params
        if k == "fixed":
            return p[0]
        if k == "triangular":
            return (p[0] + p[1] + p[2]) / 3.0
        if k == "exponential":
            return p[0]
        if k == "lognormal":
            mu, sigma = _lognormal_mu_sigma(p[0], p[1])
            return math.exp(mu + sigma * sigma / 2.0)
        if k == "uniform":
            return (p[0] + p[1]) / 2.0
        return float(np.mean(p[0]))

    def scaled(self, factor: float) -> Dist:
        """The same distribution with every value multiplied by ``factor``."""
        if self.kind == "empirical":
            return Dist(self.kind, (tuple(x * factor for x in self.params[0]),), self.unit)
        return Dist(self.kind, tuple(x * factor for x in self.params), self.unit)

    def describe(self) -> str:
        """A short human-readable form, e.g. 'triangular(2, 3, 6) workday'."""
        if self.kind == "empirical":
            body = f"{len(self.params[0])} samples, mean {self.mean():g}"
        else:
            body = ", ".join(f"{x:g}" for x in self.params)
        return f"{self.kind}({body}) {self.unit}"


def _lognormal_mu_sigma(median: float, p90: float) -> tuple[float, float]:
    return math.log(median), (math.log(p90) - math.log(median)) / Z90


#: the largest uniform :meth:`Dist.quantile` is given (numpy's ``random()`` is below 1 - 2**-53)
_U_MAX = 1.0 - 2.0**-53


def _extent(d: Dist) -> tuple[float, str]:
    """The largest value of ``d`` that counts for its bound, and what it is: for a distribution without an upper
    end (exponential, lognormal) its 99.9th percentile, else its largest value."""
    try:
        if d.kind in ("exponential", "lognormal"):
            return d.quantile(0.999), "its 99.9th percentile"
        return d.quantile(_U_MAX), "its largest value"
    except OverflowError:  # a lognormal near the largest float: math.exp overflows
        return math.inf, "its 99.9th percentile"


def parse_dist(
    raw: Any, path: str, units: Mapping[str, str] | None = None
) -> tuple[Dist | None, list[tuple[str, str]]]:
    """Validate a distribution table.

    Args:
        raw: the value read from TOML.
        path: its key path, used in messages.
        units: the allowed units and what they mean (default: time units).

    Returns:
        ``(dist, problems)``: ``dist`` is None when ``problems`` (a list of
        ``(key path, message)``) is not empty.
    """
    from sim.core.errors import did_you_mean

    units = TIME_UNITS if units is None else units
    problems: list[tuple[str, str]] = []
    if not isinstance(raw, dict):
        return None, [
            (
                path,
                f"must be a distribution table such as "
                f'{{dist = "triangular", low = 1, mode = 2, high = 4, unit = "{next(iter(units))}"}}, '
                f"got {type(raw).__name__} {show(raw)}",
            )
        ]
    kind = raw.get("dist")
    if not isinstance(kind, str) or kind not in KINDS:
        hint = did_you_mean(str(kind), KINDS) if isinstance(kind, str) else ""
        shown = "missing" if kind is None else show(kind)
        return None, [(f"{path}.dist", f"{shown} is not a distribution{hint}; allowed: {', '.join(KINDS)}")]
    unit = raw.get("unit")
    if not isinstance(unit, str) or unit not in units:
        shown = "missing" if unit is None else show(unit)
        hint = did_you_mean(str(unit), units) if isinstance(unit, str) else ""
        problems.append((f"{path}.unit", f"{shown} is not a unit{hint}; allowed: {', '.join(units)}"))
        unit = ""
    names = KINDS[kind]
    for key in raw:
        if key not in ("dist", "unit", *names):
            problems.append(
                (
                    f"{path}.{key}",
                    f"unknown key for a {kind} distribution{did_you_mean(key, names)}; "
                    f"allowed: dist, unit, {', '.join(names)}",
                )
            )
    numbers: list[float] = []  # the parameters of every kind but "empirical"
    samples: tuple[float, ...] = ()  # those of "empirical"
    for name in names:
        v = raw.get(name)
        if v is None:
            problems.append((f"{path}.{name}", f"missing; a {kind} distribution needs {', '.join(names)}"))
        elif name == "samples":
            if not isinstance(v, list) or not v or not all(finite_number(x) and x >= 0 for x in v):
                problems.append((f"{path}.samples", "must be a non-empty list of numbers >= 0 (finite)"))
            else:  # sorted: a larger uniform always gives a larger value (inversion, common random numbers)
                samples = tuple(sorted(float(x) for x in v))
        elif not finite_number(v):
            huge = isinstance(v, int) and not isinstance(v, bool)
            beyond = " within the range of a 64-bit float (about ±1.8e308)" if huge else ""
            got = show(v) if huge else f"{type(v).__name__} {show(v)}"
            problems.append((f"{path}.{name}", f"must be a number{beyond}, got {got}"))
        elif v < 0:
            problems.append((f"{path}.{name}", f"must be >= 0, got {v}"))
        else:
            numbers.append(float(v))
    if problems:
        return None, problems
    if kind == "empirical":
        return _bounded(Dist(kind, (samples,), unit), path)
    p = numbers
    if kind == "uniform" and not p[0] < p[1]:
        problems.append((path, f"uniform needs low < high, got low = {p[0]:g}, high = {p[1]:g}"))
    elif kind == "triangular" and not (p[0] <= p[1] <= p[2] and p[0] < p[2]):
        problems.append(
            (
                path,
                f"triangular needs low <= mode <= high and low < high, "
                f"got low = {p[0]:g}, mode = {p[1]:g}, high = {p[2]:g}",
            )
        )
    elif kind == "exponential" and not p[0] > 0:
        problems.append((f"{path}.mean", f"must be > 0, got {p[0]:g}"))
    elif kind == "lognormal" and not 0 < p[0] < p[1]:
        problems.append((path, f"lognormal needs 0 < median < p90, got median = {p[0]:g}, p90 = {p[1]:g}"))
    elif kind == "lognormal" and p[1] > MAX_LOGNORMAL_RATIO * p[0]:
        problems.append(
            (
                path,
                f"lognormal needs p90 <= {MAX_LOGNORMAL_RATIO:g} x median (a wider spread draws values beyond any "
                f"number), got median = {p[0]:g}, p90 = {p[1]:g}",
            )
        )
    if problems:
        return None, problems
    return _bounded(Dist(kind, tuple(p), unit), path)


def _bounded(d: Dist, path: str) -> tuple[Dist | None, list[tuple[str, str]]]:
    """``d`` if its values stay within the bound of its unit (:data:`MAX_DURATION`, :data:`MAX_VALUE`), else
    the problem."""
    bound = MAX_DURATION.get(d.unit, MAX_VALUE.get(d.unit))
    if bound is None:  # no unit (already reported)
        return d, []
    value, what = _extent(d)
    if value <= bound:
        return d, []
    span = " (1000 years)" if d.unit in MAX_DURATION else ""
    return None, [(path, f"{what} is {value:.4g} {d.unit}; at most {bound:.6g} {d.unit}{span} is allowed")]


def elapsed_time(t0: float, t1: float, dist: Dist, calendar: WorkCalendar) -> float:
    """The amount of ``dist``'s unit between clock times ``t0`` and ``t1`` on ``calendar``: the inverse of
    :func:`finish_time` (``finish_time(t0, dist, elapsed_time(t0, t1, dist, cal), cal) == t1`` when ``t1`` is
    in working time)."""
    unit = dist.unit
    if unit == "workday":
        return calendar.workdays_between(t0, t1)
    if unit == "workhour":
        return calendar.workdays_between(t0, t1) * calendar.day_hours
    return (t1 - t0) / CALENDAR_DAYS[unit]


def finish_time(t: float, dist: Dist, value: float, calendar: WorkCalendar, w: float | None = None) -> float:
    """Clock time at which ``value`` (in ``dist.unit``) started at ``t`` ends on ``calendar``.

    Args:
        t: the start, a clock time.
        dist: the distribution ``value`` was drawn from (its unit says how to count it).
        value: the amount of work or waiting, in ``dist.unit``.
        calendar: the working-time calendar of whoever does it (working days and hours count on it).
        w: the calendar's working time at ``t``, if the caller has it already (saves a lookup).
    """
    unit = dist.unit
    if unit == "day":
        return t + value
    if unit == "workday":
        return calendar.add(t, value, w)
    if unit == "workhour":
        return calendar.add(t, value / calendar.day_hours, w)
    return t + value * CALENDAR_DAYS[unit]
