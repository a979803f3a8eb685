"""The fault barrier (extractor/barrier.py): an element that raises costs that element only.

Each test makes one element of a real report fail deterministically (a stage function
monkeypatched to raise for that element alone) and checks that the error names it with an
``internal.<stage>`` code, that everything else is delivered as in a clean run, and that the
status is ``partial``. The known crash of issue 12 (a growth claim over a base of 0) is
tested unpatched, in the library, the CLI's batch and the prose checker."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import extractor
import extractor.pipeline as pipeline
from extractor.barrier import Barrier
from extractor.cli import main
from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.errors import ConfigError
from extractor.ingest.text import read_text
from extractor.model import Check, DocumentInfo, DocumentResult
from extractor.numbers import parse_amount, plain_decimal
from extractor.output import result_json
from extractor.pipeline import _from_rows, extract_text_bytes
from extractor.verify import annex, findings, narrative
from extractor.verify.intervals import Interval, ratio
from extractor.verify.narrative import narrative_checks
from extractor.verify.verifier import Verifier
from extractor_evals.inject import make_case

from .conftest import SEED_FILES
from .test_llm_repair import ocr_rows

# a growth claim whose year before is 0: the percentage has no bound (issue 12's crash)
ZERO_BASE = "收入总计100万元。与上年相比，增加100万元，增长100%。"


def _extract(text: str, definitions: Definitions) -> DocumentResult:
    return extract_text_bytes(
        text.encode("utf-8"),
        source_name="case.txt",
        config=ExtractConfig(),
        definitions=definitions,
    )


def _seed(name: str) -> str:
    return SEED_FILES[name].read_text(encoding="utf-8")


def _codes(result: DocumentResult) -> list[str]:
    return [e.code for e in result.errors]


def _key(c: Check) -> tuple[Any, ...]:
    """A check without its running number (narrative ids count the claims before them)."""
    return (c.rule, c.expression, c.status, c.actual, c.expected, [x.line for x in c.cells])


@pytest.fixture(scope="module")
def clean000() -> DocumentResult:
    return extractor.extract(SEED_FILES["000"])


# ---------------------------------------------------------------- the known crash


def test_a_growth_claim_over_a_zero_base_is_not_evaluated(definitions: Definitions) -> None:
    (check,) = narrative_checks([(ZERO_BASE, 7, None)], [], definitions)
    assert check.status == "not_evaluated" and check.classification is None
    assert check.expected is None and "base may be 0" in check.message
    assert check.cells[0].line == 7


@pytest.mark.parametrize(
    "sentence",
    [
        "支出1e30万元，增加1e30万元，增长0%。",
        "收入0万元，增加0万元，增长0%。",
        "收入50万元，减少0万元，下降0%。",
        "收入50万元，增加80万元，增长1000000%。",  # a base below 0
        "收入总计1,万元，增加1,万元，增长5%。",  # digits, no amount
        "收入" + "9" * 500 + "万元，增加" + "9" * 500 + "万元，增长100%。",
        "收入100.000000000001万元，增加1万元，增长1.0000000000001%。",
        "年初预算为0.00万元，支出决算为5万元，完成年初预算的NaN%。",
        "支出合计0万元，其中：基本支出0万元，占0%；项目支出0万元，占100%。",
    ],
)
def test_absurd_numbers_in_prose_never_raise(definitions: Definitions, sentence: str) -> None:
    checks = narrative_checks([(sentence, 1, None)], [], definitions)
    assert all(c.status in ("pass", "fail", "not_evaluated") for c in checks)


def test_the_crash_sentence_in_a_report_costs_nothing(
    definitions: Definitions, clean000: DocumentResult
) -> None:
    lines = _seed("000").split("\n")
    lines.insert(485, ZERO_BASE)
    r = _extract("\n".join(lines), definitions)
    assert r.status == clean000.status == "ok"
    assert len(r.tables) == len(clean000.tables)
    assert any(c.status == "not_evaluated" and c.family == "N" for c in r.checks)
    json.loads(result_json(r))


def test_the_crash_sentence_in_a_batch_is_no_batch_exception(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    lines = _seed("001").split("\n")
    (src / "zero.txt").write_text("\n".join([*lines[:40], ZERO_BASE, *lines[40:]]), "utf-8")
    out = tmp_path / "out"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["batch", str(src), "-o", str(out), "--workers", "1"])
    result = json.loads((out / "zero.json").read_text(encoding="utf-8"))
    assert code == 0 and result["status"] in ("ok", "partial")
    assert not [e for e in result["errors"] if e["code"].startswith(("batch.", "internal."))]


# ---------------------------------------------------------------- numbers and intervals


def test_amounts_refuse_exponents_nan_and_absurd_sizes() -> None:
    for text in ("1e30", "1E+5", "NaN", "nan", "Infinity", "-inf", "9" * 16, "1." + "0" * 9):
        assert parse_amount(text) is None, text
        assert plain_decimal(text) is None, text
    assert parse_amount("9" * 15) is not None and parse_amount("0" * 20 + "1.5") is not None
    assert plain_decimal("0.000") == Decimal("0.000") and plain_decimal("12\n") is None


def test_interval_division_by_an_interval_containing_zero() -> None:
    one = Interval.around(Decimal(1), Decimal("0.5"))
    assert ratio(one, Interval(Decimal("-0.1"), Decimal("0.1"))) is None
    assert ratio(one, Interval(Decimal(0), Decimal(2))) is None
    empty = Interval(Decimal(2), Decimal(1))
    assert empty.empty and empty.mid() is None and not empty.contains(Decimal("1.5"))
    assert ratio(empty, one) is None and ratio(one, empty) is None
    nan = Interval(Decimal("NaN"), Decimal(1))
    assert nan.empty and ratio(one, nan) is None
    unbounded = Interval(Decimal("-Infinity"), Decimal("Infinity"))
    assert unbounded.mid() is None and ratio(unbounded, one) is None
    got = ratio(one, Interval(Decimal(2), Decimal(4)), Decimal(100))
    assert got == Interval(Decimal("12.5"), Decimal(75))
    neg = ratio(one, Interval(Decimal(-4), Decimal(-2)))
    assert neg == Interval(Decimal("-0.75"), Decimal("-0.125"))


# ---------------------------------------------------------------- one barrier per stage


def test_an_identity_that_raises_costs_that_identity(
    monkeypatch: pytest.MonkeyPatch, clean000: DocumentResult
) -> None:
    real = Verifier._row_identity

    def flaky(self: Verifier, table_id: str, ident: Any, ti: int, n: int) -> None:
        real(self, table_id, ident, ti, n)  # some of its checks are made before it raises
        if table_id == "final.income":
            raise ZeroDivisionError("injected")

    monkeypatch.setattr(Verifier, "_row_identity", flaky)
    r = extractor.extract(SEED_FILES["000"])
    assert r.status == "partial"
    (err,) = [e for e in r.errors if e.code == "internal.verify"]
    assert "公开02表" in err.message and "final.income/R0" in err.message
    assert "ZeroDivisionError: injected" in err.message and err.line == 112
    (stub,) = [c for c in r.checks if c.id == "final.income/R0/internal"]
    assert stub.status == "not_evaluated" and "ZeroDivisionError" in stub.message
    # every other check as in the clean run; the identity's partial checks taken back
    want = [c for c in clean000.checks if not c.id.startswith("final.income/R0/")]
    assert [c for c in r.checks if c is not stub] == want
    assert r.tables == clean000.tables


def test_a_narrative_claim_that_raises_costs_that_claim(
    monkeypatch: pytest.MonkeyPatch, clean000: DocumentResult
) -> None:
    real = narrative._current

    def flaky(p: Any, at: int) -> Any:
        if p.line_at(at) == 498:
            raise ValueError("injected")
        return real(p, at)

    monkeypatch.setattr(narrative, "_current", flaky)
    r = extractor.extract(SEED_FILES["000"])
    assert r.status == "partial"
    (err,) = [e for e in r.errors if e.code == "internal.narrative"]
    assert err.line == 498 and "growth claim" in err.message and "ValueError" in err.message
    lost = [c for c in clean000.checks if c.expression == "growth" and c.cells[0].line == 498]
    assert len(lost) == 1
    assert [_key(c) for c in r.checks] == [_key(c) for c in clean000.checks if c not in lost]


def test_an_annex_that_raises_costs_that_annex(
    monkeypatch: pytest.MonkeyPatch, clean000: DocumentResult
) -> None:
    real = annex._self_eval

    def flaky(reg: Any, base: Any, a: Any) -> None:
        real(reg, base, a)
        if reg.table_id == "附件3-2":
            raise IndexError("injected")

    monkeypatch.setattr(annex, "_self_eval", flaky)
    r = extractor.extract(SEED_FILES["000"])
    (err,) = [e for e in r.errors if e.code == "internal.annex"]
    assert err.message.startswith("附件3-2") and err.line == 929 and "IndexError" in err.message
    want = [c for c in clean000.checks if not c.id.startswith("annex/附件3-2/")]
    assert len(want) < len(clean000.checks)
    assert [_key(c) for c in r.checks] == [_key(c) for c in want]
    assert r.status == "partial" and r.tables == clean000.tables


def test_a_table_the_layout_stage_cannot_read_costs_its_page(
    monkeypatch: pytest.MonkeyPatch, definitions: Definitions
) -> None:
    data = SEED_FILES["001"].read_bytes()
    doc = read_text(data)
    half = len(doc.rows) // 2
    rows = [replace(r, page=1 if i < half else 2) for i, r in enumerate(doc.rows)]
    real = pipeline.find_regions

    def flaky(rs: Any) -> Any:
        if any(r.page == 2 for r in rs):
            raise KeyError("injected")
        return real(rs)

    monkeypatch.setattr(pipeline, "find_regions", flaky)
    info = DocumentInfo(source="case", sha256="")
    r = _from_rows(rows, [], [], info, ExtractConfig(), definitions, data)
    errs = [e for e in r.errors if e.code == "internal.regions"]
    assert [e.page for e in errs] == [None, 2] and all("KeyError" in e.message for e in errs)
    assert r.status == "partial" and r.tables
    assert all(t.source_lines[-1][1] <= rows[half - 1].line for t in r.tables)  # type: ignore[operator]


def test_a_document_whose_layout_stage_raises_fails_cleanly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(rs: Any) -> Any:
        raise RecursionError("injected")

    monkeypatch.setattr(pipeline, "find_regions", broken)
    r = extractor.extract(SEED_FILES["001"])
    assert r.status == "failed"
    assert _codes(r) == ["internal.regions", "extract.no_tables"]


def test_a_mapper_crash_costs_its_table(
    monkeypatch: pytest.MonkeyPatch, clean000: DocumentResult
) -> None:
    real = pipeline.map_region

    def flaky(region: Any, tdef: Any, ctx: Any) -> Any:
        if region.table_id == "公开05表":
            raise AttributeError("injected")
        return real(region, tdef, ctx)

    monkeypatch.setattr(pipeline, "map_region", flaky)
    r = extractor.extract(SEED_FILES["000"])
    (err,) = [e for e in r.errors if e.code == "internal.map"]
    assert err.message.startswith("公开05表") and err.line == 309
    assert [t.table_id for t in r.tables] == [
        t.table_id for t in clean000.tables if t.table_id != "公开05表"
    ]


def test_a_toc_that_raises_costs_the_table_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clean = extractor.extract(SEED_FILES["004"])
    assert any(t.toc_no for t in clean.tables)

    def broken(tables: Any, toc: Any) -> None:
        raise TypeError("injected")

    monkeypatch.setattr(pipeline, "place_tables", broken)
    r = extractor.extract(SEED_FILES["004"])
    assert "internal.toc" in _codes(r) and r.status == "partial"
    assert [t.rows for t in r.tables] == [t.rows for t in clean.tables]


def test_a_classification_that_raises_blames_no_source(
    monkeypatch: pytest.MonkeyPatch, definitions: Definitions
) -> None:
    text, _, _ = make_case(2, "source.total")
    clean = _extract(text, definitions)
    assert clean.summary.source_inconsistencies >= 1

    def broken(tables: Any, check: Check) -> Any:
        raise ArithmeticError("injected")

    monkeypatch.setattr(findings, "classify", broken)
    r = _extract(text, definitions)
    errs = [e for e in r.errors if e.code == "internal.findings"]
    assert errs and all("ArithmeticError: injected" in e.message for e in errs)
    failed = [c for c in r.checks if c.status == "fail" and c.severity == "hard"]
    assert failed and all(c.classification == "extraction_error" for c in failed)
    assert r.status == "partial" and r.tables == clean.tables


def test_a_repair_that_raises_leaves_the_failure_reported(
    monkeypatch: pytest.MonkeyPatch, definitions: Definitions
) -> None:
    from extractor.extract import repair

    text, _, _ = make_case(0, "ocr.digit")
    data = text.encode("utf-8")
    rows = ocr_rows(read_text(data).rows)
    info = DocumentInfo(source="case", sha256="")
    fixed = _from_rows(rows, [], [], info, ExtractConfig(), definitions, data)
    assert any(f.kind == "repair" for f in fixed.findings)

    def broken(tables: Any, check: Check) -> Any:
        raise OverflowError("injected")

    monkeypatch.setattr(repair, "_candidates", broken)
    r = _from_rows(rows, [], [], info, ExtractConfig(), definitions, data)
    errs = [e for e in r.errors if e.code == "internal.repair"]
    assert errs and all("the repair of" in e.message for e in errs)
    assert not any(f.kind == "repair" for f in r.findings)
    assert r.status == "partial" and len(r.tables) == len(fixed.tables)
    assert r.summary.failed >= 1  # the misread stays visible


def test_an_llm_reading_that_raises_keeps_the_mappers_table(
    monkeypatch: pytest.MonkeyPatch, definitions: Definitions
) -> None:
    from extractor.extract import assist

    from .fake_openai import Oracle, fake_openai
    from .test_llm import TEACH, by_id, hard_case, options, run

    real = assist._TableReader.read

    def flaky(self: Any, chunks: Any, place: Any, ti: int, mapper: Any = None) -> Any:
        if self.region.table_id == "公开03表":
            raise LookupError("injected")
        return real(self, chunks, place, ti, mapper)

    monkeypatch.setattr(assist._TableReader, "read", flaky)
    text, _ = hard_case()
    with fake_openai(Oracle(**TEACH)) as server:  # type: ignore[arg-type]
        r = run(text, definitions, options(server))
    (err,) = [e for e in r.errors if e.code == "internal.llm"]
    assert err.message.startswith("公开03表") and "LookupError" in err.message
    assert by_id(r, "公开03表").definition is None  # the mapper's (generic) reading stands
    assert all(c.key for c in by_id(r, "公开02表").columns)  # the other table was still read
    assert r.status == "partial"


def test_a_bug_outside_every_stage_is_a_failed_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any) -> Any:
        raise ValueError("object <Thing at 0x7f00deadbeef> is broken")

    monkeypatch.setattr(pipeline, "summarize", broken)
    r = extractor.extract(SEED_FILES["001"])
    assert r.status == "failed" and _codes(r) == ["internal.pipeline"]
    assert "ValueError" in r.errors[0].message and "0x" not in r.errors[0].message
    assert r.document.sha256 and json.loads(result_json(r))["status"] == "failed"


def test_a_configuration_error_still_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise ConfigError("no OCR models")

    monkeypatch.setattr(pipeline, "summarize", broken)
    with pytest.raises(ConfigError):
        extractor.extract(SEED_FILES["001"])


def test_a_stage_called_on_its_own_raises(definitions: Definitions) -> None:
    """Without a barrier (a direct call, a test) the exception is not hidden."""
    with pytest.raises(ZeroDivisionError), Barrier(reraise=True).guard("verify", "x"):
        raise ZeroDivisionError
    b = Barrier()
    undo = [1]
    with b.guard("verify", "x", undo=undo):
        undo.append(2)
        raise ZeroDivisionError("e")
    with b.guard("verify", "x", undo=undo):
        raise ZeroDivisionError("e")
    assert undo == [1] and [e.message for e in b.errors] == ["x: ZeroDivisionError: e"]
