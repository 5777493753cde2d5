"""TOML text with a comment on every value: how a fitted scenario is written.

A scenario is written as :class:`Section` s, each a table header (with an optional comment) and its entries,
each a key, a value and the comment on its line.  Values are Python's: bool, int, float, str, dates, lists
and dicts (written as inline tables); strings and keys are quoted as TOML needs.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_BARE = re.compile(r"[A-Za-z0-9_-]+")
#: list values longer than this are wrapped, several to a line
_WRAP = 100


@dataclass
class Section:
    """A table of the scenario: ``[header]``, its comment lines, and (key, value, comment) entries."""

    header: str
    comments: list[str] = field(default_factory=list)
    entries: list[tuple[str, Any, str]] = field(default_factory=list)

    def add(self, key: str, value: Any, comment: str = "") -> None:
        """One ``key = value  # comment`` line."""
        self.entries.append((key, value, comment))


def key(name: str) -> str:
    """A TOML key: bare when it may be, else quoted."""
    return name if _BARE.fullmatch(name) else json.dumps(name, ensure_ascii=False)


def dotted(*names: str) -> str:
    """A dotted table name: ``dotted("stages", "s_01")`` -> ``stages.s_01``."""
    return ".".join(key(n) for n in names)


def value(v: Any) -> str:
    """``v`` as a TOML value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):  # numpy's floats too (written as Python's)
        v = float(v)
        if not math.isfinite(v):
            raise ValueError(f"a scenario value must be finite, got {v}")
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dict):
        return "{" + ", ".join(f"{key(k)} = {value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def _list_lines(name: str, items: list[Any]) -> list[str]:
    """A long list, several items to a line."""
    lines, current = [f"{key(name)} = ["], "   "
    for x in items:
        text = f" {value(x)},"
        if len(current) + len(text) > _WRAP:
            lines.append(current)
            current = "   "
        current += text
    lines.append(current)
    lines.append("]")
    return lines


def comment_lines(text: str) -> list[str]:
    """``text`` as comment lines (each of its lines gets ``# ``)."""
    return [f"# {line}".rstrip() for line in text.split("\n")]


def render(head: Iterable[str], sections: Iterable[Section]) -> str:
    """The whole file: the ``head`` comment lines, then each section."""
    out = [*comment_lines("\n".join(head)), ""]
    for s in sections:
        out.append(f"[{s.header}]")
        for c in s.comments:
            out += comment_lines(c)
        for name, v, comment in s.entries:
            if isinstance(v, list) and len(value(v)) > _WRAP:
                if comment:
                    out += comment_lines(comment)
                out += _list_lines(name, v)
            else:
                line = f"{key(name)} = {value(v)}"
                out.append(f"{line}  # {' '.join(comment.split())}" if comment else line)
        out.append("")
    return "\n".join(out)
