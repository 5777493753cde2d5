"""Time-weighted monitors (salabim's Monitor idea): totals over the measured window and weekly bins.

A :class:`LevelMonitor` follows a level (files waiting) through time and keeps
its area over [warm-up, horizon] and per bin of ``BIN_DAYS`` calendar days
over the whole horizon; :class:`WorkMonitor` does the same for staff working
time on a working calendar.  Both cost O(bins crossed) per change.
"""
from __future__ import annotations

import math

import numpy as np

BIN_DAYS = 7.0


def n_bins(horizon: float) -> int:
    """Number of weekly bins covering [0, horizon)."""
    return max(1, math.ceil(horizon / BIN_DAYS))


class LevelMonitor:
    """A piecewise-constant level: time-weighted area in the window and per bin."""

    __slots__ = ("value", "last", "warmup", "horizon", "area", "bins")

    def __init__(self, warmup: float, horizon: float):
        self.value = 0
        self.last = 0.0
        self.warmup, self.horizon = warmup, horizon
        self.area = 0.0
        self.bins = np.zeros(n_bins(horizon))

    def change(self, t: float, delta: int) -> None:
        """The level changes by ``delta`` at time ``t`` (non-decreasing across calls)."""
        self.advance(t)
        self.value += delta

    def advance(self, t: float) -> None:
        t = min(t, self.horizon)
        if t <= self.last:
            return
        if self.value:
            a = max(self.last, self.warmup)
            if t > a:
                self.area += self.value * (t - a)
            x = self.last
            while x < t:
                b = int(x // BIN_DAYS)
                end = min(t, (b + 1) * BIN_DAYS)
                self.bins[b] += self.value * (end - x)
                x = end
        self.last = t

    def mean(self) -> float:
        """Time-weighted mean level over [warm-up, horizon] (call after the run)."""
        self.advance(self.horizon)
        span = self.horizon - self.warmup
        return self.area / span if span > 0 else math.nan

    def bin_means(self) -> np.ndarray:
        """Time-weighted mean level in each bin."""
        self.advance(self.horizon)
        widths = np.minimum(BIN_DAYS, self.horizon - np.arange(len(self.bins)) * BIN_DAYS)
        return self.bins / widths


class WorkMonitor:
    """Working time done by ``staff`` people on ``calendar``: utilisation in the window and per bin."""

    __slots__ = ("cal", "staff", "warmup", "horizon", "busy", "bins")

    def __init__(self, calendar, staff: int, warmup: float, horizon: float):
        self.cal, self.staff = calendar, staff
        self.warmup, self.horizon = warmup, horizon
        self.busy = 0.0
        self.bins = np.zeros(n_bins(horizon))

    def add(self, start: float, end: float) -> None:
        """Count one staff member's work from ``start`` to ``end``."""
        end = min(end, self.horizon)
        if end <= start:
            return
        a = max(start, self.warmup)
        if end > a:
            self.busy += self.cal.workdays_between(a, end)
        x = start
        while x < end:
            b = int(x // BIN_DAYS)
            e = min(end, (b + 1) * BIN_DAYS)
            self.bins[b] += self.cal.workdays_between(x, e)
            x = e

    def utilisation(self) -> float:
        """Share of the staff's working time used over [warm-up, horizon]."""
        span = self.cal.workdays_between(self.warmup, self.horizon)
        return self.busy / (self.staff * span) if span > 0 else math.nan

    def bin_utilisation(self) -> np.ndarray:
        """Utilisation per bin (NaN in bins without working time)."""
        edges = np.minimum(np.arange(len(self.bins) + 1) * BIN_DAYS, self.horizon)
        avail = np.array([self.cal.workdays_between(a, b) for a, b in zip(edges[:-1], edges[1:])]) * self.staff
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(avail > 0, self.bins / np.where(avail > 0, avail, 1), np.nan)
