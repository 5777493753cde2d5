"""Helpers shared by the test modules (not tests themselves: pytest collects only ``test_*.py``).

* :mod:`helpers.scenarios` -- the scenario builder: TOML from a few keyword arguments;
* :mod:`helpers.shared_scenarios` -- the few scenarios that more than one test module runs;
* :mod:`helpers.traces` -- run replication 0 of a tiny scenario and read its clock times as dates;
* :mod:`helpers.cli` -- run ``python -m sim ...`` in a subprocess;
* :mod:`helpers.queueing` -- queueing theory (Erlang C, Jackson networks) from the textbook formulas;
* :mod:`helpers.toml_text` -- the small TOML writer behind the builder and the loader fuzzing;
* :mod:`helpers.markdown` -- a Markdown page's prose and the anchors of its headings;

``tests/conftest.py`` adds the fixtures that need pytest's own (``write_scenario``).  The test
modules import these as ``from helpers.scenarios import ...``: under pytest, ``tests/`` is on the
import path because it holds ``conftest.py`` and no ``__init__.py``.  Test modules never import
each other, nor anything from ``benchmarks/``.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
"""The repository's root folder."""
