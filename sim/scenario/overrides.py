"""Dotted-path overrides (``--set agencies.planning.staff=4``) of a scenario's table.

Overrides are applied after the levers and before validation, so they can
change what a lever sets (``agents.staff``, ``stages.eia.tolerant.fail_p``)
and are validated like the file itself.

Overrides come as a mapping of key path to value, or as ``"key.path=value"`` strings (``--set``); a single
string is one override.  A key path given twice is refused, as is a path that could have no effect
(``extends``, or what a lever does: see :func:`sim.scenario.levers.path_problem`).  Values are TOML values;
from Python, numpy scalars and arrays and tuples are taken as the numbers and lists they hold.
"""

from __future__ import annotations

import copy
import datetime as dt
import numbers
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from sim.core.errors import Problem, ScenarioError, did_you_mean
from sim.scenario.levers import path_problem
from sim.scenario.limits import MAX_NESTING, show
from sim.scenario.schema import RawTable

#: what ``overrides`` may be, as the API documents it
OVERRIDES_FORM = 'a mapping {"key.path": value} or a list of "key.path=value" strings'


def parse_value(text: str) -> Any:
    """A ``--set`` value: any TOML value (4, 0.5, true, "x", [..], {..}); otherwise the text itself."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):  # ValueError: an integer of > 4300 digits
        return text


def toml_value(value: Any, where: str, file: str, depth: int = 0) -> Any:
    """``value`` as TOML data: numpy scalars and arrays become Python numbers and lists, tuples lists, other
    integral and real numbers int and float.  Anything else (a set, an object, a table nested more than
    :data:`MAX_NESTING` deep) is a :class:`ScenarioError` at ``where``."""
    if depth > MAX_NESTING:
        raise ScenarioError([Problem(file, where, f"nested more than {MAX_NESTING} tables or lists deep")])
    if value is None:
        raise ScenarioError([Problem(file, where, "None is not a scenario value (TOML has no null)")])
    if isinstance(value, str):
        return str(value)  # numpy's str_ too
    if isinstance(value, (bool, dt.date, dt.time)):
        return value
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # a numpy scalar or array
        return toml_value(value.tolist(), where, file, depth)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ScenarioError([Problem(file, where, f"a table's keys must be strings, got {show(k)}")])
            out[k] = toml_value(v, f"{where}.{k}", file, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [toml_value(v, where, file, depth + 1) for v in value]
    raise ScenarioError(
        [
            Problem(
                file,
                where,
                f"a {type(value).__name__} is not a scenario value; give a number, string, boolean, date, "
                "list or table",
            )
        ]
    )


def parse_overrides(overrides: Mapping[str, Any] | Iterable[str] | str | None, file: str) -> dict[str, Any]:
    """Overrides as a dict of dotted path to value, from a mapping or ``"path=value"`` strings (``--set``).

    Raises:
        ScenarioError: ``overrides`` is not one of those forms, a key path is not a string of dotted keys
            or could have no effect, a path is given twice, or a value is not TOML data.
    """
    if overrides is None:
        return {}
    if isinstance(overrides, str):  # one "key.path=value"; iterating it would give its characters
        overrides = [overrides]
    pairs: dict[str, Any] = {}
    if isinstance(overrides, Mapping):
        items = list(overrides.items())
    else:
        try:
            texts = list(overrides)
        except TypeError:
            raise ScenarioError(
                [Problem(file, "overrides", f"must be {OVERRIDES_FORM}, got {type(overrides).__name__}")]
            ) from None
        items = []
        for item in texts:
            if not isinstance(item, str):
                raise ScenarioError([Problem(file, "--set", f'{show(item)} is not a "key.path=value" string')])
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ScenarioError([Problem(file, "--set", f"{show(item)} is not key.path=value")])
            items.append((key.strip(), parse_value(value.strip())))
    for key, value in items:
        where = f"--set {key}" if isinstance(key, str) else "--set"
        if (why := path_problem(key)) is not None:
            raise ScenarioError([Problem(file, where, why)])
        if key in pairs:
            raise ScenarioError([Problem(file, where, f"{key} is given twice: give each key path once")])
        pairs[key] = toml_value(value, where, file)
    return pairs


def apply_overrides(
    raw: RawTable, overrides: Mapping[str, Any] | Iterable[str], file: str, skip_missing: bool = False
) -> RawTable:
    """A copy of ``raw`` with dotted-path overrides set.

    ``overrides`` is a mapping of path to value, or ``"path=value"`` strings as
    given to ``--set``.  The table holding the last key must exist (or, with
    ``skip_missing``, the override is left out).
    """
    overrides = parse_overrides(overrides, file)
    out = copy.deepcopy(raw)
    for dotted, value in overrides.items():
        keys = dotted.split(".")
        node = out
        for depth, k in enumerate(keys[:-1]):
            nxt = node.get(k) if isinstance(node, dict) else None
            if not isinstance(nxt, dict):
                if skip_missing:
                    break
                where = ".".join(keys[: depth + 1])
                choices = [c for c in node if c != k and isinstance(node[c], dict)] if k not in node else ()
                raise ScenarioError(
                    [
                        Problem(
                            file,
                            f"--set {dotted}",
                            f"{where!r} is not a table in this scenario{did_you_mean(k, choices)}",
                        )
                    ]
                )
            node = nxt
        else:
            node[keys[-1]] = copy.deepcopy(value)
    return out
