"""No silent structure (issue 12): a table identified as a definition is read in its shape or
is an extraction error; 行次 columns are never amounts; values moved under a name column are
extraction errors, not source inconsistencies. Built from generated reports."""

from __future__ import annotations

from typing import Any

import pytest

from extractor.definitions import Definitions
from extractor.extract.assist import _needs_llm
from extractor.layout.grid import is_row_number_column
from extractor.model import DocumentResult, SourceCell, SourceRow
from extractor_evals.generate import generate_final_report
from extractor_evals.harness import Case, measure
from extractor_evals.render_text import TextStyle, render_report
from tests.gen_util import extract_text

TWO_SIDED = ("公开01表", "公开04表")


def _run(text: str, doc: dict[str, Any], definitions: Definitions) -> tuple[DocumentResult, Any]:
    result = extract_text(text, definitions)
    return result, measure(Case("gen", text.encode(), doc), result, 0.0)


def _relabel(text: str, old: str, new: str) -> str:
    """The two-sided headers' label cells renamed (a producer's own wording)."""
    return "\n".join(
        line.replace(old, new) if line.startswith(old) else line for line in text.split("\n")
    )


@pytest.mark.parametrize("seed", [0, 3])
def test_two_sided_with_row_numbers_on_both_sides_read_right(
    seed: int, definitions: Definitions
) -> None:
    doc = generate_final_report(seed)
    text = render_report(doc, TextStyle(side_heads="named"))
    assert "收入项目\t行次" in text and "支出项目\t行次" in text
    result, m = _run(text, doc, definitions)
    sides = [t for t in result.tables if t.table_id in TWO_SIDED]
    assert [t.layout for t in sides] == ["two_sided", "two_sided"]
    assert all(r.row_no is not None for t in sides for s in t.sections for r in s.rows)
    assert m.cells_exact == m.cells and result.status == "ok"


def test_unrecognised_sides_are_an_extraction_error_never_ok(definitions: Definitions) -> None:
    """Headings the mapper does not know as sides: the table comes out generic, which is an
    error naming the table, never ok with wrong cells; the 行次 columns are not values."""
    doc = generate_final_report(0)
    text = _relabel(render_report(doc, TextStyle()), "项目\t行次", "名称\t行次")
    result, m = _run(text, doc, definitions)
    unmapped = [e for e in result.errors if e.code == "extract.layout_unmapped"]
    assert {result.tables[e.table_index or 0].table_id for e in unmapped} == set(TWO_SIDED)
    assert all("two_sided" in e.message for e in unmapped)
    assert result.status == "partial"
    assert result.summary.not_evaluable > 0
    generic = result.tables[unmapped[0].table_index or 0]
    assert all("行次" not in c.name for c in generic.columns)
    assert [r.row_no for r in generic.rows[:3]] == [1, 2, 3]
    # wrong cells there are flagged (the table as a whole), never silent
    assert m.cells_exact < m.cells and m.silent_errors == 0


def test_unmapped_table_goes_to_the_llm_in_auto(definitions: Definitions) -> None:
    doc = generate_final_report(0)
    text = _relabel(render_report(doc, TextStyle()), "项目\t行次", "名称\t行次")
    result = extract_text(text, definitions)
    ti = next(i for i, t in enumerate(result.tables) if t.table_id == "公开01表")
    table = result.tables[ti]
    tdef = definitions.table(table.definition or "")
    assert _needs_llm(table, tdef, [], ti, definitions)
    fine = extract_text(render_report(doc, TextStyle()), definitions)
    ok = next(i for i, t in enumerate(fine.tables) if t.table_id == "公开01表")
    tdef_ok = definitions.table(fine.tables[ok].definition or "")
    assert not _needs_llm(fine.tables[ok], tdef_ok, fine.checks, ok, definitions)


def _rows(column: list[str]) -> list[SourceRow]:
    return [
        SourceRow((SourceCell("名称", line=i), SourceCell(t, line=i)), tabbed=True, line=i)
        for i, t in enumerate(column, 1)
    ]


def test_row_number_columns() -> None:
    assert is_row_number_column(_rows(["1", "2", "3", "", "5"]), 1)
    assert is_row_number_column(_rows(["13", "14", "15", "16"]), 1)
    assert not is_row_number_column(_rows(["1", "2"]), 1)  # too few to tell
    assert not is_row_number_column(_rows(["1", "2", "3.50"]), 1)  # an amount
    assert not is_row_number_column(_rows(["60", "12", "300"]), 1)  # amounts, not rising
    assert not is_row_number_column(_rows(["1", "40", "90"]), 1)  # far apart


def test_amount_under_a_name_column_is_an_extraction_error(definitions: Definitions) -> None:
    """On text input a failing identity is normally a source inconsistency; a row whose
    amount sits in its name cell moved columns, so it is an extraction error."""
    doc = generate_final_report(3)
    lines = render_report(doc, TextStyle()).split("\n")
    start = lines.index(next(x for x in lines if x.startswith("收入决算表")))
    i = next(k for k in range(start, len(lines)) if lines[k].split("\t")[0] == "208")
    cells = lines[i].split("\t")
    lines[i] = "\t".join([cells[0], cells[1] + cells[2], *cells[3:]])
    result = extract_text("\n".join(lines), definitions)
    fails = [c for c in result.checks if c.status == "fail" and c.severity == "hard"]
    assert fails
    assert {c.classification for c in fails} == {"extraction_error"}
    assert result.status == "partial"


def test_clean_reports_have_no_structure_errors(definitions: Definitions) -> None:
    for seed in range(4):
        doc = generate_final_report(seed)
        result = extract_text(render_report(doc, TextStyle()), definitions)
        assert not [e for e in result.errors if e.code == "extract.layout_unmapped"]
        assert result.summary.not_evaluable == 0 and result.status == "ok"


def test_a_missing_table_makes_its_identities_not_evaluable(definitions: Definitions) -> None:
    doc = generate_final_report(0)
    doc = {**doc, "tables": [t for t in doc["tables"] if t.get("table_id") != "公开05表"]}
    result = extract_text(render_report(doc, TextStyle()), definitions)
    assert "extract.table_missing" in {e.code for e in result.errors}
    assert result.status == "partial" and result.summary.not_evaluable > 0


def test_a_lost_total_row_of_a_two_sided_table_is_named(definitions: Definitions) -> None:
    """A page part the reader lost (the 总计 row alone on the last page): the rows the
    definition's totals need are missing, which is an error, not an ok with missing cells."""
    doc = generate_final_report(0)
    lines = render_report(doc, TextStyle()).split("\n")
    start = lines.index("收入支出决算总表")
    i = next(k for k in range(start, len(lines)) if lines[k].startswith("总计\t"))
    del lines[i]
    result = extract_text("\n".join(lines), definitions)
    [err] = [e for e in result.errors if e.code == "extract.layout_unmapped"]
    assert "income rows grand_total" in err.message and "expense rows grand_total" in err.message
    assert result.status == "partial"
