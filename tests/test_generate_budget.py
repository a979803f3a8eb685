"""Generated 部门预算 reports (extractor_evals/generate_budget.py, render_budget.py) and their
labeled injections (inject_budget.py).

A generated budget is exact by construction: the truth's own values satisfy every hard family-B
identity of schemas/budget.toml with Δ = 0 (checked by the real verifier on tables that carry the
truth's values), the rendered text reads back cell for cell, its narrative claims hold, and each
injected inconsistency is reported at its labeled place and nowhere else.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest

from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.model import DocumentResult, Table
from extractor.pipeline import extract_text_bytes
from extractor.verify.verifier import verify_tables
from extractor_evals import score_document
from extractor_evals.generate import CLASSES
from extractor_evals.generate_budget import BUDGET_TOC, generate_budget_report, share_percent
from extractor_evals.harness import generated_budget_dataset, measure
from extractor_evals.inject_budget import BUDGET_KINDS, make_budget_case
from extractor_evals.render_budget import TRAPS, render_budget_report

from .gen_util import extract_text, truth_rows, walk

SEEDS = range(12)
MANY = range(40)


def _truth_tables(result: DocumentResult, doc: dict[str, Any]) -> list[Table]:
    """The extracted tables (definitions, column keys and row roles as the mapper found them)
    with every value replaced by the truth's: what the verifier says of them is what it says
    of the generated document itself, whatever the reading."""
    by_toc = {t["toc_no"]: t for t in doc["tables"]}
    out: list[Table] = []
    for table in result.tables:
        truth = by_toc[table.toc_no]
        if table.sections:
            sections = []
            for sec, tsec in zip(table.sections, truth["sections"], strict=True):
                assert len(sec.rows) == len(tsec["rows"])
                rows = [
                    r.model_copy(update={"values": list(t["values"]), "cells": []})
                    for r, t in zip(sec.rows, tsec["rows"], strict=True)
                ]
                sections.append(sec.model_copy(update={"rows": rows}))
            out.append(table.model_copy(update={"sections": sections}))
        else:
            assert len(table.rows) == len(truth["rows"]), truth["toc_no"]
            rows = [
                r.model_copy(update={"values": list(t["values"]), "cells": []})
                for r, t in zip(table.rows, truth["rows"], strict=True)
            ]
            out.append(table.model_copy(update={"rows": rows}))
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_same_seed_same_report(seed: int) -> None:
    a = json.dumps(generate_budget_report(seed), ensure_ascii=False, sort_keys=True)
    assert a == json.dumps(generate_budget_report(seed), ensure_ascii=False, sort_keys=True)
    assert a != json.dumps(generate_budget_report(seed + 1), ensure_ascii=False, sort_keys=True)
    doc = generate_budget_report(seed)
    assert render_budget_report(doc) == render_budget_report(generate_budget_report(seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_report_shape(seed: int) -> None:
    doc = generate_budget_report(seed)
    meta = doc["meta"]
    assert 2018 <= meta["year"] <= 2025 and meta["kind"] == "预算" and meta["unit"] == "万元"
    assert [t["toc_no"] for t in doc["tables"]] == list(range(1, 21))
    assert not any(isinstance(x, float) for x in walk(doc))
    lines = render_budget_report(doc).split("\n")
    for t in doc["tables"]:
        assert t["table_id"] in (None, f"附件{t['toc_no']}")
        assert t["title"] == BUDGET_TOC[t["toc_no"]][1]
        # the 目录 lists every table by its number
        assert f"- {t['toc_no']}.{t['toc_title']}" in lines
        for r in truth_rows(t):
            for v in r["values"]:
                assert v is None or re.fullmatch(r"\d+\.\d\d", v), v
            # the row's line holds its printed values, in order
            printed = [c.replace(",", "") for c in lines[r["line"] - 1].split("\t")]
            vals = [v for v in r["values"] if v is not None]
            it = iter(printed)
            assert all(v in it for v in vals), (t["toc_no"], r["line"])
        if t.get("empty"):
            assert truth_rows(t) == [] and t["empty_as_printed"] in ("无", "no_row")
    coded = next(t for t in doc["tables"] if t["toc_no"] == 3)
    levels = [r["level"] for r in coded["rows"]]
    assert levels[0] == "total" and "项" in levels
    assert ("类" in levels) == meta["options"]["tree"]
    for r in coded["rows"][1:]:
        assert (
            r["code"][:3] in CLASSES and len(r["code"]) == {"类": 3, "款": 5, "项": 7}[r["level"]]
        )
        parts = [r["code"][:3], r["code"][3:5], r["code"][5:]]
        assert r["code_as_printed"].split(" ") == [p for p in parts if p]
    if meta["options"]["tree"]:  # every 类 and 款 is the sum of the rows under it
        for r in coded["rows"][1:]:
            if r["level"] == "项":
                continue
            under = [
                x for x in coded["rows"] if x["level"] == "项" and x["code"].startswith(r["code"])
            ]
            got = Decimal(r["values"][0])
            assert got == sum((Decimal(x["values"][0]) for x in under), Decimal(0))


def test_variation_over_seeds() -> None:
    docs = [generate_budget_report(s) for s in MANY]
    opts = [d["meta"]["options"] for d in docs]
    assert {o["mixed"] for o in opts} == {True, False}
    assert {o["fund_basic"] for o in opts} == {True, False}
    assert {o["empty_style"] for o in opts} == {"无", "no_row"}
    assert {o["all_classes"] for o in opts} == {True, False}
    assert {o["tree"] for o in opts} == {o["spread_basic"] for o in opts} == {True, False}
    # basic spending over several 项 codes: the detail tables print a 合计 row over them
    wages = [next(t for t in d["tables"] if t["toc_no"] == 5) for d in docs]
    assert {len(t["rows"]) > 1 for t in wages} == {True, False}
    assert all(t["rows"][0]["level"] == "total" for t in wages if len(t["rows"]) > 1)
    assert any(o["unlabeled"] for o in opts) and any(not o["unlabeled"] for o in opts)
    years = {d["meta"]["year"] for d in docs}
    assert min(years) < 2019 <= max(years)
    assert len({d["meta"]["department"] for d in docs}) > 30
    texts = [render_budget_report(d) for d in docs]
    assert any(re.search(r"\t\d{1,3},\d{3}\.\d\d", t) for t in texts)  # thousands separators
    for d, text in zip(docs, texts, strict=True):
        summary = next(t for t in d["tables"] if t["toc_no"] == 1)
        names = {r["name"] for r in summary["sections"][1]["rows"]}
        if any(n.endswith("、医疗卫生与计划生育支出") for n in names):
            assert d["meta"]["year"] < 2019
        if any(n.endswith("、卫生健康支出") for n in names):
            assert d["meta"]["year"] >= 2019
        for t in d["tables"]:
            if t["table_id"] is None:
                assert f"附件{t['toc_no']}\n" not in text


def _total(doc: dict[str, Any], toc_no: int) -> list[Decimal]:
    table = next(t for t in doc["tables"] if t["toc_no"] == toc_no)
    if table.get("empty"):
        return [Decimal(0)] * len(table["columns"])
    row = table["rows"][0]
    return [Decimal(v or 0) for v in row["values"]]


def test_mixed_funding_all_funds_tables_differ() -> None:
    mixed = [generate_budget_report(s, mixed=True) for s in range(8)]
    for doc in mixed:
        assert _total(doc, 4)[0] > _total(doc, 9)[0]  # 附件4 holds the 政府性基金 money too
        assert _total(doc, 13)[0] == _total(doc, 4)[0] - _total(doc, 9)[0]
        goods, goods_gpb = _total(doc, 6), _total(doc, 11)
        assert all(a >= b for a, b in zip(goods, goods_gpb, strict=True))
        if doc["meta"]["options"]["fund_basic"]:
            assert goods[0] > goods_gpb[0]
    assert any(d["meta"]["options"]["fund_basic"] for d in mixed)
    plain = generate_budget_report(0, mixed=False)
    assert _total(plain, 4) == _total(plain, 9) and _total(plain, 13)[0] == 0


@pytest.mark.parametrize("seed", MANY)
def test_truth_satisfies_every_hard_identity(seed: int, definitions: Definitions) -> None:
    doc = generate_budget_report(seed)
    result = extract_text(render_budget_report(doc), definitions)
    assert sorted(t.toc_no or 0 for t in result.tables) == list(range(1, 21))
    assert all(t.definition for t in result.tables)
    checks = verify_tables(definitions, _truth_tables(result, doc))
    hard = [c for c in checks if c.severity == "hard"]
    assert len(hard) > 100
    assert [(c.id, c.status, c.message) for c in hard if c.status != "pass"] == []
    # the cross-table equalities of the family were evaluated, not skipped
    cross = {c.expression for c in hard if "budget.basic_econ" in c.expression}
    assert len(cross) >= 10
    assert [c.message for c in checks if c.severity == "soft" and c.status != "pass"] == []


def test_verifier_sees_a_changed_truth(definitions: Definitions) -> None:
    """The identity test above can fail: one changed truth value makes a hard check fail."""
    doc = generate_budget_report(4)
    result = extract_text(render_budget_report(doc), definitions)
    t3 = next(t for t in doc["tables"] if t["toc_no"] == 3)
    t3["rows"][1]["values"][0] = str(Decimal(t3["rows"][1]["values"][0]) + Decimal("0.10"))
    checks = verify_tables(definitions, _truth_tables(result, doc))
    assert any(c.severity == "hard" and c.status == "fail" for c in checks)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("traps", [(), ("lost_cell", "header_left")])
def test_rendered_budget_reads_exactly(
    seed: int, traps: tuple[str, ...], definitions: Definitions
) -> None:
    doc = generate_budget_report(seed)
    text = render_budget_report(doc, traps=traps)
    if traps:  # the traps really move cells, and only cells: the values printed stay the same
        clean = render_budget_report(doc)
        assert text != clean
        assert sorted(text.split()) == sorted(clean.split())
    result = extract_text(text, definitions)
    assert result.status == "ok" and result.summary.tables_matched == 20
    scores = score_document(result.model_dump(mode="json"), doc, check_names=True)
    assert all(s.found for s in scores)
    assert [(s.table, s.rows_got) for s in scores] == [(s.table, s.rows_expected) for s in scores]
    assert [m for s in scores for m in s.mismatches] == []
    by_toc = {t.toc_no: t for t in result.tables}
    for t in doc["tables"]:
        got = by_toc[t["toc_no"]]
        assert got.table_id == t["table_id"]
        lines = [r.line for r in ([r for s in got.sections for r in s.rows] or got.rows)]
        assert lines == [r["line"] for r in truth_rows(t)], t["toc_no"]
    hard = [c for c in result.checks if c.severity == "hard"]
    assert [(c.id, c.status) for c in hard if c.status != "pass"] == []
    assert [c for c in result.checks if c.classification is not None] == []
    # the narrative's claims are read and hold
    narrative = [c for c in result.checks if c.family == "N"]
    assert len(narrative) >= 4 and {c.status for c in narrative} == {"pass"}


def test_narrative_states_the_shares() -> None:
    doc = generate_budget_report(2)
    f = doc["meta"]["facts"]
    text = render_budget_report(doc)
    basic = share_percent(f["basic"], f["total"])
    project = share_percent(f["project"], f["total"])
    assert f"占{basic}%" in text and f"占{project}%" in text
    assert abs(Decimal(basic) + Decimal(project) - 100) <= Decimal("0.01")


@pytest.mark.parametrize("kind", BUDGET_KINDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_injection_is_caught_at_its_label(kind: str, seed: int, definitions: Definitions) -> None:
    text, truth, injections = make_budget_case(seed, kind)
    assert (text, truth, injections) == make_budget_case(seed, kind)
    (inj,) = injections
    assert inj.kind == kind and inj.before != inj.after and inj.line is not None
    assert abs(Decimal(inj.after or "0") - Decimal(inj.before or "0")) >= Decimal("0.05")
    assert (
        text.split("\n")[inj.line - 1]
        != render_budget_report(generate_budget_report(seed)).split("\n")[inj.line - 1]
    )
    result = extract_text(text, definitions)
    assert result.status == "ok"
    # the pipeline still reads every cell as printed (the truth is the changed report)
    scores = score_document(result.model_dump(mode="json"), truth)
    assert [m for s in scores for m in s.mismatches] == []
    detected = [c for c in result.checks if c.classification == "source_inconsistency"]
    at_label = [c for c in detected if any(ref.line == inj.line for ref in c.cells)]
    assert at_label, f"{inj} not caught"
    if kind.startswith("source."):
        assert any(c.severity == "hard" and c.status == "fail" for c in at_label)
        tables = {ref.table for c in at_label for ref in c.cells if ref.line == inj.line}
        assert tables & {
            inj.table_id,
            *(t.title for t in result.tables if t.toc_no == int(inj.table_id.removeprefix("附件"))),
        }
    else:
        assert all(c.family == "N" for c in at_label)


def test_generated_budget_dataset_metrics(definitions: Definitions) -> None:
    cases = generated_budget_dataset(6, seed=20)
    assert [c.name.split("-", 1)[1] for c in cases] == ["clean", *BUDGET_KINDS, "traps"]
    for case in cases:
        result = extract_text_bytes(
            case.data, source_name=case.source_name, config=ExtractConfig(), definitions=definitions
        )
        m = measure(case, result, 0.0)
        assert m.cells == m.cells_exact and m.tables_found == m.tables_expected == 20
        assert m.source_detected_true == m.source_labels == len(case.labels)
        assert m.source_detected_false == 0 and m.silent_errors == 0


@pytest.mark.parametrize("seed", range(4))
def test_extra_leading_cell_keeps_every_value(seed: int, definitions: Definitions) -> None:
    """004 附件6: a data row with one extra leading cell. Every value is still placed right."""
    doc = generate_budget_report(seed)
    text = render_budget_report(doc, traps=TRAPS)
    result = extract_text(text, definitions)
    scores = score_document(result.model_dump(mode="json"), doc, check_names=False)
    assert [m for s in scores for m in s.mismatches] == []
    hard = [c for c in result.checks if c.severity == "hard"]
    assert [(c.id, c.status) for c in hard if c.status != "pass"] == []


def test_extra_leading_cell_keeps_the_code(definitions: Definitions) -> None:
    doc = generate_budget_report(0)
    result = extract_text(render_budget_report(doc, traps=("extra_cell",)), definitions)
    goods = next(t for t in result.tables if t.toc_no == 6)
    truth = next(t for t in doc["tables"] if t["toc_no"] == 6)
    assert [r.code for r in goods.rows] == [r["code"] for r in truth["rows"]]
