"""Reading raw TOML data with key paths in every message.

:class:`Reader` is a small toolkit used by :mod:`sim.scenario.scenario`: each method
reads one key, checks its type and range, records a :class:`~sim.core.errors.Problem`
(file, key path, what was wrong, what is allowed) when it is wrong, and returns
a usable value so that reading goes on and *all* problems are reported at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sim.core.errors import Problem, ScenarioError, did_you_mean
from sim.scenario.distributions import Dist, parse_dist
from sim.scenario.limits import finite_number, id_problem, show

#: a table as TOML gives it: string keys, any TOML value (tables are dicts again)
RawTable = dict[str, Any]
#: the default of an argument that was not given (distinct from None, which a key may legitimately default to)
MISSING: Any = object()


def _typename(v: object) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
        dt.date: "a date",
        dt.datetime: "a date-time",
    }.get(type(v), type(v).__name__)


class Reader:
    """Collects problems while reading one scenario file."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def error(self, path: str, message: str) -> None:
        """Record one problem at ``path``."""
        self.problems.append(Problem(self.file, path, message))

    def raise_if_any(self) -> None:
        """Raise :class:`ScenarioError` holding every recorded problem."""
        if self.problems:
            raise ScenarioError(self.problems)

    # -- tables ---------------------------------------------------------------
    def table(self, raw: Any, path: str, allowed: Iterable[str], required: Iterable[str] = ()) -> RawTable:
        """Check that ``raw`` is a table with only ``allowed`` keys and every ``required`` one."""
        allowed = list(allowed)
        if raw is MISSING or raw is None:
            raw = {}
        if not isinstance(raw, dict):
            self.error(path, f"must be a table, got {_typename(raw)} {show(raw)}")
            return {}
        for key in raw:
            if key not in allowed:
                self.error(_join(path, key), f"unknown key{did_you_mean(key, allowed)}; allowed: {', '.join(allowed)}")
        for key in required:
            if key not in raw:
                self.error(_join(path, key), "missing (required)")
        return raw

    def id_table(self, raw: Any, path: str) -> dict[str, RawTable]:
        """A table of named entries (``[agencies.<id>]``): check it and its ids."""
        if raw is MISSING or raw is None:
            return {}
        if not isinstance(raw, dict):
            self.error(path, f"must be a table of named entries, got {_typename(raw)}")
            return {}
        for key, value in raw.items():
            if (why := id_problem(key)) is not None:
                self.error(_join(path, key), why)
            if not isinstance(value, dict):
                self.error(_join(path, key), f"must be a table, got {_typename(value)} {show(value)}")
        return {k: v for k, v in raw.items() if isinstance(v, dict)}

    # -- scalars --------------------------------------------------------------
    def number(
        self,
        raw: RawTable,
        key: str,
        path: str,
        default: Any = MISSING,
        *,
        lo: float | None = None,
        hi: float | None = None,
        lo_open: bool = False,
        integer: bool = False,
    ) -> Any:
        """A number (int or float; an integer when ``integer``) within [lo, hi]."""
        p = _join(path, key)
        v = raw.get(key, MISSING)
        if v is MISSING:
            if default is MISSING:
                self.error(p, "missing (required)")
                return lo if lo is not None else 0
            return default
        kind = "an integer" if integer else "a number"
        ok_type = isinstance(v, int) if integer else isinstance(v, (int, float))
        huge = ok_type and isinstance(v, int) and not isinstance(v, bool) and not finite_number(v)
        if isinstance(v, bool) or not ok_type or (not finite_number(v) and not (huge and hi is not None)):
            beyond = " within the range of a 64-bit float (about ±1.8e308)" if huge else ""
            self.error(p, f"must be {kind}{beyond}, got {show(v) if huge else f'{_typename(v)} {show(v)}'}")
            return default if default is not MISSING else (lo or 0)
        bad_lo = lo is not None and (v <= lo if lo_open else v < lo)
        bad_hi = hi is not None and v > hi  # an integer beyond a float is compared exactly
        if bad_lo or bad_hi:
            rng = f"{'>' if lo_open else '>='} {_bound(lo)}" if lo is not None else ""
            if hi is not None:
                rng = f"{rng} and <= {_bound(hi)}" if rng else f"<= {_bound(hi)}"
            self.error(p, f"must be {rng}, got {show(v)}")
            return default if default is not MISSING else (lo or 0)
        return v

    def string(
        self, raw: RawTable, key: str, path: str, default: Any = MISSING, choices: Iterable[str] | None = None
    ) -> Any:
        """A string, optionally one of ``choices``."""
        p = _join(path, key)
        v = raw.get(key, MISSING)
        if v is MISSING:
            if default is MISSING:
                self.error(p, "missing (required)")
                return ""
            return default
        if not isinstance(v, str):
            self.error(p, f"must be a string, got {_typename(v)} {show(v)}")
            return default if default is not MISSING else ""
        if choices is not None:
            choices = list(choices)
            if v not in choices:
                self.error(p, f"{show(v)} is not allowed{did_you_mean(v, choices)}; allowed: {', '.join(choices)}")
                return default if default is not MISSING else ""
        return v

    def boolean(self, raw: RawTable, key: str, path: str, default: bool) -> bool:
        """A boolean."""
        v = raw.get(key, default)
        if not isinstance(v, bool):
            self.error(_join(path, key), f"must be true or false, got {_typename(v)} {show(v)}")
            return default
        return v

    def date(self, raw: RawTable, key: str, path: str, default: dt.date | None = MISSING) -> dt.date | None:
        """A date: a TOML date (2024-03-01) or a 'YYYY-MM-DD' string; None if it is missing (and required:
        a problem is recorded) or malformed, ``default`` if it is missing and optional."""
        p = _join(path, key)
        v = raw.get(key, MISSING)
        if v is MISSING:
            if default is MISSING:
                self.error(p, "missing (required); write a date such as 2024-03-01")
            return None if default is MISSING else default
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        if isinstance(v, str):
            try:
                return dt.date.fromisoformat(v)
            except ValueError:
                pass
        self.error(p, f"must be a date such as 2024-03-01, got {_typename(v)} {show(v)}")
        return None

    def str_list(self, raw: RawTable, key: str, path: str, default: Iterable[str] = ()) -> tuple[str, ...]:
        """A list of strings (a single string is taken as a one-item list)."""
        v = raw.get(key, MISSING)
        if v is MISSING:
            return tuple(default)
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            self.error(_join(path, key), f"must be a list of strings, got {_typename(v)} {show(v)}")
            return tuple(default)
        return tuple(v)

    def dist(self, raw: RawTable, key: str, path: str, units: Mapping[str, str] | None = None) -> Dist | None:
        """An optional distribution table (see :mod:`sim.scenario.distributions`)."""
        if key not in raw:
            return None
        d, problems = parse_dist(raw[key], _join(path, key), units)
        for p, msg in problems:
            self.error(p, msg)
        return d


def _bound(x: float) -> str:
    """A bound as written in a message: an integer in full (2**63 - 1 is 9223372036854775807), a float short."""
    return str(x) if isinstance(x, int) else f"{x:g}"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
