"""One document end to end: ingest -> regions -> identify -> map -> verify -> findings."""

from __future__ import annotations

import hashlib
import stat
import warnings
from collections import Counter
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from extractor.barrier import Barrier
from extractor.config import ExtractConfig
from extractor.definitions import Definitions, TableDef
from extractor.errors import InputError
from extractor.extract.assist import Refined, refine
from extractor.extract.common import MapContext
from extractor.extract.mapper import map_region
from extractor.extract.structure import layout_errors, not_evaluable
from extractor.ingest.pages import EngineProvider, read_image, read_pdf
from extractor.ingest.text import looks_binary, read_text
from extractor.layout.cover import Fact, read_facts
from extractor.layout.identify import identify
from extractor.layout.tables import find_regions
from extractor.layout.toc import place_tables, read_toc
from extractor.model import (
    Check,
    DocumentFact,
    DocumentInfo,
    DocumentResult,
    ErrorInfo,
    FactName,
    Finding,
    Region,
    SourceRow,
    Summary,
    Table,
)
from extractor.ocr.base import OcrEngine
from extractor.ocr.registry import create_engine
from extractor.verify.annex import annex_checks
from extractor.verify.disclosure import disclosure_checks
from extractor.verify.findings import findings_for
from extractor.verify.narrative import ProseLine, narrative_checks
from extractor.verify.verifier import verify_tables

if TYPE_CHECKING:
    from extractor.extract.llm import LlmClient



def _failed(info: DocumentInfo, code: str, message: str) -> DocumentResult:
    return DocumentResult(
        document=info, status="failed", errors=[ErrorInfo(code=code, message=message)]
    )


def _refuse(data: bytes, info: DocumentInfo, config: ExtractConfig) -> DocumentResult | None:
    """The result for input refused before reading (empty, too large), else None."""
    if not data.strip():
        return _failed(info, "input.empty", "the file is empty")
    if len(data) > config.max_file_bytes:
        return _failed(
            info, "input.too_large", f"{len(data)} bytes > limit {config.max_file_bytes}"
        )
    return None


_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


