"""The import graph of the evals distribution has no cycle (every import counts, also one
inside a function), and the core package imports nothing from it."""

from __future__ import annotations

import ast
from pathlib import Path

import extractor
import extractor_evals

from .import_graph import _imports, cycles, graph

EVALS = Path(extractor_evals.__file__).parent
CORE = Path(extractor.__file__).parent


def test_no_import_cycle_in_the_evals() -> None:
    g = graph(EVALS)
    # generate_budget and render_budget imported each other (share_percent lives in money.py)
    assert "extractor_evals.render_budget" in g["extractor_evals.generate_budget"]
    assert "extractor_evals.generate_budget" not in g["extractor_evals.render_budget"]
    assert cycles(g) == []


def test_the_core_never_imports_the_evals() -> None:
    for path in sorted(CORE.rglob("*.py")):
        names = _imports(ast.parse(path.read_text(encoding="utf-8")), "extractor_evals")
        assert not names, f"{path} imports {names}"
