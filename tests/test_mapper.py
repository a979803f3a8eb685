"""The mapper places cells by header meaning and arithmetic, never by position alone."""

from __future__ import annotations

from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.model import DocumentResult
from extractor.pipeline import extract_text_bytes

from .conftest import SEED_FILES


def _extract(text: str, definitions: Definitions) -> DocumentResult:
    return extract_text_bytes(
        text.encode(), source_name="x.txt", config=ExtractConfig(), definitions=definitions
    )


def test_row_with_an_extra_empty_cell_is_realigned_by_its_row_identity(
    definitions: Definitions,
) -> None:
    lines = SEED_FILES["000"].read_text(encoding="utf-8").split("\n")
    # 03 l.257: an extra empty cell after the name pushes every value one column right
    assert lines[256].startswith("21015\t医疗保障管理事务\t153. 67")
    lines[256] = lines[256].replace("医疗保障管理事务\t", "医疗保障管理事务\t\t", 1)
    r = _extract("\n".join(lines), definitions)
    t = next(t for t in r.tables if t.table_id == "公开03表")
    row = next(x for x in t.rows if x.code == "21015")
    assert row.values == ["153.67", "126.60", "27.07", "0.00", "0.00", "0.00"]
    assert row.note and "realigned" in row.note
    assert {c.status for c in row.cells} == {"realigned"}
    hard = [c for c in r.checks if c.severity == "hard"]
    assert {c.status for c in hard} <= {"pass", "rounding"}


def test_columns_are_matched_by_meaning_not_order(definitions: Definitions) -> None:
    """Swap two columns of 公开03表 (header and data): keys follow the header names."""
    lines = SEED_FILES["001"].read_text(encoding="utf-8").split("\n")
    start, end = 164, 193  # l.165 header … l.193 last row
    for i in range(start, end):
        cells = lines[i].split("\t")
        if len(cells) > 4:
            cells[3], cells[4] = cells[4], cells[3]  # 基本支出 <-> 项目支出
        lines[i] = "\t".join(cells)
    r = _extract("\n".join(lines), definitions)
    t = next(t for t in r.tables if t.table_id == "公开03表")
    assert [c.key for c in t.columns][:3] == ["c1", "c3", "c2"]
    assert [c.name for c in t.columns][1:3] == ["项目支出", "基本支出"]
    hard = [c for c in r.checks if c.severity == "hard"]
    assert {c.status for c in hard} <= {"pass", "rounding"}
    assert any(
        c.expression.startswith("final.gpb_expense[total].c2") or "c2" in c.expression for c in hard
    )


def test_unknown_table_is_extracted_generically(definitions: Definitions) -> None:
    text = (
        "某某专项资金明细表\n\n单位：万元\n\n项目\t金额\t备注\n资金一\t12.50\t说明\n"
        "资金二\t7.50\t\n合计\t20.00\t\n"
    )
    r = _extract(text, definitions)
    assert r.status == "ok"
    t = r.tables[0]
    assert t.definition is None and t.unit == "万元"
    assert [x.name for x in t.rows] == ["资金一", "资金二", "合计"]
    assert [x.values[0] for x in t.rows] == ["12.50", "7.50", "20.00"]
    assert t.rows[0].texts == [None, "说明"]
    total = [c for c in r.checks if c.family == "G"]
    assert [(c.status, c.severity) for c in total] == [("pass", "soft")]
    broken = _extract(text.replace("20.00", "21.00"), definitions)
    assert [c.status for c in broken.checks if c.family == "G"] == ["warn"]


def test_variant_characters_are_folded_for_matching_only(definitions: Definitions) -> None:
    """A scan's OCR gives 決/財/總 for 决/财/总: tables and columns still match their
    definitions; titles and names keep the characters as printed."""
    text = SEED_FILES["001"].read_text(encoding="utf-8")
    variant = text.replace("决算", "決算").replace("财政", "財政").replace("总计", "總計")
    r = _extract(variant, definitions)
    assert r.summary.tables_matched == 10
    assert {c.status for c in r.checks if c.severity == "hard"} <= {"pass", "rounding"}
    t = next(t for t in r.tables if t.table_id == "公开04表")
    assert t.title == "財政拨款收入支出決算总表"
    assert any(
        row.name == "總計" and row.role == "grand_total" for s in t.sections for row in s.rows
    )
