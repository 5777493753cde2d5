"""The data behind a figure: rows of CSV cells (numbers rounded so identical runs give identical text), clock
times as dates, statistics of an accumulator."""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sim.runs.stats import Accumulator

#: one row of a figure's data (a CSV row: numbers, strings, "" for missing)
Row = dict[str, Any]
Rows = list[Row]


def num(x: float | str | None, digits: int = 6) -> str | int | float:
    """A CSV cell: floats rounded (identical text for identical runs), NaN/None empty."""
    if x is None:
        return ""
    if isinstance(x, (bool, int, str)):
        return x
    value = float(x)
    return "" if value != value else round(value, digits)


def stamp(start: dt.date, t: float) -> str:
    """Clock time as "YYYY-MM-DD HH:MM" (empty for NaN)."""
    if t != t:
        return ""
    return (dt.datetime.combine(start, dt.time()) + dt.timedelta(days=float(t))).strftime("%Y-%m-%d %H:%M")


def arrays(pts: Sequence[Mapping[str, Any]], keys: tuple[str, ...]) -> list[np.ndarray]:
    """Columns of data rows as float arrays (empty cells are NaN)."""
    return [np.array([math.nan if row[k] == "" else row[k] for row in pts], dtype=float) for k in keys]


def write_csv(f: IO[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows as CSV (the header is every key, in order of first appearance)."""
    w = csv.DictWriter(
        f, fieldnames=list(dict.fromkeys(k for row in rows for k in row)), restval="", lineterminator="\n"
    )
    w.writeheader()
    w.writerows(rows)


def acc_stats(acc: Accumulator) -> tuple[float, float, float]:
    """(mean, CI low, CI high) of a :class:`sim.runs.stats.Accumulator`, NaN where missing."""
    stats = acc.to_dict()
    mean, (lo, hi) = stats["mean"], stats["ci95"]
    return (
        math.nan if mean is None else mean,
        math.nan if lo is None else lo,
        math.nan if hi is None else hi,
    )
