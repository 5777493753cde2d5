"""Dependency graphs of stages: finding a cycle, and a topological order.

Both walk the graph with an explicit stack, so a chain of thousands of stages needs no deep recursion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle in a dependency graph as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in graph:
        if root in state:
            continue
        path: list[str] = [root]
        state[root] = 1
        todo = [iter(graph.get(root, ()))]
        while todo:
            dep = next(todo[-1], None)
            if dep is None:  # every dependency of path[-1] done
                todo.pop()
                state[path.pop()] = 2
            elif state.get(dep) == 1:
                return path[path.index(dep) :] + [dep]
            elif dep not in state:
                state[dep] = 1
                path.append(dep)
                todo.append(iter(graph.get(dep, ())))
    return None


def topological_order(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Stage ids ordered so that each comes after everything it depends on (stable)."""
    order: list[str] = []
    done: set[str] = set()
    for root in graph:
        if root in done:
            continue
        done.add(root)
        path = [root]
        todo = [iter(graph[root])]
        while todo:
            dep = next(todo[-1], None)
            if dep is None:
                todo.pop()
                order.append(path.pop())
            elif dep not in done:
                done.add(dep)
                path.append(dep)
                todo.append(iter(graph[dep]))
    return order
