"""Generated 决算 reports (extractor_evals/generate.py) and labeled damage (inject.py).

A generated report is exact by construction: rendered as text and extracted, every cell equals
the document, every hard check passes with Δ = 0 and the D checks hold. Each injection kind is
caught by a check that names the injected cell (table, line, column); source kinds are
classified as source inconsistencies. On text input the extractor reads every readable value as
faithful (SPEC.md §3), so it also calls the readable ocr.* damage a source inconsistency: for
those only detection and naming are asserted here.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest

from extractor.definitions import Definitions
from extractor.model import Check, DocumentResult
from extractor_evals import score_document
from extractor_evals.generate import CLASSES, generate_final_report
from extractor_evals.inject import KINDS, OCR_KINDS, SOURCE_KINDS, Injection, make_case
from extractor_evals.render_text import TextStyle, render_report

from .gen_util import extract_text, truth_rows, walk

SEEDS = range(10)
TABLE_IDS = [f"公开{i:02d}表" for i in range(1, 10)]


@pytest.mark.parametrize("seed", SEEDS)
def test_same_seed_same_report(seed: int) -> None:
    a = json.dumps(generate_final_report(seed), ensure_ascii=False, sort_keys=True)
    b = json.dumps(generate_final_report(seed), ensure_ascii=False, sort_keys=True)
    assert a == b
    assert a != json.dumps(generate_final_report(seed + 1), ensure_ascii=False, sort_keys=True)


@pytest.mark.parametrize("seed", SEEDS)
def test_report_shape(seed: int) -> None:
    doc = generate_final_report(seed)
    meta = doc["meta"]
    assert 2019 <= meta["year"] <= 2024 and meta["unit"] == "万元" and meta["kind"] == "决算"
    assert re.fullmatch(r"\w\w市\w\w[区县]\w+", meta["department"])
    ids = [t["table_id"] for t in doc["tables"]]
    assert ids in (TABLE_IDS, [*TABLE_IDS, "公开10表"])
    assert not any(isinstance(x, float) for x in walk(doc))
    for t in doc["tables"]:
        assert t["unit"] == "万元" and t["department_as_printed"] == meta["department"]
        for r in truth_rows(t):
            assert isinstance(r["line"], int)
            for v in r["values"]:
                # 公开10表 counts vehicles and equipment in whole numbers
                pattern = r"\d+(\.\d\d)?" if t["table_id"] == "公开10表" else r"\d+\.\d\d"
                assert v is None or re.fullmatch(pattern, v), v
                assert v is None or Decimal(v) <= Decimal("100000")
    coded = next(t for t in doc["tables"] if t["table_id"] == "公开02表")
    for r in coded["rows"]:
        if r["code"] is not None:
            assert r["code"][:3] in CLASSES
            assert len(r["code"]) == {"类": 3, "款": 5, "项": 7}[r["level"]]


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_report_extracts_exactly(seed: int, definitions: Definitions) -> None:
    doc = generate_final_report(seed)
    result = extract_text(render_report(doc, TextStyle()), definitions)
    assert result.summary.tables_matched == len(doc["tables"])
    scores = score_document(result.model_dump(mode="json"), doc, check_names=True)
    assert all(s.found for s in scores)
    assert [(s.table, s.rows_got) for s in scores] == [(s.table, s.rows_expected) for s in scores]
    assert [m for s in scores for m in s.mismatches] == []
    # every row where the truth says it is printed
    got = {t.table_id: t for t in result.tables}
    for t in doc["tables"]:
        rows = got[t["table_id"]]
        lines = [r.line for r in ([r for s in rows.sections for r in s.rows] or rows.rows)]
        assert lines == [r["line"] for r in truth_rows(t)], t["table_id"]
    hard = [c for c in result.checks if c.severity == "hard"]
    assert len(hard) > 50
    assert [(c.id, c.status) for c in hard if c.status != "pass"] == []  # exact: not even rounding
    assert [(c.id, c.status) for c in result.checks if c.family == "D" and c.status != "pass"] == []


def test_options(definitions: Definitions) -> None:
    empty = generate_final_report(3, empty_tables=True, all_classes=False)
    by_id = {t["table_id"]: t for t in empty["tables"]}
    for tid in ("公开07表", "公开08表"):
        (row,) = by_id[tid]["rows"]
        assert row["name"] == "合计" and set(row["values"]) <= {"0.00", None}
        assert any("无数据" in n for n in by_id[tid]["notes"])
    assert all(v in ("0.00", None) for r in by_id["公开09表"]["rows"] for v in r["values"])
    with_data = {r["name"] for r in by_id["公开01表"]["sections"][1]["rows"]}
    full = generate_final_report(
        3, empty_tables=False, all_classes=True, col_nos=False, table10=True
    )
    by_id = {t["table_id"]: t for t in full["tables"]}
    for tid in ("公开07表", "公开08表", "公开09表"):
        assert any(v not in ("0.00", None) for r in by_id[tid]["rows"] for v in r["values"])
    classes = [r for r in by_id["公开01表"]["sections"][1]["rows"] if "、" in (r["name"] or "")]
    assert len(classes) == (26 if full["meta"]["year"] >= 2020 else 25)
    assert len(classes) > len([n for n in with_data if n and "、" in n])
    assert all(c["col_no"] is None for c in by_id["公开02表"]["columns"])
    assert "公开10表" in by_id
    result = extract_text(render_report(full, TextStyle()), definitions)
    scores = score_document(result.model_dump(mode="json"), full)
    assert [m for s in scores for m in s.mismatches] == []
    assert {c.status for c in result.checks if c.severity == "hard"} == {"pass"}


def _named(result: DocumentResult, inj: Injection) -> list[Check]:
    """Hard checks that fail (or are suspect, or cannot be evaluated) and name the cell."""
    return [
        c
        for c in result.checks
        if c.severity == "hard"
        and c.status in ("fail", "suspect", "not_evaluated")
        and any(
            ref.table == inj.table_id and ref.line == inj.line and ref.col_index == inj.col
            for ref in c.cells
        )
    ]


def _truth_value(truth: dict[str, Any], inj: Injection) -> str | None:
    table = next(t for t in truth["tables"] if t["table_id"] == inj.table_id)
    if inj.section is None:
        rows = table["rows"]
    else:
        rows = next(s["rows"] for s in table["sections"] if s["section"] == inj.section)
    value: str | None = rows[inj.row]["values"][inj.col]
    return value


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_injection_is_caught_and_named(kind: str, seed: int, definitions: Definitions) -> None:
    text, truth, injections = make_case(seed, kind)
    assert (text, truth, injections) == make_case(seed, kind)  # deterministic
    (inj,) = injections
    assert inj.kind == kind and inj.before != inj.after and inj.line is not None
    clean = generate_final_report(seed)
    clean_lines = render_report(clean, TextStyle()).split("\n")
    changed = [i + 1 for i, (a, b) in enumerate(zip(clean_lines, text.split("\n"), strict=True))]
    changed = [n for n in changed if clean_lines[n - 1] != text.split("\n")[n - 1]]
    if kind in SOURCE_KINDS:
        assert inj.expected == "source_inconsistency"
        assert _truth_value(truth, inj) == inj.after  # the truth is the changed report
        assert text == render_report(truth, TextStyle())
        assert inj.line in changed
    else:
        assert kind in OCR_KINDS and inj.expected == "extraction_error"
        assert truth == clean  # the truth stays the generated report
        assert changed == [inj.line]
        assert (inj.before or "").replace(",", "") == _truth_value(truth, inj)
    result = extract_text(text, definitions)
    named = _named(result, inj)
    assert named, f"{inj} not caught"
    if kind in SOURCE_KINDS:
        failed = [c for c in named if c.status == "fail"]
        assert failed and all(c.classification == "source_inconsistency" for c in failed)
        assert result.status == "ok"


def test_clean_case(definitions: Definitions) -> None:
    text, truth, injections = make_case(5, None)
    assert injections == [] and text == render_report(truth, TextStyle())
    with pytest.raises(ValueError):
        make_case(5, "ocr.nonsense")


def test_clean_report_has_no_flagged_cells(definitions: Definitions) -> None:
    doc = generate_final_report(7)
    result = extract_text(render_report(doc, TextStyle()), definitions)
    flagged = [
        (t.table_id, r.line, c.status)
        for t in result.tables
        for r in [*t.rows, *(r for s in t.sections for r in s.rows)]
        for c in r.cells
        if c.status != "ok"
    ]
    assert flagged == []
