"""PDF input: the real Shanghai PDFs against their truth, the blank template, bad PDFs, page
classification, the bundled OCR models, and one page read by real OCR."""

from __future__ import annotations

import json
from pathlib import Path

import pymupdf
import pytest

import extractor
from extractor.config import ExtractConfig
from extractor.ingest.pdf import page_words, text_layer_usable
from extractor.layout.geometry import Word
from extractor.ocr.rapid import DET_MODEL, REC_MODEL, bundled_model_dir
from extractor_evals import score_document

ROOT = Path(__file__).resolve().parent.parent
PDFS = ROOT / "evals" / "datasets" / "real_pdfs"
TRUTH = ROOT / "evals" / "datasets" / "seeds" / "truth"
FINAL = "sh_putuo_planning-resources_2024_dept-final"
BUDGET = "sh_putuo_wanli-jiedao_2025_dept-budget"


@pytest.fixture(scope="module")
def final() -> extractor.DocumentResult:
    return extractor.extract(PDFS / f"{FINAL}.pdf")


@pytest.mark.parametrize("name", [FINAL, BUDGET])
def test_real_pdf_cells_equal_truth(name: str) -> None:
    result = extractor.extract(PDFS / f"{name}.pdf")
    truth = json.loads((TRUTH / f"{name}.json").read_text(encoding="utf-8"))
    scores = score_document(result.model_dump(mode="json"), truth, check_names=False)
    total = sum(s.cells for s in scores)
    equal = sum(s.equal for s in scores)
    assert all(s.found for s in scores)
    assert total > 600
    assert equal / total >= 0.999, [m for s in scores for m in s.mismatches][:5]
    assert all(c.page for t in result.tables for r in t.rows for c in r.cells if c.raw)


def test_real_final_pdf_matched_and_hard_identities_hold(final: extractor.DocumentResult) -> None:
    assert final.document.pages == 30
    assert final.summary.tables_matched == 9
    hard = [c for c in final.checks if c.severity == "hard"]
    assert len(hard) > 150
    assert {c.status for c in hard} <= {"pass", "rounding", "suspect"}
    assert final.summary.not_evaluated == 0 and final.summary.failed == 0
    # the 元->万元 residuals the report prints are rounding, never "fixed"
    assert any(c.status == "rounding" for c in hard)
    assert final.status == "ok"


def test_blank_template_gives_empty_tables_with_no_value() -> None:
    result = extractor.extract(PDFS / "TEMPLATE_sh_dept-final-template_2024.pdf")
    assert result.summary.tables_matched == 9
    for t in result.tables:
        values = [v for r in t.rows for v in r.values] + [
            v for s in t.sections for r in s.rows for v in r.values
        ]
        assert all(v is None for v in values), t.title
        assert t.empty
    # no identity fails; what fails is the template's residue (family C: 上海市XX局 …)
    failing = [c for c in result.checks if c.status in ("fail", "suspect")]
    assert failing and {(c.family, c.expression) for c in failing} == {("C", "placeholder")}


