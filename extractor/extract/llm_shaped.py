"""LLM answers for tables printed in parts: two-sided summaries (收入 | 支出 side by side or
one below the other), economic-classification blocks side by side (科目编码 | 科目名称 | 金额
three times across), and sectioned tables (一、… 二、… one below the other).

The model still decides structure only. For these layouts that is one more thing: the parts.
Each part names its grid columns (and its 行次 column), and each answered row names the part it
belongs to, so that one printed row of a two-sided table gives two rows, one per side. Values
are grounded exactly as in the flat path (``llm_table``): a value counts only where it is
printed in the cell that its row id and its part's grid column name. Row numbers (行次) are read
from the grid, never from the answer.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from extractor.definitions import ColumnDef, Definitions, TableDef
from extractor.extract.chunking import Chunk, column_index
from extractor.extract.common import make_table
from extractor.extract.layouts import names_a_side
from extractor.extract.llm_table import (
    Grounded,
    GroundedPart,
    GroundedRow,
    _cell,
    _plain_pattern,
    _tokens,
    chunk_tokens,
    column_model,
    ground_columns,
    ground_row,
    row_fields,
    unmapped_amount_columns,
)
from extractor.extract.meaning import assign_roles
from extractor.layout.grid import cell, norm
from extractor.model import Cell, Column, Region, Row, Section, Table
from extractor.numbers import small_int

# layouts read in parts (the others are one printed row per row: llm_table)
SHAPED_LAYOUTS = ("two_sided", "economic_blocks", "sectioned")

RowIds = dict[str | None, list[str]]  # section (key or heading; None: flat rows) -> row ids


def part_columns(tdef: TableDef, key: str) -> list[ColumnDef]:
    """The definition columns a part may map: its side's, or the table's."""
    if tdef.layout == "two_sided":
        return next((list(s.columns) for s in tdef.sections if s.key == key), [])
    return list(tdef.columns)


def _cols(defs: list[ColumnDef]) -> str:
    return "; ".join(
        f"{c.key} = {' or '.join(_plain_pattern(n) for n in c.names)}"
        + (f" [栏次 {c.col_no}]" if c.col_no else "")
        for c in defs
    )


def describe_shaped(tdef: TableDef) -> str:
    """One definition printed in parts, as the prompt lists it."""
    title = " or ".join(_plain_pattern(t) for t in tdef.titles)
    head = f"- {tdef.id} ({tdef.label or 'no number'}) {title}: {tdef.layout}"
    if tdef.layout == "two_sided":
        sides = " | ".join(
            f"{s.key} ({' or '.join(_plain_pattern(n) for n in s.names)}) columns "
            + _cols(list(s.columns))
            for s in tdef.sections
        )
        return f"{head} parts: {sides}"
    cols = _cols(list(tdef.columns))
    if tdef.layout == "economic_blocks":
        return f"{head} parts: b1, b2, … (the blocks left to right) columns {cols}"
    return f"{head} parts: the printed section headings columns {cols}"


def shaped_model(tdef: TableDef) -> type[BaseModel]:
    """The response model for a table printed in parts."""
    suffix = re.sub(r"\W", "_", tdef.id)
    cfg = ConfigDict(extra="forbid")
    if tdef.layout == "two_sided":
        part_type: Any = _literal(tuple(s.key for s in tdef.sections))
        part_doc = "the side's key"
    else:
        part_type = str
        part_doc = "b1, b2 … for blocks left to right; the heading as printed for sections"
    keys = tuple(
        dict.fromkeys(
            c.key for c in [*tdef.columns, *(c for s in tdef.sections for c in s.columns)]
        )
    )
    column: Any = column_model(f"PartColumn_{suffix}", _literal(keys))
    part: Any = create_model(
        f"Part_{suffix}",
        __config__=cfg,
        part=(part_type, Field(description=part_doc)),
        row_no=(
            str | None,
            Field(default=None, description="grid column id of the part's 行次, if printed"),
        ),
        columns=(list[column], Field(description="the part's definition columns in the grid")),
    )
    row: Any = create_model(
        f"PartRow_{suffix}",
        __config__=cfg,
        **row_fields(part=(part_type, Field(description="the part this row belongs to"))),
    )
    model: type[BaseModel] = create_model(
        f"Parts_{suffix}",
        __config__=cfg,
        definition=(
            _literal((tdef.id,)) | None,
            Field(default=None, description="the table definition id, null if none fits"),
        ),
        parts=(list[part], Field(description="the printed parts, in printed order")),
        rows=(list[row], Field(description="rows of every part, in printed order")),
    )
    return model


def _literal(values: tuple[str, ...]) -> Any:
    return Literal[values]  # a type built at run time from the definitions


# ---------------------------------------------------------------- grounding


def _printed_in(chunk: Chunk, text: str) -> bool:
    rows = [*chunk.header, *(r for _, r in chunk.rows)]
    return any(text in "".join(norm(t) for t in r.texts) for r in rows)


def ground_shaped(answer: BaseModel, chunk: Chunk, tdef: TableDef) -> Grounded:
    """Check a parts answer against its chunk: each part's columns, each row in its part."""
    data = answer.model_dump()
    g = Grounded(definition=tdef.id, columns={}, rows=[], parts=[])
    parts: dict[str, GroundedPart] = {}
    for p in data.get("parts", []):
        key = norm(str(p["part"]))
        where = f"part {key}: "
        if key in parts:
            g.problems.append(f"part {key} given twice")
            continue
        if tdef.layout == "sectioned" and not _printed_in(chunk, key):
            g.problems.append(f"part {key!r} is not a heading printed in the table")
            continue
        allowed = {c.key for c in part_columns(tdef, key)}
        cols = ground_columns(g, p.get("columns", []), chunk, allowed, tdef.id, where)
        rn = column_index(p["row_no"]) if p.get("row_no") else None
        if p.get("row_no") and (rn is None or rn >= chunk.width):
            g.problems.append(f"{where}row_no {p['row_no']!r} is not a grid column id")
            rn = None
        parts[key] = GroundedPart(key, rn, cols)
    mapped = {j for part in parts.values() for j, _ in part.columns.values()}
    mapped |= {part.row_no for part in parts.values() if part.row_no is not None}
    unmapped_amount_columns(g, chunk, mapped)
    everywhere = chunk_tokens(chunk)
    seen: dict[str, set[str]] = {k: set() for k in parts}
    for row in data.get("rows", []):
        key = norm(str(row["part"]))
        part = parts.get(key)
        if part is None:
            g.problems.append(f"row {row['source']}: part {key!r} is not one of the parts")
            continue
        got = ground_row(g, row, chunk, part.columns, everywhere, seen[key], f"part {key}: ")
        if got is not None and not _is_side_heading(got, part, tdef):
            part.rows.append(got)
    _missing(g, chunk, parts, seen)
    for key, part in parts.items():
        _numbered_rows(chunk, part, seen[key])
    g.parts = list(parts.values())
    return g


