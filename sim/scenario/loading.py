"""Loading scenario files: TOML parsing and ``extends`` inheritance.

``extends = "other.toml"`` (relative to the extending file) loads the other
scenario first and deep-merges this one over it: tables merge key by key,
anything else (numbers, strings, lists) is replaced.  ``--set`` overrides
(:mod:`sim.scenario.overrides`) are applied after the levers, before validation.

Only regular files are read, at most :data:`~sim.scenario.limits.MAX_FILE_BYTES` of them: a folder, a named
pipe, a device or a socket is refused by what it is (a pipe is opened without waiting for a writer), and
every error of the operating system becomes a :class:`ScenarioError` naming the path.  Tables and lists may
nest :data:`~sim.scenario.limits.MAX_NESTING` deep, ``extends`` chains hold at most
:data:`~sim.scenario.limits.MAX_EXTENDS` files.
"""

from __future__ import annotations

import errno
import os
import stat
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from sim.core.errors import Problem, ScenarioError
from sim.scenario.limits import MAX_EXTENDS, MAX_FILE_BYTES, MAX_NESTING, show
from sim.scenario.overrides import parse_overrides
from sim.scenario.scenario import LeverChoice, Scenario, build_scenario
from sim.scenario.schema import RawTable

#: the word that marks a value no source gives (listed in the HTML report)
ASSUMPTION = "ASSUMPTION"

#: what a file that is not a regular file is, by the type bits of its mode
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str | None:
    """Why a file of this mode cannot be a scenario file, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    what = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return f"is {what}, not a scenario file"


def os_problem(e: OSError | ValueError) -> str:
    """A message for an error of the operating system (or a path it refuses) while reading a file."""
    if isinstance(e, ValueError):  # "embedded null byte"
        return "the path holds a NUL character"
    known = {
        errno.ENOENT: "file not found",
        errno.EACCES: "permission denied: the file cannot be read",
        errno.EPERM: "permission denied: the file cannot be read",
        errno.ELOOP: "too many levels of symbolic links (a symbolic link loop?)",
        errno.ENAMETOOLONG: "the file name is too long (at most 255 bytes a name)",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.EISDIR: "is a folder, not a scenario file",
    }
    return known.get(e.errno or 0, f"cannot be read: {e.strerror or e}")


def _refuse(path: Path | str, message: str, key: str = "") -> ScenarioError:
    return ScenarioError([Problem(str(path).replace("\0", "\\0"), key, message)])  # a NUL shown as \0


def read_bytes(path: Path) -> bytes:
    """The content of the regular file ``path``, at most :data:`MAX_FILE_BYTES`.

    Raises:
        ScenarioError: the file is missing, unreadable, not a regular file or too large.
    """
    chunks: list[bytes] = []
    size = 0
    try:
        why = _not_regular(os.stat(path).st_mode)
        if not why:
            # O_NONBLOCK: should a pipe have replaced the file since the stat, open does not wait for a writer
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
            try:
                why = _not_regular(os.fstat(fd).st_mode)
                while not why and size <= MAX_FILE_BYTES:
                    chunk = os.read(fd, min(1 << 20, MAX_FILE_BYTES + 1 - size))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
            finally:
                os.close(fd)
    except (OSError, ValueError) as e:  # ValueError: a NUL in the path
        raise _refuse(path, os_problem(e)) from None
    if why:
        raise _refuse(path, why)
    if size > MAX_FILE_BYTES:
        raise _refuse(path, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; a scenario file is far smaller")
    return b"".join(chunks)


def read_toml(path: Path) -> RawTable:
    """Parse one TOML file; syntax errors become a :class:`ScenarioError` with line and column."""
    return read_source(path)[0]


def read_source(path: Path) -> tuple[RawTable, str]:
    """One TOML file, parsed, and its text (read once); errors as :func:`read_toml`."""
    data = read_bytes(path)
    try:
        text = data.decode("utf-8")
        table = tomllib.loads(text)
    except UnicodeDecodeError as e:
        raise _refuse(path, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except tomllib.TOMLDecodeError as e:
        raise _refuse(path, f"TOML syntax error: {e}") from None
    except RecursionError:
        raise _refuse(path, f"tables or lists nested too deeply (at most {MAX_NESTING} levels)") from None
    except ValueError as e:  # a value TOML parses but Python refuses: an integer of more than 4300 digits
        why = "an integer of more than 4300 digits (numbers must fit a 64-bit float)" if "digits" in str(e) else e
        raise _refuse(path, f"TOML value error: {why}") from None
    check_nesting(table, str(path))
    return table, text


def check_nesting(table: Mapping[str, Any], file: str) -> None:
    """Refuse tables and lists nested more than :data:`MAX_NESTING` deep, naming the key path where they do
    (iteratively: the check itself never runs out of stack)."""
    stack: list[tuple[Any, str, int]] = [(table, "", 0)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_NESTING:
            raise ScenarioError([Problem(file, where, f"tables or lists nested more than {MAX_NESTING} levels deep")])
        if isinstance(node, dict):
            stack += [(v, f"{where}.{k}" if where else str(k), depth + 1) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(node)]


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> RawTable:
    """``over`` merged onto ``base``: tables merge recursively, other values replace."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _resolved(path: Path) -> Path:
    """``path`` made absolute with symbolic links resolved as far as they go (a loop is reported on reading)."""
    if "\0" in str(path):
        raise _refuse(path, "the path holds a NUL character")
    return Path(os.path.realpath(path))


