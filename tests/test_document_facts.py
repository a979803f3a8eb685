"""Department, year, kind, scope and region come from the cover and front matter, with where
they were read: real PDFs of the repository, the sample texts, a generated report."""

from __future__ import annotations

from pathlib import Path

import pytest

import extractor
from extractor.config import ExtractConfig
from extractor.definitions import load_definitions
from extractor.layout.cover import read_facts
from extractor.pipeline import extract_text_bytes

from .conftest import SEED_FILES

PDFS = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "real_pdfs"


@pytest.mark.parametrize(
    ("name", "department", "year", "kind", "region", "page"),
    [
        ("sh_putuo_planning-resources_2024_dept-final", "上海市普陀区规划和自然资源局", 2024,
         "决算", "上海市普陀区", 1),
        ("sh_putuo_wanli-jiedao_2025_dept-budget", "上海市普陀区人民政府万里街道办事处", 2025,
         "预算", "上海市普陀区", 1),
    ],
)
def test_real_pdfs_name_their_department_from_the_cover(
    name: str, department: str, year: int, kind: str, region: str, page: int
) -> None:
    doc = extractor.extract(PDFS / f"{name}.pdf").document
    assert (doc.department, doc.year, doc.kind, doc.scope, doc.region) == (
        department, year, kind, "部门", region
    )
    where = {f.name: f for f in doc.facts}
    assert where["department"].page == page and where["year"].page == page
    assert where["department"].source in ("cover", "label")


@pytest.mark.parametrize(
    ("doc", "department", "year", "kind"),
    [
        ("000", "株洲市荷塘区医疗保障局", 2023, "决算"),
        ("001", "长治市潞城区医疗保障局", 2023, "决算"),
        ("004", "株洲市荷塘区医疗保障局", 2020, "预算"),
    ],
)
def test_sample_texts(doc: str, department: str, year: int, kind: str) -> None:
    info = extractor.extract(SEED_FILES[doc]).document
    assert (info.department, info.year, info.kind) == (department, year, kind)
    dept = next(f for f in info.facts if f.name == "department")
    assert dept.line is not None and dept.line < 10 and dept.source == "cover"


def test_cover_variants() -> None:
    def facts(*lines: str) -> tuple[str | None, str | None, str | None]:
        f = read_facts([(t, i + 1, None) for i, t in enumerate(lines)])
        return (f.department.value if f.department else None,
                f.year.value if f.year else None, f.scope.value if f.scope else None)

    # a wrapped name above the year line; spaced characters; a 单位 budget
    assert facts("上海市普陀区规划和自然", "资源局", "2024 年度部门决算") == (
        "上海市普陀区规划和自然资源局", "2024", "部门")
    assert facts("长 治 市 潞 城 区 医 疗 保 障 局", "", "2 0 2 3 年 度 部 门 决 算 公 开") == (
        "长治市潞城区医疗保障局", "2023", "部门")
    assert facts("上海市普陀区2026年单位预算", "单位名称：上海市普陀区档案馆") == (
        "上海市普陀区档案馆", "2026", "单位")
    # the 概况 heading names it when the cover does not
    assert facts("目 录", "第一部分 某某县财政局概况", "2024年度部门决算")[0] == "某某县财政局"
    # a table's 决算表 title is not the cover
    assert facts("收入支出决算总表", "2023年度部门决算表")[1] is None


def test_a_document_without_a_cover_says_so() -> None:
    text = (
        "收入决算表\n\t\t\t\n项目\t本年收入合计\t财政拨款收入\n合计\t10.00\t10.00\n"
        "201\t10.00\t10.00\n"
    )
    result = extract_text_bytes(text.encode(), source_name="x.txt", config=ExtractConfig(),
                                definitions=load_definitions())
    assert result.document.department is None and result.document.year is None
    warned = [f.message for f in result.findings if f.check == "document.facts"]
    assert len(warned) == 2 and any("department" in m for m in warned)
