"""Loading scenario files: TOML parsing and ``extends`` inheritance.

``extends = "other.toml"`` (relative to the extending file) loads the other
scenario first and deep-merges this one over it: tables merge key by key,
anything else (numbers, strings, lists) is replaced.  ``--set`` overrides
(:mod:`sim.scenario.overrides`) are applied after the levers, before validation.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from sim.core.errors import Problem, ScenarioError
from sim.scenario.overrides import parse_overrides
from sim.scenario.scenario import LeverChoice, Scenario, build_scenario
from sim.scenario.schema import RawTable

#: the word that marks a value no source gives (listed in the HTML report)
ASSUMPTION = "ASSUMPTION"


def read_toml(path: Path) -> RawTable:
    """Parse one TOML file; syntax errors become a :class:`ScenarioError` with line and column."""
    return read_source(path)[0]


def read_source(path: Path) -> tuple[RawTable, str]:
    """One TOML file, parsed, and its text (read once); errors as :func:`read_toml`."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
        return tomllib.loads(text), text
    except FileNotFoundError:
        raise ScenarioError([Problem(str(path), "", "file not found")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(str(path), "", "is a folder, not a scenario file")]) from None
    except UnicodeDecodeError as e:
        raise ScenarioError([Problem(str(path), "", f"not UTF-8 text ({e.reason} at byte {e.start})")]) from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError([Problem(str(path), "", f"TOML syntax error: {e}")]) from None


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> RawTable:
    """``over`` merged onto ``base``: tables merge recursively, other values replace."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def read_with_extends(
    path: Path, _chain: tuple[Path, ...] = (), sources: list[tuple[Path, str]] | None = None
) -> RawTable:
    """The file's table merged over everything it ``extends``, transitively.

    ``sources``, if given, receives (path, text) of every file read: the file first, then what it extends.
    """
    path = Path(path)
    resolved = path.resolve()
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
        raise ScenarioError([Problem(str(path), "extends", f"must be a file name string, got {parent!r}")])
    parent_path = path.parent / parent
    if not Path(parent).is_absolute() and not parent_path.resolve().is_relative_to(path.parent.resolve()):
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
    if not parent_path.is_file():
        raise ScenarioError([Problem(str(path), "extends", f"{parent!r} not found (looked at {parent_path})")])
    return deep_merge(read_with_extends(parent_path, (*_chain, resolved), sources), raw)


def load(path: str | Path, overrides: Mapping[str, Any] | Iterable[str] = (), levers: LeverChoice = None) -> Scenario:
    """Load, merge, override and validate a scenario file.

    Args:
        path: the TOML file.
        overrides: dotted key paths and values, e.g. ``{"agencies.planning.staff": 4}``.
        levers: the reform levers to switch on: "all", "none", a comma-separated string or a list of
            lever ids; None keeps the file's own ``scenario.levers``.

    Raises:
        ScenarioError: naming the file and key path of every problem.
    """
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
