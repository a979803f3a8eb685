"""Layout variants made from the seeds' truth by the project's renderer (evals/render_text.py):
the same tables written one cell per line, split over pages with repeated headers, without
thousands separators, with blanks for zeros, with OCR-spaced digits. Each must give the same
cells (blank where the variant prints zeros as blanks)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.pipeline import extract_text_bytes
from extractor_evals import score_document
from extractor_evals.render_text import TextStyle, render_report

from .conftest import truth

STYLES = {
    "cell_per_line": TextStyle(layout="cell_per_line"),
    "split_pages": TextStyle(split_pages=True),
    "no_thousands": TextStyle(thousands=False),
    "blank_zeros": TextStyle(blank_zeros=True),
    "spaced_digits": TextStyle(spaced_digits=True),
    "all_at_once": TextStyle(
        layout="cell_per_line", split_pages=True, blank_zeros=True, thousands=False
    ),
}


def _blank_zeros(doc: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    for t in out["tables"]:
        for r in [r for s in t.get("sections") or [] for r in s["rows"]] + (t.get("rows") or []):
            r["values"] = [
                None if v not in (None, "——") and Decimal(v) == 0 else v for v in r["values"]
            ]
    return out


@pytest.mark.parametrize("doc", ["000", "001"])
@pytest.mark.parametrize("style", list(STYLES))
def test_variant_gives_the_same_cells(doc: str, style: str, definitions: Definitions) -> None:
    t = truth(doc)
    text = render_report(t, STYLES[style])
    result = extract_text_bytes(
        text.encode("utf-8"),
        source_name=f"{doc}-{style}.txt",
        config=ExtractConfig(),
        definitions=definitions,
    )
    expected = _blank_zeros(t) if STYLES[style].blank_zeros else t
    scores = score_document(result.model_dump(mode="json"), expected, check_names=True)
    assert all(s.found for s in scores), [s.table for s in scores if not s.found]
    assert [(s.table, s.rows_got) for s in scores] == [(s.table, s.rows_expected) for s in scores]
    mismatches = [m for s in scores for m in s.mismatches]
    assert mismatches == []
    assert sum(1 for tb in result.tables if tb.definition) == len(t["tables"])
    hard = [c for c in result.checks if c.severity == "hard"]
    assert hard and {c.status for c in hard} <= {"pass", "rounding"}
    if STYLES[style].split_pages:
        assert any(tb.parts == 2 for tb in result.tables)
