"""The other layouts (extract/layouts.py): two-sided summaries, economic blocks, single-row,
sectioned and generic tables, on small grids."""

from __future__ import annotations

import pytest

from extractor.definitions import Definitions, TableDef
from extractor.extract.common import MapContext
from extractor.extract.layouts import (
    _code_and_name,
    _side_blocks,
    map_economic_blocks,
    map_generic,
    map_sectioned,
    map_single_row,
    map_two_sided,
)
from extractor.model import Row, Section, Table

from ..grids import region, rows


def _tdef(defs: Definitions, table_id: str) -> TableDef:
    t = defs.table(table_id)
    assert t is not None
    return t


def _side(s: Section) -> tuple[str, str | None, list[tuple[int | None, str | None, str | None]]]:
    return s.section, s.key, [(r.row_no, r.name, r.role) for r in s.rows]


def _values(rs: list[Row]) -> list[list[str | None]]:
    return [r.values for r in rs]


# ---------------------------------------------------------------- two-sided


_SIDE_BY_SIDE = (
    "收入\t\t\t支出\t\t",
    "项目\t行次\t金额\t项目\t行次\t金额",
    "栏次\t\t1\t栏次\t\t2",
    "一般公共预算财政拨款收入\t1\t80.00\t一般公共服务支出\t5\t60.00",
    "事业收入\t2\t20.00\t教育支出\t6\t40.00",
    "本年收入合计\t3\t100.00\t本年支出合计\t7\t100.00",
    "总计\t4\t100.00\t总计\t8\t100.00",
)


def test_side_blocks_side_by_side_and_stacked() -> None:
    (block,) = _side_blocks(rows(*_SIDE_BY_SIDE))
    assert block.starts == [0, 3]
    assert block.lanci_no == {2: "1", 5: "2"}
    assert [r.line for r in block.data] == [4, 5, 6, 7]
    stacked = _side_blocks(
        rows(
            "收入",
            "项目\t行次\t金额",
            "事业收入\t1\t20.00",
            "支出",
            "项目\t行次\t金额",
            "教育支出\t2\t20.00",
        )
    )
    assert [b.starts for b in stacked] == [[0], [0]]
    # the next side's heading row (支出) is not data of the first side
    assert [[r.line for r in b.data] for b in stacked] == [[3], [6]]
    assert _side_blocks(rows("项目\t行次\t金额", "事业收入\t1\t20.00")) == []
    assert len(_side_blocks(rows("项目\t行次\t金额", "事业收入\t1\t20.00"), least=1)) == 1


def test_two_sided_side_by_side(definitions: Definitions) -> None:
    tdef = _tdef(definitions, "final.summary")
    t = map_two_sided(region("收入支出决算总表", *_SIDE_BY_SIDE), tdef, MapContext(definitions))
    income, expense = t.sections
    assert _side(income) == (
        "收入",
        "income",
        [
            (1, "一般公共预算财政拨款收入", "inc1"),
            (2, "事业收入", "inc5"),
            (3, "本年收入合计", "income_total"),
            (4, "总计", "grand_total"),
        ],
    )
    assert [(c.key, c.name, c.col_no) for c in income.columns] == [("c1", "金额", "1")]
    assert _values(income.rows) == [["80.00"], ["20.00"], ["100.00"], ["100.00"]]
    assert _side(expense)[:2] == ("支出", "expense")
    roles = [r.role for r in expense.rows]
    assert roles == ["class:201", "class:205", "expense_total", "grand_total"]
    assert [(c.key, c.col_no) for c in expense.columns] == [("c2", "2")]
    assert t.layout == "two_sided"


def test_two_sided_stacked_sides(definitions: Definitions) -> None:
    tdef = _tdef(definitions, "final.summary")
    reg = region(
        "收入支出决算总表",
        "收入",
        "项目\t行次\t金额",
        "一般公共预算财政拨款收入\t1\t80.00",
        "本年收入合计\t2\t80.00",
        "支出",
        "项目\t行次\t金额",
        "一般公共服务支出\t3\t80.00",
        "本年支出合计\t4\t80.00",
    )
    income, expense = map_two_sided(reg, tdef, MapContext(definitions)).sections
    assert _side(income) == (
        "收入",
        "income",
        [(1, "一般公共预算财政拨款收入", "inc1"), (2, "本年收入合计", "income_total")],
    )
    assert _side(expense) == (
        "支出",
        "expense",
        [(3, "一般公共服务支出", "class:201"), (4, "本年支出合计", "expense_total")],
    )


