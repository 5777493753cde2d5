"""Read-only tables, so that a :class:`~sim.scenario.scenario.Scenario` cannot be changed after validation.

:func:`freeze` turns TOML data (dicts, lists, scalars) into a deeply read-only copy: dicts become
:class:`FrozenDict` (still a ``dict`` to every reader, so ``isinstance(v, dict)`` holds) and lists become
tuples. :func:`thaw` gives back a plain, mutable copy (TOML data holds no tuples, so it is the exact inverse).
"""

from __future__ import annotations

from typing import Any, NoReturn


class FrozenDict(dict[str, Any]):
    """A dict that refuses every change (``d[k] = v``, ``del``, ``update``, ``pop``...)."""

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("a scenario's tables are read-only: use with_overrides() or with_levers() for a changed copy")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[Any, ...]:  # pickled as a whole, not key by key (which __setitem__ refuses)
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict:
        return self  # immutable all the way down: a copy is itself


def freeze(value: Any) -> Any:
    """A deeply read-only copy of TOML data: dicts as :class:`FrozenDict`, lists (and tuples) as tuples."""
    if isinstance(value, dict):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """A plain, mutable copy of data made by :func:`freeze`: dicts and lists again."""
    if isinstance(value, dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value
