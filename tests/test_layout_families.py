"""Layout families (issue 12, item 3): generated 决算 text in layouts the project's default
style never prints must be read cell for cell, with no silent error and no failing identity."""

from __future__ import annotations

import pytest

from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.ingest.text import clean_line, rows_from_lines
from extractor.layout.tables import align_columns, find_regions
from extractor.model import SourceCell, SourceRow
from extractor.pipeline import extract_bytes
from extractor_evals.generate import generate_final_report
from extractor_evals.harness import Case, CaseMetrics, measure, resolve_datasets
from extractor_evals.layout_families import (
    FAMILIES,
    HELD_OUT,
    PDF_FAMILIES,
    draw,
    draw_pdf,
    layout_case,
    pdf_family_case,
)
from extractor_evals.render_text import TextStyle, render_report
from extractor_evals.score import score_document
from tests.gen_util import extract_text


@pytest.mark.parametrize("family", FAMILIES)
def test_family_is_read_cell_for_cell(family: str, definitions: Definitions) -> None:
    for seed in range(3):
        text, doc = layout_case(family, seed)
        result = extract_text(text, definitions)
        m = measure(Case(family, text.encode(), doc), result, 0.0)
        assert m.tables_found == m.tables_expected
        assert m.cells_exact == m.cells, (family, seed)
        assert m.silent_errors == 0 and m.hard_fail == 0
        assert result.status == "ok", [e.message for e in result.errors]


def test_families_draw_their_parameters_from_the_seed() -> None:
    styles = {draw("mixed", seed)[1] for seed in range(12)}
    assert len(styles) > 6  # a parameter space, not one style
    assert draw("split", 5) == draw("split", 5)  # deterministic
    assert all(draw("cells", s)[1].layout == "cell_per_line" for s in range(5))
    with pytest.raises(ValueError):
        draw("nonsense", 0)


def test_layout_dataset_spec_and_held_out_range() -> None:
    [(name, cases)] = resolve_datasets([f"generated-layout:{len(FAMILIES)}:{HELD_OUT}"])
    assert name == f"generated-layout:{len(FAMILIES)}:{HELD_OUT}"
    assert [c.name.split("-", 1)[1] for c in cases] == list(FAMILIES)
    assert cases[0].name.startswith(f"layout{HELD_OUT:04d}")
    [(_, one)] = resolve_datasets(["generated-layout-title_after:2"])
    assert [c.name for c in one] == ["layout0000-title_after", "layout0001-title_after"]


def test_bookmark_opening_a_title_line_is_dropped() -> None:
    assert clean_line("[bookmark: RANGE!A1:I34]一般公共预算财政拨款基本支出决算明细表") == (
        "一般公共预算财政拨款基本支出决算明细表"
    )
    assert clean_line("[bookmark: RANGE!A1:I34]") == ""


def test_stacked_two_sided_tables_are_read_as_two_sides(definitions: Definitions) -> None:
    doc = generate_final_report(3)
    text = render_report(doc, TextStyle(stacked_sides=True, layout="cell_per_line"))
    result = extract_text(text, definitions)
    for table in (t for t in result.tables if t.table_id in ("公开01表", "公开04表")):
        assert table.layout == "two_sided"
        assert [s.key for s in table.sections] == ["income", "expense"]


def test_titles_after_their_tables(definitions: Definitions) -> None:
    doc = generate_final_report(1)
    result = extract_text(render_report(doc, TextStyle(title_after=True)), definitions)
    assert [t.table_id for t in result.tables] == [t["table_id"] for t in doc["tables"]]
    first = result.tables[0]
    assert first.definition == "final.summary" and first.unit == doc["tables"][0]["unit"]


