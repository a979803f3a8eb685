"""Seeds 000 and 001 rendered as text-layer PDFs in every renderer style, read back.

Every style, ruled or not, must give every cell, and the hard identities must hold."""

from __future__ import annotations

import pytest

from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.pipeline import extract_bytes
from extractor_evals import score_document
from extractor_evals.render_pdf import STYLES

from .rendered import load, rendered


@pytest.mark.parametrize("doc", ["000", "001"])
@pytest.mark.parametrize("style", list(STYLES))
def test_rendered_pdf_cells(doc: str, style: str, definitions: Definitions) -> None:
    t = load(doc)
    pdf, _ = rendered(doc, style)  # the renders the renderer's own tests check too
    result = extract_bytes(
        pdf, source_name=f"{doc}.pdf", config=ExtractConfig(), definitions=definitions
    )
    scores = score_document(result.model_dump(mode="json"), t, check_names=False)
    equal = sum(s.equal for s in scores)
    total = sum(s.cells for s in scores)
    assert all(s.found for s in scores)
    assert result.summary.tables_matched == len(t["tables"])
    assert equal == total, [m for s in scores for m in s.mismatches][:5]
    hard = [c for c in result.checks if c.severity == "hard"]
    assert {c.status for c in hard} <= {"pass", "rounding"}
