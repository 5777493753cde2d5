"""Scenario text fragments that ``tests/test_plain_chain.py`` still imports from ``test_reform_primitives.py``.

That file goes with the engine's callback path, and this module with it; new tests use
:mod:`helpers.scenarios` instead.
"""

from __future__ import annotations

from textwrap import dedent

HEAD = """
[scenario]
name = "primitives"
start_date = 2024-01-01
end_date = 2024-12-31
"""

MILESTONES = """
[milestones]
construction_permit = "{0}"
construction_start = "{0}"
completion = "{0}"
production = "{0}"
"""


def fixed(value, unit="workday") -> str:
    return f'{{dist = "fixed", value = {value}, unit = "{unit}"}}'


def named(pid: str, cls: str, signed: str, attributes: str = "") -> str:
    extra = f"attributes = {{{attributes}}}\n" if attributes else ""
    return f'[[arrivals.projects]]\nid = "{pid}"\nclass = "{cls}"\nsigned = {signed}\n{extra}'


def write(tmp_path, text: str, name: str = "s.toml"):
    path = tmp_path / name
    path.write_text(dedent(text), encoding="utf-8")
    return path
