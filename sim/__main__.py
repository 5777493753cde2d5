"""``python -m sim`` is the ``approval-sim`` command.

Neither ``sim`` nor ``sim.cli`` imports anything heavy when loaded, so :func:`sim.cli.entry_point` installs
its signal handlers before NumPy, SimPy or matplotlib are imported.
"""

from .cli import entry_point

entry_point()