def test_empty_three_public_table_printed_with_a_blank_row(definitions: Definitions) -> None:
    doc = generate_final_report(1, empty_tables=True)
    t09 = next(t for t in doc["tables"] if t["table_id"] == "公开09表")
    t09["rows"] = [{"code": None, "name": None, "values": [None] * 12}]
    for layout in ("tab_rows", "cell_per_line"):
        text = render_report(doc, TextStyle(layout=layout))
        result = extract_text(text, definitions)
        got = next(t for t in result.tables if t.table_id == "公开09表")
        assert got.empty and len(got.rows) == 1 and got.rows[0].values == [None] * 12


def _pdf_row(cells: list[tuple[str, float]], page: int) -> SourceRow:
    return SourceRow(
        tuple(
            SourceCell(t, page=page, bbox=(x, 0.0, x + 20.0, 8.0) if t else None, origin="pdf")
            for t, x in cells
        ),
        tabbed=True,
        page=page,
    )


def test_a_header_less_page_part_is_regridded_by_position() -> None:
    """A stacked side split over two unruled pages: page 1's grid has a column for the
    centred 项目 heading that page 2 (no header) lacks; page 2's cells go by x position."""
    page1 = [
        _pdf_row([("", 0), ("项目", 250), ("行次", 500), ("金额", 540)], 1),
        _pdf_row([("一、一般公共服务支出", 30), ("", 0), ("31", 505), ("3,258.67", 535)], 1),
    ]
    page2 = [_pdf_row([("二、外交支出", 30), ("32", 505), ("0.00", 545)], 2)]
    [row] = align_columns(page1, page2)
    assert [c.text for c in row.cells] == ["二、外交支出", "", "32", "0.00"]
    assert align_columns(page1, page1) == page1  # same width: unchanged


def test_a_line_with_only_the_next_row_number_is_a_table_row() -> None:
    lines = [
        "收入支出决算总表",
        "",
        "项目\t行次\t金额",
        "本年收入合计\t27\t10.00",
        "28",
        "总计\t29\t10.00",
    ]
    rows = rows_from_lines(lines)
    [region] = find_regions(rows)
    assert [r.texts for r in region.rows[-2:]] == [["", "28", ""], ["总计", "29", "10.00"]]


_PDF_SEEDS = {"landscape": (0, 1, 2), "partial_rules": (0, 5, 14), "header_wrap": (0, 1, 3)}


def _pdf_metrics(family: str, seed: int, definitions: Definitions) -> CaseMetrics:
    pdf, truth, _ = pdf_family_case(family, seed)
    result = extract_bytes(
        pdf, source_name="t.pdf", config=ExtractConfig(), definitions=definitions
    )
    return measure(Case(family, pdf, truth), result, 0.0)


@pytest.mark.parametrize("family", PDF_FAMILIES)
def test_pdf_family_is_read_or_flagged(family: str, definitions: Definitions) -> None:
    """Every wrong cell of a PDF layout family is covered by a failing check or a flagged
    table: never silently wrong."""
    for seed in _PDF_SEEDS[family]:
        m = _pdf_metrics(family, seed, definitions)
        assert m.tables_found == m.tables_expected, (family, seed)
        assert m.silent_errors == 0, (family, seed, m.cells_exact, m.cells)
        assert m.cells_exact > 0.97 * m.cells, (family, seed, m.cells_exact, m.cells)


def test_header_of_one_character_lines_is_one_header(definitions: Definitions) -> None:
    """Seed 12: narrow unruled columns set 上级补助收入 and 附属单位上缴收入 one character a
    line, rising above the other headers; those upper lines looked like a two-column table
    of their own, and 公开02表's amounts shifted a column with every check passing."""
    m = _pdf_metrics("header_wrap", 12, definitions)
    assert m.silent_errors == 0 and m.cells_exact == m.cells and m.status == "ok"


