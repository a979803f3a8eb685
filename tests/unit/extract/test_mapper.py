"""Mapper dispatch and continuation parts (extract/mapper.py): the mapper a definition names,
the structure an unknown table shows, and tables split over pages joined as the pipeline
joins them (layout.tables.merge_continuations)."""

from __future__ import annotations

import pytest

from extractor.definitions import Definitions, TableDef
from extractor.extract.common import MapContext
from extractor.extract.layout_names import LAYOUTS
from extractor.extract.mapper import MAPPERS, _map_one, map_region
from extractor.layout.tables import merge_continuations
from extractor.model import Region, Table

from ..grids import region


def _tdef(defs: Definitions, table_id: str) -> TableDef:
    t = defs.table(table_id)
    assert t is not None
    return t


def _joined(*parts: Region) -> Region:
    (one,) = merge_continuations(list(parts))
    return one


def test_every_layout_name_has_its_mapper() -> None:
    assert set(MAPPERS) == set(LAYOUTS)


@pytest.mark.parametrize(
    ("lines", "layout"),
    [
        (
            ("收入\t\t支出\t", "项目\t金额\t项目\t金额", "事业收入\t5.00\t教育支出\t5.00"),
            "two_sided",
        ),
        (("合计\t公务接待费", "3.00\t3.00"), "single_row"),
        (
            ("科目编码\t科目名称\t金额", "合计\t\t5.00", "201\t一般公共服务支出\t5.00"),
            "function_coded",
        ),
        (("名称\t金额", "合计\t5.00", "201\t5.00"), "function_coded"),  # a code first
        (("名称\t金额", "资金一\t5.00", "资金二\t7.00"), "generic"),
    ],
)
def test_an_unknown_table_is_mapped_by_its_structure(
    definitions: Definitions, lines: tuple[str, ...], layout: str
) -> None:
    t = _map_one(region("某某表", *lines), None, MapContext(definitions))
    assert t.layout == layout
    assert t.definition is None


def test_a_known_table_is_mapped_by_its_definitions_layout(definitions: Definitions) -> None:
    # a grid that would look generic is read as the definition's function-coded table
    grid = ("项目\t小计\t基本支出\t项目支出", "合计\t3.00\t2.00\t1.00")
    reg = region("一般公共预算财政拨款支出决算表", *grid)
    t = _map_one(reg, _tdef(definitions, "final.gpb_expense"), MapContext(definitions))
    assert (t.layout, t.definition) == ("function_coded", "final.gpb_expense")
    assert [(r.level, r.name, r.values) for r in t.rows] == [
        ("total", "合计", ["3.00", "2.00", "1.00"])
    ]


_CODED_HEAD = "科目编码\t科目名称\t小计\t基本支出\t项目支出"


def test_coded_parts_follow_the_first_part(definitions: Definitions) -> None:
    title = "一般公共预算财政拨款支出决算表"
    joined = _joined(
        region(title, _CODED_HEAD, "201\t一般公共服务支出\t30.00\t20.00\t10.00"),
        region(
            f"{title}（续）",
            _CODED_HEAD,
            "20101\t人大事务\t30.00\t20.00\t10.00",
            first_line=30,
        ),
    )
    assert len(joined.continuations) == 1
    t = map_region(joined, _tdef(definitions, "final.gpb_expense"), MapContext(definitions))
    assert [(r.code, r.line) for r in t.rows] == [("201", 2), ("20101", 31)]
    assert t.source_lines == [(1, 31), (30, 31)]
    assert not t.empty


def test_parts_printing_no_value_make_an_empty_table(definitions: Definitions) -> None:
    title = "一般公共预算财政拨款支出决算表"
    joined = _joined(
        region(title, _CODED_HEAD, "合计\t\t\t\t"),
        region(title, _CODED_HEAD, "201\t一般公共服务支出\t\t\t", first_line=30),
    )
    t = map_region(joined, _tdef(definitions, "final.gpb_expense"), MapContext(definitions))
    assert [r.name for r in t.rows] == ["合计", "一般公共服务支出"]
    assert t.empty


_FISCAL_TOP = "收入\t\t\t支出\t\t\t\t\t"
_FISCAL_HEAD = (
    "项目\t行次\t金额\t项目\t行次\t合计\t一般公共预算财政拨款\t政府性基金预算财政拨款"
    "\t国有资本经营预算财政拨款"
)


def _fiscal(definitions: Definitions) -> Table:
    first = region(
        "财政拨款收入支出决算总表",
        _FISCAL_TOP,
        _FISCAL_HEAD,
        "一般公共预算财政拨款\t1\t80.00\t一般公共服务支出\t5\t80.00\t80.00\t\t",
        "本年收入合计\t2\t80.00\t本年支出合计\t6\t80.00\t80.00\t\t",
        "年初财政拨款结转和结余\t3\t10.00\t年末财政拨款结转和结余\t7\t10.00\t10.00\t\t",
    )
    part = region(
        "财政拨款收入支出决算总表（续）",
        _FISCAL_TOP,
        _FISCAL_HEAD,
        "一般公共预算财政拨款\t4\t10.00\t\t\t\t\t\t",
        "总计\t9\t90.00\t总计\t8\t90.00\t90.00\t\t",
        first_line=20,
    )
    tdef = _tdef(definitions, "final.fiscal_summary")
    return map_region(_joined(first, part), tdef, MapContext(definitions))