def test_two_sided_part_with_one_unheaded_side_takes_the_side_its_rows_name(
    definitions: Definitions,
) -> None:
    tdef = _tdef(definitions, "final.summary")
    reg = region(
        "收入支出决算总表",
        "项目\t行次\t金额",
        "一般公共服务支出\t3\t80.00",
        "本年支出合计\t4\t80.00",
        "年末结转和结余\t5\t0.00",
    )
    (side,) = map_two_sided(reg, tdef, MapContext(definitions)).sections
    assert side.key == "expense"
    assert side.section == "支出"  # the definition's name for it
    assert [r.role for r in side.rows] == ["class:201", "expense_total", "carry_out"]


def test_two_sided_row_numbers_without_a_heading(definitions: Definitions) -> None:
    tdef = _tdef(definitions, "final.summary")
    reg = region(
        "收入支出决算总表",
        "收入\t\t\t支出\t\t",
        "项目\t\t金额\t项目\t\t金额",
        "一般公共预算财政拨款收入\t1\t80.00\t一般公共服务支出\t4\t80.00",
        "本年收入合计\t2\t80.00\t本年支出合计\t5\t80.00",
        "总计\t3\t80.00\t总计\t6\t80.00",
    )
    income, expense = map_two_sided(reg, tdef, MapContext(definitions)).sections
    assert [r.row_no for r in income.rows] == [1, 2, 3]
    assert [r.row_no for r in expense.rows] == [4, 5, 6]
    assert _values(expense.rows) == [["80.00"]] * 3  # the 1, 2, 3 column is not a value


def test_stacked_side_headings_printed_off_the_label_column(definitions: Definitions) -> None:
    reg = region(
        "收入支出决算总表",
        "\t收入\t",
        "项目\t行次\t金额",
        "事业收入\t1\t20.00",
        "\t支出\t",
        "项目\t行次\t金额",
        "教育支出\t2\t20.00",
    )
    t = map_two_sided(reg, _tdef(definitions, "final.summary"), MapContext(definitions))
    assert [(s.section, s.key) for s in t.sections] == [("收入", "income"), ("支出", "expense")]


def test_sides_whose_headings_name_no_side_are_taken_in_order(definitions: Definitions) -> None:
    reg = region(
        "收入支出决算总表",
        "甲\t\t\t乙\t\t",
        "项目\t行次\t金额\t项目\t行次\t金额",
        "事业收入\t1\t20.00\t教育支出\t2\t20.00",
    )
    t = map_two_sided(reg, _tdef(definitions, "final.summary"), MapContext(definitions))
    assert [(s.section, s.key) for s in t.sections] == [("甲", "income"), ("乙", "expense")]
    assert [s.rows[0].role for s in t.sections] == ["inc5", "class:205"]


def test_two_sided_without_two_sides_is_generic(definitions: Definitions) -> None:
    t = map_two_sided(region("x", "项目\t金额", "资金一\t12.50"), None, MapContext(definitions))
    assert t.layout == "generic"
    assert [(r.name, r.values) for r in t.rows] == [("资金一", ["12.50"])]


# ---------------------------------------------------------------- economic blocks


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["301", "工资福利支出"], ("301", "工资福利支出")),
        (["301 工资福利支出"], ("301", "工资福利支出")),  # code and name as one cell
        (["30101"], ("30101", None)),
        (["机关事业单位基本养", "30108老保险缴费"], ("30108", "机关事业单位基本养老保险缴费")),
        (["其他"], (None, "其他")),
        (["", " "], (None, None)),
    ],
)
def test_code_and_name_of_a_block(
    texts: list[str], expected: tuple[str | None, str | None]
) -> None:
    assert _code_and_name(texts) == expected


def _econ(t: Table) -> list[tuple[str | None, str | None, int | str | None, str | None]]:
    return [(r.code, r.name, r.block, r.values[0]) for r in t.rows]


