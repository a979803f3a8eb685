"""Annex checks (verify/annex.py): the 绩效自评表 score totals, execution rate and the
agreement with the 绩效评价基础数据表, on small annexes built row by row."""

from __future__ import annotations

from extractor.errors import Code
from extractor.model import Check, Region
from extractor.verify.annex import annex_checks

from ..grids import region

_HEAD = (
    "项目支出名称\t社区养老服务补助",
    "项目资金（万元）\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分",
)
_FUNDS = "年度资金总额\t100.00\t100.00\t90.00\t10\t90%\t9"
_SCORES = "一级指标\t二级指标\t三级指标\t指标值\t实际完成值\t分值\t得分"
_INDICATORS = (
    "产出指标\t数量指标\t服务人次\t≥500人次\t520人次\t50\t45",
    "效益指标\t社会效益\t满意度\t≥90%\t95%\t40\t36",
)


def _self_eval(*rows: str, table_id: str | None = "附件3-1") -> Region:
    return region("2023年度项目支出绩效自评表", *rows, table_id=table_id)


def _base(final: str) -> Region:
    return region(
        "项目支出绩效评价基础数据表",
        "项目名称\t2023年预算数\t2023年决算数",
        f"社区养老服务补助\t100.00\t{final}",
    )


def _by_kind(checks: list[Check]) -> dict[str, list[Check]]:
    out: dict[str, list[Check]] = {}
    for c in checks:
        out.setdefault(c.expression, []).append(c)
    return out


def test_an_annex_that_adds_up_passes_every_check() -> None:
    annex = _self_eval(*_HEAD, _FUNDS, _SCORES, *_INDICATORS, "总分\t\t\t\t\t100\t90")
    checks = annex_checks([annex, _base("90.00")])
    kinds = _by_kind(checks)
    assert sorted(kinds) == ["execution_rate", "score_total", "vs_base_data"]
    assert all(c.status == "pass" and c.classification is None for c in checks)
    assert all(c.severity == "soft" and c.family == "A" for c in checks)
    rate = kinds["execution_rate"][0]
    assert (rate.actual, rate.expected) == ("90%", "90.00%")
    assert rate.rule == Code.VERIFY_ANNEX_EXECUTION_RATE
    # 分值 50 + 40 + the funds line's 10; 得分 45 + 36 + 9
    totals = [(c.actual, c.expected) for c in kinds["score_total"]]
    assert totals == [("100", "100"), ("90", "90")]
    assert rate.cells[0].line == 3 and rate.cells[0].table == "附件3-1"


def test_a_score_total_that_does_not_add_up() -> None:
    annex = _self_eval(*_HEAD, _FUNDS, _SCORES, *_INDICATORS, "总分\t\t\t\t\t100\t95")
    totals = _by_kind(annex_checks([annex]))["score_total"]
    points, got = totals
    assert points.status == "pass"
    assert got.status == "fail"
    assert (got.actual, got.expected) == ("95", "90")  # 45 + 36 + the funds line's 9
    assert got.classification == "source_inconsistency"
    assert got.message == "附件3-1 l.7: 总分 得分 95 vs Σ 90"
    assert got.rule == Code.VERIFY_ANNEX_SCORE_TOTAL


def test_a_row_that_lost_its_numbers_is_upstream_damage() -> None:
    cut = "产\t出\t指\t标"  # fragments of text, no score: the row lost its numbers
    annex = _self_eval(*_HEAD, _FUNDS, _SCORES, _INDICATORS[1], cut, "总分\t\t\t\t\t100\t90")
    points, got = _by_kind(annex_checks([annex]))["score_total"]
    assert (points.actual, points.expected, points.status) == ("100", "50", "fail")
    assert (got.actual, got.expected, got.status) == ("90", "45", "fail")
    assert points.classification == got.classification == "extraction_error"
    assert points.message.endswith(
        "nothing could be read on l.6: a row lost its numbers upstream, no repair is possible"
    )