def test_encrypted_pdf(tmp_path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "secret")
    p = tmp_path / "locked.pdf"
    doc.save(p, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    result = extractor.extract(p)
    assert result.status == "failed" and result.errors[0].code == "input.encrypted"


def test_page_limit(tmp_path: Path) -> None:
    doc = pymupdf.open()
    for _ in range(3):
        doc.new_page()
    p = tmp_path / "three.pdf"
    doc.save(p)
    result = extractor.extract(p, ExtractConfig(max_pages=2))
    assert result.status == "failed" and result.errors[0].code == "input.too_large"


def test_invisible_text_layer_is_not_trusted(tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "hidden OCR layer 123.45", render_mode=3)
    page.insert_text((72, 144), "visible 6.78")
    words = page_words(page)
    assert [w.text for w in words] == ["visible", "6.78"]


def test_garbage_text_layer_is_not_usable() -> None:
    junk = [Word(0, 0, 10, 10, "\ue001\ue002\ue003\ufffd\ue004\ue005")]
    good = [Word(0, 0, 10, 10, "收入决算表"), Word(0, 20, 10, 30, "3,676.35")]
    assert not text_layer_usable(junk)
    assert text_layer_usable(good)


def test_bundled_ocr_models_are_present() -> None:
    models = bundled_model_dir()
    for name in (DET_MODEL, REC_MODEL):
        f = models / name
        assert f.is_file() and f.stat().st_size > 1_000_000, f


def test_scanned_page_is_read_by_real_ocr(tmp_path: Path) -> None:
    """One real page (收入决算表 p.8) rendered to an image-only PDF and read by rapidocr:
    the same cells as its text layer gives."""
    src = pymupdf.open(PDFS / f"{FINAL}.pdf")
    out = pymupdf.open()
    page = out.new_page(width=src[7].rect.width, height=src[7].rect.height)
    pix = src[7].get_pixmap(dpi=150, colorspace=pymupdf.csGRAY)
    page.insert_image(page.rect, stream=pix.tobytes("png"))
    p = tmp_path / "scan.pdf"
    out.save(p)
    result = extractor.extract(p)
    assert result.document.pages == 1
    table = next(t for t in result.tables if t.title == "收入决算表")
    assert table.definition == "final.income"
    cells = [c for r in table.rows for c in r.cells if c.raw]
    assert cells and all(c.source == "ocr" and c.confidence is not None for c in cells)
    truth = json.loads((TRUTH / f"{FINAL}.json").read_text(encoding="utf-8"))
    expected = next(t for t in truth["tables"] if t["title"] == "收入决算表")
    on_page = [r for r in expected["rows"] if r["page"] == 8]
    got = [r.values for r in table.rows]
    assert got == [r["values"] for r in on_page]


def test_degraded_scan_reads_every_numeric_cell_or_flags_it() -> None:
    """A generated 150 dpi scan (rotated, noisy, blurred, JPEG 40) of two tables of seed 001,
    read by real OCR: numeric cells at least 99.5% exact, and no wrong cell goes unflagged."""
    from extractor_evals.degrade import ScanStyle, degrade_pdf
    from extractor_evals.render_pdf import STYLES, render_pdf

    truth = json.loads((TRUTH / "001.json").read_text(encoding="utf-8"))
    doc = {
        "meta": truth["meta"],
        "tables": [t for t in truth["tables"] if t["table_id"] in ("公开02表", "公开05表")],
    }
    scan = degrade_pdf(
        render_pdf(doc, STYLES["ruled_portrait"], seed=3),
        ScanStyle(dpi=150, rotate_deg=1.5, jpeg_quality=40),
        seed=11,
    )
    assert pymupdf.open(stream=scan)[0].get_text().strip() == ""  # image only
    from extractor.definitions import load_definitions
    from extractor.pipeline import extract_bytes

    result = extract_bytes(
        scan, source_name="scan.pdf", config=ExtractConfig(), definitions=load_definitions()
    )
    scores = score_document(result.model_dump(mode="json"), doc, check_names=False)
    numeric = [(s, m) for s in scores for m in s.mismatches if m.expected not in (None, "——")]
    n_numeric = sum(
        1 for t in doc["tables"] for r in t["rows"] for v in r["values"] if v not in (None, "——")
    )
    assert all(s.found for s in scores)
    assert 1 - len(numeric) / n_numeric >= 0.995
    flagged = {
        (ref.table, ref.row_index, ref.col_index)
        for c in result.checks
        if c.status in ("fail", "suspect", "not_evaluated")
        for ref in c.cells
    }
    for t in result.tables:
        for ri, r in enumerate(t.rows):
            for ci, cell in enumerate(r.cells):
                if cell.status in ("low_confidence", "unparsed"):
                    flagged.add((t.table_id or t.title, ri, ci))
    for _, m in numeric:
        assert (m.table, m.row, m.col) in flagged, m


def test_paddle_without_models_is_a_clear_configuration_error(tmp_path: Path) -> None:
    from extractor.errors import ConfigError
    from extractor.ocr.paddle import PaddleOcrOptions

    cfg = ExtractConfig(force_ocr=True, ocr=PaddleOcrOptions())
    with pytest.raises(ConfigError, match="det_model_dir and rec_model_dir"):
        extractor.extract(PDFS / "TEMPLATE_sh_dept-final-template_2024.pdf", cfg)
    (tmp_path / "det").mkdir()
    cfg = ExtractConfig(
        force_ocr=True,
        ocr=PaddleOcrOptions(det_model_dir=tmp_path / "det", rec_model_dir=tmp_path / "det"),
    )
    with pytest.raises(ConfigError, match=r"inference\.onnx"):
        extractor.extract(PDFS / "TEMPLATE_sh_dept-final-template_2024.pdf", cfg)
