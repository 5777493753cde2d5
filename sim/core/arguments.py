"""Checks of the public Python API's arguments, made before anything runs.

A wrong argument raises :class:`ValueError` whose message names the function and the argument, says what was
given and what is allowed, e.g. ``sim.attribute: n must be a whole number >= 1 (replications), got 0``.  A
bool is not taken for a number, nor a float with a whole value for a whole number: ``n=2.0`` or ``seed=True``
is a mistake to point out, not to guess at.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def bad(where: str, name: str, allowed: str, value: object) -> ValueError:
    """The error for argument ``name`` of ``where``: ``'{where}: {name} must be {allowed}, got {value!r}'``."""
    return ValueError(f"{where}: {name} must be {allowed}, got {_shown(value)}")


def whole(where: str, name: str, value: object, minimum: int, what: str = "") -> int:
    """``value`` as an int, if it is a whole number (an int, or a NumPy integer) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise bad(where, name, f"a whole number >= {minimum}{f' ({what})' if what else ''}", value)
    return int(value)


def seed_or_none(where: str, value: object) -> int | None:
    """A root seed: None (the scenario's own) or a whole number >= 0."""
    if value is None:
        return None
    return whole(where, "seed", value, 0, "or None for the scenario's seed")


def flag(where: str, name: str, value: object) -> bool:
    """``value`` if it is True or False."""
    if not isinstance(value, bool):
        raise bad(where, name, "True or False", value)
    return value


def callable_or_none(where: str, name: str, value: object, what: str) -> Callable[..., Any] | None:
    """``value`` if it is None or callable."""
    if value is not None and not callable(value):
        raise bad(where, name, f"None or {what}", value)
    return value


def executor_or_none(where: str, value: object) -> Any:
    """``value`` if it is None or has ``submit`` (a ``concurrent.futures`` executor, a Dask client's executor)."""
    if value is not None and not callable(getattr(value, "submit", None)):
        raise bad(where, "executor", "None or a concurrent.futures executor (with a submit method)", value)
    return value


def sequence(where: str, name: str, value: object, what: str) -> list[Any]:
    """``value`` as a list, if it is a non-empty list or tuple (a string is refused: it would be read letter
    by letter; so is a set, whose order is not defined)."""
    if not isinstance(value, (list, tuple)) or not value:
        raise bad(where, name, f"a non-empty list or tuple of {what}", value)
    return list(value)


def names(where: str, name: str, value: object, allowed: Iterable[str], one: str) -> tuple[str, ...]:
    """A non-empty list or tuple of distinct names, each one of ``allowed`` (``one`` says what a name is)."""
    choices = list(allowed)
    items = sequence(where, name, value, f"{one}s")
    for item in items:
        if item not in choices:
            raise ValueError(f"{where}: {name}: unknown {one} {_shown(item)}; allowed: {', '.join(choices)}")
    twice = [item for i, item in enumerate(items) if item in items[:i]]
    if twice:
        raise ValueError(f"{where}: {name}: {_shown(twice[0])} is given twice; give each {one} once")
    return tuple(items)