def read_with_extends(
    path: Path, _chain: tuple[Path, ...] = (), sources: list[tuple[Path, str]] | None = None
) -> RawTable:
    """The file's table merged over everything it ``extends``, transitively.

    ``sources``, if given, receives (path, text) of every file read: the file first, then what it extends.
    """
    path = Path(path)
    resolved = _resolved(path)
    if resolved in _chain:
        loop = " -> ".join(p.name for p in (*_chain, resolved))
        raise ScenarioError([Problem(str(path), "extends", f"extends loop: {loop}")])
    raw, text = read_source(path)
    if sources is not None:
        sources.append((path, text))
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise _refuse(path, f"must be a file name string, got {show(parent)}", "extends")
    if "\0" in parent:
        raise _refuse(path, "the file name holds a NUL character", "extends")
    if len(_chain) + 1 >= MAX_EXTENDS:
        raise _refuse(path, f"the extends chain is longer than {MAX_EXTENDS} files", "extends")
    parent_path = path.parent / parent
    if not Path(parent).is_absolute() and not _resolved(parent_path).is_relative_to(_resolved(path.parent)):
        raise ScenarioError(
            [
                Problem(
                    str(path),
                    "extends",
                    f"{parent!r} is outside the scenario's folder; a relative "
                    "extends may only name files in that folder or below (give an absolute path "
                    "to use another file)",
                )
            ]
        )
    try:
        why = _not_regular(os.stat(parent_path).st_mode)
    except FileNotFoundError:
        raise _refuse(path, f"{parent!r} not found (looked at {parent_path})", "extends") from None
    except (OSError, ValueError) as e:
        raise _refuse(path, f"{parent!r} ({parent_path}): {os_problem(e)}", "extends") from None
    if why:
        raise _refuse(path, f"{parent!r} ({parent_path}) {why}", "extends")
    return deep_merge(read_with_extends(parent_path, (*_chain, resolved), sources), raw)


def load(
    path: str | os.PathLike[str],
    overrides: Mapping[str, Any] | Iterable[str] | str = (),
    levers: LeverChoice = None,
) -> Scenario:
    """Load, merge, override and validate a scenario file.

    Args:
        path: the TOML file.
        overrides: dotted key paths and values, e.g. ``{"agencies.planning.staff": 4}``, or
            ``"key.path=value"`` strings as ``--set`` takes them (a single string is one override).
        levers: the reform levers to switch on: "all", "none", a comma-separated string or a list of
            lever ids; None keeps the file's own ``scenario.levers``.

    Raises:
        ScenarioError: naming the file and key path of every problem.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise _refuse(show(path), f"a scenario path must be a str or a pathlib.Path, got {type(path).__name__}")
    path = Path(path)
    sources: list[tuple[Path, str]] = []
    raw = read_with_extends(path, sources=sources)
    scenario = build_scenario(raw, str(path), levers=levers, overrides=parse_overrides(overrides, str(path)))
    return replace(
        scenario,
        files=tuple(str(p) for p, _ in sources),
        assumptions=tuple(
            (str(p), i, line.strip())
            for p, text in sources
            for i, line in enumerate(text.split("\n"), 1)
            if ASSUMPTION in line
        ),
    )


def load_text(text: str, name: str) -> Scenario:
    """Validate a scenario given as TOML text (no ``extends``), as :func:`load` validates a file; ``name`` is
    the file name its problems and its ``ASSUMPTION`` lines are reported under.

    Raises:
        ScenarioError: a TOML syntax error, ``extends`` (text has no folder to resolve it in), or any
            problem of the scenario, naming ``name`` and the key path.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _refuse(name, f"TOML syntax error: {e}") from None
    check_nesting(raw, name)
    if "extends" in raw:
        raise _refuse(name, "scenario text cannot extend a file; write it to a file and load that", "extends")
    scenario = build_scenario(raw, name)
    lines = text.split("\n")
    return replace(
        scenario, assumptions=tuple((name, i, line.strip()) for i, line in enumerate(lines, 1) if ASSUMPTION in line)
    )