def test_economic_blocks_side_by_side(definitions: Definitions) -> None:
    reg = region(
        "一般公共预算财政拨款基本支出决算表",
        "人员经费\t\t\t公用经费\t\t",
        "科目代码\t科目名称\t决算数\t科目代码\t科目名称\t决算数",
        "301\t工资福利支出\t50.00\t302\t商品和服务支出\t20.00",
        "30101\t基本工资\t30.00\t30201\t办公费\t20.00",
        "30102\t津贴补贴\t20.00\t\t\t",
        "303\t对个人和家庭的补助\t5.00\t\t\t",
        "人员经费合计\t\t55.00\t公用经费合计\t\t20.00",
    )
    t = map_economic_blocks(reg, _tdef(definitions, "final.basic_detail"), MapContext(definitions))
    assert t.layout == "economic_2_blocks"
    assert [(c.key, c.name) for c in t.columns] == [("c1", "决算数")]
    assert _econ(t) == [
        ("301", "工资福利支出", 1, "50.00"),
        ("30101", "基本工资", 1, "30.00"),
        ("30102", "津贴补贴", 1, "20.00"),
        ("303", "对个人和家庭的补助", 1, "5.00"),
        ("302", "商品和服务支出", 2, "20.00"),
        ("30201", "办公费", 2, "20.00"),
        (None, "人员经费合计", 1, "55.00"),
        (None, "公用经费合计", 2, "20.00"),
    ]
    assert [r.role for r in t.rows[-2:]] == ["personnel_total", "public_total"]


def test_economic_blocks_whose_code_and_name_came_out_as_one_cell(
    definitions: Definitions,
) -> None:
    reg = region(
        "一般公共预算财政拨款基本支出决算表",
        "科目代码科目名称\t决算数\t科目代码科目名称\t决算数",
        "301 工资福利支出\t50.00\t302 商品和服务支出\t20.00",
        "人员经费合计\t50.00\t公用经费合计\t20.00",
    )
    t = map_economic_blocks(reg, _tdef(definitions, "final.basic_detail"), MapContext(definitions))
    assert _econ(t) == [
        ("301", "工资福利支出", 1, "50.00"),
        ("302", "商品和服务支出", 2, "20.00"),
        (None, "人员经费合计", 1, "50.00"),
        (None, "公用经费合计", 2, "20.00"),
    ]


def test_the_last_total_covers_the_blocks_after_it(definitions: Definitions) -> None:
    reg = region(
        "一般公共预算财政拨款基本支出决算表",
        "科目代码\t科目名称\t决算数\t科目代码\t科目名称\t决算数\t科目代码\t科目名称\t决算数",
        "301\t工资福利支出\t50.00\t302\t商品和服务支出\t20.00\t310\t资本性支出\t5.00",
        "人员经费合计\t\t50.00\t公用经费合计\t\t25.00\t\t\t",
    )
    t = map_economic_blocks(reg, _tdef(definitions, "final.basic_detail"), MapContext(definitions))
    assert t.layout == "economic_3_blocks"
    assert [(r.name, r.block) for r in t.rows if r.code is None] == [
        ("人员经费合计", 1),
        ("公用经费合计", "2-3"),
    ]


def test_economic_table_without_block_headers_is_function_coded(
    definitions: Definitions,
) -> None:
    reg = region("t", "科目编码\t科目名称\t金额", "301\t工资福利支出\t50.00")
    t = map_economic_blocks(reg, _tdef(definitions, "final.basic_detail"), MapContext(definitions))
    assert t.layout == "function_coded"
    assert [(r.code, r.name, r.values) for r in t.rows] == [("301", "工资福利支出", ["50.00"])]


# ---------------------------------------------------------------- single row


def test_single_row_under_a_three_level_header(definitions: Definitions) -> None:
    reg = region(
        "三公经费支出决算表",
        "预算数\t\t\t\t\t\t决算数\t\t\t\t\t",
        "合计\t因公出国（境）费\t公务用车购置及运行费\t\t\t公务接待费"
        "\t合计\t因公出国（境）费\t公务用车购置及运行费\t\t\t公务接待费",
        "\t\t小计\t公务用车购置费\t公务用车运行维护费\t\t\t\t小计\t公务用车购置费\t公务用车运行维护费\t",
        "1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12",
        "10.00\t2.00\t6.00\t0.00\t6.00\t2.00\t9.00\t1.00\t6.00\t0.00\t6.00\t2.00",
    )
    t = map_single_row(reg, _tdef(definitions, "final.three_public"), MapContext(definitions))
    assert [c.key for c in t.columns] == [f"c{k}" for k in range(1, 13)]
    assert t.columns[4].name == "预算数/公务用车购置及运行费/公务用车运行维护费"
    assert t.columns[4].col_no == "5"
    (only,) = t.rows
    assert only.values[6:9] == ["9.00", "1.00", "6.00"]
    assert only.name is None


def test_single_row_with_a_leading_unit_column(definitions: Definitions) -> None:
    reg = region("t", "单位名称\t合计\t公务接待费", "某某局\t3.00\t3.00")
    t = map_single_row(reg, None, MapContext(definitions))
    assert [c.name for c in t.columns] == ["合计", "公务接待费"]
    assert [(r.name, r.values) for r in t.rows] == [("某某局", ["3.00", "3.00"])]