def test_two_sided_parts_join_side_by_side_by_key(definitions: Definitions) -> None:
    income, expense = _fiscal(definitions).sections
    assert [r.row_no for r in income.rows] == [1, 2, 3, 4, 9]
    assert [r.row_no for r in expense.rows] == [5, 6, 7, 8]
    assert expense.rows[-1].values == ["90.00", "90.00", None, None]


def test_roles_are_given_again_over_the_joined_rows(definitions: Definitions) -> None:
    """The part alone takes its 一般公共预算财政拨款 for inc1; under 年初结转和结余 of the
    first part it is the carry-over's first sub-row."""
    income = _fiscal(definitions).sections[0]
    assert [r.role for r in income.rows] == [
        "inc1",
        "income_total",
        "carry_in",
        "carry_in1",
        "grand_total",
    ]


def test_unknown_two_sided_parts_join_side_by_side_in_order(definitions: Definitions) -> None:
    head = ("收入\t\t支出\t", "项目\t金额\t项目\t金额")
    joined = _joined(
        region("某某收支表", *head, "事业收入\t5.00\t教育支出\t5.00"),
        region("某某收支表", *head, "其他收入\t1.00\t其他支出\t1.00", first_line=10),
    )
    t = map_region(joined, None, MapContext(definitions))
    assert [s.key for s in t.sections] == [None, None]
    assert [[r.name for r in s.rows] for s in t.sections] == [
        ["事业收入", "其他收入"],
        ["教育支出", "其他支出"],
    ]


def test_sectioned_part_without_a_heading_goes_on_with_the_last_section(
    definitions: Definitions,
) -> None:
    head = "项目\t行次\t统计数"
    joined = _joined(
        region(
            "部门决算相关信息统计表",
            "一、车辆",
            head,
            "车辆数合计\t1\t3",
            "机要通信用车\t2\t1",
        ),
        region(
            "部门决算相关信息统计表",
            "一、车辆",
            head,
            "其他用车\t3\t2",
            "二、运行经费",
            "行政单位\t4\t5.00",
            first_line=40,
        ),
    )
    t = map_region(joined, _tdef(definitions, "final.public_info"), MapContext(definitions))
    assert [s.section for s in t.sections] == ["一、车辆", "一、车辆", "二、运行经费"]
    unheaded = region("部门决算相关信息统计表", head, "其他用车\t3\t2", first_line=40)
    first = region("部门决算相关信息统计表", "一、车辆", head, "车辆数合计\t1\t3")
    first.continuations = [unheaded]
    t = map_region(first, _tdef(definitions, "final.public_info"), MapContext(definitions))
    (only,) = t.sections
    assert [(r.name, r.role) for r in only.rows] == [
        ("车辆数合计", "vehicles_total"),
        ("其他用车", "vehicle"),
    ]


def test_economic_block_parts_are_read_as_one_grid(definitions: Definitions) -> None:
    head = "科目代码\t科目名称\t决算数\t科目代码\t科目名称\t决算数"
    title = "一般公共预算财政拨款基本支出决算表"
    joined = _joined(
        region(title, head, "301\t工资福利支出\t50.00\t302\t商品和服务支出\t20.00"),
        region(
            title,
            head,
            "30101\t基本工资\t50.00\t30201\t办公费\t20.00",
            "人员经费合计\t\t50.00\t公用经费合计\t\t20.00",
            first_line=50,
        ),
    )
    t = map_region(joined, _tdef(definitions, "final.basic_detail"), MapContext(definitions))
    # block by block across the pages, the repeated header dropped
    assert [(r.code or r.name, r.block, r.line) for r in t.rows] == [
        ("301", 1, 2),
        ("30101", 1, 51),
        ("302", 2, 2),
        ("30201", 2, 51),
        ("人员经费合计", 1, 52),
        ("公用经费合计", 2, 52),
    ]
    assert t.source_lines == [(1, 52)]


def test_a_part_printing_the_other_side_adds_that_side(definitions: Definitions) -> None:
    head = "项目\t行次\t金额"
    joined = _joined(
        region("收入支出决算总表", "收入", head, "事业收入\t1\t20.00", "本年收入合计\t2\t20.00"),
        region(
            "收入支出决算总表",
            head,
            "教育支出\t3\t20.00",
            "本年支出合计\t4\t20.00",
            first_line=30,
        ),
    )
    t = map_region(joined, _tdef(definitions, "final.summary"), MapContext(definitions))
    assert [(s.key, [r.row_no for r in s.rows]) for s in t.sections] == [
        ("income", [1, 2]),
        ("expense", [3, 4]),
    ]
