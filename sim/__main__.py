"""``python -m sim`` is the ``approval-sim`` command."""
from .cli import main

raise SystemExit(main())
