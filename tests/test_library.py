"""The library call as another program meets it: the model types come from ``extractor``,
a table hands over its rows as records (Decimal values under the printed column names) or a
DataFrame, and a check's cells say where on the page they are."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

import pymupdf
import pytest

import extractor
from extractor import Cell, Check, DocumentResult, Finding, Row, Table

PDFS = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "real_pdfs"
FINAL = PDFS / "sh_putuo_planning-resources_2024_dept-final.pdf"


@cache
def final() -> DocumentResult:
    return extractor.extract(FINAL)


def test_the_model_types_are_exported() -> None:
    result = final()
    table = next(t for t in result.tables if t.rows)
    assert isinstance(table, Table) and isinstance(table.rows[0], Row)
    assert isinstance(table.rows[0].cells[0], Cell)
    assert all(isinstance(c, Check) for c in result.checks)
    assert all(isinstance(f, Finding) for f in result.findings)
    assert set(extractor.__all__) >= {"Table", "Row", "Cell", "Check", "Finding", "extract"}


def test_records_hold_decimals_under_the_printed_column_names() -> None:
    table = next(t for t in final().tables if t.title == "收入决算表")
    records = table.to_records()
    assert len(records) == len(table.rows)
    names = [c.name for c in table.columns]
    for rec, row in zip(records, table.rows, strict=True):
        assert rec["code"] == row.code and rec["name"] == row.name
        for name, raw in zip(names, row.values, strict=True):
            value = rec[name]
            if raw:
                assert isinstance(value, Decimal)
                # the printed precision is kept: no float went through
                assert value == Decimal(raw.replace(",", "").replace(" ", ""))
            else:
                assert value is None
    assert any(isinstance(v, Decimal) and v > 0 for r in records for v in r.values())


def test_two_sided_tables_give_records_per_section_and_unique_names() -> None:
    table = next(t for t in final().tables if t.sections)
    records = table.to_records()
    assert {r["section"] for r in records} == {s.section for s in table.sections}
    assert len(records) == sum(len(s.rows) for s in table.sections)
    from extractor.model import Column, record_names

    cols = [Column(col_no="1", name="金额"), Column(col_no="2", name="金额"),
            Column(col_no=None, name="name")]
    assert record_names(cols) == ["金额 (1)", "金额 (2)", "name (3)"]


def test_to_pandas_keeps_decimals() -> None:
    pd = pytest.importorskip("pandas")
    table = next(t for t in final().tables if t.title == "收入决算表")
    frame = table.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == len(table.rows)
    first = table.columns[0].name
    assert all(v is None or isinstance(v, Decimal) for v in frame[first])


def test_check_cells_carry_bbox_and_title_on_the_page() -> None:
    result = final()
    hard = [c for c in result.checks if c.severity == "hard" and c.cells]
    assert hard
    with pymupdf.open(FINAL) as doc:
        for check in hard[:50]:
            for ref in check.cells:
                if ref.table_index < 0 or ref.row_index < 0:
                    continue
                table = result.tables[ref.table_index]
                assert ref.title == table.title
                assert ref.page is not None and ref.bbox is not None
                x0, y0, x1, y1 = ref.bbox
                rect = doc[ref.page - 1].rect  # pages are 1-based
                assert 0 <= x0 < x1 <= rect.width and 0 <= y0 < y1 <= rect.height
                # the box holds the printed value (origin top-left, PDF points)
                words = doc[ref.page - 1].get_text("words", clip=pymupdf.Rect(ref.bbox))
                if ref.value:
                    assert ref.value.replace(" ", "") in "".join(w[4] for w in words)
