"""What every layout mapper shares: cell values with provenance, header splitting, the
table record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from extractor.definitions import Definitions, TableDef
from extractor.layout.grid import (
    TOTAL_RE,
    cell,
    is_lanci_row,
    label,
    norm,
    source_cell,
)
from extractor.model import (
    Cell,
    CellSource,
    Column,
    Region,
    Row,
    Section,
    SourceRow,
    Table,
)
from extractor.numbers import AmountKind, parse_amount

LOW_CONFIDENCE = 0.8  # OCR confidence below which a cell is flagged for review


_ORIGIN = {"text": CellSource.TEXT, "pdf": CellSource.PDF, "ocr": CellSource.OCR}


_NOT_PRINTED = {"无", "无数据", "/", "／"}


@dataclass
class MapContext:
    definitions: Definitions


# ---------------------------------------------------------------- cells and values


def value_and_cell(row: SourceRow, j: int | None) -> tuple[str | None, Cell]:
    """The value of one cell and its provenance. Text that is not an amount in a value cell
    keeps value None and is marked ``unparsed`` (never silently a blank)."""
    sc = source_cell(row, j) if j is not None else None
    if sc is None:
        return None, Cell(raw=None, line=row.line, page=row.page)
    amount = parse_amount(sc.text)
    status: Literal["ok", "low_confidence", "unparsed"] = "ok"
    if amount is None:
        value: str | None = None
        if norm(sc.text) not in _NOT_PRINTED:
            status = "unparsed"
    elif amount.kind is AmountKind.BLANK:
        value = None
    else:
        value = amount.text
    if status == "ok" and sc.confidence is not None and sc.confidence < LOW_CONFIDENCE:
        status = "low_confidence"
    return value, Cell(
        raw=sc.text,
        line=sc.line,
        page=sc.page,
        bbox=sc.bbox,
        source=_ORIGIN.get(sc.origin, CellSource.TEXT),
        confidence=sc.confidence,
        status=status,
    )


def cell_values(
    row: SourceRow, positions: Sequence[int | None]
) -> tuple[list[str | None], list[Cell]]:
    vals: list[str | None] = []
    cells: list[Cell] = []
    for j in positions:
        v, c = value_and_cell(row, j)
        vals.append(v)
        cells.append(c)
    return vals, cells


# ---------------------------------------------------------------- columns


def split_header(
    rows: Sequence[SourceRow], is_data: Callable[[SourceRow], bool], *, total_is_data: bool = False
) -> tuple[int, int | None]:
    """Index of the first data row and of the 栏次 row (None if none) among ``rows``.
    With ``total_is_data`` a row labelled 合计 is data even with no amount in it."""
    lanci: int | None = None
    for i, r in enumerate(rows):
        if is_lanci_row(r):
            lanci = i
            continue
        if is_data(r):
            return i, lanci
        if (lanci is not None or total_is_data) and TOTAL_RE.match(label(cell(r, 0))):
            return i, lanci  # a 合计 row printed with every value blank
    return len(rows), lanci


def grid_width(rows: Sequence[SourceRow]) -> int:
    return max((len(r.cells) for r in rows), default=0)


# ---------------------------------------------------------------- function-coded tables


def row_key(r: SourceRow) -> tuple[str, ...]:
    texts = [norm(t) for t in r.texts]
    while texts and not texts[-1]:
        texts.pop()
    return tuple(texts)


def make_table(
    region: Region,
    tdef: TableDef | None,
    layout: str,
    *,
    columns: list[Column] | None = None,
    rows: list[Row] | None = None,
    sections: list[Section] | None = None,
) -> Table:
    rows = rows or []
    sections = sections or []
    all_rows = rows + [r for s in sections for r in s.rows]
    has_data = any(v is not None for r in all_rows for v in r.values)
    # a table with no value printed anywhere is empty (blank template, 本表无数据): a real table
    # of zeros, kept with its rows
    empty = not has_data
    return Table(
        table_id=region.table_id,
        definition=tdef.id if tdef else None,
        title=region.title,
        department_as_printed=region.department,
        unit=region.unit,
        year=region.year,
        layout=layout,
        columns=columns or [],
        rows=rows,
        sections=sections,
        empty=empty,
        notes=region.notes,
        source_lines=[(region.start_line, region.end_line)]
        if region.start_line is not None and region.end_line is not None
        else [],
        pages=region.pages,
        parts=region.parts,
    )
