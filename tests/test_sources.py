"""Every number of the shipped scenarios says where it comes from, and every source it names is in the repository.

A number (an integer, a float, a date or time, or a string made of digits such as ``"11-15"`` or
``"09:00"``) in ``scenarios/*.toml`` or ``scenarios/examples/*.toml`` must carry ``SOURCE: <id>`` or
``ASSUMPTION`` in a comment on its own line(s), or in the comment block directly above its table's header (or
on the header line); for an array of tables (``[[arrivals.projects]]``) the block above its first element
counts for every element.  Each ``SOURCE: <id>`` names an entry (a ``### <id>`` heading) of
``docs/sources.md``, and so does the ``source`` text of every calibration target and lever, as ``[<id>]``.
Nothing in the scenarios, notebooks or the package refers to files outside the repository.

The scenario text is read statement by statement with its comments (a small scanner that knows TOML's four
kinds of string), and each statement's value is parsed by :mod:`tomllib`, so a digit inside a description or a
comment is never taken for a number.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.markdown import anchors

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"
SCENARIOS = sorted([*(ROOT / "scenarios").glob("*.toml"), *(ROOT / "scenarios" / "examples").glob("*.toml")])
TAG = re.compile(r"\b(SOURCE|ASSUMPTION)\b")
SOURCE_TAG = re.compile(r"\bSOURCE\b(?P<rest>.{0,40})")
SOURCE_ID = re.compile(r"^: (?P<id>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\b")
BRACKETED_ID = re.compile(r"\[(?P<id>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\]")
NUMERIC_STRING = re.compile(r"^[0-9][0-9:.\-]*$")
HEADER = re.compile(r"^\s*(?P<open>\[\[?)\s*(?P<name>[^\]]+?)\s*\]\]?")
#: what points outside the repository (the files the project was written from are not part of it)
OUTSIDE = ("../shared", "shared/", "CONTEXT.md", "DESIGN.md", "seed document")


def entries() -> set[str]:
    """The ids of docs/sources.md: its ``### <id>`` headings."""
    text = SOURCES.read_text(encoding="utf-8")
    return set(re.findall(r"^### ([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\s*$", text, flags=re.MULTILINE))


# --------------------------------------------------------------------------------------------------------
# Reading a scenario file as statements with their comments


@dataclass(frozen=True)
class Statement:
    """A key/value statement (perhaps over several lines) of a TOML file, or a table header."""

    line: int  # first line, 1-based
    text: str  # the statement's lines, comments included
    comments: tuple[str, ...]  # the comments on its lines
    header: str | None = None  # the table name, for a header
    array: bool = False  # a [[header]]


def comments_of(text: str) -> list[tuple[int, str]]:
    """The comments of TOML ``text`` with their line (1-based): ``#`` to the end of the line, outside strings."""
    out: list[tuple[int, str]] = []
    i, n = 0, len(text)
    while i < n:
        for quote in ('"""', "'''", '"', "'"):
            if text.startswith(quote, i):
                j = i + len(quote)
                while j < n and not text.startswith(quote, j):
                    j += 2 if quote[0] == '"' and text[j] == "\\" else 1
                i = j + len(quote)
                break
        else:
            if text[i] == "#":
                end = text.find("\n", i)
                end = n if end < 0 else end
                out.append((text.count("\n", 0, i) + 1, text[i:end]))
                i = end
            else:
                i += 1
    return out


def statements(path: Path) -> Iterator[tuple[Statement, list[str]]]:
    """Each statement of the file with the comment-only lines directly above it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    above: list[str] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped:
            above = []
            i += 1
            continue
        if stripped.startswith("#"):
            above.append(stripped)
            i += 1
            continue
        m = HEADER.match(lines[i])
        if m and "=" not in lines[i].split("]", 1)[0]:
            own = tuple(c for _, c in comments_of(lines[i]))
            stmt = Statement(i + 1, lines[i], own, m.group("name"), m.group("open") == "[[")
            yield stmt, above
            above = []
            i += 1
            continue
        # a key/value statement: as many lines as it takes to parse
        j = i
        while True:
            text = "\n".join(lines[i : j + 1])
            try:
                tomllib.loads(text)
                break
            except tomllib.TOMLDecodeError:
                j += 1
                assert j < len(lines), f"{path.name}:{i + 1}: a statement that never parses"
        yield Statement(i + 1, text, tuple(c for _, c in comments_of(text))), above
        above = []
        i = j + 1


def numbers_in(value: object) -> list[object]:
    """The numeric leaves of a parsed TOML value."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in numbers_in(v)]
    if isinstance(value, list):
        return [x for v in value for x in numbers_in(v)]
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float, dt.date, dt.time)):
        return [value]
    if isinstance(value, str) and NUMERIC_STRING.match(value):
        return [value]
    return []


