"""The assumptions of the scenario files as a reader wants them: the key path, the value and what the comment says.

The loader records each line marked ``ASSUMPTION`` as it read it (``Scenario.assumptions``: file, line, text).
This module reads the files again to put each line in its context: the table it is in (``[agencies.drc]``,
``[[arrivals.projects]]`` counted), the key it sets or continues (a value or a comment written over several
lines), or, for a comment of its own, the block of comment lines it belongs to and the table that follows it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.scenario.scenario import Scenario

_HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*$")
_DIVIDER = re.compile(r"^[\s\-=#*~_]*$")
#: the longest value shown whole
MAX_VALUE = 240


@dataclass(frozen=True)
class Assumption:
    """One assumption of a scenario file.

    Attributes:
        file: the file it is in.
        line: its (first) line, counted from 1.
        key: the key path it sets (``agencies.drc.staff``), or, for a comment of its own, what it is about
            (``comment above [agencies.drc]``).
        value: the value as written (empty for a comment of its own).
        comment: the comment's text, over all its lines.
    """

    file: str
    line: int
    key: str
    value: str
    comment: str


@dataclass
class _Line:
    kind: str  # "header", "key", "value" (a key's value or comment goes on), "comment", "blank"
    key: str = ""  # the key path of a key line or of the key whose value goes on
    code: str = ""
    comment: str | None = None
    start: int = 0  # the line of the key it belongs to


def _split(text: str, open_string: str | None) -> tuple[str, str | None, str | None, int]:
    """(code, comment or None, the multi-line string still open at the end, change of bracket depth) of a line
    of TOML, reading strings so that a ``#`` or a bracket inside one counts for nothing."""
    i, n, depth = 0, len(text), 0
    while i < n:
        if open_string:
            j = text.find(open_string, i)
            if j < 0:
                return text, None, open_string, depth
            i, open_string = j + 3, None
            continue
        c = text[i]
        if text.startswith('"""', i) or text.startswith("'''", i):
            open_string, i = text[i : i + 3], i + 3
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif c == "'":
            j = text.find("'", i + 1)
            i = n if j < 0 else j + 1
        elif c == "#":
            return text[:i], text[i + 1 :], None, depth
        else:
            depth += (c in "[{") - (c in "]}")
            i += 1
    return text, None, open_string, depth


def _outline(lines: list[str]) -> list[_Line]:
    """What each line of a TOML file is: a table header, a key, the continuation of a key's value, a comment,
    or blank; keys with their whole path."""
    out: list[_Line] = []
    table, counts = "", dict[str, int]()
    open_string: str | None = None
    depth = 0
    key, start = "", 0
    for number, text in enumerate(lines, 1):
        continuing = depth > 0 or open_string is not None
        code, comment, open_string, change = _split(text, open_string)
        if continuing:
            out.append(_Line("value", key, code, comment, start))
            depth += change
            continue
        depth += change
        header = _HEADER.match(code) if code.strip().startswith("[") else None
        if header:
            depth = 0
            name = header.group(2)
            if header.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                name = f"{name}[{counts[name]}]"
            table = name
            out.append(_Line("header", table, code, comment, number))
        elif "=" in code:
            key, start = ".".join(p for p in (table, code.split("=", 1)[0].strip()) if p), number
            out.append(_Line("key", key, code, comment, number))
        elif comment is not None and not code.strip():
            previous = out[-1] if out else None
            goes_on = previous is not None and previous.kind in ("key", "value") and previous.comment is not None
            if goes_on and text[:1].isspace() and previous is not None:  # an indented comment goes on with the key's
                out.append(_Line("value", previous.key, "", comment, previous.start))
            else:
                out.append(_Line("comment", "", "", comment, number))
        else:
            out.append(_Line("blank", "", code, comment, number))
    return out


def _value(outline: list[_Line], start: int) -> str:
    """The value of the key on line ``start``, its lines joined (cut at :data:`MAX_VALUE` characters)."""
    parts = [outline[start - 1].code.split("=", 1)[1].strip()]
    for line in outline[start:]:
        if line.kind != "value" or line.start != start:
            break
        parts.append(line.code.strip())  # (empty for a comment that goes on)
    text = " ".join(p for p in parts if p)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _comment_of_key(outline: list[_Line], start: int) -> str:
    """The comment of the key on line ``start``: on its line, on the lines of its value, and on the indented
    comment lines right after it."""
    parts = [outline[start - 1].comment or ""]
    for line in outline[start:]:
        if line.kind != "value" or line.start != start:
            break
        parts.append(line.comment or "")
    return _text(parts)


def _text(parts: Iterable[str]) -> str:
    """Comment lines as one text."""
    return " ".join(p.strip() for p in parts if p.strip() and not _DIVIDER.match(p)).strip()


def _block(outline: list[_Line], i: int) -> tuple[int, str, str]:
    """The block of comment lines around line index ``i``: (its first line, its text, the table after it)."""
    lo = i
    while lo > 0 and outline[lo - 1].kind == "comment":
        lo -= 1
    hi = i
    while hi + 1 < len(outline) and outline[hi + 1].kind == "comment":
        hi += 1
    after = next((line.key for line in outline[hi + 1 :] if line.kind == "header"), "")
    return lo + 1, _text(line.comment or "" for line in outline[lo : hi + 1]), after


def describe(file: str, lines: Iterable[int], text: Iterable[str] = ()) -> Iterator[Assumption]:
    """The assumptions on ``lines`` of ``file``, each once (a value or comment over several lines is one).

    If the file cannot be read any more, each line is given as the loader recorded it (``text``).
    """
    wanted = list(lines)
    try:
        with open(file, encoding="utf-8") as f:
            raw = f.read().splitlines()
    except (OSError, UnicodeDecodeError):
        for number, recorded in zip(wanted, text):
            yield Assumption(file, number, "", "", recorded.strip())
        return
    outline = _outline(raw)
    seen: set[int] = set()
    for number in wanted:
        if not 1 <= number <= len(outline):
            continue
        line = outline[number - 1]
        if line.kind == "comment":
            first, comment, after = _block(outline, number - 1)
            if first not in seen:
                seen.add(first)
                about = f"comment above [{after}]" if after else "comment at the end of the file"
                yield Assumption(file, first, about, "", comment)
            continue
        start = line.start
        if start in seen or line.kind == "header":
            continue
        seen.add(start)
        if outline[start - 1].kind == "key":
            yield Assumption(file, start, line.key, _value(outline, start), _comment_of_key(outline, start))
        else:
            yield Assumption(file, start, line.key, "", _text([line.comment or raw[number - 1]]))


def assumptions(scenarios: Iterable[Scenario]) -> list[Assumption]:
    """Every assumption of the scenarios' files and the files they extend, as the loader recorded them
    (``Scenario.assumptions``): a file shared by several scenarios is listed once."""
    by_file: dict[str, tuple[str, list[int], list[str]]] = {}
    for sc in scenarios:
        for file, line_no, text in sc.assumptions:
            real = os.path.realpath(file)
            entry = by_file.setdefault(real, (file, [], []))
            if line_no not in entry[1]:
                entry[1].append(line_no)
                entry[2].append(text)
    return [a for file, numbers, texts in by_file.values() for a in describe(file, numbers, texts)]
