"""``python -m sim`` is the ``approval-sim`` command."""

from .cli import entry_point

entry_point()
