"""The data of the pipeline: source lines, grids, tables, checks, findings, the document result.

Output models are pydantic (they are serialised to the JSON of TABLE_FORMAT.md); the small
internal records of the text path are frozen dataclasses, for speed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from extractor.numbers import Amount


def printable(text: str) -> str:
    """``text`` as valid Unicode: the undecodable bytes of a file name (which Python keeps as
    lone surrogates, and which no JSON, SQLite or terminal takes) become U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate no file-name byte stands for
        return text.encode("utf-8", "replace").decode("utf-8")

# ---------------------------------------------------------------- source: lines and grid rows


@dataclass(frozen=True, slots=True)
class SourceCell:
    """One printed cell: its text and where it was read."""

    text: str
    line: int | None = None  # 1-based line of a text source
    page: int | None = None  # 1-based page of a PDF or image
    bbox: tuple[float, float, float, float] | None = None
    confidence: float | None = None  # OCR confidence; None for text sources
    origin: Literal["text", "pdf", "ocr"] = "text"
    # columns this cell spans when the geometry is known (ruled grids): 1 or more for a cell,
    # 0 for a position covered by a cell to its left or above; None when unknown (text)
    colspan: int | None = None


@dataclass(frozen=True, slots=True)
class SourceRow:
    """A logical row of the source: a plain line (one cell, ``tabbed`` False) or a grid row."""

    cells: tuple[SourceCell, ...]
    tabbed: bool
    line: int | None = None
    page: int | None = None

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self.cells]

    @property
    def text(self) -> str:
        return "\t".join(c.text for c in self.cells)

    def is_blank(self) -> bool:
        return all(not c.text.strip() for c in self.cells)


