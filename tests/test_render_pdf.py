"""Tests of evals/render_pdf.py and evals/degrade.py (no extractor import): truth -> PDF -> scan."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pymupdf
import pytest

from extractor_evals.degrade import ScanStyle, degrade_page_image, degrade_pdf
from extractor_evals.render_pdf import STYLES, PageLayout, render_pdf
from extractor_evals.render_text import TextStyle, format_amount, table_cells

from .rendered import load
from .rendered import rendered as rendered_doc

TOL = 0.01


def rendered(style_name: str) -> tuple[bytes, list[PageLayout]]:
    return rendered_doc("000", style_name)


def small_doc() -> dict[str, Any]:
    """Two one-page tables of seed 000 (01 and 09): enough for the scan tests, and fast."""
    doc = load("000")
    return {"meta": doc["meta"], "tables": [doc["tables"][0], doc["tables"][8]]}


def truth_values(table: dict[str, Any]) -> Counter[str]:
    rows = [r for s in table.get("sections") or [] for r in s["rows"]] or table["rows"]
    printed = (format_amount(v, TextStyle()) for r in rows for v in r["values"])
    return Counter(p for p in printed if p)


def inside(word: tuple[float, ...], box: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = word[:4]
    return x0 >= box[0] - TOL and y0 >= box[1] - TOL and x1 <= box[2] + TOL and y1 <= box[3] + TOL


def centre_in(word: tuple[float, ...], box: tuple[float, float, float, float]) -> bool:
    cx, cy = (word[0] + word[2]) / 2, (word[1] + word[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def test_styles_are_distinct() -> None:
    assert len(STYLES) >= 3
    looks = {(s.landscape, s.ruled, s.font_size, s.wrap_headers) for s in STYLES.values()}
    assert len(looks) == len(STYLES)
    assert {"ruled_portrait", "ruled_landscape_wrapped", "unruled_compact"} <= set(STYLES)
    assert all(name == style.name for name, style in STYLES.items())


@pytest.mark.parametrize("style_name", sorted(STYLES))
def test_pages_and_headings(style_name: str) -> None:
    pdf, layouts = rendered(style_name)
    doc = load("000")
    with pymupdf.open(stream=pdf, filetype="pdf") as out:
        assert out.page_count == len(layouts) >= len(doc["tables"])
        landscape = STYLES[style_name].landscape
        assert all((p.rect.width > p.rect.height) == landscape for p in out)
        for layout in layouts:
            text = out[layout.page].get_text()
            table = doc["tables"][layout.table]
            # every page of a table repeats title, label, 部门 and 单位 lines
            for needed in (table["title"], table["table_id"], "单位：" + table["unit"]):
                assert needed in text, (layout.page, needed)
            assert table["department_as_printed"] in text
    # tables in order, each starting on a new page, continuation pages repeat the header rows
    assert [lay.table for lay in layouts] == sorted(lay.table for lay in layouts)
    assert {lay.table for lay in layouts} == set(range(len(doc["tables"])))
    for layout in layouts:
        header_rows = table_cells(doc["tables"][layout.table]).header_rows
        if layout.cells:
            assert any(c.row < header_rows for c in layout.cells) or not header_rows
        assert layout.part == 0 or layout.cells or any(t.role == "note" for t in layout.texts)


@pytest.mark.parametrize("style_name", sorted(STYLES))
def test_every_value_inside_its_cell(style_name: str) -> None:
    pdf, layouts = rendered(style_name)
    doc = load("000")
    drawn: dict[int, Counter[str]] = {}
    with pymupdf.open(stream=pdf, filetype="pdf") as out:
        for layout in layouts:
            page = out[layout.page]
            words = page.get_text("words")
            for cell in layout.cells:
                x0, y0, x1, y1 = cell.bbox
                assert 0 <= x0 < x1 <= page.rect.width and 0 <= y0 < y1 <= page.rect.height
                if not cell.text:
                    continue
                mine = [w for w in words if centre_in(w, cell.bbox)]
                assert all(inside(w, cell.bbox) for w in mine), (cell, mine)
                # the words of the cell read back as its text (wrapped lines in order)
                assert "".join(w[4] for w in mine) == cell.text.replace(" ", ""), (cell, mine)
                if cell.kind == "value":
                    assert [w[4] for w in mine] == [cell.text]
                    drawn.setdefault(layout.table, Counter())[cell.text] += 1
    for index, table in enumerate(doc["tables"]):
        assert drawn.get(index, Counter()) == truth_values(table), table["table_id"]


@pytest.mark.parametrize("style_name", sorted(STYLES))
def test_cells_do_not_overlap(style_name: str) -> None:
    _, layouts = rendered(style_name)
    for layout in layouts:
        boxes = np.array([c.bbox for c in layout.cells]).reshape(-1, 4)
        w = np.minimum(boxes[:, None, 2], boxes[None, :, 2]) - np.maximum(
            boxes[:, None, 0], boxes[None, :, 0]
        )
        h = np.minimum(boxes[:, None, 3], boxes[None, :, 3]) - np.maximum(
            boxes[:, None, 1], boxes[None, :, 1]
        )
        overlap = (w > 0.01) & (h > 0.01)
        np.fill_diagonal(overlap, False)
        assert not overlap.any(), layout.page


def test_numbers_right_aligned_text_left() -> None:
    _, layouts = rendered("ruled_portrait")
    for layout in layouts:
        for cell in layout.cells:
            if not cell.text or len(cell.lines) != 1:
                continue
            x0, _, x1, _ = cell.bbox
            assert x0 < x1
    page = layouts[1]  # 公开02表, function_coded
    values = [c for c in page.cells if c.kind == "value" and c.text]
    labels = [c for c in page.cells if c.kind == "label" and c.text]
    with pymupdf.open(stream=rendered("ruled_portrait")[0], filetype="pdf") as out:
        words = out[page.page].get_text("words")

    def gap(cell: Any, side: int) -> float:
        mine = [w for w in words if centre_in(w, cell.bbox)]
        edge = max(w[2] for w in mine) if side else min(w[0] for w in mine)
        return float(cell.bbox[2] - edge if side else edge - cell.bbox[0])

    assert all(gap(c, 1) < 5 for c in values)
    assert all(gap(c, 0) < 5 for c in labels)
    assert "3,676.35" in {c.text for c in values}  # thousands separators, precision kept


def test_merged_header_and_total_cells() -> None:
    doc = load("000")
    three_public = table_cells(doc["tables"][8])  # 公开09表: 3-level header
    spans = {(c.text, c.rowspan, c.colspan) for c in three_public.cells if c.row == 0}
    assert spans == {("预算数", 1, 6), ("决算数", 1, 6)}
    leaf = [c for c in three_public.cells if c.text == "公务接待费"]
    assert all(c.rowspan == 2 and c.colspan == 1 for c in leaf)
    assert three_public.col_no_row == 3 and three_public.header_rows == 4
    _, layouts = rendered("ruled_landscape_wrapped")
    page = next(lay for lay in layouts if lay.table == 8)
    budget = next(c for c in page.cells if c.text == "预算数")
    under = [c for c in page.cells if c.row == 1 and c.col < 6]
    assert budget.colspan == 6
    assert budget.bbox[0] == pytest.approx(min(c.bbox[0] for c in under))
    assert budget.bbox[2] == pytest.approx(max(c.bbox[2] for c in under))
    income = next(lay for lay in layouts if lay.table == 1)
    total = next(c for c in income.cells if c.text == "合计" and c.kind == "label")
    assert total.colspan == 2  # 合计 over code and name


def test_long_table_continues_with_repeated_header() -> None:
    _, layouts = rendered("ruled_portrait")
    parts = [lay for lay in layouts if lay.table == 1]
    assert len(parts) >= 2
    header_rows = table_cells(load("000")["tables"][1]).header_rows
    body_rows: list[int] = []
    for lay in parts:
        assert {c.row for c in lay.cells if c.row < header_rows} == set(range(header_rows))
        assert any(t.role == "title" for t in lay.texts)
        body_rows += sorted({c.row for c in lay.cells if c.row >= header_rows})
    assert body_rows == sorted(set(body_rows))  # every body row once, in order
    assert not any(t.role == "note" for t in parts[0].texts)
    assert any(t.role == "note" for t in parts[-1].texts)


def test_rendering_is_deterministic() -> None:
    doc = small_doc()
    style = STYLES["unruled_landscape_jitter"]
    first = render_pdf(doc, style, seed=3)
    assert render_pdf(doc, style, seed=3) == first
    assert render_pdf(doc, style, seed=4) != first  # the column jitter follows the seed
    assert rendered("ruled_portrait")[0] == render_pdf(load("000"), STYLES["ruled_portrait"])
    with pymupdf.open(stream=first, filetype="pdf") as out:
        assert out.metadata is not None and out.metadata["creationDate"].startswith("D:2024")
        fonts = {f[3] for f in out[0].get_fonts()}
        assert any("Droid" in f for f in fonts)


def test_degraded_pdf_is_image_only_and_seeded() -> None:
    pdf = render_pdf(small_doc(), STYLES["ruled_portrait"])
    style = ScanStyle(dpi=150)
    scan = degrade_pdf(pdf, style, seed=7)
    assert degrade_pdf(pdf, style, seed=7) == scan
    assert degrade_pdf(pdf, style, seed=8) != scan
    with (
        pymupdf.open(stream=pdf, filetype="pdf") as src,
        pymupdf.open(stream=scan, filetype="pdf") as out,
    ):
        assert out.page_count == src.page_count == 2
        for page, orig in zip(out, src, strict=True):
            assert page.get_text().strip() == ""
            assert page.rect == orig.rect
            images = page.get_images(full=True)
            assert len(images) == 1
            info = out.extract_image(images[0][0])
            assert info["ext"] in ("jpeg", "jpg")
            assert info["width"] == pytest.approx(orig.rect.width / 72 * 150, abs=2)
            pix = pymupdf.Pixmap(info["image"])
            assert pix.n == 1  # grayscale
            samples = np.frombuffer(pix.samples, dtype=np.uint8)
            assert samples.min() < 80 and np.median(samples) > 200  # ink on paper


def test_degrade_page_image() -> None:
    page = np.full((300, 200), 255, dtype=np.uint8)
    page[100:110, 20:180] = 0
    style = ScanStyle(rotate_deg=2.0, noise=0.03, blur=0.6)
    a = degrade_page_image(page, style, np.random.default_rng(1))
    b = degrade_page_image(page, style, np.random.default_rng(1))
    c = degrade_page_image(page, style, np.random.default_rng(2))
    assert a.dtype == np.uint8 and a.shape == page.shape
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.std() > 0 and a[150:, :].mean() > 200 and a[100:110, 60:140].mean() < 120
    clean = degrade_page_image(
        page, ScanStyle(rotate_deg=0, noise=0, blur=0), np.random.default_rng(0)
    )
    assert clean[0, 0] > 240 and clean[105, 100] < 40
