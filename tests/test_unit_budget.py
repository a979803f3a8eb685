"""A Shanghai 单位预算: the nine-table set printed with 单位 instead of 部门 in its titles (or
no prefix at all, a title the 预算 set of other regions shares). Built from the truth of the
real 2025 budget PDF, re-titled and rendered by the project's text renderer: every table is
found under the Shanghai definitions, nothing is reported missing, every cell is read."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.pipeline import extract_text_bytes
from extractor_evals import score_document
from extractor_evals.render_text import TextStyle, render_report

TRUTH = (
    Path(__file__).resolve().parent.parent
    / "evals"
    / "datasets"
    / "seeds"
    / "truth"
    / "sh_putuo_wanli-jiedao_2025_dept-budget.json"
)


@pytest.mark.parametrize("prefix", ["单位", ""])
def test_unit_budget_titles_stay_in_the_shanghai_set(prefix: str, definitions: Definitions) -> None:
    doc = copy.deepcopy(json.loads(TRUTH.read_text(encoding="utf-8")))
    for t in doc["tables"]:
        t["title"] = (
            t["title"]
            .replace("2025年部门", f"2025年{prefix}")
            .replace("基本支出部门预算", f"基本支出{prefix}预算" if prefix else "基本支出")
        )
    text = "上海市普陀区2025年单位预算\n单位名称：上海市普陀区某某中心\n\n" + render_report(
        doc, TextStyle(layout="tab_rows")
    )
    result = extract_text_bytes(
        text.encode(), source_name="unit.txt", config=ExtractConfig(), definitions=definitions
    )
    found = [t.definition for t in result.tables]
    assert all(d and d.startswith("budget_sh.") for d in found), found
    assert len(found) == len(doc["tables"])
    assert "extract.table_missing" not in {e.code for e in result.errors}
    scores = score_document(result.model_dump(mode="json"), doc, check_names=False)
    assert sum(s.equal for s in scores) == sum(s.cells for s in scores)
    assert result.document.scope == "单位" and result.document.kind == "预算"


def test_a_missing_table_is_named_by_its_title(definitions: Definitions) -> None:
    doc = copy.deepcopy(json.loads(TRUTH.read_text(encoding="utf-8")))
    doc["tables"] = [t for t in doc["tables"] if "财政拨款收支" not in t["title"]]
    result = extract_text_bytes(
        render_report(doc, TextStyle()).encode(),
        source_name="b.txt",
        config=ExtractConfig(),
        definitions=definitions,
    )
    missing = [e.message for e in result.errors if e.code == "extract.table_missing"]
    assert missing == [
        "the 预算 table 财政拨款收支预算总表 was not found (budget_sh.fiscal_summary)"
    ]
    assert definitions.table("budget.wages").title == "基本支出预算明细表-工资福利支出"  # type: ignore[union-attr]


def test_the_shanghai_set_in_every_text_layout_family_and_scope(definitions: Definitions) -> None:
    """The truth of the real 2025 预算 drawn in the text layout families, under 部门, 单位 or
    no scope (variants:PATH:N): every cell, no error, no silent structure."""
    from extractor_evals.harness import measure, resolve_datasets
    from extractor_evals.layout_families import SCOPES, TRUTH_FAMILIES

    # seeds 0-11: every family twice; seed 71: the sides stacked, the expense side's heading
    # closing the page before its header
    sets = resolve_datasets([f"variants:{TRUTH}:12", f"variants:{TRUTH}:1:71"])
    cases = [c for _, cs in sets for c in cs]
    assert len(cases) == 2 * len(TRUTH_FAMILIES) + 1
    scopes = set()
    for case in cases:
        text = case.data.decode("utf-8")
        scopes.add("单位" if "年单位" in text else "部门" if "年部门" in text else "")
        result = extract_text_bytes(
            case.data, source_name=case.source_name, config=ExtractConfig(), definitions=definitions
        )
        m = measure(case, result, 0.0)
        assert m.cells_exact == m.cells and m.silent_errors == 0, case.name
        assert result.status == "ok", (case.name, [e.code for e in result.errors])
    assert scopes == set(SCOPES)
