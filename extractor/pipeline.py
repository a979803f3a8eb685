"""One document end to end: ingest -> regions -> identify -> map -> verify -> findings."""

from __future__ import annotations

import hashlib
import re
import stat
import warnings
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.errors import InputError
from extractor.extract.assist import refine
from extractor.extract.common import MapContext
from extractor.extract.mapper import map_region
from extractor.ingest.pages import EngineProvider, read_image, read_pdf
from extractor.ingest.text import looks_binary, read_text
from extractor.layout.identify import identify
from extractor.layout.tables import find_regions
from extractor.layout.toc import place_tables, read_toc
from extractor.model import (
    Check,
    DocumentInfo,
    DocumentResult,
    ErrorInfo,
    Finding,
    Region,
    SourceRow,
    Summary,
    Table,
)
from extractor.ocr.base import OcrEngine
from extractor.ocr.registry import create_engine
from extractor.verify.annex import annex_checks
from extractor.verify.findings import findings_for
from extractor.verify.narrative import ProseLine, narrative_checks
from extractor.verify.verifier import verify_tables

if TYPE_CHECKING:
    from extractor.extract.llm import LlmClient

_YEAR = re.compile(r"((?:19|20)\d{2})\s*年\s*度?")


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
    """Extract a report given as bytes: PDF, image or text, chosen by content. Warnings the
    libraries issue on the way (an image decoder's, a PDF parser's) become ``warning``
    findings of the result instead of lines on stderr."""
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
    refused = _refuse(data, info, config)
    if refused is not None:
        return refused
    return _from_text(data, info, config, definitions, llm)


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
    regions = find_regions(rows)
    ctx = MapContext(definitions)
    mapped: list[tuple[Region, Table | None]] = []
    for region in regions:
        try:
            tdef = identify(region, definitions, config.family)
            mapped.append((region, map_region(region, tdef, ctx)))
        except Exception as exc:  # a mapper bug must cost one table, not the document
            mapped.append((region, None))
            errors.append(
                ErrorInfo(
                    code="extract.table_failed",
                    line=region.start_line,
                    page=region.pages[0] if region.pages else None,
                    message=f"{region.title}: could not be mapped ({type(exc).__name__}: {exc})",
                )
            )
    # deterministic repair and the LLM path (extract/assist.py; the LLM is off by default)
    refined = refine(rows, mapped, config, definitions, llm)
    tables = refined.tables
    errors.extend(refined.errors)
    if not tables:
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
    place_tables(tables, read_toc(lines or [c.text for r in rows if not r.tabbed for c in r.cells]))
    errors.extend(_unreadable_errors(tables))
    errors.extend(_missing_tables(tables, definitions))
    checks = verify_tables(definitions, tables)
    checks.extend(narrative_checks(_prose(rows), tables, definitions))
    checks.extend(annex_checks(regions))
    findings = findings_for(tables, checks)
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
    plain = lines or [c.text for r in rows if not r.tabbed for c in r.cells]
    info = info.model_copy(update=_document_facts(plain, tables, definitions))
    status: Literal["ok", "partial"] = "ok" if not errors else "partial"
    return DocumentResult(
        document=info,
        status=status,
        errors=errors,
        tables=tables,
        checks=checks,
        findings=findings + refined.repairs,
        usage=refined.usage,
        summary=summarize(tables, checks),
    )


def _prose(rows: list[SourceRow]) -> list[ProseLine]:
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
    best = max(
        definitions.families,
        key=lambda f: sum(1 for t in f.tables if t.id in found),
        default=None,
    )
    if best is None or sum(1 for t in best.tables if t.id in found) < 3:
        return []
    out: list[ErrorInfo] = []
    for group in best.required:
        if not found.intersection(group):
            tdef = definitions.table(group[0])
            name = (tdef.label or group[0]) if tdef else group[0]
            out.append(
                ErrorInfo(
                    code="extract.table_missing",
                    message=f"the {best.kind} table {name} ({group[0]}) was not found",
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


def _document_facts(lines: list[str], tables: list[Table], defs: Definitions) -> dict[str, object]:
    kinds = Counter(
        f.kind
        for t in tables
        if t.definition
        for f in [defs.family_of(t.definition)]
        if f is not None
    )
    depts = Counter(t.department_as_printed for t in tables if t.department_as_printed)
    year = None
    for line in lines[:120]:
        m = _YEAR.search(line.replace(" ", ""))
        if m:
            year = int(m.group(1))
            break
    return {
        "kind": kinds.most_common(1)[0][0] if kinds else None,
        "department": depts.most_common(1)[0][0] if depts else None,
        "year": year,
    }


def summarize(tables: list[Table], checks: list[Check]) -> Summary:
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
        warnings=sum(1 for c in checks if c.status == "warn"),
        source_inconsistencies=sum(1 for c in checks if c.classification == "source_inconsistency"),
        extraction_errors=sum(1 for c in checks if c.classification == "extraction_error"),
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
