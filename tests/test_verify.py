"""Identity families, missing terms and the classification precedence, on seed 000 with
single changes injected (a text source: every cell is a faithful reading)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.model import CellSource, Check, DocumentResult
from extractor.pipeline import extract_text_bytes
from extractor.verify.findings import classify
from extractor.verify.verifier import verify_tables

from .conftest import SEED_FILES


def seed_lines(doc: str) -> list[str]:
    return SEED_FILES[doc].read_text(encoding="utf-8").split("\n")


def run(lines: list[str], definitions: Definitions) -> DocumentResult:
    data = "\n".join(lines).encode("utf-8")
    return extract_text_bytes(
        data, source_name="t.txt", config=ExtractConfig(), definitions=definitions
    )


def inject(lines: list[str], line_no: int, old: str, new: str) -> list[str]:
    out = list(lines)
    assert old in out[line_no - 1], (line_no, out[line_no - 1])
    out[line_no - 1] = out[line_no - 1].replace(old, new, 1)
    return out


def failing(result: DocumentResult, family: str) -> list[Check]:
    return [c for c in result.checks if c.family == family and c.status in ("fail", "warn")]


def test_clean_seed_has_no_failure(definitions: Definitions) -> None:
    r = run(seed_lines("000"), definitions)
    assert r.status == "ok"
    tables = [c for c in r.checks if c.family not in ("N", "A")]
    assert tables and not [
        c for c in tables if c.status in ("fail", "warn", "not_evaluated", "suspect")
    ]


def test_narrative_and_annex_fail_exactly_where_spec_says(definitions: Definitions) -> None:
    # SPEC.md §3: 000 l.486 (增长 33.98% for 51.48%), l.512 (32 itemised 年初预算 = 235.22,
    # not 1910.50), l.736 (137.63 + 17.59 ≠ 1910.5), l.1005 vs l.843 (151.47 vs 151.15);
    # 附件3-2 (l.942-960) lost a row upstream: its 总分 fails and says nothing can be read
    r = run(seed_lines("000"), definitions)
    prose = [c for c in r.checks if c.family == "N"]
    annex = [c for c in r.checks if c.family == "A"]
    assert len(prose) > 40 and len(annex) > 15
    assert sorted({c.cells[0].line for c in prose if c.status == "fail"}) == [486, 512, 736]
    assert all(c.classification == "source_inconsistency" for c in prose if c.status == "fail")
    failed = [c for c in annex if c.status == "fail"]
    assert sorted(c.cells[0].line for c in failed) == [960, 960, 1005]
    damaged = [c for c in failed if c.cells[0].line == 960]
    assert all("l.953" in c.message and "no repair" in c.message for c in damaged)
    assert {(c.actual, c.expected) for c in damaged} == {("100", "95"), ("96", "92")}
    assert r.status == "ok"  # findings, not reading errors of the tables
    r1 = run(seed_lines("001"), definitions)
    assert [c.cells[0].line for c in r1.checks if c.family == "N" and c.status == "fail"] == [
        484,
        484,
    ]


def test_row_identity_R(definitions: Definitions) -> None:
    # 02 l.126 人大事务: c1 31.35 -> 37.35 breaks c1 = c2 + … + c7 on that row
    r = run(inject(seed_lines("000"), 126, "31. 35", "37. 35"), definitions)
    rows = failing(r, "R")
    assert [c.cells[0].row for c in rows] == ["20101"]
    c = rows[0]
    assert c.severity == "hard" and c.classification == "source_inconsistency"
    assert c.cells[0].line == 126 and c.cells[0].column == "本年收入合计(1)"
    assert Decimal(c.delta or "0") == Decimal("6.00")


def test_tree_identity_H(definitions: Definitions) -> None:
    # the same change breaks the tree in column 1 (and nothing in column 2)
    r = run(inject(seed_lines("000"), 126, "31. 35", "37. 35"), definitions)
    tree = failing(r, "H")
    # 201 = Σ 款 and 20101 = Σ 项 (its leaf 2010101 still says 31.35), column 1 only
    assert {(c.cells[0].row, c.cells[0].column) for c in tree} == {
        ("201", "本年收入合计(1)"),
        ("20101", "本年收入合计(1)"),
    }


def test_total_identity_T_and_cross_table_X(definitions: Definitions) -> None:
    # 01 l.103 本年收入合计 3,676.35 -> 3,678.35
    r = run(inject(seed_lines("000"), 103, "3,676.35", "3,678.35"), definitions)
    t = failing(r, "T")
    x = failing(r, "X")
    assert any("本年收入合计" in c.cells[0].row for c in t)
    assert any(ref.row == "本年收入合计" and ref.line == 103 for c in x for ref in c.cells)
    assert all(c.classification == "source_inconsistency" for c in t + x)
    assert r.status == "ok"  # a faithful reading of an inconsistent report


def test_difference_D_warns_never_fails(definitions: Definitions) -> None:
    # 05 l.320 201 小计 96.57 -> 99.57: 05 > 03 on 201 is a D warning; R and H fail hard
    r = run(inject(seed_lines("000"), 320, "96.57", "99.57"), definitions)
    d = [c for c in r.checks if c.family == "D" and c.status != "pass"]
    assert d and all(c.status == "warn" and c.severity == "soft" for c in d)
    assert any(c.cells[0].row == "201" for c in d)
    assert r.summary.warnings == len([c for c in r.checks if c.status == "warn"])


def test_missing_term_is_not_evaluated(definitions: Definitions) -> None:
    # drop the 02 合计 values line: the X identities naming 02 合计 cannot be evaluated
    lines = seed_lines("000")
    lines[123] = ""  # l.124 the unlabelled 合计 values
    r = run(lines, definitions)
    ne = [c for c in r.checks if c.status == "not_evaluated"]
    assert ne and all("final.income[total]" in c.message for c in ne)


def test_classification_precedence(definitions: Definitions) -> None:
    """The same failure is a source inconsistency on a faithful text cell and an extraction
    error when the cell was read by OCR and a single confusion (6 -> 8) explains it."""
    r = run(inject(seed_lines("000"), 126, "31. 35", "31. 55"), definitions)
    tables = r.tables
    check = next(c for c in r.checks if c.family == "R" and c.status == "fail")
    assert classify(tables, check) == "source_inconsistency"
    ref = check.cells[0]
    row = tables[ref.table_index].rows[ref.row_index]
    row.cells[ref.col_index] = row.cells[ref.col_index].model_copy(
        update={"source": CellSource.OCR}
    )
    assert classify(tables, check) == "source_inconsistency"  # 5 -> 3 is not a confusion here
    r2 = run(inject(seed_lines("000"), 126, "31. 35", "31. 85"), definitions)  # 3 read as 8
    check2 = next(c for c in r2.checks if c.family == "R" and c.status == "fail")
    ref2 = check2.cells[0]
    row2 = r2.tables[ref2.table_index].rows[ref2.row_index]
    row2.cells[ref2.col_index] = row2.cells[ref2.col_index].model_copy(
        update={"source": CellSource.OCR}
    )
    assert classify(r2.tables, check2) == "extraction_error"


def test_verification_is_deterministic(definitions: Definitions) -> None:
    r = run(seed_lines("001"), definitions)
    again = verify_tables(definitions, r.tables)
    tables = [c for c in r.checks if c.family not in ("N", "A")]
    assert [c.model_dump() for c in again] == [c.model_dump() for c in tables]


@pytest.mark.parametrize("doc", ["000", "001"])
def test_every_check_has_stable_unique_id(doc: str, definitions: Definitions) -> None:
    r = run(seed_lines(doc), definitions)
    ids = [c.id for c in r.checks]
    assert len(ids) == len(set(ids))
    assert all(c.rule.startswith("verify.") for c in r.checks)
