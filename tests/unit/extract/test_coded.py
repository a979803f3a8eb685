"""Function-coded tables (extract/coded.py): code cells, data rows, 合计 rows, rows realigned
by their arithmetic, and whole small grids."""

from __future__ import annotations

import pytest

from extractor.definitions import Definitions, TableDef
from extractor.extract.coded import (
    _align_values,
    _code_cells,
    _drop_leading,
    _header_spill,
    _is_coded_data,
    _label_end,
    _label_overflow,
    _level,
    _printed_as_none,
    _unmerge_total,
    label_kinds,
    map_function_coded,
)
from extractor.extract.common import MapContext
from extractor.layout.grid import HeaderColumn
from extractor.model import SourceCell, SourceRow, Table

from ..grids import region, row, rows


def _tdef(defs: Definitions, table_id: str) -> TableDef:
    t = defs.table(table_id)
    assert t is not None
    return t


def _header(first: int, *names: str) -> list[HeaderColumn]:
    return [HeaderColumn(first + k, (n,), None) for k, n in enumerate(names)]


# ---------------------------------------------------------------- label cells


def test_label_kinds_by_header() -> None:
    paths = [("科目编码",), ("单位代码",), ("单位名称",), ("合计",)]
    assert label_kinds(paths, 3) == ["label", "unit_code", "unit_name"]
    # only unit columns (部门收入总表): they are the row's code and name
    assert label_kinds([("单位代码",), ("单位名称",)], 2) == ["label", "label"]
    assert label_kinds([("科目编码",)], 2) == ["label", "label"]  # a column with no header


def test_code_split_over_lei_kuan_xiang_cells() -> None:
    got = _code_cells(row("208\t05\t05\t机关事业单位基本养老保险缴费支出\t30.00"), 4)
    assert got.code == "2080505"
    assert got.code_as_printed == "208 05 05"
    assert got.name == "机关事业单位基本养老保险缴费支出"


def test_code_in_one_cell_is_printed_as_is() -> None:
    got = _code_cells(row("20805\t行政事业单位养老支出"), 2)
    assert (got.code, got.code_as_printed, got.name) == ("20805", None, "行政事业单位养老支出")


def test_code_and_name_in_one_cell_are_split() -> None:
    got = _code_cells(row("2130104 事业运行\t\t5.00"), 2)
    assert (got.code, got.code_as_printed, got.name) == ("2130104", None, "事业运行")


def test_unit_columns_are_read_apart_from_the_code() -> None:
    got = _code_cells(row("201\t001\t某某局 本级\t30.00"), ["label", "unit_code", "unit_name"])
    assert (got.code, got.name) == ("201", None)
    assert (got.unit_code, got.unit_name) == ("001", "某某局本级")


def test_a_name_only_row_has_no_code() -> None:
    got = _code_cells(row("合计\t\t30.00"), 2)
    assert (got.code, got.name) == (None, "合计")


@pytest.mark.parametrize(
    ("text", "coded"),
    [
        ("2080505\t名称\t1.00", True),
        ("208\t05\t05\t名称\t1.00", True),  # code parts
        ("2130104 事业运行\t1.00", True),  # code and name in one cell
        ("合计\t\t30.00", True),
        ("\t\t30.00\t20.00", True),  # values whose label sits on another line
        ("合计\t\t\t", False),
        ("科目编码\t科目名称\t合计", False),
        ("05\t名称\t1.00", False),  # one code part alone is not a code
        ("\t\t\t", False),
    ],
)
def test_is_coded_data(text: str, coded: bool) -> None:
    assert _is_coded_data(row(text)) is coded


def test_printed_as_none() -> None:
    assert _printed_as_none(row("无\t\t\t"), 2)
    assert _printed_as_none(row("\t无\t\t"), 2)
    assert not _printed_as_none(row("无\t\t\t30.00"), 2)
    assert not _printed_as_none(row("201\t一般公共服务支出\t30.00"), 2)


