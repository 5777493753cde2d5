"""Reform levers: named patches on a scenario's data.

A lever is declared under ``[levers.<name>]``::

    [levers.blueprint]
    name = "蓝图管控 Blueprint control"
    skip = ["planning_coordination"]                       # stages that no longer exist
    after = { land_grant = ["land_prereview"] }            # rewired dependencies
    scale = { "stages.site_selection.effort" = 0.3 }       # multiply a number or a distribution
    set = { "stages.site_selection.defect.p" = 0.05 }      # replace a value (any TOML value)
    one_off_cny = 0                                        # a one-off cost of the lever (e.g. a zone study)

Applying levers is a pure function of the raw scenario table
(:func:`apply_levers`): ``skip`` sets ``stages.<id>.enabled = false``,
``after`` sets ``stages.<id>.after``; then every ``set`` is applied, then every
``scale`` (scales of one path by several levers multiply).  Two levers that
set one path to different values are an error naming both.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.core.errors import Problem, ScenarioError, did_you_mean
from sim.scenario.distributions import KINDS
from sim.scenario.frozen import thaw
from sim.scenario.limits import MAX_CNY, finite_number, id_problem, show
from sim.scenario.schema import RawTable

LEVER_KEYS = ("name", "description", "source", "skip", "after", "scale", "set", "one_off_cny")
#: the largest factor of a lever's ``scale`` (what it scales is then validated with its own bounds)
MAX_LEVER_FACTOR = 1e6


def path_problem(path: object) -> str | None:
    """What is wrong with ``path`` as a dotted key path that a lever or an override may change, or None.

    A path is non-empty keys joined by dots.  It may not reach ``extends`` (resolved when the file is
    read), ``scenario.levers`` of a lever (the levers are chosen before any is applied) or what a lever
    itself does (``levers.<id>.skip``, ``.after``, ``.set``, ``.scale``: the levers are applied before the
    overrides, from the file's own tables): a change there would have no effect.
    """
    if not isinstance(path, str):
        return f'a key path must be a string such as "agencies.planning.staff", got {show(path)}'
    keys = path.split(".")
    if not all(k.strip() for k in keys):
        return f'{path!r} is not a key path: give keys joined by dots, such as "agencies.planning.staff"'
    if keys[0] == "extends":
        return "extends cannot be changed here: it is resolved when the file is read; edit the file instead"
    if keys[0] == "levers" and (len(keys) < 3 or keys[2] in ("skip", "after", "set", "scale")):
        return (
            f"{path} cannot be changed: the levers are applied from the file's own tables before any override; "
            "give the change itself as an override, or edit the lever in the file"
        )
    return None


@dataclass(frozen=True)
class Change:
    """One elementary change of a lever: ``op`` is "set" or "scale" on a dotted ``path``."""

    lever: str
    op: str
    path: str
    value: Any


def lever_changes(name: str, raw: Mapping[str, Any], file: str) -> list[Change]:
    """The elementary changes of lever ``name`` (its table ``raw``), validated for shape."""
    problems: list[Problem] = []
    base = f"levers.{name}"
    if not isinstance(raw, Mapping):
        raise ScenarioError([Problem(file, base, "must be a table")])
    for key in ("name", "description", "source"):
        if key in raw and not isinstance(raw[key], str):
            problems.append(Problem(file, f"{base}.{key}", f"must be a string, got {show(raw[key])}"))
    for key in raw:
        if key not in LEVER_KEYS:
            problems.append(
                Problem(
                    file,
                    f"{base}.{key}",
                    f"unknown key{did_you_mean(key, LEVER_KEYS)}; allowed: {', '.join(LEVER_KEYS)}",
                )
            )
    changes: list[Change] = []
    skip = raw.get("skip", [])
    if not isinstance(skip, (list, tuple)) or not all(isinstance(s, str) and id_problem(s) is None for s in skip):
        problems.append(Problem(file, f"{base}.skip", f"must be a list of stage ids, got {show(skip)}"))
        skip = []
    changes += [Change(name, "set", f"stages.{s}.enabled", False) for s in skip]
    for key, op in (("after", "after"), ("set", "set"), ("scale", "scale")):
        table = raw.get(key, {})
        if not isinstance(table, Mapping):
            problems.append(Problem(file, f"{base}.{key}", "must be a table of path = value"))
            continue
        for path, value in table.items():
            where = f'{base}.{key}."{path}"'
            if op == "after":
                if (why := id_problem(path)) is not None:
                    problems.append(Problem(file, where, f"must name a stage: {why}"))
                    continue
                if not isinstance(value, (list, tuple)) or not all(isinstance(s, str) for s in value):
                    problems.append(Problem(file, where, "must be a list of stage ids"))
                    continue
                changes.append(Change(name, "set", f"stages.{path}.after", list(value)))
                continue
            if (why := path_problem(path)) is not None or (why := _lever_path_problem(path)) is not None:
                problems.append(Problem(file, where, why))
                continue
            if op == "scale":
                if not finite_number(value) or not 0 <= value <= MAX_LEVER_FACTOR:
                    want = f"a number >= 0 and <= {MAX_LEVER_FACTOR:g}"
                    problems.append(Problem(file, where, f"a scale must be {want}, got {show(value)}"))
                    continue
                changes.append(Change(name, "scale", path, float(value)))
            else:
                changes.append(Change(name, "set", path, value))
    cost = raw.get("one_off_cny", 0)
    if not finite_number(cost) or not 0 <= cost <= MAX_CNY:
        want = f"a number >= 0 and <= {MAX_CNY:g}"
        problems.append(Problem(file, f"{base}.one_off_cny", f"must be {want}, got {show(cost)}"))
    if problems:
        raise ScenarioError(problems)
    return changes


def _lever_path_problem(path: str) -> str | None:
    """What a lever may not change beyond :func:`path_problem`: the choice of levers, and the levers."""
    if path == "scenario.levers" or path.startswith("levers.") or path == "levers":
        return "a lever cannot change which levers are on, or another lever: they are chosen before any is applied"
    if path == "scenario":
        return "a lever cannot replace the whole [scenario] table: set its keys one by one"
    return None


def _walk(root: RawTable, path: str) -> tuple[RawTable | None, str, str]:
    """(parent table, last key, "") for a dotted path into ``root``; (None, last key, why) if there is no such
    parent table."""
    keys = path.split(".")
    node: Any = root
    for i, k in enumerate(keys[:-1]):
        nxt = node.get(k) if isinstance(node, dict) else None
        if not isinstance(nxt, dict):
            choices = node.keys() if isinstance(node, dict) else ()
            return (
                None,
                keys[-1],
                f"{'.'.join(keys[: i + 1])!r} is not a table of the scenario{did_you_mean(k, choices)}",
            )
        node = nxt
    return node, keys[-1], ""


def _scale_value(v: object, factor: float) -> float | dict[str, Any] | None:
    """``v`` (a number or a distribution table) times ``factor``; None if it is neither."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return _times(v, factor)
    if isinstance(v, dict) and isinstance(v.get("dist"), str) and v["dist"] in KINDS:
        out = dict(v)
        for k in KINDS[v["dist"]]:
            if k == "samples" and isinstance(v.get(k), list):  # a malformed sample is left for validation to report
                out[k] = [_times(x, factor) if _number(x) else x for x in v[k]]
            elif _number(v.get(k)):
                out[k] = _times(v[k], factor)
        return out
    return None


def _number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _times(v: float, factor: float) -> float:
    """``v * factor``; an integer stays an integer when the product is whole (staff 2 scaled by 2 is 4, not 4.0), a
    number beyond a float is left as it is for validation to report."""
    if not finite_number(v):
        return v
    out = v * factor
    return int(out) if isinstance(v, int) and out.is_integer() else out


def apply_levers(raw: Mapping[str, Any], names: Iterable[str], file: str, where: str = "levers") -> RawTable:
    """A copy of the raw scenario table with the levers ``names`` applied.

    Raises:
        ScenarioError: an unknown lever, a path that does not exist, a scale of
            something that is not a number or distribution, or two levers that
            set one path to different values.
    """
    names = list(names)
    declared = raw.get("levers", {}) if isinstance(raw.get("levers", {}), dict) else {}
    problems: list[Problem] = []
    for n in names:
        if n not in declared:
            problems.append(
                Problem(
                    file,
                    where,
                    f"unknown lever {n!r}{did_you_mean(n, declared)}; declared: {', '.join(declared) or 'none'}",
                )
            )
    if problems:
        raise ScenarioError(problems)
    changes = [c for n in names for c in lever_changes(n, declared[n], file)]
    out = copy.deepcopy(dict(raw))
    setters: dict[str, Change] = {}
    for c in changes:
        if c.op != "set":
            continue
        prev = setters.get(c.path)
        if prev is not None and prev.value != c.value:
            problems.append(
                Problem(
                    file,
                    f"levers.{c.lever}",
                    f"sets {c.path} = {c.value!r}, but lever {prev.lever!r} sets it to {prev.value!r}",
                )
            )
            continue
        setters[c.path] = c
        parent, key, err = _walk(out, c.path)
        if parent is None:
            problems.append(Problem(file, f"levers.{c.lever}", f"cannot set {c.path}: {err}"))
        elif (
            c.path.startswith("stages.")
            and c.path.count(".") >= 2
            and c.path.split(".")[1] not in out.get("stages", {})
        ):
            problems.append(
                Problem(file, f"levers.{c.lever}", f"cannot set {c.path}: no stage {c.path.split('.')[1]!r}")
            )
        else:
            parent[key] = copy.deepcopy(c.value)
    for c in changes:
        if c.op != "scale":
            continue
        parent, key, err = _walk(out, c.path)
        if parent is None or key not in parent:
            problems.append(Problem(file, f"levers.{c.lever}", f"cannot scale {c.path}: {err or 'no such value'}"))
            continue
        scaled = _scale_value(parent[key], c.value)
        if scaled is None:
            problems.append(
                Problem(
                    file, f"levers.{c.lever}", f"cannot scale {c.path}: {parent[key]!r} is not a number or distribution"
                )
            )
            continue
        parent[key] = scaled
    if problems:
        raise ScenarioError(problems)
    return out


def describe_levers(raw: Mapping[str, Any], file: str) -> list[tuple[str, str, list[str]]]:
    """(lever id, its name, readable changes grouped by stage) for ``approval-sim levers``."""
    raw = thaw(raw)
    out = []
    for name, table in (raw.get("levers") or {}).items():
        lines = []
        for c in lever_changes(name, table, file):
            if c.path.startswith("stages.") and c.path.endswith(".enabled") and c.value is False:
                lines.append(f"{c.path.split('.')[1]}: skipped")
            elif c.path.startswith("stages.") and c.path.endswith(".after"):
                lines.append(f"{c.path.split('.')[1]}: after {', '.join(c.value) or 'nothing (starts at signing)'}")
            else:
                what = f"x {c.value:g}" if c.op == "scale" else f"= {_short(c.value)}"
                head, _, rest = c.path.partition(".")
                if head == "stages":
                    sid, _, field = rest.partition(".")
                    lines.append(f"{sid}: {field} {what}")
                else:
                    lines.append(f"{c.path} {what}")
        cost = table.get("one_off_cny", 0)
        if cost:
            lines.append(f"one-off cost CNY {cost:,.0f}")
        out.append((name, table.get("name", name), sorted(lines)))
    return out


def _short(v: object) -> str:
    """A compact, TOML-like rendering of a lever value for listings."""
    if isinstance(v, dict):
        if v.get("dist") in KINDS:
            params = ", ".join(
                f"{v[k]:g}" if isinstance(v.get(k), (int, float)) else str(v.get(k)) for k in KINDS[v["dist"]]
            )
            return f"{v['dist']}({params}) {v.get('unit', '')}".rstrip()
        return "{" + ", ".join(f"{k} = {_short(x)}" for k, x in v.items()) + "}"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return f"{v:g}" if isinstance(v, (int, float)) else repr(v)
