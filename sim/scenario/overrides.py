"""Dotted-path overrides (``--set agencies.planning.staff=4``) of a scenario's table.

Overrides are applied after the levers and before validation, so they can
change what a lever sets (``agents.staff``, ``stages.eia.tolerant.fail_p``)
and are validated like the file itself.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from sim.core.errors import Problem, ScenarioError, did_you_mean
from sim.scenario.schema import RawTable


def parse_value(text: str) -> Any:
    """A ``--set`` value: any TOML value (4, 0.5, true, "x", [..], {..}); otherwise the text itself."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_overrides(overrides: Mapping[str, Any] | Iterable[str], file: str) -> dict[str, Any]:
    """Overrides as a dict of dotted path to value, from a mapping or ``"path=value"`` strings (``--set``)."""
    if isinstance(overrides, Mapping):
        return dict(overrides)
    pairs = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError([Problem(file, "--set", f"{item!r} is not key.path=value")])
        pairs[key.strip()] = parse_value(value.strip())
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
            node[keys[-1]] = value
    return out
