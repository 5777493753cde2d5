"""Checks across sections of a scenario: references, cycles, duplicates.

Field-level checks happen while reading (:mod:`sim.scenario`); what needs the
whole scenario (an ``after`` naming a stage, a cycle, an agency with work but
no staff) is checked here, with the key path of the offending entry.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import did_you_mean
from .figures import figure_names
from .schema import Reader

if TYPE_CHECKING:
    from .scenario import Scenario

BUILTIN_ATTRIBUTES = ("class", "investment_cny")


def known_attributes(sc: "Scenario") -> set[str]:
    """Project attribute names that conditions may read."""
    names = set(BUILTIN_ATTRIBUTES)
    for c in sc.classes:
        names.update(k for k, _ in c.attributes)
    for p in sc.projects:
        names.update(k for k, _ in p.attributes)
    return names


def check_references(sc: "Scenario", r: Reader) -> None:
    """Record a problem in ``r`` for every broken reference in ``sc``."""
    agencies, stages, classes = sc.agency_by_id, sc.stage_by_id, sc.class_by_id
    shutdowns = {w.id for w in sc.shutdowns}
    attrs = known_attributes(sc)

    def ref(path: str, name: str, pool, what: str) -> None:
        if name and name not in pool:
            allowed = ", ".join(sorted(pool)) or "none defined"
            r.error(path, f"unknown {what} {name!r}{did_you_mean(name, pool)}; defined: {allowed}")

    def cond(path: str, c) -> None:
        if c is not None:
            for name in c.attributes:
                ref(f"{path}.{name}", name, attrs, "project attribute")

    for a in sc.agencies:
        cond(f"agencies.{a.id}.priority", a.priority)
    for w in sc.shutdowns:
        cond(f"shutdowns.{w.id}.exempt", w.exempt)
    for s in sc.stages:
        path = f"stages.{s.id}"
        if s.agency is not None:
            ref(f"{path}.agency", s.agency, agencies, "agency")
        for i, dep in enumerate(s.after):
            ref(f"{path}.after[{i}]", dep, stages, "stage")
            if dep == s.id:
                r.error(f"{path}.after[{i}]", "a stage cannot come after itself")
        for i, w in enumerate(s.shutdowns):
            ref(f"{path}.shutdowns[{i}]", w, shutdowns, "shutdown window")
        cond(f"{path}.when", s.when)
        if s.feedback is not None and s.feedback.to:
            ref(f"{path}.feedback.to", s.feedback.to, stages, "stage")
            back = stages.get(s.feedback.to)
            if back is not None and (back.agency is None or back.effort is None):
                r.error(f"{path}.feedback.to", f"stage {back.id!r} has no agency effort to go back to")
        if not any((s.prepare, s.effort, s.lag, s.build, s.agency)):
            r.error(path, "does nothing: give at least one of prepare, agency/effort, lag or build")
    if not sc.stages:
        r.error("stages", "at least one stage is needed")
    for key, m in sc.milestones:
        ref(f"milestones.{key}" if m.short else f"milestones.{key}.stage", m.stage, stages, "stage")

    seen: dict[str, int] = {}
    for i, p in enumerate(sc.projects):
        if p.id in seen:
            r.error(f"arrivals.projects[{i}].id", f"duplicate project id {p.id!r} (first at arrivals.projects[{seen[p.id]}])")
        seen.setdefault(p.id, i)
        ref(f"arrivals.projects[{i}].class", p.cls, classes, "project class")
    if sc.stream is not None:
        for name, _ in sc.stream.classes:
            ref(f"arrivals.stream.classes.{name}", name, classes, "project class")
    if not sc.projects and sc.stream is None:
        r.error("arrivals", "no projects: give [[arrivals.projects]] and/or [arrivals.stream]")

    for key in ("regional", "prereview", "commitment"):
        for s in sc.stages:
            opt = getattr(s, key)
            if opt is not None:
                ref(f"stages.{s.id}.{key}.attribute", opt.attribute, attrs, "project attribute")
    if sc.agents is not None:
        cond("agents.when", sc.agents.when)
    figures = figure_names(stages, classes, agencies)
    for t in sc.targets:
        if t.figure:
            ref(f"targets.{t.id}.figure", t.figure, figures, "figure")

    cycle = find_cycle({s.id: [d for d in s.after if d in stages] for s in sc.stages})
    if cycle:
        r.error(f"stages.{cycle[0]}.after", f"the stages' after form a cycle: {' -> '.join(cycle)}")


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle in a dependency graph as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in graph.get(node, ()):
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
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