@pytest.mark.parametrize(
    ("code", "level"),
    [("201", "类"), ("20101", "款"), ("2010101", "项"), (None, None), ("2010", None)],
)
def test_level_of_a_code(code: str | None, level: str | None) -> None:
    assert _level(code) == level


def test_label_end_skips_code_parts_before_the_name() -> None:
    assert _label_end(row("208\t05\t05\t名称\t30.00")) == 3
    assert _label_end(row("\t\t名称\t30.00")) == 2
    assert _label_end(row("30.00\t20.00")) is None
    assert _label_end(row("\t\t")) is None


def test_label_overflow_only_when_every_row_agrees() -> None:
    one_right = rows("201\t一般公共服务支出\t30.00", "20101\t人大事务\t10.00")
    assert _label_overflow(one_right, 1) == 1
    mixed = [*one_right, row("合计\t30.00")]  # this one's label ends in place
    assert _label_overflow(mixed, 1) == 0
    assert _label_overflow(one_right, 2) == 0  # labels end where the header says
    far = rows("201\t\t\t\t名称\t30.00")
    assert _label_overflow(far, 1) == 0  # more than two cells off is not a header offset


def test_drop_leading_empty_cells_before_the_labels() -> None:
    r = row("\t201\t一般公共服务支出\t30.00\t20.00\t10.00")
    fixed, k = _drop_leading(r, 2)
    assert k == 1
    assert fixed.texts == ["201", "一般公共服务支出", "30.00", "20.00", "10.00"]
    # labels that end before the values, or printed cells before them: unchanged
    same = row("201\t一般公共服务支出\t30.00")
    assert _drop_leading(same, 2) == (same, 0)
    busy = row("备注\t一般公共服务支出\t其他\t30.00")  # labels reach on, from a printed cell
    assert _drop_leading(busy, 2) == (busy, 0)


# ---------------------------------------------------------------- 合计 rows


def test_header_spill_splits_header_words_off_a_total_row() -> None:
    r = row("合计\t\t小计\t基本支出\t项目支出", line=7)
    spill = _header_spill(r)
    assert spill is not None
    head, data = spill
    assert head.texts == ["", "", "小计", "基本支出", "项目支出"]
    assert data.texts == ["合计", "", "", "", ""]
    assert head.line == data.line == 7
    assert _header_spill(row("201\t名称\t小计")) is None  # not a total row
    assert _header_spill(row("合计\t\t30.00")) is None  # no header words


def test_unmerge_total_merged_over_code_and_name() -> None:
    merged = row("合计\t30.00\t20.00\t10.00")
    assert _unmerge_total(merged, 2, 3).texts == ["合计", "", "30.00", "20.00", "10.00"]
    # a TAB row whose blank second cell is the (empty) name cell: already in place
    tab = row("合计\t\t20.00\t10.00")
    assert _unmerge_total(tab, 2, 3) is tab
    # one cell per line keeps every cell: the count tells it lacks the name cell
    per_line = SourceRow(
        tuple(SourceCell(t, line=10 + k) for k, t in enumerate(["合计", "", "20.00", "10.00"])),
        tabbed=True,
        line=10,
    )
    assert _unmerge_total(per_line, 2, 3).texts == ["合计", "", "", "20.00", "10.00"]
    named = row("合计\t名称\t30.00")
    assert _unmerge_total(named, 2, 1) is named
    assert _unmerge_total(merged, 1, 3) is merged  # one label column: nothing merged


# ---------------------------------------------------------------- _align_values


def test_align_values_keeps_a_row_that_adds_up(definitions: Definitions) -> None:
    ids = _tdef(definitions, "final.gpb_expense").identities
    r = row("201\t一般公共服务支出\t30.00\t20.00\t10.00")
    vals, cells, note = _align_values(
        r, 2, _header(2, "小计", "基本支出", "项目支出"), ["c1", "c2", "c3"], ids
    )
    assert vals == ["30.00", "20.00", "10.00"]
    assert note is None
    assert {c.status for c in cells} == {"ok"}