def test_pdf_families_draw_their_parameters_from_the_seed() -> None:
    rules = {draw_pdf("partial_rules", s).rules for s in range(30)}
    assert rules == {"horizontal", "header_total", "alternate", "frame"}
    assert all(draw_pdf("landscape", s).landscape for s in range(10))
    wraps = {
        (draw_pdf("header_wrap", s).header_lines, draw_pdf("header_wrap", s).header_balance)
        for s in range(30)
    }
    assert len(wraps) == 4 and all(draw_pdf("header_wrap", s).wrap_headers for s in range(5))
    with pytest.raises(ValueError):
        draw_pdf("nonsense", 0)
    [(_, cases)] = resolve_datasets([f"generated-layout-pdf-landscape:2:{HELD_OUT}"])
    assert [c.name for c in cases] == [
        f"layout{HELD_OUT:04d}-pdf_pdf_landscape",
        f"layout{HELD_OUT + 1:04d}-pdf_pdf_landscape",
    ]


# one generated report per failure class the PDF reader had (issue 12 item 3, tuning seeds)
_PDF_CLASSES = [
    # a stacked side's heading (支出) closes page 1, its header on page 2: no extra row
    pytest.param("header_wrap", 10, "公开01表", id="side-heading-at-page-end"),
    # 总计 alone on the last page after padding rows printing only their 行次: kept
    pytest.param("partial_rules", 5, "公开04表", id="lone-total-row-two-amounts"),
    pytest.param("partial_rules", 16, "公开01表", id="lone-total-row-one-amount"),
    # the outer frame only: a table, not one drawn cell holding the header and 合计
    pytest.param("partial_rules", 13, "公开07表", id="frame-only"),
    # every other row boxed: a boxed 总计 row is read with the unruled rows around it
    pytest.param("partial_rules", 2, "公开01表", id="alternate-boxed-rows"),
    # an all-zero row of one line, amounts set right of centred headers
    pytest.param("partial_rules", 10, "公开07表", id="amounts-right-of-centred-headers"),
]


@pytest.mark.parametrize(("family", "seed", "table"), _PDF_CLASSES)
def test_pdf_failure_class_is_read(
    family: str, seed: int, table: str, definitions: Definitions
) -> None:
    pdf, truth, _ = pdf_family_case(family, seed)
    result = extract_bytes(
        pdf, source_name="t.pdf", config=ExtractConfig(), definitions=definitions
    )
    [score] = [s for s in score_document(result.model_dump(mode="json"), truth) if s.table == table]
    assert score.found and score.rows_got == score.rows_expected, (
        score.rows_got,
        score.rows_expected,
    )
    assert score.mismatches == [], score.mismatches[:5]
    m = measure(Case(family, pdf, truth), result, 0.0)
    assert m.cells_exact == m.cells and m.silent_errors == 0


@pytest.mark.parametrize(
    ("family", "seed"),
    [
        # unruled 07/08/09: 项目 centred over the gap between 科目编码 and 科目名称, 本年支出 over
        # one of its three columns, 09's 预算数 over six columns and 公务用车购置及运行维护费
        # over three, beside leaves centred on two levels (合计, 公务接待费)
        pytest.param("landscape", 17, id="group-titles-narrower-than-their-group"),
        # narrow columns wrapped 3 lines: a wrapped cell's lines and its neighbour's lower
        # line are no group title
        pytest.param("header_wrap", 5, id="wrapped-cells-are-no-group-titles"),
        # an empty 07 (合计 blank, no other row): 本年支出 beside its columns, none right
        # under it, with 年初结转和结余 centred on both levels in the same row
        pytest.param("partial_rules", 11, id="group-title-over-a-blank-table"),
    ],
)
def test_unruled_group_titles_span_their_columns(
    family: str, seed: int, definitions: Definitions
) -> None:
    pdf, truth, _ = pdf_family_case(family, seed)
    result = extract_bytes(
        pdf, source_name="t.pdf", config=ExtractConfig(), definitions=definitions
    )
    assert [e.message for e in result.errors] == [] and result.status == "ok"
    t09 = next(t for t in result.tables if t.table_id == "公开09表")
    assert [c.key for c in t09.columns] == [f"c{i}" for i in range(1, 13)]
    m = measure(Case(family, pdf, truth), result, 0.0)
    assert m.cells_exact == m.cells and m.silent_errors == 0
