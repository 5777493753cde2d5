"""Names of scenario variants: a scenario changed by levers or overrides says so in its name.

``sim.load(path, levers=..., overrides=...)``, ``Scenario.with_levers`` and ``Scenario.with_overrides`` build a
variant of the file's scenario.  Unless the variant is given a name of its own (``scenario.name`` among the
overrides, which :meth:`~sim.scenario.scenario.Scenario.with_name` sets), its name is the file's followed by
what differs from the file, so that variants are told apart in tables, figures and reports::

    Pre-reform (LNA before 2017) [levers: blueprint, agent_service; agencies.land.staff=2]

The suffix depends only on the file and the variant's levers and overrides, so the same variant gets the same
name however it was made (``sim.load(f, levers="all")`` equals ``sim.load(f).with_levers("all")``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

#: the override keys that are not a change to the model (the name itself, and the levers, named apart)
NOT_CHANGES = ("scenario.name", "scenario.levers")


def short(value: Any) -> str:
    """A value as a ``--set`` would spell it, briefly: ``2``, ``0.05``, ``true``, ``2024-03-01``, ``{p = 0.1}``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (int, str, dt.date, dt.time)):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(short(v) for v in value) + "]"
    return str(value)


def variant_name(
    name: str,
    overrides: Mapping[str, Any],
    active: Sequence[str],
    own: Sequence[str] | None,
    declared: Sequence[str],
) -> str:
    """The name of a variant of the scenario ``name``.

    Args:
        name: the scenario's name (the file's, or one set by the ``scenario.name`` override).
        overrides: the variant's overrides (dotted key path -> value).
        active: the levers switched on in the variant.
        own: the levers the file itself switches on (None if the file's list is malformed: then the levers
            are always named).
        declared: every lever the file declares, in file order.
    """
    if "scenario.name" in overrides:
        return name
    parts = []
    if own is None or set(active) != set(own):  # the same levers in another order are the same reform
        if not active:
            parts.append("levers: none")
        elif set(active) == set(declared):
            parts.append("levers: all")
        else:
            parts.append("levers: " + ", ".join(active))
    changes = [f"{k}={short(v)}" for k, v in overrides.items() if k not in NOT_CHANGES]
    if changes:
        parts.append(", ".join(changes))
    return f"{name} [{'; '.join(parts)}]" if parts else name