def _gov_fund(defs: Definitions) -> tuple[list[HeaderColumn], list[str | None], TableDef]:
    names = ("年初结转和结余", "本年收入", "小计", "基本支出", "项目支出", "年末结转和结余")
    header = _header(2, *names)
    return header, ["c1", "c2", "c3", "c4", "c5", "c6"], _tdef(defs, "final.gov_fund")


def test_align_values_restores_a_lost_empty_cell(definitions: Definitions) -> None:
    """07 (c3 = c4 + c5; c6 = c1 + c2 - c3): c2 10 and c6 10, the cells between blank; one of
    the blank cells of c3..c5 was lost, which put c6's 10 under c5."""
    header, keys, tdef = _gov_fund(definitions)
    r = row("229\t其他支出\t\t10.00\t\t\t10.00", line=5)
    vals, cells, note = _align_values(r, 2, header, keys, tdef.identities, width=8)
    assert vals == [None, "10.00", None, None, None, "10.00"]
    assert note == (
        "realigned: one lost empty cell restored before cell 5 (header and row arithmetic)"
    )
    assert {c.status for c in cells} == {"realigned"}
    assert cells[-1].line == 5


def test_align_values_restores_nothing_when_the_arithmetic_does_not_improve(
    definitions: Definitions,
) -> None:
    header, keys, tdef = _gov_fund(definitions)
    # c3 = c4 + c5 holds as printed: no place for a lost cell does better
    r = row("229\t其他支出\t\t\t10.00\t4.00\t6.00")
    vals, _, note = _align_values(r, 2, header, keys, tdef.identities, width=8)
    assert vals == [None, None, "10.00", "4.00", "6.00", None]
    assert note is None


def test_align_values_after_extra_leading_cells_were_dropped(definitions: Definitions) -> None:
    header, keys, tdef = _gov_fund(definitions)
    printed = row("\t229\t其他支出\t\t10.00\t\t\t10.00")
    r, dropped = _drop_leading(printed, 2)
    assert dropped == 1
    vals, cells, note = _align_values(r, 2, header, keys, tdef.identities, 8, dropped)
    assert vals == [None, "10.00", None, None, None, "10.00"]
    assert note is not None and note.startswith(
        "realigned: 1 extra leading cell(s) dropped and one lost empty cell restored"
    )
    assert {c.status for c in cells} == {"realigned"}


def test_align_values_dropped_cells_alone(definitions: Definitions) -> None:
    ids = _tdef(definitions, "final.gpb_expense").identities
    r, dropped = _drop_leading(row("\t201\t一般公共服务支出\t30.00\t20.00\t10.00"), 2)
    header = _header(2, "小计", "基本支出", "项目支出")
    vals, cells, note = _align_values(r, 2, header, ["c1", "c2", "c3"], ids, 5, dropped)
    assert vals == ["30.00", "20.00", "10.00"]
    assert note == "realigned: 1 extra leading cell(s) dropped"
    assert {c.status for c in cells} == {"realigned"}


def test_align_values_shifts_over_an_extra_empty_cell(definitions: Definitions) -> None:
    ids = _tdef(definitions, "final.gpb_expense").identities
    r = row("201\t一般公共服务支出\t\t30.00\t20.00\t10.00")
    header = _header(2, "小计", "基本支出", "项目支出")
    vals, cells, note = _align_values(r, 2, header, ["c1", "c2", "c3"], ids, width=5)
    assert vals == ["30.00", "20.00", "10.00"]
    assert note == "realigned: cells shifted +1 against the header, so the row identities hold"
    assert {c.status for c in cells} == {"realigned"}


def test_align_values_shifts_left_into_the_name_cell(definitions: Definitions) -> None:
    """Code and name in one cell: the values sit one cell left of their header."""
    ids = _tdef(definitions, "final.gpb_expense").identities
    r = row("2010101 行政运行\t31.35\t0.00\t31.35")
    header = _header(2, "小计", "基本支出", "项目支出")
    vals, _, note = _align_values(r, 2, header, ["c1", "c2", "c3"], ids, width=5)
    assert vals == ["31.35", "0.00", "31.35"]
    assert note is not None and "shifted -1" in note


