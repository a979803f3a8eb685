"""The .xlsx workbook of a result, read back with openpyxl: an index, one sheet per table with
numbers as numbers, failing cells filled and annotated, the checks sheet; same bytes each time."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl

from extractor.config import ExtractConfig
from extractor.definitions import load_definitions
from extractor.model import DocumentResult, record_names
from extractor.numbers import parse_amount
from extractor.pipeline import extract_text_bytes
from extractor.xlsx import workbook_bytes
from extractor_evals.inject import make_case


def _case() -> DocumentResult:
    text, _ = make_case(4, "source.total")[:2]
    return extract_text_bytes(
        text.encode(), source_name="c.txt", config=ExtractConfig(), definitions=load_definitions()
    )


def test_workbook_sheets_numbers_and_marks() -> None:
    result = _case()
    data = workbook_bytes(result)
    assert data == workbook_bytes(result)  # deterministic, like the other outputs
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[0] == "index" and wb.sheetnames[-1] == "checks"
    assert len(wb.sheetnames) == len(result.tables) + 2
    # every printed amount of a plain table is a number in its cell, equal to the Decimal
    ti, table = next((i, t) for i, t in enumerate(result.tables) if t.rows and not t.sections)
    ws = wb[wb.sheetnames[ti + 1]]
    assert ws["A1"].value == table.title
    header = [c.value for c in ws[4]]
    first_value_col = header.index(table.columns[0].name)
    for k, row in enumerate(table.rows):
        for j, raw in enumerate(row.values):
            got = ws.cell(row=5 + k, column=first_value_col + 1 + j).value
            a = parse_amount(raw) if raw else None
            if a is not None and a.value is not None:
                assert isinstance(got, int | float) and Decimal(str(got)) == a.value
    # the cells of the failing check are filled and carry its message
    fail = next(c for c in result.checks if c.status == "fail" and c.severity == "hard")
    ref = next(r for r in fail.cells if r.row_index >= 0)
    sheet = wb[wb.sheetnames[ref.table_index + 1]]
    t = result.tables[ref.table_index]
    groups = t.row_groups()
    keys = [s.key or s.section for s in t.sections] or [None]  # what check cells name
    k = keys.index(ref.section)
    offset = sum(len(rows) for _, _, rows in groups[:k])  # sections are stacked
    name = record_names(groups[k][1])[ref.col_index]
    col = [c.value for c in sheet[4]].index(name) + 1
    cell = sheet.cell(row=5 + offset + ref.row_index, column=col)
    assert cell.fill.fgColor.rgb.endswith("FFD8A8")  # source inconsistency
    assert cell.comment is not None and fail.id in cell.comment.text
    checks = wb["checks"]
    assert any(row[7].value == fail.id for row in checks.iter_rows(min_row=2))


def test_extract_and_batch_write_the_workbook(tmp_path: Path) -> None:
    from extractor.batch import BatchOptions, run_batch

    from .conftest import SEED_FILES

    run_batch([str(SEED_FILES["000"])], ExtractConfig(), BatchOptions(out=tmp_path / "plain"),
              progress=None)
    assert not (tmp_path / "plain" / f"{SEED_FILES['000'].stem}.xlsx").exists()  # opt-in
    run_batch([str(SEED_FILES["000"])], ExtractConfig(),
              BatchOptions(out=tmp_path / "x", xlsx=True), progress=None)
    book = tmp_path / "x" / f"{SEED_FILES['000'].stem}.xlsx"
    wb = openpyxl.load_workbook(book)
    assert len(wb.sheetnames) == 16 + 2  # 000's 16 tables, the index and the checks
