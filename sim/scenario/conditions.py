"""Declarative conditions on project attributes (no ``eval``).

A condition is a TOML table; every entry must hold (logical AND)::

    when = { class = "large", investment_cny = { ge = 1e8 }, in_assessed_zone = true }

A plain value means equality; a table holds comparisons: ``eq``, ``ne``, ``lt``,
``le``, ``gt``, ``ge``, ``in`` and ``not_in`` (the last two take lists).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.scenario.limits import finite_number, show
from sim.scenario.schema import Reader

OPS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
}
_ORDERED = ("lt", "le", "gt", "ge")


@dataclass(frozen=True)
class Condition:
    """A conjunction of ``(attribute, operator, value)`` clauses."""

    clauses: tuple[tuple[str, str, Any], ...]

    def holds(self, attrs: Mapping[str, Any]) -> bool:
        """True when every clause holds for the project attributes ``attrs``."""
        for name, op, value in self.clauses:
            have = attrs.get(name)
            if have is None:
                return False
            if op in _ORDERED and (isinstance(have, (str, bool)) or isinstance(value, (str, bool))):
                return False
            if not OPS[op](have, value):
                return False
        return True

    @property
    def attributes(self) -> tuple[str, ...]:
        """The attribute names the condition reads."""
        return tuple(c[0] for c in self.clauses)

    def describe(self) -> str:
        """A readable form, e.g. 'class == large and investment_cny >= 1e+08'."""
        sym = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "in": "in", "not_in": "not in"}
        return " and ".join(f"{n} {sym[o]} {v!r}" for n, o, v in self.clauses)


def _plain(v: object) -> bool:
    """A value a project attribute can equal: a boolean, a string or a finite number."""
    return isinstance(v, (bool, str)) or finite_number(v)


def parse_condition(r: Reader, raw: Any, path: str) -> Condition | None:
    """Validate a condition table; problems go to ``r`` with their key paths."""
    if not isinstance(raw, dict) or not raw:
        r.error(path, 'must be a non-empty table such as {class = "large"} or {investment_cny = {ge = 1e8}}')
        return None
    clauses = []
    for name, v in raw.items():
        if isinstance(v, dict):
            if not v:
                r.error(f"{path}.{name}", f"must hold a comparison; allowed: {', '.join(OPS)}")
            for op, value in v.items():
                if op not in OPS:
                    from sim.core.errors import did_you_mean

                    r.error(
                        f"{path}.{name}.{op}", f"unknown comparison{did_you_mean(op, OPS)}; allowed: {', '.join(OPS)}"
                    )
                    continue
                if op in ("in", "not_in"):
                    if not isinstance(value, list) or not all(_plain(x) for x in value):
                        want = "a list of booleans, finite numbers or strings"
                        r.error(f"{path}.{name}.{op}", f"must be {want}, got {show(value)}")
                        continue
                    value = tuple(value)
                elif op in _ORDERED and not finite_number(value):
                    r.error(f"{path}.{name}.{op}", f"must be a finite number, got {show(value)}")
                    continue
                elif not _plain(value):
                    r.error(f"{path}.{name}.{op}", f"must be a boolean, finite number or string, got {show(value)}")
                    continue
                clauses.append((name, op, value))
        elif _plain(v):
            clauses.append((name, "eq", v))
        else:
            want = "a boolean, finite number, string or a table of comparisons"
            r.error(f"{path}.{name}", f"must be {want}, got {show(v)}")
    return Condition(tuple(clauses))
