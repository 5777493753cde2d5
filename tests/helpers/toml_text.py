"""A small TOML writer for the tables the tests build or mutate (the standard library only reads TOML).

Strings are escaped as TOML requires (quotes, backslashes, control characters), so even the odd
values the loader fuzzing produces are written faithfully; ``test_fuzz_loader.py`` checks that the
shipped scenarios survive a round trip.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _string(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(k: str) -> str:
    """A key: bare where TOML allows it, else quoted (``"stages.a.effort"``)."""
    return k if _BARE.match(k) else _string(k)


def toml_value(v: Any) -> str:
    """A value on one line (tables inline)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def toml_inline(table: Mapping[str, Any]) -> str:
    """Every top-level key as one line ``key = value`` (tables and arrays of tables written inline)."""
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in table.items())


def toml_sections(table: Mapping[str, Any], collections: tuple[str, ...] = ()) -> str:
    """TOML as a person writes it: a top-level table as ``[name]``; the entries of a table named in
    ``collections`` as ``[name.entry]`` (or ``[[name.entry]]`` for an array of tables); deeper tables inline.
    Top-level keys that are not tables come first."""
    lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items() if not isinstance(v, Mapping)]
    for key, value in table.items():
        if not isinstance(value, Mapping):
            continue
        if key not in collections:
            lines += ["", f"[{toml_key(key)}]", *_pairs(value)]
            continue
        for child, body in value.items():
            name = f"{toml_key(key)}.{toml_key(child)}"
            if isinstance(body, Mapping):
                lines += ["", f"[{name}]", *_pairs(body)]
            else:
                for item in body:
                    lines += ["", f"[[{name}]]", *_pairs(item)]
    return "\n".join(lines).lstrip("\n") + "\n"


def _pairs(table: Mapping[str, Any]) -> list[str]:
    return [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()]