def test_align_values_never_shifts_a_printed_amount_away(definitions: Definitions) -> None:
    ids = _tdef(definitions, "final.gpb_expense").identities
    # 30 ≠ 20 + 5 however it is shifted: a shift would drop the 30 or the 5
    r = row("201\t一般公共服务支出\t30.00\t20.00\t5.00")
    header = _header(2, "小计", "基本支出", "项目支出")
    vals, cells, note = _align_values(r, 2, header, ["c1", "c2", "c3"], ids, width=5)
    assert vals == ["30.00", "20.00", "5.00"]
    assert note is None
    assert {c.status for c in cells} == {"ok"}


def test_align_values_marks_a_short_row(definitions: Definitions) -> None:
    ids = _tdef(definitions, "final.gpb_expense").identities
    r = row("201\t一般公共服务支出\t30.00\t30.00")
    header = _header(2, "小计", "基本支出", "项目支出")
    vals, cells, note = _align_values(r, 2, header, ["c1", "c2", "c3"], ids, width=5)
    assert vals == ["30.00", "30.00", None]
    assert note is None
    assert {c.status for c in cells} == {"short_row"}


def test_align_values_without_identities_reads_cells_where_they_are() -> None:
    r = row("201\t一般公共服务支出\t\t30.00\t20.00\t10.00")
    header = _header(2, "小计", "基本支出", "项目支出")
    vals, _, note = _align_values(r, 2, header, [None, None, None], [], width=5)
    assert vals == [None, "30.00", "20.00"]
    assert note is None


# ---------------------------------------------------------------- whole grids


def _map(defs: Definitions, table_id: str | None, *lines: str) -> Table:
    tdef = _tdef(defs, table_id) if table_id else None
    return map_function_coded(region("t", *lines), tdef, MapContext(defs))


def _summary(t: Table) -> list[tuple[str | None, str | None, str | None, list[str | None]]]:
    return [(r.code, r.level, r.name, r.values) for r in t.rows]


def test_grid_with_lanci_total_and_code_parts(definitions: Definitions) -> None:
    t = _map(
        definitions,
        "final.gpb_expense",
        "科目编码\t\t\t科目名称\t本年支出\t\t",
        "类\t款\t项\t\t小计\t基本支出\t项目支出",
        "栏次\t\t\t\t1\t2\t3",
        "合计\t\t\t\t30.00\t20.00\t10.00",
        "208\t\t\t社会保障和就业支出\t30.00\t20.00\t10.00",
        "208\t05\t\t行政事业单位养老支出\t30.00\t20.00\t10.00",
        "208\t05\t05\t机关事业单位基本养老保险缴费支出\t30.00\t20.00\t10.00",
    )
    assert [(c.key, c.name, c.col_no) for c in t.columns] == [
        ("c1", "本年支出/小计", "1"),
        ("c2", "本年支出/基本支出", "2"),
        ("c3", "本年支出/项目支出", "3"),
    ]
    assert _summary(t) == [
        (None, "total", "合计", ["30.00", "20.00", "10.00"]),
        ("208", "类", "社会保障和就业支出", ["30.00", "20.00", "10.00"]),
        ("20805", "款", "行政事业单位养老支出", ["30.00", "20.00", "10.00"]),
        ("2080505", "项", "机关事业单位基本养老保险缴费支出", ["30.00", "20.00", "10.00"]),
    ]
    assert [r.code_as_printed for r in t.rows] == [None, None, "208 05", "208 05 05"]
    assert [r.line for r in t.rows] == [4, 5, 6, 7]
    assert t.layout == "function_coded"