def extract_bytes(
    data: bytes,
    *,
    source_name: str,
    config: ExtractConfig,
    definitions: Definitions,
    engine: EngineProvider | None = None,
    llm: LlmClient | None = None,
) -> DocumentResult:
    """Extract a report given as bytes: PDF, image or text, chosen by content. Data problems,
    and bugs a document triggers, are errors in the result; a bad configuration raises.
    Warnings the libraries issue on the way (an image decoder's, a PDF parser's) become
    ``warning`` findings of the result instead of lines on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _extract_bytes(data, source_name, config, definitions, engine, llm)
    return _with_warnings(result, caught)


def _with_warnings(
    result: DocumentResult, caught: list[warnings.WarningMessage], most: int = 20
) -> DocumentResult:
    seen: list[str] = []
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in seen:
            seen.append(text)
    if not seen:
        return result
    found = [Finding(kind="warning", message=m) for m in seen[:most]]
    return result.model_copy(update={"findings": [*result.findings, *found]})


def _extract_bytes(
    data: bytes,
    source_name: str,
    config: ExtractConfig,
    definitions: Definitions,
    engine: EngineProvider | None,
    llm: LlmClient | None,
) -> DocumentResult:
    info = DocumentInfo(source=source_name, sha256=hashlib.sha256(data).hexdigest())
    barrier = Barrier()
    with barrier.guard("pipeline", f"{source_name}: the document could not be extracted"):
        return _read_bytes(data, info, config, definitions, engine, llm)
    return DocumentResult(document=info, status="failed", errors=barrier.errors)


def _read_bytes(
    data: bytes,
    info: DocumentInfo,
    config: ExtractConfig,
    definitions: Definitions,
    engine: EngineProvider | None,
    llm: LlmClient | None,
) -> DocumentResult:
    refused = _refuse(data, info, config)
    if refused is not None:
        return refused
    provider = engine or default_engine_provider(config)
    is_pdf = data.lstrip()[:5] == b"%PDF-" or data[:1024].find(b"%PDF-") >= 0
    reader = read_pdf if is_pdf else read_image if data.startswith(_IMAGE_MAGIC) else None
    if reader is not None:
        try:
            paged = reader(data, config, provider)
        except InputError as exc:  # this document cannot be read; a bad configuration raises
            return _failed(info, exc.code, str(exc))
        info = info.model_copy(update={"pages": paged.pages})
        return _from_rows(paged.rows, [], paged.errors, info, config, definitions, data, llm)
    return _from_text(data, info, config, definitions, llm)


def default_engine_provider(config: ExtractConfig) -> EngineProvider:
    """A provider that builds the configured OCR engine once, on first use."""
    cache: list[OcrEngine] = []

    def get() -> OcrEngine:
        if not cache:
            cache.append(create_engine(config.ocr))
        return cache[0]

    return get


def extract_text_bytes(
    data: bytes,
    *,
    source_name: str,
    config: ExtractConfig,
    definitions: Definitions,
    llm: LlmClient | None = None,
) -> DocumentResult:
    """Extract a text report given as bytes. Data problems become errors in the result."""
    info = DocumentInfo(source=source_name, sha256=hashlib.sha256(data).hexdigest())
    barrier = Barrier()
    with barrier.guard("pipeline", f"{source_name}: the document could not be extracted"):
        refused = _refuse(data, info, config)
        return refused if refused is not None else _from_text(data, info, config, definitions, llm)
    return DocumentResult(document=info, status="failed", errors=barrier.errors)


def _from_text(
    data: bytes,
    info: DocumentInfo,
    config: ExtractConfig,
    definitions: Definitions,
    llm: LlmClient | None,
) -> DocumentResult:
    """A text report once its bytes are hashed and accepted (not empty, not too large)."""
    if data.startswith(b"%PDF"):
        return _failed(info, "input.unsupported", "a PDF given to the text path")
    if looks_binary(data):
        return _failed(info, "input.binary", "the file is binary data, not report text")
    doc = read_text(data)
    info = info.model_copy(update={"lines": len(doc.lines), "encoding": doc.encoding})
    return _from_rows(doc.rows, doc.lines, list(doc.errors), info, config, definitions, data, llm)


def _from_rows(
    rows: list[SourceRow],
    lines: list[str],
    errors: list[ErrorInfo],
    info: DocumentInfo,
    config: ExtractConfig,
    definitions: Definitions,
    data: bytes,
    llm: LlmClient | None = None,
) -> DocumentResult:
    barrier = Barrier()
    regions = _regions(rows, barrier)
    ctx = MapContext(definitions)
    mapped: list[tuple[Region, Table | None]] = []
    tdefs = _identified(regions, definitions, config.family, barrier)
    for region, tdef in zip(regions, tdefs, strict=True):
        table: Table | None = None  # a mapper bug costs this table, not the document
        if tdef is None and not any(_cells(r) > 1 for r in region.rows):
            continue  # a heading over plain lines (a part heading, the 目录): no table
        where = region.pages[0] if region.pages else None
        with barrier.guard("map", _region_name(region), line=region.start_line, page=where):
            table = map_region(region, tdef, ctx)
        mapped.append((region, table))
    # deterministic repair and the LLM path (extract/assist.py; the LLM is off by default)
    refined = Refined([t for _, t in mapped if t is not None], [], [])
    with barrier.guard("refine", "repair and the LLM path"):
        refined = refine(rows, mapped, config, definitions, llm, barrier)
    tables = refined.tables
    errors.extend(refined.errors)
    if not tables:
        errors.extend(barrier.errors)
        errors.append(
            ErrorInfo(code="extract.no_tables", message="no recognisable table in the document")
        )
        return DocumentResult(document=info, status="failed", errors=errors)
    if lines:
        truncated = _truncated_row(data, lines, regions)
        if truncated is not None:
            errors.append(
                ErrorInfo(
                    code="input.truncated",
                    line=truncated,
                    message="the document ends inside a table row: it was cut off",
                )
            )
    with barrier.guard("toc", "the 目录 (table numbers)"):
        place_tables(tables, read_toc(lines or _plain(rows)))
    errors.extend(_unreadable_errors(tables))
    errors.extend(_missing_tables(tables, definitions))
    with barrier.guard("structure", "the tables' shapes against their definitions"):
        errors.extend(layout_errors(tables, definitions))
    # each stage guards its elements; the guards here catch what is outside them
    checks: list[Check] = []
    with barrier.guard("verify", "the identities of the tables"):
        checks = verify_tables(definitions, tables, barrier)
    with barrier.guard("narrative", "the prose"):
        checks.extend(narrative_checks(prose_lines(rows), tables, definitions, barrier))
    with barrier.guard("annex", "the annexes"):
        checks.extend(annex_checks(regions, barrier))
    findings: list[Finding] = []
    with barrier.guard("findings", "the findings"):
        findings = findings_for(tables, checks, barrier)
    for c in checks:
        # a soft check (an annex whose row was cut upstream) is a finding, not a reading error
        if c.classification == "extraction_error" and c.severity == "hard":
            errors.append(
                ErrorInfo(
                    code="verify.extraction_error",
                    message=c.message,
                    line=c.cells[0].line if c.cells else None,
                    page=c.cells[0].page if c.cells else None,
                )
            )
    with barrier.guard("facts", "the document's department, year and kind"):
        facts, missing = _document_facts(rows, tables, definitions)
        info = info.model_copy(update=facts)
        findings.extend(missing)
    # family C reads the report's year, so it runs once the facts are known
    with barrier.guard("disclosure", "the disclosure checks"):
        prose = prose_lines(rows)
        disclosed = disclosure_checks(rows, prose, tables, definitions, info.year, barrier)
        findings.extend(findings_for(tables, disclosed, barrier))
        checks.extend(disclosed)
    errors.extend(barrier.errors)
    status: Literal["ok", "partial"] = "ok" if not errors else "partial"
    return DocumentResult(
        document=info,
        status=status,
        errors=errors,
        tables=tables,
        checks=checks,
        findings=findings + refined.repairs,
        usage=refined.usage,
        summary=summarize(tables, checks, not_evaluable(tables, definitions)),
    )


def _regions(rows: list[SourceRow], barrier: Barrier) -> list[Region]:
    """The document's table regions; when finding them fails on the whole document, page by
    page, so that a page the layout stage cannot read costs that page only."""
    with barrier.guard("regions", "the table regions of the document"):
        return find_regions(rows)
    out: list[Region] = []
    for page, group in groupby(rows, key=lambda r: r.page):
        if page is not None:
            with barrier.guard("regions", f"the table regions of page {page}", page=page):
                out.extend(find_regions(list(group)))
    return out


def _identified(
    regions: list[Region], defs: Definitions, family: str | None, barrier: Barrier
) -> list[TableDef | None]:
    """Each region's definition. A title two families share (a Shanghai 单位预算's
    财政拨款收支预算总表 is also the 预算 set's) goes to the family most of the document's
    tables belong to, so its cross-table identities find it."""
    out: list[TableDef | None] = []
    for region in regions:
        tdef = None
        with barrier.guard("identify", _region_name(region), line=region.start_line):
            tdef = identify(region, defs, family)
        out.append(tdef)
    # the definition set (one file: 决算, the 附件 预算, the Shanghai 预算) most tables are in
    sets = [defs.family_of(t.id) if t else None for t in out]
    counts = Counter(id(f) for f in sets if f is not None)
    if len(counts) < 2 or counts.most_common(1)[0][1] < 3:
        return out
    top = counts.most_common(1)[0][0]
    main = next(f for f in sets if f is not None and id(f) == top)
    for i, (region, own) in enumerate(zip(regions, sets, strict=True)):
        if own is not None and own is not main:
            with barrier.guard("identify", _region_name(region), line=region.start_line):
                out[i] = identify(region, defs, family, among=main.tables) or out[i]
    return out


def _cells(row: SourceRow) -> int:
    return sum(1 for c in row.cells if c.text.strip())


def _region_name(region: Region) -> str:
    return " ".join(x for x in (region.table_id, region.title) if x) or "an untitled table"


def _plain(rows: list[SourceRow]) -> list[str]:
    """The text of the plain (not tabbed) rows: the lines of a paged document."""
    return [c.text for r in rows if not r.tabbed for c in r.cells]


def prose_lines(rows: list[SourceRow]) -> list[ProseLine]:
    """The document's plain lines for the narrative checks; table rows and blank lines are
    paragraph breaks."""
    return [
        (None if r.tabbed or r.is_blank() else " ".join(c.text for c in r.cells), r.line, r.page)
        for r in rows
    ]


def _missing_tables(tables: list[Table], definitions: Definitions) -> list[ErrorInfo]:
    """An error for each table the document's family always prints but that was not found
    (the family is the one most of its tables matched, when at least three did)."""
    found = {t.definition for t in tables if t.definition}
    best = definitions.main_family(found)
    if best is None:
        return []
    out: list[ErrorInfo] = []
    for group in best.required:
        if not found.intersection(group):
            tdef = definitions.table(group[0])
            name = " ".join(x for x in (tdef.label, tdef.title) if x) if tdef else group[0]
            out.append(
                ErrorInfo(
                    code="extract.table_missing",
                    message=f"the {best.kind} table {name} was not found ({group[0]})",
                )
            )
    return out


def _unreadable_errors(tables: list[Table]) -> list[ErrorInfo]:
    """An error for each value cell of a matched table whose text is not an amount."""
    out: list[ErrorInfo] = []
    for t in tables:
        if t.definition is None:
            continue
        for r in [*t.rows, *(r for sec in t.sections for r in sec.rows)]:
            for cell in r.cells:
                if cell.status == "unparsed":
                    name = t.table_id or t.title
                    out.append(
                        ErrorInfo(
                            code="extract.unreadable_value",
                            line=cell.line,
                            page=cell.page,
                            message=f"{name}: value cell {cell.raw!r} is not an amount",
                        )
                    )
    return out


def _truncated_row(data: bytes, lines: list[str], regions: list[Region]) -> int | None:
    """Line of a table row the file ends in the middle of (no final newline, fewer cells than
    the rows before it), or None."""
    if data.endswith((b"\n", b"\r")) or not regions or not regions[-1].rows:
        return None
    last_line = max((i + 1 for i, x in enumerate(lines) if x.strip()), default=0)
    rows = regions[-1].rows
    last = rows[-1]
    if last.line != last_line or len(rows) < 2:
        return None
    filled = [sum(1 for c in r.cells if c.text.strip()) for r in rows[-4:-1]]
    return last.line if sum(1 for c in last.cells if c.text.strip()) < min(filled) else None


_FACT_NAMES: tuple[FactName, ...] = ("department", "year", "kind", "scope", "region")


def _document_facts(
    rows: list[SourceRow], tables: list[Table], defs: Definitions
) -> tuple[dict[str, object], list[Finding]]:
    """Department, year, kind, scope and region from the cover and front matter (the tables'
    department lines and definitions as fallbacks), with where each was read; a warning for
    the department or year that could not be found."""
    plain = [(r.cells[0].text, r.line, r.page) for r in rows if not r.tabbed and r.cells]
    depts = [t.department_as_printed for t in tables if t.department_as_printed]
    facts = read_facts(plain, depts)
    found: dict[FactName, Fact] = {
        n: f for n in _FACT_NAMES if (f := getattr(facts, n)) is not None
    }
    out: dict[str, object] = {n: f.value for n, f in found.items()}
    years = Counter(t.year for t in tables if t.year)
    if "year" in found:
        out["year"] = int(found["year"].value)
    elif years:  # the year the tables print ("2023年度" above a table)
        year = years.most_common(1)[0][0]
        out["year"] = year
        found["year"] = Fact(str(year), str(year), None, None, "tables")
    if "kind" not in found:
        kinds = Counter(
            f.kind
            for t in tables
            if t.definition
            for f in [defs.family_of(t.definition)]
            if f is not None
        )
        out["kind"] = kinds.most_common(1)[0][0] if kinds else None
    out["facts"] = [
        DocumentFact(name=n, value=f.value, text=f.text, line=f.line, page=f.page, source=f.source)
        for n, f in found.items()
    ]
    missing = [
        Finding(
            kind="warning",
            check="document.facts",
            message=f"the document's {what} was found neither on its cover nor in its front "
            "matter or table headings",
        )
        for name, what in (("department", "department"), ("year", "year"))
        if name not in found
    ]
    return out, missing


def summarize(tables: list[Table], checks: list[Check], unevaluable: int = 0) -> Summary:
    hard = [c for c in checks if c.severity == "hard"]
    return Summary(
        tables=len(tables),
        tables_matched=sum(1 for t in tables if t.definition),
        hard_checks=len(hard),
        passed=sum(1 for c in hard if c.status == "pass"),
        rounding=sum(1 for c in hard if c.status == "rounding"),
        suspect=sum(1 for c in hard if c.status == "suspect"),
        failed=sum(1 for c in hard if c.status == "fail"),
        not_evaluated=sum(1 for c in hard if c.status == "not_evaluated"),
        not_evaluable=unevaluable,
        warnings=sum(1 for c in checks if c.status == "warn"),
        source_inconsistencies=sum(
            1 for c in checks if c.classification == "source_inconsistency" and c.family != "C"
        ),
        extraction_errors=sum(1 for c in checks if c.classification == "extraction_error"),
        disclosure=sum(1 for c in checks if c.family == "C"),
    )


def extract_path(
    path: Path,
    config: ExtractConfig,
    definitions: Definitions,
    engine: EngineProvider | None = None,
    llm: LlmClient | None = None,
) -> DocumentResult:
    """Extract one file. Raises InputError only for a path that cannot be read at all."""
    from extractor.errors import InputError

    try:
        st = path.stat()
        size = st.st_size
        if not stat.S_ISREG(st.st_mode):  # a FIFO or a device would block or never end
            info = DocumentInfo(source=path.name, sha256="")
            return _failed(info, "input.special", "not a regular file")
        if size > config.max_file_bytes:
            info = DocumentInfo(source=path.name, sha256="")
            return _failed(info, "input.too_large", f"{size} bytes > limit {config.max_file_bytes}")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}", code="input.unreadable") from exc
    return extract_bytes(
        data,
        source_name=path.name,
        config=config,
        definitions=definitions,
        engine=engine,
        llm=llm,
    )
