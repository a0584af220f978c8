"""The core's import graph, read from the source with ``ast`` (imports inside functions too):
it has no cycle, the formula package depends on objectives and never the reverse, and only
``optviz.ui`` imports Streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import optviz

PACKAGE = Path(optviz.__file__).parent


def core_modules(ui: bool = False) -> dict[str, Path]:
    """Every module of optviz outside optviz/ui (or, with ``ui``, inside it), by dotted
    name (a package by its own)."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if (parts[:2] == ("optviz", "ui")) == ui:
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every dotted name that an ``import`` anywhere in the module (functions included)
    makes Python run.

    ``import a.b`` runs ``a.b``. ``from m import x`` runs the module ``m.x`` when there is
    one (``from optviz import objectives``: ``optviz`` itself is only its parent, which is
    imported first in any case), and otherwise ``m`` itself, whose code must run to
    provide ``x`` (``from optviz import run``).
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in modules else target)
    return found


def import_graph(ui: bool = False) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module → the modules of its part it imports, module → everything it imports), for
    the core or (``ui``) for optviz/ui."""
    modules = core_modules(ui)
    everything = {name: imports(name, path, modules) for name, path in modules.items()}
    core = {name: {d for d in found if d in modules} - {name} for name, found in everything.items()}
    return core, everything


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of nodes (first = last), or None."""
    state: dict[str, str] = {}  # "open" while on the current path, then "done"
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == "open":
                return [*path[path.index(dep) :], dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for dep in graph.get(todo.pop(), ()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def test_the_graph_is_read_from_the_source():
    graph, everything = import_graph()
    assert {"optviz", "optviz.objectives", "optviz.formula", "optviz.formula.worker"} <= set(graph)
    assert not any(name.startswith("optviz.ui") for name in graph)
    assert "optviz.objectives" in graph["optviz.formula.build"]  # from .. import objectives
    assert "optviz.formula" in graph["optviz.scene"]  # from .formula import from_expression
    assert "optviz.figures" in graph["optviz.__main__"]  # imported inside a function
    assert "sympy" in everything["optviz.objectives"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_core_import_graph_has_no_cycle():
    graph, _ = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_apps_import_graph_has_no_cycle():
    """optviz/ui too: its modules import each other in one direction (inside functions
    included; compute → lessons_view → controls → compute was one)."""
    graph, _ = import_graph(ui=True)
    assert {"optviz.ui.page", "optviz.ui.compute", "optviz.ui.controls"} <= set(graph)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_objectives_never_reaches_the_formula_package():
    graph, _ = import_graph()
    formula = {name for name in graph if name.split(".")[:2] == ["optviz", "formula"]}
    assert not reachable(graph, "optviz.objectives") & formula
    assert "optviz.objectives" in reachable(graph, "optviz.formula")


def test_no_core_module_imports_streamlit_or_the_ui():
    _, everything = import_graph()
    for name, found in everything.items():
        bad = {m for m in found if m.split(".")[0] == "streamlit" or m.startswith("optviz.ui")}
        assert not bad, f"{name} imports {sorted(bad)}"