@dataclass(slots=True)
class Region:
    """A table as found in the source, before mapping: title, labels and its grid rows."""

    title: str
    start_line: int | None
    end_line: int | None
    table_id: str | None = None
    department: str | None = None
    unit: str | None = None
    year: int | None = None
    rows: list[SourceRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parts: int = 1  # page parts merged into this region
    pages: list[int] = field(default_factory=list)
    # later parts that repeat the header: mapped on their own, their rows appended
    continuations: list[Region] = field(default_factory=list)


# ---------------------------------------------------------------- output: tables


class CellSource(StrEnum):
    TEXT = "text"
    PDF = "pdf"
    OCR = "ocr"
    LLM = "llm"
    REPAIR = "repair"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Cell(_Out):
    """Provenance and status of one value cell (aligned with ``Row.values``).

    ``line`` is the 1-based line of a text input; ``page`` the 1-based page of a PDF or image;
    ``bbox`` the cell's box on that page in PDF points (1/72 inch), origin at the page's
    top-left corner, as (x0, y0, x1, y1) (OCR'd pages are converted from pixels)."""

    raw: str | None = Field(description="the cell text as printed; None where no cell was printed")
    line: int | None = None
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = Field(
        default=None, description="PDF points, origin top-left (x0, y0, x1, y1)"
    )
    source: CellSource = CellSource.TEXT
    confidence: float | None = None
    status: Literal["ok", "realigned", "short_row", "low_confidence", "unparsed", "repaired"] = "ok"


class Column(_Out):
    col_no: str | None = Field(description="the 栏次 as printed; None where none is printed")
    name: str = Field(description="printed header; levels joined with '/'")
    key: str | None = Field(default=None, description="definition column key (c1, c2...)")


class Row(_Out):
    code: str | None = None
    code_as_printed: str | None = None
    level: str | None = None  # 类/款/项/total
    name: str | None = None
    unit_code: str | None = Field(default=None, description="单位代码 of a per-unit row")
    unit_name: str | None = Field(default=None, description="单位名称 of a per-unit row")
    row_no: int | None = None
    role: str | None = Field(default=None, description="definition row role, e.g. income_total")
    block: int | str | None = None
    values: list[str | None]
    texts: list[str | None] | None = None
    line: int | None = None
    page: int | None = None
    note: str | None = None
    cells: list[Cell] = Field(default_factory=list)


class Section(_Out):
    section: str
    key: str | None = None
    columns: list[Column]
    rows: list[Row]


class Table(_Out):
    table_id: str | None = None
    toc_no: int | None = Field(
        default=None, description="the table's number in the report's 目录 (附件N / 附表N)"
    )
    definition: str | None = None
    title: str
    department_as_printed: str | None = None
    unit: str | None = None
    year: int | None = Field(default=None, description="year printed with the table (2023年度)")
    layout: str
    columns: list[Column] = Field(default_factory=list)
    rows: list[Row] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    empty: bool = False
    notes: list[str] = Field(default_factory=list)
    source_lines: list[tuple[int, int]] = Field(default_factory=list)
    pages: list[int] = Field(default_factory=list)
    parts: int = 1

    def to_records(self) -> list[dict[str, object]]:
        """One dict per row (section by section for two-sided tables): ``section``, ``row_no``,
        ``code``, ``level``, ``name``, ``role``, then each value column under its printed name
        (levels joined with '/'), as ``Decimal`` with the printed precision; None where the
        cell is blank or holds no number (e.g. "——"). A column name that repeats gets its
        栏次 or position appended. The raw text and provenance stay in ``rows[i].cells``."""
        from extractor.numbers import parse_amount

        out: list[dict[str, object]] = []
        for section, columns, rows in self.row_groups():
            names = record_names(columns)
            for r in rows:
                rec: dict[str, object] = {
                    "section": section,
                    "row_no": r.row_no,
                    "code": r.code,
                    "level": r.level,
                    "name": r.name,
                    "role": r.role,
                }
                for name, raw in zip(names, r.values, strict=False):
                    amount = parse_amount(raw) if raw else None
                    rec[name] = amount.value if amount is not None else None
                out.append(rec)
        return out

    def to_pandas(self) -> object:
        """The records of ``to_records`` as a pandas DataFrame (``pip install pandas``); the
        values stay ``Decimal`` (object columns), so no float rounding creeps in."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("Table.to_pandas needs pandas: pip install pandas") from exc
        records = self.to_records()
        columns = list(records[0]) if records else ["section", "row_no", "code", "name"]
        return pd.DataFrame.from_records(records, columns=columns)

    def row_groups(self) -> list[tuple[str | None, list[Column], list[Row]]]:
        """(section, columns, rows) of each part: the sections, or the table itself."""
        if self.sections:
            return [(s.section, s.columns, s.rows) for s in self.sections]
        return [(None, self.columns, self.rows)]


_RECORD_KEYS = frozenset({"section", "row_no", "code", "level", "name", "role"})


def record_names(columns: list[Column]) -> list[str]:
    """Unique record keys for a table's value columns: the printed name, or with its 栏次
    (or position) where the name repeats or is one of the row keys."""
    seen: dict[str, int] = {}
    for c in columns:
        seen[c.name] = seen.get(c.name, 0) + 1
    names: list[str] = []
    for i, c in enumerate(columns, 1):
        name = c.name or f"column {i}"
        if seen.get(c.name, 0) > 1 or name in _RECORD_KEYS or name in names:
            name = f"{name} ({c.col_no or i})"
        names.append(name)
    return names


# ---------------------------------------------------------------- output: checks and findings


CheckStatus = Literal["pass", "rounding", "suspect", "fail", "warn", "not_evaluated"]
Classification = Literal["extraction_error", "source_inconsistency"]


class CellRef(_Out):
    """A cell named in a check or finding, readable on its own."""

    table: str = Field(description="table_id, or title where no id is printed")
    title: str | None = Field(default=None, description="the table's printed title")
    section: str | None = None
    row: str = Field(description="code, row name or 行次 of the row")
    column: str = Field(description="column name (栏次 in brackets where printed)")
    value: str | None
    line: int | None = None
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = Field(
        default=None, description="the cell on its page: PDF points, origin top-left"
    )
    table_index: int
    row_index: int
    col_index: int
    sign: int = Field(default=1, description="+1 or -1: how the term enters its side")


class Check(_Out):
    id: str = Field(description="stable id of this identity instance")
    rule: str = Field(description="dotted code, e.g. verify.row_sum")
    family: str = Field(
        description="R, H, T, X, D, N, A (annex), B, G (generic table), C (disclosure)"
    )
    severity: Literal["hard", "soft"]
    status: CheckStatus
    classification: Classification | None = None
    expression: str
    expected: str | None = Field(default=None, description="the computed side (sum of items)")
    actual: str | None = Field(default=None, description="the printed total")
    delta: str | None = None
    tolerance: str | None = None
    lhs_terms: int = Field(default=1, description="how many of ``cells`` are the printed side")
    cells: list[CellRef] = Field(default_factory=list)
    message: str


class Finding(_Out):
    kind: Literal["source_inconsistency", "extraction_error", "suspect", "warning", "repair"]
    check: str | None = None
    message: str
    printed: str | None = None
    computed: str | None = None
    cells: list[CellRef] = Field(default_factory=list)


class ErrorInfo(_Out):
    code: str = Field(description="stable dotted code, e.g. input.encrypted")
    message: str
    page: int | None = None
    line: int | None = None
    table_index: int | None = Field(
        default=None, description="index into ``tables`` of the table the error is about"
    )


FactName = Literal["department", "year", "kind", "scope", "region"]


class DocumentFact(_Out):
    """Where a fact about the document was read."""

    name: FactName
    value: str
    text: str = Field(description="the printed text it was read from")
    line: int | None = None
    page: int | None = None
    source: str = Field(description="cover, label (预算主管部门：…), part heading, or tables")


class DocumentInfo(_Out):
    source: str
    sha256: str

    @field_validator("source")
    @classmethod
    def _valid_text(cls, v: str) -> str:
        return printable(v)
    kind: str | None = None  # 决算 / 预算
    scope: str | None = None  # 部门 / 单位
    department: str | None = None
    region: str | None = Field(default=None, description="the region its name opens with")
    year: int | None = None
    facts: list[DocumentFact] = Field(default_factory=list, description="where each was read")
    pages: int | None = None
    lines: int | None = None
    encoding: str | None = None


class Usage(_Out):
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Summary(_Out):
    tables: int = 0
    tables_matched: int = 0
    hard_checks: int = 0
    passed: int = 0
    rounding: int = 0
    suspect: int = 0
    failed: int = 0
    not_evaluated: int = 0
    not_evaluable: int = Field(
        default=0,
        description="hard identities of the document's definitions never evaluated: their "
        "table is missing or its structure was not placed (extract.layout_unmapped)",
    )
    warnings: int = 0
    source_inconsistencies: int = Field(
        default=0, description="failing identities and claims the report itself breaks"
    )
    extraction_errors: int = 0
    disclosure: int = Field(
        default=0,
        description="family C findings: template residue, a wrong year, direction words, empty "
        "tables without their statement, implausible values, doubled punctuation",
    )


class DocumentResult(_Out):
    """Everything extracted from one document; nothing in it changes between runs."""

    document: DocumentInfo
    status: Literal["ok", "partial", "failed"]
    errors: list[ErrorInfo] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    summary: Summary = Field(default_factory=Summary)


__all__ = [
    "Amount",
    "Cell",
    "CellRef",
    "CellSource",
    "Check",
    "Column",
    "DocumentFact",
    "DocumentInfo",
    "DocumentResult",
    "ErrorInfo",
    "Finding",
    "Region",
    "Row",
    "Section",
    "SourceCell",
    "SourceRow",
    "Summary",
    "Table",
    "Usage",
]
