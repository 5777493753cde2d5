"""Time-weighted monitors (salabim's Monitor idea): totals over the measured window and weekly bins.

Both monitors only log during the run (a float appended per change, about 50
ns) and fold the log into numpy in blocks of :data:`FOLD` entries, so the
cost per change does not depend on how many weekly bins the change spans.

A monitor keeps, for a fixed set of points ``x`` (the weekly bin edges, the
warm-up and the horizon), a cumulative integral ``F(x)``: for a level, its
area up to ``x``; for work, the working time done up to ``x``.  Each logged
entry adds to ``F`` independently of the others, so a block of entries is
folded with one sort, one ``searchsorted`` and two cumulative sums:

* level: ``F(x) = sum over arrivals a < x of (x - a) - sum over departures d < x of (x - d)``;
* work ``[s, e]`` on calendar ``W`` (``W(t)`` = working days up to ``t``):
  ``F(x) = sum over s < x of (W(min(x, e)) - W(s))``, which is
  ``sum over e <= x of W(e) - sum over s < x of W(s) + W(x) * (#{s < x} - #{e <= x})``.
"""

from __future__ import annotations

import math
from array import array
from typing import Literal

import numpy as np

from sim.scenario.calendar import WorkCalendar

BIN_DAYS = 7.0
FOLD = 8192


def n_bins(horizon: float) -> int:
    """Number of weekly bins covering [0, horizon)."""
    return max(1, math.ceil(horizon / BIN_DAYS))


def _points(warmup: float, horizon: float) -> tuple[np.ndarray, int, int]:
    """Bin edges clipped to the horizon, then the warm-up and the horizon: (points, i_warmup, i_horizon)."""
    edges = np.minimum(np.arange(n_bins(horizon) + 1) * BIN_DAYS, horizon)
    pts = np.concatenate((edges, [min(warmup, horizon), horizon]))
    return pts, len(edges), len(edges) + 1


def _below(times: np.ndarray, points: np.ndarray, side: Literal["left", "right"]) -> tuple[np.ndarray, np.ndarray]:
    """For each point: (count, sum) of the sorted ``times`` below it (``side="left"``: <, ``"right"``: <=)."""
    j = np.searchsorted(times, points, side=side)
    sums = np.concatenate(([0.0], np.cumsum(times)))
    return j, sums[j]


class LevelMonitor:
    """The number of files waiting, as arrivals and departures: time-weighted area in the window and per bin."""

    __slots__ = ("warmup", "horizon", "points", "iw", "ih", "F", "ups", "downs", "up", "down")

    def __init__(self, warmup: float, horizon: float) -> None:
        self.warmup, self.horizon = warmup, horizon
        self.points, self.iw, self.ih = _points(warmup, horizon)
        self.F = np.zeros(len(self.points))
        self.ups, self.downs = array("d"), array("d")
        #: ``arrive`` and ``leave`` without the size check, for the engine's hot path: whoever uses them
        #: calls :meth:`fold_if_full` now and then
        self.up, self.down = self.ups.append, self.downs.append

    def arrive(self, t: float) -> None:
        """A file starts waiting at ``t``."""
        self.ups.append(t)
        if len(self.ups) >= FOLD:
            self._fold()

    def leave(self, t: float) -> None:
        """A file stops waiting at ``t``."""
        self.downs.append(t)
        if len(self.downs) >= FOLD:
            self._fold()

    def fold_if_full(self) -> None:
        """Fold the log into ``F`` if it holds :data:`FOLD` entries or more."""
        if len(self.ups) >= FOLD or len(self.downs) >= FOLD:
            self._fold()

    def _fold(self) -> None:
        x = self.points
        for log, sign in ((self.ups, 1.0), (self.downs, -1.0)):
            if log:
                j, s = _below(np.sort(np.array(log, dtype=float)), x, "left")
                self.F += sign * (x * j - s)
                del log[:]  # in place: ``up`` and ``down`` stay bound to these logs

    def mean(self) -> float:
        """Time-weighted mean level over [warm-up, horizon] (call after the run)."""
        self._fold()
        span = self.horizon - self.warmup
        return float(self.F[self.ih] - self.F[self.iw]) / span if span > 0 else math.nan

    def bin_means(self) -> np.ndarray:
        """Time-weighted mean level in each bin."""
        self._fold()
        nb = self.iw - 1
        widths = np.minimum(BIN_DAYS, self.horizon - np.arange(nb) * BIN_DAYS)
        return np.diff(self.F[: nb + 1]) / widths


class WorkMonitor:
    """Working time done by ``staff`` people on ``calendar``: utilisation in the window and per bin."""

    __slots__ = (
        "cal",
        "staff",
        "warmup",
        "horizon",
        "points",
        "iw",
        "ih",
        "F",
        "starts",
        "ends",
        "_wx",
        "log_start",
        "log_end",
    )

    def __init__(self, calendar: WorkCalendar, staff: int, warmup: float, horizon: float) -> None:
        self.cal, self.staff = calendar, staff
        self.warmup, self.horizon = warmup, horizon
        self.points, self.iw, self.ih = _points(warmup, horizon)
        self._wx = calendar.worktime_many(self.points)
        self.F = np.zeros(len(self.points))
        self.starts, self.ends = array("d"), array("d")
        #: ``add`` in two calls without the size check (see LevelMonitor.up)
        self.log_start, self.log_end = self.starts.append, self.ends.append

    def fold_if_full(self) -> None:
        """Fold the log into ``F`` if it holds :data:`FOLD` entries or more."""
        if len(self.starts) >= FOLD:
            self._fold()

    def add(self, start: float, end: float) -> None:
        """Count one staff member's work from ``start`` to ``end`` (clipped to the horizon)."""
        self.starts.append(start)
        self.ends.append(end)
        if len(self.starts) >= FOLD:
            self._fold()

    def _fold(self) -> None:
        if not self.starts:
            return
        s = np.array(self.starts, dtype=float)
        e = np.minimum(np.array(self.ends, dtype=float), self.horizon)
        keep = e > s
        ws = np.sort(self.cal.worktime_many(s[keep]))
        we = np.sort(self.cal.worktime_many(e[keep]))
        # counting in working time: W is non-decreasing, so "s < x" is "W(s) < W(x)" except on closed
        # stretches, where W(x) - W(s) = 0 and either count gives the same F
        x = self._wx
        js, ss = _below(ws, x, "left")
        je, se = _below(we, x, "right")
        self.F += se - ss + x * (js - je)
        del self.starts[:], self.ends[:]  # in place: ``log_start`` and ``log_end`` stay bound to them

    def utilisation(self) -> float:
        """Share of the staff's working time used over [warm-up, horizon]."""
        self._fold()
        span = self._wx[self.ih] - self._wx[self.iw]
        return float(self.F[self.ih] - self.F[self.iw]) / (self.staff * span) if span > 0 else math.nan

    def bin_utilisation(self) -> np.ndarray:
        """Utilisation per bin (NaN in bins without working time)."""
        self._fold()
        nb = self.iw - 1
        done = np.diff(self.F[: nb + 1])
        avail = np.diff(self._wx[: nb + 1]) * self.staff
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(avail > 0, done / np.where(avail > 0, avail, 1), np.nan)
