"""The package's layering, read from the import graph of ``sim/``.

Each sub-package is a layer; a module may import its own layer and the layers below, never one above, and
the modules import one another without cycles.  Every import counts: module level, inside functions, and
under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "sim"
#: bottom to top; ``sim`` itself (the public API), ``sim.cli`` and ``sim.__main__`` form the top
LAYERS = ("core", "eventlog", "scenario", "fitting", "engine", "runs", "analysis", "present")
TOP = len(LAYERS)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else TOP


def imports(path: Path) -> set[str]:
    """Every ``sim`` module that ``path`` imports, wherever the import statement stands."""
    name = module_name(path)
    return imported(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")


def imported(source: str, name: str, is_package: bool = False) -> set[str]:
    """Every ``sim`` module that the module ``name`` with this ``source`` imports."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "sim")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.split(".")[0] != "sim":
                continue
            for a in node.names:  # ``from sim.x import y`` may import module sim.x.y
                sub = f"{base}.{a.name}"
                found.add(sub if sub in MODULES else base)
    return found - {name}


MODULES = {module_name(p): p for p in ROOT.rglob("*.py")}
GRAPH = {m: imports(p) for m, p in MODULES.items()}


def test_every_module_is_in_a_layer_folder() -> None:
    loose = sorted(
        m
        for m in MODULES
        if m.count(".") == 1 and m.split(".")[1] not in LAYERS and m not in ("sim.cli", "sim.__main__")
    )
    assert loose == [], f"modules outside a layer's folder: {loose}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_only_downward(module: str) -> None:
    up = sorted(t for t in GRAPH[module] if layer(t) > layer(module))
    assert up == [], f"{module} (layer {layer(module)}) imports from a layer above: {up}"


def test_no_import_cycles() -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for t in sorted(GRAPH.get(m, ())):
            if t not in MODULES:
                continue
            if state.get(t) == 1:
                cycle = path[path.index(t) :] + [t]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if t not in state:
                visit(t)
        path.pop()
        state[m] = 2

    for m in sorted(MODULES):
        if m not in state:
            visit(m)


def test_the_checker_sees_hidden_imports() -> None:
    """Imports inside functions, under TYPE_CHECKING and relative ones count (the tests above can fail)."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from sim.analysis.compare import Comparison\n"
        "def f():\n    from ..runs import runner\n    import sim.present.plots\n"
        "from .desk import Desk\n"
    )
    found = imported(source, "sim.engine.probe")
    assert found == {"sim.analysis.compare", "sim.runs.runner", "sim.present.plots", "sim.engine.desk"}
    assert sorted(t for t in found if layer(t) > layer("sim.engine.probe")) == [
        "sim.analysis.compare",
        "sim.present.plots",
        "sim.runs.runner",
    ]


def test_the_workers_code_fingerprint_covers_every_layer() -> None:
    """Dask workers must run the same code: the fingerprint hashes every module of the package, not one layer's."""
    from sim.runs.executors import source_files

    assert {p.resolve() for p in source_files()} == {p.resolve() for p in MODULES.values()}