def _numbered_rows(chunk: Chunk, part: GroundedPart, seen: set[str]) -> None:
    """Rows between a part's rows that print only their 行次 (a blank line of a side) are
    rows of the table, as the grid shows them, whether or not the answer listed them; the
    part's rows then go in printed order."""
    order = {rid: i for i, (rid, _) in enumerate(chunk.rows)}
    at = sorted(order[gr.row_id] for gr in part.rows if gr.row_id in order)
    if part.row_no is None or not at:
        return
    j = part.row_no
    # between the part's own rows only: sections one below the other share their columns
    for rid, src in chunk.rows[at[0] + 1 : at[-1]]:
        blank = all(not cell(src, c).strip() for c, _ in part.columns.values())
        if rid in seen or not blank or small_int(norm(cell(src, j))) is None:
            continue
        values: dict[str, tuple[str | None, Cell]] = {
            k: (None, _cell(src, c)) for k, (c, _) in part.columns.items()
        }
        part.rows.append(GroundedRow(rid, src, None, None, False, values))
        seen.add(rid)
    part.rows.sort(key=lambda gr: order.get(gr.row_id, len(order)))


def _is_side_heading(gr: GroundedRow, part: GroundedPart, tdef: TableDef) -> bool:
    """The heading of a side printed one below the other (支出 above its header), answered
    as a row of the side above it: no value, no 行次, a name that is another side's heading."""
    if tdef.layout != "two_sided" or not gr.name or any(v for v, _ in gr.values.values()):
        return False
    j = part.row_no
    if j is not None and j < len(gr.source.texts) and gr.source.texts[j].strip():
        return False
    return names_a_side(gr.name, [s for s in tdef.sections if s.key != part.key], prefix=4)


