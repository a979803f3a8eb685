"""Deterministic repair of OCR misreads (extract/repair.py), and the auto mode on OCR input:
what repair fixes costs no LLM call; what it cannot fix goes to the LLM, which may not change
digits, and stays reported."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from extractor.config import ExtractConfig, LlmOptions
from extractor.definitions import Definitions
from extractor.extract.llm import LlmClient
from extractor.extract.repair import confusion_variants
from extractor.ingest.text import read_text
from extractor.model import CellSource, DocumentInfo, DocumentResult, Row, SourceRow
from extractor.numbers import parse_amount
from extractor.pipeline import _from_rows
from extractor_evals.inject import Injection, make_case
from tests.fake_openai import Oracle, fake_openai


def ocr_rows(rows: list[SourceRow]) -> list[SourceRow]:
    """The text's rows as an OCR engine would give them (origin ocr, a confidence)."""
    return [
        replace(r, cells=tuple(replace(c, origin="ocr", confidence=0.93) for c in r.cells))
        for r in rows
    ]


def extract(
    text: str,
    definitions: Definitions,
    *,
    ocr: bool,
    config: ExtractConfig | None = None,
    llm: LlmClient | None = None,
) -> DocumentResult:
    data = text.encode("utf-8")
    doc = read_text(data)
    rows = ocr_rows(doc.rows) if ocr else doc.rows
    info = DocumentInfo(source="case", sha256="")
    return _from_rows(rows, [], [], info, config or ExtractConfig(), definitions, data, llm)


def row_of(result: DocumentResult, inj: Injection) -> Row:
    table = next(t for t in result.tables if t.table_id == inj.table_id)
    return next(r for r in table.rows if r.line == inj.line)


def test_confusion_variants() -> None:
    got = {v for v, _ in confusion_variants("1,234.56", 2)}
    assert "7,234.56" in got and "1,284.56" in got and "1,234.56".replace(".", ",") in got
    assert "1,234.58" not in got  # the last decimal is the tolerance's business
    assert "12.34" in {v for v, _ in confusion_variants("1234", 2)}  # dropped point


@pytest.mark.parametrize(
    ("seed", "kind"),
    [(0, "ocr.digit"), (3, "ocr.digit"), (1, "ocr.decimal_point"), (3, "ocr.shift")],
)
def test_ocr_misread_is_repaired(definitions: Definitions, seed: int, kind: str) -> None:
    text, doc, (inj,) = make_case(seed, kind)
    result = extract(text, definitions, ocr=True)
    row = row_of(result, inj)
    truth = next(t for t in doc["tables"] if t["table_id"] == inj.table_id)
    truth_row = next(
        r for r in truth["rows"] if r.get("code") == row.code and r["name"] == row.name
    )
    if kind == "ocr.shift":  # the vacated cell's "0.00" was overwritten: blank is all we know

        def num(v: str | None) -> Decimal:
            return Decimal(v) if v else Decimal(0)

        assert [num(v) for v in row.values] == [num(v) for v in truth_row["values"]]
    else:
        assert row.values == truth_row["values"]
    repaired = [c for c in row.cells if c.source is CellSource.REPAIR]
    assert repaired and all(c.status == "repaired" for c in repaired)
    if kind != "ocr.shift":
        assert repaired[0].raw is not None and repaired[0].raw.strip() == inj.after  # raw kept
    (finding,) = [f for f in result.findings if f.kind == "repair"]
    assert "makes pass:" in finding.message and finding.check
    assert result.summary.extraction_errors == 0 and result.summary.failed == 0


@pytest.mark.parametrize(("seed", "kind"), [(0, "ocr.digit"), (1, "ocr.decimal_point")])
def test_a_faithful_text_cell_is_never_repaired(
    definitions: Definitions, seed: int, kind: str
) -> None:
    """The same damage printed in a text source is what the report prints: a source
    inconsistency, left as printed."""
    text, _, (inj,) = make_case(seed, kind)
    result = extract(text, definitions, ocr=False)
    assert not [f for f in result.findings if f.kind == "repair"]
    assert all(c.source is CellSource.TEXT for t in result.tables for r in t.rows for c in r.cells)
    assert result.summary.source_inconsistencies > 0
    assert result.summary.extraction_errors == 0
    printed = parse_amount(inj.after or "")
    assert printed is not None and printed.text in row_of(result, inj).values


