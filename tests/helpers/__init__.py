"""Helpers shared by the test modules (not tests themselves: pytest collects only ``test_*.py``).

* :mod:`helpers.scenarios` -- build scenario TOML from a few keyword arguments;
* :mod:`helpers.traces` -- run one replication of a tiny scenario and read its clock times as dates;
* :mod:`helpers.cli` -- run ``python -m sim ...`` in a subprocess.

``tests/conftest.py`` adds the fixtures that need pytest's ``tmp_path`` (``write_scenario``).
The test modules import these as ``from helpers.scenarios import ...``: pytest puts ``tests/`` on
``sys.path`` because it holds ``conftest.py`` and no ``__init__.py``.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
"""The repository's root folder."""
