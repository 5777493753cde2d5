"""The ranges every number of a scenario must lie in, and the one id rule.

Validation holds every value to a range the engine can compute with, so that a scenario that loads also
runs: no number beyond a 64-bit float, no duration whose draws run past a century, no weight, scale or
count that overflows when the engine multiplies or sums it. Each bound names the key path and the allowed
range in its message (see :class:`sim.scenario.schema.Reader` and :func:`sim.scenario.distributions.parse_dist`);
``docs/scenario-format.md`` lists them.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from sim.core.units import CALENDAR_DAYS

#: the longest horizon (in calendar days): 100 years
MAX_SPAN_DAYS = 100 * 366
#: the longest duration (in calendar days): 1000 years, ten horizons; a longer one is surely a mistake of unit
MAX_DURATION_DAYS = 1000 * 366
#: the largest 99.9th percentile of a duration distribution, per time unit (a working day counts as at least a
#: calendar day, a working hour as at least 1/24 of one)
MAX_DURATION = {
    "workhour": MAX_DURATION_DAYS * 24.0,
    "workday": float(MAX_DURATION_DAYS),
    **{u: MAX_DURATION_DAYS / d for u, d in CALENDAR_DAYS.items()},
}
#: the largest amount of money (an investment, a fee, a cost): 10^15 yuan, several times China's GDP
MAX_CNY = 1e15
#: the largest value of a distribution per value unit
MAX_VALUE = {"cny": MAX_CNY}
#: lognormal: the largest ratio p90 / median (a wider one draws values beyond any float)
MAX_LOGNORMAL_RATIO = 1000.0
#: the most staff of an agency, agents in the pool and files decided at one sitting
MAX_STAFF = 100_000
#: the most working days between sittings, or before the first one
MAX_WORKDAYS = MAX_SPAN_DAYS
#: the most defective submissions before a project is capped
MAX_ROUNDS = 100
#: the largest class weight of a stream (weights are relative: any finite sum is fine, this keeps it finite)
MAX_WEIGHT = 1e12
#: the largest factor of a construction or preparation scale
MAX_SCALE = 100.0
#: the largest feedback probability: a file goes back at most 100 times on average
MAX_FEEDBACK_P = 0.99
#: how deep tables and lists may nest in a scenario (the deepest the format uses is about 6)
MAX_NESTING = 32
#: how many files an ``extends`` chain may hold
MAX_EXTENDS = 32
#: the largest scenario file read
MAX_FILE_BYTES = 10 * 1024 * 1024

_FLOAT_MAX = sys.float_info.max


def finite_number(v: object) -> bool:
    """True for an int or float (not a bool) that is a finite 64-bit float: ``10**400`` and ``nan`` are not."""
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return -_FLOAT_MAX <= v <= _FLOAT_MAX
    return isinstance(v, float) and math.isfinite(v)


def show(v: Any, width: int = 60) -> str:
    """``repr(v)`` for a message, cut to ``width`` characters; a huge integer is described, not written out
    (Python refuses to write one of more than 4300 digits)."""
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**21:
        digits = int(abs(v).bit_length() * math.log10(2)) + 1
        return f"{'a negative ' if v < 0 else 'an '}integer of about {digits} digits"
    try:
        text = repr(v)
    except (ValueError, RecursionError):  # a huge integer inside a list, a list holding itself...
        text = f"<{type(v).__name__}>"
    return text if len(text) <= width else text[: width - 3] + "..."


def id_problem(key: object) -> str | None:
    """What is wrong with ``key`` as an id, or None if it is a valid id.

    An id starts with a letter and holds only letters, the digits 0-9, ``_`` and ``-``: it can then be a
    key path segment (no ``.``), a CSV cell (no leading ``=``, ``+``, ``-`` or ``@`` that a spreadsheet would
    run as a formula) and part of a file name.
    """
    if not isinstance(key, str) or not key:
        return "an id must be a non-empty string"
    if not key[0].isalpha():
        return f"an id must start with a letter, got {show(key)}"
    bad = sorted({c for c in key if not (c.isalpha() or c in "0123456789_-")})
    if bad:
        shown = ", ".join(repr(c) for c in bad[:5])
        rule = "an id must start with a letter and hold only letters, digits, '_' or '-'"
        return f"{rule}, got {show(key)} (with {shown})"
    return None
