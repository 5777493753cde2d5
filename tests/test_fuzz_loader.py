"""Fuzzing the loader: a randomly damaged valid scenario either loads or raises ScenarioError.

The valid scenarios ``tests/data/valid_small.toml`` and ``scenarios/pre_reform.toml`` are parsed, damaged
by one to three random mutations, written back as TOML with the tests' small writer
(:func:`helpers.toml_text.toml_inline`) and loaded with :func:`sim.scenario.loading.load` (with the file's
own levers, or with every lever on).  Loading must either succeed or raise
:class:`~sim.core.errors.ScenarioError` whose problems all name the file; any other exception (a
``KeyError``, ``TypeError``, a ``ValueError`` that is not a ScenarioError...) fails.

Mutations of the parsed table:

- delete a random key (or list item), at any depth;
- replace a random value by a value of another type: an integer, a float, a negative number, a string, a
  boolean, a list, a table, a date, a date-time, a huge number (up to the integer 10**400, beyond any float),
  nested lists or tables, ``nan`` or ``inf``;
- rename a random key (a typo of it, or a random word);
- replace a random value by an extreme value of its own type (0, -1, 2**63 - 1, 10**400, 1e300, the largest
  float, ``nan``, ``inf``,
  0001-01-01, 9999-12-31, an empty string, list or table...);
- duplicate an entry of an id table (``agencies``, ``classes``, ``stages``, ``levers``, ``targets``,
  ``shutdowns``) under a new id, or a named project (``[[arrivals.projects]]``, keeping its id).

A second, cheaper test damages the *text* instead (a line deleted, duplicated or cut short), which also
reaches TOML syntax errors.

Budget: ``test_mutated_scenario_loads_or_is_refused`` runs ``max_examples=300`` (about 5 ms a load),
``test_damaged_text_loads_or_is_refused`` ``max_examples=100``, both with ``deadline=None``; the whole file
takes about 5-10 s, well under 30 s.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sim.core.errors import ScenarioError
from sim.scenario.loading import load

from helpers.scenarios import SECTIONED_TABLES
from helpers.toml_text import toml_inline, toml_sections

ROOT = Path(__file__).resolve().parent.parent
BASES = {
    name: ROOT / rel
    for name, rel in (("valid_small", "tests/data/valid_small.toml"), ("pre_reform", "scenarios/pre_reform.toml"))
}
TABLES = {name: tomllib.loads(path.read_text(encoding="utf-8")) for name, path in BASES.items()}
TEXTS = {name: path.read_text(encoding="utf-8") for name, path in BASES.items()}
ID_TABLES = ("agencies", "classes", "stages", "levers", "targets", "shutdowns")
#: no "explain" phase: it is slow on a failure, and the failing mutations are in the message anyway
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]


@pytest.mark.parametrize("name", BASES)
def test_writer_round_trips_the_valid_scenarios(name, tmp_path):
    text = toml_inline(TABLES[name])
    assert tomllib.loads(text) == TABLES[name]
    # and as the scenario builder (helpers.scenarios) writes it: [stages.a], [[arrivals.projects]], ...
    assert tomllib.loads(toml_sections(TABLES[name], SECTIONED_TABLES)) == TABLES[name]
    path = tmp_path / "copy.toml"
    path.write_text(text, encoding="utf-8")
    assert replace(load(path), source="") == replace(load(BASES[name]), source="")


# -- mutations ----------------------------------------------------------------------------------------


def _draw_path(data, table: dict) -> tuple:
    """A random path (dict keys and list indices) to a value in ``table``.

    A random walk from the top that stops at each level with probability 1/3: shallow keys
    (``levers``, ``scenario.start_date``) are drawn about as often as the hundreds of deep ones.
    """
    node, path = table, ()
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        path += (data.draw(st.sampled_from(keys)),)
        node = node[path[-1]]
        if not isinstance(node, (dict, list)) or not node or data.draw(st.integers(0, 2)) == 0:
            return path


def _parent(root, path):
    node = root
    for k in path[:-1]:
        node = node[k]
    return node


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-0123456789.", min_size=1, max_size=12)
_SCALARS = st.one_of(
    st.integers(-10, 10_000), st.floats(-1e6, 1e6, allow_nan=False), st.text(max_size=8), st.booleans()
)
_VALUES = {
    "int": st.integers(-(10**6), 10**6),
    "float": st.floats(allow_nan=False, allow_infinity=False),
    "negative": st.one_of(st.integers(max_value=-1), st.floats(max_value=-1e-9, allow_infinity=False)),
    "str": st.one_of(st.text(max_size=12), _WORD, st.sampled_from(["", "none", "workday", "2024-03-01", "09:00"])),
    "bool": st.booleans(),
    "list": st.lists(_SCALARS, max_size=4),
    "table": st.dictionaries(_WORD, _SCALARS, max_size=3),
    "date": st.one_of(st.dates(), st.sampled_from([dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2024, 2, 29)])),
    "datetime": st.datetimes(),
    "huge": st.sampled_from([10**18, 2**63 - 1, -(2**63), 10**30, 10**400, -(10**400), 1e300, -1e300, 5e-324]),
    "deep": st.sampled_from([[[[[1]]]], {"a": {"b": {"c": {"d": 1}}}}]),
    "nan": st.just(math.nan),
    "inf": st.sampled_from([math.inf, -math.inf]),
}


def _kind(v) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, dt.datetime):
        return "datetime"
    return {str: "str", list: "list", dict: "table", dt.date: "date"}.get(type(v), "other")


def _typo(data, word: str) -> str:
    if not word:
        return data.draw(_WORD)
    i = data.draw(st.integers(0, len(word) - 1))
    how = data.draw(st.sampled_from(["drop", "double", "swap", "upper", "random"]))
    if how == "drop" and len(word) > 1:
        return word[:i] + word[i + 1 :]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    if how == "swap" and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if how == "upper":
        return word.upper()
    return data.draw(_WORD)


#: extreme values of each type, for the "extreme" mutation (same type, edge of its range)
_EXTREMES = {
    "int": [0, -1, 2**63 - 1, 10**30, 10**400],
    "float": [0.0, -0.0, 5e-324, 1e300, 1.5e308, sys.float_info.max, -1e300, math.nan, math.inf],
    "str": ["", " ", "x" * 10_000, "\u5c0f"],
    "date": [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2024, 2, 29)],
    "datetime": [dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59)],
    "list": [[]],
    "table": [{}],
    "bool": [True, False],
}


def mutate(data, table: dict) -> str:
    """Apply one random mutation to ``table`` in place; return a description of it."""
    op = data.draw(st.sampled_from(["delete", "replace", "rename", "duplicate", "extreme"]))
    if op == "duplicate":
        choices = [(t, k) for t in ID_TABLES if isinstance(table.get(t), dict) for k in table[t]]
        projects = table.get("arrivals", {}).get("projects") if isinstance(table.get("arrivals"), dict) else None
        if isinstance(projects, list) and projects:
            choices.append(("arrivals.projects", None))
        if choices:
            where, key = data.draw(st.sampled_from(choices))
            if key is None:
                projects.append(copy.deepcopy(data.draw(st.sampled_from(projects))))
                return "duplicate a named project"
            new = data.draw(st.one_of(_WORD, st.just(key + "_copy")))
            table[where][new] = copy.deepcopy(table[where][key])
            return f"duplicate {where}.{key} as {new!r}"
        op = "replace"
    path = _draw_path(data, table)
    parent, last = _parent(table, path), path[-1]
    if op == "delete":
        del parent[last]
        return f"delete {path}"
    if op == "rename" and isinstance(parent, dict):
        new = _typo(data, last)
        value = parent.pop(last)
        parent[new] = value
        return f"rename {path} to {new!r}"
    if op == "extreme" and _kind(parent[last]) in _EXTREMES:
        parent[last] = data.draw(st.sampled_from(_EXTREMES[_kind(parent[last])]))
        return f"replace {path} by {parent[last]!r}"
    kinds = [k for k in _VALUES if k != _kind(parent[last])]
    kind = data.draw(st.sampled_from(kinds))
    parent[last] = data.draw(_VALUES[kind])
    return f"replace {path} by {kind} {parent[last]!r}"


def _check(path: Path, levers) -> None:
    try:
        load(path, levers=levers)
    except ScenarioError as e:
        assert e.problems, "a ScenarioError must hold at least one problem"
        for p in e.problems:
            assert isinstance(p.path, str) and p.message, p
            assert Path(p.file).name == path.name, p  # the fuzzed file has no extends: every problem names it


def _load_or_refuse(path: Path, text: str, levers, note: str) -> None:
    """Write ``text`` to ``path`` and check it as :func:`_check` does; any other exception than a ScenarioError is
    a bug of the loader, reported with ``note`` (how the text was damaged)."""
    path.write_text(text, encoding="utf-8")
    try:
        _check(path, levers)
    except AssertionError:
        raise
    except Exception as e:  # anything but a ScenarioError is a bug of the loader
        raise AssertionError(f"{type(e).__name__}: {e}\nafter: {note}") from e


@settings(max_examples=300, deadline=None, phases=PHASES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), base=st.sampled_from(sorted(BASES)), levers=st.sampled_from([None, "all"]))
def test_mutated_scenario_loads_or_is_refused(tmp_path, data, base, levers):
    table = copy.deepcopy(TABLES[base])
    done = [mutate(data, table) for _ in range(data.draw(st.integers(1, 3), label="mutations"))]
    text = toml_inline(table)
    note = f"{base} with levers {levers}: " + "; ".join(done)
    _load_or_refuse(tmp_path / "fuzzed.toml", text, levers, note)


@settings(max_examples=100, deadline=None, phases=PHASES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), base=st.sampled_from(sorted(BASES)))
def test_damaged_text_loads_or_is_refused(tmp_path, data, base):
    lines = TEXTS[base].splitlines(keepends=True)
    i = data.draw(st.integers(0, len(lines) - 1), label="line")
    how = data.draw(st.sampled_from(["delete", "duplicate", "cut"]), label="how")
    if how == "delete":
        del lines[i]
    elif how == "duplicate":
        lines.insert(i, lines[i])
    else:
        lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])), label="at")] + "\n"
    text = "".join(lines)
    _load_or_refuse(tmp_path / "damaged.toml", text, None, f"{how} line {i + 1} of {base}")
