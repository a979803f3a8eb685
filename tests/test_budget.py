"""预算 reports: seed 004 (the 附件 set) and the real Shanghai budget PDF, against their truth
files; the family-B identities and the findings 004's truth lists; definitions as data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from extractor.config import ExtractConfig
from extractor.definitions import Definitions, load_definitions
from extractor.model import DocumentResult
from extractor.pipeline import extract_bytes
from extractor_evals.harness import _labels_from_truth, _ref_matches
from extractor_evals.score import score_document

from .conftest import ROOT, SEED_FILES, truth

PDFS = ROOT / "evals" / "datasets" / "real_pdfs"


@pytest.fixture(scope="module")
def budget004(definitions: Definitions) -> DocumentResult:
    data = SEED_FILES["004"].read_bytes()
    return extract_bytes(
        data, source_name="004.txt", config=ExtractConfig(), definitions=definitions
    )


def _as_json(result: DocumentResult) -> dict[str, Any]:
    return json.loads(result.model_dump_json())


def test_004_every_table_found_and_every_cell_equal(budget004: DocumentResult) -> None:
    scores = score_document(_as_json(budget004), truth("004"))
    assert len(scores) == 20 and all(s.found for s in scores)
    wrong = [m for s in scores for m in s.mismatches]
    assert not wrong, wrong[:5]
    assert sum(s.cells for s in scores) == 669
    assert all(t.definition for t in budget004.tables)  # none left to the generic mapper


def test_004_layout_traps_are_realigned_and_say_so(budget004: DocumentResult) -> None:
    by_id = {t.table_id: t for t in budget004.tables}
    # 附件4: every data row lost an empty cell in the 基本支出 block (header printed one cell
    # left of its grid): 1504.24 belongs to 项目支出/合计, not to 基本支出/业务性…
    t4 = by_id["附件4"]
    total = t4.rows[0]
    assert total.values[:2] == ["1641.88", "137.64"] and total.values[6:8] == ["1504.24"] * 2
    assert total.values[5] is None and total.note and "realigned" in total.note
    assert {c.status for c in total.cells} == {"realigned"}
    # 附件6: one extra leading cell, one lost empty cell in the 咨询费…电费 run
    t6 = by_id["附件6"].rows[0]
    assert t6.values[:3] == ["19.99", "4.50", "0.90"] and t6.values[7] == "0.50"
    assert t6.note and "extra leading" in t6.note


def test_004_empty_tables_and_the_catalogue(budget004: DocumentResult) -> None:
    empty = {t.toc_no for t in budget004.tables if t.empty}
    assert empty == {7, 11, 12, 13, 14}
    assert all(not t.rows for t in budget004.tables if t.empty)
    # tables printed without their 附件 number take it from the report's own 目录
    unlabeled = {t.toc_no: t.title for t in budget004.tables if t.table_id is None}
    assert sorted(unlabeled) == [10, 13, 14, 17, 18]
    assert [t.toc_no for t in budget004.tables] == list(range(1, 21))


def test_004_expected_findings_reported_and_nothing_else(budget004: DocumentResult) -> None:
    labels = _labels_from_truth(truth("004"))
    assert len(labels) >= 15
    source = [c for c in budget004.checks if c.classification == "source_inconsistency"]
    for lb in labels:
        hit = [c for c in source if any(_ref_matches(r, lb, budget004.tables) for r in c.cells)]
        assert hit, f"not reported: {lb}"
    stray = [
        c
        for c in source
        if not any(_ref_matches(r, lb, budget004.tables) for lb in labels for r in c.cells)
    ]
    assert not stray, [c.message for c in stray]
    hard = [c for c in budget004.checks if c.severity == "hard"]
    assert len(hard) > 150
    assert {c.status for c in hard} <= {"pass", "rounding", "fail"}
    assert all(c.classification == "source_inconsistency" for c in hard if c.status == "fail")
    # a source inconsistency never changes a value: the 33.81 of 附件5 stays as printed
    t5 = next(t for t in budget004.tables if t.table_id == "附件5")
    assert t5.rows[0].values[6] == "33.81"
    assert budget004.status == "ok"
    finding = next(f for f in budget004.findings if "33.81" in (f.printed or ""))
    assert finding.kind == "source_inconsistency" and finding.computed == "23.19"


def test_shanghai_budget_pdf_matches_its_definitions(definitions: Definitions) -> None:
    src = PDFS / "sh_putuo_wanli-jiedao_2025_dept-budget.pdf"
    r = extract_bytes(
        src.read_bytes(), source_name=src.name, config=ExtractConfig(), definitions=definitions
    )
    assert [t.definition for t in r.tables] == [
        "budget_sh.summary",
        "budget_sh.income",
        "budget_sh.expense",
        "budget_sh.fiscal_summary",
        "budget_sh.gpb_expense",
        "budget_sh.gov_fund",
        "budget_sh.soe",
        "budget_sh.basic_econ",
        "budget_sh.three_public",
    ]
    assert r.document.kind == "预算"
    hard = [c for c in r.checks if c.severity == "hard"]
    assert len(hard) > 500
    assert {c.status for c in hard} <= {"pass", "rounding"}
    assert {c.family for c in hard} == {"B"}
    t = json.loads(
        (ROOT / "evals/datasets/seeds/truth/sh_putuo_wanli-jiedao_2025_dept-budget.json").read_text(
            encoding="utf-8"
        )
    )
    assert not [m for s in score_document(_as_json(r), t) for m in s.mismatches]


def test_a_users_own_table_set_is_data(tmp_path: Path) -> None:
    # a region's set added as a TOML file in a folder of its own (added to the shipped
    # definitions, not replacing them): a sister table by `extends`, a row identity
    schemas = tmp_path / "mine"
    schemas.mkdir()
    (schemas / "my_region.toml").write_text(
        """
