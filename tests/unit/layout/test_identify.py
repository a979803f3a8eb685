"""Which definition a region is (layout/identify.py): exact title, the printed number and the
header as tie-breakers, a title after the department's name, an OCR-damaged title."""

from __future__ import annotations

from extractor.definitions import Definitions
from extractor.layout.identify import identify

from ..grids import region


def _id(defs: Definitions, title: str, *lines: str, **kw: object) -> str | None:
    table_id = kw.pop("table_id", None)
    found = identify(region(title, *lines, table_id=table_id), defs, **kw)  # type: ignore[arg-type]
    return found.id if found is not None else None


def test_exact_title(definitions: Definitions) -> None:
    assert _id(definitions, "收入决算表") == "final.income"
    assert _id(definitions, "部门支出决算表") == "final.expense"
    # a leading year and spaces are not part of the title
    assert _id(definitions, "2023年 一般公共预算财政拨款支出决算表") == "final.gpb_expense"


def test_family_narrows_the_pool(definitions: Definitions) -> None:
    assert _id(definitions, "一般公共预算财政拨款支出决算表", family="budget") is None
    assert _id(definitions, "一般公共预算财政拨款支出决算表", family="final") == "final.gpb_expense"


def test_among_narrows_the_pool(definitions: Definitions) -> None:
    only = [t for t in definitions.tables if t.id == "final.expense"]
    assert _id(definitions, "收入决算表", among=only) is None
    assert _id(definitions, "支出决算表", among=only) == "final.expense"


def test_two_definitions_of_one_title_are_told_apart_by_the_printed_number(
    definitions: Definitions,
) -> None:
    shipped = definitions.table("final.income")
    assert shipped is not None and shipped.label == "公开02表"
    mine = shipped.model_copy(update={"id": "mine.income", "label": "附表2"})
    pool = [shipped, mine]
    assert _id(definitions, "收入决算表", table_id="附表2", among=pool) == "mine.income"
    assert _id(definitions, "收入决算表", table_id="公开02表", among=pool) == "final.income"
    # no number printed, and the same header: the first of the pool
    assert _id(definitions, "收入决算表", among=pool) == "final.income"


def test_two_definitions_of_one_title_are_told_apart_by_the_header(
    definitions: Definitions,
) -> None:
    title = "一般公共预算基本支出情况表"
    by_econ = ("科目编码\t科目名称\t合计\t人员经费\t公用经费",)
    by_type = ("科目编码\t科目名称\t总计\t合计\t工资福利支出\t商品和服务支出\t对个人和家庭",)
    assert _id(definitions, title, *by_econ, family="budget") == "budget.basic_econ"
    assert _id(definitions, title, *by_type, family="budget") == "budget.gpb_by_type"


def test_title_printed_after_the_department(definitions: Definitions) -> None:
    assert _id(definitions, "某某市教育局收入决算表") == "final.income"
    # the longest definition title it ends with: 收入支出决算总表, not 支出决算表
    assert _id(definitions, "某某市教育局收入支出决算总表") == "final.summary"


def test_ocr_damaged_title_close_to_a_definition(definitions: Definitions) -> None:
    # two characters misread out of 15
    assert _id(definitions, "一般公共预算财政拔款支出決箅表", family="final") == "final.gpb_expense"


def test_unrelated_title_is_no_definition(definitions: Definitions) -> None:
    assert _id(definitions, "会议纪要") is None
    assert _id(definitions, "某某专项资金明细表") is None


def test_printed_number_lifts_a_damaged_title_over_the_bar(definitions: Definitions) -> None:
    # "收入決算衣" is 0.8 like "收入决算表": too far alone, near enough with 公开02表 printed
    assert _id(definitions, "收入決算衣", family="final") is None
    assert _id(definitions, "收入決算衣", table_id="公开02表", family="final") == "final.income"


def test_a_definition_without_columns_loses_the_header_tie(definitions: Definitions) -> None:
    shipped = definitions.table("final.gpb_expense")
    assert shipped is not None
    bare = shipped.model_copy(update={"id": "mine.bare", "columns": []})
    header = "科目编码\t科目名称\t小计\t基本支出\t项目支出"
    title = "一般公共预算财政拨款支出决算表"
    assert _id(definitions, title, header, among=[bare, shipped]) == "final.gpb_expense"
