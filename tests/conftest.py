"""Fixtures shared by every test module, and where the other shared helpers are.

Plain helpers live in the package ``tests/helpers`` (import them, e.g.
``from helpers.scenarios import scenario_toml``), because module-level scenario
constants and ``parametrize`` tables need them at import time, where fixtures
cannot reach:

* ``helpers.scenarios`` -- the scenario builder: ``scenario_toml(...)`` and the
  value helpers ``stage``, ``project``, ``project_class``, ``milestones_at``,
  ``workdays``, ``workhours``, ``days``, ``cny``, ``dist``, ``date``;
* ``helpers.traces`` -- ``simulate_one`` (replication 0 of a scenario) and
  ``stamp``/``clock``/``wd`` to compare its times with hand-counted dates;
* ``helpers.cli`` -- ``run_cli(*args)``: ``python -m sim ARGS`` in a subprocess;
* ``helpers.queueing`` -- Erlang C and Jackson networks, the truth for queueing tests;
* ``helpers.shared_scenarios`` -- scenarios more than one module runs.

What needs pytest's own fixtures is a fixture here.  A test module never imports
another test module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """``write_scenario(text, name="scenario.toml") -> Path``: the (dedented) text as a file in ``tmp_path``.

    Writing a second file of the same name replaces the first.
    """

    def write(text: str, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(dedent(text), encoding="utf-8")
        return path

    return write
