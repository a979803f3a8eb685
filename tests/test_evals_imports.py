"""The import graph of the evals distribution has no cycle (every import counts, also one
inside a function), and the core package imports nothing from it."""

from __future__ import annotations

import ast
from pathlib import Path

import extractor
import extractor_evals

EVALS = Path(extractor_evals.__file__).parent
CORE = Path(extractor.__file__).parent


def _imported(tree: ast.AST, package: str, modules: set[str]) -> set[str]:
    """The modules of ``package`` that ``tree`` imports anywhere (``from package import m``
    names module m when m is one of ``modules``)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == package}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == package:
                out |= {f"{package}.{a.name}" for a in node.names} & modules
            elif node.module.startswith(package + "."):
                out.add(node.module)
    return out


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """module -> the modules of the same package it imports."""
    files = {f"{package}.{p.stem}": p for p in root.glob("*.py") if p.stem != "__init__"}
    files[package] = root / "__init__.py"
    names = set(files)
    return {
        m: _imported(ast.parse(p.read_text(encoding="utf-8")), package, names) - {m}
        for m, p in files.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                return [*path[path.index(n) :], n]
            if n not in state and (found := visit(n)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}, "p.d": set()}
    assert find_cycle(graph) == ["p.a", "p.b", "p.c", "p.a"]
    assert find_cycle({"p.a": {"p.b"}, "p.b": set()}) is None


def test_no_import_cycle_in_the_evals() -> None:
    graph = import_graph(EVALS, "extractor_evals")
    assert "extractor_evals.render_budget" in graph["extractor_evals.generate_budget"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_core_never_imports_the_evals() -> None:
    for path in sorted(CORE.rglob("*.py")):
        names = _imported(ast.parse(path.read_text(encoding="utf-8")), "extractor_evals", set())
        assert not names, f"{path} imports {names}"