family = "budget"
kind = "预算"
[[tables]]
id = "mine.special"
titles = ["专项资金分配表"]
layout = "function_coded"
columns = [
  { key = "c1", names = ["^合计$"] },
  { key = "c2", names = ["市级"] },
  { key = "c3", names = ["区级"] },
]
  [[tables.identities]]
  kind = "row"
  family = "B"
  expr = "c1 = c2 + c3"
[[tables]]
id = "mine.special_next"
titles = ["专项资金追加表"]
extends = "mine.special"
""",
        encoding="utf-8",
    )
    defs = load_definitions(None, (schemas,))
    assert defs.table("final.income") is not None  # the shipped set is still there
    assert defs.table("mine.special_next").columns == defs.table("mine.special").columns  # type: ignore[union-attr]
    text = (
        "专项资金追加表\n单位：万元\n科目编码\t科目名称\t合计\t市级\t区级\n"
        "2080101\t行政运行\t10.00\t4.00\t6.00\n2080102\t一般行政管理事务\t5.00\t1.00\t3.00\n"
    )
    r = extract_bytes(
        text.encode(), source_name="mine.txt", config=ExtractConfig(), definitions=defs
    )
    assert r.tables[0].definition == "mine.special_next"
    fails = [c for c in r.checks if c.status == "fail"]
    assert len(fails) == 1 and fails[0].cells[0].line == 5  # 5.00 ≠ 1.00 + 3.00


@pytest.mark.parametrize(("seed", "style"), [(0, "ruled_portrait"), (1, "ruled_landscape_wrapped")])
def test_generated_budget_as_a_ruled_pdf(seed: int, style: str, definitions: Definitions) -> None:
    # a generated 预算 (three-sided summary side by side, 38-column detail tables) rendered
    # as a text-layer PDF by the project's renderer, read back cell for cell
    from extractor_evals.generate_budget import generate_budget_report
    from extractor_evals.render_pdf import STYLES, render_pdf

    doc = generate_budget_report(seed)
    pdf = render_pdf(doc, STYLES[style], seed=seed)
    r = extract_bytes(pdf, source_name="b.pdf", config=ExtractConfig(), definitions=definitions)
    scores = score_document(_as_json(r), doc, check_names=False)
    assert all(s.found for s in scores) and len(scores) == 20
    assert not [m for s in scores for m in s.mismatches]
    assert {c.status for c in r.checks if c.severity == "hard"} <= {"pass", "rounding"}