def test_total_printed_on_the_lanci_line_and_a_repeated_header(definitions: Definitions) -> None:
    t = _map(
        definitions,
        "final.gpb_expense",
        "科目编码\t科目名称\t小计\t基本支出\t项目支出",
        "合计\t栏次\t1\t2\t3",
        "\t\t30.00\t20.00\t10.00",
        "201\t一般公共服务支出\t30.00\t20.00\t10.00",
        "科目编码\t科目名称\t小计\t基本支出\t项目支出",
        "20101\t人大事务\t30.00\t20.00\t10.00",
    )
    assert _summary(t) == [
        (None, "total", "合计", ["30.00", "20.00", "10.00"]),
        ("201", "类", "一般公共服务支出", ["30.00", "20.00", "10.00"]),
        ("20101", "款", "人大事务", ["30.00", "20.00", "10.00"]),
    ]


def test_header_words_printed_in_the_total_row(definitions: Definitions) -> None:
    t = _map(
        definitions,
        "final.gpb_expense",
        "科目编码\t科目名称\t本年支出",
        "合计\t\t小计\t基本支出\t项目支出",
        "201\t一般公共服务支出\t30.00\t20.00\t10.00",
    )
    assert [c.key for c in t.columns] == ["c1", "c2", "c3"]
    assert _summary(t) == [
        (None, "total", "合计", [None, None, None]),
        ("201", "类", "一般公共服务支出", ["30.00", "20.00", "10.00"]),
    ]


def test_header_printed_one_cell_left_of_its_grid(definitions: Definitions) -> None:
    t = _map(
        definitions,
        "final.gpb_expense",
        "科目编码\t小计\t基本支出\t项目支出",
        "201\t一般公共服务支出\t30.00\t20.00\t10.00",
        "20101\t人大事务\t30.00\t20.00\t10.00",
    )
    assert [c.key for c in t.columns] == ["c1", "c2", "c3"]
    assert _summary(t)[1] == ("20101", "款", "人大事务", ["30.00", "20.00", "10.00"])


def test_a_table_printed_as_none_has_no_rows(definitions: Definitions) -> None:
    t = _map(
        definitions,
        "final.gpb_expense",
        "科目编码\t科目名称\t小计\t基本支出\t项目支出",
        "栏次\t\t1\t2\t3",
        "无\t\t\t\t",
    )
    assert t.rows == []


def test_none_printed_under_a_blank_total_row(definitions: Definitions) -> None:
    t = _map(
        definitions,
        "final.gpb_expense",
        "科目编码\t科目名称\t小计\t基本支出\t项目支出",
        "合计\t\t\t\t",
        "无\t\t\t\t",
    )
    assert _summary(t) == [(None, "total", "合计", [None, None, None])]


def test_unknown_coded_table_reads_values_without_keys(definitions: Definitions) -> None:
    t = _map(
        definitions,
        None,
        "科目编码\t科目名称\t金额",
        "201\t一般公共服务支出\t30.00",
        "\t\t\t",
        "合计\t\t30.00",
    )
    assert [(c.key, c.name) for c in t.columns] == [(None, "金额")]
    assert _summary(t) == [
        ("201", "类", "一般公共服务支出", ["30.00"]),
        (None, "total", "合计", ["30.00"]),
    ]


def test_code_and_name_in_one_cell_with_the_values_one_cell_left(
    definitions: Definitions,
) -> None:
    """Regression: the row lacks its name cell, so its first amount stands in the name column;
    it was glued to the name ("行政运行31.35") and, printed as "96", taken for a code part."""
    t = _map(
        definitions,
        "final.gpb_expense",
        "科目编码\t科目名称\t小计\t基本支出\t项目支出",
        "2010101 行政运行\t31.35\t0.00\t31.35",
        "2010102 一般行政管理事务\t96\t0\t96",
    )
    assert _summary(t) == [
        ("2010101", "项", "行政运行", ["31.35", "0.00", "31.35"]),
        ("2010102", "项", "一般行政管理事务", ["96", "0", "96"]),
    ]
    assert all(r.note and "shifted -1" in r.note for r in t.rows)
