"""OCR'd cells that went missing: a lone one-digit amount that the text detector skips is read
again from its cell's crop by the recognizer alone; what stays blank and breaks an identity is
an extraction error, never a source inconsistency.

The scans are real: a 三公 table with one-digit amounts, rendered by the project's renderer,
degraded to a 144 dpi scan and read by rapidocr. The detector's miss is injected by an engine
that drops the boxes found over chosen cells (their places come from the renderer's layout);
everything else is the real engine."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.ingest.pages import _read_cell_ink
from extractor.model import DocumentResult
from extractor.ocr.base import OcrBox
from extractor.ocr.rapid import RapidOcrEngine
from extractor.pipeline import extract_bytes
from extractor_evals.degrade import ScanStyle, degrade_pdf
from extractor_evals.render_pdf import STYLES, render_pdf_with_layout

from .conftest import truth

DPI = 144
# 09's row identities hold: c1 = c2+c3+c6, c3 = c4+c5, c7 = c8+c9+c12, c9 = c10+c11
VALUES = ["8", "0", "7", "0", "7", "1", "8", "1", "7", "0", "7", "0"]
Box = tuple[float, float, float, float]


class DetectorMisses:
    """The real engine, whose detector misses whatever lies over ``missed`` (PDF points);
    ``reread`` False: the recognizer cannot read those crops either."""

    name = "rapidocr"

    def __init__(self, engine: RapidOcrEngine, missed: Sequence[Box], reread: bool) -> None:
        self.engine, self.missed, self.reread = engine, missed, reread
        self.scale = DPI / 72

    def _over_missed(self, b: OcrBox) -> bool:
        cx, cy = (b.x0 + b.x1) / 2 / self.scale, (b.y0 + b.y1) / 2 / self.scale
        return any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in self.missed)

    def recognize(self, image: Any) -> list[OcrBox]:
        return [b for b in self.engine.recognize(image) if not self._over_missed(b)]

    def read_line(self, image: Any) -> tuple[str, float]:
        return self.engine.read_line(image) if self.reread else ("", 0.0)


@pytest.fixture(scope="module")
def engine() -> RapidOcrEngine:
    return RapidOcrEngine()


@pytest.fixture(scope="module")
def scan() -> tuple[bytes, dict[str, list[Box]]]:
    """The scan and the boxes of its lone one-digit cells, by kind (value, col_no)."""
    t = truth("000")
    table = copy.deepcopy(next(x for x in t["tables"] if x["table_id"] == "公开09表"))
    table["rows"][0]["values"] = VALUES
    pdf, layout = render_pdf_with_layout(
        {"meta": t["meta"], "tables": [table]}, STYLES["ruled_portrait"], seed=1
    )
    lone: dict[str, list[Box]] = {"value": [], "col_no": []}
    for page in layout:
        for c in page.cells:
            if c.kind in lone and c.text in ("1", "7"):
                lone[c.kind].append(c.bbox)
    assert len(lone["value"]) == 6 and len(lone["col_no"]) == 2
    return degrade_pdf(pdf, ScanStyle(dpi=DPI, rotate_deg=0.3), seed=1), lone


def _read(data: bytes, engine: DetectorMisses, definitions: Definitions) -> DocumentResult:
    return extract_bytes(
        data, source_name="scan.pdf", config=ExtractConfig(), definitions=definitions,
        engine=lambda: engine,
    )


def _values(result: DocumentResult) -> list[str | None]:
    (table,) = result.tables
    (row,) = table.rows
    return [c.raw for c in row.cells]


def test_lone_digits_the_detector_missed_are_read_again(
    scan: tuple[bytes, dict[str, list[Box]]], engine: RapidOcrEngine, definitions: Definitions
) -> None:
    data, lone = scan
    missing = DetectorMisses(engine, lone["value"] + lone["col_no"], reread=True)
    result = _read(data, missing, definitions)
    assert _values(result) == VALUES
    assert result.status == "ok"
    hard = [c for c in result.checks if c.severity == "hard"]
    assert hard and {c.status for c in hard} == {"pass"}
    (table,) = result.tables
    assert all(c.source == "ocr" and c.confidence for c in table.rows[0].cells)


def test_a_cell_that_stays_blank_is_an_extraction_error(
    scan: tuple[bytes, dict[str, list[Box]]], engine: RapidOcrEngine, definitions: Definitions
) -> None:
    data, lone = scan
    result = _read(data, DetectorMisses(engine, lone["value"], reread=False), definitions)
    got = _values(result)
    assert [v for v, want in zip(got, VALUES, strict=True) if v != want] == [""] * 6
    failed = [c for c in result.checks if c.status == "fail"]
    assert failed, "blank 7s and 1s must break the row identities"
    assert {c.classification for c in failed} == {"extraction_error"}
    assert result.status == "partial" and result.summary.source_inconsistencies == 0


def test_ink_in_an_empty_cell(engine: RapidOcrEngine) -> None:
    paper = np.full((30, 80), 246, dtype=np.uint8)
    assert _read_cell_ink(paper, engine) is None  # nothing printed
    speckled = paper.copy()
    speckled[[5, 12, 20], [10, 40, 70]] = 30
    assert _read_cell_ink(speckled, engine) is None  # scanner noise is no glyph
    dash = paper.copy()
    dash[14:16, 20:60] = 30
    assert _read_cell_ink(dash, engine) == ("——", 0.5)
    seven = paper.copy()  # a bar on top of a stem: a "7" is no dash
    seven[8:10, 34:46] = 30
    seven[10:23, 40:42] = 30
    read = _read_cell_ink(seven, engine)
    assert read is not None and read[0] != "——"
