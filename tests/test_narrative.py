"""The 情况说明 claims (family N), on prose written for the purpose: each kind of claim passes
when the arithmetic holds and fails when it does not."""

from __future__ import annotations

import pytest

from extractor.definitions import Definitions
from extractor.model import Check, Row, Section, Table
from extractor.verify.narrative import narrative_checks


def _check(text: str, definitions: Definitions, tables: list[Table] | None = None) -> list[Check]:
    lines = [(line or None, i, None) for i, line in enumerate(text.split("\n"), start=1)]
    return narrative_checks(lines, tables or [], definitions)


def _status(checks: list[Check], kind: str) -> list[str]:
    return [c.status for c in checks if c.expression == kind]


@pytest.mark.parametrize(
    ("text", "kind", "want"),
    [
        # growth: P = Δ / (current - Δ)
        (
            "2023年度收、支总计3676.35万元。与上年相比，增加1100.19万元，增长42.71%。",
            "growth",
            "pass",
        ),
        (
            "2023年度收、支总计3682.51万元。与上年相比，增加1251.46万元，增长33.98%。",
            "growth",
            "fail",
        ),
        # a decrease: P = Δ / (current + Δ); the subject names the current amount
        (
            "收入总计2,769.24万元，支出总计2,769.24万元。与上年相比，支出总计减少192.52万元，下降6.5%。",
            "growth",
            "pass",
        ),
        ("机关运行经费支出25.80万元，比2022年减少11.05万元，下降29.99%。", "growth", "pass"),
        ("机关运行经费支出25.80万元，比2022年减少11.05万元，下降2.99%。", "growth", "fail"),
        # completion, with the amount split over two lines ("58.55万" / "元")
        (
            "年初预算为11.13万元，支出决算为58.55万\n元，完成年初预算的526.06%。",
            "completion",
            "pass",
        ),
        ("年初预算为11.13万元，支出决算为58.55万\n元，完成年初预算的52.6%。", "completion", "fail"),
        # a truncated percentage is not an inconsistency
        (
            "年初预算为10210.34万元，支出决算为9746.50万元，完成年初预算的95.45%。",
            "completion",
            "pass",
        ),
        # shares of the list's head amount
        (
            "支出合计3682.51万元，其中：基本支出173.88万元，占4.72%；项目支出3508.63万元，占95.28%。",
            "share",
            "pass",
        ),
        (
            "支出合计3682.51万元，其中：基本支出173.88万元，占7.42%；项目支出3508.63万元，占95.28%。",
            "share",
            "fail",
        ),
        # 其中 lists the whole
        ("基本支出155.22万元，其中：人员经费137.63万元，公用经费17.59万元。", "breakdown", "pass"),
        ("基本支出1910.5万元，其中：人员经费137.63万元，公用经费17.59万元。", "breakdown", "fail"),
        # "其中X" without a colon names only some parts: a subset, never more than the whole
        (
            "增加项目经费1753.35万元，其中补发金额1451.91万元，补发劳务费19万元。",
            "breakdown",
            "pass",
        ),
        (
            "增加项目经费1753.35万元，其中补发金额1851.91万元，补发劳务费19万元。",
            "breakdown",
            "fail",
        ),
        # a change inside a list is not one of its parts
        (
            "收入预算18,976.76万元，其中：财政拨款收入18,976.76万元，比2024年预算增加3,355.65万元；"
            "事业收入0.00万元。",
            "breakdown",
            "pass",
        ),
    ],
)
def test_claims(text: str, kind: str, want: str, definitions: Definitions) -> None:
    # the first claim of its kind in the text is the one under test
    assert _status(_check(text, definitions), kind)[0] == want


def test_a_list_on_the_lines_below(definitions: Definitions) -> None:
    text = "\n".join(
        [
            "财政拨款基本支出407.28万元，其中：",
            "人员经费381.48万元，主要包括基本工资154.4万元；津贴补贴34.31万元；",
            "公用经费25.80万元，主要包括办公费16.1万元。",
            "七、政府性基金预算财政拨款收支决算情况说明",
        ]
    )
    checks = _check(text, definitions)
    # the 主要包括 items are not parts (they do not sum to their head); the two lines do
    assert [(c.status, c.expected) for c in checks if c.expression == "breakdown"] == [
        ("pass", "407.28万元")
    ]


def test_restated_class_amount_against_the_tables(definitions: Definitions) -> None:
    summary = Table(
        title="部门收支总表",
        layout="two_sided",
        unit="万元",
        sections=[
            Section(
                section="支出",
                columns=[],
                rows=[
                    Row(name="一般公共服务支出", role="class:201", values=[None]),
                    Row(name="卫生健康支出", role="class:210", values=["1641.88"]),
                ],
            )
        ],
    )
    ok = "支出预算1641.88万元，其中，卫生健康支出1641.88万元，教育0万元。"
    bad = "支出预算1641.88万元，其中，一般公共服务1641.88万元，教育0万元。"
    assert _status(_check(ok, definitions, [summary]), "class_amount") == ["pass"]
    assert _status(_check(bad, definitions, [summary]), "class_amount") == ["fail"]


def test_yuan_and_wanyuan(definitions: Definitions) -> None:
    # "0 元" in a 万元 report, and amounts in 元 converted before they are compared
    text = "支出预算15000元，其中：基本支出0.5万元，项目支出10000元。"
    assert _status(_check(text, definitions), "breakdown") == ["pass"]