def test_repair_can_be_switched_off(definitions: Definitions) -> None:
    text, _, _ = make_case(0, "ocr.digit")
    result = extract(text, definitions, ocr=True, config=ExtractConfig(repair=False))
    assert not [f for f in result.findings if f.kind == "repair"]
    assert result.summary.extraction_errors > 0


def test_a_dropped_cell_is_not_guessed(definitions: Definitions) -> None:
    """A row that lost a cell has no single-cell repair: it stays an extraction error."""
    text, _, _ = make_case(1, "ocr.drop_cell")
    result = extract(text, definitions, ocr=True)
    assert not [f for f in result.findings if f.kind == "repair"]
    assert result.summary.extraction_errors > 0


def test_auto_spends_nothing_on_what_repair_fixes(definitions: Definitions) -> None:
    text, _, _ = make_case(0, "ocr.digit")
    with fake_openai(Oracle()) as server:
        opts = LlmOptions(mode="auto", model="fake", base_url=server.base_url, backoff_s=0.01)
        result = extract(
            text, definitions, ocr=True, config=ExtractConfig(llm=opts), llm=LlmClient(opts)
        )
        assert server.requests == []
    assert result.usage.llm_calls == 0
    assert [f.kind for f in result.findings if f.kind == "repair"] == ["repair"]


def test_auto_sends_what_repair_cannot_fix_and_changes_no_digit(definitions: Definitions) -> None:
    """A dropped OCR cell: the table goes to the LLM (structure is its business), the oracle
    reads the grid as printed, the identities still fail, and the mapper's reading stands with
    its extraction errors reported. No digit differs from the OCR reading."""
    text, _, (inj,) = make_case(1, "ocr.drop_cell")
    plain = extract(text, definitions, ocr=True)
    with fake_openai(Oracle()) as server:
        opts = LlmOptions(mode="auto", model="fake", base_url=server.base_url, backoff_s=0.01)
        result = extract(
            text, definitions, ocr=True, config=ExtractConfig(llm=opts), llm=LlmClient(opts)
        )
        # one table, one answer: the LLM reads the grid as the mapper did, so the failing
        # identities are in the grid as read and no re-ask is spent on them
        assert len(server.requests) == 1
    assert result.usage.llm_calls == len(server.requests)
    assert result.summary.extraction_errors == plain.summary.extraction_errors > 0
    assert "verify.extraction_error" in [e.code for e in result.errors]
    for a, b in zip(plain.tables, result.tables, strict=True):
        assert [r.values for r in a.rows] == [r.values for r in b.rows]
    assert any(r.line == inj.line for t in result.tables for r in t.rows)


def test_always_repairs_the_llm_reading_of_an_ocr_misread(definitions: Definitions) -> None:
    """always: the LLM copies the OCR reading (digits are not its business); the misread is
    repaired deterministically on the LLM's reading, with no re-ask spent on it."""
    text, _, (inj,) = make_case(0, "ocr.digit")
    plain = extract(text, definitions, ocr=True)
    with fake_openai(Oracle()) as server:
        opts = LlmOptions(mode="always", model="fake", base_url=server.base_url, backoff_s=0.01)
        result = extract(
            text, definitions, ocr=True, config=ExtractConfig(llm=opts), llm=LlmClient(opts)
        )
        assert all(len(r["messages"]) == 2 for r in server.requests)  # no re-ask
    row = row_of(result, inj)
    assert row.values == row_of(plain, inj).values  # the same repaired value
    assert {c.source for c in row.cells} == {CellSource.LLM, CellSource.REPAIR}
    (finding,) = [f for f in result.findings if f.kind == "repair"]
    assert finding.printed != finding.computed
    assert result.summary.extraction_errors == 0
