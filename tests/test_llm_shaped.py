"""Tables printed in parts through the LLM path (issue 12, "--llm auto sends it"): two-sided
summaries side by side and stacked, economic blocks and sectioned tables that the mapper could
not place are read by the model (the fake server on 127.0.0.1), grounded cell by cell, and
come out exact; a model that keeps erring never makes a document ok."""

from __future__ import annotations

from typing import Any

import pytest

from extractor.definitions import Definitions
from extractor.extract.llm import LlmClient
from extractor.model import CellSource, DocumentResult, Table
from extractor_evals.generate import generate_final_report
from extractor_evals.harness import Case, measure
from extractor_evals.render_text import TextStyle, render_report
from tests.fake_openai import Oracle, fake_openai
from tests.gen_util import extract_text
from tests.test_llm import options, run

TWO_SIDED = ("公开01表", "公开04表")


def _relabel(text: str, old: str, new: str, after: str = "") -> str:
    """Header cells renamed (a producer's own wording), in lines after ``after``."""
    lines = text.split("\n")
    start = lines.index(after) if after else 0
    return "\n".join(
        line.replace(old, new) if k > start and line.startswith(old) else line
        for k, line in enumerate(lines)
    )


def _with_llm(
    text: str, doc: dict[str, Any], definitions: Definitions, oracle: Oracle
) -> tuple[DocumentResult, Any, int]:
    with fake_openai(oracle) as server:
        result = run(text, definitions, options(server), LlmClient(options(server)))
        sent = len(server.requests)
    return result, measure(Case("gen", text.encode(), doc), result, 0.0), sent


def _llm_read(table: Table) -> bool:
    rows = [*table.rows, *(r for s in table.sections for r in s.rows)]
    return any(c.source is CellSource.LLM for r in rows for c in r.cells)


def _unplaced(result: DocumentResult) -> set[str | None]:
    return {
        result.tables[e.table_index or 0].table_id
        for e in result.errors
        if e.code == "extract.layout_unmapped"
    }


@pytest.mark.parametrize("stacked", [False, True])
def test_two_sided_tables_the_mapper_could_not_place_are_read_exactly(
    stacked: bool, definitions: Definitions
) -> None:
    doc = generate_final_report(3)
    text = render_report(doc, TextStyle(stacked_sides=stacked))
    text = _relabel(text, "项目\t行次", "名称\t行次")
    plain = extract_text(text, definitions)
    assert _unplaced(plain) == set(TWO_SIDED) and plain.status == "partial"
    result, m, sent = _with_llm(text, doc, definitions, Oracle())
    assert sent == 2  # one request per table, no re-ask needed
    assert m.cells_exact == m.cells and m.silent_errors == 0
    assert result.status == "ok" and not _unplaced(result)
    for t in (t for t in result.tables if t.table_id in TWO_SIDED):
        assert t.layout == "two_sided" and [s.key for s in t.sections] == ["income", "expense"]
        assert _llm_read(t)
        # 行次 come from the grid, also on the rows that print nothing else
        assert all(r.row_no is not None for s in t.sections for r in s.rows)


def test_economic_blocks_the_mapper_could_not_find_are_read_exactly(
    definitions: Definitions,
) -> None:
    doc = generate_final_report(0)
    text = render_report(doc, TextStyle()).replace("经济分类科目编码\t", "经济分类\t")
    plain = extract_text(text, definitions)
    assert "公开06表" in _unplaced(plain)
    result, m, _ = _with_llm(text, doc, definitions, Oracle())
    assert m.cells_exact == m.cells and result.status == "ok"
    t06 = next(t for t in result.tables if t.table_id == "公开06表")
    assert t06.layout == "economic_3_blocks" and _llm_read(t06)
    assert {r.block for r in t06.rows} == {1, 2, 3}
    assert [r.role for r in t06.rows[-2:]] == ["personnel_total", "public_total"]


def test_sectioned_table_with_an_unknown_header_is_read_exactly(
    definitions: Definitions,
) -> None:
    doc = generate_final_report(0, table10=True)
    text = _relabel(
        render_report(doc, TextStyle()), "项目\t", "名称\t", "部门决算公开相关信息统计表"
    )
    plain = extract_text(text, definitions)
    assert "公开10表" in _unplaced(plain)  # its sections' columns were not placed: never ok
    result, m, _ = _with_llm(text, doc, definitions, Oracle())
    assert m.cells_exact == m.cells and result.status == "ok"
    t10 = next(t for t in result.tables if t.table_id == "公开10表")
    assert [s.section for s in t10.sections] == [
        s["section"]
        for s in next(t for t in doc["tables"] if t["table_id"] == "公开10表")["sections"]
    ]
    assert _llm_read(t10)


@pytest.mark.parametrize("mistake", ["misaligned", "wrong_column", "invented", "dropped_row"])
def test_a_part_read_wrong_is_asked_again_and_comes_out_exact(
    mistake: str, definitions: Definitions
) -> None:
    """Misaligned columns of one side (grounding cannot see it: the identities do), a value
    under the neighbouring column, a number printed nowhere, a row left out of a side."""
    doc = generate_final_report(3)
    text = _relabel(render_report(doc, TextStyle()), "项目\t行次", "名称\t行次")
    result, m, sent = _with_llm(text, doc, definitions, Oracle(mistakes=[mistake]))
    assert sent > 2  # a re-ask
    assert m.cells_exact == m.cells and result.status == "ok"


@pytest.mark.parametrize("mistake", ["misaligned", "invented"])
def test_a_model_that_keeps_erring_never_makes_the_document_ok(
    mistake: str, definitions: Definitions
) -> None:
    doc = generate_final_report(3)
    text = _relabel(render_report(doc, TextStyle()), "项目\t行次", "名称\t行次")
    result, m, _ = _with_llm(text, doc, definitions, Oracle(persistent=[mistake]))
    assert result.status == "partial" and _unplaced(result)
    assert m.silent_errors == 0
