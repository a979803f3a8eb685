"""The review page, opened in a real browser (the system Chromium driven by Playwright): a
generated 决算 PDF with an injected error, a real PDF, a text report. The assertions go through
the DOM: the failing check's cells are drawn in its colour, clicking the check marks its terms
and shows its printed total, sum and Δ. Without Chromium these tests fail, never skip."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from extractor.cli import main
from extractor.model import Cell, CellSource, Check, DocumentResult
from extractor.output import write_result
from extractor.review import _ref_key, build_review, cell_states, review_pages
from extractor_evals.inject import make_case
from extractor_evals.render_pdf import STYLES, render_pdf

ROOT = Path(__file__).resolve().parent.parent
PDFS = ROOT / "evals" / "datasets" / "real_pdfs"
REAL = "sh_putuo_planning-resources_2024_dept-final"
SEED = ROOT / "evals" / "datasets" / "seeds" / "000_078c4e39dcefb175.txt"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail(
            "Chromium not found on PATH: the review page tests need a real browser "
            "(as root: apt-get install -y chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        yield b
        b.close()


def _open(browser: Any, html: Path) -> Any:
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html.as_uri())
    page.wait_for_selector("#tables table")
    assert errors == []
    return page


def _keys(result: DocumentResult, check: Check) -> list[str]:
    return [k for k in (_ref_key(result, ref) for ref in check.cells) if k is not None]


def _click_check(page: Any, result: DocumentResult, index: int) -> None:
    """Click a check in the summary; its terms are marked, its figures shown."""
    check = result.checks[index]
    page.locator(f'#summary [data-check="{index}"]').first.click()
    keys = set(_keys(result, check))
    boxed = {k for k in keys if page.locator(f'#left .box[data-key="{k}"]').count()}
    assert boxed, "the check's cells are drawn on the page"
    assert page.locator("#left .box.term").count() == len(boxed)
    assert page.locator("#tables td.term").count() == len(keys)
    info = page.locator("#check-info")
    assert info.locator(".actual").inner_text() == (check.actual or "—")
    assert info.locator(".expected").inner_text() == (check.expected or "—")
    assert info.locator(".delta").inner_text() == (check.delta or "—")


def _digits(text: str) -> str:
    return re.sub(r"[^\d.]", "", text)


def test_generated_pdf_with_injected_error(browser: Any, tmp_path: Path) -> None:
    _, doc, [injection] = make_case(3, "source.total")
    pdf = tmp_path / "final.pdf"
    pdf.write_bytes(render_pdf(doc, STYLES["ruled_portrait"]))
    assert main(["extract", str(pdf), "-o", str(tmp_path / "out"), "--review"]) == 0
    result = DocumentResult.model_validate_json((tmp_path / "out" / "final.json").read_bytes())
    html = tmp_path / "out" / "final.review.html"
    failing = [i for i, c in enumerate(result.checks) if c.status == "fail" and _keys(result, c)]
    assert failing and all(
        result.checks[i].classification == "source_inconsistency" for i in failing
    )
    page = _open(browser, html)
    for i in failing:
        for k in _keys(result, result.checks[i]):
            for e in page.locator(f'[data-key="{k}"]').all():
                assert "st-fail_source" in (e.get_attribute("class") or "")
    # the injected (printed, wrong) number is among the failing boxes, read from the page
    titles = [e.get_attribute("title") or "" for e in page.locator(".box.st-fail_source").all()]
    assert any(_digits(t.split(" · ")[0]) == injection.after for t in titles)
    _click_check(page, result, failing[0])
    # the page image of the first term is decoded once scrolled to (lazy)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.page')].some(p => p.querySelector('.term') "
        "&& p.querySelector('img').naturalWidth > 0)"
    )
    page.screenshot(path=str(tmp_path / "generated.png"))
    assert (tmp_path / "generated.png").stat().st_size > 10_000


def test_real_pdf(browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from extractor.api import extract

    result = extract(PDFS / f"{REAL}.pdf")
    write_result(result, tmp_path, REAL, {})
    monkeypatch.chdir(PDFS)  # the review command finds the PDF by its name in the current folder
    assert main(["review", str(tmp_path / f"{REAL}.json")]) == 0
    html = tmp_path / f"{REAL}.review.html"
    assert html.stat().st_size < 20_000_000
    page = _open(browser, html)
    assert page.locator(".page").count() == len(review_pages(result))
    drawn = sum(
        1
        for t in result.tables
        for rows in ([s.rows for s in t.sections] or [t.rows])
        for r in rows
        for c in r.cells
        if c.page is not None and c.bbox is not None and c.raw is not None
    )
    assert page.locator("#left .box").count() == drawn > 600
    flagged = [
        i
        for i, c in enumerate(result.checks)
        if c.status not in ("pass", "rounding") and c.family != "N"
    ]
    assert flagged, "the real report has a check to look at"
    check = result.checks[flagged[0]]
    state = "suspect" if check.status == "suspect" else "fail_source"
    for k in _keys(result, check):
        assert page.locator(f'#left .box[data-key="{k}"].st-{state}').count() == 1
    _click_check(page, result, flagged[0])
    page.screenshot(path=str(tmp_path / "real.png"))
    # a claim of the 情况说明 shows its sentence (from the text layer) and the table cells
    # that print its amount
    claims = [i for i, c in enumerate(result.checks) if c.family == "N"]
    page.locator("#summary summary", has_text="Narrative claims").click()
    assert page.locator("#claims tr.check").count() == len(claims)
    total = next(i for i in claims if result.checks[i].expression == "total")
    printed = _digits(result.checks[total].actual or "")
    row = page.locator(f'#claims tr[data-check="{total}"]')
    assert printed in row.locator("td").nth(2).inner_text().replace(",", "")
    row.locator("a").first.click()
    assert f"value {printed}" in page.locator("#cell-info").inner_text()


def test_text_input_shows_source_lines(browser: Any, tmp_path: Path) -> None:
    src = tmp_path / "in" / SEED.name
    src.parent.mkdir()
    shutil.copy(SEED, src)
    out = tmp_path / "out"
    assert main(["batch", str(src.parent), "-o", str(out), "--review", "--workers", "1"]) == 0
    result = DocumentResult.model_validate_json((out / f"{SEED.stem}.json").read_bytes())
    page = _open(browser, out / f"{SEED.stem}.review.html")
    lines = SEED.read_text(encoding="utf-8").splitlines()
    assert page.locator(".ln").count() == len(lines)
    assert page.locator(".page").count() == 0
    # a value cell is marked inside its own source line, with its printed text
    table = result.tables[1]
    cell = table.rows[0].cells[0]
    box = page.locator(f'#L{cell.line} .box[data-key="1.0.0.0"]')
    assert box.inner_text() == cell.raw
    # a failing claim of the narrative has no table cell: clicking it marks its line
    claim = next(i for i, c in enumerate(result.checks) if c.family == "N" and c.status == "fail")
    page.locator(f'#claims [data-check="{claim}"]').click()
    line = result.checks[claim].cells[0].line
    assert "term" in (page.locator(f"#L{line}").get_attribute("class") or "")
    assert page.locator("#check-info .actual").inner_text() == result.checks[claim].actual
    page.screenshot(path=str(tmp_path / "text.png"))


def test_cell_state_precedence() -> None:
    """A failure outweighs a repair, a repair or an LLM reading outweighs a pass."""
    result = _small_result()
    states = cell_states(result)
    assert states == {
        "0.0.0.0": "fail_extraction",
        "0.0.0.1": "repaired",
        "0.0.0.2": "llm",
        "0.0.0.3": "not_evaluated",
    }
    page = build_review(result, None)
    assert "was not found" in page and "<script" in page and "cdn" not in page.lower()
    # a report's own text cannot end the data element early
    assert "t</script><!--" not in page and "t\\u003c/script>\\u003c!--" in page


def _small_result() -> DocumentResult:
    from extractor.model import CellRef, DocumentInfo, Row, Table

    cells = [
        Cell(raw="1", status="repaired", source=CellSource.REPAIR),
        Cell(raw="2", status="repaired", source=CellSource.REPAIR),
        Cell(raw="3", source=CellSource.LLM),
        Cell(raw="4"),
    ]
    table = Table(
        title="t</script><!--", layout="flat", rows=[Row(values=["1", "2", "3", "4"], cells=cells)]
    )

    def ref(c: int) -> CellRef:
        return CellRef(
            table="t", row="r", column=str(c), value=None, table_index=0, row_index=0, col_index=c
        )

    def check(status: str, cls: str | None, cols: list[int]) -> Check:
        return Check.model_validate(
            {
                "id": f"{status}{cols}",
                "rule": "verify.row_sum",
                "family": "R",
                "severity": "hard",
                "status": status,
                "classification": cls,
                "expression": "",
                "cells": [ref(c) for c in cols],
                "message": "",
            }
        )

    return DocumentResult(
        document=DocumentInfo(source="x.pdf", sha256="0"),
        status="partial",
        tables=[table],
        checks=[check("fail", "extraction_error", [0]), check("pass", None, [1, 2])],
    )


@pytest.mark.parametrize("name", ["x.pdf", "x.png"])
def test_unreadable_source_is_said_on_the_page(tmp_path: Path, name: str) -> None:
    bad = tmp_path / name
    bad.write_bytes(b"%PDF-1.7 not really")
    page = build_review(_small_result(), bad)
    assert '"source_error":"input.corrupt: ' in page
    assert '<script type="text/plain" id="img-' not in page


def test_image_page_is_sized_in_points_and_straightened(tmp_path: Path) -> None:
    """An image page measures its pixels at its own dpi (the boxes are in points) and is
    shown deskewed, grey, at the review resolution, as OCR read it."""
    from PIL import Image, ImageDraw

    from extractor.ingest.render import page_images

    img = Image.new("L", (1700, 2200), 255)
    ImageDraw.Draw(img).rectangle((200, 300, 1500, 320), fill=0)  # a ruling line
    img = img.rotate(1.5, fillcolor=255)
    path = tmp_path / "scan.png"
    img.save(path, dpi=(200, 200))
    [page] = page_images(path, [1], dpi=100)
    # PNG stores pixels per metre: 200 dpi comes back as 199.9996
    assert (page.width_pt, page.height_pt) == pytest.approx((612, 792), abs=0.01)
    with Image.open(io.BytesIO(page.data)) as shown:
        assert shown.mode == "L" and shown.size == (850, 1100)
        # the line is level again: its ink sits in one band of rows at both ends
        left = [y for y in range(1100) if shown.getpixel((150, y)) < 128]
        right = [y for y in range(1100) if shown.getpixel((700, y)) < 128]
        assert left and right and abs(left[0] - right[0]) <= 2


def test_disclosure_findings_listed_with_their_evidence(browser: Any, tmp_path: Path) -> None:
    from extractor_evals.inject_disclosure import make_disclosure_case

    text, _, labels = make_disclosure_case(2, "disclosure.year")
    src = tmp_path / "in" / "year.txt"
    src.parent.mkdir()
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["extract", str(src), "-o", str(out), "--review"]) == 0
    result = DocumentResult.model_validate_json((out / "year.json").read_bytes())
    (index,) = [i for i, c in enumerate(result.checks) if c.family == "C"]
    page = _open(browser, out / "year.review.html")
    row = page.locator(f'#disclosures [data-check="{index}"]')
    # the check, where it is printed and the printed text itself
    assert row.locator("td").nth(0).inner_text() == "year"
    assert row.locator("td").nth(1).inner_text() == f"l.{labels[0].line}"
    assert row.locator("td").nth(2).inner_text() == result.checks[index].actual
    row.click()
    assert "term" in (page.locator(f"#L{labels[0].line}").get_attribute("class") or "")
    # listed among the findings too, and not again among the failing identities
    assert page.locator("#findings li", has_text="year l.").count() == 1
    assert page.locator(f'#failing [data-check="{index}"]').count() == 0