def test_single_row_printed_blank_is_an_empty_table(definitions: Definitions) -> None:
    t = map_single_row(region("t", "合计\t公务接待费", "\t"), None, MapContext(definitions))
    assert [r.values for r in t.rows] == [[None, None]]
    assert t.empty


def test_single_row_header_only_has_no_rows(definitions: Definitions) -> None:
    t = map_single_row(region("t", "合计\t公务接待费"), None, MapContext(definitions))
    assert t.rows == []
    assert [c.name for c in t.columns] == ["合计", "公务接待费"]


# ---------------------------------------------------------------- sectioned


def test_sectioned_with_headings_and_roles(definitions: Definitions) -> None:
    reg = region(
        "部门决算相关信息统计表",
        "一、政府采购",
        "项目\t行次\t统计数",
        "合计\t1\t30.00",
        "货物\t2\t10.00",
        "服务\t3\t20.00",
        "二、车辆",
        "车辆数合计\t4\t3",
        "机要通信用车\t5\t1",
        "其他用车\t6\t2",
    )
    t = map_sectioned(reg, _tdef(definitions, "final.public_info"), MapContext(definitions))
    first, second = t.sections
    assert _side(first) == (
        "一、政府采购",
        None,
        [(1, "合计", "procurement_total"), (2, "货物", "goods"), (3, "服务", "services")],
    )
    assert [(c.key, c.name) for c in first.columns] == [("c1", "统计数")]
    # the second section takes the first one's header
    assert [(c.key, c.name) for c in second.columns] == [("c1", "统计数")]
    assert [r.role for r in second.rows] == ["vehicles_total", "vehicle", "vehicle"]
    assert _values(second.rows) == [["3"], ["1"], ["2"]]


def test_sectioned_rows_before_any_heading_and_a_wrapped_row_number_heading(
    definitions: Definitions,
) -> None:
    reg = region(
        "t",
        "机要通信用车\t5\t1",
        "项目\t\t次\t统计数",  # 行次 wrapped: "次" on this line
        "其他用车\t\t6\t2",
        "(1)\t其他\t7\t2",
    )
    (sec,) = map_sectioned(reg, None, MapContext(definitions)).sections
    assert sec.section == ""
    assert [(r.row_no, r.name, r.values) for r in sec.rows] == [
        (5, "机要通信用车", ["1"]),
        (6, "其他用车", ["2"]),
        (7, "(1)其他", ["2"]),
    ]


def test_sectioned_row_number_printed_beside_its_column(definitions: Definitions) -> None:
    reg = region("t", "一、车辆", "项目\t行次\t\t统计数", "", "其他用车\t\t7\t2")
    (sec,) = map_sectioned(reg, None, MapContext(definitions)).sections
    assert [(r.row_no, r.name, r.values) for r in sec.rows] == [(7, "其他用车", ["2"])]


# ---------------------------------------------------------------- generic


def test_generic_with_codes_row_numbers_and_text_cells(definitions: Definitions) -> None:
    reg = region(
        "t",
        "科目编码\t科目名称\t行次\t金额\t备注",
        "栏次\t\t\t1\t",
        "201\t一般公共服务支出\t1\t12.50\t说明",
        "20101\t人大事务\t2\t7.50\t",
        "\t\t\t\t",
        "合计\t\t3\t20.00\t",
    )
    t = map_generic(reg, None, MapContext(definitions))
    assert [c.name for c in t.columns] == ["金额", "备注"]  # 行次 is a row number
    assert [(r.code, r.level, r.name, r.row_no, r.values, r.texts) for r in t.rows] == [
        ("201", "类", "一般公共服务支出", 1, ["12.50", None], [None, "说明"]),
        ("20101", "款", "人大事务", 2, ["7.50", None], None),
        (None, "total", "合计", 3, ["20.00", None], None),
    ]
    assert all(c.status == "ok" for r in t.rows for c in r.cells)  # text cells are no damage


def test_generic_without_a_header_names_columns_by_position(definitions: Definitions) -> None:
    t = map_generic(region("t", "资金一\t12.50\t说明"), None, MapContext(definitions))
    assert [c.name for c in t.columns] == ["col2", "col3"]
    assert [(r.name, r.values, r.texts) for r in t.rows] == [
        ("资金一", ["12.50", None], [None, "说明"])
    ]
