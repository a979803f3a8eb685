"""End to end on the sample reports against their hand-checked truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import extractor
from extractor.cli import main
from extractor_evals import score_document

from .conftest import SEED_FILES, truth

EXPECTED_DEFINITIONS = {
    "公开01表": "final.summary",
    "公开02表": "final.income",
    "公开03表": "final.expense",
    "公开04表": "final.fiscal_summary",
    "公开05表": "final.gpb_expense",
    "公开06表": "final.basic_detail",
    "公开07表": "final.gov_fund",
    "公开08表": "final.soe_expense",
    "公开09表": "final.three_public",
    "公开10表": "final.public_info",
}


@pytest.fixture(scope="module", params=["000", "001"])
def doc(request: pytest.FixtureRequest) -> tuple[str, extractor.DocumentResult]:
    return request.param, extractor.extract(SEED_FILES[request.param])


def test_every_table_found_and_matched(doc: tuple[str, extractor.DocumentResult]) -> None:
    name, result = doc
    expected = [t["table_id"] for t in truth(name)["tables"]]
    got = {t.table_id: t.definition for t in result.tables}
    for tid in expected:
        assert got.get(tid) == EXPECTED_DEFINITIONS[tid], tid


def test_every_cell_equals_truth(doc: tuple[str, extractor.DocumentResult]) -> None:
    name, result = doc
    scores = score_document(result.model_dump(mode="json"), truth(name))
    mismatches = [m for s in scores for m in s.mismatches]
    assert all(s.found for s in scores)
    assert all(s.rows_got == s.rows_expected for s in scores), [
        (s.table, s.rows_expected, s.rows_got) for s in scores
    ]
    assert sum(s.cells for s in scores) > 700
    assert mismatches == []


def test_columns_and_metadata_equal_truth(doc: tuple[str, extractor.DocumentResult]) -> None:
    name, result = doc
    by_id = {t.table_id: t for t in result.tables}
    for tt in truth(name)["tables"]:
        t = by_id[tt["table_id"]]
        assert t.title == tt["title"]
        assert t.unit == tt["unit"]
        assert t.department_as_printed == tt["department_as_printed"]
        if tt.get("columns"):
            assert [(c.col_no, c.name) for c in t.columns] == [
                (c["col_no"], c["name"]) for c in tt["columns"]
            ]
        for ts, s in zip(tt.get("sections") or [], t.sections, strict=True):
            assert [(c.col_no, c.name) for c in s.columns] == [
                (c["col_no"], c["name"]) for c in ts["columns"]
            ]
            assert [(r.row_no, r.name, r.line) for r in s.rows] == [
                (r["row_no"], r["name"], r["line"]) for r in ts["rows"]
            ]
        for tr, r in zip(tt.get("rows") or [], t.rows, strict=True):
            assert (r.code, r.name, r.line) == (tr["code"], tr["name"], tr["line"])
            if "block" in tr:
                assert r.block == tr["block"]


def test_hard_identities_all_evaluated_and_hold(doc: tuple[str, extractor.DocumentResult]) -> None:
    _, result = doc
    hard = [c for c in result.checks if c.severity == "hard"]
    assert len(hard) > 150
    assert {c.status for c in hard} <= {"pass", "rounding"}
    assert {c.family for c in hard} >= {"R", "H", "T", "X"}
    assert not [
        c for c in result.checks if c.severity == "hard" and c.classification == "extraction_error"
    ]
    assert result.status == "ok"
    # rounding only ever by one unit of the last digit in these reports (SPEC.md §2)
    assert all(abs(float(c.delta or 0)) <= 0.01 for c in hard if c.status == "rounding")


def test_result_is_deterministic_and_cli_writes_outputs(tmp_path: Path) -> None:
    src = SEED_FILES["000"]
    assert main(["extract", str(src), "-o", str(tmp_path / "a")]) == 0
    assert main(["extract", str(src), "-o", str(tmp_path / "b")]) == 0
    a = (tmp_path / "a" / f"{src.stem}.json").read_bytes()
    b = (tmp_path / "b" / f"{src.stem}.json").read_bytes()
    assert a == b
    data = json.loads(a)
    assert set(data) >= {"document", "status", "errors", "tables", "checks", "findings", "usage"}
    assert str(tmp_path) not in a.decode() and str(src.parent) not in a.decode()
    run = json.loads((tmp_path / "a" / f"{src.stem}.run.json").read_text())
    assert run["seconds"] > 0
    csvs = sorted((tmp_path / "a").glob("*.table[0-9]*.csv"))
    assert len(csvs) == len(data["tables"])
    assert (tmp_path / "a" / f"{src.stem}.tables.csv").is_file()  # the index of the tables
    assert "3676.35" in csvs[1].read_text(encoding="utf-8")  # 公开02表 合计
    # every value cell carries its provenance
    row = data["tables"][1]["rows"][0]
    assert len(row["cells"]) == len(row["values"])
    assert row["cells"][0] == {
        **row["cells"][0],
        "raw": "3, 676. 35",
        "line": 124,
        "source": "text",
    }
