"""Dependency graphs of stages: finding a cycle, and a topological order."""

from __future__ import annotations


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle in a dependency graph as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in graph.get(node, ()):
            if state.get(dep) == 1:
                return stack[stack.index(dep) :] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for n in graph:
        if n not in state and (found := visit(n)):
            return found
    return None


def topological_order(graph: dict[str, tuple[str, ...]]) -> list[str]:
    """Stage ids ordered so that each comes after everything it depends on (stable)."""
    order: list[str] = []
    done: set[str] = set()

    def visit(n: str) -> None:
        if n in done:
            return
        done.add(n)
        for d in graph[n]:
            visit(d)
        order.append(n)

    for n in graph:
        visit(n)
    return order
