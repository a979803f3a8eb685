"""Spreadsheet-ready CSVs: a UTF-8 BOM, one header row of the printed column names, amounts
as plain numbers, and an index of the document's tables (real PDFs and sample texts)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import extractor
from extractor.batch.store import write_document
from extractor.config import ExtractConfig
from extractor.definitions import load_definitions
from extractor.output import BOM, document_files, write_result
from extractor.pipeline import extract_text_bytes
from extractor_evals.inject import make_case

from .conftest import SEED_FILES

PDFS = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "real_pdfs"
FINAL = PDFS / "sh_putuo_planning-resources_2024_dept-final.pdf"


def _rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(BOM.encode("utf-8")), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_table_csv_has_real_column_names_and_plain_numbers(tmp_path: Path) -> None:
    result = extractor.extract(SEED_FILES["000"])
    write_result(result, tmp_path, "000", {})
    t = next(i for i, t in enumerate(result.tables) if t.table_id == "公开02表")
    rows = _rows(tmp_path / f"000.table{t + 1:02d}.csv")
    header, first = rows[0], rows[1]
    table = result.tables[t]
    assert header[:3] == ["code", "level", "name"]
    assert header[3 : 3 + len(table.columns)] == [c.name for c in table.columns]
    assert header[-1] == "line" and "#columns" not in {r[2] for r in rows}
    assert first[2] == "合计" and first[3] == "3676.35"  # printed "3, 676. 35"
    assert len(rows) == len(table.rows) + 1


def test_two_sided_table_gets_a_section_column(tmp_path: Path) -> None:
    result = extractor.extract(FINAL)
    write_result(result, tmp_path, "final", {})
    i, table = next((i, t) for i, t in enumerate(result.tables) if t.sections)
    rows = _rows(tmp_path / f"final.table{i + 1:02d}.csv")
    assert rows[0][0] == "section" and rows[0][-1] == "page"
    assert {r[0] for r in rows[1:]} == {s.section for s in table.sections}
    assert len(rows) - 1 == sum(len(s.rows) for s in table.sections)


def test_index_of_tables_names_title_unit_pages_and_status(tmp_path: Path) -> None:
    result = extractor.extract(FINAL)
    write_result(result, tmp_path, "final", {})
    rows = _rows(tmp_path / "final.tables.csv")
    assert rows[0] == ["file", "table_id", "toc_no", "title", "definition", "unit", "year",
                       "pages", "lines", "rows", "status"]
    by_title = {r[3]: r for r in rows[1:]}
    income = by_title["收入决算表"]
    n = [t.title for t in result.tables].index("收入决算表") + 1
    assert income[0] == f"final.table{n:02d}.csv"
    assert (income[4], income[5], income[7], income[10]) == ("final.income", "万元", "8-9", "ok")
    assert all((tmp_path / r[0]).is_file() for r in rows[1:])


def test_index_status_counts_failing_checks() -> None:
    # a generated report whose printed total does not add up (a labeled source inconsistency)
    text, _ = make_case(4, "source.total")[:2]
    result = extract_text_bytes(
        text.encode(), source_name="c.txt", config=ExtractConfig(), definitions=load_definitions()
    )
    failing = {r.table_index for c in result.checks if c.status == "fail" and c.severity == "hard"
               for r in c.cells}
    assert failing
    index = list(csv.reader(io.StringIO(document_files(result, "c")[".tables.csv"][1:])))[1:]
    for i, row in enumerate(index):
        assert (row[10] != "ok") == (i in failing), row
        if i in failing:
            assert "source inconsistency" in row[10]


def test_a_result_without_tables_leaves_no_stale_index(tmp_path: Path) -> None:
    files = document_files(extractor.extract(SEED_FILES["000"]), "d")
    write_document(tmp_path, "d", files, {})
    assert (tmp_path / "d.tables.csv").is_file()
    write_document(tmp_path, "d", {".json": "{}\n"}, {})
    assert not (tmp_path / "d.tables.csv").exists()