def untagged_numbers(path: Path) -> list[str]:
    """``file:line: text`` of each statement holding a number that neither it nor its table header tags."""
    bad = []
    header_comments: tuple[str, ...] = ()
    first_of_array: dict[str, tuple[str, ...]] = {}
    for stmt, above in statements(path):
        if stmt.header is not None:
            header_comments = (*above, *stmt.comments)
            if stmt.array:
                header_comments = (*first_of_array.setdefault(stmt.header, header_comments), *header_comments)
            continue
        if not numbers_in(tomllib.loads(stmt.text)):
            continue
        if not any(TAG.search(c) for c in (*stmt.comments, *header_comments)):
            bad.append(f"{path.name}:{stmt.line}: {stmt.text.splitlines()[0].strip()}")
    return bad


def source_ids(path: Path) -> list[tuple[int, str | None]]:
    """(line, id) of every SOURCE tag in the file's comments; id None when the tag names no id."""
    out = []
    for line, comment in comments_of(path.read_text(encoding="utf-8")):
        for m in SOURCE_TAG.finditer(comment):
            named = SOURCE_ID.match(m.group("rest"))
            out.append((line, named.group("id") if named else None))
    return out


def source_texts(path: Path) -> list[tuple[str, str]]:
    """(key path, text) of the ``source`` of every lever and calibration target of the file."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        (f"{section}.{key}.source", table["source"])
        for section in ("levers", "targets")
        for key, table in raw.get(section, {}).items()
        if isinstance(table, dict) and "source" in table
    ]


# --------------------------------------------------------------------------------------------------------
# The reader itself, on text whose answer is known


def test_the_reader_finds_numbers_and_tags_as_toml_has_them(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        '# SOURCE (names no id) above the file, not a table header\n\n[a]\nx = 1\ny = "2 working days"\nz = "11-15"\n'
        "# ASSUMPTION: the whole table\n[b]\nw = 2.5\nd = 2024-01-01  # inline\n\n[c]\n"
        'desc = """three\nlines # not a comment, 4\n"""\nm = { p = 0.3 }  # SOURCE: x\nt = true\n'
        "n = [\n  1,  # ASSUMPTION: on a continuation line\n  2,\n]\n"
        "[[r]]  # ASSUMPTION: first element\nv = 1\n\n[[r]]\nv = 2\n",
        encoding="utf-8",
    )
    assert untagged_numbers(path) == ["s.toml:4: x = 1", 's.toml:6: z = "11-15"']
    assert source_ids(path) == [(1, None), (16, "x")]


def test_sources_page_has_entries_each_with_a_text():
    text = SOURCES.read_text(encoding="utf-8")
    ids = entries()
    assert len(ids) >= 20
    for entry in ids:
        body = text.split(f"\n### {entry}\n", 1)[1].split("\n#", 1)[0]
        assert len(body.split()) >= 20, f"docs/sources.md entry {entry!r} says too little"


# --------------------------------------------------------------------------------------------------------
# The shipped scenarios


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_number_is_tagged_source_or_assumption(path):
    bad = untagged_numbers(path)
    assert not bad, "numbers with neither SOURCE: <id> nor ASSUMPTION on their line or table header:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_source_tag_names_an_entry_of_the_sources_page(path):
    known = entries()
    for line, entry in source_ids(path):
        assert entry is not None, f"{path.name}:{line}: a SOURCE tag without ': <id>' (an entry of docs/sources.md)"
        assert entry in known, f"{path.name}:{line}: SOURCE {entry!r} is not an entry of docs/sources.md"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_target_and_lever_source_names_an_entry(path):
    known = entries()
    for where, text in source_texts(path):
        named = BRACKETED_ID.findall(text)
        assert named, f"{path.name} {where}: names no [entry id] of docs/sources.md: {text!r}"
        assert set(named) <= known, f"{path.name} {where}: {sorted(set(named) - known)} not in docs/sources.md"


def repository_texts() -> Iterator[tuple[Path, str]]:
    for path in SCENARIOS:
        yield path, path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        yield path, "\n".join("".join(c["source"]) for c in cells)
    for path in sorted((ROOT / "sim").rglob("*.py")):
        yield path, path.read_text(encoding="utf-8")


def test_nothing_refers_to_files_outside_the_repository():
    for path, text in repository_texts():
        for word in OUTSIDE:
            assert word not in text, f"{path.relative_to(ROOT)} mentions {word!r}: cite docs/sources.md instead"


def test_links_to_the_sources_page_name_its_headings():
    known = anchors(SOURCES)
    assert entries() <= known
    for path, text in repository_texts():
        for entry in re.findall(r"sources\.md#([\w-]+)", text):
            assert entry in known, f"{path.relative_to(ROOT)} links to sources.md#{entry}, which is no heading"