def test_an_execution_rate_that_disagrees_with_the_amounts() -> None:
    funds = "年度资金总额\t100.00\t120.00\t90.00\t10\t90%\t9"  # 90 / 120 = 75%
    annex = _self_eval(*_HEAD, funds, _SCORES, *_INDICATORS, "总分\t\t\t\t\t100\t90")
    (rate,) = _by_kind(annex_checks([annex]))["execution_rate"]
    assert rate.status == "fail"
    assert (rate.actual, rate.expected) == ("90%", "75.00%")
    assert rate.classification == "source_inconsistency"


def test_an_execution_rate_within_a_point_passes() -> None:
    funds = "年度资金总额\t300.00\t300.00\t200.00\t10\t66.7%\t7"  # 66.67%
    annex = _self_eval(*_HEAD, funds)
    (rate,) = annex_checks([annex])
    assert (rate.expression, rate.status, rate.expected) == ("execution_rate", "pass", "66.67%")


def test_no_execution_rate_without_a_budget() -> None:
    funds = "年度资金总额\t0.00\t0.00\t0.00\t10\t0%\t0"
    assert annex_checks([_self_eval(*_HEAD, funds)]) == []


def test_the_amount_spent_against_the_base_data_table() -> None:
    annex = _self_eval(*_HEAD, _FUNDS)
    (agree,) = _by_kind(annex_checks([annex, _base("90.00")]))["vs_base_data"]
    assert agree.status == "pass"
    (differ,) = _by_kind(annex_checks([annex, _base("95.00")]))["vs_base_data"]
    assert differ.status == "fail"
    assert (differ.actual, differ.expected) == ("90.00", "95.00")
    assert "社区养老服务补助 全年执行数 90.00; the 基础数据表 says 95.00" in differ.message
    # a project the base data table does not list: nothing to compare
    other = region(
        "项目支出绩效评价基础数据表",
        "项目名称\t2023年预算数\t2023年决算数",
        "另一个项目\t100.00\t95.00",
    )
    assert "vs_base_data" not in _by_kind(annex_checks([annex, other]))


def test_without_a_total_row_no_score_check() -> None:
    annex = _self_eval(*_HEAD, _FUNDS, _SCORES, *_INDICATORS)
    assert "score_total" not in _by_kind(annex_checks([annex]))


def test_a_total_row_without_two_numbers_is_not_checked() -> None:
    annex = _self_eval(*_HEAD, _FUNDS, _SCORES, *_INDICATORS, "总分\t\t\t\t\t\t90")
    assert "score_total" not in _by_kind(annex_checks([annex]))


def test_other_tables_are_not_annexes() -> None:
    other = region("收入决算表", *_HEAD, _FUNDS, _SCORES, *_INDICATORS, "总分\t\t\t\t\t100\t95")
    assert annex_checks([other]) == []


def test_an_annex_without_a_printed_number_is_named_by_its_title() -> None:
    annex = _self_eval(*_HEAD, _FUNDS, table_id=None)
    (rate,) = annex_checks([annex])
    assert rate.cells[0].table == "2023年度项目支出绩效自评表"
    assert rate.id.startswith("annex/2023年度项目支出绩效自评表/execution_rate@3/")


def test_funds_lines_without_a_score_before_the_rate_are_passed_over() -> None:
    note = "说明\t\t\t\t\t90%\t"  # a rate with no 分值 before it: not the funds line
    annex = _self_eval(*_HEAD, note, _FUNDS)
    (rate,) = annex_checks([annex])
    assert (rate.status, rate.cells[0].line) == ("pass", 4)


def test_base_data_rows_without_a_project_name_are_passed_over() -> None:
    base = region(
        "项目支出绩效评价基础数据表",
        "项目名称\t2023年预算数\t2023年决算数",
        "\t100.00\t95.00",
        "社区养老服务补助\t100.00\t90.00",
    )
    (agree,) = _by_kind(annex_checks([_self_eval(*_HEAD, _FUNDS), base]))["vs_base_data"]
    assert (agree.status, agree.expected) == ("pass", "90.00")


def test_base_data_table_printing_only_the_final_amounts() -> None:
    base = region(
        "项目支出绩效评价基础数据表",
        "项目名称\t2023年决算数",
        "社区养老服务补助\t95.00",
    )
    (differ,) = _by_kind(annex_checks([_self_eval(*_HEAD, _FUNDS), base]))["vs_base_data"]
    assert (differ.status, differ.actual, differ.expected) == ("fail", "90.00", "95.00")
