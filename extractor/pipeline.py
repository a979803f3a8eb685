"""One document end to end: ingest -> regions -> identify -> map -> verify -> findings."""

from __future__ import annotations

import hashlib
import stat
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from extractor.barrier import Barrier
from extractor.config import ExtractConfig
from extractor.definitions import Definitions, TableDef
from extractor.errors import Code, InputError
from extractor.extract.assist import Refined, llm_stage, repair_stage
from extractor.extract.common import MapContext
from extractor.extract.mapper import map_region
from extractor.extract.structure import layout_errors, not_evaluable
from extractor.ingest.pages import EngineProvider, read_image, read_pdf
from extractor.ingest.text import looks_binary, read_text
from extractor.layout.cover import Fact, read_facts
from extractor.layout.identify import identify
from extractor.layout.pages import lay_out
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



def _failed(info: DocumentInfo, code: Code, message: str) -> DocumentResult:
    return DocumentResult(
        document=info, status="failed", errors=[ErrorInfo(code=code, message=message)]
    )


def _refuse(data: bytes, info: DocumentInfo, config: ExtractConfig) -> DocumentResult | None:
    """The result for input refused before reading (empty, too large), else None."""
    if not data.strip():
        return _failed(info, Code.INPUT_EMPTY, "the file is empty")
    if len(data) > config.max_file_bytes:
        return _failed(
            info, Code.INPUT_TOO_LARGE, f"{len(data)} bytes > limit {config.max_file_bytes}"
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
            paged = reader(data, config, provider, lay_out)
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
        return _failed(info, Code.INPUT_UNSUPPORTED, "a PDF given to the text path")
    if looks_binary(data):
        return _failed(info, Code.INPUT_BINARY, "the file is binary data, not report text")
    doc = read_text(data)
    info = info.model_copy(update={"lines": len(doc.lines), "encoding": doc.encoding})
    return _from_rows(doc.rows, doc.lines, list(doc.errors), info, config, definitions, data, llm)


@dataclass
class DocState:
    """One document on its way through ``STAGES``: what was read, and what each stage adds.
    A stage assigns its fields only once its work is done, so a stage that raises (caught by
    the barrier as ``internal.<stage>``) leaves the state as the previous stage left it."""

    rows: list[SourceRow]
    lines: list[str]
    data: bytes
    info: DocumentInfo
    config: ExtractConfig
    definitions: Definitions
    llm: LlmClient | None
    errors: list[ErrorInfo]
    barrier: Barrier = field(default_factory=Barrier)
    regions: list[Region] = field(default_factory=list)
    mapped: list[tuple[Region, Table | None]] = field(default_factory=list)
    refined: Refined = field(default_factory=lambda: Refined([], [], []))
    # the classified checks of ``refined.tables`` when a stage verified them (the final
    # verification reuses them: tables are verified once per change)
    verified: list[Check] | None = None
    checks: list[Check] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    done: DocumentResult | None = None  # set by a stage that ends the document early

    @property
    def tables(self) -> list[Table]:
        return self.refined.tables

    @cached_property
    def prose(self) -> list[ProseLine]:
        """The document's plain lines, for the narrative and the disclosure checks."""
        return prose_lines(self.rows)


def _stage_regions(st: DocState) -> None:
    st.regions = _regions(st.rows, st.barrier)


def _stage_map(st: DocState) -> None:
    """Identify each region and map it; a mapper bug costs its table, not the document."""
    ctx = MapContext(st.definitions)
    tdefs = _identified(st.regions, st.definitions, st.config.family, st.barrier)
    for region, tdef in zip(st.regions, tdefs, strict=True):
        table: Table | None = None
        if tdef is None and not any(_cells(r) > 1 for r in region.rows):
            continue  # a heading over plain lines (a part heading, the 目录): no table
        where = region.pages[0] if region.pages else None
        with st.barrier.guard("map", _region_name(region), line=region.start_line, page=where):
            table = map_region(region, tdef, ctx)
        st.mapped.append((region, table))
    st.refined = Refined([t for _, t in st.mapped if t is not None], [], [])


def _stage_repair(st: DocState) -> None:
    """Deterministic repair of OCR misreads (extract/repair.py)."""
    refined = repair_stage(st.tables, st.config, st.definitions, st.barrier)
    if refined is not None:  # something was OCR'd: the tables were verified
        st.refined, st.verified = refined, refined.checks


def _stage_llm(st: DocState) -> None:
    """The LLM path (extract/assist.py; off by default)."""
    if st.config.llm.effective_mode == "off":
        return
    checked = st.verified is not None
    refined = llm_stage(
        st.rows, st.mapped, st.refined, st.config, st.definitions, st.llm, st.barrier, checked
    )
    st.errors.extend(refined.errors)
    st.refined, st.verified = refined, refined.checks


def _stage_tables(st: DocState) -> None:
    """No table: the document failed. A text cut off inside a table row: said so."""
    if not st.tables:
        st.errors.extend(st.barrier.errors)
        st.errors.append(
            ErrorInfo(code=Code.EXTRACT_NO_TABLES, message="no recognisable table in the document")
        )
        st.done = DocumentResult(document=st.info, status="failed", errors=st.errors)
        return
    if st.lines:
        truncated = _truncated_row(st.data, st.lines, st.regions)
        if truncated is not None:
            st.errors.append(
                ErrorInfo(
                    code=Code.INPUT_TRUNCATED,
                    line=truncated,
                    message="the document ends inside a table row: it was cut off",
                )
            )


def _stage_toc(st: DocState) -> None:
    place_tables(st.tables, read_toc(st.lines or _plain(st.rows)))


def _stage_readable(st: DocState) -> None:
    st.errors.extend(_unreadable_errors(st.tables))
    st.errors.extend(_missing_tables(st.tables, st.definitions))


def _stage_structure(st: DocState) -> None:
    st.errors.extend(layout_errors(st.tables, st.definitions))


def _stage_verify(st: DocState) -> None:
    # the checks a previous stage classified for these very tables, else a verification
    st.checks = (
        list(st.verified)
        if st.verified is not None
        else verify_tables(st.definitions, st.tables, st.barrier)
    )


def _stage_narrative(st: DocState) -> None:
    st.checks.extend(narrative_checks(st.prose, st.tables, st.definitions, st.barrier))


def _stage_annex(st: DocState) -> None:
    st.checks.extend(annex_checks(st.regions, st.barrier))


def _stage_findings(st: DocState) -> None:
    st.findings = findings_for(st.tables, st.checks, st.barrier)


def _stage_extraction_errors(st: DocState) -> None:
    for c in st.checks:
        # a soft check (an annex whose row was cut upstream) is a finding, not a reading error
        if c.classification == "extraction_error" and c.severity == "hard":
            st.errors.append(
                ErrorInfo(
                    code=Code.VERIFY_EXTRACTION_ERROR,
                    message=c.message,
                    line=c.cells[0].line if c.cells else None,
                    page=c.cells[0].page if c.cells else None,
                )
            )


def _stage_facts(st: DocState) -> None:
    facts, missing = _document_facts(st.rows, st.tables, st.definitions)
    st.info = st.info.model_copy(update=facts)
    st.findings.extend(missing)


def _stage_disclosure(st: DocState) -> None:
    """Family C (verify/disclosure.py): it reads the report's year, so it runs once the
    facts are known."""
    disclosed = disclosure_checks(
        st.rows, st.prose, st.tables, st.definitions, st.info.year, st.barrier
    )
    st.findings.extend(findings_for(st.tables, disclosed, st.barrier))
    st.checks.extend(disclosed)


# (barrier stage, what it works on; None: the stage guards its own elements) and the stage,
# in order. Each stage's elements (a table, an identity, a sentence) are guarded inside it;
# the guard here catches what is outside them.
Stage = tuple[tuple[str, str] | None, Callable[[DocState], None]]
STAGES: tuple[Stage, ...] = (
    (None, _stage_regions),
    (None, _stage_map),
    (("refine", "repair and the LLM path"), _stage_repair),
    (("refine", "repair and the LLM path"), _stage_llm),
    (None, _stage_tables),
    (("toc", "the 目录 (table numbers)"), _stage_toc),
    (None, _stage_readable),
    (("structure", "the tables' shapes against their definitions"), _stage_structure),
    (("verify", "the identities of the tables"), _stage_verify),
    (("narrative", "the prose"), _stage_narrative),
    (("annex", "the annexes"), _stage_annex),
    (("findings", "the findings"), _stage_findings),
    (None, _stage_extraction_errors),
    (("facts", "the document's department, year and kind"), _stage_facts),
    (("disclosure", "the disclosure checks"), _stage_disclosure),
)


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
    st = DocState(rows, lines, data, info, config, definitions, llm, errors)
    for guard, stage in STAGES:
        if guard is None:
            stage(st)
        else:
            with st.barrier.guard(*guard):
                stage(st)
        if st.done is not None:
            return st.done
    return _result(st)


def _result(st: DocState) -> DocumentResult:
    errors = [*st.errors, *st.barrier.errors]
    status: Literal["ok", "partial"] = "ok" if not errors else "partial"
    return DocumentResult(
        document=st.info,
        status=status,
        errors=errors,
        tables=st.tables,
        checks=st.checks,
        findings=st.findings + st.refined.repairs,
        usage=st.refined.usage,
        summary=summarize(st.tables, st.checks, not_evaluable(st.tables, st.definitions)),
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
                    code=Code.EXTRACT_TABLE_MISSING,
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
                            code=Code.EXTRACT_UNREADABLE_VALUE,
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
            return _failed(info, Code.INPUT_SPECIAL, "not a regular file")
        if size > config.max_file_bytes:
            info = DocumentInfo(source=path.name, sha256="")
            too_large = f"{size} bytes > limit {config.max_file_bytes}"
            return _failed(info, Code.INPUT_TOO_LARGE, too_large)
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}", code=Code.INPUT_UNREADABLE) from exc
    return extract_bytes(
        data,
        source_name=path.name,
        config=config,
        definitions=definitions,
        engine=engine,
        llm=llm,
    )
