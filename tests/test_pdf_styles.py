"""Seeds 000 and 001 rendered as text-layer PDFs in every renderer style, read back.

Every style, ruled or not, must give every cell, and the hard identities must hold."""

from __future__ import annotations

import pytest

from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.pipeline import extract_bytes
from extractor_evals import score_document
from extractor_evals.render_pdf import STYLES, render_pdf

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


@pytest.mark.parametrize(
    ("seed", "table"),
    [
        # 附件6's header set one character a line above 栏次 (项目 over 栏次 is no group title)
        # and its code wrapped onto two lines beside the name ("208020" / "1" 行政运行)
        pytest.param(11, "附件6", id="one-character-header-and-wrapped-code"),
        # 附件16: 其中 over 公务用车购置费 and 公务用车运行维护费, a level below the top
        pytest.param(15, "附件16", id="of-which-over-its-columns"),
        # 附件11: two jittered columns whose words came within a gap of each other, told
        # apart by their 栏次 numbers
        pytest.param(3, "附件11", id="columns-parted-by-their-lanci-numbers"),
    ],
)
def test_unruled_budget_pdf_tables(seed: int, table: str, definitions: Definitions) -> None:
    """Generated 预算 reports in the unruled landscape style with jittered column widths."""
    from extractor_evals.generate_budget import generate_budget_report
    from extractor_evals.harness import Case, measure

    doc = generate_budget_report(seed)
    pdf = render_pdf(doc, STYLES["unruled_landscape_jitter"], seed=seed)
    result = extract_bytes(
        pdf, source_name="b.pdf", config=ExtractConfig(), definitions=definitions
    )
    scores = score_document(result.model_dump(mode="json"), doc, check_names=False)
    [score] = [s for s in scores if s.table == table]
    assert score.found and score.rows_got == score.rows_expected == 1
    assert score.mismatches == [], score.mismatches[:5]
    m = measure(Case("b", pdf, doc), result, 0.0)
    assert m.silent_errors == 0 and m.source_detected_false == 0
    assert m.cells_exact == m.cells, (m.cells_exact, m.cells)