def _missing(
    g: Grounded, chunk: Chunk, parts: dict[str, GroundedPart], seen: dict[str, set[str]]
) -> None:
    """A row printing an amount in a part's column must be in a part that maps that column
    (in each side of a two-sided row; in one of the sections printed one below the other)."""
    for rid, src in chunk.rows:
        for j, text in enumerate(src.texts):
            if not _tokens(text):
                continue
            owners = [k for k, p in parts.items() if any(c == j for c, _ in p.columns.values())]
            if owners and not any(rid in seen[k] for k in owners):
                g.missing_rows.append(rid)
                g.problems.append(
                    f"row {rid} prints {_tokens(text)[0]} in g{j} "
                    f"(part {' or '.join(owners)}) but is missing from the answer"
                )
                break


# ---------------------------------------------------------------- the table


def _row(gr: GroundedRow, keys: list[str], row_no: int | None) -> Row:
    vals: list[str | None] = []
    cells: list[Cell] = []
    for k in keys:
        v, c = gr.values.get(k, (None, _cell(gr.source, -1)))
        vals.append(v)
        cells.append(c)
    no = None
    if row_no is not None and row_no < len(gr.source.texts):
        no = small_int(norm(gr.source.texts[row_no]))
    return Row(
        row_no=no,
        code=gr.code,
        name=gr.name,
        values=vals,
        line=gr.source.line,
        page=gr.source.page,
        cells=cells,
    )


def _merged(parts: list[Grounded]) -> dict[str, list[GroundedPart]]:
    """The parts of every chunk by key, in the order they were first printed."""
    out: dict[str, list[GroundedPart]] = {}
    for g in parts:
        for p in g.parts or []:
            out.setdefault(p.key, []).append(p)
    return out


def _keys_and_names(
    tdef: TableDef, key: str, chunks: list[GroundedPart]
) -> tuple[list[str], list[Column]]:
    names: dict[str, str] = {}
    for p in chunks:
        for k, (_, n) in p.columns.items():
            names.setdefault(k, n)
    defs = part_columns(tdef, key)
    keys = [c.key for c in defs if c.key in names]
    cols = [Column(col_no=c.col_no, name=names[c.key], key=c.key) for c in defs if c.key in names]
    return keys, cols


def build_shaped(
    region: Region, parts: list[Grounded], defs: Definitions, tdef: TableDef
) -> tuple[Table, RowIds]:
    """The table from the grounded parts answers of its chunks, and the row ids of each
    section's rows (None: the flat rows of economic blocks)."""
    merged = _merged(parts)
    if tdef.layout == "economic_blocks":
        return _blocks(region, merged, defs, tdef)
    sections: list[Section] = []
    ids: RowIds = {}
    for key, chunks in merged.items():
        keys, cols = _keys_and_names(tdef, key, chunks)
        rows = [_row(gr, keys, p.row_no) for p in chunks for gr in p.rows]
        sdef = next((s for s in tdef.sections if s.key == key), None)
        if sdef is not None:  # a side: its heading as the definition names it
            section = Section(
                section=_plain_pattern(sdef.names[0]), key=key, columns=cols, rows=rows
            )
            assign_roles(section.rows, sdef.rows, defs)
        else:  # a printed section heading
            section = Section(section=key, columns=cols, rows=rows)
            assign_roles(section.rows, tdef.rows, defs)
        sections.append(section)
        ids[section.key or section.section] = [gr.row_id for p in chunks for gr in p.rows]
    return make_table(region, tdef, tdef.layout, sections=sections), ids


def _blocks(
    region: Region, merged: dict[str, list[GroundedPart]], defs: Definitions, tdef: TableDef
) -> tuple[Table, RowIds]:
    """Economic blocks: the rows of each block in turn, block numbers from the part order,
    the rows carrying a definition role (人员经费合计, 公用经费合计) after all blocks."""
    items: list[tuple[Row, str]] = []
    totals: list[tuple[Row, str]] = []
    cols: list[Column] = []
    for b, (key, chunks) in enumerate(merged.items(), start=1):
        keys, names = _keys_and_names(tdef, key, chunks)
        cols = cols or names
        for p in chunks:
            for gr in p.rows:
                row = _row(gr, keys[:1], None).model_copy(update={"block": b})
                trial = [row.model_copy()]
                assign_roles(trial, tdef.rows, defs)
                (totals if trial[0].role else items).append((row, gr.row_id))
    rows = [r for r, _ in items + totals]
    assign_roles([r for r, _ in totals], tdef.rows, defs)
    n = len(merged)
    layout = f"economic_{n}_blocks" if n > 1 else "economic_coded"
    table = make_table(region, tdef, layout, columns=cols[:1], rows=rows)
    return table, {None: [rid for _, rid in items + totals]}
